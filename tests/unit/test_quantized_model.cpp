// Models loaded with their linear weights converted (Q8_0, Q4_0, bf16): which tensors change,
// that logits stay close to the stored weights' logits, and that generation runs end to end.
#include <cmath>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

#include "core/quant_interleave.h"
#include "core/quantize.h"
#include "engine/session.h"
#include "io/safetensors.h"
#include "model/convert_weights.h"
#include "model/model.h"
#include "model/transformer.h"
#include "test_util.h"

using namespace maskkv;

namespace {

std::shared_ptr<Model> load(const std::string& fixture, WeightType t) {
  ModelOptions o;
  o.backend = BackendKind::cpu;
  o.n_threads = 2;
  o.weight_type = t;
  return Model::load(testutil::fixture(fixture), o);
}

// Relative RMS difference of two logit vectors.
double rel_rms(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

}  // namespace

TEST(QuantizedModel, ConvertsLinearWeightsAndLMHeadOnly) {
  auto base = load("models/llada_f32", WeightType::as_stored);
  auto q8 = load("models/llada_f32", WeightType::q8_0);
  const Weights& w = q8->weights();
  EXPECT_EQ(w.dtype, DType::q8_0);
  EXPECT_EQ(w.embed.dtype, DType::f32);
  // One converted buffer per layer projection and the LM head; the embedding stays mapped.
  EXPECT_EQ(w.converted->size(), 7 * w.layers.size() + 1);
  // In the layout this CPU's kernels read: interleaved by 16 rows where the backend asks.
  const bool inter = make_cpu_backend(1)->interleaved_block_weights();
  const DType want_dtype = inter ? DType::q8_0_x16 : DType::q8_0;
  EXPECT_EQ(w.lm_head.dtype, want_dtype);
  for (const LayerWeights& L : w.layers)
    for (const WeightView* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down})
      EXPECT_EQ(m->dtype, want_dtype);
  // The converted bytes are the quantizer's output on the stored values.
  const WeightView& src = base->weights().layers[1].w_up;
  const size_t row = dtype_row_bytes(DType::q8_0, src.cols);
  std::vector<uint8_t> want(row * src.rows);
  for (int64_t r = 0; r < src.rows; ++r)
    quantize_row(DType::q8_0, static_cast<const float*>(src.data) + r * src.cols, want.data() + r * row, src.cols);
  if (inter) {
    std::vector<uint8_t> plain = want;
    for (int64_t g = 0; g < src.rows / kInterleaveRows; ++g)
      interleave_group(DType::q8_0, plain.data() + g * kInterleaveRows * row, src.cols,
                       want.data() + g * kInterleaveRows * row);
  }
  EXPECT_EQ(std::memcmp(want.data(), w.layers[1].w_up.data, want.size()), 0);
  // Fewer bytes: f32 -> 34 bytes per 32 values for the converted matrices.
  EXPECT_LT(w.bytes, base->weights().bytes / 2);
}

// Interleaving (what the CPU backend asks for where it has AVX512-VNNI) changes the order of
// the bytes only: same values, same byte count, and a forward pass gives the plain layout's
// logits up to the order of f32 sums. Checked through convert_weights directly, so on any CPU.
TEST(QuantizedModel, InterleavedWeightsHoldThePlainValues) {
  for (const char* fixture : {"models/llada_f32", "models/dream_bf16"})
    for (WeightType t : {WeightType::q8_0, WeightType::q4_0}) {
      auto base = load(fixture, WeightType::as_stored);
      const Weights plain = convert_weights(base->weights(), t, 2, false);
      const Weights inter = convert_weights(base->weights(), t, 2, true);
      EXPECT_EQ(inter.dtype, plain.dtype);
      EXPECT_EQ(inter.bytes, plain.bytes);
      EXPECT_EQ(inter.embed.data, base->weights().embed.data) << "the embedding is never interleaved";
      const auto a = std::vector<const WeightView*>{&plain.lm_head, &plain.layers[0].wq, &plain.layers[0].w_down},
                 b = std::vector<const WeightView*>{&inter.lm_head, &inter.layers[0].wq, &inter.layers[0].w_down};
      for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i]->rows % kInterleaveRows, 0) << fixture;
        ASSERT_EQ(b[i]->dtype, interleaved_dtype(a[i]->dtype)) << fixture << " " << i;
        std::vector<float> want(a[i]->rows * a[i]->cols), got(want.size());
        convert_to_f32(a[i]->dtype, a[i]->data, want.data(), want.size());
        const size_t group = dtype_row_bytes(a[i]->dtype, a[i]->cols) * kInterleaveRows;
        for (int64_t g = 0; g < a[i]->rows / kInterleaveRows; ++g)
          dequantize_group(b[i]->dtype, static_cast<const uint8_t*>(b[i]->data) + g * group, a[i]->cols,
                           got.data() + g * kInterleaveRows * a[i]->cols);
        EXPECT_EQ(got, want) << fixture << " " << i;
      }
      auto be = make_cpu_backend(2);
      std::vector<int32_t> ids;
      for (int i = 0; i < 40; ++i) ids.push_back((i * 37 + 5) % 300);
      const RowBlock all{ids.data(), 0, static_cast<int64_t>(ids.size())};
      const auto lp = forward_logits(base->spec(), plain, *be, all, {1, 20, 39}, base->spec().rope_theta);
      const auto li = forward_logits(base->spec(), inter, *be, all, {1, 20, 39}, base->spec().rope_theta);
      EXPECT_LT(rel_rms(li, lp), 1e-5) << fixture << " " << weight_type_name(t);
      // Blocks already quantized (a GGUF file's) are interleaved as stored. Last: converting
      // releases the source's memory, so `plain` is not read after this.
      const Weights later = convert_weights(plain, WeightType::as_stored, 2, true);
      const auto c = std::vector<const WeightView*>{&later.lm_head, &later.layers[0].wq, &later.layers[0].w_down};
      for (size_t i = 0; i < b.size(); ++i) {
        ASSERT_EQ(c[i]->dtype, b[i]->dtype);
        const size_t bytes = dtype_row_bytes(b[i]->dtype, b[i]->cols) * b[i]->rows;
        EXPECT_EQ(std::memcmp(b[i]->data, c[i]->data, bytes), 0) << fixture << " " << i;
      }
    }
}

