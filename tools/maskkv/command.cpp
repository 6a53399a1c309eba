#include "command.h"

#include <cstdio>

namespace cli {

std::set<std::string> model_option_names() { return {"model", "backend", "threads", "weight-type"}; }

std::optional<Args> parse_command(int argc, char** argv, std::set<std::string> options,
                                  std::set<std::string> flags, const std::string& usage,
                                  const std::vector<std::string>& required) {
  flags.insert("help");
  Args args(std::move(options), std::move(flags));
  args.parse(argc, argv);
  if (args.has("help")) {
    std::fputs(usage.c_str(), stdout);
    return std::nullopt;
  }
  for (const std::string& name : required)
    if (!args.has(name)) throw UsageError("--" + name + " is required");
  return args;
}

ModelHandle open_model(const Args& args) {
  const int backend = args.choice("backend", {"auto", "cpu", "cuda"}, MASKKV_BACKEND_AUTO);
  return ModelHandle(args.str("model"), backend, thread_option(args), weight_type_option(args));
}

}  // namespace cli
