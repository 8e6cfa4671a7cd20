// A sum of ciphertext products before its relinearization, in one pass per limb: a
// polynomial's giant-step products (summed, then relinearized once) and its Chebyshev
// steps T_(a+b) = 2 T_a T_b - T_(a-b). Formed from separate products, integer multiples,
// drops and subtractions, each such sum went through memory five or six times.
#pragma once

#include <cstdint>
#include <vector>

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"

namespace ppml::ckks {

// factor * sum_k lefts[k] (x) rights[k] - addend_factor * addend at `level`, a 3-component
// ciphertext in evaluation form with scale lefts[0].scale * rights[0].scale. Operands are
// 2-component ciphertexts at `level` or above, read on their first level + 1 limbs (as if
// dropped); the factors are residues modulo every data prime; `addend` may be null. Bit for
// bit the products, multiply_integer, add and sub it replaces.
rlwe::Ciphertext tensor_sum(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& lefts,
                            const std::vector<const rlwe::Ciphertext*>& rights, int level,
                            const std::vector<uint64_t>& factor, const rlwe::Ciphertext* addend,
                            const std::vector<uint64_t>& addend_factor);

}  // namespace ppml::ckks
