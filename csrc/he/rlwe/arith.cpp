#include "he/rlwe/arith.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/key_switch.hpp"
#include "rns/automorphism.hpp"
#include "rns/eltwise.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::rlwe {

void check_same_params(const char* api, const Context& ctx, uint64_t fingerprint) {
  if (fingerprint != ctx.fingerprint())
    throw_mismatch(api, "operand", "belongs to other parameters", "fingerprint " + std::to_string(ctx.fingerprint()),
                   fingerprint);
}

void check_key_id(const char* api, uint64_t expected, uint64_t got) {
  if (expected != got)
    throw_mismatch(api, "operand", "is encrypted under another key set",
                   "key id " + std::to_string(expected), got);
}

namespace {

void check_eval(const char* api, const Ciphertext& a) {
  if (a.size() < 2) throw_parameter(api, "ciphertext", "is empty", "2 or 3 components", a.size());
  if (a.form() != rns::Form::Evaluation)
    throw_mismatch(api, "ciphertext", "is in coefficient form", "evaluation form", "coefficient form");
}

void check_level(const char* api, const Ciphertext& a, const rns::RnsPoly& m) {
  if (m.limbs() != static_cast<std::size_t>(a.level() + 1))
    throw_mismatch(api, "plaintext", "is at another level", "level " + std::to_string(a.level()),
                   static_cast<int>(m.limbs()) - 1);
  if (m.form() != rns::Form::Evaluation)
    throw_mismatch(api, "plaintext", "is in coefficient form", "evaluation form", "coefficient form");
}

Ciphertext like(const Ciphertext& a, std::size_t size) {
  Ciphertext out;
  out.scale = a.scale;
  out.fingerprint = a.fingerprint;
  out.key_id = a.key_id;
  for (std::size_t c = 0; c < size; ++c)
    out.polys.emplace_back(a.n(), a.polys[0].base(), rns::Form::Evaluation, false, Uninitialized{});
  return out;
}

}  // namespace

void check_pair(const char* api, const Context& ctx, const Ciphertext& a, const Ciphertext& b) {
  check_same_params(api, ctx, a.fingerprint);
  check_same_params(api, ctx, b.fingerprint);
  check_eval(api, a);
  check_eval(api, b);
  check_key_id(api, a.key_id, b.key_id);
  if (a.level() != b.level())
    throw_mismatch(api, "operands", "are at different levels", "equal levels (drop the higher one first)",
                   std::to_string(a.level()) + " and " + std::to_string(b.level()));
}

namespace {
template <bool Subtract>
Ciphertext add_or_sub(const Context& ctx, const Ciphertext& a, const Ciphertext& b, const char* api) {
  check_pair(api, ctx, a, b);
  const std::size_t size = std::max(a.size(), b.size());
  Ciphertext out = like(a, size);
  const uint64_t n = a.n();
  const std::size_t limbs = static_cast<std::size_t>(a.level()) + 1;
  parallel_for(size * limbs, [&](std::size_t x) {
      const std::size_t c = x / limbs, i = x % limbs;
      const auto& q = ctx.modulus(i);
      if (c < a.size() && c < b.size()) {
        if (Subtract)
          rns::sub_mod(a.polys[c].limb(i), b.polys[c].limb(i), out.polys[c].limb(i), n, q);
        else
          rns::add_mod(a.polys[c].limb(i), b.polys[c].limb(i), out.polys[c].limb(i), n, q);
      } else if (c < a.size()) {
        std::copy(a.polys[c].limb(i), a.polys[c].limb(i) + n, out.polys[c].limb(i));
      } else if (Subtract) {
        rns::neg_mod(b.polys[c].limb(i), out.polys[c].limb(i), n, q);
      } else {
        std::copy(b.polys[c].limb(i), b.polys[c].limb(i) + n, out.polys[c].limb(i));
      }
    });
  return out;
}
}  // namespace

Ciphertext add(const Context& ctx, const Ciphertext& a, const Ciphertext& b) { return add_or_sub<false>(ctx, a, b, "add"); }
Ciphertext sub(const Context& ctx, const Ciphertext& a, const Ciphertext& b) { return add_or_sub<true>(ctx, a, b, "sub"); }

Ciphertext negate(const Context& ctx, const Ciphertext& a) {
  check_same_params("negate", ctx, a.fingerprint);
  check_eval("negate", a);
  Ciphertext out = like(a, a.size());
  const std::size_t limbs = static_cast<std::size_t>(a.level()) + 1;
  parallel_for(a.size() * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    rns::neg_mod(a.polys[c].limb(i), out.polys[c].limb(i), a.n(), ctx.modulus(i));
  });
  return out;
}

