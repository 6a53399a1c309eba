// Converting a model's linear weights at load: to Q8_0 or Q4_0 (ggml's block formats) or to
// bf16, into memory the returned Weights own.
//
// Converted: every layer's seven projections (q, k, v, o, gate, up, down) and the LM head, as
// llama.cpp quantizes. Kept as stored: the token embedding (a lookup reads one row per token),
// norm weights and biases (f32 already). A matrix whose rows are not a whole number of 32-value
// blocks stays as stored under a block type.
//
// The source matrices live in the checkpoint's memory map (or in memory the checkpoint owns);
// each one's pages are released (madvise(MADV_DONTNEED)) as soon as it is converted, so that
// the file does not stay resident beside its converted copy: peak memory is about the converted
// size, not the sum. So after the call the converted matrices of `bound` must not be read
// again, except file-mapped ones (read back from the file) and the token embedding a tied LM
// head shares (kept); Model::load takes the checkpoint's fingerprint before converting.
#pragma once

#include "model/weights.h"

namespace maskkv {

// What Model::load does with the linear weights.
enum class WeightType : int { as_stored = 0, bf16 = 1, q8_0 = 2, q4_0 = 3 };
const char* weight_type_name(WeightType t);

// `bound` converted to `to` (as_stored keeps each matrix's dtype), using n_threads threads
// (0 = one per core). Throws Error(format) naming the tensor when a value to convert is NaN or
// Inf. Under bf16 a block-quantized token embedding (a GGUF file's) is dequantized too, so that
// no block weight remains. With `interleave` (the backend's kernels ask for it,
// Backend::interleaved_block_weights) every converted or kept Q8_0/Q4_0 matrix whose rows are
// a whole number of 16-row groups is stored interleaved (core/quant_interleave.h); the
// embedding never is (a lookup reads single rows). Weights::dtype names the plain dtype.
Weights convert_weights(const Weights& bound, WeightType to, int n_threads, bool interleave = false);

// The name of the block dtype ("Q8_0", "Q4_0", or an interleaved one) of the first weight
// matrix stored in one, or nullptr when none is.
const char* block_weight_dtype(const Weights& w);

}  // namespace maskkv
