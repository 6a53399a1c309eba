// A GGUF file as a model: metadata become the spec, tensors take their Hugging Face names and
// shapes, LLaDA's query/key rows return from the converter's order, Q8_0/Q4_0 tensors keep
// their blocks, and every missing or unsupported piece is named.
#include <gtest/gtest.h>

#include <cmath>

#include <functional>
#include <set>

#include "core/error.h"
#include "io/gguf_checkpoint.h"
#include "io/gguf_tokenizer.h"
#include "model/model.h"
#include "gguf_builder.h"
#include "test_util.h"

using namespace maskkv;
using testutil::GgufBuilder;

namespace {

constexpr int kD = 32, kHeads = 2, kFf = 32, kVocab = 6;
constexpr uint32_t kF32 = 0, kQ8_0 = 8;

// Row-major [rows, cols], multiples of 1/64 in [-1, 1), no two rows alike.
std::vector<float> matrix(int rows, int cols) {
  std::vector<float> m(static_cast<size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) m[static_cast<size_t>(r) * cols + c] = ((7 * r + c) % 128 - 64) / 64.0f;
  return m;
}

// Q8_0 blocks holding exactly `m` when every value is a multiple of d = 1/64 in [-2, 2).
std::string q8_0(const std::vector<float>& m) {
  std::string out;
  const uint16_t d = 0x2400;  // f16 1/64
  for (size_t b = 0; b < m.size() / 32; ++b) {
    out += GgufBuilder::pod(d);
    for (int j = 0; j < 32; ++j) out += static_cast<char>(static_cast<int8_t>(m[32 * b + j] * 64));
  }
  return out;
}

struct Tiny {
  std::string arch = "llada";
  uint32_t matrix_type = kF32;
  std::set<std::string> skip;
  std::vector<std::pair<std::string, std::vector<uint64_t>>> extra_tensors;
  std::function<void(GgufBuilder&)> extra_kv;
  std::map<std::string, std::vector<float>> values;  // tensor -> the row-major values written
};

// A one-layer model with tokenizer metadata.
std::string tiny(Tiny& t) {
  GgufBuilder b;
  const std::string& a = t.arch;
  b.kv_str("general.architecture", a).kv_u32(a + ".block_count", 1).kv_u32(a + ".embedding_length", kD);
  b.kv_u32(a + ".attention.head_count", kHeads).kv_u32(a + ".feed_forward_length", kFf);
  b.kv_u32(a + ".context_length", 128).kv_f32(a + ".rope.freq_base", 500000.0f);
  b.kv_f32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
  b.kv_str("tokenizer.ggml.model", "gpt2").kv_str("tokenizer.ggml.pre", "gpt-2");
  b.kv_strs("tokenizer.ggml.tokens", {"a", "b", "ab", "\xc4\xa0", "<s>", "<mask>"});
  b.kv_i32s("tokenizer.ggml.token_type", {1, 1, 1, 1, 3, 3});
  b.kv_strs("tokenizer.ggml.merges", {"a b"});
  b.kv_u32("tokenizer.ggml.bos_token_id", 4).kv_bool("tokenizer.ggml.add_bos_token", true);
  b.kv_u32("tokenizer.ggml.mask_token_id", 5);
  if (t.extra_kv) t.extra_kv(b);
  auto add = [&](const std::string& name, int rows, int cols, bool is_matrix) {
    if (t.skip.count(name)) return;
    const auto m = matrix(rows, cols);
    t.values[name] = m;
    const std::vector<uint64_t> ne = rows == 1 ? std::vector<uint64_t>{uint64_t(cols)}
                                               : std::vector<uint64_t>{uint64_t(cols), uint64_t(rows)};
    if (is_matrix && t.matrix_type == kQ8_0) b.tensor(name, ne, kQ8_0, q8_0(m));
    else b.tensor(name, ne, kF32, testutil::f32_bytes(m));
  };
  add("token_embd.weight", kVocab, kD, false);
  add("output_norm.weight", 1, kD, false);
  add("output.weight", kVocab, kD, false);
  add("blk.0.attn_norm.weight", 1, kD, false);
  add("blk.0.attn_q.weight", kD, kD, true);
  add("blk.0.attn_k.weight", kD, kD, true);
  add("blk.0.attn_v.weight", kD, kD, true);
  if (a == "dream") {
    add("blk.0.attn_q.bias", 1, kD, false);
    add("blk.0.attn_k.bias", 1, kD, false);
    add("blk.0.attn_v.bias", 1, kD, false);
  }
  add("blk.0.attn_output.weight", kD, kD, true);
  add("blk.0.ffn_norm.weight", 1, kD, false);
  add("blk.0.ffn_gate.weight", kFf, kD, true);
  add("blk.0.ffn_up.weight", kFf, kD, true);
  add("blk.0.ffn_down.weight", kD, kFf, true);
  for (const auto& [name, ne] : t.extra_tensors) b.tensor(name, ne, kF32, std::string(4 * ne[0] * (ne.size() > 1 ? ne[1] : 1), '\0'));
  return b.build();
}

std::unique_ptr<Checkpoint> checkpoint(const std::string& image) {
  auto keep = std::make_shared<std::string>(image);
  GgufImage img = parse_gguf(reinterpret_cast<const uint8_t*>(keep->data()), keep->size(), "t.gguf");
  return gguf_checkpoint(img, "t.gguf", keep);
}

std::vector<float> floats(const TensorInfo& t) {
  EXPECT_EQ(t.dtype, DType::f32);
  std::vector<float> v(t.nbytes / 4);
  std::memcpy(v.data(), t.data, t.nbytes);
  return v;
}

void expect_load_error(Tiny t, Code code, const std::string& needle) {
  testutil::TempDir dir;
  testutil::write_file(dir.file("m.gguf"), tiny(t));
  testutil::expect_error([&] { Model::load(dir.file("m.gguf"), ModelOptions{}); }, code, needle);
}

}  // namespace

