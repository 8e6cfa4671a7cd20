#include "math/modulus.hpp"

#include <string>

#include "common/errors.hpp"

namespace ppml::math {

Modulus::Modulus(uint64_t q) : value_(q) {
  if (q < 2 || q >= (uint64_t{1} << kMaxModulusBits))
    throw_parameter("Modulus", "q", "is out of range", "2 <= q < 2^61", q);
  bits_ = 64 - __builtin_clzll(q);
  // floor(2^128 / q) = floor((2^128 - 1) / q) because q is not a power of two or,
  // if it is, 2^128 / q is exact and (2^128-1)/q is one less only when q | 2^128.
  u128 all = ~static_cast<u128>(0);
  u128 ratio = all / q;
  if ((q & (q - 1)) == 0) ratio += 1;
  ratio_hi_ = static_cast<uint64_t>(ratio >> 64);
  ratio_lo_ = static_cast<uint64_t>(ratio);
  // 2^(L+63) / q <= 2^64, with equality only for q = 2^(L-1); likewise for the 52-bit one.
  const u128 b64 = (static_cast<u128>(1) << (bits_ + 63)) / q;
  barrett64_ = b64 >> 64 ? ~uint64_t{0} : static_cast<uint64_t>(b64);
  if (bits_ <= 50) {
    const uint64_t mask52 = (uint64_t{1} << 52) - 1;
    const uint64_t b52 = static_cast<uint64_t>((static_cast<u128>(1) << (bits_ + 51)) / q);
    barrett52_ = b52 > mask52 ? mask52 : b52;
    ratio52_ = (uint64_t{1} << 52) / q;
    pow52_ = (uint64_t{1} << 52) % q;
  }
}

uint64_t Modulus::pow(uint64_t base, uint64_t exponent) const {
  uint64_t result = 1 % value_;
  base = reduce(base);
  while (exponent) {
    if (exponent & 1) result = mul(result, base);
    base = mul(base, base);
    exponent >>= 1;
  }
  return result;
}

uint64_t Modulus::inv(uint64_t a) const {
  // Extended Euclid on signed 128-bit values.
  __int128 t = 0, new_t = 1;
  __int128 r = value_, new_r = reduce(a);
  while (new_r != 0) {
    __int128 quotient = r / new_r;
    __int128 tmp = t - quotient * new_t;
    t = new_t;
    new_t = tmp;
    tmp = r - quotient * new_r;
    r = new_r;
    new_r = tmp;
  }
  if (r != 1) throw_parameter("Modulus.inv", "a", "has no inverse", "gcd(a, q) = 1", a);
  if (t < 0) t += value_;
  return static_cast<uint64_t>(t);
}

}  // namespace ppml::math
