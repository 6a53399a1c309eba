// The GGUF parser: a valid image reads back; every lie a header can tell is refused with an
// Error naming the file and the field, and every truncation of a valid file is refused.
#include <gtest/gtest.h>

#include "core/error.h"
#include "io/gguf.h"
#include "gguf_builder.h"
#include "test_util.h"

using namespace maskkv;
using testutil::GgufBuilder;

namespace {

// The image's strings and tensor data point into `image`, which must outlive it.
GgufImage parse(const std::string& image) {
  return parse_gguf(reinterpret_cast<const uint8_t*>(image.data()), image.size(), "t.gguf");
}

void expect_error(const std::string& image, Code code, const std::string& needle) {
  try {
    parse(image);
    FAIL() << "no error; expected one containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t.gguf"), std::string::npos) << e.what();
  }
}

GgufBuilder valid() {
  GgufBuilder b;
  b.kv_str("general.architecture", "llada").kv_u32("llada.block_count", 2).kv_f32("x.eps", 0.5f);
  b.kv_strs("tokenizer.ggml.tokens", {"a", "bc", ""}).kv_i32s("tokenizer.ggml.token_type", {1, 3, 5});
  b.kv_bool("flag", true);
  b.tensor("w", {2, 3}, 0, testutil::f32_bytes({1, 2, 3, 4, 5, 6}));
  b.tensor("q", {32}, 8, std::string(34, '\x01'));
  return b;
}

}  // namespace

TEST(Gguf, ParsesValidImage) {
  const std::string bytes = valid().build();
  const GgufImage img = parse(bytes);
  EXPECT_EQ(img.version, 3u);
  EXPECT_EQ(img.alignment, 32u);
  ASSERT_EQ(img.metadata.size(), 6u);
  std::string_view arch;
  ASSERT_TRUE(gguf_string(img, "general.architecture", arch, "t.gguf"));
  EXPECT_EQ(arch, "llada");
  uint64_t n = 0;
  ASSERT_TRUE(gguf_uint(img, "llada.block_count", n, "t.gguf"));
  EXPECT_EQ(n, 2u);
  double eps = 0;
  ASSERT_TRUE(gguf_float(img, "x.eps", eps, "t.gguf"));
  EXPECT_EQ(eps, 0.5);
  const GgufValue* toks = gguf_array(img, "tokenizer.ggml.tokens", GgufType::string, "t.gguf");
  ASSERT_NE(toks, nullptr);
  ASSERT_EQ(toks->strings.size(), 3u);
  EXPECT_EQ(toks->strings[1], "bc");
  EXPECT_EQ(toks->strings[2], "");
  const GgufValue* types = gguf_array(img, "tokenizer.ggml.token_type", GgufType::i32, "t.gguf");
  ASSERT_NE(types, nullptr);
  EXPECT_EQ(gguf_array_number(*types, 1), 3.0);
  EXPECT_FALSE(gguf_uint(img, "absent", n, "t.gguf"));
  ASSERT_EQ(img.tensors.size(), 2u);
  const GgufTensor& w = img.tensors[img.tensor_index.at("w")];
  EXPECT_EQ(w.ne, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w.numel, 6);
  EXPECT_EQ(w.nbytes, 24u);
  float last;
  std::memcpy(&last, w.data + 20, 4);
  EXPECT_EQ(last, 6.0f);
  EXPECT_EQ(img.tensors[1].nbytes, 34u);
  EXPECT_EQ((img.tensors[1].data - img.tensors[0].data) % 32, 0);
}

TEST(Gguf, TypedLookupsNameTheKeyOnAMismatch) {
  const std::string bytes = valid().build();
  const GgufImage img = parse(bytes);
  uint64_t n = 0;
  testutil::expect_error([&] { gguf_uint(img, "general.architecture", n, "t.gguf"); }, Code::format,
                         "'general.architecture' must be an integer, not string");
  testutil::expect_error([&] { gguf_array(img, "tokenizer.ggml.tokens", GgufType::i32, "t.gguf"); },
                         Code::format, "must be an array of i32, not an array of string");
}

TEST(Gguf, EveryTruncationIsRefused) {
  const std::string full = valid().build();
  for (size_t n = 0; n < full.size(); ++n) {
    try {
      parse(full.substr(0, n));
      ADD_FAILURE() << "a prefix of " << n << " of " << full.size() << " bytes parsed";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::format) << n << ": " << e.what();
    }
  }
}

