// Checks on a SentencePiece .model that libsentencepiece itself does not make before it trusts
// the bytes. Its normalizer (and denormalizer) carry a precompiled character map: a
// darts-clone double-array trie plus a blob of replacement strings, which the library walks
// with no bounds checks, so a garbage table reads far outside the file on the first encode.
#pragma once

#include <string>
#include <string_view>

namespace maskkv::tok {

// Largest precompiled character map accepted (the built-in nmt_nfkc map is about 240 KiB).
constexpr size_t kMaxSpmCharsMapBytes = size_t{16} << 20;

// Throws Error(format) naming `path` and the field when a precompiled_charsmap in `model`
// (a serialized ModelProto) could make libsentencepiece read out of bounds: a trie size that
// does not fit the blob, a trie transition or leaf outside the trie, or a replacement offset
// outside the string blob. Every state of the trie is visited once (256 transitions each).
void check_spm_model(std::string_view model, const std::string& path);

}  // namespace maskkv::tok
