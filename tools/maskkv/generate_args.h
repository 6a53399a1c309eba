// The generation options that `maskkv generate` and `maskkv chat` share. Their flags, value
// kinds, ranges, defaults and help all come from the library's option table through
// maskkv_generate_option_info (a flag is the field's name with '-' for '_'), so the CLI states
// none of them itself.
#pragma once

#include <set>
#include <string>

#include "args.h"
#include "maskkv.h"

namespace cli {

// Options that take a value, and switches, read by read_generate_options (plus --backend,
// --threads and --weight-type, which the model takes).
std::set<std::string> generate_option_names();
std::set<std::string> generate_flag_names();
// The help lines for them, one per option with its default.
std::string generate_options_help();
// maskkv_generate_options from the defaults and the given options; a value outside its range
// is a usage error, combinations the library checks (and refuses with the reason) when a
// session begins. --profile is the caller's: it names a file to load.
maskkv_generate_options read_generate_options(const Args& a);

}  // namespace cli
