// Nesting limit for JSON read from files. nlohmann's parser is iterative, but copying,
// comparing and dumping a value recurse: a hostile file of 100000 nested arrays (200 KB)
// overflows the stack the first time the engine copies or prints that value. Every JSON text
// maskkv reads from a file goes through check_json_depth before it is parsed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace maskkv {

// Far deeper than any config.json, index, profile, tokenizer.json or safetensors header.
constexpr size_t kMaxJsonDepth = 128;

// The deepest nesting of arrays and objects in `text` (brackets inside strings do not count).
inline size_t json_nesting_depth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Throws Error(format) "<origin>: JSON nested deeper than 128 levels" for deeper text.
inline void check_json_depth(std::string_view text, const std::string& origin) {
  if (json_nesting_depth(text) > kMaxJsonDepth)
    fail(Code::format, origin + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

}  // namespace maskkv
