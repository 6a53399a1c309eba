// A fixed pool of worker threads for data-parallel loops. The calling thread takes part, so a
// pool of n threads starts n - 1 workers. parallel_for may be called from several threads (the
// sessions of one shared model): the loops run one after another. It is not re-entrant: the
// body must not call parallel_for on the same pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace maskkv {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(thread_index, begin, end) on disjoint contiguous chunks covering [0, n).
  void parallel_for(size_t n, const std::function<void(int, size_t, size_t)>& fn);

  // Number of hardware threads, at least 1.
  static int hardware_threads();

 private:
  void worker(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::mutex run_mutex_;  // serialises parallel_for callers
  std::condition_variable start_cv_, done_cv_;
  // job_ and job_n_ are written before generation_ is advanced (release) and read after it is
  // seen (acquire). Waits spin briefly on the atomics before sleeping on the condition
  // variables: waking a sleeping thread costs tens to hundreds of microseconds, as much as a
  // small loop's work, and loops come back to back during a forward pass.
  const std::function<void(int, size_t, size_t)>* job_ = nullptr;
  size_t job_n_ = 0;
  std::atomic<size_t> generation_{0};
  // Polling only when every thread can have a core: with more threads than the hardware runs at
  // once, a polling thread would take the core of one with work to do.
  bool poll_ = true;
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace maskkv