TEST(GgufModel, LladaConfigNamesAndShapes) {
  Tiny t;
  auto c = checkpoint(tiny(t));
  const nlohmann::json& cfg = c->config();
  EXPECT_EQ(cfg["model_type"], "llada");
  EXPECT_EQ(cfg["n_layers"], 1);
  EXPECT_EQ(cfg["d_model"], kD);
  EXPECT_EQ(cfg["n_kv_heads"], kHeads);  // head_count_kv absent: same as head_count
  EXPECT_EQ(cfg["vocab_size"], kVocab);
  EXPECT_EQ(cfg["weight_tying"], false);
  EXPECT_EQ(cfg["mask_token_id"], 5);
  const ModelSpec s = parse_model_spec(cfg, "t.gguf");
  EXPECT_EQ(s.rope_theta, 500000.0);
  EXPECT_EQ(s.max_seq_len, 128);
  EXPECT_EQ(s.bos_id, 4);
  EXPECT_EQ(s.eos_id, -1);  // the file names none
  EXPECT_EQ(s.eot_id, -1);
  const TensorInfo& down = c->get("model.transformer.blocks.0.ff_out.weight");
  EXPECT_EQ(down.shape, (std::vector<int64_t>{kD, kFf}));
  EXPECT_EQ(floats(down), t.values["blk.0.ffn_down.weight"]);
  EXPECT_EQ(floats(c->get("model.transformer.wte.weight")), t.values["token_embd.weight"]);
  EXPECT_EQ(floats(c->get("model.transformer.ff_out.weight")), t.values["output.weight"]);
  EXPECT_NO_THROW(bind_weights(s, *c));
}

TEST(GgufModel, LladaQueryAndKeyRowsReturnToHalvesOrder) {
  // The converter stores head h's rows (half t, pair i) at (i, t): with head dim 16, file rows
  // 0..15 of head 0 hold Hugging Face rows 0, 8, 1, 9, 2, 10, ...
  Tiny t;
  auto c = checkpoint(tiny(t));
  for (const char* n : {"q", "k"}) {
    const auto file = t.values[std::string("blk.0.attn_") + n + ".weight"];
    const auto hf = floats(c->get(std::string("model.transformer.blocks.0.") + n + "_proj.weight"));
    auto file_row_of = [](int hf_row) {
      const int h = hf_row / 16, r = hf_row % 16, half = r / 8, i = r % 8;
      return h * 16 + 2 * i + half;
    };
    EXPECT_EQ(file_row_of(1), 2);
    EXPECT_EQ(file_row_of(8), 1);
    EXPECT_EQ(file_row_of(31), 31);
    for (int r = 0; r < kD; ++r)
      for (int col = 0; col < kD; ++col)
        ASSERT_EQ(hf[r * kD + col], file[file_row_of(r) * kD + col]) << n << " row " << r;
  }
  // V and the output projection are not reordered.
  EXPECT_EQ(floats(c->get("model.transformer.blocks.0.v_proj.weight")), t.values["blk.0.attn_v.weight"]);
}

