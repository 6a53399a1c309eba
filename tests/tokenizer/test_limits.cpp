// The limits that keep hostile tokenizer files bounded (docs/reliability.md): component counts,
// growth of normalizer and decoder chains, added-token sizes, unbounded lookarounds, and the
// SentencePiece normalizer tables. Each test also checks that real-world files stay accepted.
#include <fstream>
#include <limits>
#include <iterator>

#include "tok_test_util.h"
#include "tokenizer/regex.h"
#include "tokenizer/spm_check.h"

using namespace toktest;
using maskkv::Code;

namespace {

json added(int id, const std::string& content, bool normalized) {
  return {{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", normalized}, {"special", false}};
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(TokLimits, SixtyFourComponentsOfEachKindAndNoMore) {
  json split = {{"type", "Split"}, {"pattern", {{"String", "x"}}}, {"behavior", "Isolated"}, {"invert", false}};
  json j = tiny_byte_level();
  json list = json::array();
  for (int i = 0; i < 63; ++i) list.push_back(split);
  list.push_back(j["pre_tokenizer"]);  // ByteLevel last, 64 in all
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", list}};
  auto t = load_json(j);
  EXPECT_EQ(t->decode(t->encode("hello world", false), false), "hello world");
  list.insert(list.begin(), split);
  j["pre_tokenizer"]["pretokenizers"] = list;
  EXPECT_TOK_ERROR(load_json(j), Code::format, "pre_tokenizer.pretokenizers[64]: more than 64 pre-tokenizers");
  // Nested Sequences count together.
  j = tiny_byte_level();
  json inner = {{"type", "Sequence"}, {"normalizers", json::array()}};
  for (int i = 0; i < 40; ++i) inner["normalizers"].push_back({{"type", "NFC"}});
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({inner, inner})}};
  EXPECT_TOK_ERROR(load_json(j), Code::format, "more than 64 normalizers");
  // Post-processors: 64 pass, 65 fail.
  j = tiny_byte_level();
  json post = {{"type", "Sequence"}, {"processors", json::array()}};
  for (int i = 0; i < 64; ++i) post["processors"].push_back({{"type", "ByteLevel"}});
  j["post_processor"] = post;
  EXPECT_NO_THROW(load_json(j));
  j["post_processor"]["processors"].push_back({{"type", "ByteLevel"}});
  EXPECT_TOK_ERROR(load_json(j), Code::format, "post_processor.processors[64]: more than 64 post-processors");
}

TEST(TokLimits, NormalizerGrowthIsBoundedButRealGrowthPasses) {
  // Llama-2's Prepend + Replace(" " -> "\u2581") triples a text of spaces: well inside the limit.
  auto llama = load_json(tiny_llama2());
  const std::string spaces(100000, ' ');
  EXPECT_GT(llama->encode(spaces, false).size(), 0u);
  // An empty pattern replaced by 1000 bytes grows each step 1001-fold.
  json j = tiny_byte_level();
  json grow = {{"type", "Replace"}, {"pattern", {{"String", ""}}}, {"content", std::string(1000, 'x')}};
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({grow, grow, grow})}};
  auto t = load_json(j);  // no normalized added token: nothing to normalize at load
  EXPECT_TOK_ERROR(t->encode("hi", false), Code::format, "normalizer.normalizers[1]: grows a text of 2 bytes");
  // One step of 2x growth, as the reference library would produce, still works.
  j["normalizer"] = {{"type", "Replace"}, {"pattern", {{"String", ""}}}, {"content", "x"}};
  t = load_json(j);
  EXPECT_EQ(t->decode(t->encode("hi", false), false), "xhxix");
  // The same growth met while normalizing an added token fails the load, naming the token's step.
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({grow, grow, grow})}};
  j["added_tokens"].push_back(added(302, "zq", true));
  EXPECT_TOK_ERROR(load_json(j), Code::format, "grows a text of 2 bytes");
}

TEST(TokLimits, DecoderGrowthIsBounded) {
  json j = tiny_byte_level();
  json grow = {{"type", "Replace"}, {"pattern", {{"String", ""}}}, {"content", std::string(1000, 'y')}};
  j["decoder"] = {{"type", "Sequence"}, {"decoders", json::array({grow, grow, grow})}};
  auto t = load_json(j);
  EXPECT_TOK_ERROR(t->decode(std::vector<int32_t>{104, 105}, false), Code::format,
                   "decoder.decoders[1]: grows a text");
}

TEST(TokLimits, AddedTokensHaveALengthLimit) {
  json j = tiny_byte_level();
  const std::string longest(1024, 'a');
  j["added_tokens"].push_back(added(302, longest, false));
  auto t = load_json(j);
  // A text of 3000 'a's holds two whole copies, then 952 'a's that BPE splits into bytes.
  auto ids = t->encode(std::string(3000, 'a'), false);
  ASSERT_EQ(ids.size(), 2u + 952u);
  EXPECT_EQ(ids[0], 302);
  EXPECT_EQ(ids[1], 302);
  EXPECT_EQ(ids[2], 'a');
  j["added_tokens"].back()["content"] = longest + "a";
  EXPECT_TOK_ERROR(load_json(j), Code::format, "added_tokens[2].content: 1025 bytes exceed the limit of 1024");
  // 1 MiB in all: 1100 tokens of 1000 bytes pass the per-token limit but not the total.
  j = tiny_byte_level();
  for (int i = 0; i < 1100; ++i) j["added_tokens"].push_back(added(302 + i, std::to_string(i) + std::string(996, 'b'), false));
  EXPECT_TOK_ERROR(load_json(j), Code::format, "the added tokens hold more than 1048576 bytes in all");
}

