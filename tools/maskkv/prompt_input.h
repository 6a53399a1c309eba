// Where a prompt's text comes from: --prompt TEXT, --prompt - (standard input) or
// --prompt-file FILE (FILE "-" is standard input too). Files and pipes have no size limit, unlike
// the kernel's limit on one argument, so long prompts go through them.
#pragma once

#include <string>

#include "args.h"
#include "text.h"

namespace cli {

// True when the arguments give a text prompt (--prompt or --prompt-file).
bool has_text_prompt(const Args& args);
// The prompt text; throws UsageError when both options are given, Failure when a file cannot
// be read.
std::string read_text_prompt(const Args& args);
// The chat options: --chat, --chat-template NAME|FILE and --system TEXT (either of which implies
// --chat), --parse-special (only with a chat prompt).
ChatSpec read_chat_spec(const Args& args);
// All of a file's bytes ("-" = standard input); throws Failure naming the file.
std::string read_all(const std::string& path);

}  // namespace cli
