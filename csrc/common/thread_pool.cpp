// A small fork-safe pool instead of OpenMP: GNU libgomp hangs in a forked child that uses
// OpenMP after its parent did, and pyppml runs under multiprocessing, the MPC parties'
// and FL loopback runners and Dask workers, all of which fork.
#include "common/thread_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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

// How long an idle worker watches for the next job, and a caller for its workers' end,
// before sleeping on a condition variable. An operation runs several parallel regions a
// few microseconds apart, and waking a sleeping thread costs tens of microseconds on a
// virtual machine (an interrupt to a halted vCPU): on a 2-vCPU AMD EPYC the two-task
// regions of a 2^15 rotation took 86 us instead of 42. Only while the pool's threads fit
// the CPUs this process may use (spinning on a shared CPU would delay the thread it
// waits for). PYPPML_SPIN_US overrides it (0: sleep at once).
// The integer in `text` (surrounding blanks allowed, as Python's int() takes them) when
// it lies in [low, high], else `fallback`: pyppml/_threads.py refuses other values at
// import; a C ABI process gets the default.
long parse_env_long(const char* text, long low, long high, long fallback) {
  if (!text) return fallback;
  char* stop = nullptr;
  const long v = std::strtol(text, &stop, 10);
  if (stop == text) return fallback;
  while (*stop == ' ' || *stop == '\t' || *stop == '\n') ++stop;
  return *stop == '\0' && v >= low && v <= high ? v : fallback;
}

const std::chrono::nanoseconds kSpin =
    std::chrono::microseconds(parse_env_long(std::getenv("PYPPML_SPIN_US"), 0, 1000000, 200));

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) >= 1) return CPU_COUNT(&set);
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

// Polls done() for up to kSpin (when spinning is allowed); returns whether it became true.
template <class Done>
bool spin_until(Done done) {
  static const int cpus = affinity_cpus();
  if (kSpin.count() == 0 || g_threads.load(std::memory_order_relaxed) > cpus) return done();
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() - start > kSpin) return done();
  }
}

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
  uint64_t generation = 0;                 // changed under m
  std::atomic<uint64_t> published{0};      // = generation, for the workers' spin (no lock)
  Job* job = nullptr;
  int wanted = 0;                          // workers 0..wanted-1 take part in the current generation
  std::atomic<int> active{0};              // of those, how many are still running chunks

  void worker_main(int index) {
    // Signals go to the interpreter's threads, never to a worker.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    t_inside = true;
    uint64_t seen = 0;
    for (;;) {
      spin_until([&] { return published.load(std::memory_order_acquire) != seen; });
      std::unique_lock<std::mutex> lock(m);
      work_cv.wait(lock, [&] { return generation != seen; });
      seen = generation;
      if (index >= wanted) continue;
      Job* j = job;
      lock.unlock();
      run_chunks(*j);
      if (active.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // Under m: the caller checks `active` under m before it sleeps, so it cannot miss this.
        std::lock_guard<std::mutex> relock(m);
        done_cv.notify_one();
      }
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

}  // namespace

int default_num_threads() {
  if (long env = parse_env_long(std::getenv("PYPPML_NUM_THREADS"), 1, kMaxThreads, 0)) return static_cast<int>(env);
  return std::min(affinity_cpus(), kMaxThreads);
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
    p->active.store(workers, std::memory_order_relaxed);
    ++p->generation;
    p->published.store(p->generation, std::memory_order_release);
  }
  p->work_cv.notify_all();
  t_inside = true;
  run_chunks(job);
  t_inside = false;
  spin_until([&] { return p->active.load(std::memory_order_acquire) == 0; });
  {
    std::unique_lock<std::mutex> lock(p->m);
    p->done_cv.wait(lock, [&] { return p->active.load(std::memory_order_acquire) == 0; });
    p->job = nullptr;
  }
  if (job.error) std::rethrow_exception(job.error);
}

void parallel_for_pair(std::size_t first_count, const std::function<void(std::size_t)>& first,
                       std::size_t second_count, const std::function<void(std::size_t)>& second) {
  std::atomic<std::size_t> next_first{0}, next_second{0};
  auto drain = [](std::atomic<std::size_t>& next, std::size_t count, const std::function<void(std::size_t)>& task) {
    for (std::size_t x; (x = next.fetch_add(1, std::memory_order_relaxed)) < count;) task(x);
  };
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(num_threads()), first_count + second_count);
  parallel_for(std::max<std::size_t>(1, workers), [&](std::size_t w) {
    if (w % 2 == 0) {
      drain(next_first, first_count, first);
      drain(next_second, second_count, second);
    } else {
      drain(next_second, second_count, second);
      drain(next_first, first_count, first);
    }
  });
}

}  // namespace ppml
