// Secret, error and uniform polynomials over an RNS base, from the CSPRNG.
#pragma once

#include <cstdint>
#include <memory>

#include "random/prng.hpp"
#include "rns/rns_poly.hpp"

namespace ppml::rlwe {

// Small signed coefficients (|v| < q) as residues modulo q.
void small_to_residues(const int8_t* values, uint64_t n, uint64_t q, uint64_t* dst);
// Small signed coefficients (|v| < min q) written as residues of every limb.
void small_to_rns(const int8_t* values, rns::RnsPoly& out);
// Uniform ternary secret, coefficient form, buffer marked secret.
rns::RnsPoly sample_ternary(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base);
// The same polynomial transformed to evaluation form (each limb written and transformed
// by one pool task).
rns::RnsPoly sample_ternary_eval(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base);
// RLWE error (CBD, sigma ~ 3.24), coefficient form, buffer marked secret.
rns::RnsPoly sample_error(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base);
// Uniform polynomial; uniform in either form, tagged as `form`.
rns::RnsPoly sample_uniform(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base,
                            rns::Form form);
// Error directly in evaluation form (sampled, then each limb lifted and transformed by one
// pool task).
rns::RnsPoly sample_error_eval(random::Prng& prng, uint64_t n, std::shared_ptr<const rns::RnsBase> base);

}  // namespace ppml::rlwe
