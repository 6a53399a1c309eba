/*
 * maskkv.h - the C ABI of maskkv, an inference engine for diffusion language models
 * (LLaDA, Dream) with MaskKV prompt K/V eviction.
 *
 * This is the only public header. Rules it keeps:
 *  - Opaque handles. A maskkv_model is immutable once loaded and may be shared by any number of
 *    threads. A maskkv_session holds one generation and is used by one thread at a time (except
 *    maskkv_session_cancel, which any thread may call).
 *  - Every fallible call returns a maskkv_status. On failure, maskkv_last_error() gives a message
 *    for the last failure on the calling thread, naming the file, field or value at fault.
 *    No exception, abort or exit crosses this boundary.
 *  - Option structs begin with their own size. Initialise them with the matching
 *    maskkv_*_default_options() call, then change fields; new fields are only ever appended, so a
 *    program built against an older header keeps working.
 *  - Buffers are pointer + capacity pairs. Calls that fill a buffer always report the size they
 *    need through their size_t* out-parameter; with a NULL buffer or too small a capacity they
 *    return MASKKV_ERR_BUFFER_TOO_SMALL and write nothing (the size query convention).
 *  - Strings are UTF-8, `const char*`, and owned by the library unless stated otherwise.
 */
#ifndef MASKKV_H
#define MASKKV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(MASKKV_BUILDING_LIBRARY)
#    define MASKKV_API __declspec(dllexport)
#  else
#    define MASKKV_API __declspec(dllimport)
#  endif
#else
#  define MASKKV_API __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------------------------- */
#define MASKKV_VERSION_MAJOR 0
#define MASKKV_VERSION_MINOR 1
#define MASKKV_VERSION_PATCH 0
#define MASKKV_VERSION_NUMBER \
  (MASKKV_VERSION_MAJOR * 10000 + MASKKV_VERSION_MINOR * 100 + MASKKV_VERSION_PATCH)

/* "MAJOR.MINOR.PATCH" of the library actually loaded (may differ from the header's macros). */
MASKKV_API const char* maskkv_version(void);
/* MASKKV_VERSION_NUMBER of the library actually loaded. */
MASKKV_API uint32_t maskkv_version_number(void);

/* ---------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------- */
typedef int32_t maskkv_status;
enum {
  MASKKV_OK = 0,
  MASKKV_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer, a bad option value, an inconsistent set */
  MASKKV_ERR_IO = 2,               /* a file or directory could not be opened or read */
  MASKKV_ERR_FORMAT = 3,           /* a file is corrupt, truncated or lies about its contents */
  MASKKV_ERR_UNSUPPORTED = 4,      /* valid but not supported (model type, dtype, feature) */
  MASKKV_ERR_OUT_OF_RANGE = 5,     /* an id past the vocabulary, a prompt past the context */
  MASKKV_ERR_OUT_OF_MEMORY = 6,    /* an allocation failed or a memory limit was hit */
  MASKKV_ERR_BUFFER_TOO_SMALL = 7, /* see the size query convention above */
  MASKKV_ERR_CANCELLED = 8,        /* maskkv_session_cancel() was called */
  MASKKV_ERR_NOT_FOUND = 9,        /* an optional part (tokenizer, chat template) is absent */
  MASKKV_ERR_INTERNAL = 10         /* a bug in maskkv: please report it with the message */
};

/* The message of the last failed call on this thread ("" if none). Valid until the next call
 * into maskkv on this thread. */
MASKKV_API const char* maskkv_last_error(void);
/* A short constant name for a status, e.g. "MASKKV_ERR_FORMAT". */
MASKKV_API const char* maskkv_status_name(maskkv_status status);

/* ---------------------------------------------------------------------------------------------
 * Models
 * ------------------------------------------------------------------------------------------- */
typedef struct maskkv_model maskkv_model;