namespace {
template <bool Subtract>
Ciphertext add_or_sub_plain(const Context& ctx, const Ciphertext& a, const rns::RnsPoly& m, const char* api) {
  check_same_params(api, ctx, a.fingerprint);
  check_eval(api, a);
  check_level(api, a, m);
  Ciphertext out = like(a, a.size());
  const std::size_t limbs = static_cast<std::size_t>(a.level()) + 1;
  parallel_for(a.size() * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    if (c > 0)
      std::memcpy(out.polys[c].limb(i), a.polys[c].limb(i), a.n() * sizeof(uint64_t));
    else if (Subtract)
      rns::sub_mod(a.polys[0].limb(i), m.limb(i), out.polys[0].limb(i), a.n(), ctx.modulus(i));
    else
      rns::add_mod(a.polys[0].limb(i), m.limb(i), out.polys[0].limb(i), a.n(), ctx.modulus(i));
  });
  return out;
}
}  // namespace

Ciphertext add_plain(const Context& ctx, const Ciphertext& a, const rns::RnsPoly& m) {
  return add_or_sub_plain<false>(ctx, a, m, "add_plain");
}
Ciphertext sub_plain(const Context& ctx, const Ciphertext& a, const rns::RnsPoly& m) {
  return add_or_sub_plain<true>(ctx, a, m, "sub_plain");
}

Ciphertext multiply_plain(const Context& ctx, const Ciphertext& a, const rns::RnsPoly& m) {
  check_same_params("multiply_plain", ctx, a.fingerprint);
  check_eval("multiply_plain", a);
  check_level("multiply_plain", a, m);
  Ciphertext out = like(a, a.size());
  const std::size_t limbs = static_cast<std::size_t>(a.level()) + 1;
  parallel_for(a.size() * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    rns::mul_mod(a.polys[c].limb(i), m.limb(i), out.polys[c].limb(i), a.n(), ctx.modulus(i));
  });
  return out;
}

Ciphertext multiply_integer(const Context& ctx, const Ciphertext& a, const std::vector<uint64_t>& residues) {
  check_same_params("multiply_integer", ctx, a.fingerprint);
  check_eval("multiply_integer", a);
  if (residues.size() < static_cast<std::size_t>(a.level() + 1))
    throw_parameter("multiply_integer", "residues", "are too few", std::to_string(a.level() + 1), residues.size());
  Ciphertext out = like(a, a.size());
  const std::size_t limbs = static_cast<std::size_t>(a.level()) + 1;
  parallel_for(a.size() * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    rns::mul_scalar_mod(a.polys[c].limb(i), ctx.modulus(i).reduce(residues[i]), out.polys[c].limb(i), a.n(),
                        ctx.modulus(i));
  });
  return out;
}

Ciphertext tensor(const Context& ctx, const Ciphertext& a, const Ciphertext& b) {
  check_pair("multiply", ctx, a, b);
  if (a.size() != 2 || b.size() != 2)
    throw_parameter("multiply", "operands", "are not relinearized", "2 components each",
                    std::to_string(a.size()) + " and " + std::to_string(b.size()));
  Ciphertext out = like(a, 3);
  const uint64_t n = a.n();
  // 512 coefficients at a time: the four operands' blocks are read from memory once and
  // stay in L1 for the four products (limb by limb, a0 and the middle sum came back from L2).
  constexpr uint64_t kBlock = 512;
  parallel_for(static_cast<std::size_t>(a.level()) + 1, [&](std::size_t i) {
    const auto& q = ctx.modulus(i);
    for (uint64_t k = 0; k < n; k += kBlock) {
      const uint64_t len = std::min(kBlock, n - k);
      const uint64_t *a0 = a.polys[0].limb(i) + k, *a1 = a.polys[1].limb(i) + k;
      const uint64_t *b0 = b.polys[0].limb(i) + k, *b1 = b.polys[1].limb(i) + k;
      rns::mul_mod(a0, b0, out.polys[0].limb(i) + k, len, q);
      rns::mul_mod(a0, b1, out.polys[1].limb(i) + k, len, q);
      rns::mul_add_mod(a1, b0, out.polys[1].limb(i) + k, len, q);
      rns::mul_mod(a1, b1, out.polys[2].limb(i) + k, len, q);
    }
  });
  return out;
}

Ciphertext square(const Context& ctx, const Ciphertext& a) {
  check_same_params("square", ctx, a.fingerprint);
  check_eval("square", a);
  if (a.size() != 2) throw_parameter("square", "ciphertext", "is not relinearized", "2 components", a.size());
  Ciphertext out = like(a, 3);
  const uint64_t n = a.n();
  constexpr uint64_t kBlock = 512;  // as in tensor()
  parallel_for(static_cast<std::size_t>(a.level()) + 1, [&](std::size_t i) {
    const auto& q = ctx.modulus(i);
    for (uint64_t k = 0; k < n; k += kBlock) {
      const uint64_t len = std::min(kBlock, n - k);
      const uint64_t *a0 = a.polys[0].limb(i) + k, *a1 = a.polys[1].limb(i) + k;
      uint64_t* mid = out.polys[1].limb(i) + k;
      rns::mul_mod(a0, a0, out.polys[0].limb(i) + k, len, q);
      rns::mul_mod(a0, a1, mid, len, q);
      rns::add_mod(mid, mid, mid, len, q);
      rns::mul_mod(a1, a1, out.polys[2].limb(i) + k, len, q);
    }
  });
  return out;
}

