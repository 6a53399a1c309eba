// The option table as ABI clients see it (maskkv_generate_option_info): the C defaults, the
// range checks and the CLI's --help all come from it. Only maskkv.h and the shared library.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "maskkv.h"

namespace {

const std::string kLlada = std::string(MASKKV_FIXTURES) + "/models/llada_f32";

std::vector<maskkv_option_info> table() {
  std::vector<maskkv_option_info> out;
  for (size_t i = 0; i < maskkv_generate_option_count(); ++i) {
    maskkv_option_info info;
    info.size = sizeof(info);
    EXPECT_EQ(maskkv_generate_option_info(i, &info), MASKKV_OK) << maskkv_last_error();
    out.push_back(info);
  }
  return out;
}

std::vector<std::string> choices(const maskkv_option_info& info) {
  std::vector<std::string> out;
  std::string all = info.choices;
  size_t begin = 0;
  while (!all.empty()) {
    const size_t bar = all.find('|', begin);
    out.push_back(all.substr(begin, bar == std::string::npos ? std::string::npos : bar - begin));
    if (bar == std::string::npos) break;
    begin = bar + 1;
  }
  return out;
}

// The field `info` describes in `o`, as a double (PROFILE: 0 for NULL, 1 otherwise).
double field(const maskkv_generate_options& o, const maskkv_option_info& info) {
  const char* p = reinterpret_cast<const char*>(&o) + info.offset;
  switch (info.type) {
    case MASKKV_OPTION_UINT64: {
      uint64_t v;
      std::memcpy(&v, p, sizeof v);
      return static_cast<double>(v);
    }
    case MASKKV_OPTION_FLOAT: {
      float v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
    case MASKKV_OPTION_PROFILE: {
      const maskkv_profile* v;
      std::memcpy(&v, p, sizeof v);
      return v ? 1 : 0;
    }
    default: {
      int32_t v;
      std::memcpy(&v, p, sizeof v);
      return v;
    }
  }
}

void set_field(maskkv_generate_options& o, const maskkv_option_info& info, double value) {
  char* p = reinterpret_cast<char*>(&o) + info.offset;
  if (info.type == MASKKV_OPTION_FLOAT) {
    const float v = static_cast<float>(value);
    std::memcpy(p, &v, sizeof v);
  } else {
    const int32_t v = static_cast<int32_t>(value);
    std::memcpy(p, &v, sizeof v);
  }
}

std::string run(const std::string& command) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  pclose(f);
  return out;
}

}  // namespace

TEST(OptionTable, CoversTheStructInOrderWithSaneRows) {
  const std::vector<maskkv_option_info> rows = table();
  ASSERT_FALSE(rows.empty());
  EXPECT_STREQ(rows.front().name, "gen_length");
  EXPECT_EQ(rows.front().offset, offsetof(maskkv_generate_options, gen_length));
  EXPECT_STREQ(rows.back().name, "kv_memory_limit");
  EXPECT_EQ(rows.back().offset, offsetof(maskkv_generate_options, kv_memory_limit));
  std::set<std::string> names;
  uint64_t last_offset = 0;
  for (const maskkv_option_info& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_TRUE(names.insert(r.name).second) << "a name twice";
    EXPECT_GT(r.offset, last_offset);
    last_offset = r.offset;
    EXPECT_GE(r.type, MASKKV_OPTION_INT);
    EXPECT_LE(r.type, MASKKV_OPTION_PROFILE);
    EXPECT_GT(std::strlen(r.help), 10u);
    EXPECT_LE(r.min_value, r.max_value);
    if (r.type != MASKKV_OPTION_PROFILE) {
      EXPECT_GE(r.default_value, r.min_value);
      EXPECT_LE(r.default_value, r.max_value);
    }
    if (r.type == MASKKV_OPTION_CHOICE) {
      EXPECT_EQ(r.min_value, 0);
      EXPECT_EQ(static_cast<double>(choices(r).size()), r.max_value + 1);
    } else {
      EXPECT_STREQ(r.choices, "");
    }
  }
}

TEST(OptionTable, DefaultOptionsAreTheTableDefaults) {
  maskkv_generate_options o;
  std::memset(&o, 0x5a, sizeof o);  // every field must be written
  maskkv_generate_default_options(&o);
  EXPECT_EQ(o.size, sizeof(o));
  for (const maskkv_option_info& r : table()) {
    SCOPED_TRACE(r.name);
    const double expect = r.type == MASKKV_OPTION_FLOAT ? static_cast<float>(r.default_value) : r.default_value;
    EXPECT_EQ(field(o, r), expect);
  }
  // Spot checks against the documented values, so that the table cannot drift unnoticed.
  EXPECT_EQ(o.gen_length, 64);
  EXPECT_EQ(o.alg, MASKKV_ALG_ENTROPY);
  EXPECT_EQ(o.budget, 256);
  EXPECT_FLOAT_EQ(o.rho, 0.25f);
  EXPECT_EQ(o.profile, nullptr);
}