// A tied LM head converted at load leaves the embedding it shares memory with untouched: the
// embedding's pages are not released (here heap memory, which a release would zero).
TEST(QuantizedModel, TiedHeadConversionKeepsTheEmbedding) {
  const int64_t vocab = 256, d = 1024;  // 1 MiB of bf16: whole pages
  std::vector<uint16_t> table(vocab * d);
  for (size_t i = 0; i < table.size(); ++i) table[i] = f32_to_bf16(0.001f * static_cast<float>(i % 997) - 0.5f);
  const std::vector<uint16_t> copy = table;
  Weights w;
  w.embed = WeightView{DType::bf16, table.data(), vocab, d};
  w.lm_head = w.embed;
  w.bytes = table.size() * 2;
  for (bool interleave : {false, true}) {
    const Weights q = convert_weights(w, WeightType::q8_0, 2, interleave);
    EXPECT_EQ(q.embed.data, table.data());
    EXPECT_NE(q.lm_head.data, table.data());
    EXPECT_EQ(q.bytes, w.bytes + dtype_row_bytes(DType::q8_0, d) * vocab) << "the copy is new bytes";
    EXPECT_TRUE(table == copy) << "the embedding's memory changed";
  }
}

TEST(QuantizedModel, LogitsStayCloseToStoredWeights) {
  for (const char* fixture : {"models/llada_f32", "models/dream_f32", "models/llada_bf16"}) {
    auto base = load(fixture, WeightType::as_stored);
    std::vector<int32_t> ids;
    for (int i = 0; i < 200; ++i) ids.push_back((i * 37 + 5) % 300);
    // Few rows take the int8 kernels, many rows (the whole 200-row pass, every row read) the
    // dequantizing path: check both.
    std::vector<int64_t> all(ids.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    for (const std::vector<int64_t>& rows : {std::vector<int64_t>{3, 17, 39}, all}) {
      const auto want = base->logits(ids, rows, 1.0);
      const auto q8 = load(fixture, WeightType::q8_0)->logits(ids, rows, 1.0);
      const auto q4 = load(fixture, WeightType::q4_0)->logits(ids, rows, 1.0);
      const auto b16 = load(fixture, WeightType::bf16)->logits(ids, rows, 1.0);
      EXPECT_LT(rel_rms(q8, want), 0.03) << fixture;
      // Random fixture weights: 4 bits leave about 1/8 of a value per step, compounded over layers.
      EXPECT_LT(rel_rms(q4, want), 0.4) << fixture;
      EXPECT_LT(rel_rms(b16, want), 0.02) << fixture;
      EXPECT_GT(rel_rms(q4, want), rel_rms(q8, want)) << fixture << ": 4 bits cannot beat 8";
      std::printf("%s rows=%zu rel. RMS logit error: q8_0 %.4f q4_0 %.4f bf16 %.4f\n", fixture, rows.size(),
                  rel_rms(q8, want), rel_rms(q4, want), rel_rms(b16, want));
    }
  }
}

TEST(QuantizedModel, GeneratesEndToEnd) {
  for (WeightType t : {WeightType::q8_0, WeightType::q4_0})
    for (const char* fixture : {"models/llada_f32", "models/dream_bf16"}) {
      auto m = load(fixture, t);
      GenerateOptions o;
      o.gen_length = 16;
      o.steps = 8;
      o.block_length = m->spec().family == Family::llada ? 8 : 16;
      Session s(m, {1, 2, 3, 4}, o);
      while (!s.step()) {
      }
      ASSERT_EQ(s.response().size(), 16u);
      for (int32_t id : s.response()) {
        EXPECT_NE(id, m->spec().mask_id);
        EXPECT_GE(id, 0);
        EXPECT_LT(id, m->spec().vocab_size);
      }
    }
}

TEST(QuantizedModel, UnknownWeightTypeIsRefused) {
  try {
    load("models/llada_f32", static_cast<WeightType>(9));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("weight type"), std::string::npos) << e.what();
  }
}

TEST(QuantizedModel, NonFiniteWeightIsRefusedNamingTheMatrix) {
  // A NaN in a projection: converting reads every value, so the load refuses it (with the
  // weights as stored it would only surface as NaN logits).
  testutil::TempDir dir;
  testutil::copy_model("llada_f32", dir.path());
  const std::string path = dir.file("model.safetensors");
  std::string bytes = testutil::read_file(path);
  const auto tensors = parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
  const TensorInfo& t = tensors.at("model.transformer.blocks.1.up_proj.weight");
  const size_t at = static_cast<size_t>(t.data - reinterpret_cast<const uint8_t*>(bytes.data())) + 4 * 100;
  const float nan = std::nanf("");
  std::memcpy(&bytes[at], &nan, 4);
  testutil::write_file(path, bytes);
  for (WeightType wt : {WeightType::q8_0, WeightType::q4_0, WeightType::bf16}) {
    ModelOptions o;
    o.backend = BackendKind::cpu;
    o.n_threads = 2;
    o.weight_type = wt;
    testutil::expect_error([&] { Model::load(dir.path(), o); }, Code::format,
                           "layer 1 projection 'up' holds a non-finite value (NaN or Inf) at index 100");
  }
}
