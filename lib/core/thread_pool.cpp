#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <system_error>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "core/error.h"

namespace maskkv {

namespace {
void chunk(size_t n, int parts, int index, size_t* begin, size_t* end) {
  size_t base = n / parts, extra = n % parts;
  *begin = index * base + std::min<size_t>(index, extra);
  *end = *begin + base + (static_cast<size_t>(index) < extra ? 1 : 0);
}

// How long a wait polls before it sleeps: longer than the gaps between the loops of a forward
// pass, short enough that an idle pool gives its cores back at once.
constexpr auto kSpin = std::chrono::microseconds(100);

// Polls `ready` for up to kSpin (not at all unless `poll`); true when it became true.
template <class Ready>
bool spin_until(bool poll, Ready ready) {
  if (!poll) return ready();
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(_M_X64)
      _mm_pause();
#endif
    }
    if (std::chrono::steady_clock::now() >= until) return false;
  }
}
}  // namespace

int ThreadPool::hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(std::max(1, n_threads)), poll_(n_threads_ <= hardware_threads()) {
  try {
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
  } catch (const std::system_error& e) {
    // No memory for another thread's stack (ulimit -v) or too many threads: stop the workers
    // already started (the destructor does not run when the constructor throws).
    const size_t started = workers_.size();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true, std::memory_order_release);
    }
    start_cv_.notify_all();
    for (auto& t : workers_) t.join();
    fail(Code::out_of_memory, "cannot start worker thread " + std::to_string(started + 1) + " of " +
                                  std::to_string(n_threads_ - 1) + " (" + e.what() +
                                  "); raise the address-space limit (ulimit -v) or use fewer threads");
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker(int index) {
  size_t seen = 0;
  for (;;) {
    auto ready = [&] { return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(poll_, ready)) {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, ready);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    const std::function<void(int, size_t, size_t)>* job = job_;
    size_t b, e;
    chunk(job_n_, n_threads_, index, &b, &e);
    if (b < e) (*job)(index, b, e);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex: the caller checks pending_ under it before it sleeps.
      std::lock_guard<std::mutex> lock(mutex_);
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(int, size_t, size_t)>& fn) {
  if (n == 0) return;
  // One loop at a time, also on the single-thread path: callers' per-thread scratch buffers are
  // indexed by thread index, so two concurrent loops must never share index 0.
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  if (n_threads_ == 1 || n == 1) {
    fn(0, 0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_n_ = n;
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  start_cv_.notify_all();
  size_t b, e;
  chunk(n, n_threads_, 0, &b, &e);
  std::exception_ptr error;
  try {
    if (b < e) fn(0, b, e);
  } catch (...) {
    error = std::current_exception();
  }
  auto done = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(poll_, done)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, done);
  }
  job_ = nullptr;
  if (error) std::rethrow_exception(error);
}

}  // namespace maskkv
