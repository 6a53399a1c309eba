// Policies, MaskKV profiles and calibration through the C ABI.
#include "api/guard.h"
#include "api/handles.h"

using namespace maskkv;

extern "C" {

MASKKV_API const char* maskkv_policy_name(int32_t policy) {
  if (policy < MASKKV_POLICY_NONE || policy > MASKKV_POLICY_ADAKV) return "unknown";
  return maskkv::policy_name(static_cast<Policy>(policy));
}

MASKKV_API maskkv_status maskkv_policy_from_name(const char* name, int32_t* policy) {
  return api::guard([&] {
    api::require_arg(name, "name");
    api::require_arg(policy, "policy");
    *policy = static_cast<int32_t>(parse_policy(name));
  });
}

MASKKV_API maskkv_status maskkv_profile_load(const maskkv_model* model, const char* path,
                                             maskkv_profile** out_profile) {
  return api::guard([&] {
    api::require_arg(model, "model");
    api::require_arg(path, "path");
    api::require_arg(out_profile, "out_profile");
    *out_profile = nullptr;
    auto p = std::make_unique<maskkv_profile>();
    auto profile = std::make_shared<Profile>(load_profile(path, model->impl->fingerprint()));
    const ModelSpec& s = model->impl->spec();
    if (profile->n_layers != s.n_layers || profile->n_kv_heads != s.n_kv_heads)
      fail(Code::invalid_argument, std::string(path) + " describes " + std::to_string(profile->n_layers) +
                                       " layers x " + std::to_string(profile->n_kv_heads) + " KV heads, the model has " +
                                       std::to_string(s.n_layers) + " x " + std::to_string(s.n_kv_heads));
    p->impl = std::move(profile);
    *out_profile = p.release();
  });
}

MASKKV_API void maskkv_profile_free(maskkv_profile* profile) { delete profile; }

MASKKV_API maskkv_status maskkv_calibrator_begin(const maskkv_model* model, int32_t gen_length,
                                                 maskkv_calibrator** out) {
  return api::guard([&] {
    api::require_arg(model, "model");
    api::require_arg(out, "out_calibrator");
    *out = nullptr;
    auto c = std::make_unique<maskkv_calibrator>();
    c->impl = std::make_unique<Calibrator>(model->impl, gen_length);
    *out = c.release();
  });
}

MASKKV_API maskkv_status maskkv_calibrator_add(maskkv_calibrator* calibrator, const int32_t* prompt,
                                               size_t n_prompt) {
  return api::guard([&] {
    api::require_arg(calibrator, "calibrator");
    if (n_prompt > 0) api::require_arg(prompt, "prompt");
    calibrator->impl->add_sample(std::vector<int32_t>(prompt, prompt + n_prompt));
  });
}

MASKKV_API maskkv_status maskkv_calibrator_save(const maskkv_calibrator* calibrator, const char* path) {
  return api::guard([&] {
    api::require_arg(calibrator, "calibrator");
    api::require_arg(path, "path");
    save_profile(calibrator->impl->profile(), path);
  });
}

MASKKV_API void maskkv_calibrator_free(maskkv_calibrator* calibrator) { delete calibrator; }

}  // extern "C"
