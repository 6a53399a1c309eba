// The bad-input catalogue: every entry of tests/bad_inputs/manifest.json (written by
// tools/fixtures/make_bad_inputs.py) goes to the C ABI call it names, which must return the status it
// names with a message containing the substring it names. One test per entry, so a failure
// names the file. Through maskkv.h only.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "maskkv.h"
#include "../abi/cuda_usable.h"

namespace {

using json = nlohmann::json;

const std::string kDir = MASKKV_BAD_INPUTS;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<json> load_cases() {
  std::vector<json> out;
  json m = json::parse(read_file(kDir + "/manifest.json"), nullptr, false);
  if (m.is_discarded() || !m.contains("cases")) return out;
  for (const auto& c : m["cases"]) out.push_back(c);
  return out;
}

maskkv_status status_of(const std::string& name) {
  for (maskkv_status s = MASKKV_OK; s <= MASKKV_ERR_INTERNAL; ++s)
    if (name == maskkv_status_name(s)) return s;
  ADD_FAILURE() << "unknown status name " << name;
  return -1;
}

float number(const json& v) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan") return std::numeric_limits<float>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<float>::infinity();
    if (s == "-inf") return -std::numeric_limits<float>::infinity();
    ADD_FAILURE() << "bad number " << s;
  }
  return v.get<float>();
}

// Applies a manifest "options" object to a maskkv_generate_options (policy by name or number).
void apply_options(const json& o, maskkv_generate_options* g) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "size" && v.is_string()) {
      ASSERT_EQ(v.get<std::string>(), "offsetof(profile)+4");
      g->size = static_cast<uint32_t>(offsetof(maskkv_generate_options, profile) + 4);
    } else if (k == "size") g->size = v.get<uint32_t>();
    else if (k == "gen_length") g->gen_length = v.get<int32_t>();
    else if (k == "steps") g->steps = v.get<int32_t>();
    else if (k == "block_length") g->block_length = v.get<int32_t>();
    else if (k == "sampler") g->sampler = v.get<int32_t>();
    else if (k == "temperature") g->temperature = number(v);
    else if (k == "top_p") g->top_p = number(v);
    else if (k == "top_k") g->top_k = v.get<int32_t>();
    else if (k == "cfg_scale") g->cfg_scale = number(v);
    else if (k == "threshold") g->threshold = number(v);
    else if (k == "factor") g->factor = number(v);
    else if (k == "rope_scaling") g->rope_scaling = number(v);
    else if (k == "rho") g->rho = number(v);
    else if (k == "budget") g->budget = v.get<int32_t>();
    else if (k == "pool_kernel") g->pool_kernel = v.get<int32_t>();
    else if (k == "kv_memory_limit") g->kv_memory_limit = v.get<uint64_t>();
    else if (k == "policy") {
      if (v.is_string()) {
        ASSERT_EQ(maskkv_policy_from_name(v.get<std::string>().c_str(), &g->policy), MASKKV_OK);
      } else {
        g->policy = v.get<int32_t>();
      }
    } else {
      ADD_FAILURE() << "manifest option '" << k << "' is not known to the test driver";
    }
  }
}

struct Model {
  maskkv_model* m = nullptr;
  explicit Model(const std::string& dir) {
    EXPECT_EQ(maskkv_model_load(dir.c_str(), nullptr, &m), MASKKV_OK) << dir << ": " << maskkv_last_error();
  }
  ~Model() { maskkv_model_free(m); }
};

