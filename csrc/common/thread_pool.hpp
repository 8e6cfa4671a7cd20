// The core's one thread pool: parallel_for over independent indices (RNS limbs,
// key-switching digits and targets, coefficient blocks), used by the layers that split work.
//
// Contract that keeps results bit-identical for every thread count: fn(i) for distinct i
// must touch disjoint outputs and draw no randomness from a shared generator; which thread
// runs which index is then irrelevant. Reductions stay serial in the caller.
//
// Safety:
// - Nested calls (from inside fn) run serially in the calling worker: no deadlock.
// - Several threads may call parallel_for at once: one caller uses the pool, the others run
//   their range serially in their own thread (they are already parallel with each other).
// - fork(): a pthread_atfork handler gives the child a fresh, empty pool (its workers are
//   started on first use); the child never waits on threads that exist only in the parent.
// - An exception thrown by fn stops the remaining indices and is rethrown in the caller.
#pragma once

#include <cstddef>
#include <functional>

namespace ppml {

// Upper bound accepted by set_num_threads.
constexpr int kMaxThreads = 4096;

// Threads used by parallel_for (the caller included), >= 1. Initially default_num_threads().
int num_threads();
// Throws ParameterError unless 1 <= n <= kMaxThreads. Takes effect for the next calls.
void set_num_threads(int n);
// PYPPML_NUM_THREADS when it holds an integer in [1, kMaxThreads], else the number of CPUs
// this process may run on (sched_getaffinity), else 1.
int default_num_threads();

// Calls fn(i) for every i in [begin, end), in chunks of `grain` consecutive indices (>= 1)
// spread over up to num_threads() threads. Serial when the range is one chunk, when called
// from inside a parallel_for, or when another caller holds the pool.
void parallel_for(std::size_t begin, std::size_t end, std::size_t grain, const std::function<void(std::size_t)>& fn);

inline void parallel_for(std::size_t count, const std::function<void(std::size_t)>& fn) {
  parallel_for(0, count, 1, fn);
}

// Two independent task lists of one step, drained by every thread: even threads start on
// `first` and odd ones on `second`, each then helping with the other list. For a
// memory-bound list beside an arithmetic-bound one (key inner products beside
// transforms): on two threads one streams DRAM while the other computes, instead of both
// contending for DRAM at once. Same contract as parallel_for (disjoint outputs per task).
void parallel_for_pair(std::size_t first_count, const std::function<void(std::size_t)>& first,
                       std::size_t second_count, const std::function<void(std::size_t)>& second);

}  // namespace ppml
