#include "he/ckks/bootstrap/linear_sum.hpp"

#include <string>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/arith.hpp"
#include "rns/eltwise.hpp"

namespace ppml::ckks {

namespace {

// Every ciphertext of the parameters, relinearized, in evaluation form, at `level` or above.
void check_ciphertexts(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& cts, int level) {
  for (std::size_t t = 0; t < cts.size(); ++t) {
    rlwe::check_same_params("linear_sum", ctx, cts[t]->fingerprint);
    if (cts[t]->size() != 2 || cts[t]->level() < level || cts[t]->form() != rns::Form::Evaluation)
      throw_parameter("linear_sum", "ciphertexts", "differ in size, level or form",
                      "2-component ciphertexts at level >= " + std::to_string(level), t);
  }
}

rlwe::Ciphertext empty_result(const rlwe::Context& ctx, const rlwe::Ciphertext& first, int level) {
  rlwe::Ciphertext out;
  out.fingerprint = first.fingerprint;
  out.key_id = first.key_id;
  out.polys.emplace_back(ctx.n(), ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{});
  out.polys.emplace_back(ctx.n(), ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{});
  return out;
}

}  // namespace

rlwe::Ciphertext plaintext_inner_product(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& cts,
                                         const std::vector<const rlwe::Plaintext*>& pts) {
  if (cts.empty() || cts.size() != pts.size())
    throw_parameter("linear_sum", "plaintexts", "do not match the ciphertexts", "one per ciphertext, at least one",
                    pts.size());
  // The plaintexts set the level; a ciphertext above it is read on its first level + 1
  // limbs, which is what dropping it would copy (EvalMod's leaves: ~100 copies a bootstrap).
  const int level = pts[0]->level();
  check_ciphertexts(ctx, cts, level);
  for (std::size_t t = 0; t < pts.size(); ++t) {
    rlwe::check_same_params("linear_sum", ctx, pts[t]->fingerprint);
    if (pts[t]->level() != level || pts[t]->poly.form() != rns::Form::Evaluation)
      throw_parameter("linear_sum", "operands", "differ in size, level or form",
                      "2-component ciphertexts at level >= " + std::to_string(level) +
                          " and plaintexts at that level", t);
  }
  const uint64_t n = ctx.n();
  rlwe::Ciphertext out = empty_result(ctx, *cts[0], level);
  out.scale = cts[0]->scale * pts[0]->scale;
  const std::size_t limbs = static_cast<std::size_t>(level) + 1;
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

rlwe::Ciphertext constant_inner_product(const rlwe::Context& ctx, const Encoder& encoder,
                                        const std::vector<const rlwe::Ciphertext*>& cts,
                                        const std::vector<double>& values, const std::vector<double>& scales, int level,
                                        const std::vector<uint64_t>* constant) {
  if (cts.empty() || values.size() != cts.size() || scales.size() != cts.size())
    throw_parameter("linear_sum_constants", "values", "do not match the ciphertexts",
                    "one value and one scale per ciphertext, at least one", values.size());
  ctx.check_level("linear_sum_constants", level);
  if (constant && constant->size() < static_cast<std::size_t>(level) + 1)
    throw_parameter("linear_sum_constants", "constant", "has too few residues", std::to_string(level + 1), constant->size());
  check_ciphertexts(ctx, cts, level);
  const std::size_t limbs = static_cast<std::size_t>(level) + 1, terms = cts.size();
  // weights[i * terms + t]: the t-th constant modulo q_i, as its plaintext would hold it.
  std::vector<uint64_t> weights(limbs * terms);
  for (std::size_t t = 0; t < terms; ++t) {
    const std::vector<uint64_t> r = encoder.constant_residues(values[t] * scales[t], level);
    for (std::size_t i = 0; i < limbs; ++i) weights[i * terms + t] = r[i];
  }
  const uint64_t n = ctx.n();
  rlwe::Ciphertext out = empty_result(ctx, *cts[0], level);
  out.scale = cts[0]->scale * scales[0];
  parallel_for(2 * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    std::vector<const uint64_t*> y(terms);
    for (std::size_t t = 0; t < terms; ++t) y[t] = cts[t]->polys[c].limb(i);
    const math::Modulus& q = ctx.modulus(i);
    rns::weighted_sum_mod(y.data(), weights.data() + i * terms, terms, out.polys[c].limb(i), n, q, q.bits());
    if (c == 0 && constant) rns::add_scalar_mod(out.polys[0].limb(i), q.reduce((*constant)[i]), out.polys[0].limb(i), n, q);
  });
  return out;
}

}  // namespace ppml::ckks