// The fingerprint of a model, from a profile that a one-sample calibration writes.
std::string fingerprint_of(maskkv_model* m) {
  maskkv_calibrator* cal = nullptr;
  const int32_t prompt[] = {1, 2, 3};
  char path[] = "/tmp/maskkv-bad-inputs-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  EXPECT_EQ(maskkv_calibrator_begin(m, 4, &cal), MASKKV_OK) << maskkv_last_error();
  EXPECT_EQ(maskkv_calibrator_add(cal, prompt, 3), MASKKV_OK) << maskkv_last_error();
  EXPECT_EQ(maskkv_calibrator_save(cal, path), MASKKV_OK) << maskkv_last_error();
  maskkv_calibrator_free(cal);
  json p = json::parse(read_file(path), nullptr, false);
  std::remove(path);
  return p.is_object() ? p.value("model_fingerprint", "") : "";
}

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Runs one case; returns the status and leaves the message in *message.
maskkv_status run_case(const json& c, std::string* message) {
  const std::string call = c["call"];
  const std::string path = kDir + "/" + c.value("path", "");
  maskkv_status st = -1;
  auto record = [&](maskkv_status s) {
    st = s;
    *message = maskkv_last_error();
  };
  if (call == "maskkv_model_load") {
    maskkv_model_options mo;
    maskkv_model_default_options(&mo);
    if (c.contains("model_options")) {
      const json& o = c["model_options"];
      if (o.contains("size")) mo.size = o["size"];
      if (o.contains("backend")) mo.backend = o["backend"];
      if (o.contains("n_threads")) mo.n_threads = o["n_threads"];
      if (o.contains("weight_type")) mo.weight_type = o["weight_type"];
    }
    maskkv_model* m = reinterpret_cast<maskkv_model*>(&mo);  // must be overwritten
    record(maskkv_model_load(path.c_str(), &mo, &m));
    if (st == MASKKV_OK) {
      maskkv_model_info info;
      info.size = sizeof(info);
      EXPECT_EQ(maskkv_model_get_info(m, &info), MASKKV_OK);
      // auto (the default) runs on CUDA where a device is usable.
      const bool cuda = mo.backend == MASKKV_BACKEND_CUDA ||
                        (mo.backend == MASKKV_BACKEND_AUTO && testabi::cuda_usable());
      EXPECT_EQ(info.backend, cuda ? MASKKV_BACKEND_CUDA : MASKKV_BACKEND_CPU);
    } else {
      EXPECT_EQ(m, nullptr) << "a failed load must set *out_model to NULL";
    }
    maskkv_model_free(st == MASKKV_OK ? m : nullptr);
  } else if (call == "maskkv_tokenizer_load" || call == "maskkv_tokenize" || call == "maskkv_detokenize") {
    maskkv_tokenizer* t = nullptr;
    record(maskkv_tokenizer_load(path.c_str(), &t));
    if (call != "maskkv_tokenizer_load") {
      EXPECT_EQ(st, MASKKV_OK) << *message;
      if (call == "maskkv_tokenize") {
        std::vector<uint8_t> text = from_hex(c["text_hex"]);
        int32_t ids[256];
        size_t n = 0;
        record(maskkv_tokenize(t, reinterpret_cast<const char*>(text.data()), text.size(), 0, ids, 256, &n));
      } else {
        std::vector<int32_t> ids = c["ids"];
        char text[256];
        size_t n = 0;
        record(maskkv_detokenize(t, ids.data(), ids.size(), 0, text, sizeof text, &n));
      }
    }
    maskkv_tokenizer_free(t);
  } else if (call == "maskkv_profile_load") {
    Model model(kDir + "/" + c["model"].get<std::string>());
    if (!model.m) return -1;
    std::string text = read_file(path);
    const std::string fp = fingerprint_of(model.m);
    for (size_t at; (at = text.find("@MODEL@")) != std::string::npos;) text.replace(at, 7, fp);
    char tmp[] = "/tmp/maskkv-bad-profile-XXXXXX";
    const int fd = mkstemp(tmp);
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    maskkv_profile* p = nullptr;
    record(maskkv_profile_load(model.m, tmp, &p));
    std::remove(tmp);
    if (st != MASKKV_OK) EXPECT_EQ(p, nullptr);
    maskkv_profile_free(p);
  } else if (call == "maskkv_session_begin" || call == "maskkv_generate") {
    Model model(kDir + "/" + c["model"].get<std::string>());
    if (!model.m) return -1;
    maskkv_generate_options g;
    maskkv_generate_default_options(&g);
    if (c.contains("options")) apply_options(c["options"], &g);
    std::vector<int32_t> prompt = c.value("prompt", std::vector<int32_t>{});
    if (call == "maskkv_session_begin") {
      maskkv_session* s = reinterpret_cast<maskkv_session*>(&g);  // must be overwritten
      record(maskkv_session_begin(model.m, prompt.data(), prompt.size(), &g, &s));
      if (st != MASKKV_OK) EXPECT_EQ(s, nullptr) << "a failed begin must set *out_session to NULL";
      maskkv_session_free(st == MASKKV_OK ? s : nullptr);
    } else {
      const size_t capacity = c.value("capacity", static_cast<size_t>(g.gen_length > 0 ? g.gen_length : 1));
      std::vector<int32_t> out(capacity);
      size_t n = 0;
      record(maskkv_generate(model.m, prompt.data(), prompt.size(), &g, out.data(), capacity, &n, nullptr));
    }
  } else {
    ADD_FAILURE() << "unknown call " << call;
  }
  return st;
}

