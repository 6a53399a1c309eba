// maskkv generate: denoise a response for a prompt given as text or as ids.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "common.h"
#include "progress.h"
#include "prompt_input.h"
#include "text.h"

namespace {

const char* kUsage =
    "usage: maskkv generate --model DIR (--prompt TEXT | --prompt-file FILE | --prompt-ids 1,2,3) [options]\n"
    "  --prompt TEXT         the prompt; '-' reads it from standard input\n"
    "  --prompt-file FILE    the prompt from a file ('-' = standard input): for long prompts\n"
    "  --gen-length N        response length (default 64)\n"
    "  --steps N             denoising steps (default gen-length)\n"
    "  --block-length N      LLaDA block length (default gen-length)\n"
    "  --sampler llada|dream the model family's own by default\n"
    "  --remasking low_confidence|random       (LLaDA)\n"
    "  --alg origin|maskgit_plus|topk_margin|entropy  (Dream, default entropy)\n"
    "  --alg-temp X --temperature T --top-p P --top-k K --cfg-scale W\n"
    "  --threshold TAU | --factor F            Fast-dLLM parallel commit rules\n"
    "  --eos-logit-inf --eos-confidence-inf    LLaDA EOS options\n"
    "  --rope-scaling X      NTK factor on the RoPE base for long prompts (default 1; 0 = auto)\n"
    "  --chat                wrap the prompt in the model's chat template\n"
    "  --chat-template NAME|FILE  llada, chatml, llama3, or a Jinja template file of one (implies --chat)\n"
    "  --system TEXT         a system message before the prompt (implies --chat)\n"
    "  --parse-special       let special-token text in the prompt (\"<|eot_id|>\") become the token\n"
    "  --policy none|full|maskkv|snapkv|pyramidkv|squeezeattention|adakv  (default none)\n"
    "  --budget N            prompt K/V pairs kept per head, on average (default 256)\n"
    "  --profile FILE        MaskKV profile from maskkv calibrate | --online\n"
    "  --prompt-refresh N --response-refresh N --rho X   dLLM-Cache (0 = family defaults)\n"
    "  --alpha X --beta X    MaskKV allocation (0.1, 0.4)\n"
    "  --window N --pool-kernel N  SnapKV family (32, 7)\n"
    "  --kv-memory-limit BYTES     refuse a generation whose K/V cache could exceed it\n"
    "  --seed S --backend auto|cpu|cuda --threads N\n"
    "  --json                one JSON object on stdout\n"
    "  --quiet               no progress bar and no statistics on stderr\n"
    "Options that would have no effect (top-k with the LLaDA sampler, a budget with policy none, ...)\n"
    "are refused with the reason.\n";

maskkv_generate_options read_options(const cli::Args& a) {
  maskkv_generate_options o;
  maskkv_generate_default_options(&o);
  o.gen_length = static_cast<int32_t>(a.integer_in("gen-length", o.gen_length, 1, 1 << 20));
  o.steps = static_cast<int32_t>(a.integer_in("steps", o.steps, 0, 1 << 20));
  o.block_length = static_cast<int32_t>(a.integer_in("block-length", o.block_length, 0, 1 << 20));
  o.sampler = a.choice("sampler", {"auto", "llada", "dream"}, o.sampler);
  o.remasking = a.choice("remasking", {"low_confidence", "random"}, o.remasking);
  o.alg = a.choice("alg", {"origin", "maskgit_plus", "topk_margin", "entropy"}, o.alg);
  o.alg_temp = static_cast<float>(a.number("alg-temp", o.alg_temp));
  o.temperature = static_cast<float>(a.number("temperature", o.temperature));
  o.top_p = static_cast<float>(a.number("top-p", o.top_p));
  o.top_k = static_cast<int32_t>(a.integer_in("top-k", o.top_k, 0, INT32_MAX));
  o.cfg_scale = static_cast<float>(a.number("cfg-scale", o.cfg_scale));
  o.threshold = static_cast<float>(a.number("threshold", o.threshold));
  o.factor = static_cast<float>(a.number("factor", o.factor));
  o.eos_logit_inf = a.has("eos-logit-inf");
  o.eos_confidence_inf = a.has("eos-confidence-inf");
  o.seed = a.unsigned_integer("seed", o.seed);
  o.rope_scaling = static_cast<float>(a.number("rope-scaling", o.rope_scaling));
  o.policy = a.choice("policy", {"none", "full", "maskkv", "snapkv", "pyramidkv", "squeezeattention", "adakv"},
                      o.policy);
  o.budget = static_cast<int32_t>(a.integer_in("budget", o.budget, 1, INT32_MAX));
  o.online = a.has("online");
  o.prompt_refresh = static_cast<int32_t>(a.integer_in("prompt-refresh", o.prompt_refresh, 0, INT32_MAX));
  o.response_refresh = static_cast<int32_t>(a.integer_in("response-refresh", o.response_refresh, 0, INT32_MAX));
  o.rho = static_cast<float>(a.number("rho", o.rho));
  o.alpha = static_cast<float>(a.number("alpha", o.alpha));
  o.beta = static_cast<float>(a.number("beta", o.beta));
  o.window = static_cast<int32_t>(a.integer_in("window", o.window, 1, INT32_MAX));
  o.pool_kernel = static_cast<int32_t>(a.integer_in("pool-kernel", o.pool_kernel, 1, 1001));
  o.kv_memory_limit = a.unsigned_integer("kv-memory-limit", o.kv_memory_limit);
  return o;
}

}  // namespace

int cmd_generate(int argc, char** argv) {
  return cli::run_command("generate", [&] {
    cli::Args args({"model", "prompt", "prompt-file", "prompt-ids", "chat-template", "system", "gen-length", "steps", "block-length",
                    "sampler", "remasking", "alg", "alg-temp", "temperature", "top-p", "top-k",
                    "cfg-scale", "threshold", "factor", "seed", "backend", "threads",
                    "rope-scaling", "policy", "budget", "profile", "prompt-refresh", "response-refresh",
                    "rho", "alpha", "beta", "window", "pool-kernel", "kv-memory-limit"},
                   {"json", "chat", "parse-special", "quiet", "eos-logit-inf", "eos-confidence-inf", "online",
                    "help"});
    args.parse(argc, argv);
    if (args.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!args.has("model")) throw cli::UsageError("--model is required");
    if (cli::has_text_prompt(args) == args.has("prompt-ids"))
      throw cli::UsageError("give exactly one of --prompt, --prompt-file and --prompt-ids");
    const cli::ChatSpec chat = cli::read_chat_spec(args);
    if (chat.enabled && args.has("prompt-ids"))
      throw cli::UsageError("the chat options need a text prompt, not --prompt-ids");
    maskkv_generate_options opts = read_options(args);
    const int backend = args.choice("backend", {"auto", "cpu", "cuda"}, 0);
    const std::string text_prompt = cli::has_text_prompt(args) ? cli::read_text_prompt(args) : "";
    const bool quiet = args.has("quiet");
    cli::ModelHandle m(args.str("model"), backend, static_cast<int>(args.integer_in("threads", 0, 0, 4096)));

    struct Profile {
      maskkv_profile* p = nullptr;
      ~Profile() { maskkv_profile_free(p); }
    } profile;
    if (args.has("profile")) {
      cli::check(maskkv_profile_load(m.model, args.str("profile").c_str(), &profile.p), "loading the profile");
      opts.profile = profile.p;
    }
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
