#include "he/ckks/bootstrap/giant_steps.hpp"

#include <algorithm>
#include <string>

#include "common/aligned_buffer.hpp"
#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/key_switch.hpp"
#include "rns/automorphism.hpp"
#include "rns/eltwise.hpp"

namespace ppml::ckks {

namespace {

constexpr const char* kApi = "giant_step_sum";

void check_partials(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& partials,
                    const std::vector<uint64_t>& elts, const std::vector<const rlwe::KeySwitchKey*>& keys) {
  if (partials.empty()) throw_parameter(kApi, "partials", "are empty", "at least one ciphertext", 0);
  if (elts.size() != partials.size() || keys.size() != partials.size())
    throw_parameter(kApi, "elements", "do not match the partial sums", std::to_string(partials.size()) + " elements and keys",
                    elts.size());
  const rlwe::Ciphertext& first = *partials.front();
  for (std::size_t g = 0; g < partials.size(); ++g) {
    const rlwe::Ciphertext& p = *partials[g];
    rlwe::check_same_params(kApi, ctx, p.fingerprint);
    if (p.size() != 2) throw_parameter(kApi, "partials", "are not relinearized", "2 components", p.size());
    if (p.polys[0].form() != rns::Form::Evaluation)
      throw_parameter(kApi, "partials", "are not in evaluation form", "evaluation form", "coefficient form");
    if (p.level() != first.level())
      throw_parameter(kApi, "partials", "are at different levels", "level " + std::to_string(first.level()), p.level());
    if (p.scale != first.scale) throw_parameter(kApi, "partials", "have different scales", "one scale", p.scale);
    rlwe::check_key_id(kApi, first.key_id, p.key_id);
    if ((elts[g] & 1) == 0 || elts[g] >= 2 * ctx.n())
      throw_parameter(kApi, "elements", "contain an invalid Galois element", "an odd integer < 2n", elts[g]);
    if (elts[g] != 1) {
      if (keys[g] == nullptr) throw_parameter(kApi, "keys", "lack a rotation key", "a key per rotation", "none");
      rlwe::check_key_id(kApi, keys[g]->key_id, p.key_id);
    }
  }
}

}  // namespace

rlwe::Ciphertext giant_step_sum_rescale(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& partials,
                                        const std::vector<uint64_t>& elts,
                                        const std::vector<const rlwe::KeySwitchKey*>& keys) {
  check_partials(ctx, partials, elts, keys);
  const rlwe::Ciphertext& first = *partials.front();
  const int level = first.level();
  if (level < 1) throw_parameter(kApi, "partials", "are at level 0", "a level >= 1 (no prime left to divide by)", level);
  const uint64_t n = ctx.n();
  const std::size_t q_limbs = static_cast<std::size_t>(level) + 1, limbs = q_limbs + ctx.p_count();
  // c: sum of the rotated (c0, c1) over Q_l (a rotation's c1 goes into its key switch);
  // acc: sum of the key inner products over Q_l * P, divided by P once below.
  rns::RnsPoly c[2] = {rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation),
                       rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation)};
  // The first rotation's inner products are written into acc directly, the later ones
  // into u and added; acc is zeroed below when there is no rotation.
  AlignedBuffer<uint64_t> acc[2] = {AlignedBuffer<uint64_t>(limbs * n, Uninitialized{}),
                                    AlignedBuffer<uint64_t>(limbs * n, Uninitialized{})};
  AlignedBuffer<uint64_t> u[2];
  bool first_rotation = true;
  for (std::size_t g = 0; g < partials.size(); ++g) {
    const rlwe::Ciphertext& p = *partials[g];
    if (elts[g] == 1) {
      parallel_for(2 * q_limbs, [&](std::size_t x) {
        const std::size_t k = x / q_limbs, i = x % q_limbs;
        rns::add_mod(c[k].limb(i), p.polys[k].limb(i), c[k].limb(i), n, ctx.modulus(i));
      });
      continue;
    }
    auto perm = rns::automorphism_permutation(n, elts[g]);
    // The decomposition of c1 permuted digit by digit is that of sigma(c1).
    if (first_rotation) {
      rlwe::key_inner_products_qp(ctx, p.polys[1], *keys[g], perm->data(), acc[0].data(), acc[1].data());
      first_rotation = false;
    } else {
      if (u[0].size() == 0)
        for (auto& buffer : u) buffer = AlignedBuffer<uint64_t>(limbs * n, Uninitialized{});
      rlwe::key_inner_products_qp(ctx, p.polys[1], *keys[g], perm->data(), u[0].data(), u[1].data());
      parallel_for(2 * limbs, [&](std::size_t x) {
        const std::size_t k = x / limbs, t = x % limbs;
        const math::Modulus& q = ctx.modulus(t < q_limbs ? t : ctx.q_count() + (t - q_limbs));
        rns::add_mod(acc[k].data() + t * n, u[k].data() + t * n, acc[k].data() + t * n, n, q);
      });
    }
    parallel_for(q_limbs, [&](std::size_t i) {
      rns::automorphism_eval_limb_add(p.polys[0].limb(i), perm->data(), c[0].limb(i), n, ctx.modulus(i).value());
    });
  }
  if (first_rotation)
    for (auto& buffer : acc) std::fill(buffer.data(), buffer.data() + limbs * n, uint64_t{0});
  rlwe::Ciphertext out;
  out.polys.resize(2);
  rlwe::mod_down_rescale_qp(ctx, level, acc[0].data(), acc[1].data(), &c[0], &c[1], out.polys[0], out.polys[1]);
  out.scale = first.scale / static_cast<double>(ctx.modulus(static_cast<std::size_t>(level)).value());
  out.fingerprint = first.fingerprint;
  out.key_id = first.key_id;
  return out;
}