TEST(TokLimits, TokenizerTextSizeLimit) {
  std::string big(static_cast<size_t>(maskkv::tok::kMaxTokenizerFileBytes) + 1, ' ');
  EXPECT_TOK_ERROR(maskkv::tok::load_hf_tokenizer_json(big, "big.json"), Code::format,
                   "big.json: 67108865 bytes, above the 64 MiB limit");
}

TEST(TokLimits, UnboundedLookaroundsAreRefusedBoundedOnesAccepted) {
  using maskkv::tok::check_lookarounds;
  using maskkv::tok::onig_to_pcre2;
  // Patterns of real tokenizers (GPT-2, Llama 3, Qwen 2) and other bounded lookarounds.
  for (const char* p :
       {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
        "a(?=b{2,5})c*", "(?<=ab)c+", "[(?=a*)]+", "\\(?=a*\\)", "(?=a)(?:b+)", "\\Q(?=a*\\E+",
        "a(?=[^b]{0,255}$)", "(?=x{3})", "(?=a{})"})
    EXPECT_NO_THROW(check_lookarounds(onig_to_pcre2(p), "p")) << p;
  for (const char* p : {"a(?=[^b]*$)", "x(?!y+z)", "(?=a{2,})", "(?<!a*)", "(*pla:a+)",
                        "(*positive_lookahead:\\s+$)", "(?=(?1))(a)", "(?=(?:a|b)*c)", "(?=a(?R)?)",
                        "a(?=[^b]{0,256}$)", "(?=x{300})", "(?!a{1,65535})"})
  {
    SCOPED_TRACE(p);
    EXPECT_TOK_ERROR(check_lookarounds(p, "p"), Code::unsupported, "p: unsupported: a lookaround");
  }
  json j = tiny_byte_level();
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers", json::array({{{"type", "Split"},
                                                        {"pattern", {{"Regex", "a(?=[^b]*$)"}}},
                                                        {"behavior", "Isolated"},
                                                        {"invert", false}},
                                                       j["pre_tokenizer"]})}};
  EXPECT_TOK_ERROR(load_json(j), Code::unsupported, "pre_tokenizer.pretokenizers[0].pattern: unsupported: a lookaround");
}

TEST(TokLimits, SentencePieceTablesAreCheckedBeforeUse) {
  const std::string path = std::string(MASKKV_TOK_FIXTURES) + "/spm/unigram.model";
  const std::string model = read_all(path);
  ASSERT_FALSE(model.empty());
  EXPECT_NO_THROW(maskkv::tok::check_spm_model(model, path));
  EXPECT_NO_THROW(maskkv::tok::check_spm_model(read_all(std::string(MASKKV_TOK_FIXTURES) + "/spm/bpe.model"), "bpe"));
  // Field 3 (normalizer_spec) holding field 2 (precompiled_charsmap) of the given bytes.
  auto with_map = [](const std::string& map) {
    std::string spec = std::string("\x12") + static_cast<char>(map.size()) + map;
    return std::string("\x1a") + static_cast<char>(spec.size()) + spec;
  };
  EXPECT_TOK_ERROR(maskkv::tok::check_spm_model(with_map("\x04"), "m"), Code::format,
                   "m: normalizer_spec.precompiled_charsmap: shorter than its 4-byte trie size");
  EXPECT_TOK_ERROR(maskkv::tok::check_spm_model(with_map(std::string("\xff\0\0\0abcdefgh", 12)), "m"),
                   Code::format, "trie size 255 runs past the table");
  EXPECT_TOK_ERROR(maskkv::tok::check_spm_model(with_map(std::string("\x06\0\0\0abcdefgh", 12)), "m"),
                   Code::format, "not a positive multiple of 4");
  // One unit whose offset sends byte transitions past the trie.
  EXPECT_TOK_ERROR(maskkv::tok::check_spm_model(with_map(std::string("\x04\0\0\0\0\x04\0\0x\0", 10)), "m"),
                   Code::format, "a transition leaves the trie");
  // A truncated protobuf.
  EXPECT_TOK_ERROR(maskkv::tok::check_spm_model(std::string("\x1a\x7f", 2), "m"), Code::format,
                   "m: not a valid SentencePiece model");
  // The normalizer_spec of the fixture with its table replaced by garbage is refused; the last
  // occurrence of a field is the one libsentencepiece uses, so an appended spec is checked too.
  EXPECT_TOK_ERROR(maskkv::tok::check_spm_model(model + with_map(std::string("\x08\0\0\0garbage!!", 13)), path),
                   Code::format, path + ": normalizer_spec.precompiled_charsmap");
}

TEST(TokLimits, HugeIdsAreReportedAsWritten) {
  json j = tiny_byte_level();
  j["model"]["vocab"]["hello"] = json(std::numeric_limits<uint64_t>::max());
  EXPECT_TOK_ERROR(load_json(j), Code::format, "id 18446744073709551615 out of range");
  j = tiny_byte_level();
  j["added_tokens"][0]["id"] = json(std::numeric_limits<uint64_t>::max());
  EXPECT_TOK_ERROR(load_json(j), Code::format, "added_tokens[0].id: 18446744073709551615 is out of range");
}
