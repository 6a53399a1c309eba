// The safetensors format: 8-byte little-endian header length N, N bytes of JSON
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data.
// Every field is validated before use; offsets are relative to the end of the header.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "io/mapped_file.h"

namespace maskkv {

struct TensorInfo {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // inside the mapped file
  size_t nbytes = 0;
  std::string file;               // for error messages

  int64_t numel() const;
  std::string shape_string() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; throws Error(io|format|unsupported) naming the file and field.
  explicit SafetensorsFile(const std::string& path);

  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::string& path() const { return file_->path(); }

 private:
  std::unique_ptr<MappedFile> file_;
  std::map<std::string, TensorInfo> tensors_;
};

// Parses a safetensors image already in memory (used by SafetensorsFile and by fuzzers).
std::map<std::string, TensorInfo> parse_safetensors(const uint8_t* data, size_t size,
                                                    const std::string& file_name);

}  // namespace maskkv
