// Samplers for lattice cryptography, all fed by a Prng: uniform mod q, uniform ternary
// {-1, 0, 1} and the RLWE error (centered binomial CBD(21), sigma = sqrt(10.5) ~ 3.24,
// |e| <= 21, constant time), as in SEAL's default build.
#pragma once

#include <cstddef>
#include <cstdint>

#include "random/prng.hpp"

namespace ppml::random {

// Error distribution parameters.
constexpr int kCbdEta = 21;
constexpr double kCbdSigma = 3.2403703492039302;  // sqrt(21 / 2)

// n values uniform in [0, q), q >= 2, by masked rejection.
void sample_uniform_mod(Prng& prng, uint64_t q, uint64_t* out, std::size_t n);
// n values uniform in {-1, 0, 1}.
void sample_ternary(Prng& prng, int8_t* out, std::size_t n);
// n values from the centered binomial distribution with eta = 21.
void sample_cbd(Prng& prng, int8_t* out, std::size_t n);

}  // namespace ppml::random
