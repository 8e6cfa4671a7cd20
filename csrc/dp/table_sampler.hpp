// Fast exact sampler for the symmetric integer laws P(k) ∝ exp(-|k|^e * fn / fd), e in
// {1, 2} (discrete Laplace, discrete Gaussian): rejection from an alias-table proposal that
// is an exact dyadic upper bound of the law, with acceptance tests decided on 32 or 64 bits
// and, when those cannot decide, by the exact lazy comparison of exp_interval.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dp/big_nat.hpp"
#include "dp/random_bits.hpp"

namespace ppml::dp {

// Contract (exactness): every value returned by sample()/fill() has law exactly
// P(k) = exp(-|k|^e fn / fd) / Z over all of Z, for the given integers; the only
// departure is that a call throws std::runtime_error (never returns a wrong value) in
// events of probability < 2^-8000 (undecided comparison, or |k| >= 2^63).
//
// Construction (all rigorous, integer arithmetic only, 128-bit exp bounds):
//  * magnitudes 0..Mmax in blocks: {0}, then [1 + (i-1)B, iB], B = 2^beta chosen so that
//    at most kMaxBlocks blocks cover `m_target`; block i gets proposal weight
//    Q_i = ceil(S * mult_i * w(start_i)) >= S * mass bound (mult = 1 for {0}, 2B else);
//  * tail |k| > Mmax: proposal with weight Q_T >= S * 4 L w(Mmax), magnitude
//    Mmax + gL + o + 1 with g ~ Geometric(1/2), o uniform in [0, L); L is chosen so that
//    w(Mmax + j) <= w(Mmax) 2^-g, so the proposal dominates the law;
//  * a "reject" outcome takes the rest of 2^64, so the proposal is one u64 through an
//    integer Vose alias table (no rounding anywhere).
//  Accept block i with S mult_i w(start_i) / Q_i (table bounds A_i, H_i; exact fallback),
//  times exp(-(f(m) - f(start_i))) for the offset inside the block (CKS Bernoulli).
class TableSampler {
 public:
  static constexpr std::size_t kMaxBlocks = 8190;

  // Requires 1 <= fn, 1 <= fd < 2^63, e in {1, 2}, m_target >= 1, m_target < 2^50.
  TableSampler(unsigned e, uint64_t fn, uint64_t fd, uint64_t m_target);

  int64_t sample(RandomBits& bits) const;
  // Test hook: with exact_only every acceptance goes through the exact fallback.
  void fill(RandomBits& bits, int64_t* out, std::size_t n, bool exact_only = false) const;

  unsigned block_bits() const { return beta_; }
  std::size_t blocks() const { return nb_; }

 private:
  template <bool kExactOnly>
  int64_t draw(RandomBits& bits) const;
  bool accept_block_exact(RandomBits& bits, uint64_t prefix, std::size_t block) const;
  bool accept_tail(RandomBits& bits, uint64_t g, u128 m) const;
  BigNat f_numerator(u128 m) const;  // m^e * fn
  // Bounds of w(start_i) 2^128 for the magnitude blocks i < nb_.
  void block_start_weights(std::vector<BigNat>& w_lo, std::vector<BigNat>& w_hi) const;

  unsigned e_;
  uint64_t fn_, fd_;
  unsigned beta_;       // block width B = 2^beta
  std::size_t nb_;      // magnitude blocks; outcome nb_ = tail, nb_ + 1 = reject
  uint64_t mmax_;       // largest magnitude covered by the table
  uint64_t tail_len_;   // L
  uint64_t scale_;      // S
  unsigned col_shift_;  // 64 - log2(columns)
  uint64_t cap_mask_;
  std::vector<uint64_t> thresh_;
  std::vector<uint32_t> alias_;
  std::vector<uint64_t> q_;        // Q_o for blocks and tail
  std::vector<uint64_t> acc_lo_;   // A_i <= floor(p_i 2^64)
  std::vector<uint64_t> acc_hi_;   // ceil(p_i 2^64) - 1 <= H_i
};

// Shared, cached tables (building one costs ~10 ms for sigma = 1000). A zero numerator
// or denominator throws ParameterError.
std::shared_ptr<const TableSampler> gaussian_table(uint64_t a, uint64_t b);
std::shared_ptr<const TableSampler> laplace_table(uint64_t sn, uint64_t sd);

}  // namespace ppml::dp
