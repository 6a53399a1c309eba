// Text <-> ids for the subcommands, through the model's tokenizer (C ABI only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "maskkv.h"

namespace cli {

// Tokenizes a prompt with the model's tokenizer (throws Failure when it has none). chat wraps it
// in the model's chat template first; plain prompts get the tokenizer's special tokens (BOS).
std::vector<int32_t> tokenize_prompt(const maskkv_model* model, const std::string& text, bool chat);
// Decodes ids without special tokens; false when the model has no tokenizer.
bool detokenize(const maskkv_model* model, const std::vector<int32_t>& ids, std::string* text);

}  // namespace cli
