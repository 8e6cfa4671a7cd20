#include "he/ckks/bootstrap/linear_sum.hpp"

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/arith.hpp"
#include "rns/eltwise.hpp"

namespace ppml::ckks {

rlwe::Ciphertext plaintext_inner_product(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& cts,
                                         const std::vector<const rlwe::Plaintext*>& pts) {
  if (cts.empty() || cts.size() != pts.size())
    throw_parameter("linear_sum", "plaintexts", "do not match the ciphertexts", "one per ciphertext, at least one",
                    pts.size());
  const rlwe::Ciphertext& first = *cts[0];
  // The plaintexts set the level; a ciphertext above it is read on its first level + 1
  // limbs, which is what dropping it would copy (EvalMod's leaves: ~100 copies a bootstrap).
  const int level = pts[0]->level();
  for (std::size_t t = 0; t < cts.size(); ++t) {
    rlwe::check_same_params("linear_sum", ctx, cts[t]->fingerprint);
    rlwe::check_same_params("linear_sum", ctx, pts[t]->fingerprint);
    if (cts[t]->size() != 2 || cts[t]->level() < level || pts[t]->level() != level ||
        cts[t]->form() != rns::Form::Evaluation || pts[t]->poly.form() != rns::Form::Evaluation)
      throw_parameter("linear_sum", "operands", "differ in size, level or form",
                      "2-component ciphertexts at level >= " + std::to_string(level) +
                          " and plaintexts at that level", t);
  }
  const uint64_t n = ctx.n();
  rlwe::Ciphertext out;
  out.scale = first.scale * pts[0]->scale;
  out.fingerprint = first.fingerprint;
  out.key_id = first.key_id;
  const std::size_t limbs = static_cast<std::size_t>(level) + 1;
  out.polys.emplace_back(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{});
  out.polys.emplace_back(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{});
  // Every (component, limb) is independent: split over the pool.
  parallel_for(2 * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    std::vector<const uint64_t*> a(cts.size()), b(cts.size());
    for (std::size_t t = 0; t < cts.size(); ++t) {
      a[t] = cts[t]->polys[c].limb(i);
      b[t] = pts[t]->poly.limb(i);
    }
    rns::inner_product_mod(a.data(), b.data(), cts.size(), out.polys[c].limb(i), n, ctx.modulus(i));
  });
  return out;
}

}  // namespace ppml::ckks
