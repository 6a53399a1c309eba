// The safetensors parser: valid images load; every lie a file can tell is caught with a
// message naming the file and the field.
#include <gtest/gtest.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "test_util.h"

using namespace maskkv;

namespace {

std::map<std::string, TensorInfo> parse(const std::string& image) {
  return parse_safetensors(reinterpret_cast<const uint8_t*>(image.data()), image.size(), "t.safetensors");
}

// Expects parse() to throw an Error with `code` whose message contains `needle`.
void expect_error(const std::string& image, Code code, const std::string& needle) {
  try {
    parse(image);
    FAIL() << "no error; expected one containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t.safetensors"), std::string::npos) << e.what();
  }
}

std::string f32_bytes(std::vector<float> v) { return std::string(reinterpret_cast<char*>(v.data()), v.size() * 4); }

}  // namespace

TEST(Safetensors, ParsesValidImage) {
  std::string img = testutil::safetensors_image(
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}})",
      f32_bytes({1, 2, 3, 4}) + std::string(6, '\0'));
  auto t = parse(img);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t["a"].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(reinterpret_cast<const float*>(t["a"].data)[3], 4.0f);
  EXPECT_EQ(t["b"].dtype, DType::bf16);
  EXPECT_EQ(t["b"].nbytes, 6u);
}

TEST(Safetensors, TooShortForHeader) { expect_error("abc", Code::format, "too short"); }

TEST(Safetensors, HeaderLengthPastEnd) {
  std::string img = testutil::safetensors_image("{}", "");
  img[0] = 100;
  expect_error(img, Code::format, "past the end");
}

TEST(Safetensors, HugeHeaderLength) {
  std::string img(16, '\0');
  img[5] = 1;  // 2^40 bytes
  expect_error(img, Code::format, "100 MiB");
}

TEST(Safetensors, HeaderNotJson) { expect_error(testutil::safetensors_image("{nope", ""), Code::format, "not valid JSON"); }

TEST(Safetensors, UnknownDtype) {
  expect_error(testutil::safetensors_image(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", "x"),
               Code::unsupported, "dtype 'Q4'");
}

TEST(Safetensors, OffsetsOutsideFile) {
  expect_error(testutil::safetensors_image(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "12345678"),
               Code::format, "outside the data section");
}

TEST(Safetensors, OverlappingTensors) {
  expect_error(testutil::safetensors_image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                           std::string(12, '\0')),
               Code::format, "overlap");
}

TEST(Safetensors, SizeDisagreesWithShape) {
  expect_error(testutil::safetensors_image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')),
               Code::format, "needs 12");
}

TEST(Safetensors, NegativeShape) {
  expect_error(testutil::safetensors_image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", ""),
               Code::format, "non-negative");
}

TEST(Safetensors, OverflowingShape) {
  expect_error(testutil::safetensors_image(
                   R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", ""),
               Code::format, "overflows");
}

TEST(Safetensors, MissingOffsets) {
  expect_error(testutil::safetensors_image(R"({"a":{"dtype":"F32","shape":[1]}})", "1234"),
               Code::format, "data_offsets");
}

TEST(Safetensors, BeginAfterEnd) {
  expect_error(testutil::safetensors_image(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", "1234"),
               Code::format, "begin > end");
}
