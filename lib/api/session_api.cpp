// Sessions (pull-style streaming) and one-shot generation through the C ABI.
#include <cmath>
#include <cstddef>

#include "api/guard.h"
#include "api/handles.h"
#include "api/options.h"

using namespace maskkv;

namespace {

GenerateOptions to_engine(const maskkv_generate_options& o) {
  GenerateOptions g;
  g.gen_length = o.gen_length;
  g.steps = o.steps;
  g.block_length = o.block_length;
  if (o.sampler < MASKKV_SAMPLER_AUTO || o.sampler > MASKKV_SAMPLER_DREAM)
    fail(Code::invalid_argument, "sampler = " + std::to_string(o.sampler) + " is not a MASKKV_SAMPLER_* value");
  if (o.remasking != MASKKV_REMASK_LOW_CONFIDENCE && o.remasking != MASKKV_REMASK_RANDOM)
    fail(Code::invalid_argument, "remasking = " + std::to_string(o.remasking) + " is not a MASKKV_REMASK_* value");
  if (o.alg < MASKKV_ALG_ORIGIN || o.alg > MASKKV_ALG_ENTROPY)
    fail(Code::invalid_argument, "alg = " + std::to_string(o.alg) + " is not a MASKKV_ALG_* value");
  g.sampler = static_cast<SamplerKind>(o.sampler);
  g.remasking = static_cast<Remasking>(o.remasking);
  g.alg = static_cast<DreamAlg>(o.alg);
  g.alg_temp = o.alg_temp;
  g.temperature = o.temperature;
  g.top_p = o.top_p;
  g.top_k = o.top_k;
  g.cfg_scale = o.cfg_scale;
  g.threshold = o.threshold;
  g.factor = o.factor;
  g.eos_logit_inf = o.eos_logit_inf != 0;
  g.eos_confidence_inf = o.eos_confidence_inf != 0;
  g.seed = o.seed;
  g.rope_scaling = o.rope_scaling;
  if (o.policy < MASKKV_POLICY_NONE || o.policy > MASKKV_POLICY_ADAKV)
    fail(Code::invalid_argument, "policy = " + std::to_string(o.policy) + " is not a MASKKV_POLICY_* value");
  g.cache.policy = static_cast<Policy>(o.policy);
  g.cache.budget = o.budget;
  if (o.profile) g.cache.profile = o.profile->impl;
  g.cache.online = o.online != 0;
  g.cache.prompt_refresh = o.prompt_refresh;
  g.cache.response_refresh = o.response_refresh;
  g.cache.rho = o.rho;
  g.cache.alpha = o.alpha;
  g.cache.beta = o.beta;
  g.cache.window = o.window;
  g.cache.pool_kernel = o.pool_kernel;
  g.cache.memory_limit = o.kv_memory_limit;
  return g;
}

void fill_stats(const Session& s, maskkv_stats* stats) {
  api::require_arg(stats, "stats");
  if (stats->size < sizeof(uint32_t) + sizeof(int32_t))
    fail(Code::invalid_argument, "maskkv_stats.size = " + std::to_string(stats->size) +
                                     " is too small; set it to sizeof(maskkv_stats)");
  SessionStats st = s.stats();
  maskkv_stats out{};
  out.size = sizeof(out);
  out.steps = st.steps;
  out.forward_passes = st.forward_passes;
  out.masks_left = st.masks_left;
  out.last_committed = st.last_committed;
  out.seconds = st.seconds;
  out.peak_rss_bytes = st.peak_rss_bytes;
  out.kv_pairs_kept = st.kv_pairs_kept;
  out.kv_bytes_peak = st.kv_bytes_peak;
  out.prefill_seconds = st.prefill_seconds;
  out.gpu_peak_bytes = st.gpu_peak_bytes;
  const uint32_t keep = stats->size < sizeof(out) ? stats->size : static_cast<uint32_t>(sizeof(out));
  std::memcpy(stats, &out, keep);
  stats->size = keep;
}

// A struct size that ends inside an 8-byte field would copy part of it (a torn pointer for
// `profile`): only sizes at the end of a field are valid.
void check_size_on_field_boundary(const maskkv_generate_options* o) {
  if (o == nullptr) return;
  for (size_t off : {offsetof(maskkv_generate_options, seed), offsetof(maskkv_generate_options, profile),
                     offsetof(maskkv_generate_options, kv_memory_limit)})
    if (o->size > off && o->size < off + 8)
      fail(Code::invalid_argument, "maskkv_generate_options.size = " + std::to_string(o->size) +
                                       " ends inside a field (use sizeof(maskkv_generate_options))");
}

std::unique_ptr<Session> begin(const maskkv_model* model, const int32_t* prompt, size_t n_prompt,
                               const maskkv_generate_options* options) {
  api::require_arg(model, "model");
  check_size_on_field_boundary(options);
  if (n_prompt > 0) api::require_arg(prompt, "prompt");
  maskkv_generate_options o =
      api::read_options(options, maskkv_generate_default_options, "maskkv_generate_options");
  std::vector<int32_t> ids(prompt, prompt + n_prompt);
  return std::make_unique<Session>(model->impl, ids, to_engine(o));
}

}  // namespace

