#include "prompt_input.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common.h"

namespace cli {

bool has_text_prompt(const Args& args) { return args.has("prompt") || args.has("prompt-file"); }

std::string read_all(const std::string& path) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    if (std::cin.bad()) throw Failure("reading the prompt from standard input failed");
    return ss.str();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Failure("cannot open the prompt file '" + path + "': " + std::strerror(errno));
  ss << f.rdbuf();
  if (f.bad()) throw Failure("reading the prompt file '" + path + "' failed");
  return ss.str();
}

std::string read_text_prompt(const Args& args) {
  if (args.has("prompt") && args.has("prompt-file"))
    throw UsageError("give one of --prompt and --prompt-file");
  if (args.has("prompt-file")) return read_all(args.str("prompt-file"));
  const std::string p = args.str("prompt");
  return p == "-" ? read_all("-") : p;
}

ChatSpec read_chat_spec(const Args& args) {
  ChatSpec c;
  c.enabled = args.has("chat") || args.has("chat-template") || args.has("system");
  c.template_name = args.str("chat-template");
  c.system = args.str("system");
  c.parse_special = args.has("parse-special");
  if (c.parse_special && !c.enabled)
    throw UsageError("--parse-special applies to chat prompts (a plain prompt's special-token text "
                     "always becomes the special token)");
  return c;
}

}  // namespace cli
