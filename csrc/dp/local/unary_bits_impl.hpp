// The unary-encoding perturbation loop, shared by the scalar build (software bit deposit)
// and the BMI2 build (pdep); both consume the keystream identically and return the same
// rows. Included only by unary_bits.cpp and unary_bits_avx2.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dp/local/byte_stream.hpp"
#include "dp/local/unary_bits.hpp"

namespace ppml::dp::local::detail {

// Random bits in keystream order: 64-bit little-endian words, each used from bit 0 up.
class BitReservoir {
 public:
  explicit BitReservoir(ByteStream& s) : s_(s) {}
  // The next k bits (1 <= k <= 64) in the low k bits of the result.
  uint64_t take(unsigned k) {
    if (k <= avail_) {
      uint64_t v = k == 64 ? word_ : word_ & ((uint64_t{1} << k) - 1);
      word_ = k == 64 ? 0 : word_ >> k;
      avail_ -= k;
      return v;
    }
    uint64_t v = word_;  // avail_ < k <= 64 bits
    const unsigned have = avail_, need = k - have;
    const uint64_t w = next_word();
    v |= (need == 64 ? w : w & ((uint64_t{1} << need) - 1)) << have;
    word_ = need == 64 ? 0 : w >> need;
    avail_ = 64 - need;
    return v;
  }

 private:
  uint64_t next_word() {
    const uint8_t* b = s_.take(8);
    uint64_t w = 0;
    for (int i = 7; i >= 0; --i) w = (w << 8) | b[i];
    return w;
  }
  ByteStream& s_;
  uint64_t word_ = 0;
  unsigned avail_ = 0;
};

// Bernoulli(T/2^64) by comparing a uniform U with T one bit at a time from the top, for all
// positions of a block at once: the positions still tied (`open`) draw one fresh bit each
// (deposited onto them in increasing order); a bit below T's bit decides 1, above decides 0.
// About 2 random bits per output bit.
template <typename Deposit>
void unary_perturb_impl(random::Prng& prng, const uint32_t* positions, std::size_t n, std::size_t width,
                        uint64_t t_hit, uint64_t t_other, uint8_t* out, Deposit deposit) {
  ByteStream s(prng);
  BitReservoir bits(s);
  const std::size_t stride = row_bytes(width);
  for (std::size_t i = 0; i < n; ++i) {
    uint8_t* row = out + i * stride;
    const std::size_t pos = positions[i];
    for (std::size_t start = 0; start < width; start += 64) {
      const std::size_t k = width - start < 64 ? width - start : 64;
      const std::size_t own_at = pos - start;  // wraps to a huge value when pos < start
      const uint64_t own = own_at < k ? uint64_t{1} << own_at : 0;
      uint64_t open = k == 64 ? ~uint64_t{0} : (uint64_t{1} << k) - 1;
      uint64_t ones = 0;
      for (int b = 63; b >= 0 && open; --b) {
        // Per position, bit b of its threshold.
        const uint64_t tb = ((t_other >> b) & 1 ? ~own : 0) | ((t_hit >> b) & 1 ? own : 0);
        const uint64_t r = deposit(bits.take(static_cast<unsigned>(__builtin_popcountll(open))), open);
        ones |= open & ~r & tb;  // U's bit 0 where T's is 1: U < T
        open &= ~(r ^ tb);       // still equal
      }
      // Positions still open have U == T: not below, bit 0.
      for (std::size_t b = 0; b * 8 < k; ++b) row[start / 8 + b] = static_cast<uint8_t>(ones >> (8 * b));
    }
  }
}

}  // namespace ppml::dp::local::detail
