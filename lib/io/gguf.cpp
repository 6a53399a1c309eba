#include "io/gguf.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/ggml_blocks.h"

namespace maskkv {

namespace {

constexpr uint32_t kMaxDims = 4;         // ggml's GGML_MAX_DIMS
constexpr size_t kMaxTensorName = 63;    // ggml's GGML_MAX_NAME less its terminator
constexpr uint64_t kDefaultAlignment = 32;

// Fixed bytes of the smallest metadata entry (empty key, a u8) and tensor info (empty name,
// one dimension): bounds on the counts before anything is reserved.
constexpr uint64_t kMinEntryBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::u8: case GgufType::i8: case GgufType::boolean: return 1;
    case GgufType::u16: case GgufType::i16: return 2;
    case GgufType::u32: case GgufType::i32: case GgufType::f32: return 4;
    case GgufType::u64: case GgufType::i64: case GgufType::f64: return 8;
    default: return 0;
  }
}

// A name from the file, fit for a message: at most 64 bytes, control and non-ASCII bytes as \xNN.
std::string printable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (s.size() > 64) out += "...";
  return out;
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& file) : p_(data), size_(size), file_(file) {}

  [[noreturn]] void bad(const std::string& what) const {
    fail(Code::format, file_ + ": " + what);
  }
  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }
  const uint8_t* here() const { return p_ + pos_; }

  void need(uint64_t n, const std::string& what) const {
    if (n > left())
      bad(what + " needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
          " but the file has " + std::to_string(left()) + " left");
  }
  template <class T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view string(const std::string& what) {
    const uint64_t n = read<uint64_t>(what + " length");
    need(n, what + " (" + std::to_string(n) + " bytes)");
    std::string_view s(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  void skip(uint64_t n, const std::string& what) {
    need(n, what);
    pos_ += static_cast<size_t>(n);
  }

 private:
  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& file_;
};

GgufType value_type(Reader& r, const std::string& what) {
  const uint32_t t = r.read<uint32_t>(what);
  if (t > static_cast<uint32_t>(GgufType::f64))
    r.bad(what + " is " + std::to_string(t) + ", not a GGUF value type (0-12)");
  return static_cast<GgufType>(t);
}

void read_scalar(Reader& r, GgufType t, GgufValue& v, const std::string& what) {
  switch (t) {
    case GgufType::u8: v.u = r.read<uint8_t>(what); break;
    case GgufType::u16: v.u = r.read<uint16_t>(what); break;
    case GgufType::u32: v.u = r.read<uint32_t>(what); break;
    case GgufType::u64: v.u = r.read<uint64_t>(what); break;
    case GgufType::i8: v.i = r.read<int8_t>(what); break;
    case GgufType::i16: v.i = r.read<int16_t>(what); break;
    case GgufType::i32: v.i = r.read<int32_t>(what); break;
    case GgufType::i64: v.i = r.read<int64_t>(what); break;
    case GgufType::f32: v.f = r.read<float>(what); break;
    case GgufType::f64: v.f = r.read<double>(what); break;
    case GgufType::boolean: {
      const uint8_t b = r.read<uint8_t>(what);
      if (b > 1) r.bad(what + " is a bool holding " + std::to_string(b) + " (must be 0 or 1)");
      v.u = b;
      break;
    }
    case GgufType::string: v.str = r.string(what); break;
    case GgufType::array: break;
  }
}

GgufValue read_value(Reader& r, const std::string& what) {
  GgufValue v;
  v.type = value_type(r, what + " type");
  if (v.type != GgufType::array) {
    read_scalar(r, v.type, v, what);
    return v;
  }
  v.element = value_type(r, what + " element type");
  if (v.element == GgufType::array)
    r.bad(what + " is an array of arrays (nested arrays are not supported)");
  v.count = r.read<uint64_t>(what + " element count");
  if (v.element == GgufType::string) {
    // Each element takes at least its 8-byte length: the count is bounded before reserving.
    if (v.count > r.left() / 8)
      r.bad(what + " claims " + std::to_string(v.count) + " strings, more than the " +
            std::to_string(r.left()) + " bytes left can hold");
    v.strings.reserve(static_cast<size_t>(v.count));
    for (uint64_t k = 0; k < v.count; ++k) {
      // (The element's name is spelled out only on failure: a vocabulary has 10^5 strings.)
      uint64_t n = 0;
      if (r.left() < 8 || (std::memcpy(&n, r.here(), 8), n > r.left() - 8))
        r.string(what + "[" + std::to_string(k) + "]");  // throws naming the element
      v.strings.emplace_back(reinterpret_cast<const char*>(r.here() + 8), static_cast<size_t>(n));
      r.skip(8 + n, what);
    }
  } else {
    const size_t es = scalar_size(v.element);
    if (v.count > r.left() / es)
      r.bad(what + " claims " + std::to_string(v.count) + " elements of " + gguf_type_name(v.element) +
            ", more than the " + std::to_string(r.left()) + " bytes left can hold");
    v.raw = r.here();
    r.skip(v.count * es, what);
    if (v.element == GgufType::boolean)
      for (uint64_t k = 0; k < v.count; ++k)
        if (v.raw[k] > 1) r.bad(what + "[" + std::to_string(k) + "] is a bool holding " + std::to_string(v.raw[k]));
  }
  return v;
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  static const char* const kNames[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                       "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<uint32_t>(t);
  return i < 13 ? kNames[i] : "?";
}

GgufImage parse_gguf(const uint8_t* data, size_t size, const std::string& file) {
  Reader r(data, size, file);
  GgufImage img;
  if (size < 4 || std::memcmp(data, "GGUF", 4) != 0) r.bad("not a GGUF file (no 'GGUF' magic)");
  r.skip(4, "magic");
  img.version = r.read<uint32_t>("version");
  if (img.version != 2 && img.version != 3) {
    if (img.version != 0 && (img.version & 0xFFFFu) == 0)
      fail(Code::unsupported, file + ": version " + std::to_string(img.version) +
                                  " reads as a big-endian GGUF file; only little-endian files are supported");
    fail(Code::unsupported, file + ": GGUF version " + std::to_string(img.version) +
                                " is not supported (supported: 2, 3)");
  }
  const uint64_t n_tensors = r.read<uint64_t>("tensor count");
  const uint64_t n_kv = r.read<uint64_t>("metadata count");
  if (n_kv > r.left() / kMinEntryBytes)
    r.bad("metadata count " + std::to_string(n_kv) + " is more than the file's " + std::to_string(size) +
          " bytes can hold");
  if (n_tensors > r.left() / kMinTensorInfoBytes)
    r.bad("tensor count " + std::to_string(n_tensors) + " is more than the file's " + std::to_string(size) +
          " bytes can hold");

  for (uint64_t k = 0; k < n_kv; ++k) {
    const std::string where = "metadata entry " + std::to_string(k);
    const std::string_view key = r.string(where + " key");
    const std::string what = "metadata '" + printable(key) + "'";
    GgufValue v = read_value(r, what);
    if (!img.metadata.emplace(std::string(key), std::move(v)).second)
      r.bad("metadata key '" + printable(key) + "' appears twice");
  }

  if (auto it = img.metadata.find("general.alignment"); it != img.metadata.end()) {
    const GgufValue& a = it->second;
    if (a.type != GgufType::u32)
      r.bad(std::string("metadata 'general.alignment' must be a u32, not ") + gguf_type_name(a.type));
    if (a.u == 0 || (a.u & (a.u - 1)) != 0)
      r.bad("metadata 'general.alignment' = " + std::to_string(a.u) + " is not a power of two");
    img.alignment = a.u;
  } else {
    img.alignment = kDefaultAlignment;
  }

  struct Raw {
    uint64_t offset;
    size_t index;
  };
  std::vector<Raw> ranges;
  ranges.reserve(static_cast<size_t>(n_tensors));
  img.tensors.reserve(static_cast<size_t>(n_tensors));
  std::vector<uint64_t> offsets;
  offsets.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t k = 0; k < n_tensors; ++k) {
    const std::string where = "tensor info " + std::to_string(k);
    const std::string_view name = r.string(where + " name");
    GgufTensor t;
    t.name = std::string(name);
    const std::string what = "tensor '" + printable(name) + "'";
    if (name.size() > kMaxTensorName)
      r.bad(what + " has a name of " + std::to_string(name.size()) + " bytes (ggml allows at most " +
            std::to_string(kMaxTensorName) + ")");
    if (!img.tensor_index.emplace(t.name, img.tensors.size()).second) r.bad(what + " appears twice");
    const uint32_t n_dims = r.read<uint32_t>(what + " n_dims");
    if (n_dims < 1 || n_dims > kMaxDims)
      r.bad(what + " has n_dims = " + std::to_string(n_dims) + " (must be 1 to 4)");
    uint64_t numel = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = r.read<uint64_t>(what + " ne[" + std::to_string(d) + "]");
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        r.bad(what + " has ne[" + std::to_string(d) + "] = " + std::to_string(ne) + " (must be 1 to 2^63-1)");
      if (numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ne)
        r.bad(what + " has a shape whose element count overflows");
      numel *= ne;
      t.ne.push_back(static_cast<int64_t>(ne));
    }
    t.numel = static_cast<int64_t>(numel);
    t.type = r.read<uint32_t>(what + " type");
    const char* type_name = ggml::type_name(t.type);
    if (!type_name) r.bad(what + " has type id " + std::to_string(t.type) + ", not a ggml type");
    int64_t block = 0;
    size_t block_bytes = 0;
    if (!ggml::block_shape(t.type, block, block_bytes))
      fail(Code::unsupported, file + ": " + what + " has type " + type_name +
                                  " (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
    if (t.ne[0] % block != 0)
      r.bad(what + " has ne[0] = " + std::to_string(t.ne[0]) + ", not a multiple of the " + type_name +
            " block of " + std::to_string(block));
    const uint64_t blocks = numel / static_cast<uint64_t>(block);
    if (blocks > size / block_bytes)
      r.bad(what + " of " + std::to_string(numel) + " " + type_name + " elements is larger than the file");
    t.nbytes = static_cast<size_t>(blocks * block_bytes);
    const uint64_t offset = r.read<uint64_t>(what + " offset");
    if (offset % img.alignment != 0)
      r.bad(what + " has offset " + std::to_string(offset) + ", not a multiple of the alignment " +
            std::to_string(img.alignment));
    offsets.push_back(offset);
    ranges.push_back({offset, img.tensors.size()});
    img.tensors.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t header_end = r.pos();
  const uint64_t data_start = header_end + (img.alignment - header_end % img.alignment) % img.alignment;
  if (n_tensors > 0 && data_start > size)
    r.bad("the data section would start at " + std::to_string(data_start) + ", past the end of the file (" +
          std::to_string(size) + " bytes)");
  const uint64_t data_size = n_tensors > 0 ? size - data_start : 0;
  for (size_t k = 0; k < img.tensors.size(); ++k) {
    GgufTensor& t = img.tensors[k];
    if (offsets[k] > data_size || t.nbytes > data_size - offsets[k])
      r.bad("tensor '" + printable(t.name) + "' data [" + std::to_string(offsets[k]) + ", +" +
            std::to_string(t.nbytes) + ") lies outside the data section (" + std::to_string(data_size) + " bytes)");
    t.data = data + data_start + offsets[k];
  }
  std::sort(ranges.begin(), ranges.end(), [](const Raw& a, const Raw& b) { return a.offset < b.offset; });
  for (size_t k = 1; k < ranges.size(); ++k) {
    const GgufTensor& prev = img.tensors[ranges[k - 1].index];
    if (ranges[k].offset < ranges[k - 1].offset + prev.nbytes)
      r.bad("tensor '" + printable(img.tensors[ranges[k].index].name) + "' overlaps tensor '" +
            printable(prev.name) + "' at data offset " + std::to_string(ranges[k].offset));
  }
  return img;
}

namespace {

const GgufValue* find(const GgufImage& img, std::string_view key) {
  auto it = img.metadata.find(key);
  return it == img.metadata.end() ? nullptr : &it->second;
}

[[noreturn]] void wrong_type(const std::string& file, std::string_view key, const GgufValue& v, const char* want) {
  fail(Code::format, file + ": metadata '" + std::string(key) + "' must be " + want + ", not " +
                         (v.type == GgufType::array ? std::string("an array of ") + gguf_type_name(v.element)
                                                    : std::string(gguf_type_name(v.type))));
}

}  // namespace

bool gguf_uint(const GgufImage& img, std::string_view key, uint64_t& out, const std::string& file) {
  const GgufValue* v = find(img, key);
  if (!v) return false;
  switch (v->type) {
    case GgufType::u8: case GgufType::u16: case GgufType::u32: case GgufType::u64:
      out = v->u;
      return true;
    case GgufType::i8: case GgufType::i16: case GgufType::i32: case GgufType::i64:
      if (v->i < 0)
        fail(Code::format, file + ": metadata '" + std::string(key) + "' = " + std::to_string(v->i) + " is negative");
      out = static_cast<uint64_t>(v->i);
      return true;
    default:
      wrong_type(file, key, *v, "an integer");
  }
}

bool gguf_float(const GgufImage& img, std::string_view key, double& out, const std::string& file) {
  const GgufValue* v = find(img, key);
  if (!v) return false;
  if (v->type != GgufType::f32 && v->type != GgufType::f64) wrong_type(file, key, *v, "a float");
  out = v->f;
  return true;
}

bool gguf_bool(const GgufImage& img, std::string_view key, bool& out, const std::string& file) {
  const GgufValue* v = find(img, key);
  if (!v) return false;
  if (v->type != GgufType::boolean) wrong_type(file, key, *v, "a bool");
  out = v->u != 0;
  return true;
}

bool gguf_string(const GgufImage& img, std::string_view key, std::string_view& out, const std::string& file) {
  const GgufValue* v = find(img, key);
  if (!v) return false;
  if (v->type != GgufType::string) wrong_type(file, key, *v, "a string");
  out = v->str;
  return true;
}

const GgufValue* gguf_array(const GgufImage& img, std::string_view key, GgufType element, const std::string& file) {
  const GgufValue* v = find(img, key);
  if (!v) return nullptr;
  if (v->type != GgufType::array || v->element != element)
    wrong_type(file, key, *v, (std::string("an array of ") + gguf_type_name(element)).c_str());
  return v;
}

double gguf_array_number(const GgufValue& v, uint64_t k) {
  const uint8_t* p = v.raw + k * scalar_size(v.element);
  auto get = [p](auto x) {
    std::memcpy(&x, p, sizeof(x));
    return static_cast<double>(x);
  };
  switch (v.element) {
    case GgufType::u8: return get(uint8_t{});
    case GgufType::i8: return get(int8_t{});
    case GgufType::u16: return get(uint16_t{});
    case GgufType::i16: return get(int16_t{});
    case GgufType::u32: return get(uint32_t{});
    case GgufType::i32: return get(int32_t{});
    case GgufType::u64: return get(uint64_t{});
    case GgufType::i64: return get(int64_t{});
    case GgufType::f32: return get(float{});
    case GgufType::f64: return get(double{});
    case GgufType::boolean: return p[0];
    default: return 0;
  }
}

bool is_gguf_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char magic[4] = {};
  const ssize_t n = ::read(fd, magic, 4);
  ::close(fd);
  return n == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

GgufFile::GgufFile(const std::string& path) : file_(std::make_unique<MappedFile>(path)) {
  image_ = parse_gguf(file_->data(), file_->size(), path);
}

}  // namespace maskkv