enum {
  MASKKV_BACKEND_AUTO = 0, /* CUDA when built with it and a device is present, else CPU */
  MASKKV_BACKEND_CPU = 1,
  MASKKV_BACKEND_CUDA = 2
};

/* What the loader does with the linear weights (every layer's projections and the LM head;
 * the token embedding and the norms stay as stored). See docs/quantization.md. */
enum {
  MASKKV_WEIGHT_TYPE_AUTO = 0, /* as stored in the file */
  MASKKV_WEIGHT_TYPE_BF16 = 1, /* converted to bf16 (F32/F16 files; BF16 stays as is) */
  MASKKV_WEIGHT_TYPE_Q8_0 = 2, /* quantized to ggml's Q8_0 blocks at load; CPU backend only */
  MASKKV_WEIGHT_TYPE_Q4_0 = 3  /* quantized to ggml's Q4_0 blocks at load; CPU backend only */
};

typedef struct maskkv_model_options {
  uint32_t size;     /* sizeof(maskkv_model_options) */
  int32_t backend;   /* MASKKV_BACKEND_*; default AUTO */
  int32_t n_threads; /* CPU threads, 0 to 1024; 0 = one per core (default) */
  int32_t weight_type; /* MASKKV_WEIGHT_TYPE_*; default AUTO */
} maskkv_model_options;

MASKKV_API void maskkv_model_default_options(maskkv_model_options* options);

/* Loads a Hugging Face model directory: config.json plus model.safetensors, or sharded
 * model-*.safetensors with model.safetensors.index.json (F32, BF16 or F16). Weights are
 * memory-mapped and stay in their file dtype unless options->weight_type converts the linear
 * weights at load. A tokenizer in the directory is loaded too.
 * `directory` may also name a LLaDA or Dream GGUF file (llama.cpp's format, recognised by its
 * magic; F32/F16/BF16 and Q8_0/Q4_0 tensors memory-mapped and used as stored (the Q8_0/Q4_0
 * blocks on the CPU backend only, which on CPUs with AVX512-VNNI copies the linear weights'
 * blocks once into its interleaved order), Q4_K/Q6_K dequantized to bf16, options->weight_type applied
 * as for safetensors, the tokenizer from its metadata; see docs/gguf.md). options may be NULL
 * for defaults. */
MASKKV_API maskkv_status maskkv_model_load(const char* directory,
                                           const maskkv_model_options* options,
                                           maskkv_model** out_model);
MASKKV_API void maskkv_model_free(maskkv_model* model);

enum { MASKKV_FAMILY_LLADA = 1, MASKKV_FAMILY_DREAM = 2 };

typedef struct maskkv_model_info {
  uint32_t size;          /* sizeof(maskkv_model_info), set by the caller */
  int32_t family;         /* MASKKV_FAMILY_* */
  int32_t n_layers;
  int32_t d_model;
  int32_t n_heads;
  int32_t n_kv_heads;
  int32_t head_dim;
  int32_t mlp_hidden;
  int32_t vocab_size;     /* rows of the LM head: ids are valid in [0, vocab_size) */
  int32_t max_seq_len;    /* prompt + gen_length may not exceed it */
  int32_t mask_id;
  int32_t bos_id;         /* -1 when the model has none */
  int32_t eos_id;
  int32_t eot_id;         /* end of turn (<|eot_id|>, <|im_end|>); -1 when none */
  float rope_theta;
  float rms_norm_eps;
  int32_t weight_dtype;   /* MASKKV_DTYPE_* of the projection weights */
  int32_t backend;        /* the backend actually in use: MASKKV_BACKEND_CPU or _CUDA */
  uint64_t n_params;
  uint64_t weight_bytes;
} maskkv_model_info;

enum {
  MASKKV_DTYPE_F32 = 0,
  MASKKV_DTYPE_BF16 = 1,
  MASKKV_DTYPE_F16 = 2,
  MASKKV_DTYPE_Q8_0 = 3, /* ggml's Q8_0 blocks (34 bytes per 32 values) */
  MASKKV_DTYPE_Q4_0 = 4  /* ggml's Q4_0 blocks (18 bytes per 32 values) */
};

