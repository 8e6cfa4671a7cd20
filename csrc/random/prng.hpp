// The one source of randomness of pyppml: a ChaCha20 keystream keyed from the OS
// (getrandom) or, for reproducible expansion (seeded uniform polynomials), from a
// 32-byte seed. Key and buffered keystream are wiped on destruction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ppml::random {

using Seed = std::array<uint8_t, 32>;

// 32 bytes from the operating system's CSPRNG. Throws std::runtime_error on failure.
Seed os_seed();

class Prng {
 public:
  // Keyed from the OS.
  Prng();
  // Deterministic expansion of `seed`; `stream` separates independent expansions.
  explicit Prng(const Seed& seed, uint64_t stream = 0);
  Prng(const Prng&) = delete;
  Prng& operator=(const Prng&) = delete;
  ~Prng();

  void fill(void* out, std::size_t bytes);
  uint64_t next_u64();
  uint32_t next_u32();
  // Uniform in [0, bound), bound >= 1, by rejection (no modulo bias).
  uint64_t uniform_below(uint64_t bound);

 private:
  void refill();
  static constexpr std::size_t kBlocks = 16;
  uint32_t key_[8];
  uint64_t counter_ = 0;
  uint64_t stream_ = 0;
  alignas(64) uint8_t buffer_[64 * kBlocks];
  std::size_t pos_ = sizeof(buffer_);
};

// A per-thread generator keyed from the OS, re-keyed after fork() so that parent and
// child never share a keystream.
Prng& thread_prng();

// TESTS ONLY: replaces the calling thread's generator by the deterministic expansion of
// `seed`, so that key generation and encryption can be compared bit for bit across thread
// counts. Never use it for real keys (the next fork re-keys the child from the OS).
void seed_thread_prng_for_tests(const Seed& seed);

}  // namespace ppml::random
