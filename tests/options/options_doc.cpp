// Writes docs/options.md from the library's option table (maskkv_generate_option_info), or
// checks that the file is current.
//
//   options_doc --write docs/options.md
//   options_doc --check docs/options.md     exit 1, saying how to regenerate, when it differs
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "maskkv.h"

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

const char* kind_name(int32_t type) {
  switch (type) {
    case MASKKV_OPTION_INT: return "int32";
    case MASKKV_OPTION_UINT64: return "uint64";
    case MASKKV_OPTION_FLOAT: return "float";
    case MASKKV_OPTION_BOOL: return "bool (0/1)";
    case MASKKV_OPTION_CHOICE: return "choice";
    case MASKKV_OPTION_PROFILE: return "profile";
    default: return "?";
  }
}

std::string values(const maskkv_option_info& r) {
  switch (r.type) {
    case MASKKV_OPTION_INT:
    case MASKKV_OPTION_FLOAT: return number(r.min_value) + " to " + number(r.max_value);
    case MASKKV_OPTION_UINT64: return "any";
    case MASKKV_OPTION_BOOL: return "0, 1";
    case MASKKV_OPTION_PROFILE: return "a `maskkv_profile`";
    case MASKKV_OPTION_CHOICE: {
      std::string out, all = r.choices;
      int i = 0;
      for (size_t begin = 0;; ++i) {
        const size_t bar = all.find('|', begin);
        out += (i ? ", " : "") + std::to_string(i) + " `" + all.substr(begin, bar - begin) + "`";
        if (bar == std::string::npos) break;
        begin = bar + 1;
      }
      return out;
    }
    default: return "";
  }
}

std::string default_text(const maskkv_option_info& r) {
  if (r.type == MASKKV_OPTION_PROFILE) return "NULL";
  if (r.type == MASKKV_OPTION_CHOICE) {
    std::string all = r.choices;
    size_t begin = 0;
    for (int i = 0; i < static_cast<int>(r.default_value); ++i) begin = all.find('|', begin) + 1;
    return number(r.default_value) + " (`" + all.substr(begin, all.find('|', begin) - begin) + "`)";
  }
  return number(r.default_value);
}

std::string flag(const char* name) {
  std::string f = std::string("--") + name;
  for (char& c : f)
    if (c == '_') c = '-';
  return f;
}

std::string render() {
  std::ostringstream out;
  out << "# Generation options\n\n"
         "<!-- Generated from the option table (lib/options/generate_option_table.h) by\n"
         "     `cmake --build build --target maskkv_options_doc`; the test options_doc_current checks it. -->\n\n"
         "The fields of `maskkv_generate_options` (include/maskkv.h), in the struct's order.\n"
         "`maskkv_generate_default_options()` sets the defaults. A value outside its range fails at\n"
         "`maskkv_session_begin` with `MASKKV_ERR_INVALID_ARGUMENT` naming the field and the range; an\n"
         "option set away from its default where the sampler or policy in use would ignore it fails\n"
         "with `MASKKV_ERR_UNSUPPORTED` saying why.\n\n"
         "The same names are the keyword arguments of the Python binding's `Model.generate` and the\n"
         "fields of the Rust and Java `GenerateOptions`. The `maskkv` CLI takes each as a flag with `-`\n"
         "for `_` (`--gen-length`), choices by name, and `--profile FILE`; a value outside its range is a\n"
         "usage error there (exit status 2). Programs can read this table at run time with\n"
         "`maskkv_generate_option_count()` and `maskkv_generate_option_info()`.\n\n"
         "| field | CLI | type | default | valid values | what it does |\n"
         "| --- | --- | --- | --- | --- | --- |\n";
  for (size_t i = 0; i < maskkv_generate_option_count(); ++i) {
    maskkv_option_info r;
    r.size = sizeof(r);
    if (maskkv_generate_option_info(i, &r) != MASKKV_OK) {
      std::fprintf(stderr, "options_doc: %s\n", maskkv_last_error());
      std::exit(1);
    }
    out << "| `" << r.name << "` | `" << flag(r.name) << "` | " << kind_name(r.type) << " | " << default_text(r)
        << " | " << values(r) << " | " << r.help << " |\n";
  }
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "--write") != 0 && std::strcmp(argv[1], "--check") != 0)) {
    std::fprintf(stderr, "usage: options_doc --write|--check FILE\n");
    return 2;
  }
  const std::string doc = render();
  if (std::strcmp(argv[1], "--write") == 0) {
    std::ofstream(argv[2], std::ios::binary) << doc;
    std::printf("options_doc: wrote %s\n", argv[2]);
    return 0;
  }
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream current;
  current << in.rdbuf();
  if (current.str() != doc) {
    std::fprintf(stderr,
                 "options_doc: %s is not what the option table gives; regenerate it with\n"
                 "  cmake --build build --target maskkv_options_doc\n",
                 argv[2]);
    return 1;
  }
  std::printf("options_doc: %s is current\n", argv[2]);
  return 0;
}