extern "C" {

MASKKV_API void maskkv_generate_default_options(maskkv_generate_options* o) {
  if (!o) return;
  *o = maskkv_generate_options{};
  o->size = sizeof(*o);
  o->gen_length = 64;
  o->steps = 0;
  o->block_length = 0;
  o->sampler = MASKKV_SAMPLER_AUTO;
  o->remasking = MASKKV_REMASK_LOW_CONFIDENCE;
  o->alg = MASKKV_ALG_ENTROPY;
  o->alg_temp = 0.0f;
  o->temperature = 0.0f;
  o->top_p = 1.0f;
  o->top_k = 0;
  o->cfg_scale = 0.0f;
  o->threshold = 0.0f;
  o->factor = 0.0f;
  o->eos_logit_inf = 0;
  o->eos_confidence_inf = 0;
  o->seed = 0;
  o->rope_scaling = 1.0f;
  o->policy = MASKKV_POLICY_NONE;
  o->budget = 256;
  o->profile = NULL;
  o->online = 0;
  o->prompt_refresh = 0;
  o->response_refresh = 0;
  o->rho = 0.25f;
  o->alpha = 0.1f;
  o->beta = 0.4f;
  o->window = 32;
  o->pool_kernel = 7;
  o->kv_memory_limit = 0;
}

MASKKV_API maskkv_status maskkv_session_begin(const maskkv_model* model, const int32_t* prompt,
                                              size_t n_prompt,
                                              const maskkv_generate_options* options,
                                              maskkv_session** out_session) {
  return api::guard([&] {
    api::require_arg(out_session, "out_session");
    *out_session = nullptr;
    auto handle = std::make_unique<maskkv_session>();
    handle->impl = begin(model, prompt, n_prompt, options);
    *out_session = handle.release();
  });
}

MASKKV_API maskkv_status maskkv_session_step(maskkv_session* session, int32_t* done) {
  return api::guard([&] {
    api::require_arg(session, "session");
    bool finished = session->impl->step();
    if (done) *done = finished ? 1 : 0;
  });
}

MASKKV_API maskkv_status maskkv_session_tokens(const maskkv_session* session, int32_t* tokens,
                                               size_t capacity, size_t* n_tokens) {
  return api::guard([&] {
    api::require_arg(session, "session");
    std::vector<int32_t> r = session->impl->response();
    api::copy_out(r.data(), r.size(), tokens, capacity, n_tokens, "tokens");
  });
}

MASKKV_API maskkv_status maskkv_session_get_stats(const maskkv_session* session,
                                                  maskkv_stats* stats) {
  return api::guard([&] {
    api::require_arg(session, "session");
    fill_stats(*session->impl, stats);
  });
}

MASKKV_API maskkv_status maskkv_session_cancel(maskkv_session* session) {
  return api::guard([&] {
    api::require_arg(session, "session");
    session->impl->cancel();
  });
}

MASKKV_API void maskkv_session_free(maskkv_session* session) { delete session; }

MASKKV_API maskkv_status maskkv_generate(const maskkv_model* model, const int32_t* prompt,
                                         size_t n_prompt, const maskkv_generate_options* options,
                                         int32_t* tokens, size_t capacity, size_t* n_tokens,
                                         maskkv_stats* stats) {
  return api::guard([&] {
    api::require_arg(n_tokens, "n_tokens");
    std::unique_ptr<Session> s = begin(model, prompt, n_prompt, options);
    const size_t need = static_cast<size_t>(s->options().gen_length);
    *n_tokens = need;
    if (tokens == nullptr || capacity < need)
      fail(Code::buffer_too_small, "tokens: buffer holds " + std::to_string(capacity) + " but " +
                                       std::to_string(need) + " are needed");
    while (!s->step()) {
    }
    std::vector<int32_t> r = s->response();
    api::copy_out(r.data(), r.size(), tokens, capacity, n_tokens, "tokens");
    if (stats) fill_stats(*s, stats);
  });
}

}  // extern "C"
