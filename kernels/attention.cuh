// Bidirectional attention, flash style: one block per (tile of 32 queries, query head); keys and
// values stream through shared memory in tiles of 32 while each query row keeps a running max,
// running sum and its output accumulator in registers (online softmax, f32 throughout). Keys
// come from two segments (a ragged per-KV-head prompt store, then dense rows), so the same
// kernel serves the full pass and the cached passes over evicted K/V. A second kernel
// recomputes the probabilities of chosen query rows from the row statistics to give column
// sums (MaskKV's mask votes, SnapKV's window scores) without the matrix ever existing.
// The launchers (argument checks, grid sizes, error checks) are lib/backend/cuda/launch_attention.cu.
#pragma once

#include <cmath>
#include <cstddef>

#include "attention_args.h"
#include "convert.cuh"

namespace maskkv::kernels {

constexpr int kTileQ = 32;                           // query rows per block
constexpr int kTileK = 32;                           // keys per shared-memory tile
constexpr int kRowThreads = 4;                       // threads sharing one query row
constexpr int kFlashThreads = kTileQ * kRowThreads;  // 128
constexpr int kDimsPerThread = kMaxHeadDim / kRowThreads;
constexpr int kKeysPerThread = kTileK / kRowThreads;

// Dynamic shared memory of flash_kernel for head dimension d.
__host__ __device__ constexpr size_t flash_smem_bytes(int d) {
  // Rows padded to d + 1: threads of a warp read different rows without bank conflicts.
  return sizeof(float) * (size_t(kTileQ) * (d + 1) + size_t(kTileK) * (d + 1) + size_t(kTileK) * d + size_t(kTileQ) * (kTileK + 1));
}

template <class T>
__global__ void __launch_bounds__(kFlashThreads) flash_kernel(AttentionArgsT<T> a, float scale) {
  extern __shared__ float smem[];
  const int d = a.head_dim, dp = d + 1;
  float* qs = smem;               // [kTileQ][dp]
  float* ks = qs + kTileQ * dp;   // [kTileK][dp]
  float* vs = ks + kTileK * dp;   // [kTileK][d]
  float* ps = vs + kTileK * d;    // [kTileQ][kTileK + 1]
  const int h = blockIdx.y, g = h / (a.n_heads / a.n_kv_heads);
  const int64_t q0 = int64_t(blockIdx.x) * kTileQ;
  const int tid = threadIdx.x, r = tid / kRowThreads, lane = tid % kRowThreads;
  const int64_t ldq = int64_t(a.n_heads) * d, ldkv = int64_t(a.n_kv_heads) * d;

  for (int e = tid; e < kTileQ * d; e += kFlashThreads) {
    const int rr = e / d, c = e % d;
    const int64_t qi = q0 + rr;
    qs[rr * dp + c] = qi < a.n_q ? to_f32(a.q[qi * ldq + int64_t(h) * d + c]) : 0.0f;
  }
  int64_t p_begin = 0, n_p = 0;
  if (a.prompt_offsets) {
    p_begin = a.prompt_offsets[g];
    n_p = a.prompt_offsets[g + 1] - p_begin;
  }
  const int64_t n_keys = n_p + a.n_dense;

  float m_run = -INFINITY, l_run = 0.0f;
  float acc[kDimsPerThread];
#pragma unroll
  for (int c = 0; c < kDimsPerThread; ++c) acc[c] = 0.0f;

  for (int64_t k0 = 0; k0 < n_keys; k0 += kTileK) {
    __syncthreads();  // the previous tile is consumed (and the Q tile is loaded)
    for (int e = tid; e < kTileK * d; e += kFlashThreads) {
      const int kk = e / d, c = e % d;
      const int64_t key = k0 + kk;
      float kv = 0.0f, vv = 0.0f;
      if (key < n_p) {
        const int64_t off = (p_begin + key) * d + c;
        kv = to_f32(a.prompt_k[off]);
        vv = to_f32(a.prompt_v[off]);
      } else if (key < n_keys) {
        const int64_t off = (key - n_p) * ldkv + int64_t(g) * d + c;
        kv = to_f32(a.k[off]);
        vv = to_f32(a.v[off]);
      }
      ks[kk * dp + c] = kv;
      vs[kk * d + c] = vv;
    }
    __syncthreads();

    // Scores of this row against keys lane, lane + 4, ... of the tile.
    float s[kKeysPerThread];
    float tile_max = -INFINITY;
#pragma unroll
    for (int c = 0; c < kKeysPerThread; ++c) {
      const int kk = lane + kRowThreads * c;
      float dot = 0.0f;
      for (int t = 0; t < d; ++t) dot += qs[r * dp + t] * ks[kk * dp + t];
      s[c] = k0 + kk < n_keys ? dot * scale : -INFINITY;
      tile_max = fmaxf(tile_max, s[c]);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
    const float m_new = fmaxf(m_run, tile_max);
    const float corr = m_run == -INFINITY ? 0.0f : expf(m_run - m_new);
    float psum = 0.0f;
#pragma unroll
    for (int c = 0; c < kKeysPerThread; ++c) {
      const float p = s[c] == -INFINITY ? 0.0f : expf(s[c] - m_new);
      ps[r * (kTileK + 1) + lane + kRowThreads * c] = p;
      psum += p;
    }
    psum += __shfl_xor_sync(0xffffffffu, psum, 1);
    psum += __shfl_xor_sync(0xffffffffu, psum, 2);
    l_run = l_run * corr + psum;
    m_run = m_new;
    __syncwarp();  // a row's probabilities are written and read by the same four lanes
#pragma unroll
    for (int c = 0; c < kDimsPerThread; ++c) acc[c] *= corr;
    for (int kk = 0; kk < kTileK; ++kk) {
      const float p = ps[r * (kTileK + 1) + kk];
#pragma unroll
      for (int c = 0; c < kDimsPerThread; ++c) {
        const int j = lane + kRowThreads * c;
        if (j < d) acc[c] += p * vs[kk * d + j];
      }
    }
  }

  const int64_t qi = q0 + r;
  if (qi >= a.n_q) return;
  const float inv = l_run > 0.0f ? 1.0f / l_run : 0.0f;
  T* o = a.out + qi * ldq + int64_t(h) * d;
#pragma unroll
  for (int c = 0; c < kDimsPerThread; ++c) {
    const int j = lane + kRowThreads * c;
    if (j < d) o[j] = from_f32<T>(acc[c] * inv);
  }
  if (a.row_max && lane == 0) {
    a.row_max[int64_t(h) * a.n_q + qi] = m_run;
    a.row_sum[int64_t(h) * a.n_q + qi] = l_run;
  }
}

constexpr int kColThreads = 128;  // key columns per block
constexpr int kColRows = 32;      // query rows per shared-memory tile

template <class T>
__global__ void __launch_bounds__(kColThreads)
    column_sums_kernel(AttentionArgsT<T> a, float scale, int64_t row_begin, int64_t row_end, float* out) {
  __shared__ float qs[kColRows][kMaxHeadDim];
  __shared__ float ms[kColRows], ls[kColRows];
  const int d = a.head_dim, h = blockIdx.y, g = h / (a.n_heads / a.n_kv_heads);
  const int64_t ldq = int64_t(a.n_heads) * d, ldkv = int64_t(a.n_kv_heads) * d;
  const int64_t j = int64_t(blockIdx.x) * kColThreads + threadIdx.x;
  const bool valid = j < a.n_dense;
  const T* kj = a.k + (valid ? j : 0) * ldkv + int64_t(g) * d;
  float total = 0.0f;
  for (int64_t i0 = row_begin; i0 < row_end; i0 += kColRows) {
    const int rows = static_cast<int>(row_end - i0 < kColRows ? row_end - i0 : kColRows);
    __syncthreads();
    for (int e = threadIdx.x; e < kColRows * d; e += kColThreads) {
      const int rr = e / d, c = e % d;
      qs[rr][c] = rr < rows ? to_f32(a.q[(i0 + rr) * ldq + int64_t(h) * d + c]) : 0.0f;
    }
    if (threadIdx.x < kColRows) {
      const int rr = threadIdx.x;
      ms[rr] = rr < rows ? a.row_max[int64_t(h) * a.n_q + i0 + rr] : 0.0f;
      ls[rr] = rr < rows ? a.row_sum[int64_t(h) * a.n_q + i0 + rr] : 1.0f;
    }
    __syncthreads();
    if (!valid) continue;
    float dot[kColRows];
#pragma unroll
    for (int rr = 0; rr < kColRows; ++rr) dot[rr] = 0.0f;
    for (int t = 0; t < d; ++t) {
      const float kv = to_f32(kj[t]);
#pragma unroll
      for (int rr = 0; rr < kColRows; ++rr) dot[rr] += qs[rr][t] * kv;
    }
#pragma unroll
    for (int rr = 0; rr < kColRows; ++rr)
      if (rr < rows) total += expf(dot[rr] * scale - ms[rr]) / ls[rr];
  }
  if (valid) out[int64_t(h) * a.n_dense + j] = total;
}

}  // namespace maskkv::kernels
