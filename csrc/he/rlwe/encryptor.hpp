// RLWE encryption of a plaintext polynomial (public or secret key) and decryption.
// All polynomials in evaluation form at the plaintext's level.
#pragma once

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::rlwe {

// (u*b + e0 + m, u*a + e1) with u ternary.
Ciphertext encrypt_public(const Context& ctx, const PublicKey& pk, const rns::RnsPoly& m, random::Prng& prng);
// (-a*s + e + m, a) with a = uniform(fresh seed); the ciphertext remembers the seed.
Ciphertext encrypt_secret(const Context& ctx, const SecretKey& sk, const rns::RnsPoly& m, random::Prng& prng);
// c0 + c1 s (+ c2 s^2), evaluation form, at the ciphertext's level.
rns::RnsPoly decrypt(const Context& ctx, const SecretKey& sk, const Ciphertext& ct);

// Uniform c1 of a seeded ciphertext at `level`. Since format 2.3: AES-128-CTR output
// addressed by (limb, 256-coefficient block) as keys' a-halves are (key_expansion.hpp),
// under a digit field no key uses, so the limbs expand in parallel. `legacy`: the one
// ChaCha20 stream of formats 2.0-2.2, limb after limb.
rns::RnsPoly expand_ciphertext_uniform(const Context& ctx, const random::Seed& seed, int level, bool legacy);

}  // namespace ppml::rlwe
