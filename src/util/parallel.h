// Independent pieces of work on several threads: parsing files (libpg_query keeps its memory per
// thread) and checking sets. (Reading files on several threads was measured slower: the kernel's
// page-fault and file-system work contends, bench/RESULTS.md.)
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace sm::util {

// Calls fn(i) for every i below `count` on up to `jobs` threads (0: one per core), each taking
// the next index when done with one. fn must not touch what another index touches.
template <class Fn>
void parallel_for(size_t count, unsigned jobs, Fn fn) {
  unsigned n = jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
  n = static_cast<unsigned>(std::min<size_t>(n, count));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < count;) fn(i);
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < n; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
}

}  // namespace sm::util
