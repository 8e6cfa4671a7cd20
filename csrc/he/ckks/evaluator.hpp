// CKKS-specific evaluation on top of the RLWE arithmetic: scale bookkeeping for products
// and rescaling (divide by the last prime, scale / q_l).
#pragma once

#include "he/rlwe/arith.hpp"

namespace ppml::ckks {

// Product of two ciphertexts: 3 components, scale = a.scale * b.scale.
rlwe::Ciphertext multiply(const rlwe::Context& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext& b);
// Product with a plaintext: scale = a.scale * pt.scale.
rlwe::Ciphertext multiply_plain(const rlwe::Context& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt);
// Divide by the last prime of the level: one level less, scale / q_l.
rlwe::Ciphertext rescale(const rlwe::Context& ctx, const rlwe::Ciphertext& a);

}  // namespace ppml::ckks
