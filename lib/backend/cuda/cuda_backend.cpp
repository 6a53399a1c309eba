// The CUDA backend: activations and caches in device memory from a stream-ordered pool, weights
// uploaded once in their file dtype, GEMMs through cuBLAS (f32 weights: SGEMM; bf16/f16 weights:
// tensor-core GemmEx with the activations rounded to the weight dtype and f32 accumulation and
// output), everything else in the kernels of kernels/ (launched through launchers.h). One stream
// per backend; a mutex makes each operation atomic so sessions on several threads can share a
// model.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/launchers.h"

namespace maskkv {

namespace {

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    cuda::check(cudaSetDevice(device_), "cudaSetDevice");
    cudaDeviceProp prop{};
    cuda::check(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    name_ = std::string("cuda:") + std::to_string(device_) + " (" + prop.name + ")";
    total_ = prop.totalGlobalMem;
    cuda::check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    std::string why;
    blas_api_ = cuda::cublas(&why);
    if (!blas_api_) fail(Code::unsupported, why);
    cuda::check(blas_api_->create(&blas_), "cublasCreate");
    cuda::check(blas_api_->set_stream(blas_, stream_), "cublasSetStream");
    // f32 GEMMs stay f32 (no TF32), so f32 checkpoints match the CPU backend closely.
    cuda::check(blas_api_->set_math_mode(blas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
    // Keep freed pool memory for reuse instead of returning it at every synchronisation.
    cudaMemPool_t pool;
    if (cudaDeviceGetDefaultMemPool(&pool, device_) == cudaSuccess) {
      uint64_t keep = UINT64_MAX;
      cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
  }

  ~CudaBackend() override {
    cudaSetDevice(device_);
    cudaStreamSynchronize(stream_);
    for (auto& [host, dev] : resident_) cudaFree(dev.first);
    blas_api_->destroy(blas_);
    cudaStreamDestroy(stream_);
  }

  const char* name() const override { return name_.c_str(); }
  int n_threads() const override { return 1; }
  bool host_memory() const override { return false; }

  void* allocate(size_t bytes) override {
    Lock lock(*this);
    return allocate_locked(bytes);
  }

  void release(void* p) noexcept override {
    if (!p) return;
    std::lock_guard<std::mutex> guard(mutex_);  // not Lock: release() must not throw
    cudaSetDevice(device_);
    release_locked(p);
  }

  void upload(void* dst, const void* src, size_t bytes) override {
    if (!bytes) return;
    Lock lock(*this);
    cuda::check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_), "upload");
  }

  void download(void* dst, const void* src, size_t bytes) override {
    if (!bytes) return;
    Lock lock(*this);
    download_locked(dst, src, bytes, "download");
  }

  void copy(void* dst, const void* src, size_t bytes) override {
    if (!bytes) return;
    Lock lock(*this);
    cuda::check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_), "copy");
  }

  void gather(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst) override {
    if (m == 0) return;
    Lock lock(*this);
    Scratch off(*this, offsets, m);
    cuda::gather(src, off.get(), m, width, dst, stream_);
  }

  void scatter(const float* src, const int64_t* offsets, int64_t m, int64_t width, float* dst) override {
    if (m == 0) return;
    Lock lock(*this);
    Scratch off(*this, offsets, m);
    cuda::scatter(src, off.get(), m, width, dst, stream_);
  }

