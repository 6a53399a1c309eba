// Text <-> ids for the subcommands, through the model's tokenizer (C ABI only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "maskkv.h"

namespace cli {

// How a text prompt becomes a chat prompt.
struct ChatSpec {
  bool enabled = false;
  std::string template_name;  // "" = the model's own; a family name or a template file
  std::string system;         // a system message; "" = none
  bool parse_special = false; // special-token text in the user's content becomes the token
};

struct Turn {
  std::string role, content;
};

// Tokenizes a prompt with the model's tokenizer (throws Failure when it has none). A plain
// prompt gets the tokenizer's special tokens (BOS) once; a chat prompt is rendered with the
// template, which carries its own BOS.
std::vector<int32_t> tokenize_prompt(const maskkv_model* model, const std::string& text,
                                     const ChatSpec& chat);
// A conversation (the system message from `chat` first), rendered and tokenized with an
// assistant header at the end.
std::vector<int32_t> tokenize_turns(const maskkv_model* model, const std::vector<Turn>& turns,
                                    const ChatSpec& chat);
// The response as text: ids up to the first end-of-sequence or end-of-turn token, decoded
// without special tokens; false when the model has no tokenizer.
bool response_text(const maskkv_model* model, const std::vector<int32_t>& ids, std::string* text);
// Decodes ids without special tokens; false when the model has no tokenizer.
bool detokenize(const maskkv_model* model, const std::vector<int32_t>& ids, std::string* text);

}  // namespace cli