MASKKV_API maskkv_status maskkv_model_get_info(const maskkv_model* model, maskkv_model_info* info);

/* ---------------------------------------------------------------------------------------------
 * Generation options
 * ------------------------------------------------------------------------------------------- */
enum { MASKKV_SAMPLER_AUTO = 0, MASKKV_SAMPLER_LLADA = 1, MASKKV_SAMPLER_DREAM = 2 };
enum { MASKKV_REMASK_LOW_CONFIDENCE = 0, MASKKV_REMASK_RANDOM = 1 };
enum {
  MASKKV_ALG_ORIGIN = 0,
  MASKKV_ALG_MASKGIT_PLUS = 1,
  MASKKV_ALG_TOPK_MARGIN = 2,
  MASKKV_ALG_ENTROPY = 3
};

/* Prompt K/V policies (docs/eviction.md). NONE recomputes the whole sequence at every step;
 * FULL is dLLM-Cache without eviction; the others evict prompt K/V at the prefill. */
enum {
  MASKKV_POLICY_NONE = 0,
  MASKKV_POLICY_FULL = 1,
  MASKKV_POLICY_MASKKV = 2,
  MASKKV_POLICY_SNAPKV = 3,
  MASKKV_POLICY_PYRAMIDKV = 4,
  MASKKV_POLICY_SQUEEZEATTENTION = 5,
  MASKKV_POLICY_ADAKV = 6
};

/* A MaskKV calibration profile (per-layer importance, per-head prompt preference), bound to the
 * model it was measured on. Immutable; shareable across threads. */
typedef struct maskkv_profile maskkv_profile;

typedef struct maskkv_generate_options {
  uint32_t size;            /* sizeof(maskkv_generate_options) */
  int32_t gen_length;       /* response length in tokens; default 64 */
  int32_t steps;            /* denoising steps; 0 = gen_length (default) */
  int32_t block_length;     /* LLaDA semi-autoregressive blocks; 0 = gen_length (default) */
  int32_t sampler;          /* MASKKV_SAMPLER_*; AUTO = the model family's own (default) */
  int32_t remasking;        /* LLaDA: MASKKV_REMASK_*; default LOW_CONFIDENCE */
  int32_t alg;              /* Dream: MASKKV_ALG_*; default ENTROPY */
  float alg_temp;           /* Dream: 0 = take the top n (default) */
  float temperature;        /* 0 = greedy (default) */
  float top_p;              /* Dream: 1 = off (default) */
  int32_t top_k;            /* Dream: 0 = off (default) */
  float cfg_scale;          /* LLaDA classifier-free guidance; 0 = off (default) */
  float threshold;          /* Fast-dLLM threshold rule; 0 = off (default) */
  float factor;             /* Fast-dLLM factor rule; 0 = off (default) */
  int32_t eos_logit_inf;    /* LLaDA: force the EOS logit to -inf; default 0 */
  int32_t eos_confidence_inf; /* LLaDA: EOS/EoT proposals get -inf confidence; default 0 */
  uint64_t seed;            /* RNG seed; same seed + backend = same output; default 0 */
  float rope_scaling;       /* NTK factor on the RoPE base (LongLLaDA); 1 = none (default);
                               0 = chosen for prompt + gen_length by the LongLLaDA formula */
  /* Caching and eviction (docs/eviction.md). */
  int32_t policy;           /* MASKKV_POLICY_*; default NONE */
  int32_t budget;           /* average prompt K/V pairs kept per head; default 256 */
  const maskkv_profile* profile; /* MASKKV offline budgets; NULL = none (default) */
  int32_t online;           /* MASKKV: budgets from this prompt instead of a profile; default 0 */
  int32_t prompt_refresh;   /* dLLM-Cache Kp; 0 = family default (LLaDA 50, Dream 25) */
  int32_t response_refresh; /* dLLM-Cache Kr; 0 = family default (LLaDA 5, Dream 2) */
  float rho;                /* share of response tokens refreshed between refreshes; 0.25 */
  float alpha;              /* MaskKV head allocation mix; 0.1 */
  float beta;               /* MaskKV base share of the budget; 0.4 */
  int32_t window;           /* SnapKV observation window; 32 */
  int32_t pool_kernel;      /* SnapKV max-pooling kernel (odd); 7 */
  uint64_t kv_memory_limit; /* bytes of K/V and feature cache a session may hold at its peak;
                               exceeding it fails at maskkv_session_begin with
                               MASKKV_ERR_OUT_OF_MEMORY, before anything is allocated; 0 = none */
} maskkv_generate_options;

