#include "he/bfv/encryptor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/aligned_buffer.hpp"
#include "he/bfv/encoder.hpp"
#include "he/bfv/scale_round.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/encryptor.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::bfv {

rlwe::Ciphertext encrypt_public(const BfvContext& ctx, const rlwe::PublicKey& pk, const rlwe::Plaintext& pt,
                                random::Prng& prng) {
  check_plaintext("encrypt", ctx, pt);
  rlwe::check_same_params("encrypt", ctx.rlwe(), pk.fingerprint);
  rns::RnsPoly m = scaled_message(ctx, pt, ctx.rlwe().max_level());
  return rlwe::encrypt_public(ctx.rlwe(), pk, m, prng);
}

rlwe::Ciphertext encrypt_secret(const BfvContext& ctx, const rlwe::SecretKey& sk, const rlwe::Plaintext& pt,
                                random::Prng& prng) {
  check_plaintext("encrypt", ctx, pt);
  rlwe::check_same_params("encrypt", ctx.rlwe(), sk.fingerprint);
  rns::RnsPoly m = scaled_message(ctx, pt, ctx.rlwe().max_level());
  return rlwe::encrypt_secret(ctx.rlwe(), sk, m, prng);
}

namespace {
// c0 + c1 s (+ c2 s^2) in coefficient form (secret buffer).
rns::RnsPoly phase(const BfvContext& ctx, const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct) {
  rlwe::check_same_params("decrypt", ctx.rlwe(), ct.fingerprint);
  rlwe::check_same_params("decrypt", ctx.rlwe(), sk.fingerprint);
  rns::RnsPoly x = rlwe::decrypt(ctx.rlwe(), sk, ct);
  for (std::size_t i = 0; i < x.limbs(); ++i) ntt::inverse_inplace(x.limb(i), ctx.rlwe().ntt(i));
  x.set_form(rns::Form::Coefficient);
  return x;
}
}  // namespace

rlwe::Plaintext decrypt(const BfvContext& ctx, const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct,
                        uint64_t* noise) {
  rns::RnsPoly x = phase(ctx, sk, ct);
  rlwe::Plaintext pt;
  pt.poly = rns::RnsPoly(ctx.n(), ctx.rlwe().q_base(0), rns::Form::Coefficient, false, Uninitialized{});
  pt.fingerprint = ctx.rlwe().fingerprint();
  uint64_t dist = scale_to_plain(ctx, ctx.level(ct.level()), x.data(), pt.poly.limb(0));
  if (noise) *noise = dist;
  return pt;
}

int noise_budget(const BfvContext& ctx, const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct) {
  rns::RnsPoly x = phase(ctx, sk, ct);
  const uint64_t n = ctx.n();
  const auto& base = *ctx.rlwe().q_base(ct.level());
  const std::size_t L = base.size();
  // v Q_l = [t x]_{Q_l} (centered): the error scaled by t.
  for (std::size_t i = 0; i < L; ++i) {
    const auto& q = base[i];
    rns::mul_scalar_mod(x.limb(i), q.reduce(ctx.t()), x.limb(i), n, q);
  }
  const std::vector<uint64_t>& Q = base.product();
  std::vector<uint64_t> half(L);
  // t x composed per coefficient is the error (times t): secret scratch, wiped on release.
  AlignedBuffer<uint64_t> value(L, Uninitialized{}, /*secret=*/true), neg(L, Uninitialized{}, /*secret=*/true),
      worst(L, /*secret=*/true);
  // floor(Q / 2)
  for (std::size_t w = 0; w < L; ++w) half[w] = (Q[w] >> 1) | (w + 1 < L ? Q[w + 1] << 63 : 0);
  for (uint64_t k = 0; k < n; ++k) {
    base.compose(x.data() + k, n, value.data());
    if (rns::words::compare(value.data(), half.data(), L) > 0) {
      std::copy(Q.begin(), Q.end(), neg.data());
      rns::words::sub_inplace(neg.data(), value.data(), L);
      value.swap(neg);
    }
    if (rns::words::compare(value.data(), worst.data(), L) > 0) std::copy(value.data(), value.data() + L, worst.data());
  }
  // log2 of a multi-word integer from its top two nonzero words.
  auto log2w = [L](const uint64_t* v) {
    for (std::size_t w = L; w-- > 0;)
      if (v[w]) {
        double top = static_cast<double>(v[w]) + (w ? static_cast<double>(v[w - 1]) * std::ldexp(1.0, -64) : 0.0);
        return std::log2(top) + 64.0 * static_cast<double>(w);
      }
    return -1.0;
  };
  double lw = log2w(worst.data());
  if (lw < 0) return static_cast<int>(std::floor(log2w(Q.data())));
  double budget = log2w(Q.data()) - lw - 1.0;
  return budget <= 0 ? 0 : static_cast<int>(std::floor(budget));
}

}  // namespace ppml::bfv
