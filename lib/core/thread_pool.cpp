#include "core/thread_pool.h"

#include <algorithm>
#include <string>
#include <system_error>

#include "core/error.h"

namespace maskkv {

namespace {
void chunk(size_t n, int parts, int index, size_t* begin, size_t* end) {
  size_t base = n / parts, extra = n % parts;
  *begin = index * base + std::min<size_t>(index, extra);
  *end = *begin + base + (static_cast<size_t>(index) < extra ? 1 : 0);
}
}  // namespace

int ThreadPool::hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  try {
    for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
  } catch (const std::system_error& e) {
    // No memory for another thread's stack (ulimit -v) or too many threads: stop the workers
    // already started (the destructor does not run when the constructor throws).
    const size_t started = workers_.size();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
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
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker(int index) {
  size_t seen = 0;
  for (;;) {
    const std::function<void(int, size_t, size_t)>* job;
    size_t n;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      n = job_n_;
    }
    size_t b, e;
    chunk(n, n_threads_, index, &b, &e);
    if (b < e) (*job)(index, b, e);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_cv_.notify_one();
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
    pending_ = n_threads_ - 1;
    ++generation_;
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
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
  if (error) std::rethrow_exception(error);
}

}  // namespace maskkv
