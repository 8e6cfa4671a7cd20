// Scheme-independent ciphertext arithmetic in evaluation form: add, subtract, negate,
// plaintext products, the tensor product, relinearization, level dropping and Galois
// automorphisms (single and hoisted). Operands are checked for matching parameters,
// level and form (MismatchError). Scale bookkeeping is the caller's (CKKS evaluator).
#pragma once

#include <vector>

#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::rlwe {

void check_same_params(const char* api, const Context& ctx, uint64_t fingerprint);
// Objects of two key sets (different key_id) never mix.
void check_key_id(const char* api, uint64_t expected, uint64_t got);
void check_pair(const char* api, const Context& ctx, const Ciphertext& a, const Ciphertext& b);

Ciphertext add(const Context& ctx, const Ciphertext& a, const Ciphertext& b);
Ciphertext sub(const Context& ctx, const Ciphertext& a, const Ciphertext& b);
Ciphertext negate(const Context& ctx, const Ciphertext& a);
// c0 +/- m (same level).
Ciphertext add_plain(const Context& ctx, const Ciphertext& a, const rns::RnsPoly& m);
Ciphertext sub_plain(const Context& ctx, const Ciphertext& a, const rns::RnsPoly& m);
// Every component times m (evaluation form).
Ciphertext multiply_plain(const Context& ctx, const Ciphertext& a, const rns::RnsPoly& m);
// Every component times an integer constant given by its residues modulo each data prime.
Ciphertext multiply_integer(const Context& ctx, const Ciphertext& a, const std::vector<uint64_t>& residues);
// (a0 b0, a0 b1 + a1 b0, a1 b1): a 3-component ciphertext (both inputs of size 2).
Ciphertext tensor(const Context& ctx, const Ciphertext& a, const Ciphertext& b);
Ciphertext square(const Context& ctx, const Ciphertext& a);
// 3 -> 2 components with the relinearization key.
Ciphertext relinearize(const Context& ctx, const Ciphertext& a, const KeySwitchKey& relin_key);
// Keep the first level+1 primes (no scaling; valid in evaluation form).
Ciphertext drop_to_level(const Context& ctx, const Ciphertext& a, int level);
// X -> X^galois_elt, then key switch back to s.
Ciphertext apply_galois(const Context& ctx, const Ciphertext& a, uint64_t galois_elt, const KeySwitchKey& key);
// Several automorphisms of one ciphertext sharing one decomposition (hoisting).
std::vector<Ciphertext> apply_galois_hoisted(const Context& ctx, const Ciphertext& a,
                                             const std::vector<uint64_t>& galois_elts,
                                             const std::vector<const KeySwitchKey*>& keys);

}  // namespace ppml::rlwe
