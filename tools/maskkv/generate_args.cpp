#include "generate_args.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common.h"

namespace cli {

namespace {

struct Row {
  maskkv_option_info info;
  std::string flag;                  // --flag without the dashes
  std::vector<std::string> choices;  // CHOICE: value names in value order
};

std::vector<std::string> split_choices(const char* text) {
  std::vector<std::string> out;
  std::string all = text;
  size_t begin = 0;
  while (!all.empty()) {
    const size_t bar = all.find('|', begin);
    out.push_back(all.substr(begin, bar == std::string::npos ? std::string::npos : bar - begin));
    if (bar == std::string::npos) break;
    begin = bar + 1;
  }
  return out;
}

// The library's option table, read once.
const std::vector<Row>& rows() {
  static const std::vector<Row> table = [] {
    std::vector<Row> out;
    const size_t n = maskkv_generate_option_count();
    for (size_t i = 0; i < n; ++i) {
      Row r;
      r.info.size = sizeof(r.info);
      check(maskkv_generate_option_info(i, &r.info), "reading the option table");
      r.flag = r.info.name;
      for (char& c : r.flag)
        if (c == '_') c = '-';
      r.choices = split_choices(r.info.choices);
      out.push_back(std::move(r));
    }
    return out;
  }();
  return table;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// "N", "X", "a|b|c", "FILE" or "" (a switch): what follows the flag in the help.
std::string placeholder(const Row& r) {
  switch (r.info.type) {
    case MASKKV_OPTION_INT:
    case MASKKV_OPTION_UINT64: return "N";
    case MASKKV_OPTION_FLOAT: return "X";
    case MASKKV_OPTION_CHOICE: return r.info.choices;
    case MASKKV_OPTION_PROFILE: return "FILE";
    default: return "";
  }
}

// One help line: the flag and its placeholder, then the text from column 26 (on the next line
// when the flag is longer).
std::string help_line(std::string left, const std::string& text) {
  const size_t column = 26;
  left += left.size() < column ? std::string(column - left.size(), ' ') : "\n" + std::string(column, ' ');
  return left + text + "\n";
}

std::string default_text(const Row& r) {
  const double d = r.info.default_value;
  switch (r.info.type) {
    case MASKKV_OPTION_BOOL: return d != 0 ? "on" : "off";
    case MASKKV_OPTION_CHOICE: return r.choices.at(static_cast<size_t>(d));
    case MASKKV_OPTION_PROFILE: return "none";
    default: return number_text(d);
  }
}

template <class T>
void store(maskkv_generate_options& o, const Row& r, T value) {
  std::memcpy(reinterpret_cast<char*>(&o) + r.info.offset, &value, sizeof value);
}

template <class T>
T load(const maskkv_generate_options& o, const Row& r) {
  T value;
  std::memcpy(&value, reinterpret_cast<const char*>(&o) + r.info.offset, sizeof value);
  return value;
}

}  // namespace

std::set<std::string> generate_option_names() {
  std::set<std::string> names{"backend", "threads", "weight-type"};
  for (const Row& r : rows())
    if (r.info.type != MASKKV_OPTION_BOOL) names.insert(r.flag);
  return names;
}

std::set<std::string> generate_flag_names() {
  std::set<std::string> names;
  for (const Row& r : rows())
    if (r.info.type == MASKKV_OPTION_BOOL) names.insert(r.flag);
  return names;
}

std::string generate_options_help() {
  std::string out = "generation options (the library's maskkv_generate_options):\n";
  for (const Row& r : rows()) {
    std::string left = "  --" + r.flag;
    if (const std::string p = placeholder(r); !p.empty()) left += " " + p;
    out += help_line(left, std::string(r.info.help) + " (default " + default_text(r) + ")");
  }
  out += help_line("  --backend auto|cpu|cuda", "where the model runs (default auto)");
  out += help_line("  --threads N", "CPU threads, 0 = one per core (default 0)");
  out += help_line("  --weight-type auto|bf16|q8_0|q4_0",
                   "convert the linear weights at load; q8_0/q4_0 on the CPU only (default auto)");
  out +=
      "Options that would have no effect (top-k with the LLaDA sampler, a budget with policy none, ...)\n"
      "are refused with the reason.\n";
  return out;
}

maskkv_generate_options read_generate_options(const Args& a) {
  maskkv_generate_options o;
  maskkv_generate_default_options(&o);
  for (const Row& r : rows()) {
    const double lo = r.info.min_value, hi = r.info.max_value;
    switch (r.info.type) {
      case MASKKV_OPTION_INT:
        store(o, r, static_cast<int32_t>(a.integer_in(r.flag, load<int32_t>(o, r), static_cast<int64_t>(lo),
                                                      static_cast<int64_t>(hi))));
        break;
      case MASKKV_OPTION_UINT64: store(o, r, static_cast<uint64_t>(a.unsigned_integer(r.flag, load<uint64_t>(o, r)))); break;
      case MASKKV_OPTION_FLOAT:
        store(o, r, static_cast<float>(a.number_in(r.flag, load<float>(o, r), lo, hi)));
        break;
      case MASKKV_OPTION_BOOL:
        if (a.has(r.flag)) store(o, r, int32_t{1});
        break;
      case MASKKV_OPTION_CHOICE: store(o, r, static_cast<int32_t>(a.choice(r.flag, r.choices, load<int32_t>(o, r)))); break;
      default: break;  // PROFILE: a file the command loads
    }
  }
  return o;
}

}  // namespace cli
