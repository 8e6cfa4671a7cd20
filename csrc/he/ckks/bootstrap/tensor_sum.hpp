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

// factor * sum_k lefts[k] (x) rights[k] - addend_factor * addend + constant at `level`, a
// 3-component ciphertext in evaluation form with scale lefts[0].scale * rights[0].scale.
// Operands are 2-component ciphertexts at `level` or above, read on their first level + 1
// limbs (as if dropped); the factors and the constant (an integer: the plaintext constant
// polynomial) are residues modulo every data prime; `addend` and `constant` may be null.
// Bit for bit the products, multiply_integer, add, sub and add_plain it replaces.
rlwe::Ciphertext tensor_sum(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& lefts,
                            const std::vector<const rlwe::Ciphertext*>& rights, int level,
                            const std::vector<uint64_t>& factor, const rlwe::Ciphertext* addend,
                            const std::vector<uint64_t>& addend_factor, const std::vector<uint64_t>* constant);

}  // namespace ppml::ckks
