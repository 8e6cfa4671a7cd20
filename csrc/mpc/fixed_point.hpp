// Fixed-point encoding of reals into Z_2^64 (two's complement, `frac_bits` fractional bits)
// and the two-party local truncation of shares of SecureML [MZ17, section 4.1].
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::mpc {

// Largest fractional precision accepted: leaves at least 2 integer bits and a sign bit.
constexpr int kMaxFracBits = 60;

// out[j] = round(x[j] * 2^frac_bits) mod 2^64 (ties to even). Throws ParameterError if
// frac_bits is outside [0, kMaxFracBits], or a value is not finite or |x * 2^f| >= 2^62
// (the encoding must leave headroom for a sum or a product's carry).
void fixed_encode(const double* x, std::size_t count, int frac_bits, uint64_t* out);

// out[j] = (int64)v[j] / 2^frac_bits. Exact for |v| < 2^53.
void fixed_decode(const uint64_t* v, std::size_t count, int frac_bits, double* out);

// SecureML local truncation of a two-party share by `bits` bits, in place:
//   party 0: x_0 <- x_0 >> bits (logical),  party 1: x_1 <- -((-x_1) >> bits).
// If x = x_0 + x_1 mod 2^64 satisfies |x| < 2^lx (as a signed value), the shares then sum
// to floor(x / 2^bits) + e with e in {0, 1} (so within 1 unit of the last place of
// x / 2^bits), except with probability at most 2^(lx + 1 - 64) over the randomness of the
// sharing, where the result is off by about +-2^(64 - bits): a large, rare failure
// [MZ17, Theorem 1]. Only valid for exactly two parties. Throws ParameterError unless
// party is 0 or 1 and 0 <= bits < 64.
void truncate_share_inplace(uint64_t* share, std::size_t count, int party, int bits);

}  // namespace ppml::mpc