TEST(GgufModel, DreamKeepsRowOrderAndNeedsBiases) {
  Tiny t;
  t.arch = "dream";
  auto c = checkpoint(tiny(t));
  EXPECT_EQ(c->config()["model_type"], "Dream");
  EXPECT_EQ(floats(c->get("model.layers.0.self_attn.q_proj.weight")), t.values["blk.0.attn_q.weight"]);
  EXPECT_EQ(floats(c->get("model.layers.0.self_attn.k_proj.bias")), t.values["blk.0.attn_k.bias"]);
  EXPECT_EQ(floats(c->get("model.layers.0.mlp.gate_proj.weight")), t.values["blk.0.ffn_gate.weight"]);
  Tiny u;
  u.arch = "dream";
  u.skip = {"blk.0.attn_k.bias"};
  expect_load_error(u, Code::format, "missing tensor 'blk.0.attn_k.bias' (Hugging Face name 'model.layers.0.self_attn.k_proj.bias')");
}

// Any tensor's values as f32 (blocks decoded).
std::vector<float> decoded(const TensorInfo& t) {
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  convert_to_f32(t.dtype, t.data, v.data(), v.size());
  return v;
}

TEST(GgufModel, Q8_0TensorsKeepTheirBlocks) {
  Tiny t;
  t.matrix_type = kQ8_0;
  auto c = checkpoint(tiny(t));
  const TensorInfo& up = c->get("model.transformer.blocks.0.up_proj.weight");
  EXPECT_EQ(up.dtype, DType::q8_0);
  EXPECT_EQ(up.nbytes, dtype_row_bytes(DType::q8_0, up.shape[1]) * static_cast<size_t>(up.shape[0]));
  EXPECT_EQ(decoded(up), t.values["blk.0.ffn_up.weight"]);
  const TensorInfo& qt = c->get("model.transformer.blocks.0.q_proj.weight");
  EXPECT_EQ(qt.dtype, DType::q8_0);
  const auto q = decoded(qt);
  const auto file = t.values["blk.0.attn_q.weight"];
  EXPECT_EQ(q[1 * kD + 3], file[2 * kD + 3]);  // block rows reordered as stored
  // A model runs on them.
  testutil::TempDir dir;
  testutil::write_file(dir.file("m.gguf"), tiny(t));
  ModelOptions o;
  o.backend = BackendKind::cpu;
  auto m = Model::load(dir.file("m.gguf"), o);
  EXPECT_EQ(m->weights().dtype, DType::q8_0);
  const auto logits = m->logits({0, 1, 5}, {2}, 1.0);
  ASSERT_EQ(logits.size(), static_cast<size_t>(kVocab));
  for (float x : logits) EXPECT_TRUE(std::isfinite(x));
}

// The weight scan (scan_all_weights) finds a block whose f16 scale is Inf or NaN.
TEST(GgufModel, NonFiniteBlockScaleIsFound) {
  for (DType t : {DType::q8_0, DType::q4_0}) {
    const size_t block = dtype_row_bytes(t, 32);
    std::vector<uint8_t> raw(3 * block, 0);
    EXPECT_EQ(first_non_finite(t, raw.data(), 96), -1);
    raw[2 * block + 1] = 0x7C;  // block 2's scale: f16 +Inf
    EXPECT_EQ(first_non_finite(t, raw.data(), 96), 64);
    raw[2 * block] = 1;  // NaN
    EXPECT_EQ(first_non_finite(t, raw.data(), 96), 64);
  }
}

TEST(GgufModel, TiedOutputWhenTheFileHasNone) {
  Tiny t;
  t.skip = {"output.weight"};
  auto c = checkpoint(tiny(t));
  EXPECT_EQ(c->config()["weight_tying"], true);
  testutil::TempDir dir;
  testutil::write_file(dir.file("m.gguf"), tiny(t));
  auto m = Model::load(dir.file("m.gguf"), ModelOptions{});
  EXPECT_EQ(m->weights().lm_head.data, m->weights().embed.data);
  EXPECT_EQ(m->directory(), dir.file("m.gguf"));
  EXPECT_EQ(m->logits({0, 1, 5}, {2}, 1.0).size(), static_cast<size_t>(kVocab));
}

