// Minimal arbitrary-precision natural numbers (64-bit limbs, little endian) for the
// rigorous exp bounds of exp_interval.cpp. Only what that file needs; speed is secondary:
// it runs when the table is built and on the ~2^-30-probability exact fallback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ppml::dp {

using u128 = unsigned __int128;

class BigNat {
 public:
  BigNat() = default;
  explicit BigNat(u128 v);
  static BigNat pow2(std::size_t k);

  bool is_zero() const { return limbs_.empty(); }
  std::size_t bit_length() const;
  // Value if it fits in 128 bits, else saturated at 2^128 - 1.
  u128 to_u128_saturated() const;

  BigNat& add(const BigNat& o);
  BigNat& add_small(uint64_t v);
  // Precondition: *this >= o.
  BigNat& sub(const BigNat& o);
  BigNat& sub_small(uint64_t v);
  BigNat& mul_small(uint64_t v);
  BigNat& shl(std::size_t k);
  BigNat& shr(std::size_t k);  // floor
  // Floor division by d >= 1; returns the remainder.
  uint64_t div_small(uint64_t d);
  // Ceiling division by d >= 1.
  BigNat& div_small_ceil(uint64_t d);

  static BigNat mul(const BigNat& a, const BigNat& b);
  // Floor division by a u128 divisor >= 1 (bitwise long division; slow path only).
  static BigNat div_u128(const BigNat& a, u128 d, u128* remainder);
  static int cmp(const BigNat& a, const BigNat& b);

  bool shr_loses_bits(std::size_t k) const;  // some of the k low bits are set
  const std::vector<uint64_t>& limbs() const { return limbs_; }

 private:
  void trim();
  std::vector<uint64_t> limbs_;
};

}  // namespace ppml::dp
