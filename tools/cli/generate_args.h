// The generation options that `maskkv generate` and `maskkv chat` share: their names, their
// help text and how they fill maskkv_generate_options.
#pragma once

#include <set>
#include <string>

#include "args.h"
#include "maskkv.h"

namespace cli {

// Options that take a value, and switches, read by read_generate_options (plus --backend and
// --threads, which the model takes).
std::set<std::string> generate_option_names();
std::set<std::string> generate_flag_names();
// The help lines for them.
extern const char* const kGenerateOptionsHelp;
// maskkv_generate_options from the defaults and the given options; range errors are usage
// errors, combinations the library checks (and refuses with the reason) when a session begins.
maskkv_generate_options read_generate_options(const Args& a);

}  // namespace cli
