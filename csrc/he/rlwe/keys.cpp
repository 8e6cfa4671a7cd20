#include "he/rlwe/keys.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/aligned_buffer.hpp"
#include "common/errors.hpp"
#include "common/thread_pool.hpp"

#include "he/rlwe/key_expansion.hpp"
#include "he/rlwe/sampling.hpp"
#include "ntt/ntt.hpp"
#include "random/samplers.hpp"
#include "rns/automorphism.hpp"
#include "rns/eltwise.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::rlwe {

SecretKey generate_secret_key(const Context& ctx, random::Prng& prng) {
  SecretKey sk;
  sk.s = sample_ternary_eval(prng, ctx.n(), ctx.qp_base());
  sk.fingerprint = ctx.fingerprint();
  do {
    sk.key_id = prng.next_u64();
  } while (sk.key_id == 0);
  return sk;
}

namespace {
// -a*s + e over the first limbs of `base` (s restricted to those limbs).
rns::RnsPoly masked_error(const Context& ctx, const rns::RnsPoly& a, const SecretKey& sk, random::Prng& prng) {
  const uint64_t n = ctx.n();
  rns::RnsPoly b = sample_error_eval(prng, n, a.base());
  for (std::size_t i = 0; i < a.limbs(); ++i) {
    const auto& q = (*a.base())[i];
    AlignedBuffer<uint64_t> as(n, Uninitialized{}, /*secret=*/true);  // a*s gives s (a is public)
    rns::mul_mod(a.limb(i), sk.s.limb(i), as.data(), n, q);
    rns::sub_mod(b.limb(i), as.data(), b.limb(i), n, q);
  }
  return b;
}
}  // namespace

PublicKey generate_public_key(const Context& ctx, const SecretKey& sk, random::Prng& prng) {
  PublicKey pk;
  prng.fill(pk.seed.data(), pk.seed.size());
  random::Prng expand(pk.seed, 0);
  pk.a = sample_uniform(expand, ctx.n(), ctx.q_base(ctx.max_level()), rns::Form::Evaluation);
  pk.b = masked_error(ctx, pk.a, sk, prng);
  pk.b.mark_public();  // -a s + e: the public key
  pk.fingerprint = ctx.fingerprint();
  pk.key_id = sk.key_id;
  return pk;
}

