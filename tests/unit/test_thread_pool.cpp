// The thread pool: every index of a loop runs exactly once, on the thread index it is given,
// whether the workers are still polling from the previous loop or asleep; loops from several
// callers run one after another; an exception in the caller's chunk reaches the caller after the
// workers have finished theirs.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/thread_pool.h"

using namespace maskkv;

namespace {

// Runs a loop over n indices and checks each ran once, on a valid thread index.
void expect_each_index_once(ThreadPool& pool, size_t n) {
  std::vector<std::atomic<int>> hits(n);
  std::atomic<bool> bad_thread{false};
  pool.parallel_for(n, [&](int t, size_t b, size_t e) {
    if (t < 0 || t >= pool.size()) bad_thread = true;
    for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
  });
  EXPECT_FALSE(bad_thread);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "index " << i << " of " << n;
}

}  // namespace

TEST(ThreadPool, EveryIndexOnceBackToBackAndAfterSleeping) {
  // Up to the machine's hardware threads the waits poll before sleeping; beyond, they sleep at
  // once: both kinds of pool, whatever the machine.
  const int hw = ThreadPool::hardware_threads();
  for (int threads : {1, 2, 3, 5, hw, hw + 1}) {
    ThreadPool pool(threads);
    for (size_t n : {1, 2, 3, 7, 64, 1000}) expect_each_index_once(pool, n);
    // Idle long enough that the workers stop polling and sleep; the next loop must wake them.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (size_t n : {2, 9}) expect_each_index_once(pool, n);
  }
}

TEST(ThreadPool, CallersFromSeveralThreadsRunOneLoopAtATime) {
  ThreadPool pool(2);
  std::atomic<int> inside{0}, overlap{0};
  std::atomic<long> sum{0};
  auto caller = [&] {
    for (int r = 0; r < 200; ++r)
      pool.parallel_for(4, [&](int, size_t b, size_t e) {
        if (inside.fetch_add(1) >= pool.size()) overlap = 1;
        for (size_t i = b; i < e; ++i) sum += static_cast<long>(i);
        inside.fetch_sub(1);
      });
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  EXPECT_EQ(overlap.load(), 0);
  EXPECT_EQ(sum.load(), 2L * 200 * (0 + 1 + 2 + 3));
}

TEST(ThreadPool, CallersChunkExceptionArrivesAfterTheWorkersFinish) {
  ThreadPool pool(2);
  std::atomic<int> worker_chunks{0};
  EXPECT_THROW(pool.parallel_for(2,
                                 [&](int t, size_t, size_t) {
                                   if (t == 0) throw std::runtime_error("caller's chunk");
                                   std::this_thread::sleep_for(std::chrono::milliseconds(2));
                                   ++worker_chunks;
                                 }),
               std::runtime_error);
  EXPECT_EQ(worker_chunks.load(), 1);
  expect_each_index_once(pool, 10);  // still usable
}
