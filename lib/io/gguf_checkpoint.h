// A LLaDA or Dream GGUF file (as llama.cpp's convert_hf_to_gguf.py writes them) seen as a
// Checkpoint: its metadata become the config.json the model directory would hold and its
// tensors take their Hugging Face names, so parse_model_spec and bind_weights serve both.
//
// F32, F16, BF16, Q8_0 and Q4_0 tensors stay in the memory map in their own type (ggml's Q8_0
// and Q4_0 blocks are DType::q8_0 / q4_0, core/quant_blocks.h). K-quants (Q4_K, Q6_K) are
// dequantized to bf16 at load, as ggml's dequantize_row_* computes them. LLaDA's query
// and key rows, which the converter reorders for llama.cpp's rotary embedding (adjacent pairs),
// are put back in the Hugging Face order (halves) that maskkv's rotary embedding uses.
#pragma once

#include <memory>
#include <string>

#include "io/checkpoint.h"
#include "io/gguf.h"

namespace maskkv {

// Throws Error(format) naming the file and the metadata key or tensor at fault,
// Error(unsupported) for architectures, tensor types and features maskkv does not run.
std::unique_ptr<Checkpoint> load_gguf_checkpoint(const std::string& path);

// The same from an image already parsed (tests); `keep` owns the memory the image points into.
std::unique_ptr<Checkpoint> gguf_checkpoint(const GgufImage& image, const std::string& path,
                                            std::shared_ptr<const void> keep);

// The token ids the file names (tokenizer.ggml.*_token_id, else the usual token text), -1 when
// none: shared by the checkpoint's config and the tokenizer.
struct GgufSpecialIds {
  int64_t bos = -1, eos = -1, eot = -1, pad = -1, mask = -1;
};
GgufSpecialIds gguf_special_ids(const GgufImage& image, const std::string& path);

}  // namespace maskkv
