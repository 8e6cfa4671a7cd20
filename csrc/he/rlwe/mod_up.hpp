// ModUp, the first half of key switching: each digit of a polynomial raised from its
// primes to the other primes of Q_l * P (key_switch.cpp multiplies the digits with the
// key, mod_down.cpp divides the sums by P). Internal to he/rlwe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/aligned_buffer.hpp"
#include "he/rlwe/context.hpp"
#include "rns/rns_poly.hpp"

namespace ppml::rlwe {

// Index in Q*P (the key's base) of limb t of a level-l extended polynomial.
inline std::size_t key_index(const Context& ctx, int level, std::size_t t) {
  return t <= static_cast<std::size_t>(level) ? t : ctx.q_count() + (t - level - 1);
}

// The digits a level-`level` polynomial has, and where digit j's primes end at that level.
std::size_t digit_count(const Context& ctx, int level);
inline std::size_t digit_end(const Context& ctx, int level, std::size_t j) {
  return std::min(ctx.digit_end(static_cast<int>(j)), static_cast<std::size_t>(level) + 1);
}

// Centred digits. With digits in [0, q) their mean q/2 multiplies the key's error e into
// (q / 2P) times a running sum of e's coefficients (a negacyclic convolution with a
// constant): a low-frequency error of std ~sqrt(n) sigma that decrypts to spikes, 100x the
// median, in the same few slots (roots near +-1) of every ciphertext of a key set. The
// centred value x_c = x - q [x > (q-1)/2] is ((x + h) mod q) - h with h = (q - 1) / 2:
// `centre_source` adds h once per digit (in place, mod q), `raise_limb` subtracts [h]_t
// after the reduction to each target prime; both are SIMD kernels.
void centre_source(uint64_t* limb, uint64_t n, const math::Modulus& q);

// A one-prime digit, shifted by centre_source, as a limb of prime `target` (QP index) in
// evaluation form: minus [h]_target, the reduction and the NTT in one pass from the source
// when q_src < 2 q_target (primes of one size: half the pairs of a chain), else first
// x mod q (SIMD Shoup product with 1).
void raise_limb(const Context& ctx, const uint64_t* src, uint64_t q_src, std::size_t target, uint64_t* dst);

// The digits of d (evaluation form) raised on demand, a few target limbs at a time, for a
// caller that consumes them while they are in cache: each source limb is transformed,
// centred and (digits of several primes) scaled by (Q_j / q_i)^-1 once, here; `raise`
// then forms digit j on the given targets. The values of decompose(d). Holds references
// to ctx and d.
class StreamedModUp {
 public:
  StreamedModUp(const Context& ctx, const rns::RnsPoly& d);
  int level() const { return level_; }
  std::size_t digits() const { return digits_; }
  // Digit j on the target limbs ts (indices of Decomposition's limbs) into dsts, several
  // targets from one read of the digit's limbs; operands[x] is target x's limb: dsts[x],
  // or d's own limb when ts[x] is one of the digit's primes (dsts[x] then unused).
  void raise(const std::vector<std::size_t>& ts, std::size_t j, const std::vector<uint64_t*>& dsts,
             std::vector<const uint64_t*>& operands) const;

 private:
  const Context& ctx_;
  const rns::RnsPoly& d_;
  int level_;
  std::size_t digits_;
  AlignedBuffer<uint64_t> scaled_;
};

}  // namespace ppml::rlwe
