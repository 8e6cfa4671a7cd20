// Scale-invariant BFV product in RNS (Halevi-Polyakov-Shoup 2018): both operands are
// lifted exactly (centered) from Q_l to Q_l * B, the tensor product is taken pointwise
// in evaluation form over Q_l * B, and each of its three components is scaled by t/Q_l
// and rounded into B, then lifted exactly back to Q_l. Ciphertexts stay in evaluation
// form; only the lifts and the scaling see coefficient form.
#pragma once

#include "he/bfv/context.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::bfv {

// a * b: 3 components at the common level. Throws MismatchError / ParameterError on
// foreign, unrelinearized or level-mismatched operands.
rlwe::Ciphertext multiply(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext& b);
// a * a (three lifts fewer than multiply(a, a)).
rlwe::Ciphertext square(const BfvContext& ctx, const rlwe::Ciphertext& a);
// a * b (b null: a * a) relinearized with relin_key, the same bits as multiply then
// rlwe::relinearize: the third component's coefficient form, which the product has before
// its last transforms, goes to the key switch, which saves transforming it back (and,
// with one-prime digits, transforming it at all).
rlwe::Ciphertext multiply_relinearize(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext* b,
                                      const rlwe::KeySwitchKey& relin_key);

}  // namespace ppml::bfv
