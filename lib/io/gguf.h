// The GGUF format (llama.cpp's model files), versions 2 and 3, little-endian:
//   "GGUF", u32 version, u64 tensor count, u64 metadata count,
//   metadata entries (string key, u32 value type, value),
//   tensor infos (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset),
//   padding to the alignment (general.alignment, default 32), then the tensor data; each offset
//   is relative to the start of the data section. A string is a u64 length and its bytes; an
//   array is a u32 element type, a u64 count and the elements.
// Every field is validated before use, in time and memory linear in the file size; errors are
// Error(format) naming the file, the field and the problem (Error(unsupported) for a version or
// tensor type maskkv does not read).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/mapped_file.h"

namespace maskkv {

// Metadata value types.
enum class GgufType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* gguf_type_name(GgufType t);

// One metadata value. Strings and array elements point into the file image.
struct GgufValue {
  GgufType type = GgufType::u8;
  // Scalars: integers in `u` (unsigned types) or `i` (signed), floats in `f`, bools in `u`.
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string_view str;
  // Arrays: the element type and count; numeric elements at `raw` (count * element size bytes,
  // little-endian, unaligned), string elements in `strings`.
  GgufType element = GgufType::u8;
  uint64_t count = 0;
  const uint8_t* raw = nullptr;
  std::vector<std::string_view> strings;
};

struct GgufTensor {
  std::string name;
  uint32_t type = 0;           // ggml type id, one core/ggml_blocks.h reads
  std::vector<int64_t> ne;     // ggml order: ne[0] varies fastest
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  int64_t numel = 0;
};

struct GgufImage {
  uint32_t version = 0;
  uint64_t alignment = 32;
  std::map<std::string, GgufValue, std::less<>> metadata;
  std::vector<GgufTensor> tensors;            // in file order
  std::map<std::string, size_t, std::less<>> tensor_index;
};

// Typed metadata lookups: false (or nullptr) when the key is absent; Error(format) naming the
// file and key when it holds another type. gguf_uint accepts any integer type holding a
// non-negative value, gguf_float f32 or f64, gguf_array an array whose elements are exactly
// of type `element`.
bool gguf_uint(const GgufImage& img, std::string_view key, uint64_t& out, const std::string& file);
bool gguf_float(const GgufImage& img, std::string_view key, double& out, const std::string& file);
bool gguf_bool(const GgufImage& img, std::string_view key, bool& out, const std::string& file);
bool gguf_string(const GgufImage& img, std::string_view key, std::string_view& out, const std::string& file);
const GgufValue* gguf_array(const GgufImage& img, std::string_view key, GgufType element,
                            const std::string& file);
// Element k of a numeric (integer, float or bool) array, as a double.
double gguf_array_number(const GgufValue& v, uint64_t k);

// Parses and validates a GGUF image in memory (the file loader and the fuzzer use it).
GgufImage parse_gguf(const uint8_t* data, size_t size, const std::string& file_name);

// True when the file at `path` starts with the GGUF magic (false when it cannot be read).
bool is_gguf_file(const std::string& path);

class GgufFile {
 public:
  // Maps and validates `path`.
  explicit GgufFile(const std::string& path);
  const GgufImage& image() const { return image_; }
  const std::string& path() const { return file_->path(); }

 private:
  std::unique_ptr<MappedFile> file_;
  GgufImage image_;
};

}  // namespace maskkv