TEST(GgufModel, MetadataErrorsNameTheKey) {
  Tiny t;
  t.arch = "llama";
  expect_load_error(t, Code::unsupported, "general.architecture 'llama' is not supported");
  t = Tiny();
  t.extra_kv = [](GgufBuilder& b) { b.kv_str("llada.rope.scaling.type", "yarn"); };
  expect_load_error(t, Code::unsupported, "'llada.rope.scaling.type' = 'yarn' is not supported");
  t.extra_kv = [](GgufBuilder& b) { b.kv_str("llada.rope.scaling.type", "none"); };
  EXPECT_NO_THROW(checkpoint(tiny(t)));
  t.extra_kv = [](GgufBuilder& b) { b.kv_bool("llada.attention.causal", true); };
  expect_load_error(t, Code::unsupported, "'llada.attention.causal' = true");
  t.extra_kv = [](GgufBuilder& b) { b.kv_bool("diffusion.shift_logits", true); };
  expect_load_error(t, Code::unsupported, "'diffusion.shift_logits' = true, but llada models do not shift");
  t.extra_kv = [](GgufBuilder& b) { b.kv_raw("split.count", GgufBuilder::u16, GgufBuilder::pod<uint16_t>(3)); };
  expect_load_error(t, Code::unsupported, "one of 3 parts of a split GGUF model");
  t.extra_kv = [](GgufBuilder& b) { b.kv_u32("llada.rope.dimension_count", 8); };
  expect_load_error(t, Code::unsupported, "partial rotary");
  t.extra_kv = [](GgufBuilder& b) { b.kv_str("llada.attention.head_count_kv", "two"); };
  expect_load_error(t, Code::format, "metadata 'llada.attention.head_count_kv' must be an integer, not string");
  t.extra_kv = [](GgufBuilder& b) { b.kv_u32("llada.attention.head_count_kv", 0); };
  expect_load_error(t, Code::format, "'llada.attention.head_count_kv' = 0 is outside [1, 65536]");
  t.extra_kv = [](GgufBuilder& b) { b.kv_u32("llada.attention.head_count_kv", 3); };
  expect_load_error(t, Code::format, "'blk.0.attn_k.weight' has 32 rows, not a whole number of head pairs for 3 heads");
  t.extra_kv = nullptr;
  t.skip = {"token_embd.weight"};
  expect_load_error(t, Code::format, "missing tensor 'token_embd.weight'");
  t.skip = {"blk.0.ffn_up.weight"};
  expect_load_error(t, Code::format, "missing tensor 'blk.0.ffn_up.weight'");
}

TEST(GgufModel, StrayAndSurplusTensors) {
  Tiny t;
  t.extra_tensors = {{"blk.0.attn_qkv.weight", {4}}};
  expect_load_error(t, Code::format, "tensor 'blk.0.attn_qkv.weight' is not a tensor of a llada model");
  t.extra_tensors = {{"blk.01.ffn_up.weight", {4}}};
  expect_load_error(t, Code::format, "'blk.01.ffn_up.weight' is not a tensor");
  t.extra_tensors = {{"blk.1.ffn_norm.weight", {kD}}};
  expect_load_error(t, Code::format, "holds more layers than the config");
}

TEST(GgufModel, NoMaskToken) {
  GgufBuilder b;
  b.kv_str("general.architecture", "llada").kv_u32("llada.block_count", 1).kv_u32("llada.embedding_length", 8);
  b.kv_u32("llada.attention.head_count", 2).kv_u32("llada.feed_forward_length", 8);
  b.tensor("token_embd.weight", {8, 2}, 0, std::string(64, '\0'));
  testutil::expect_error([&] { checkpoint(b.build()); }, Code::format, "no mask token");
  b.kv_strs("tokenizer.ggml.tokens", {"x", "<|mdm_mask|>"});
  EXPECT_EQ(checkpoint(b.build())->config()["mask_token_id"], 1);
}

TEST(GgufModel, TokenizerFromMetadata) {
  Tiny t;
  const std::string image = tiny(t);
  const GgufImage img = parse_gguf(reinterpret_cast<const uint8_t*>(image.data()), image.size(), "t.gguf");
  auto tk = gguf_tokenizer(img, "t.gguf");
  EXPECT_EQ(tk->vocab_size(), kVocab);
  EXPECT_EQ(tk->encode("ab a", true), (std::vector<int32_t>{4, 2, 3, 0}));
  EXPECT_EQ(tk->encode("ab a", false), (std::vector<int32_t>{2, 3, 0}));
  EXPECT_EQ(tk->encode("b<mask>", false), (std::vector<int32_t>{1, 5}));
  EXPECT_TRUE(tk->is_special(5));
  EXPECT_EQ(tk->decode({4, 2, 3, 0}, true), "ab a");
  EXPECT_EQ(tk->bos_id(), 4);
}

