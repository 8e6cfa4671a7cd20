// The giant-step half of a baby-step giant-step linear transform: sum_g rot(partial_g, g)
// followed by the level's rescale. Each rotation's key inner product stays over Q_l * P
// and the sum takes one ModDown, fused with the rescale (Bossuat et al., Eurocrypt 2021,
// sec. 5, applied to the giant steps as well): one division by q_l P per level instead
// of one ModDown per giant step and a rescale.
#pragma once

#include <cstdint>
#include <vector>

#include "he/ckks/bootstrap/baby_steps.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::ckks {

// sum_g rot(partials[g], elts[g]) / q_l (rounded), at level l - 1 with scale
// partials' scale / q_l. elts[g] == 1 is the identity (keys[g] unused, may be null);
// keys[g] switches elts[g] otherwise.
rlwe::Ciphertext giant_step_sum_rescale(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& partials,
                                        const std::vector<uint64_t>& elts,
                                        const std::vector<const rlwe::KeySwitchKey*>& keys);

// The whole transform, sum_g rot(sum_t rot(ct, baby_t) * diagonal_t, giant_g) / q_l, with
// the partial sums left over Q_l * P (baby_step_partials): the identity group's goes into
// the final sum as it is, a rotated group's c1 alone is divided by P for its key switch and
// its c0 is permuted over Q_l * P. One ModDown fewer per group than baby_step_sums followed
// by giant_step_sum_rescale, and fewer roundings. giant_elts[g] (1: no rotation) and
// giant_keys[g] belong to groups[g]; the other arguments are baby_step_sums'.
rlwe::Ciphertext linear_transform_rescale(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                          const std::vector<uint64_t>& baby_elts,
                                          const std::vector<const rlwe::KeySwitchKey*>& baby_keys,
                                          const std::vector<std::vector<BabyTerm>>& groups,
                                          const std::vector<uint64_t>& giant_elts,
                                          const std::vector<const rlwe::KeySwitchKey*>& giant_keys);

}  // namespace ppml::ckks
