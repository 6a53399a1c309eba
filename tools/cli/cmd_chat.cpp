// maskkv chat: a conversation on standard input. Each line is a user turn; the response is
// denoised in place on a terminal (masks resolving step by step) and printed as plain text
// otherwise. The conversation is kept as long as it fits in the context: the oldest turns are
// dropped first (the system message stays).
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "generate_args.h"
#include "live_text.h"
#include "prompt_input.h"
#include "text.h"

namespace {

const std::string kUsage =
    std::string("usage: maskkv chat --model DIR [--chat-template NAME|FILE] [--system TEXT] [options]\n"
                "  Reads one user message per line from standard input; /reset forgets the conversation,\n"
                "  /exit (or end of input) ends it. Line editing is the terminal's.\n"
                "  --chat-template NAME|FILE  llada, chatml, llama3, or a Jinja template file of one\n"
                "  --system TEXT         a system message at the start of the conversation\n"
                "  --parse-special       let special-token text in messages become the token\n"
                "  --no-live             print each response when it is done, even on a terminal\n") +
    cli::kGenerateOptionsHelp;

// Generates one response to `prompt`; draws it live when `live` draws.
std::vector<int32_t> respond(const maskkv_model* model, const std::vector<int32_t>& prompt,
                             const maskkv_generate_options& opts, cli::LiveText& live) {
  maskkv_session* session = nullptr;
  cli::check_begin(maskkv_session_begin(model, prompt.data(), prompt.size(), &opts, &session));
  struct Free {
    maskkv_session* s;
    ~Free() { maskkv_session_free(s); }
  } guard{session};
  std::vector<int32_t> tokens(static_cast<size_t>(opts.gen_length));
  size_t n = 0;
  for (int32_t done = 0; !done;) {
    cli::check(maskkv_session_step(session, &done), "denoising step");
    cli::check(maskkv_session_tokens(session, tokens.data(), tokens.size(), &n), "reading tokens");
    tokens.resize(n);
    live.draw(tokens);
  }
  return tokens;
}

}  // namespace

int cmd_chat(int argc, char** argv) {
  return cli::run_command("chat", [&] {
    std::set<std::string> options = cli::generate_option_names(), flags = cli::generate_flag_names();
    options.insert({"model", "chat-template", "system"});
    flags.insert({"parse-special", "no-live", "help"});
    cli::Args args(options, flags);
    args.parse(argc, argv);
    if (args.has("help")) {
      std::fputs(kUsage.c_str(), stdout);
      return 0;
    }
    if (!args.has("model")) throw cli::UsageError("--model is required");
    cli::ChatSpec chat = cli::read_chat_spec(args);
    chat.enabled = true;
    maskkv_generate_options opts = cli::read_generate_options(args);
    const int backend = args.choice("backend", {"auto", "cpu", "cuda"}, 0);
    cli::ModelHandle m(args.str("model"), backend, cli::thread_option(args), cli::weight_type_option(args));
    cli::ProfileHandle profile(m.model, args.has("profile"), args.has("profile") ? args.str("profile") : "");
    if (profile.profile) opts.profile = profile.profile;
    maskkv_model_info info;
    info.size = sizeof(info);
    cli::check(maskkv_model_get_info(m.model, &info), "reading model info");
    const bool interactive = isatty(STDIN_FILENO) == 1;
    std::vector<cli::Turn> history;
    std::string line;
    while (true) {
      if (interactive) std::fputs("> ", stdout), std::fflush(stdout);
      if (!std::getline(std::cin, line)) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line == "/exit" || line == "/quit") break;
      if (line == "/reset") {
        history.clear();
        continue;
      }
      if (line.empty()) continue;
      history.push_back({"user", line});
      std::vector<int32_t> prompt = cli::tokenize_turns(m.model, history, chat);
      // Keep the conversation within the context: drop the oldest exchanges first.
      while (prompt.size() + static_cast<size_t>(opts.gen_length) > static_cast<size_t>(info.max_seq_len) &&
             history.size() > 1) {
        history.erase(history.begin(), history.begin() + (history.size() >= 3 ? 2 : 1));
        prompt = cli::tokenize_turns(m.model, history, chat);
      }
      cli::LiveText live(m.model, stdout, !args.has("no-live"));
      const std::vector<int32_t> tokens = respond(m.model, prompt, opts, live);
      std::string text;
      cli::response_text(m.model, tokens, &text);
      live.finish(text);
      history.push_back({"assistant", text});
    }
    return 0;
  });
}