TEST(GgufModel, TokenizerErrors) {
  auto with = [](std::function<void(GgufBuilder&)> f) {
    GgufBuilder b;
    f(b);
    return b.build();
  };
  auto err = [](const std::string& image, Code code, const std::string& needle) {
    const GgufImage img = parse_gguf(reinterpret_cast<const uint8_t*>(image.data()), image.size(), "t.gguf");
    testutil::expect_error([&] { gguf_tokenizer(img, "t.gguf"); }, code, needle);
  };
  auto base = [](GgufBuilder& b) {
    b.kv_strs("tokenizer.ggml.tokens", {"a", "b"}).kv_strs("tokenizer.ggml.merges", {"a b"});
    b.kv_str("tokenizer.ggml.pre", "gpt-2");
  };
  err(with([](GgufBuilder&) {}), Code::not_found, "holds no tokenizer");
  err(with([&](GgufBuilder& b) { b.kv_str("tokenizer.ggml.model", "bert"); base(b); }), Code::unsupported,
      "'tokenizer.ggml.model' = 'bert' is not supported");
  // 'llama' (SentencePiece) vocabularies.
  err(with([&](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "llama").kv_strs("tokenizer.ggml.tokens", {"<unk>", "a"});
        b.kv_raw("tokenizer.ggml.scores", GgufBuilder::array,
                 GgufBuilder::pod<uint32_t>(GgufBuilder::f32) + GgufBuilder::pod<uint64_t>(1) + GgufBuilder::pod(0.0f));
      }),
      Code::format, "'tokenizer.ggml.scores' has 1 entries but 'tokenizer.ggml.tokens' has 2");
  err(with([&](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "llama").kv_strs("tokenizer.ggml.tokens", {"<unk>", "a"});
        b.kv_i32s("tokenizer.ggml.token_type", {2, 9});
      }),
      Code::format, "'tokenizer.ggml.token_type[1]' = 9 is not a token type");
  err(with([&](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "llama").kv_strs("tokenizer.ggml.tokens", {"<unk>", "a"});
        b.kv_u32("tokenizer.ggml.unknown_token_id", 2);
      }),
      Code::format, "'tokenizer.ggml.unknown_token_id' = 2 is outside the vocabulary of 2");
  err(with([&](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "llama").kv_strs("tokenizer.ggml.tokens", {"<unk>", "a", "a"});
      }),
      Code::format, "t.gguf");  // libsentencepiece refuses a repeated piece
  err(with([&](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "gpt2");
        b.kv_strs("tokenizer.ggml.tokens", {"a", "b"}).kv_strs("tokenizer.ggml.merges", {"a b"});
        b.kv_str("tokenizer.ggml.pre", "falcon");
      }),
      Code::unsupported, "'tokenizer.ggml.pre' = 'falcon'");
  err(with([&](GgufBuilder& b) { b.kv_str("tokenizer.ggml.model", "gpt2").kv_i32s("tokenizer.ggml.token_type", {1}); base(b); }),
      Code::format, "'tokenizer.ggml.token_type' has 1 entries but 'tokenizer.ggml.tokens' has 2");
  err(with([](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "gpt2").kv_str("tokenizer.ggml.pre", "gpt-2");
        b.kv_strs("tokenizer.ggml.tokens", {"a", "\xff"});
        b.kv_strs("tokenizer.ggml.merges", {});
      }),
      Code::format, "'tokenizer.ggml.tokens[1]' is not valid UTF-8");
  err(with([](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "gpt2").kv_str("tokenizer.ggml.pre", "gpt-2").kv_strs("tokenizer.ggml.tokens", {"a"});
      }),
      Code::format, "missing metadata 'tokenizer.ggml.merges'");
  err(with([](GgufBuilder& b) {
        b.kv_str("tokenizer.ggml.model", "gpt2").kv_str("tokenizer.ggml.pre", "gpt-2");
        b.kv_strs("tokenizer.ggml.tokens", {"a", "a"});
        b.kv_strs("tokenizer.ggml.merges", {});
      }),
      Code::format, "holds the token of id 1 twice");
  err(with([&](GgufBuilder& b) { b.kv_str("tokenizer.ggml.model", "gpt2").kv_u32("tokenizer.ggml.bos_token_id", 9); base(b); }),
      Code::format, "'tokenizer.ggml.bos_token_id' = 9 is outside the vocabulary of 2");
}