// A manifest entry; printed by its name only (test names stay short).
struct Case {
  json c;
};
void PrintTo(const Case& k, std::ostream* os) { *os << k.c.value("name", "?"); }

std::vector<Case> load_params() {
  std::vector<Case> out;
  for (auto& c : load_cases()) out.push_back({c});
  return out;
}

class BadInput : public testing::TestWithParam<Case> {};

TEST_P(BadInput, FailsWithTheDocumentedStatusAndMessage) {
  const json& c = GetParam().c;
  SCOPED_TRACE(c.dump());
  if (c.contains("model_options") && c["model_options"].value("backend", 0) == MASKKV_BACKEND_CUDA &&
      testabi::cuda_usable())
    GTEST_SKIP() << "a CUDA device is usable here: a CUDA request is not an error";
  std::string message;
  const maskkv_status got = run_case(c, &message);
  const maskkv_status want = status_of(c["status"]);
  EXPECT_STREQ(maskkv_status_name(got), maskkv_status_name(want)) << "message: " << message;
  const std::string needle = c["message"];
  if (want == MASKKV_OK) {
    EXPECT_EQ(message, "");
  } else {
    EXPECT_NE(message.find(needle), std::string::npos) << "message '" << message << "' lacks '" << needle << "'";
  }
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string n = info.param.c["name"];
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadInput, testing::ValuesIn(load_params()), case_name);

TEST(BadInputCatalogue, HasAtLeastThirtyCorruptEntriesAndEveryControlLoads) {
  const auto cases = load_cases();
  int bad = 0;
  for (const auto& c : cases) bad += c["status"] != "MASKKV_OK";
  EXPECT_GE(bad, 30);
}

// A FIFO cannot be committed to git, so this one is made here: opening it must neither block
// (waiting for a writer) nor be taken for a file.
TEST(BadInputCatalogue, FifoInPlaceOfAFileDoesNotHang) {
  char tmpl[] = "/tmp/maskkv-fifo-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string base = kDir + "/ok-llada";
  for (const char* f : {"config.json", "model.safetensors"}) {
    std::string src = read_file(base + "/" + f);
    std::ofstream(dir + "/" + f, std::ios::binary) << src;
  }
  for (const char* victim : {"model.safetensors", "config.json"}) {
    std::string saved = read_file(dir + "/" + victim);
    std::remove((dir + "/" + victim).c_str());
    ASSERT_EQ(mkfifo((dir + "/" + victim).c_str(), 0600), 0);
    maskkv_model* m = nullptr;
    EXPECT_EQ(maskkv_model_load(dir.c_str(), nullptr, &m), MASKKV_ERR_IO) << victim;
    EXPECT_NE(std::strstr(maskkv_last_error(), "is not a regular file"), nullptr) << maskkv_last_error();
    std::remove((dir + "/" + victim).c_str());
    std::ofstream(dir + "/" + victim, std::ios::binary) << saved;
  }
  maskkv_model* m = nullptr;
  EXPECT_EQ(maskkv_model_load(dir.c_str(), nullptr, &m), MASKKV_OK) << maskkv_last_error();
  maskkv_model_free(m);
  for (const char* f : {"config.json", "model.safetensors"}) std::remove((dir + "/" + f).c_str());
  rmdir(dir.c_str());
}

}  // namespace