MASKKV_API void maskkv_generate_default_options(maskkv_generate_options* options);

/* Introspection of maskkv_generate_options: one entry per field, in the struct's order, with its
 * kind, default and valid range. It is what the `maskkv` CLI builds its flags and --help from,
 * and lets any client list, document or set the options without restating them. */
enum {
  MASKKV_OPTION_INT = 0,    /* int32_t */
  MASKKV_OPTION_UINT64 = 1, /* uint64_t; every value is valid */
  MASKKV_OPTION_FLOAT = 2,  /* float */
  MASKKV_OPTION_BOOL = 3,   /* int32_t: 0 or 1 */
  MASKKV_OPTION_CHOICE = 4, /* int32_t: value i is the i-th name of `choices` */
  MASKKV_OPTION_PROFILE = 5 /* const maskkv_profile* */
};

typedef struct maskkv_option_info {
  uint32_t size;         /* sizeof(maskkv_option_info), set by the caller */
  int32_t type;          /* MASKKV_OPTION_* */
  const char* name;      /* the field's name, e.g. "gen_length" */
  const char* choices;   /* CHOICE: the value names in value order, separated by '|'; else "" */
  const char* help;      /* one line for users */
  double default_value;  /* what maskkv_generate_default_options() sets (0 for PROFILE: NULL) */
  double min_value;      /* the valid range, inclusive: values outside it fail at */
  double max_value;      /*   maskkv_session_begin with MASKKV_ERR_INVALID_ARGUMENT */
  uint64_t offset;       /* offsetof(maskkv_generate_options, <name>) */
} maskkv_option_info;

/* The number of fields of maskkv_generate_options that this library knows. */
MASKKV_API size_t maskkv_generate_option_count(void);
/* Fills *info for field `index` (0 <= index < maskkv_generate_option_count()); the strings are
 * static. MASKKV_ERR_OUT_OF_RANGE for an index past the last field. */
MASKKV_API maskkv_status maskkv_generate_option_info(size_t index, maskkv_option_info* info);

typedef struct maskkv_stats {
  uint32_t size;            /* sizeof(maskkv_stats), set by the caller */
  int32_t steps;            /* denoising steps taken so far */
  int32_t forward_passes;   /* model evaluations (CFG counts two per step) */
  int32_t masks_left;       /* response positions still masked */
  int32_t last_committed;   /* tokens committed by the last step */
  double seconds;           /* wall time spent inside maskkv_session_step so far */
  uint64_t peak_rss_bytes;  /* the process's peak resident set size */
  int64_t kv_pairs_kept;    /* prompt K/V pairs kept, summed over layers and KV heads */
  uint64_t kv_bytes_peak;   /* the most K/V bytes held at once (transient full-layer K/V too) */
  double prefill_seconds;   /* the first forward pass (prompt + masks) */
  uint64_t gpu_peak_bytes;  /* CUDA backend: the most device memory maskkv held at once since the
                               model was loaded (weights, activations, caches); 0 on the CPU */
} maskkv_stats;

/* ---------------------------------------------------------------------------------------------
 * Sessions: pull-style streaming
 *   maskkv_session_begin -> maskkv_session_step (until *done) -> read tokens -> free
 * ------------------------------------------------------------------------------------------- */
