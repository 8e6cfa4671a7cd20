// Exact Bernoulli trials with rational parameters: Bernoulli(num/den) by lazy bitwise
// comparison, and Bernoulli(exp(-x)) for rational x >= 0 [CKS20, Algorithm 1].
#pragma once

#include <cstdint>

#include "dp/big_nat.hpp"
#include "dp/random_bits.hpp"

namespace ppml::dp {

// Bernoulli(min(1, num/den)), exact. Compares a uniform real U in [0, 1), drawn one bit at
// a time, with the binary expansion of num/den; uses 2 bits on average.
// Precondition: 1 <= den < 2^127.
bool bernoulli_rational(RandomBits& bits, u128 num, u128 den);

// Bernoulli(exp(-xn/xd)), exact [CKS20, Algorithm 1]: for x in [0, 1] the parity of the
// first failure of Bernoulli(x/k), k = 1, 2, ...; for x > 1, floor(x) trials of
// Bernoulli(exp(-1)) and one of Bernoulli(exp(-(x - floor x))). Expected cost O(1 + x).
// Precondition: 1 <= xd < 2^120.
bool bernoulli_exp(RandomBits& bits, u128 xn, u128 xd);

}  // namespace ppml::dp