rlwe::Ciphertext linear_transform_rescale(const rlwe::Context& ctx, const rlwe::Ciphertext& ct,
                                          const std::vector<uint64_t>& baby_elts,
                                          const std::vector<const rlwe::KeySwitchKey*>& baby_keys,
                                          const std::vector<std::vector<BabyTerm>>& groups,
                                          const std::vector<uint64_t>& giant_elts,
                                          const std::vector<const rlwe::KeySwitchKey*>& giant_keys) {
  constexpr const char* api = "linear_transform";
  if (groups.empty()) throw_parameter(api, "groups", "are empty", "at least one group", 0);
  if (giant_elts.size() != groups.size() || giant_keys.size() != groups.size())
    throw_parameter(api, "giant elements", "do not match the groups", std::to_string(groups.size()) + " elements and keys",
                    giant_elts.size());
  const int level = ct.level();
  if (level < 1) throw_parameter(api, "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)", level);
  const uint64_t n = ctx.n();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if ((giant_elts[g] & 1) == 0 || giant_elts[g] >= 2 * n)
      throw_parameter(api, "giant elements", "contain an invalid Galois element", "an odd integer < 2n", giant_elts[g]);
    if (giant_elts[g] == 1) continue;
    if (giant_keys[g] == nullptr) throw_parameter(api, "keys", "lack a rotation key", "a key per rotation", "none");
    rlwe::check_key_id(api, giant_keys[g]->key_id, ct.key_id);
  }
  std::vector<QpPartial> partials = baby_step_partials(ctx, ct, baby_elts, baby_keys, groups);
  for (const QpPartial& p : partials)
    if (p.scale != partials.front().scale) throw_parameter(api, "groups", "have different scales", "one scale", p.scale);
  const std::size_t q_limbs = static_cast<std::size_t>(level) + 1, limbs = q_limbs + ctx.p_count();
  auto modulus = [&](std::size_t t) -> const math::Modulus& {
    return ctx.modulus(t < q_limbs ? t : ctx.q_count() + (t - q_limbs));
  };
  AlignedBuffer<uint64_t> acc[2], u[2];
  auto add_into_acc = [&](const uint64_t* src0, const uint64_t* src1) {
    parallel_for(2 * limbs, [&](std::size_t x) {
      const std::size_t k = x / limbs, t = x % limbs;
      rns::add_mod(acc[k].data() + t * n, (k == 0 ? src0 : src1) + t * n, acc[k].data() + t * n, n, modulus(t));
    });
  };
  for (std::size_t g = 0; g < groups.size(); ++g) {
    QpPartial& p = partials[g];
    if (giant_elts[g] == 1) {
      if (acc[0].size() == 0) {
        acc[0] = std::move(p.acc0);
        acc[1] = std::move(p.acc1);
      } else {
        add_into_acc(p.acc0.data(), p.acc1.data());
      }
      continue;
    }
    // Only c1 is divided by P: the rotation's key switch decomposes it over Q_l.
    rns::RnsPoly c1;
    rlwe::mod_down_one_qp(ctx, level, p.acc1.data(), c1);
    p.acc1 = AlignedBuffer<uint64_t>();
    auto perm = rns::automorphism_permutation(n, giant_elts[g]);
    if (acc[0].size() == 0) {
      for (auto& buffer : acc) buffer = AlignedBuffer<uint64_t>(limbs * n, Uninitialized{});
      rlwe::key_inner_products_qp(ctx, c1, *giant_keys[g], perm->data(), acc[0].data(), acc[1].data());
    } else {
      if (u[0].size() == 0)
        for (auto& buffer : u) buffer = AlignedBuffer<uint64_t>(limbs * n, Uninitialized{});
      rlwe::key_inner_products_qp(ctx, c1, *giant_keys[g], perm->data(), u[0].data(), u[1].data());
      add_into_acc(u[0].data(), u[1].data());
    }
    // sigma(c0) over Q_l * P, limb by limb with each limb's prime.
    parallel_for(limbs, [&](std::size_t t) {
      rns::automorphism_eval_limb_add(p.acc0.data() + t * n, perm->data(), acc[0].data() + t * n, n, modulus(t).value());
    });
    p.acc0 = AlignedBuffer<uint64_t>();
  }
  rlwe::Ciphertext out;
  out.polys.resize(2);
  rlwe::mod_down_rescale_qp(ctx, level, acc[0].data(), acc[1].data(), nullptr, nullptr, out.polys[0], out.polys[1]);
  out.scale = partials.front().scale / static_cast<double>(ctx.modulus(static_cast<std::size_t>(level)).value());
  out.fingerprint = ct.fingerprint;
  out.key_id = ct.key_id;
  return out;
}

}  // namespace ppml::ckks