typedef struct maskkv_session maskkv_session;

/* options may be NULL for defaults. Validates everything (ids, lengths, divisibility) up front.
 * An option set away from its default where the sampler or policy in use would ignore it (top_k
 * with the LLaDA sampler, budget with policy NONE, a profile without policy MASKKV, ...) fails
 * with MASKKV_ERR_UNSUPPORTED naming the option and why, rather than doing nothing. */
MASKKV_API maskkv_status maskkv_session_begin(const maskkv_model* model, const int32_t* prompt,
                                              size_t n_prompt,
                                              const maskkv_generate_options* options,
                                              maskkv_session** out_session);
/* Runs one denoising step. *done becomes 1 when every response position is committed. */
MASKKV_API maskkv_status maskkv_session_step(maskkv_session* session, int32_t* done);
/* The current response (gen_length ids; positions still masked hold the mask id). */
MASKKV_API maskkv_status maskkv_session_tokens(const maskkv_session* session, int32_t* tokens,
                                               size_t capacity, size_t* n_tokens);
MASKKV_API maskkv_status maskkv_session_get_stats(const maskkv_session* session,
                                                  maskkv_stats* stats);
/* Asks the session to stop: the next (or current) step returns MASKKV_ERR_CANCELLED. Safe to
 * call from any thread while another thread steps. */
MASKKV_API maskkv_status maskkv_session_cancel(maskkv_session* session);
MASKKV_API void maskkv_session_free(maskkv_session* session);

/* One-shot generation: begin, step to the end, copy the gen_length response ids out. stats may
 * be NULL. */
MASKKV_API maskkv_status maskkv_generate(const maskkv_model* model, const int32_t* prompt,
                                         size_t n_prompt, const maskkv_generate_options* options,
                                         int32_t* tokens, size_t capacity, size_t* n_tokens,
                                         maskkv_stats* stats);

/* "none", "full", "maskkv", ... for a MASKKV_POLICY_* value ("unknown" otherwise). */
MASKKV_API const char* maskkv_policy_name(int32_t policy);
/* The MASKKV_POLICY_* value of a name; MASKKV_ERR_INVALID_ARGUMENT for an unknown name. */
MASKKV_API maskkv_status maskkv_policy_from_name(const char* name, int32_t* policy);

/* ---------------------------------------------------------------------------------------------
 * MaskKV profiles and calibration
 * ------------------------------------------------------------------------------------------- */
/* Loads a profile written by maskkv_calibrator_save; a profile measured on another model is
 * rejected (MASKKV_ERR_INVALID_ARGUMENT), a corrupt file is MASKKV_ERR_FORMAT. */
MASKKV_API maskkv_status maskkv_profile_load(const maskkv_model* model, const char* path,
                                             maskkv_profile** out_profile);
MASKKV_API void maskkv_profile_free(maskkv_profile* profile);

typedef struct maskkv_calibrator maskkv_calibrator;
/* Calibration runs the prefill (prompt + gen_length masks) of each sample; pull-style so that a
 * caller can report progress between samples. */
MASKKV_API maskkv_status maskkv_calibrator_begin(const maskkv_model* model, int32_t gen_length,
                                                 maskkv_calibrator** out_calibrator);
MASKKV_API maskkv_status maskkv_calibrator_add(maskkv_calibrator* calibrator,
                                               const int32_t* prompt, size_t n_prompt);
MASKKV_API maskkv_status maskkv_calibrator_save(const maskkv_calibrator* calibrator,
                                                const char* path);
MASKKV_API void maskkv_calibrator_free(maskkv_calibrator* calibrator);

/* ---------------------------------------------------------------------------------------------
 * Tokenizers
 * ------------------------------------------------------------------------------------------- */
typedef struct maskkv_tokenizer maskkv_tokenizer;

