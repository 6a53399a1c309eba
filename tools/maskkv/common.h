// Helpers shared by the subcommands.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

#include "maskkv.h"

namespace cli {

// Thrown when a maskkv call fails; main paths print "maskkv: <message>" and exit 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws Failure carrying maskkv_last_error() when status is not MASKKV_OK.
inline void check(maskkv_status status, const char* what) {
  if (status != MASKKV_OK)
    throw Failure(std::string(what) + ": " + maskkv_last_error() + " [" +
                  maskkv_status_name(status) + "]");
}

// check() for maskkv_session_begin: a prompt past the context also says how to widen it.
inline void check_begin(maskkv_status status) {
  if (status == MASKKV_ERR_OUT_OF_RANGE && std::string(maskkv_last_error()).find("exceeds the context") != std::string::npos)
    throw Failure(std::string("starting generation: ") + maskkv_last_error() + " [" + maskkv_status_name(status) +
                  "]; --rope-scaling 0 stretches the context to fit (LongLLaDA NTK scaling), or shorten the prompt");
  check(status, "starting generation");
}

// Owns a loaded model.
struct ModelHandle {
  maskkv_model* model = nullptr;
  ModelHandle(const std::string& dir, int backend, int threads, int weight_type = MASKKV_WEIGHT_TYPE_AUTO) {
    maskkv_model_options o;
    maskkv_model_default_options(&o);
    o.backend = backend;
    o.n_threads = threads;
    o.weight_type = weight_type;
    check(maskkv_model_load(dir.c_str(), &o, &model), "loading the model");
  }
  ~ModelHandle() { maskkv_model_free(model); }
  ModelHandle(const ModelHandle&) = delete;
  ModelHandle& operator=(const ModelHandle&) = delete;
};

// Owns the MaskKV profile loaded for `model` from `path` when `given` (the --profile option).
struct ProfileHandle {
  maskkv_profile* profile = nullptr;
  ProfileHandle(maskkv_model* model, bool given, const std::string& path) {
    if (given) check(maskkv_profile_load(model, path.c_str(), &profile), "loading the profile");
  }
  ~ProfileHandle() { maskkv_profile_free(profile); }
  ProfileHandle(const ProfileHandle&) = delete;
  ProfileHandle& operator=(const ProfileHandle&) = delete;
};

// Runs a subcommand body, mapping UsageError to exit 2 (one line, and where the help is) and
// Failure to exit 1.
template <class F>
int run_command(const char* command, F&& body);

}  // namespace cli

#include "args.h"

template <class F>
int cli::run_command(const char* command, F&& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "maskkv %s: %s\nTry 'maskkv %s --help' for the options.\n", command, e.what(),
                 command);
    return 2;
  } catch (const Failure& e) {
    std::fprintf(stderr, "maskkv: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "maskkv: %s\n", e.what());
    return 1;
  }
}

namespace cli {

// --threads: 0 (one per core) to 1024, the range include/maskkv.h gives n_threads.
inline int thread_option(const Args& args) { return static_cast<int>(args.integer_in("threads", 0, 0, 1024)); }

// --weight-type auto|bf16|q8_0|q4_0: MASKKV_WEIGHT_TYPE_* (the choices are in that order).
inline int weight_type_option(const Args& args) {
  return args.choice("weight-type", {"auto", "bf16", "q8_0", "q4_0"}, MASKKV_WEIGHT_TYPE_AUTO);
}

}  // namespace cli