  const void* resident(const void* host, size_t bytes) override {
    Lock lock(*this);
    auto it = resident_.find(host);
    if (it != resident_.end()) return it->second.first;
    void* dev = nullptr;
    const cudaError_t e = cudaMalloc(&dev, bytes);
    if (e != cudaSuccess) {
      cudaGetLastError();
      fail(Code::out_of_memory, "CUDA out of memory uploading weights: " + mib(bytes) + " more on top of " +
                                    mib(in_use_) + " (device has " + mib(total_) + ")");
    }
    // On this backend's stream (which does not synchronise with the legacy default stream),
    // and waited for: the weights are complete before any kernel reads them.
    cuda::check(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, stream_), "weight upload");
    cuda::check(cudaStreamSynchronize(stream_), "weight upload (synchronize)");
    resident_[host] = {dev, bytes};
    account(bytes);
    return dev;
  }

  MemoryStats memory() const override {
    std::lock_guard<std::mutex> guard(mutex_);
    return {in_use_, peak_, total_};
  }

  void reset_peak() override {
    std::lock_guard<std::mutex> guard(mutex_);
    peak_ = in_use_;
  }

  void synchronize() override {
    Lock lock(*this);
    cuda::check(cudaStreamSynchronize(stream_), "synchronize");
  }

  void linear(const float* x, int64_t m, const WeightView& w, const float* bias, float* y) override {
    const int64_t n = w.rows, k = w.cols;
    if (dtype_is_block(w.dtype))
      fail(Code::unsupported, std::string("the CUDA backend has no kernels for ") + dtype_name(w.dtype) +
                                  " weights; load the model on the CPU backend or with weight type bf16/auto");
    if (m == 0 || n == 0) return;
    Lock lock(*this);
    const float one = 1.0f, zero = 0.0f;
    // Row-major y[m, n] = x[m, k] W^T is, column-major, y^T[n, m] = op(W)[n, k] x^T[k, m], where
    // the row-major W [n, k] read column-major is W^T, hence op = T.
    if (w.dtype == DType::f32) {
      cuda::check(blas_api_->sgemm(blas_, CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(m), int(k), &one,
                              static_cast<const float*>(w.data), int(k), x, int(k), &zero, y, int(n)),
                  "cublasSgemm");
    } else {
      const cudaDataType_t type = w.dtype == DType::bf16 ? CUDA_R_16BF : CUDA_R_16F;
      void* xh = allocate_locked(static_cast<size_t>(m * k) * 2);
      Freer freer(*this, xh);
      cuda::convert_from_f32(x, m * k, w.dtype, xh, stream_);
      cuda::check(blas_api_->gemm_ex(blas_, CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(m), int(k), &one, w.data, type, int(k),
                               xh, type, int(k), &zero, y, CUDA_R_32F, int(n), CUBLAS_COMPUTE_32F,
                               CUBLAS_GEMM_DEFAULT),
                  "cublasGemmEx");
    }
    if (bias) cuda::add_bias(y, bias, m, n, stream_);
  }

  void embed(const int32_t* ids, int64_t m, const WeightView& table, float* y) override {
    if (m == 0) return;
    Lock lock(*this);
    IdScratch dev_ids(*this, ids, m);
    cuda::embed(dev_ids.get(), m, table.data, table.dtype, table.cols, y, stream_);
  }

  void rmsnorm(const float* x, int64_t m, int64_t d, const float* w, float eps, float* y) override {
    Lock lock(*this);
    cuda::rmsnorm(x, m, d, w, eps, y, stream_);
  }

  void rope(float* x, int64_t m, int n_heads, int head_dim, const float* cos, const float* sin) override {
    Lock lock(*this);
    cuda::rope(x, m, n_heads, head_dim, cos, sin, stream_);
  }

  void set_compute_dtype(DType dtype) override { tensor_core_attention_ = dtype != DType::f32; }

  void attention(const float* q, const float* k, const float* v, int64_t n_q, int64_t n_kv, int n_heads,
                 int n_kv_heads, int head_dim, float* out, const ScoreRequest* scores, int n_scores) override {
    Lock lock(*this);
    if (tensor_core_attention_ && n_kv > 0) {
      attention_tensor_cores(q, k, v, n_q, n_kv, n_heads, n_kv_heads, head_dim, out, scores, n_scores);
      return;
    }
    cuda::AttentionArgs a = dense_args(q, n_q, n_heads, n_kv_heads, head_dim, k, v, n_kv, out);
    void* stats = nullptr;
    if (n_scores > 0) {
      stats = allocate_locked(static_cast<size_t>(2 * n_heads * n_q) * sizeof(float));
      a.row_max = static_cast<float*>(stats);
      a.row_sum = a.row_max + int64_t(n_heads) * n_q;
    }
    Freer free_stats(*this, stats);
    cuda::attention(a, stream_);
    for (int i = 0; i < n_scores; ++i) {
      const ScoreRequest& req = scores[i];
      const int64_t b = std::max<int64_t>(0, req.row_begin), e = std::min(n_q, req.row_end);
      if (e <= b || n_kv == 0) continue;  // no rows: nothing to add
      const size_t count = static_cast<size_t>(n_heads * n_kv);
      void* sums = allocate_locked(count * sizeof(float));
      Freer free_sums(*this, sums);
      cuda::column_sums(a, b, e, static_cast<float*>(sums), stream_);
      add_to_host(req.out, static_cast<const float*>(sums), count);
    }
  }

  void attention_ragged(const float* q, int64_t n_q, const float* prompt_k, const float* prompt_v,
                        const int64_t* prompt_offsets, const float* resp_k, const float* resp_v, int64_t n_resp,
                        int n_heads, int n_kv_heads, int head_dim, float* out) override {
    Lock lock(*this);
    Scratch offsets(*this, prompt_offsets, n_kv_heads + 1);
    cuda::AttentionArgs a = dense_args(q, n_q, n_heads, n_kv_heads, head_dim, resp_k, resp_v, n_resp, out);
    a.prompt_k = prompt_k;
    a.prompt_v = prompt_v;
    a.prompt_offsets = offsets.get();
    cuda::attention(a, stream_);
  }

  void swiglu(const float* gate, const float* up, int64_t n, float* out) override {
    Lock lock(*this);
    cuda::swiglu(gate, up, n, out, stream_);
  }

  void add(float* x, const float* y, int64_t n) override {
    Lock lock(*this);
    cuda::add(x, y, n, stream_);
  }

 private:
  // Attention arguments for q over dense k/v (no prompt segment).
  static cuda::AttentionArgs dense_args(const float* q, int64_t n_q, int H, int Hkv, int d, const float* k,
                                        const float* v, int64_t n_kv, float* out) {
    cuda::AttentionArgs a;
    a.q = q;
    a.n_q = n_q;
    a.n_heads = H;
    a.n_kv_heads = Hkv;
    a.head_dim = d;
    a.k = k;
    a.v = v;
    a.n_dense = n_kv;
    a.out = out;
    return a;
  }

  // Full attention for 16-bit models on tensor cores: Q, K, V rounded to bf16; per chunk of
  // queries, S = Q K^T / sqrt(d) by a batched cuBLAS GEMM (f32 out), a row softmax to bf16 P,
  // O = P V by another batched GEMM (f32 out). The chunk keeps the score block near 2 GiB.
  // Column sums come from the f32 probabilities of the chunk.
  void attention_tensor_cores(const float* q, const float* k, const float* v, int64_t n_q, int64_t n_kv, int H,
                              int Hkv, int d, float* out, const ScoreRequest* scores, int n_scores) {
    const int group = H / Hkv;
    const int64_t ldq = int64_t(H) * d, ldkv = int64_t(Hkv) * d;
    const int64_t chunk = std::clamp<int64_t>((int64_t{2} << 30) / (int64_t(H) * n_kv * 6) / 16 * 16, 16,
                                              std::max<int64_t>(n_q, 16));
    const int64_t c_max = std::min(chunk, n_q);
    void* qh = allocate_locked(static_cast<size_t>(n_q * ldq) * 2);
    Freer fq(*this, qh);
    void* kh = allocate_locked(static_cast<size_t>(n_kv * ldkv) * 2);
    Freer fk(*this, kh);
    void* vh = allocate_locked(static_cast<size_t>(n_kv * ldkv) * 2);
    Freer fv(*this, vh);
    cuda::convert_from_f32(q, n_q * ldq, DType::bf16, qh, stream_);
    cuda::convert_from_f32(k, n_kv * ldkv, DType::bf16, kh, stream_);
    cuda::convert_from_f32(v, n_kv * ldkv, DType::bf16, vh, stream_);
    void* s = allocate_locked(static_cast<size_t>(int64_t(H) * c_max * n_kv) * sizeof(float));
    Freer fs(*this, s);
    void* p = allocate_locked(static_cast<size_t>(int64_t(H) * c_max * n_kv) * 2);
    Freer fp(*this, p);
    float* sums = nullptr;
    if (n_scores > 0) {
      sums = static_cast<float*>(allocate_locked(static_cast<size_t>(n_scores) * H * n_kv * sizeof(float)));
      cuda::check(cudaMemsetAsync(sums, 0, static_cast<size_t>(n_scores) * H * n_kv * sizeof(float), stream_),
                  "memset column sums");
    }
    Freer fsums(*this, sums);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d)), one = 1.0f, zero = 0.0f;
    const auto* qb = static_cast<const uint16_t*>(qh);
    const auto* kb = static_cast<const uint16_t*>(kh);
    const auto* vb = static_cast<const uint16_t*>(vh);
    for (int64_t r0 = 0; r0 < n_q; r0 += c_max) {
      const int64_t cr = std::min(c_max, n_q - r0);
      auto* sf = static_cast<float*>(s);
      auto* pb = static_cast<uint16_t*>(p);
      // Query head h = g * group + j reads KV head g; one batched GEMM per j over the KV heads.
      for (int j = 0; j < group; ++j)
        cuda::check(blas_api_->gemm_strided_batched_ex(
                        blas_, CUBLAS_OP_T, CUBLAS_OP_N, int(n_kv), int(cr), d, &scale, kb, CUDA_R_16BF, int(ldkv), d,
                        qb + r0 * ldq + int64_t(j) * d, CUDA_R_16BF, int(ldq), int64_t(group) * d, &zero,
                        sf + int64_t(j) * cr * n_kv, CUDA_R_32F, int(n_kv), int64_t(group) * cr * n_kv, Hkv,
                        CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                    "attention scores (cublasGemmStridedBatchedEx)");
      bool want_f32 = false;
      for (int i = 0; i < n_scores; ++i) want_f32 |= scores[i].row_begin < r0 + cr && scores[i].row_end > r0;
      cuda::softmax_rows(sf, int64_t(H) * cr, n_kv, pb, want_f32, stream_);
      for (int i = 0; i < n_scores; ++i) {
        const int64_t b = std::max(scores[i].row_begin, r0) - r0, e = std::min(scores[i].row_end, r0 + cr) - r0;
        if (e > b) cuda::add_column_sums(sf, H, cr, n_kv, b, e, sums + int64_t(i) * H * n_kv, stream_);
      }
      for (int j = 0; j < group; ++j)
        cuda::check(blas_api_->gemm_strided_batched_ex(
                        blas_, CUBLAS_OP_N, CUBLAS_OP_N, d, int(cr), int(n_kv), &one, vb, CUDA_R_16BF, int(ldkv), d,
                        pb + int64_t(j) * cr * n_kv, CUDA_R_16BF, int(n_kv), int64_t(group) * cr * n_kv, &zero,
                        out + r0 * ldq + int64_t(j) * d, CUDA_R_32F, int(ldq), int64_t(group) * d, Hkv,
                        CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                    "attention output (cublasGemmStridedBatchedEx)");
    }
    for (int i = 0; i < n_scores; ++i)
      add_to_host(scores[i].out, sums + int64_t(i) * H * n_kv, static_cast<size_t>(H) * n_kv);
  }

  // Copies device memory to the host and waits for it (the caller holds the lock).
  void download_locked(void* dst, const void* src, size_t bytes, const char* what) {
    cuda::check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_), what);
    cuda::check(cudaStreamSynchronize(stream_), what);
  }

  // host[j] += device[j] for j < n: how column sums reach a ScoreRequest.
  void add_to_host(float* host, const float* device, size_t n) {
    std::vector<float> copy(n);
    download_locked(copy.data(), device, n * sizeof(float), "column sums download");
    for (size_t j = 0; j < n; ++j) host[j] += copy[j];
  }

  // Holds the backend's mutex for one operation and makes its device current on this thread.
  struct Lock {
    explicit Lock(CudaBackend& be) : guard(be.mutex_) { cuda::check(cudaSetDevice(be.device_), "cudaSetDevice"); }
    std::lock_guard<std::mutex> guard;
  };

  // Frees a pool allocation at scope exit (stream-ordered, so after the kernels that use it).
  struct Freer {
    Freer(CudaBackend& be, void* p) : be(be), p(p) {}
    ~Freer() {
      if (p) be.release_locked(p);
    }
    CudaBackend& be;
    void* p;
  };

  // A host array copied to device memory for the length of one operation.
  template <class T>
  struct ScratchOf {
    ScratchOf(CudaBackend& be, const T* host, int64_t n) : be(be) {
      const size_t bytes = static_cast<size_t>(n) * sizeof(T);
      p = static_cast<T*>(be.allocate_locked(bytes));
      const cudaError_t e = cudaMemcpyAsync(p, host, bytes, cudaMemcpyHostToDevice, be.stream_);
      if (e != cudaSuccess) {
        be.release_locked(p);
        cuda::check(e, "upload of indices");
      }
    }
    ~ScratchOf() { be.release_locked(p); }
    const T* get() const { return p; }
    CudaBackend& be;
    T* p = nullptr;
  };
  using Scratch = ScratchOf<int64_t>;
  using IdScratch = ScratchOf<int32_t>;

  void* allocate_locked(size_t bytes) {
    void* p = nullptr;
    const size_t asked = std::max<size_t>(bytes, 256);
    const cudaError_t e = cudaMallocAsync(&p, asked, stream_);
    if (e != cudaSuccess) {
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      fail(Code::out_of_memory, "CUDA out of memory: asked for " + mib(bytes) + " with " + mib(in_use_) +
                                    " in use by maskkv and " + mib(free_b) + " free of " + mib(total_b));
    }
    sizes_[p] = asked;
    account(asked);
    return p;
  }

  void release_locked(void* p) noexcept {
    auto it = sizes_.find(p);
    if (it != sizes_.end()) {
      in_use_ -= it->second;
      sizes_.erase(it);
    }
    cudaFreeAsync(p, stream_);
  }

  void account(uint64_t bytes) {
    in_use_ += bytes;
    peak_ = std::max(peak_, in_use_);
  }

  int device_;
  std::string name_;
  uint64_t total_ = 0;
  cudaStream_t stream_ = nullptr;
  const cuda::CublasApi* blas_api_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  mutable std::mutex mutex_;
  std::unordered_map<void*, size_t> sizes_;
  std::unordered_map<const void*, std::pair<void*, size_t>> resident_;
  uint64_t in_use_ = 0, peak_ = 0;
  bool tensor_core_attention_ = false;
};

}  // namespace

bool cuda_available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why) {
      if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver || count == 0)
        *why = "no CUDA device is present (no NVIDIA GPU, or no driver for one)";
      else
        *why = std::string("no CUDA device is usable (") + cudaGetErrorString(e) + ")";
    }
    cudaGetLastError();
    return false;
  }
  std::string blas_why;
  if (!cuda::cublas(&blas_why)) {
    if (why) *why = "a CUDA device is present but " + blas_why;
    return false;
  }
  return true;
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
  std::string why;
  if (!cuda_available(&why))
    fail(Code::unsupported, "backend 'cuda' requested, but " + why + "; use backend 'cpu' or 'auto'");
  return std::make_unique<CudaBackend>(device);
}

}  // namespace maskkv
