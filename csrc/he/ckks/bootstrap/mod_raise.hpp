// The first step of CKKS bootstrapping (Cheon-Han-Kim-Kim-Song 2018): a ciphertext at
// level 0 read as integers centred mod q_0 and written at a higher level. Its phase
// becomes m + q_0 I for a small integer polynomial I (|I| <~ Hamming weight of the secret).
#pragma once

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::ckks {

// ct: level 0, two components, evaluation form. Result at `level`, same scale and key.
rlwe::Ciphertext mod_raise(const rlwe::Context& ctx, const rlwe::Ciphertext& ct, int level);

// (c0, c1) under s_from -> (c0 + u0, u1) under the key's target secret.
rlwe::Ciphertext switch_secret(const rlwe::Context& ctx, const rlwe::Ciphertext& ct, const rlwe::KeySwitchKey& key);

}  // namespace ppml::ckks
