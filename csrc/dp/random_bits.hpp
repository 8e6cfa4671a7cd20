// The one entry point of randomness for the DP samplers: a buffered bit source over the
// ChaCha20 Prng, so that a lazy comparison that needs 2 bits does not burn 64.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/secure_zero.hpp"
#include "random/prng.hpp"

namespace ppml::dp {

class RandomBits {
 public:
  explicit RandomBits(random::Prng& prng) : prng_(prng) {}
  RandomBits(const RandomBits&) = delete;
  RandomBits& operator=(const RandomBits&) = delete;
  ~RandomBits() { secure_zero(words_, sizeof(words_)); }

  // 64 uniform bits.
  uint64_t u64() {
    if (next_ == kWords) refill();
    return words_[next_++];
  }

  // k uniform bits in the low bits of the result, 1 <= k <= 64.
  uint64_t bits(unsigned k) {
    if (k == 64) return u64();
    if (avail_ < k) {
      uint64_t w = u64();
      // Take the low `avail_` bits from the old pool, the rest from the fresh word.
      uint64_t lo = pool_ & ((uint64_t{1} << avail_) - 1);
      unsigned need = k - avail_;
      uint64_t r = lo | ((w & ((uint64_t{1} << need) - 1)) << avail_);
      pool_ = need == 64 ? 0 : w >> need;
      avail_ = 64 - need;
      return r;
    }
    uint64_t r = pool_ & ((uint64_t{1} << k) - 1);
    pool_ >>= k;
    avail_ -= k;
    return r;
  }

  bool bit() {
    if (avail_ == 0) {
      pool_ = u64();
      avail_ = 64;
    }
    bool b = pool_ & 1;
    pool_ >>= 1;
    --avail_;
    return b;
  }

  // Uniform in [0, bound), bound >= 1, by masked rejection (exact, no modulo bias).
  uint64_t uniform_below(uint64_t bound) {
    if (bound <= 1) return 0;
    unsigned k = 64 - static_cast<unsigned>(__builtin_clzll(bound - 1));
    for (;;) {
      uint64_t v = bits(k);
      if (v < bound) return v;
    }
  }

  // Geometric(1/2) on {0, 1, ...}: the number of leading 0 bits, P(g) = 2^-(g+1).
  uint64_t geometric_half() {
    uint64_t g = 0;
    while (!bit()) ++g;
    return g;
  }

 private:
  void refill() {
    prng_.fill(words_, sizeof(words_));
    next_ = 0;
  }
  static constexpr std::size_t kWords = 128;  // 1 KiB: Prng::fill then writes whole ChaCha batches
  random::Prng& prng_;
  uint64_t words_[kWords];
  std::size_t next_ = kWords;
  uint64_t pool_ = 0;
  unsigned avail_ = 0;
};

}  // namespace ppml::dp
