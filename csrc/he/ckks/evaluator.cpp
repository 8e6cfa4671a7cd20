#include "he/ckks/evaluator.hpp"

#include <string>

#include "common/errors.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::ckks {

rlwe::Ciphertext multiply(const rlwe::Context& ctx, const rlwe::Ciphertext& a, const rlwe::Ciphertext& b) {
  rlwe::Ciphertext out = a.size() == 2 && &a == &b ? rlwe::square(ctx, a) : rlwe::tensor(ctx, a, b);
  out.scale = a.scale * b.scale;
  return out;
}

rlwe::Ciphertext multiply_plain(const rlwe::Context& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt) {
  rlwe::check_same_params("multiply_plain", ctx, pt.fingerprint);
  rlwe::Ciphertext out = rlwe::multiply_plain(ctx, a, pt.poly);
  out.scale = a.scale * pt.scale;
  return out;
}

rlwe::Ciphertext rescale(const rlwe::Context& ctx, const rlwe::Ciphertext& a) {
  rlwe::check_same_params("rescale", ctx, a.fingerprint);
  const int level = a.level();
  if (level < 1)
    throw_parameter("rescale", "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)", level);
  rlwe::Ciphertext out;
  out.fingerprint = a.fingerprint;
  out.key_id = a.key_id;
  out.scale = a.scale / static_cast<double>(ctx.modulus(level).value());
  for (const auto& p : a.polys) {
    rns::RnsPoly r;
    rns::rescale_by_last(p, ctx.q_base(level - 1), r);
    out.polys.push_back(std::move(r));
  }
  return out;
}

}  // namespace ppml::ckks
