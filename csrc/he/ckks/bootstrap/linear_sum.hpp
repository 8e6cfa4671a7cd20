// The inner step of a baby-step giant-step linear transform: sum_t ct_t * pt_t in one
// pass with lazy 128-bit accumulation (one reduction per coefficient instead of one per
// product and one per addition, and one result buffer instead of 2 per term). The same
// sum with real constants for plaintexts (a polynomial's leaves) weighs each limb by the
// constants' residues and reads no plaintext at all.
#pragma once

#include <vector>

#include "he/ckks/encoder.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"

namespace ppml::ckks {

// pts: plaintexts at one level and one scale; cts: 2-component ciphertexts of one scale
// at that level or above (read as if dropped to it). Result at the plaintexts' level,
// scale cts[0].scale * pts[0].scale.
rlwe::Ciphertext plaintext_inner_product(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& cts,
                                         const std::vector<const rlwe::Plaintext*>& pts);

// sum_t cts[t] * round(values[t] * scales[t]) (+ constant, an integer's residues modulo
// every data prime, or null) at `level`: bit for bit the plaintext sum with
// encode_constant(values[t], scales[t], level) for plaintexts (and the constant added as a
// plaintext). Result scale cts[0].scale * scales[0].
rlwe::Ciphertext constant_inner_product(const rlwe::Context& ctx, const Encoder& encoder,
                                        const std::vector<const rlwe::Ciphertext*>& cts,
                                        const std::vector<double>& values, const std::vector<double>& scales, int level,
                                        const std::vector<uint64_t>* constant = nullptr);

}  // namespace ppml::ckks