TEST(Gguf, MagicAndVersion) {
  expect_error("", Code::format, "no 'GGUF' magic");
  expect_error("GGML\3\0\0\0", Code::format, "no 'GGUF' magic");
  GgufBuilder b = valid();
  b.version = 1;
  expect_error(b.build(), Code::unsupported, "GGUF version 1 is not supported");
  b.version = 0x03000000;
  expect_error(b.build(), Code::unsupported, "big-endian");
  b.version = 4;
  expect_error(b.build(), Code::unsupported, "version 4");
  b.version = 2;  // version 2 has version 3's layout
  EXPECT_EQ(parse(b.build()).version, 2u);
}

TEST(Gguf, CountsBoundedByTheFileSize) {
  GgufBuilder b = valid();
  b.n_kv_override = int64_t{1} << 60;
  expect_error(b.build(), Code::format, "metadata count 1152921504606846976 is more than");
  b = valid();
  b.n_tensors_override = 1000000;
  expect_error(b.build(), Code::format, "tensor count 1000000 is more than");
  b = valid();
  b.n_kv_override = 7;  // one more than present: the tensor infos read as metadata, then run out
  try {
    parse(b.build());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::format);
  }
}

TEST(Gguf, StringsAndArraysBoundedByWhatIsLeft) {
  GgufBuilder b;
  b.kv_raw("k", GgufBuilder::string, GgufBuilder::pod<uint64_t>(1000) + "abc");
  expect_error(b.build(), Code::format, "metadata 'k' (1000 bytes) needs 1000 bytes");
  b = GgufBuilder();
  b.kv_raw("k", GgufBuilder::array, GgufBuilder::pod<uint32_t>(GgufBuilder::u32) + GgufBuilder::pod<uint64_t>(~0ull >> 2));
  expect_error(b.build(), Code::format, "metadata 'k' claims 4611686018427387903 elements of u32");
  b = GgufBuilder();
  b.kv_raw("k", GgufBuilder::array, GgufBuilder::pod<uint32_t>(GgufBuilder::string) + GgufBuilder::pod<uint64_t>(1u << 30));
  expect_error(b.build(), Code::format, "claims 1073741824 strings");
  b = GgufBuilder();
  b.kv_raw("k", GgufBuilder::array,
           GgufBuilder::pod<uint32_t>(GgufBuilder::string) + GgufBuilder::pod<uint64_t>(2) + GgufBuilder::str("x") +
               GgufBuilder::pod<uint64_t>(99) + "yy" + std::string(20, 'z'));
  expect_error(b.build(), Code::format, "metadata 'k'[1]");
  b = GgufBuilder();
  b.kv_raw(std::string(3, '\xff'), GgufBuilder::u8, "\1");
  b.kv_raw(std::string(3, '\xff'), GgufBuilder::u8, "\1");
  expect_error(b.build(), Code::format, "metadata key '\\xff\\xff\\xff' appears twice");
}

TEST(Gguf, ValueTypes) {
  GgufBuilder b;
  b.kv_raw("k", 13, "");
  expect_error(b.build(), Code::format, "metadata 'k' type is 13, not a GGUF value type");
  b = GgufBuilder();
  b.kv_raw("k", GgufBuilder::array, GgufBuilder::pod<uint32_t>(GgufBuilder::array) + GgufBuilder::pod<uint64_t>(0));
  expect_error(b.build(), Code::format, "nested arrays are not supported");
  b = GgufBuilder();
  b.kv_raw("k", GgufBuilder::array, GgufBuilder::pod<uint32_t>(77) + GgufBuilder::pod<uint64_t>(0));
  expect_error(b.build(), Code::format, "element type is 77");
  b = GgufBuilder();
  b.kv_raw("k", GgufBuilder::boolean, "\2");
  expect_error(b.build(), Code::format, "bool holding 2");
  b = GgufBuilder();
  b.kv_raw("k", GgufBuilder::array, GgufBuilder::pod<uint32_t>(GgufBuilder::boolean) + GgufBuilder::pod<uint64_t>(2) + "\1\7");
  expect_error(b.build(), Code::format, "metadata 'k'[1] is a bool holding 7");
}