KeySwitchKey generate_switch_key(const Context& ctx, const SecretKey& sk, const rns::RnsPoly& s_from,
                                 random::Prng& prng, bool compact) {
  // The gadget is P * s'; Params::validate refuses contexts without P, checked again here
  // because p_mod_q would be read past its end.
  if (ctx.p_count() == 0)
    throw_parameter("keygen", "special_mod_bits", "is empty", "at least one special prime for key switching", 0);
  // Hybrid key switching divides the digit-sized product by P: with P below the largest
  // digit the switching error grows by digit / P and rotations and relinearization come
  // out silently wrong (SEAL likewise requires the special prime >= every data prime).
  double log_p = 0, log_digit = 0;
  for (uint64_t v : ctx.params().p) log_p += std::log2(static_cast<double>(v));
  for (int j = 0; j < ctx.digits(); ++j) {
    double bits = 0;
    for (std::size_t i = ctx.digit_start(j); i < ctx.digit_end(j); ++i) bits += std::log2(static_cast<double>(ctx.params().q[i]));
    log_digit = std::max(log_digit, bits);
  }
  // One bit of slack: primes of the same nominal size differ in their low bits.
  if (log_p + 1.0 < log_digit)
    throw_parameter("keygen", "special_mod_bits", "is too small for key switching",
                    "log2 P >= (log2 of the largest digit) - 1 = " + std::to_string(log_digit - 1.0).substr(0, 6) + " bits",
                    std::to_string(log_p).substr(0, 6) + " bits");
  KeySwitchKey key;
  prng.fill(key.seed.data(), key.seed.size());
  const uint64_t n = ctx.n();
  const std::size_t digits = static_cast<std::size_t>(ctx.digits());
  // The errors are drawn first, in digit order, from the caller's generator (the same
  // draws as a serial loop); the rest of each digit (uniform a from its own seeded stream,
  // NTT, -a*s + e + P*s') is independent and runs on the pool.
  std::vector<rns::RnsPoly> errors;
  for (std::size_t j = 0; j < digits; ++j) errors.push_back(sample_error(prng, n, ctx.qp_base()));
  key.a.resize(digits);
  key.b.resize(digits);
  parallel_for(digits, [&](std::size_t j) {
    rns::RnsPoly a = expand_key_uniform(ctx, key.seed, static_cast<uint64_t>(j));
    rns::RnsPoly b = std::move(errors[j]);
    rns::ntt_forward(b);
    // Holds a*s, then P*s' (s^2, sigma(s), s or the sparse s'): secret, wiped on release.
    AlignedBuffer<uint64_t> t(n, Uninitialized{}, /*secret=*/true);
    for (std::size_t i = 0; i < a.limbs(); ++i) {
      const auto& q = (*a.base())[i];
      rns::mul_mod(a.limb(i), sk.s.limb(i), t.data(), n, q);
      rns::sub_mod(b.limb(i), t.data(), b.limb(i), n, q);
    }
    // + P * s' on the limbs of digit j (the gadget is 0 mod the other primes and mod P).
    for (std::size_t i = ctx.digit_start(j); i < ctx.digit_end(j); ++i) {
      const auto& q = ctx.modulus(i);
      rns::mul_scalar_mod(s_from.limb(i), ctx.p_mod_q(i), t.data(), n, q);
      rns::add_mod(b.limb(i), t.data(), b.limb(i), n, q);
    }
    key.a[j] = rns::PackedPoly(a);
    key.b[j] = rns::PackedPoly(b);
  });
  if (compact) key.a.clear();
  key.fingerprint = ctx.fingerprint();
  key.key_id = sk.key_id;
  attach_aux_key(ctx, key);
  return key;
}

KeySwitchKey generate_relin_key(const Context& ctx, const SecretKey& sk, random::Prng& prng, bool compact) {
  rns::RnsPoly s2(ctx.n(), ctx.qp_base(), rns::Form::Evaluation, /*secret=*/true);
  rns::multiply(sk.s, sk.s, s2);
  return generate_switch_key(ctx, sk, s2, prng, compact);
}

KeySwitchKey generate_galois_key(const Context& ctx, const SecretKey& sk, uint64_t galois_elt, random::Prng& prng,
                                 bool compact) {
  rns::RnsPoly s_rot(ctx.n(), ctx.qp_base(), rns::Form::Evaluation, /*secret=*/true);
  rns::automorphism(sk.s, galois_elt, s_rot);
  return generate_switch_key(ctx, sk, s_rot, prng, compact);
}

std::size_t key_memory_bytes(const KeySwitchKey& key) {
  std::size_t bytes = 0;
  for (const auto& p : key.b) bytes += p.memory_bytes();
  for (const auto& p : key.a) bytes += p.memory_bytes();
  if (key.aux) bytes += key.aux->memory_bytes();
  return bytes;
}

bool secret_matches_public(const Context& ctx, const SecretKey& sk, const PublicKey& pk) {
  const std::size_t n = ctx.n();
  const auto& q = ctx.modulus(0);
  AlignedBuffer<uint64_t> e(n, Uninitialized{}, /*secret=*/true);
  rns::mul_mod(pk.a.limb(0), sk.s.limb(0), e.data(), n, q);
  rns::add_mod(pk.b.limb(0), e.data(), e.data(), n, q);
  ntt::inverse_inplace(e.data(), ctx.ntt(0));
  const uint64_t eta = static_cast<uint64_t>(random::kCbdEta), top = q.value() - eta;
  uint64_t outside = 0;  // no early exit: the count, not the first position, decides
  for (std::size_t i = 0; i < n; ++i) outside += static_cast<uint64_t>(e[i] > eta && e[i] < top);
  return outside == 0;
}

}  // namespace ppml::rlwe
