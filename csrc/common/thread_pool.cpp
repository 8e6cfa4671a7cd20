// A small fork-safe pool instead of OpenMP: GNU libgomp hangs in a forked child that uses
// OpenMP after its parent did, and pyppml runs under multiprocessing, the MPC parties'
// and FL loopback runners and Dask workers, all of which fork.
#include "common/thread_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.hpp"

namespace ppml {
namespace {

// True in pool workers and in a caller while it runs its share of a job: nested
// parallel_for calls then run serially instead of waiting on a busy pool.
thread_local bool t_inside = false;

std::atomic<int> g_threads{0};  // 0: not chosen yet (default_num_threads on first use)

struct Job {
  const std::function<void(std::size_t)>* fn = nullptr;
  std::size_t end = 0, grain = 1;
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
};

void run_chunks(Job& job) {
  for (;;) {
    const std::size_t start = job.next.fetch_add(job.grain, std::memory_order_relaxed);
    if (start >= job.end) return;
    const std::size_t stop = std::min(job.end, start + job.grain);
    try {
      for (std::size_t i = start; i < stop; ++i) (*job.fn)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(job.error_mutex);
      if (!job.error) job.error = std::current_exception();
      job.next.store(job.end, std::memory_order_relaxed);  // the others stop at their next chunk
    }
  }
}

// Never destroyed: its workers block on a condition variable until the process ends
// (joining them from a static destructor would race with interpreter shutdown).
struct Pool {
  std::mutex busy;  // held by the one caller that uses the workers
  std::mutex m;
  std::condition_variable work_cv, done_cv;
  std::vector<std::thread> workers;
  uint64_t generation = 0;
  Job* job = nullptr;
  int wanted = 0;  // workers 0..wanted-1 take part in the current generation
  int active = 0;  // of those, how many are still running chunks

  void worker_main(int index) {
    // Signals go to the interpreter's threads, never to a worker.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    t_inside = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(m);
    for (;;) {
      work_cv.wait(lock, [&] { return generation != seen; });
      seen = generation;
      if (index >= wanted) continue;
      Job* j = job;
      lock.unlock();
      run_chunks(*j);
      lock.lock();
      if (--active == 0) done_cv.notify_one();
    }
  }

  // Called with `busy` held. Returns how many workers exist (may be fewer than asked
  // when the system refuses a thread).
  int ensure_workers(int count) {
    while (static_cast<int>(workers.size()) < count) {
      try {
        const int index = static_cast<int>(workers.size());
        workers.emplace_back([this, index] { worker_main(index); });
      } catch (const std::system_error&) {
        break;
      }
    }
    return static_cast<int>(workers.size());
  }
};

std::mutex g_create_mutex;
Pool* g_pool = nullptr;

void before_fork() { g_create_mutex.lock(); }
void after_fork_parent() { g_create_mutex.unlock(); }
// The child has only the forking thread: the parent's workers and any job state are gone.
// The old pool is abandoned (its mutexes may be held by threads that do not exist here)
// and a new one is built on first use.
void after_fork_child() {
  g_pool = nullptr;
  g_create_mutex.unlock();
}

Pool* pool() {
  static const bool registered = [] {
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    return true;
  }();
  (void)registered;
  std::lock_guard<std::mutex> lock(g_create_mutex);
  if (!g_pool) g_pool = new Pool();
  return g_pool;
}

void run_serial(std::size_t begin, std::size_t end, const std::function<void(std::size_t)>& fn) {
  for (std::size_t i = begin; i < end; ++i) fn(i);
}

int parse_threads(const char* text) {
  if (!text || !*text) return 0;
  char* stop = nullptr;
  const long v = std::strtol(text, &stop, 10);
  if (*stop != '\0' || v < 1 || v > kMaxThreads) return 0;
  return static_cast<int>(v);
}

}  // namespace

int default_num_threads() {
  if (int env = parse_threads(std::getenv("PYPPML_NUM_THREADS"))) return env;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count >= 1) return std::min(count, kMaxThreads);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(std::min<unsigned>(hw, kMaxThreads)) : 1;
}

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    int expected = 0;
    g_threads.compare_exchange_strong(expected, default_num_threads());
    n = g_threads.load(std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) {
  if (n < 1 || n > kMaxThreads)
    throw_parameter("set_num_threads", "n", "is out of range", "1 <= n <= " + std::to_string(kMaxThreads), n);
  g_threads.store(n, std::memory_order_relaxed);
}

void parallel_for(std::size_t begin, std::size_t end, std::size_t grain, const std::function<void(std::size_t)>& fn) {
  if (end <= begin) return;
  if (grain == 0) grain = 1;
  const std::size_t chunks = (end - begin + grain - 1) / grain;
  int threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(num_threads()), chunks));
  if (threads <= 1 || t_inside) return run_serial(begin, end, fn);
  Pool* p = pool();
  std::unique_lock<std::mutex> busy(p->busy, std::try_to_lock);
  if (!busy.owns_lock()) return run_serial(begin, end, fn);  // another caller has the workers
  const int workers = std::min(threads - 1, p->ensure_workers(threads - 1));
  if (workers == 0) return run_serial(begin, end, fn);
  Job job;
  job.fn = &fn;
  job.end = end;
  job.grain = grain;
  job.next.store(begin, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(p->m);
    p->job = &job;
    p->wanted = workers;
    p->active = workers;
    ++p->generation;
  }
  p->work_cv.notify_all();
  t_inside = true;
  run_chunks(job);
  t_inside = false;
  {
    std::unique_lock<std::mutex> lock(p->m);
    p->done_cv.wait(lock, [&] { return p->active == 0; });
    p->job = nullptr;
  }
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace ppml
