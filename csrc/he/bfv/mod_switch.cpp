#include "he/bfv/mod_switch.hpp"

#include <string>

#include "common/errors.hpp"
#include "he/rlwe/arith.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::bfv {

rlwe::Ciphertext mod_switch_to_next(const BfvContext& ctx, const rlwe::Ciphertext& a) {
  return mod_switch_to(ctx, a, a.level() - 1);
}

rlwe::Ciphertext mod_switch_to(const BfvContext& ctx, const rlwe::Ciphertext& a, int level) {
  rlwe::check_same_params("mod_switch", ctx.rlwe(), a.fingerprint);
  if (a.size() < 2) throw_parameter("mod_switch", "ciphertext", "is empty", "2 or 3 components", a.size());
  if (level < 0 || level > a.level())
    throw_parameter("mod_switch", "level", "is out of range", "0 <= level <= " + std::to_string(a.level()), level);
  rlwe::Ciphertext out = a;
  out.seeded = false;
  for (int l = a.level(); l > level; --l)
    for (auto& p : out.polys) {
      rns::RnsPoly next;
      rns::rescale_by_last(p, ctx.rlwe().q_base(l - 1), next);
      p = std::move(next);
    }
  return out;
}

}  // namespace ppml::bfv
