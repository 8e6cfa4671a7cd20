// A word-size modulus q < 2^61 with its Barrett constant floor(2^128 / q), and the
// modular operations every layer above uses. Shoup multiplication by a fixed operand
// w uses w' = floor(w * 2^64 / q).
#pragma once

#include <cstdint>

#include "math/uint128.hpp"

namespace ppml::math {

// Largest modulus supported: Harvey's lazy butterflies keep values in [0, 4q) < 2^63.
constexpr int kMaxModulusBits = 61;

class Modulus {
 public:
  Modulus() = default;
  // Throws ParameterError unless 2 <= q < 2^61.
  explicit Modulus(uint64_t q);

  uint64_t value() const { return value_; }
  int bits() const { return bits_; }
  // floor(2^128 / q) as (hi, lo) words.
  uint64_t ratio_hi() const { return ratio_hi_; }
  uint64_t ratio_lo() const { return ratio_lo_; }
  // Barrett constants of the SIMD element-wise kernels (rns/eltwise_avx512*.cpp), L = bits():
  // barrett64() = floor(2^(L+63) / q), capped at 2^64 - 1 (the cap binds only for q = 2^(L-1));
  // for x < 2^(2L), qhat = floor(floor(x / 2^(L-1)) * barrett64() / 2^64) is floor(x / q)
  // minus 0, 1 or 2, so x - qhat * q is in [0, 3q).
  uint64_t barrett64() const { return barrett64_; }
  // For q < 2^50 (IFMA52), else 0: barrett52() = floor(2^(L+51) / q) capped at 2^52 - 1, the
  // 52-bit analogue of barrett64(); ratio52() = floor(2^52 / q); pow52() = 2^52 mod q.
  uint64_t barrett52() const { return barrett52_; }
  uint64_t ratio52() const { return ratio52_; }
  uint64_t pow52() const { return pow52_; }

  // x mod q for any 64-bit x.
  uint64_t reduce(uint64_t x) const {
    uint64_t qhat = mul_hi(x, ratio_hi_);
    uint64_t r = x - qhat * value_;
    return r >= value_ ? r - value_ : r;
  }

  // x mod q for any 128-bit x (Barrett with the 128-bit ratio; result in [0, q)).
  uint64_t reduce128(u128 x) const {
    uint64_t x0 = static_cast<uint64_t>(x), x1 = static_cast<uint64_t>(x >> 64);
    u128 p00 = static_cast<u128>(x0) * ratio_lo_;
    u128 p01 = static_cast<u128>(x0) * ratio_hi_;
    u128 p10 = static_cast<u128>(x1) * ratio_lo_;
    u128 mid = (p00 >> 64) + static_cast<uint64_t>(p01) + static_cast<uint64_t>(p10);
    uint64_t qhat = x1 * ratio_hi_ + static_cast<uint64_t>(p01 >> 64) +
                    static_cast<uint64_t>(p10 >> 64) + static_cast<uint64_t>(mid >> 64);
    // qhat >= floor(x / q) - 2, so r < 3q < 2^63.
    uint64_t r = x0 - qhat * value_;
    r = r >= value_ ? r - value_ : r;
    return r >= value_ ? r - value_ : r;
  }

  uint64_t add(uint64_t a, uint64_t b) const {
    uint64_t s = a + b;
    return s >= value_ ? s - value_ : s;
  }
  uint64_t sub(uint64_t a, uint64_t b) const { return a >= b ? a - b : a + value_ - b; }
  uint64_t neg(uint64_t a) const { return a == 0 ? 0 : value_ - a; }
  uint64_t mul(uint64_t a, uint64_t b) const { return reduce128(static_cast<u128>(a) * b); }
  uint64_t pow(uint64_t base, uint64_t exponent) const;
  // Inverse modulo q (q prime or gcd(a, q) = 1); throws ParameterError if none exists.
  uint64_t inv(uint64_t a) const;

  // Shoup: w' = floor(w * 2^64 / q) for w < q.
  uint64_t shoup(uint64_t w) const { return static_cast<uint64_t>((static_cast<u128>(w) << 64) / value_); }
  // x * w mod q in [0, 2q), for any 64-bit x.
  uint64_t mul_shoup_lazy(uint64_t x, uint64_t w, uint64_t w_shoup) const {
    return x * w - mul_hi(x, w_shoup) * value_;
  }
  uint64_t mul_shoup(uint64_t x, uint64_t w, uint64_t w_shoup) const {
    uint64_t r = mul_shoup_lazy(x, w, w_shoup);
    return r >= value_ ? r - value_ : r;
  }

  bool operator==(const Modulus& o) const { return value_ == o.value_; }
  bool operator!=(const Modulus& o) const { return value_ != o.value_; }

 private:
  uint64_t value_ = 0;
  int bits_ = 0;
  uint64_t ratio_hi_ = 0;
  uint64_t ratio_lo_ = 0;
  uint64_t barrett64_ = 0;
  uint64_t barrett52_ = 0;
  uint64_t ratio52_ = 0;
  uint64_t pow52_ = 0;
};

}  // namespace ppml::math
