#include "he/ckks/evaluator.hpp"

#include <string>

#include "common/errors.hpp"
#include "he/rlwe/key_switch.hpp"
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

rlwe::Ciphertext relinearize_rescale(const rlwe::Context& ctx, const rlwe::Ciphertext& a,
                                     const rlwe::KeySwitchKey& relin_key) {
  rlwe::check_same_params("relinearize_rescale", ctx, a.fingerprint);
  if (a.size() == 2) return rescale(ctx, a);
  if (a.size() != 3)
    throw_parameter("relinearize_rescale", "ciphertext", "has an unsupported size", "2 or 3", a.size());
  if (a.polys[0].form() != rns::Form::Evaluation)
    throw_parameter("relinearize_rescale", "ciphertext", "is in coefficient form", "evaluation form", "coefficient");
  rlwe::check_key_id("relinearize_rescale", relin_key.key_id, a.key_id);
  const int level = a.level();
  if (level < 1)
    throw_parameter("relinearize_rescale", "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)",
                    level);
  rlwe::Ciphertext out;
  out.fingerprint = a.fingerprint;
  out.key_id = a.key_id;
  out.scale = a.scale / static_cast<double>(ctx.modulus(static_cast<std::size_t>(level)).value());
  out.polys.resize(2);
  rlwe::switch_key_rescale(ctx, a.polys[2], relin_key, a.polys[0], a.polys[1], out.polys[0], out.polys[1]);
  return out;
}

}  // namespace ppml::ckks
