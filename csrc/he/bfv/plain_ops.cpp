#include "he/bfv/plain_ops.hpp"

#include <string>
#include <vector>

#include "common/errors.hpp"
#include "he/bfv/encoder.hpp"
#include "he/rlwe/arith.hpp"

namespace ppml::bfv {

rlwe::Ciphertext add_plain(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt) {
  check_plaintext("add_plain", ctx, pt);
  rlwe::check_same_params("add_plain", ctx.rlwe(), a.fingerprint);
  return rlwe::add_plain(ctx.rlwe(), a, scaled_message(ctx, pt, a.level()));
}

rlwe::Ciphertext sub_plain(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt) {
  check_plaintext("sub_plain", ctx, pt);
  rlwe::check_same_params("sub_plain", ctx.rlwe(), a.fingerprint);
  return rlwe::sub_plain(ctx.rlwe(), a, scaled_message(ctx, pt, a.level()));
}

rlwe::Ciphertext multiply_plain(const BfvContext& ctx, const rlwe::Ciphertext& a, const rlwe::Plaintext& pt) {
  check_plaintext("multiply_plain", ctx, pt);
  rlwe::check_same_params("multiply_plain", ctx.rlwe(), a.fingerprint);
  const int level = a.level();
  std::shared_ptr<const rns::RnsPoly> m;
  if (pt.cache) {
    std::lock_guard<std::mutex> lock(pt.cache->mutex);
    if (pt.cache->level == level) m = pt.cache->evaluation;
  }
  if (!m) {
    m = std::make_shared<const rns::RnsPoly>(centered_message(ctx, pt, level));
    if (pt.cache) {
      std::lock_guard<std::mutex> lock(pt.cache->mutex);
      pt.cache->level = level;
      pt.cache->evaluation = m;
    }
  }
  return rlwe::multiply_plain(ctx.rlwe(), a, *m);
}

rlwe::Ciphertext multiply_scalar(const BfvContext& ctx, const rlwe::Ciphertext& a, uint64_t c) {
  if (c >= ctx.t())
    throw_parameter("multiply_scalar", "value", "is out of range", "a residue in [0, t = " + std::to_string(ctx.t()) + ")",
                    "a value >= t");  // never the value: it may be a model's weight
  rlwe::check_same_params("multiply_scalar", ctx.rlwe(), a.fingerprint);
  const bool negative = c > ctx.t() / 2;
  std::vector<uint64_t> residues;
  for (int i = 0; i <= a.level(); ++i) {
    const auto& q = ctx.rlwe().modulus(i);
    residues.push_back(negative ? q.value() - (ctx.t() - c) : c);
  }
  return rlwe::multiply_integer(ctx.rlwe(), a, residues);
}

}  // namespace ppml::bfv