/* Loads a tokenizer.json, a SentencePiece .model, a model directory holding either, or the
 * tokenizer.ggml.* metadata of a GGUF file. */
MASKKV_API maskkv_status maskkv_tokenizer_load(const char* path, maskkv_tokenizer** out);
MASKKV_API void maskkv_tokenizer_free(maskkv_tokenizer* tokenizer);
/* The model's own tokenizer, owned by the model (do not free). MASKKV_ERR_NOT_FOUND if the
 * model directory had none. */
MASKKV_API maskkv_status maskkv_model_get_tokenizer(const maskkv_model* model,
                                                    const maskkv_tokenizer** out);

/* Text (UTF-8, text_len bytes) to ids. add_special adds the tokenizer's BOS/EOS as its
 * post-processor says, except that a BOS the text already begins with (a rendered chat prompt)
 * is not added a second time. Special-token text in `text` ("<|eot_id|>") becomes the special
 * token, as in Hugging Face tokenizers; use maskkv_tokenize_chat for user content. Invalid
 * UTF-8 is an error (MASKKV_ERR_INVALID_ARGUMENT). */
MASKKV_API maskkv_status maskkv_tokenize(const maskkv_tokenizer* tokenizer, const char* text,
                                         size_t text_len, int32_t add_special, int32_t* ids,
                                         size_t capacity, size_t* n_ids);
/* Ids to UTF-8 text (not NUL-terminated; *text_len bytes). */
MASKKV_API maskkv_status maskkv_detokenize(const maskkv_tokenizer* tokenizer, const int32_t* ids,
                                           size_t n_ids, int32_t skip_special, char* text,
                                           size_t capacity, size_t* text_len);

typedef struct maskkv_chat_message {
  const char* role;    /* "system", "user" or "assistant" */
  const char* content;
} maskkv_chat_message;

/* Renders messages with a chat template: template_name NULL picks the one the tokenizer's
 * directory names (tokenizer_config.json); "llada", "chatml" (Dream) and "llama3" override, and
 * so does the path of a Jinja chat template file of one of those families (recognised, not
 * interpreted). The text keeps message contents verbatim: tokenizing it turns special-token
 * text inside them into special tokens, which maskkv_tokenize_chat avoids. */
MASKKV_API maskkv_status maskkv_apply_chat_template(const maskkv_tokenizer* tokenizer,
                                                    const char* template_name,
                                                    const maskkv_chat_message* messages,
                                                    size_t n_messages,
                                                    int32_t add_generation_prompt, char* text,
                                                    size_t capacity, size_t* text_len);

typedef struct maskkv_chat_options {
  uint32_t size;                 /* sizeof(maskkv_chat_options) */
  int32_t add_generation_prompt; /* end with the assistant's header; default 1 */
  const char* template_name;     /* as for maskkv_apply_chat_template; NULL (default) = the
                                    tokenizer's own */
  int32_t parse_special;         /* 0 (default): special-token text inside message contents
                                    ("<|eot_id|>", "<|mdm_mask|>") is encoded as plain text, so
                                    a user cannot inject turn markers; 1: it becomes the special
                                    token, as tokenizing the rendered text would */
} maskkv_chat_options;

MASKKV_API void maskkv_chat_default_options(maskkv_chat_options* options);

/* Renders messages with a chat template and tokenizes the result: the template's markers
 * (and its BOS) become special tokens, message contents are text (see parse_special). No other
 * special tokens are added. options may be NULL for defaults. MASKKV_ERR_NOT_FOUND when no
 * template is given and the tokenizer names none. */
MASKKV_API maskkv_status maskkv_tokenize_chat(const maskkv_tokenizer* tokenizer,
                                              const maskkv_chat_message* messages,
                                              size_t n_messages,
                                              const maskkv_chat_options* options, int32_t* ids,
                                              size_t capacity, size_t* n_ids);

#ifdef __cplusplus
}
#endif

#endif /* MASKKV_H */
