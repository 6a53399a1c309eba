// Reading the option table (generate_option_table.h): value names, the text of a value, and the
// range check whose message every caller of the C ABI sees.
#pragma once

#include <string>
#include <vector>

#include "options/generate_option_table.h"

namespace maskkv {

// The value names of a choice option, in value order (empty for other kinds).
std::vector<std::string> option_choices(const OptionSpec& spec);

// The shortest text that reads back as v (1e-09, not 0.000000), read as a float when v is one
// (the C ABI's option fields are floats: 1e-10f prints as 1e-10, not 1.000000013351432e-10);
// integers without a fraction.
std::string option_value_text(double v);

// Throws Error(invalid_argument) "NAME = V is outside [MIN, MAX]" (for a choice, with the value
// names) when v is not a valid value of the option; NaN and infinities are never valid. Flags,
// unsigned 64-bit and profile options take every value of their C type and are not checked.
void check_option_value(GenOpt id, double v);

}  // namespace maskkv