TEST(Gguf, Alignment) {
  GgufBuilder b = valid();
  b.kv_u32("general.alignment", 48);
  expect_error(b.build(), Code::format, "'general.alignment' = 48 is not a power of two");
  b = valid();
  b.kv_u32("general.alignment", 0);
  expect_error(b.build(), Code::format, "'general.alignment' = 0 is not a power of two");
  b = valid();
  b.kv_raw("general.alignment", GgufBuilder::u64, GgufBuilder::pod<uint64_t>(64));
  expect_error(b.build(), Code::format, "'general.alignment' must be a u32");
  GgufBuilder c;
  c.alignment = 64;
  c.kv_u32("general.alignment", 64);
  c.tensor("a", {3}, 0, testutil::f32_bytes({1, 2, 3}));
  c.tensor("b", {1}, 0, testutil::f32_bytes({4}));
  const std::string bytes = c.build();
  const GgufImage img = parse(bytes);
  EXPECT_EQ(img.alignment, 64u);
  EXPECT_EQ(img.tensors[1].data - img.tensors[0].data, 64);
  // Offsets fit for 32 but not for the 64 the file declares.
  GgufBuilder d;
  d.kv_u32("general.alignment", 64);
  d.tensor("a", {3}, 0, testutil::f32_bytes({1, 2, 3}));
  d.tensor("b", {1}, 0, testutil::f32_bytes({4}));
  expect_error(d.build(), Code::format, "tensor 'b' has offset 32, not a multiple of the alignment 64");
}

TEST(Gguf, TensorInfoFields) {
  auto one = [](const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data) {
    GgufBuilder b;
    b.tensor_info(name, ne, type, offset).data(std::string(data, '\0'));
    return b.build();
  };
  expect_error(one(std::string(64, 'n'), {1}, 0, 0, 4), Code::format, "name of 64 bytes (ggml allows at most 63)");
  EXPECT_NO_THROW(parse(one(std::string(63, 'n'), {1}, 0, 0, 4)));
  expect_error(one("t", {}, 0, 0, 4), Code::format, "tensor 't' has n_dims = 0");
  expect_error(one("t", {1, 1, 1, 1, 1}, 0, 0, 4), Code::format, "n_dims = 5");
  expect_error(one("t", {4, 0}, 0, 0, 16), Code::format, "ne[1] = 0");
  expect_error(one("t", {1ull << 63}, 0, 0, 4), Code::format, "ne[0] = 9223372036854775808");
  expect_error(one("t", {1ull << 32, 1ull << 32}, 0, 0, 4), Code::format, "element count overflows");
  expect_error(one("t", {1ull << 40, 1ull << 20}, 0, 0, 4), Code::format, "is larger than the file");
  expect_error(one("t", {4}, 99, 0, 16), Code::format, "type id 99, not a ggml type");
  expect_error(one("t", {256}, 13, 0, 176), Code::unsupported, "tensor 't' has type Q5_K");
  expect_error(one("t", {48}, 8, 0, 68), Code::format, "ne[0] = 48, not a multiple of the Q8_0 block of 32");
  expect_error(one("t", {4}, 0, 8, 32), Code::format, "offset 8, not a multiple of the alignment 32");
  expect_error(one("t", {4}, 0, 32, 40), Code::format, "data [32, +16) lies outside the data section (40 bytes)");
  expect_error(one("t", {4}, 0, 1ull << 63, 40), Code::format, "lies outside the data section");
  EXPECT_NO_THROW(parse(one("t", {4}, 0, 32, 48)));
}

TEST(Gguf, DuplicateAndOverlappingTensors) {
  GgufBuilder b;
  b.tensor_info("t", {4}, 0, 0).tensor_info("t", {4}, 0, 32).data(std::string(64, '\0'));
  expect_error(b.build(), Code::format, "tensor 't' appears twice");
  b = GgufBuilder();
  b.tensor_info("a", {16}, 0, 0).tensor_info("b", {4}, 0, 32).data(std::string(64, '\0'));
  expect_error(b.build(), Code::format, "tensor 'b' overlaps tensor 'a' at data offset 32");
  b = GgufBuilder();
  b.tensor_info("a", {8}, 0, 0).tensor_info("b", {4}, 0, 32).data(std::string(64, '\0'));
  EXPECT_EQ(parse(b.build()).tensors.size(), 2u);
}

TEST(Gguf, DataSectionPastTheEnd) {
  GgufBuilder b;
  b.tensor_info("t", {1}, 0, 0);
  std::string img = b.build();
  img.resize(img.size() - 1);  // the header padding cut short: no data section at all
  try {
    parse(img);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::format) << e.what();
  }
}

TEST(Gguf, FileDetectionByMagic) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("a.bin"), valid().build());
  testutil::write_file(dir.file("b.gguf"), "GGU");
  EXPECT_TRUE(is_gguf_file(dir.file("a.bin")));
  EXPECT_FALSE(is_gguf_file(dir.file("b.gguf")));
  EXPECT_FALSE(is_gguf_file(dir.path()));
  EXPECT_FALSE(is_gguf_file(dir.file("missing")));
  GgufFile f(dir.file("a.bin"));
  EXPECT_EQ(f.image().tensors.size(), 2u);
  testutil::expect_error([&] { GgufFile g(dir.file("b.gguf")); }, Code::format, "no 'GGUF' magic");
}
