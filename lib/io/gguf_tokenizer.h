// The tokenizer a GGUF file's metadata describe (tokenizer.ggml.*), built as one of maskkv's
// own tokenizers: a 'gpt2' vocabulary (byte-level BPE: tokens, merges, token types and the
// pre-tokenizer llama.cpp names in tokenizer.ggml.pre) becomes the tokenizer.json it came
// from, so it encodes exactly as that file does; a 'llama' vocabulary (SentencePiece pieces,
// scores and token types) becomes a SentencePiece BPE model.
#pragma once

#include <memory>
#include <string>

#include "io/gguf.h"
#include "tokenizer/tokenizer.h"

namespace maskkv {

// Throws Error(format) naming the file and key for malformed metadata, Error(unsupported) for a
// tokenizer model or pre-tokenizer maskkv does not implement, Error(not_found) when the file
// holds no tokenizer.
std::shared_ptr<tok::Tokenizer> gguf_tokenizer(const GgufImage& image, const std::string& path);
std::shared_ptr<const tok::Tokenizer> load_gguf_tokenizer(const std::string& path);

}  // namespace maskkv
