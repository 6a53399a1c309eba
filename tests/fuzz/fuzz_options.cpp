// The C ABI's option validation: maskkv_generate_options (every field, the struct size, the
// profile pointer chosen among valid ones), maskkv_model_options, size-prefixed output structs,
// policy names. Input: model choice, prompt, then (field, 32-bit value) records. Through
// maskkv.h only, so the checks of lib/api are what is fuzzed. Invariants: no
// MASKKV_ERR_INTERNAL; a session that begins steps without error (a few steps, to stay fast);
// statuses are the documented ones for each call.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "maskkv.h"

namespace {

struct Reader {
  const uint8_t* p;
  size_t n;
  bool more() const { return n > 0; }
  uint8_t u8() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
    return v;
  }
};

struct Loaded {
  maskkv_model* model = nullptr;
  maskkv_profile* profile = nullptr;
  int32_t vocab = 0;
};

const char* kModels[] = {"llada_f32", "dream_f32", "llada_deep_f32"};
constexpr int kNumModels = 3;

// Loaded once per process; freed at exit so that LeakSanitizer sees a clean process.
struct Models {
  std::vector<Loaded> v;
  ~Models() {
    for (auto& l : v) {
      maskkv_profile_free(l.profile);
      maskkv_model_free(l.model);
    }
  }
};

std::vector<Loaded>& models() {
  static Models m{[] {
    std::vector<Loaded> out(kNumModels);
    for (int i = 0; i < kNumModels; ++i) {
      const std::string dir = maskkv_fuzz::tests_dir() + "/fixtures/models/" + kModels[i];
      maskkv_model_options mo;
      maskkv_model_default_options(&mo);
      mo.n_threads = 1;
      if (maskkv_model_load(dir.c_str(), &mo, &out[i].model) != MASKKV_OK)
        maskkv_fuzz::die(std::string("cannot load ") + dir + ": " + maskkv_last_error());
      maskkv_model_info info;
      info.size = sizeof(info);
      maskkv_model_get_info(out[i].model, &info);
      out[i].vocab = info.vocab_size;
      // A profile calibrated on this model, for MASKKV_POLICY_MASKKV.
      maskkv_calibrator* cal = nullptr;
      const int32_t prompt[] = {1, 2, 3, 4, 5, 6, 7, 8};
      const std::string path = maskkv_fuzz::scratch_dir() + "/profile-" + kModels[i] + ".json";
      if (maskkv_calibrator_begin(out[i].model, 8, &cal) != MASKKV_OK ||
          maskkv_calibrator_add(cal, prompt, 8) != MASKKV_OK || maskkv_calibrator_save(cal, path.c_str()) != MASKKV_OK ||
          maskkv_profile_load(out[i].model, path.c_str(), &out[i].profile) != MASKKV_OK)
        maskkv_fuzz::die(std::string("calibration failed: ") + maskkv_last_error());
      maskkv_calibrator_free(cal);
    }
    return out;
  }()};
  return m.v;
}

float as_float(uint32_t v) {
  float f;
  std::memcpy(&f, &v, sizeof f);
  return f;
}

void expect_status(maskkv_status s, std::initializer_list<maskkv_status> allowed, const char* call) {
  for (maskkv_status a : allowed)
    if (s == a) return;
  maskkv_fuzz::die(std::string(call) + " returned " + maskkv_status_name(s) + ": " + maskkv_last_error());
}

void fuzz_model_options(Reader& r) {
  maskkv_model_options mo;
  maskkv_model_default_options(&mo);
  mo.size = r.u8() & 1 ? r.u32() : mo.size;
  mo.backend = static_cast<int32_t>(r.u32());
  mo.n_threads = static_cast<int32_t>(r.u32());
  maskkv_model* m = nullptr;
  // A directory that does not exist: option errors must come first, and nothing is loaded.
  maskkv_status s = maskkv_model_load("/nonexistent/maskkv-fuzz", &mo, &m);
  expect_status(s, {MASKKV_ERR_INVALID_ARGUMENT, MASKKV_ERR_UNSUPPORTED, MASKKV_ERR_IO}, "maskkv_model_load");
  maskkv_fuzz::check(m == nullptr, "maskkv_model_load failed but set out_model");
}

