// Discrete Laplace noise: P(k) ∝ exp(-|k| / scale) on Z, scale = sn / sd rational.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dp/big_nat.hpp"
#include "dp/random_bits.hpp"
#include "random/prng.hpp"

namespace ppml::dp {

// Limits of the exactness contract: 1 <= sd <= 2^32, 1 <= sn < 2^62, sn / sd <= 2^40.
constexpr uint64_t kMaxDenominator = uint64_t{1} << 32;

// n samples of the discrete Laplace law of scale sn / sd, exact (table_sampler.hpp).
// Throws ParameterError (message "dp.discrete_laplace: ...") outside the limits above.
void discrete_laplace(random::Prng& prng, uint64_t sn, uint64_t sd, int64_t* out, std::size_t n,
                      bool exact_fallback_only = false);

// One sample by the textbook algorithm [CKS20, Algorithm 2] (the oracle in tests):
// X = U + t V with U uniform in [0, t) accepted with Bernoulli(exp(-U/t)) and
// V ~ Geometric(1 - exp(-1)), then Y = floor(X / s) with a random sign, (t, s) = (sn, sd).
int64_t discrete_laplace_reference(RandomBits& bits, uint64_t sn, uint64_t sd);
void discrete_laplace_reference(random::Prng& prng, uint64_t sn, uint64_t sd, int64_t* out, std::size_t n);

// Geometric law counting the successes of Bernoulli(exp(-xn/xd)) before the first failure:
// P(V = v) = (1 - e^-x) e^-xv. Exact; O(1 + v) Bernoulli trials.
uint64_t geometric_exp(RandomBits& bits, u128 xn, u128 xd);

}  // namespace ppml::dp
