// Shamir t-of-n secret sharing over the Mersenne prime field p = 2^61 - 1 [Sha79]:
// share j (held by party j, evaluation point x = j, 1 <= j <= n) is f(j) for a random
// polynomial f of degree t - 1 with f(0) = secret; any t shares give f(0) by Lagrange
// interpolation at 0, and any t - 1 shares are jointly uniform, independent of the secret.
#pragma once

#include <cstddef>
#include <cstdint>

#include "math/modulus.hpp"
#include "random/prng.hpp"

namespace ppml::mpc {

constexpr uint64_t kShamirPrime = (uint64_t{1} << 61) - 1;
// Most parties of one sharing: reconstruction is quadratic in them (the Lagrange
// denominators at arbitrary points), so an untrusted k of 10^6 asked for hours of CPU.
constexpr std::size_t kMaxShamirParties = 4096;

// The field Z_p, p = 2^61 - 1 (the library's Barrett modulus; p < 2^61 as it requires).
const math::Modulus& shamir_field();

// Shares `count` secrets, each in [0, p), among n parties with threshold t: writes
// out[(j - 1) * count + k] = f_k(j) for j = 1..n, each in [0, p). The t - 1 random
// coefficients of each f_k are uniform in [0, p) from `prng`.
// Throws ParameterError unless 1 <= t <= n <= kMaxShamirParties, or if a secret is >= p.
void shamir_share(random::Prng& prng, const uint64_t* secrets, std::size_t count, std::size_t n, std::size_t t,
                  uint64_t* out);

// The same at the k distinct nonzero points xs[0..k) (each < p): out[i * count + c] = f_c(xs[i]).
// SecAgg+ shares among a client's neighbours only, at their global ids + 1, so that the
// number of clients is not bounded by the number of parties of one sharing.
// Throws ParameterError unless 1 <= t <= k <= kMaxShamirParties, for a bad point (0, >= p,
// repeated) or a secret >= p.
void shamir_share_at(random::Prng& prng, const uint64_t* secrets, std::size_t count, const uint64_t* xs,
                     std::size_t k, std::size_t t, uint64_t* out);

// Lagrange coefficients at 0 for the distinct nonzero points xs[0..k): out[i] =
// prod_{m != i} xs[m] / (xs[m] - xs[i]) mod p. Throws ParameterError if a point is 0 or
// >= p, two points are equal, or k > kMaxShamirParties.
void lagrange_at_zero(const uint64_t* xs, std::size_t k, uint64_t* out);

// Reconstructs f(0) from k shares shares[i * count + c] taken at points xs[i]
// (the polynomial must have degree < k, i.e. k >= t). Writes out[c] in [0, p).
// Throws ParameterError for bad points (see lagrange_at_zero) or a share >= p.
void shamir_reconstruct(const uint64_t* xs, const uint64_t* shares, std::size_t k, std::size_t count,
                        uint64_t* out);

}  // namespace ppml::mpc
