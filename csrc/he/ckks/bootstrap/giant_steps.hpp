// The giant-step half of a baby-step giant-step linear transform: sum_g rot(partial_g, g)
// followed by the level's rescale. Each rotation's key inner product stays over Q_l * P
// and the sum takes one ModDown, fused with the rescale (Bossuat et al., Eurocrypt 2021,
// sec. 5, applied to the giant steps as well): one division by q_l P per level instead
// of one ModDown per giant step and a rescale.
#pragma once

#include <cstdint>
#include <vector>

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

}  // namespace ppml::ckks
