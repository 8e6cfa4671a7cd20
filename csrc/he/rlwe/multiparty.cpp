#include "he/rlwe/multiparty.hpp"

#include <string>

#include "common/errors.hpp"
#include "common/secure_zero.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/sampling.hpp"
#include "random/samplers.hpp"
#include "rns/eltwise.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::rlwe {

rns::RnsPoly common_polynomial(const Context& ctx, const random::Seed& crs) {
  random::Prng expand(crs, 0);
  return sample_uniform(expand, ctx.n(), ctx.q_base(ctx.max_level()), rns::Form::Evaluation);
}

rns::RnsPoly public_key_share(const Context& ctx, const SecretKey& sk_i, const random::Seed& crs,
                              random::Prng& prng) {
  check_same_params("public_key_share", ctx, sk_i.fingerprint);
  rns::RnsPoly a = common_polynomial(ctx, crs);
  rns::RnsPoly b = sample_error_eval(prng, ctx.n(), a.base());
  AlignedBuffer<uint64_t> t(ctx.n(), Uninitialized{}, /*secret=*/true);  // a*s_i gives s_i (a is public)
  for (std::size_t i = 0; i < a.limbs(); ++i) {
    rns::mul_mod(a.limb(i), sk_i.s.limb(i), t.data(), ctx.n(), ctx.modulus(i));
    rns::sub_mod(b.limb(i), t.data(), b.limb(i), ctx.n(), ctx.modulus(i));
  }
  b.mark_public();  // -a s_i + e: published, an RLWE sample
  return b;
}

PublicKey combine_public_key(const Context& ctx, const std::vector<const rns::RnsPoly*>& shares,
                             const random::Seed& crs, uint64_t key_id) {
  if (shares.empty()) throw_parameter("combine_public_key", "shares", "is empty", "one share per party", 0);
  PublicKey pk;
  pk.a = common_polynomial(ctx, crs);
  pk.b = rns::RnsPoly(ctx.n(), pk.a.base(), rns::Form::Evaluation);
  for (const rns::RnsPoly* s : shares) {
    if (s->limbs() != pk.a.limbs() || s->n() != ctx.n())
      throw_mismatch("combine_public_key", "shares", "have the wrong shape", std::to_string(pk.a.limbs()) + " limbs",
                     s->limbs());
    rns::add(pk.b, *s, pk.b);
  }
  pk.seed = crs;
  pk.fingerprint = ctx.fingerprint();
  pk.key_id = key_id;
  return pk;
}

rns::RnsPoly decryption_share(const Context& ctx, const SecretKey& sk_i, const Ciphertext& ct, int smudging_bits,
                              random::Prng& prng) {
  check_same_params("decryption_share", ctx, sk_i.fingerprint);
  check_same_params("decryption_share", ctx, ct.fingerprint);
  if (ct.size() != 2) throw_parameter("decryption_share", "ciphertext", "is not relinearized", "2 components", ct.size());
  // A share without smudging is c1 s_i + (small error): from a crafted (0, C) the key part
  // comes back (Li-Micciancio). Below 40 bits no ciphertext noise is flooded to 2^-40.
  if (smudging_bits < kMinSmudgingBits || smudging_bits > 120)
    throw_parameter("decryption_share", "smudging_bits", "is out of range",
                    std::to_string(kMinSmudgingBits) + "..120", smudging_bits);
  const int level = ct.level();
  const uint64_t n = ctx.n();
  auto base = ctx.q_base(level);
  // Smudging error: CBD error + uniform in [-2^b, 2^b), drawn from the CSPRNG as a
  // (b+1)-bit integer u (up to two words) minus 2^b, reduced modulo every prime. Its width
  // must exceed the decryption noise by the statistical security margin.
  rns::RnsPoly e = sample_error(prng, n, base);
  if (smudging_bits > 0) {
    const int bits = smudging_bits + 1;
    const int words = (bits + 63) / 64;
    std::vector<uint64_t> u(static_cast<std::size_t>(words) * n);
    prng.fill(u.data(), u.size() * sizeof(uint64_t));
    const int top_bits = bits - 64 * (words - 1);
    const uint64_t top_mask = top_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << top_bits) - 1;
    for (uint64_t k = 0; k < n; ++k) u[k * words + words - 1] &= top_mask;
    for (std::size_t i = 0; i < e.limbs(); ++i) {
      const auto& q = (*base)[i];
      const uint64_t offset = q.pow(2, static_cast<uint64_t>(smudging_bits));
      for (uint64_t k = 0; k < n; ++k) {
        uint64_t r = rns::words::mod_word(u.data() + k * words, static_cast<std::size_t>(words), q);
        e.limb(i)[k] = q.add(e.limb(i)[k], q.sub(r, offset));
      }
    }
    secure_zero(u.data(), u.size() * sizeof(uint64_t));
  }
  rns::ntt_forward(e);
  for (int i = 0; i <= level; ++i) rns::mul_add_mod(ct.polys[1].limb(i), sk_i.s.limb(i), e.limb(i), n, ctx.modulus(i));
  e.mark_public();  // c1 s_i + smudged error: the published share
  return e;
}

rns::RnsPoly combine_decryption(const Context& ctx, const Ciphertext& ct,
                                const std::vector<const rns::RnsPoly*>& shares) {
  check_same_params("combine_decryption", ctx, ct.fingerprint);
  if (shares.empty()) throw_parameter("combine_decryption", "shares", "is empty", "one share per key part", 0);
  rns::RnsPoly m = ct.polys[0];
  for (const rns::RnsPoly* s : shares) {
    if (s->limbs() != m.limbs())
      throw_mismatch("combine_decryption", "shares", "are at another level", std::to_string(m.limbs()) + " limbs",
                     s->limbs());
    rns::add(m, *s, m);
  }
  return m;
}

}  // namespace ppml::rlwe
