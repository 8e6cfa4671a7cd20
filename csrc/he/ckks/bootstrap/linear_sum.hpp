// The inner step of a baby-step giant-step linear transform: sum_t ct_t * pt_t in one
// pass with lazy 128-bit accumulation (one reduction per coefficient instead of one per
// product and one per addition, and one result buffer instead of 2 per term).
#pragma once

#include <vector>

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"

namespace ppml::ckks {

// cts: 2-component ciphertexts at one level and scale; pts: plaintexts at that level and
// one scale. Result scale: cts[0].scale * pts[0].scale.
rlwe::Ciphertext plaintext_inner_product(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& cts,
                                         const std::vector<const rlwe::Plaintext*>& pts);

}  // namespace ppml::ckks