Ciphertext relinearize(const Context& ctx, const Ciphertext& a, const KeySwitchKey& relin_key) {
  check_same_params("relinearize", ctx, a.fingerprint);
  check_eval("relinearize", a);
  if (a.size() == 2) return a;
  if (a.size() != 3) throw_parameter("relinearize", "ciphertext", "has an unsupported size", "2 or 3", a.size());
  check_key_id("relinearize", relin_key.key_id, a.key_id);
  rns::RnsPoly u0, u1;
  switch_key(ctx, a.polys[2], relin_key, u0, u1);
  Ciphertext out = like(a, 2);
  parallel_for(static_cast<std::size_t>(a.level()) + 1, [&](std::size_t i) {
    const auto& q = ctx.modulus(i);
    rns::add_mod(a.polys[0].limb(i), u0.limb(i), out.polys[0].limb(i), a.n(), q);
    rns::add_mod(a.polys[1].limb(i), u1.limb(i), out.polys[1].limb(i), a.n(), q);
  });
  return out;
}

Ciphertext drop_to_level(const Context& ctx, const Ciphertext& a, int level) {
  check_same_params("drop_to_level", ctx, a.fingerprint);
  check_eval("drop_to_level", a);
  if (level < 0 || level > a.level())
    throw_parameter("drop_to_level", "level", "is out of range", "0 <= level <= " + std::to_string(a.level()), level);
  // Only the kept limbs are copied (a full copy then a truncation moved every limb twice).
  Ciphertext out;
  out.scale = a.scale;
  out.fingerprint = a.fingerprint;
  out.key_id = a.key_id;
  for (const auto& p : a.polys) out.polys.emplace_back(a.n(), ctx.q_base(level), p.form(), p.secret(), Uninitialized{});
  const std::size_t limbs = static_cast<std::size_t>(level) + 1;
  parallel_for(a.size() * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    std::memcpy(out.polys[c].limb(i), a.polys[c].limb(i), a.n() * sizeof(uint64_t));
  });
  return out;
}

namespace {
Ciphertext finish_galois(const Context& ctx, const Ciphertext& a, uint64_t elt, rns::RnsPoly& u0, rns::RnsPoly& u1) {
  Ciphertext out = like(a, 2);
  auto perm = rns::automorphism_permutation(a.n(), elt);
  // sigma(c0) + u0, added into u0 as it is permuted (no pass over a permuted copy).
  parallel_for(static_cast<std::size_t>(a.level()) + 1, [&](std::size_t i) {
    rns::automorphism_eval_limb_add(a.polys[0].limb(i), perm->data(), u0.limb(i), a.n(), ctx.modulus(i).value());
  });
  out.polys[0] = std::move(u0);
  out.polys[1] = std::move(u1);
  return out;
}

void check_galois(const char* api, const Context& ctx, const Ciphertext& a, uint64_t elt) {
  check_same_params(api, ctx, a.fingerprint);
  check_eval(api, a);
  if (a.size() != 2) throw_parameter(api, "ciphertext", "is not relinearized", "2 components", a.size());
  if ((elt & 1) == 0 || elt >= 2 * ctx.n())
    throw_parameter(api, "galois_elt", "is invalid", "an odd integer < 2n", elt);
}
}  // namespace

Ciphertext apply_galois(const Context& ctx, const Ciphertext& a, uint64_t elt, const KeySwitchKey& key) {
  check_galois("rotate", ctx, a, elt);
  check_key_id("rotate", key.key_id, a.key_id);
  auto perm = rns::automorphism_permutation(a.n(), elt);
  // Key switch sigma(c1): permute c1 first, then decompose.
  rns::RnsPoly c1(a.n(), a.polys[1].base(), rns::Form::Evaluation, false, Uninitialized{});
  parallel_for(static_cast<std::size_t>(a.level()) + 1,
               [&](std::size_t i) { rns::automorphism_eval_limb(a.polys[1].limb(i), perm->data(), c1.limb(i), a.n()); });
  rns::RnsPoly u0, u1;
  switch_key(ctx, c1, key, u0, u1);
  return finish_galois(ctx, a, elt, u0, u1);
}

std::vector<Ciphertext> apply_galois_hoisted(const Context& ctx, const Ciphertext& a,
                                             const std::vector<uint64_t>& elts,
                                             const std::vector<const KeySwitchKey*>& keys) {
  for (uint64_t e : elts) check_galois("rotate_many", ctx, a, e);
  for (const KeySwitchKey* k : keys) check_key_id("rotate_many", k->key_id, a.key_id);
  Decomposition dec = decompose(ctx, a.polys[1]);
  std::vector<Ciphertext> out;
  for (std::size_t r = 0; r < elts.size(); ++r) {
    auto perm = rns::automorphism_permutation(a.n(), elts[r]);
    rns::RnsPoly u0, u1;
    apply_switch_key(ctx, dec, *keys[r], perm->data(), u0, u1);
    out.push_back(finish_galois(ctx, a, elts[r], u0, u1));
  }
  return out;
}

}  // namespace ppml::rlwe
