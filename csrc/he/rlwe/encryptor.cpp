#include "he/rlwe/encryptor.hpp"

#include "common/aligned_buffer.hpp"
#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/key_expansion.hpp"
#include "he/rlwe/sampling.hpp"
#include "ntt/ntt.hpp"
#include "random/samplers.hpp"
#include "rns/eltwise.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::rlwe {

Ciphertext encrypt_public(const Context& ctx, const PublicKey& pk, const rns::RnsPoly& m, random::Prng& prng) {
  const int level = static_cast<int>(m.limbs()) - 1;
  const uint64_t n = ctx.n();
  auto base = ctx.q_base(level);
  // (u pk_b + e0 + m, u pk_a + e1). The randomness is drawn here, on the calling thread, in
  // a fixed order (u, e0, e1): the same bits whatever the thread count.
  AlignedBuffer<int8_t> u(n, /*secret=*/true), e0(n, /*secret=*/true), e1(n, /*secret=*/true);
  random::sample_ternary(prng, u.data(), n);
  random::sample_cbd(prng, e0.data(), n);
  random::sample_cbd(prng, e1.data(), n);
  Ciphertext ct;
  for (int c = 0; c < 2; ++c) ct.polys.emplace_back(n, base, rns::Form::Evaluation, /*secret=*/true, Uninitialized{});
  const auto& tables = base->ntt_tables(n);
  // One task per limb lifts and transforms u and both errors and forms both components,
  // while the limb is in the core's cache: u never goes to memory as a whole polynomial.
  parallel_for(static_cast<std::size_t>(level) + 1, [&](std::size_t i) {
    const auto& q = (*base)[i];
    AlignedBuffer<uint64_t> u_i(n, Uninitialized{}, /*secret=*/true);
    small_to_residues(u.data(), n, q.value(), u_i.data());
    ntt::forward_inplace(u_i.data(), *tables[i]);
    for (int c = 0; c < 2; ++c) {
      uint64_t* out = ct.polys[c].limb(i);
      small_to_residues((c == 0 ? e0 : e1).data(), n, q.value(), out);
      ntt::forward_inplace(out, *tables[i]);
      rns::mul_add_mod(u_i.data(), (c == 0 ? pk.b : pk.a).limb(i), out, n, q);
      if (c == 0) rns::add_mod(out, m.limb(i), out, n, q);
    }
  });
  for (auto& p : ct.polys) p.mark_public();  // u key + e (+ m): RLWE samples, drawn into secret buffers
  ct.fingerprint = ctx.fingerprint();
  ct.key_id = pk.key_id;
  return ct;
}

rns::RnsPoly expand_ciphertext_uniform(const Context& ctx, const random::Seed& seed, int level, bool legacy) {
  auto base = ctx.q_base(level);
  if (legacy) {
    random::Prng expand(seed, 0);
    return sample_uniform(expand, ctx.n(), base, rns::Form::Evaluation);
  }
  // Digits and limbs of keys are below 2^16 - 1: this stream is no key's.
  constexpr uint64_t kCiphertextDigit = 0xFFFF;
  rns::RnsPoly a(ctx.n(), base, rns::Form::Evaluation, /*secret=*/false, Uninitialized{});
  const random::Aes128Key aes = key_expander(seed);
  parallel_for(a.limbs(), [&](std::size_t i) {
    expand_key_uniform_range(aes, kCiphertextDigit, i, (*base)[i].value(), ctx.n(), 0, ctx.n(), a.limb(i));
  });
  return a;
}

Ciphertext encrypt_secret(const Context& ctx, const SecretKey& sk, const rns::RnsPoly& m, random::Prng& prng) {
  const int level = static_cast<int>(m.limbs()) - 1;
  const uint64_t n = ctx.n();
  auto base = ctx.q_base(level);
  Ciphertext ct;
  prng.fill(ct.seed.data(), ct.seed.size());
  ct.seeded = true;
  rns::RnsPoly a = expand_ciphertext_uniform(ctx, ct.seed, level, /*legacy=*/false);
  rns::RnsPoly c0 = sample_error_eval(prng, n, base);
  c0.set_form(rns::Form::Evaluation);
  parallel_for(static_cast<std::size_t>(level) + 1, [&](std::size_t i) {
    // a*s with a public gives s = t / a: the block is wiped before it returns to the pool.
    AlignedBuffer<uint64_t> t(n, Uninitialized{}, /*secret=*/true);
    const auto& q = (*base)[i];
    rns::mul_mod(a.limb(i), sk.s.limb(i), t.data(), n, q);
    rns::sub_mod(c0.limb(i), t.data(), c0.limb(i), n, q);
    rns::add_mod(c0.limb(i), m.limb(i), c0.limb(i), n, q);
  });
  c0.mark_public();  // -a s + e + m: an RLWE sample, drawn into the error's secret buffer
  ct.polys.push_back(std::move(c0));
  ct.polys.push_back(std::move(a));
  ct.fingerprint = ctx.fingerprint();
  ct.key_id = sk.key_id;
  return ct;
}

rns::RnsPoly decrypt(const Context& ctx, const SecretKey& sk, const Ciphertext& ct) {
  check_key_id("decrypt", sk.key_id, ct.key_id);
  // The rows are multiplied by s in evaluation form: a coefficient-form ciphertext would
  // decrypt to garbage without a word.
  if (ct.size() < 2) throw_parameter("decrypt", "ciphertext", "is empty", "2 or 3 components", ct.size());
  if (ct.form() != rns::Form::Evaluation)
    throw_parameter("decrypt", "ciphertext", "is in coefficient form", "evaluation form", "coefficient form");
  const int level = ct.level();
  const uint64_t n = ctx.n();
  auto base = ctx.q_base(level);
  rns::RnsPoly m(n, base, rns::Form::Evaluation, /*secret=*/true, Uninitialized{});
  // Horner in s: m = c0 + s (c1 + s c2), one fused multiply-add per component.
  parallel_for(static_cast<std::size_t>(level) + 1, [&](std::size_t i) {
    const auto& q = (*base)[i];
    uint64_t* out = m.limb(i);
    if (ct.size() == 2) {  // c0 + c1 s: one copy and one fused multiply-add
      std::copy(ct.polys[0].limb(i), ct.polys[0].limb(i) + n, out);
      rns::mul_add_mod(ct.polys[1].limb(i), sk.s.limb(i), out, n, q);
      return;
    }
    const std::size_t last = ct.size() - 1;
    std::copy(ct.polys[last].limb(i), ct.polys[last].limb(i) + n, out);
    for (std::size_t c = last; c-- > 0;) {
      rns::mul_mod(out, sk.s.limb(i), out, n, q);
      rns::add_mod(out, ct.polys[c].limb(i), out, n, q);
    }
  });
  return m;
}

}  // namespace ppml::rlwe
