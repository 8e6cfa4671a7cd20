// A process-wide cache of large aligned blocks: HE operations allocate and free the same
// few sizes (limbs x n words) over and over, and returning them to the OS costs a page
// fault per 4 KiB on the next use (the reason SEAL has memory pools). Blocks are wiped
// before reuse only if they held secrets (the owner wipes those on release).
#pragma once

#include <cstddef>

namespace ppml {

// 64-byte aligned block of at least `bytes` bytes (rounded up to a multiple of 64).
void* pool_allocate(std::size_t bytes);
// Returns a block obtained from pool_allocate with the same `bytes`.
void pool_release(void* p, std::size_t bytes);

// TESTS ONLY: whether any block cached for reuse holds `size` bytes equal to `pattern`,
// i.e. whether a secret went back to the pool unwiped.
bool pool_cache_contains_for_tests(const void* pattern, std::size_t size);

}  // namespace ppml
