// maskkv generate: denoise a response for a prompt given as text or as ids.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "generate_args.h"
#include "common.h"
#include "progress.h"
#include "prompt_input.h"
#include "text.h"

namespace {

const std::string kUsage =
    std::string("usage: maskkv generate --model DIR (--prompt TEXT | --prompt-file FILE | --prompt-ids 1,2,3) [options]\n"
                "  --prompt TEXT         the prompt; '-' reads it from standard input\n"
                "  --prompt-file FILE    the prompt from a file ('-' = standard input): for long prompts\n"
                "  --chat                wrap the prompt in the model's chat template\n"
                "  --chat-template NAME|FILE  llada, chatml, llama3, or a Jinja template file of one (implies --chat)\n"
                "  --system TEXT         a system message before the prompt (implies --chat)\n"
                "  --parse-special       let special-token text in the prompt (\"<|eot_id|>\") become the token\n"
                "  --json                one JSON object on stdout\n"
                "  --quiet               no progress bar and no statistics on stderr\n") +
    cli::kGenerateOptionsHelp;

}  // namespace

int cmd_generate(int argc, char** argv) {
  return cli::run_command("generate", [&] {
    std::set<std::string> options = cli::generate_option_names(), flags = cli::generate_flag_names();
    options.insert({"model", "prompt", "prompt-file", "prompt-ids", "chat-template", "system"});
    flags.insert({"json", "chat", "parse-special", "quiet", "help"});
    cli::Args args(options, flags);
    args.parse(argc, argv);
    if (args.has("help")) {
      std::fputs(kUsage.c_str(), stdout);
      return 0;
    }
    if (!args.has("model")) throw cli::UsageError("--model is required");
    if (cli::has_text_prompt(args) == args.has("prompt-ids"))
      throw cli::UsageError("give exactly one of --prompt, --prompt-file and --prompt-ids");
    const cli::ChatSpec chat = cli::read_chat_spec(args);
    if (chat.enabled && args.has("prompt-ids"))
      throw cli::UsageError("the chat options need a text prompt, not --prompt-ids");
    maskkv_generate_options opts = cli::read_generate_options(args);
    const int backend = args.choice("backend", {"auto", "cpu", "cuda"}, 0);
    const std::string text_prompt = cli::has_text_prompt(args) ? cli::read_text_prompt(args) : "";
    const bool quiet = args.has("quiet");
    cli::ModelHandle m(args.str("model"), backend, cli::thread_option(args), cli::weight_type_option(args));

    cli::ProfileHandle profile(m.model, args.has("profile"), args.has("profile") ? args.str("profile") : "");
    if (profile.profile) opts.profile = profile.profile;
    std::vector<int32_t> prompt = cli::has_text_prompt(args) ? cli::tokenize_prompt(m.model, text_prompt, chat)
                                                             : args.int_list("prompt-ids");
    maskkv_session* session = nullptr;
    cli::check_begin(maskkv_session_begin(m.model, prompt.data(), prompt.size(), &opts, &session));
    struct Free {
      maskkv_session* s;
      ~Free() { maskkv_session_free(s); }
    } guard{session};

    maskkv_stats stats;
    stats.size = sizeof(stats);
    cli::ProgressBar bar("denoising", quiet ? 0 : opts.gen_length);
    int32_t done = 0;
    while (!done) {
      cli::check(maskkv_session_step(session, &done), "denoising step");
      cli::check(maskkv_session_get_stats(session, &stats), "reading statistics");
      bar.update(opts.gen_length - stats.masks_left,
                 "step " + std::to_string(stats.steps) + ", " +
                     std::to_string(stats.seconds).substr(0, 5) + " s");
    }
    bar.finish();
    size_t n = 0;
    std::vector<int32_t> tokens(static_cast<size_t>(opts.gen_length));
    cli::check(maskkv_session_tokens(session, tokens.data(), tokens.size(), &n), "reading tokens");
    tokens.resize(n);
    std::string text;
    const bool has_text = cli::response_text(m.model, tokens, &text);

    if (args.has("json")) {
      nlohmann::json j;
      j["tokens"] = tokens;
      if (has_text) j["text"] = text;
      j["prompt_tokens"] = prompt.size();
      j["gen_length"] = n;
      j["steps"] = stats.steps;
      j["forward_passes"] = stats.forward_passes;
      j["seconds"] = stats.seconds;
      j["peak_rss_bytes"] = stats.peak_rss_bytes;
      j["gpu_peak_bytes"] = stats.gpu_peak_bytes;
      maskkv_model_info info;
      info.size = sizeof(info);
      cli::check(maskkv_model_get_info(m.model, &info), "reading model info");
      j["backend"] = info.backend == MASKKV_BACKEND_CUDA ? "cuda" : "cpu";
      j["prefill_seconds"] = stats.prefill_seconds;
      j["policy"] = maskkv_policy_name(opts.policy);
      j["budget"] = opts.budget;
      j["kv_pairs_kept"] = stats.kv_pairs_kept;
      j["kv_bytes_peak"] = stats.kv_bytes_peak;
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return 0;
    }
    if (has_text) {
      std::printf("%s\n", text.c_str());
    } else {
      std::string ids;
      for (int32_t t : tokens) ids += (ids.empty() ? "" : ",") + std::to_string(t);
      std::printf("%s\n", ids.c_str());
    }
    if (quiet) return 0;
    std::fprintf(stderr,
                 "%d steps, %d forward passes, %.3f s (prefill %.3f s), policy %s, %lld prompt K/V pairs kept, "
                 "K/V peak %.1f MiB, peak RSS %.1f MiB\n",
                 stats.steps, stats.forward_passes, stats.seconds, stats.prefill_seconds,
                 maskkv_policy_name(opts.policy), static_cast<long long>(stats.kv_pairs_kept),
                 stats.kv_bytes_peak / 1048576.0, stats.peak_rss_bytes / 1048576.0);
    if (stats.gpu_peak_bytes > 0) std::fprintf(stderr, "GPU memory peak %.1f MiB\n", stats.gpu_peak_bytes / 1048576.0);
    return 0;
  });
}
