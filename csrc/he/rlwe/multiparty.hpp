// Threshold RLWE among N parties with an additive secret s = sum_i s_i (Mouchet et al.
// 2021, "Multiparty homomorphic encryption from ring-learning-with-errors"): collective
// public-key generation from a common random polynomial a, and collective decryption
// in which every party publishes c1*s_i + e_i with a smudging error e_i wide enough to
// hide s_i (statistical flooding).
#pragma once

#include <vector>

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::rlwe {

// The common uniform polynomial a (over Q, evaluation form) expanded from a public seed.
rns::RnsPoly common_polynomial(const Context& ctx, const random::Seed& crs);

// Party i's share of the public key: -a s_i + e_i (over Q, evaluation form).
rns::RnsPoly public_key_share(const Context& ctx, const SecretKey& sk_i, const random::Seed& crs,
                              random::Prng& prng);

// pk = (sum_i share_i, a), tagged with `key_id` (agreed by the parties).
PublicKey combine_public_key(const Context& ctx, const std::vector<const rns::RnsPoly*>& shares,
                             const random::Seed& crs, uint64_t key_id);

// Fewest smudging bits a decryption share takes (a width below 2^40 floods nothing).
constexpr int kMinSmudgingBits = 40;

// c1 s_i + e_i at the ciphertext's level; e_i = CBD error + uniform in [-2^b, 2^b)
// (kMinSmudgingBits <= b = smudging_bits <= 120), wide enough to flood the decryption
// noise: the caller sizes b above that noise's bound (pyppml.fl.ckks: 7 sigma of the
// summed fresh encryptions + log2 n + 40 bits).
rns::RnsPoly decryption_share(const Context& ctx, const SecretKey& sk_i, const Ciphertext& ct, int smudging_bits,
                              random::Prng& prng);

// c0 + sum_i share_i: the plaintext polynomial (evaluation form).
rns::RnsPoly combine_decryption(const Context& ctx, const Ciphertext& ct,
                                const std::vector<const rns::RnsPoly*>& shares);

}  // namespace ppml::rlwe
