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
// rescale(relinearize(a)) for a 3-component product, with the key switching's ModDown and
// the rescale sharing their transforms; the same result, bit for bit. A 2-component input
// is only rescaled.
rlwe::Ciphertext relinearize_rescale(const rlwe::Context& ctx, const rlwe::Ciphertext& a,
                                     const rlwe::KeySwitchKey& relin_key);

}  // namespace ppml::ckks
