// Discrete Gaussian noise: P(k) ∝ exp(-k^2 / (2 sigma^2)) on Z, sigma^2 = a / b rational.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dp/random_bits.hpp"
#include "random/prng.hpp"

namespace ppml::dp {

// n samples of the discrete Gaussian with sigma^2 = a / b, exact for that rational
// (table_sampler.hpp). Limits: 1 <= b <= 2^32, 1 <= a < 2^62 (so sigma < 2^31).
// Throws ParameterError ("dp.discrete_gaussian: ...") outside them.
void discrete_gaussian(random::Prng& prng, uint64_t a, uint64_t b, int64_t* out, std::size_t n,
                       bool exact_fallback_only = false);

// The textbook algorithm [CKS20, Algorithm 3] (the oracle in tests): discrete Laplace
// proposals of scale t = floor(sigma) + 1, accepted with
// Bernoulli(exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2))). Limits: a <= 2^32, b <= 2^16.
int64_t discrete_gaussian_reference(RandomBits& bits, uint64_t a, uint64_t b);
void discrete_gaussian_reference(random::Prng& prng, uint64_t a, uint64_t b, int64_t* out, std::size_t n);

}  // namespace ppml::dp
