// The start that the model commands (generate, chat, info, calibrate) share: declaring and
// parsing their options, --help, required options, and loading the model they name.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "args.h"
#include "common.h"

namespace cli {

// --model, --backend, --threads and --weight-type, which every model command takes.
std::set<std::string> model_option_names();

// Parses argv with these options and switches (--help/-h is always one). For --help, prints
// `usage` on stdout and returns nothing (the command exits 0); a missing `required` option is
// a usage error naming it.
std::optional<Args> parse_command(int argc, char** argv, std::set<std::string> options,
                                  std::set<std::string> flags, const std::string& usage,
                                  const std::vector<std::string>& required = {"model"});

// The model of --model on --backend auto|cpu|cuda with --threads (0 = one per core, to 1024),
// its linear weights converted at load as --weight-type auto|bf16|q8_0|q4_0 says.
ModelHandle open_model(const Args& args);

}  // namespace cli