TEST(OptionTable, PolicyValueNamesAreTheAbisNames) {
  for (const maskkv_option_info& r : table()) {
    if (std::string(r.name) != "policy") continue;
    const std::vector<std::string> names = choices(r);
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_EQ(names[i], maskkv_policy_name(static_cast<int32_t>(i)));
      int32_t value = -1;
      EXPECT_EQ(maskkv_policy_from_name(names[i].c_str(), &value), MASKKV_OK);
      EXPECT_EQ(value, static_cast<int32_t>(i));
    }
    return;
  }
  FAIL() << "no policy row";
}

TEST(OptionTable, InfoCallRefusesBadArguments) {
  maskkv_option_info info;
  info.size = sizeof(info);
  EXPECT_EQ(maskkv_generate_option_info(maskkv_generate_option_count(), &info), MASKKV_ERR_OUT_OF_RANGE);
  EXPECT_NE(std::strstr(maskkv_last_error(), "past the last"), nullptr) << maskkv_last_error();
  EXPECT_EQ(maskkv_generate_option_info(0, nullptr), MASKKV_ERR_INVALID_ARGUMENT);
  info.size = 2;
  EXPECT_EQ(maskkv_generate_option_info(0, &info), MASKKV_ERR_INVALID_ARGUMENT);
  // An older, smaller struct gets the whole fields it has and learns how much was written.
  maskkv_option_info small;
  std::memset(&small, 0, sizeof small);
  small.size = offsetof(maskkv_option_info, choices);
  ASSERT_EQ(maskkv_generate_option_info(0, &small), MASKKV_OK);
  EXPECT_EQ(small.size, offsetof(maskkv_option_info, choices));
  EXPECT_STREQ(small.name, "gen_length");
  EXPECT_EQ(small.choices, nullptr);
}

// Every bounded option, just outside its range, is refused at maskkv_session_begin with a
// message naming the option and the table's range.
TEST(OptionTable, ValuesOutsideTheTableRangeAreRefused) {
  maskkv_model* model = nullptr;
  ASSERT_EQ(maskkv_model_load(kLlada.c_str(), nullptr, &model), MASKKV_OK) << maskkv_last_error();
  const int32_t prompt[] = {1, 2};
  int checked = 0;
  for (const maskkv_option_info& r : table()) {
    if (r.type != MASKKV_OPTION_INT && r.type != MASKKV_OPTION_FLOAT && r.type != MASKKV_OPTION_CHOICE) continue;
    std::vector<double> outside;
    const double step = r.type == MASKKV_OPTION_FLOAT ? std::fmax(1.0, std::fabs(r.max_value)) : 1.0;
    if (r.min_value > -2147483648.0) outside.push_back(r.min_value - step);
    if (r.max_value < 2147483647.0) outside.push_back(r.max_value + step);
    for (double v : outside) {
      SCOPED_TRACE(std::string(r.name) + " = " + std::to_string(v));
      maskkv_generate_options o;
      maskkv_generate_default_options(&o);
      o.gen_length = 8;
      set_field(o, r, v);
      maskkv_session* s = nullptr;
      EXPECT_EQ(maskkv_session_begin(model, prompt, 2, &o, &s), MASKKV_ERR_INVALID_ARGUMENT);
      const std::string message = maskkv_last_error();
      EXPECT_EQ(message.rfind(std::string(r.name) + " = ", 0), 0u) << message;
      EXPECT_NE(message.find("is outside ["), std::string::npos) << message;
      maskkv_session_free(s);
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);
  maskkv_model_free(model);
}

// `maskkv generate --help` lists every option of the table under its flag, with its help and
// its default.
TEST(OptionTable, CliHelpShowsEveryOptionWithItsDefault) {
  const std::string help = run(std::string(MASKKV_CLI) + " generate --help");
  ASSERT_NE(help.find("usage: maskkv generate"), std::string::npos) << help;
  for (const maskkv_option_info& r : table()) {
    SCOPED_TRACE(r.name);
    std::string flag = std::string("--") + r.name;
    for (char& c : flag)
      if (c == '_') c = '-';
    const size_t at = help.find("\n  " + flag + " ");
    ASSERT_NE(at, std::string::npos) << flag << " missing from\n" << help;
    const size_t end = help.find("\n  --", at + 1);
    const std::string entry = help.substr(at, end == std::string::npos ? std::string::npos : end - at);
    std::string def;
    char buf[32];
    switch (r.type) {
      case MASKKV_OPTION_BOOL: def = r.default_value != 0 ? "on" : "off"; break;
      case MASKKV_OPTION_CHOICE: def = choices(r).at(static_cast<size_t>(r.default_value)); break;
      case MASKKV_OPTION_PROFILE: def = "none"; break;
      default:
        std::snprintf(buf, sizeof buf, "%.10g", r.default_value);
        def = buf;
    }
    EXPECT_NE(entry.find(r.help), std::string::npos) << entry;
    EXPECT_NE(entry.find("(default " + def + ")"), std::string::npos) << entry;
    if (r.type == MASKKV_OPTION_CHOICE) EXPECT_NE(entry.find(r.choices), std::string::npos) << entry;
  }
}
