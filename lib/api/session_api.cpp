// Sessions (pull-style streaming) and one-shot generation through the C ABI.
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "api/guard.h"
#include "api/handles.h"
#include "api/options.h"
#include "api/option_layout.h"

using namespace maskkv;

namespace {

// Sets a field of the engine's options from the C field of the same row of the option table.
template <class Member, class Field>
void assign(Member& member, const Field& field) {
  if constexpr (std::is_same_v<Member, bool>)
    member = field != 0;
  else
    member = static_cast<Member>(field);  // enums by value: the table's range check comes next
}
void assign(std::shared_ptr<const Profile>& member, const maskkv_profile* profile) {
  member = profile ? profile->impl : nullptr;
}

// maskkv_generate_options in engine types, row by row of the option table; resolve_options
// checks every value against its row.
GenerateOptions to_engine(const maskkv_generate_options& o) {
  GenerateOptions g;
#define MASKKV_ASSIGN_OPTION(name, kind, def, lo, hi, member, choices, help) assign(g.member, o.name);
  MASKKV_GENERATE_OPTIONS(MASKKV_ASSIGN_OPTION)
#undef MASKKV_ASSIGN_OPTION
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
  for (const api::OptionField& f : api::kGenerateOptionFields)
    if (f.size > 4 && o->size > f.offset && o->size < f.offset + f.size)
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
  auto set = [](auto& field, GenOpt id) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_pointer_v<T>)
      field = nullptr;
    else
      field = static_cast<T>(option_spec(id).default_value);
  };
#define MASKKV_SET_DEFAULT(name, kind, def, lo, hi, member, choices, help) set(o->name, GenOpt::name);
  MASKKV_GENERATE_OPTIONS(MASKKV_SET_DEFAULT)
#undef MASKKV_SET_DEFAULT
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