int fuzz_options(const uint8_t* data, size_t size) {
  Reader r{data, size};
  const uint8_t head = r.u8();
  if (head == 0xFF) {  // model options and the small helpers
    fuzz_model_options(r);
    const int32_t v = static_cast<int32_t>(r.u32());
    (void)maskkv_policy_name(v);
    (void)maskkv_status_name(v);
    std::string name;
    while (r.more() && name.size() < 32) name += static_cast<char>(r.u8());
    int32_t pol = -1;
    expect_status(maskkv_policy_from_name(name.c_str(), &pol), {MASKKV_OK, MASKKV_ERR_INVALID_ARGUMENT},
                  "maskkv_policy_from_name");
    return 0;
  }
  Loaded& L = models()[head % kNumModels];
  std::vector<int32_t> prompt(r.u8() % 64);
  for (auto& id : prompt) id = static_cast<int32_t>((r.u8() | (r.u8() << 8)) % (L.vocab + 4)) - 2;

  maskkv_generate_options o;
  maskkv_generate_default_options(&o);
  o.gen_length = 8;
  int run_steps = 0, one_shot = 0;
  uint32_t stats_size = sizeof(maskkv_stats);
  while (r.more()) {
    const uint8_t field = r.u8();
    const uint32_t v = r.u32();
    const int32_t i = static_cast<int32_t>(v);
    switch (field % 34) {
      case 0: o.size = v; break;
      case 1: o.gen_length = i; break;
      case 2: o.steps = i; break;
      case 3: o.block_length = i; break;
      case 4: o.sampler = i; break;
      case 5: o.remasking = i; break;
      case 6: o.alg = i; break;
      case 7: o.alg_temp = as_float(v); break;
      case 8: o.temperature = as_float(v); break;
      case 9: o.top_p = as_float(v); break;
      case 10: o.top_k = i; break;
      case 11: o.cfg_scale = as_float(v); break;
      case 12: o.threshold = as_float(v); break;
      case 13: o.factor = as_float(v); break;
      case 14: o.eos_logit_inf = i; break;
      case 15: o.eos_confidence_inf = i; break;
      case 16: o.seed = (static_cast<uint64_t>(v) << 32) | v; break;
      case 17: o.rope_scaling = as_float(v); break;
      case 18: o.policy = i; break;
      case 19: o.budget = i; break;
      case 20: o.profile = v % 3 == 0 ? nullptr : models()[(head + v % 3 - 1) % kNumModels].profile; break;
      case 21: o.online = i; break;
      case 22: o.prompt_refresh = i; break;
      case 23: o.response_refresh = i; break;
      case 24: o.rho = as_float(v); break;
      case 25: o.alpha = as_float(v); break;
      case 26: o.beta = as_float(v); break;
      case 27: o.window = i; break;
      case 28: o.pool_kernel = i; break;
      case 29: o.kv_memory_limit = static_cast<uint64_t>(v) << (v & 15); break;
      case 30: run_steps = static_cast<int>(v % 3); break;
      case 31: stats_size = v; break;
      case 32: one_shot = static_cast<int>(v & 1); break;
      case 33: o.gen_length = static_cast<int32_t>(v % 40) + 1; break;  // small, valid lengths
    }
  }
  const bool small = prompt.size() + static_cast<size_t>(std::max(o.gen_length, 0)) <= 96;

  maskkv_session* s = nullptr;
  maskkv_status st = maskkv_session_begin(L.model, prompt.data(), prompt.size(), &o, &s);
  expect_status(st, {MASKKV_OK, MASKKV_ERR_INVALID_ARGUMENT, MASKKV_ERR_UNSUPPORTED, MASKKV_ERR_OUT_OF_RANGE,
                     MASKKV_ERR_OUT_OF_MEMORY},
                "maskkv_session_begin");
  if (st != MASKKV_OK) {
    maskkv_fuzz::check(s == nullptr, "maskkv_session_begin failed but set out_session");
    maskkv_fuzz::check(maskkv_last_error()[0] != '\0', "a failure without a message");
    return 0;
  }
  int32_t done = 0;
  for (int k = 0; small && k < run_steps && !done; ++k)
    expect_status(maskkv_session_step(s, &done), {MASKKV_OK}, "maskkv_session_step");
  size_t n = 0;
  expect_status(maskkv_session_tokens(s, nullptr, 0, &n), {MASKKV_OK, MASKKV_ERR_BUFFER_TOO_SMALL}, "maskkv_session_tokens");
  std::vector<int32_t> toks(n);
  expect_status(maskkv_session_tokens(s, toks.data(), toks.size(), &n), {MASKKV_OK}, "maskkv_session_tokens");
  for (int32_t t : toks) maskkv_fuzz::check(t >= 0 && t < L.vocab, "a response id outside the vocabulary");
  std::vector<uint8_t> stats_buf(sizeof(maskkv_stats) + 64, 0xAB);
  maskkv_stats* stats = reinterpret_cast<maskkv_stats*>(stats_buf.data());
  stats->size = stats_size > sizeof(maskkv_stats) + 64 ? static_cast<uint32_t>(sizeof(maskkv_stats)) : stats_size;
  expect_status(maskkv_session_get_stats(s, stats), {MASKKV_OK, MASKKV_ERR_INVALID_ARGUMENT}, "maskkv_session_get_stats");
  for (size_t b = sizeof(maskkv_stats); b < stats_buf.size(); ++b)
    maskkv_fuzz::check(stats_buf[b] == 0xAB, "maskkv_session_get_stats wrote past the struct");
  expect_status(maskkv_session_cancel(s), {MASKKV_OK}, "maskkv_session_cancel");
  if (!done) expect_status(maskkv_session_step(s, &done), {MASKKV_ERR_CANCELLED}, "maskkv_session_step after cancel");
  maskkv_session_free(s);

  if (one_shot && small && o.gen_length <= 16 && (o.steps == 0 || o.steps <= 16)) {
    std::vector<int32_t> out(static_cast<size_t>(o.gen_length));
    st = maskkv_generate(L.model, prompt.data(), prompt.size(), &o, out.data(), out.size(), &n, nullptr);
    expect_status(st, {MASKKV_OK}, "maskkv_generate with options maskkv_session_begin accepted");
  }
  return 0;
}

}  // namespace

MASKKV_FUZZ_TARGET("options", fuzz_options)
