#include "he/ckks/bootstrap/linear_sum.hpp"

#include "common/errors.hpp"
#include "he/rlwe/arith.hpp"
#include "rns/eltwise.hpp"

namespace ppml::ckks {

rlwe::Ciphertext plaintext_inner_product(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& cts,
                                         const std::vector<const rlwe::Plaintext*>& pts) {
  if (cts.empty() || cts.size() != pts.size())
    throw_parameter("linear_sum", "plaintexts", "do not match the ciphertexts", "one per ciphertext, at least one",
                    pts.size());
  const rlwe::Ciphertext& first = *cts[0];
  const int level = first.level();
  for (std::size_t t = 0; t < cts.size(); ++t) {
    rlwe::check_same_params("linear_sum", ctx, cts[t]->fingerprint);
    rlwe::check_same_params("linear_sum", ctx, pts[t]->fingerprint);
    if (cts[t]->size() != 2 || cts[t]->level() != level || pts[t]->level() != level ||
        cts[t]->form() != rns::Form::Evaluation || pts[t]->poly.form() != rns::Form::Evaluation)
      throw_parameter("linear_sum", "operands", "differ in size, level or form",
                      "2-component ciphertexts and plaintexts at level " + std::to_string(level), t);
  }
  const uint64_t n = ctx.n();
  rlwe::Ciphertext out;
  out.scale = first.scale * pts[0]->scale;
  out.fingerprint = first.fingerprint;
  out.key_id = first.key_id;
  std::vector<const uint64_t*> a(cts.size()), b(cts.size());
  for (int c = 0; c < 2; ++c) {
    rns::RnsPoly poly(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{});
    for (int i = 0; i <= level; ++i) {
      for (std::size_t t = 0; t < cts.size(); ++t) {
        a[t] = cts[t]->polys[c].limb(i);
        b[t] = pts[t]->poly.limb(i);
      }
      rns::inner_product_mod(a.data(), b.data(), cts.size(), poly.limb(i), n, ctx.modulus(i));
    }
    out.polys.push_back(std::move(poly));
  }
  return out;
}

}  // namespace ppml::ckks
