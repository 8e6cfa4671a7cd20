#include "common/memory_pool.hpp"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <new>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ppml {
namespace {

constexpr std::size_t kMinPooled = 32 * 1024;            // smaller blocks: plain malloc is fine
constexpr std::size_t kMaxCachedBytes = 1u << 30;        // whole process

// One cache for the process, not one per thread: the thread pool's workers allocate
// blocks that the caller frees (a decomposition's converted digits, the limbs of a
// result), so per-thread caches filled the caller's and starved the workers', whose fresh
// blocks then came from glibc's per-thread arenas, which hand pages back on every trim
// (a fifth of a two-thread rotation went to the kernel clearing them).
struct Pool {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;
  std::size_t cached = 0;
};

// Never destroyed: blocks are released during static destruction too (and then reused
// or leaked with the process). A fork while another thread holds the lock would leave
// the child's copy locked forever, so the lock is taken across fork().
Pool* pool() {
  static Pool* const p = [] {
    auto* created = new Pool();
#if defined(__unix__) || defined(__APPLE__)
    pthread_atfork([] { pool()->mutex.lock(); }, [] { pool()->mutex.unlock(); }, [] { pool()->mutex.unlock(); });
#endif
    return created;
  }();
  return p;
}

std::size_t rounded(std::size_t bytes) { return ((bytes + 63) / 64) * 64; }

#if defined(__GLIBC__)
// Blocks of other sizes than the pool holds (every level has its own limb count) come
// from malloc. glibc serves blocks above 32 MiB with mmap and unmaps them on free: each
// reuse then pays a page fault per 4 KiB (a third of a 2^16 bootstrap's time went to the
// kernel). Serving them from the heap and not trimming it keeps the pages mapped.
const bool kHeapTuned = [] {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum (larger values are refused)
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();
#endif

// Blocks of several MiB (key-switching keys, whole ciphertexts) are streamed from DRAM
// by the key-switching inner product; on 4 KiB pages each page of each stream costs a
// TLB walk. They start on a 2 MiB boundary and ask for transparent huge pages (with THP
// in "madvise" mode, the usual default, nothing else enables them).
constexpr std::size_t kHugePage = 2u << 20;

// PYPPML_HUGEPAGES=0 turns the advice off (fresh huge pages may cost compaction).
const bool kUseHugePages = [] {
  const char* v = std::getenv("PYPPML_HUGEPAGES");
  return !(v && v[0] == '0');
}();

void* fresh_block(std::size_t bytes) {
  const bool huge = kUseHugePages && bytes >= 2 * kHugePage;
  void* block = std::aligned_alloc(huge ? kHugePage : 64, huge ? (bytes + kHugePage - 1) / kHugePage * kHugePage : bytes);
  if (!block) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge) madvise(block, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
  return block;
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
  bytes = rounded(bytes);
  if (bytes >= kMinPooled) {
    Pool* p = pool();
    std::lock_guard<std::mutex> lock(p->mutex);
    auto it = p->free_blocks.find(bytes);
    if (it != p->free_blocks.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      p->cached -= bytes;
      return block;
    }
  }
  return fresh_block(bytes);
}

void pool_release(void* block, std::size_t bytes) {
  bytes = rounded(bytes);
  if (bytes >= kMinPooled) {
    Pool* p = pool();
    std::lock_guard<std::mutex> lock(p->mutex);
    if (p->cached + bytes <= kMaxCachedBytes) {
      p->free_blocks[bytes].push_back(block);
      p->cached += bytes;
      return;
    }
  }
  std::free(block);
}

bool pool_cache_contains_for_tests(const void* pattern, std::size_t size) {
  if (size == 0) return false;
  const auto* first = static_cast<const unsigned char*>(pattern);
  const std::boyer_moore_horspool_searcher search(first, first + size);
  Pool* p = pool();
  std::lock_guard<std::mutex> lock(p->mutex);
  for (const auto& [bytes, blocks] : p->free_blocks)
    for (void* block : blocks) {
      const auto* begin = static_cast<const unsigned char*>(block);
      if (std::search(begin, begin + bytes, search) != begin + bytes) return true;
    }
  return false;
}

}  // namespace ppml
