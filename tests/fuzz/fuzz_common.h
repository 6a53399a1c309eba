// Shared by the fuzz targets (tests/fuzz/fuzz_*.cpp). Each target is one function
// `int fn(const uint8_t* data, size_t size)` registered with MASKKV_FUZZ_TARGET(name, fn):
//  - built with -DMASKKV_LIBFUZZER (tests/fuzz/fuzz.cmake, clang -fsanitize=fuzzer) the macro
//    defines LLVMFuzzerTestOneInput, one executable per target;
//  - otherwise it registers the function with maskkv_fuzz_replay (replay_main.cpp), which runs
//    the committed seeds and the regression inputs of every crash found so far, in every build.
//
// The oracle: hostile bytes may only ever produce a maskkv::Error (a status through the C ABI)
// of an expected kind. Any other exception, MASKKV_ERR_INTERNAL, a broken invariant, or a
// sanitizer report is a bug: `die` aborts so that libFuzzer saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace maskkv_fuzz {

using TargetFn = int (*)(const uint8_t*, size_t);

inline std::map<std::string, TargetFn>& registry() {
  static std::map<std::string, TargetFn> r;
  return r;
}

struct Registrar {
  Registrar(const char* name, TargetFn fn) { registry()[name] = fn; }
};

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "maskkv fuzz oracle violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) die(what);
}

// Runs f; a maskkv::Error whose code is not internal is the expected outcome of bad input and
// is returned (Code::ok when f succeeded); everything else dies.
template <class F>
maskkv::Code expect_clean(F&& f) {
  try {
    f();
    return maskkv::Code::ok;
  } catch (const maskkv::Error& e) {
    if (e.code() == maskkv::Code::internal) die(std::string("internal error: ") + e.what());
    return e.code();
  } catch (const std::bad_alloc&) {
    die("std::bad_alloc (an input made maskkv allocate without bound)");
  } catch (const std::exception& e) {
    die(std::string("non-maskkv exception escaped: ") + e.what());
  } catch (...) {
    die("unknown exception escaped");
  }
}

// Valid UTF-8 as maskkv::tok::unicode defines it (no overlongs, surrogates, or > U+10FFFF).
inline bool valid_utf8(const std::string& s) {
  size_t i = 0, n = s.size();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < n) {
    unsigned c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// The check every tokenizer target makes after a clean encode: the ids lie inside the
// vocabulary, and decoding them is clean and gives valid UTF-8. With `decode_may_refuse`,
// Code::format from the decode is accepted as well (a decoder chain past its growth limit, a
// SentencePiece model that cannot decode its own pieces). Returns the decoded text ("" when
// refused).
template <class Tokenizer>
std::string check_ids_and_decode(const Tokenizer& t, const std::vector<int32_t>& ids, int32_t vocab,
                                 bool decode_may_refuse) {
  for (int32_t id : ids) check(id >= 0 && id < vocab, "encode produced an id outside the vocabulary");
  std::string back;
  const maskkv::Code c = expect_clean([&] { back = t.decode(ids, false); });
  check(c == maskkv::Code::ok || (decode_may_refuse && c == maskkv::Code::format), "decode of encode's ids failed");
  if (c == maskkv::Code::ok) check(valid_utf8(back), "decode produced invalid UTF-8");
  return back;
}

// A scratch directory for targets that must go through files (created once per process).
std::string scratch_dir();

// The source tree's tests/ directory (fixtures, seeds), compiled in.
inline std::string tests_dir() { return MASKKV_FUZZ_TESTS_DIR; }

}  // namespace maskkv_fuzz

#ifdef MASKKV_LIBFUZZER
#define MASKKV_FUZZ_TARGET(name, fn)                                             \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {      \
    return fn(data, size);                                                       \
  }
#else
#define MASKKV_FUZZ_TARGET(name, fn) static ::maskkv_fuzz::Registrar fuzz_registrar_##fn(name, fn);
#endif
