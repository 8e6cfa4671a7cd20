// Rigorous fixed-point bounds of c * exp(-x) for rational c and x, and the exact lazy
// Bernoulli trial built on them: the fallback that makes table-driven samplers exact.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dp/big_nat.hpp"
#include "dp/random_bits.hpp"

namespace ppml::dp {

// p = (cn * 2^c_shift / cd) * exp(-xn / xd), with cd, xd >= 1.
struct ExpTarget {
  BigNat cn;
  std::size_t c_shift = 0;
  uint64_t cd = 1;
  BigNat xn;
  uint64_t xd = 1;
};

// lo <= exp(-xn/xd) * 2^bits <= hi, with hi - lo at most a few units (Taylor series with
// directed rounding plus 64 guard bits). Precondition: xd >= 1, bits >= 1.
void exp_interval(const BigNat& xn, uint64_t xd, std::size_t bits, BigNat& lo, BigNat& hi);

// lo <= p * 2^bits <= hi for the target p.
void target_interval(const ExpTarget& t, std::size_t bits, BigNat& lo, BigNat& hi);

// Bernoulli(min(1, p)), exact, where the uniform U's first 64 bits are `prefix` (already
// drawn by a caller whose 64-bit test was inconclusive). Extends U 64 bits at a time and
// compares with p at growing precision until the comparison is decided.
// Throws std::runtime_error if undecided after 8192 bits (probability < 2^-8000).
bool bernoulli_exp_lazy(RandomBits& bits, uint64_t prefix, const ExpTarget& t);

}  // namespace ppml::dp
