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

// Galois elements odd and below 2n; a key of the ciphertext's key set for each but 1.
void check_rotations(const char* api, const char* argument, const rlwe::Context& ctx,
                     const std::vector<uint64_t>& elts, const std::vector<const rlwe::KeySwitchKey*>& keys,
                     uint64_t key_id) {
  for (std::size_t g = 0; g < elts.size(); ++g) {
    if ((elts[g] & 1) == 0 || elts[g] >= 2 * ctx.n())
      throw_parameter(api, argument, "contain an invalid Galois element", "an odd integer < 2n", elts[g]);
    if (elts[g] == 1) continue;
    if (keys[g] == nullptr) throw_parameter(api, "keys", "lack a rotation key", "a key per rotation", "none");
    rlwe::check_key_id(api, keys[g]->key_id, key_id);
  }
}

void check_partials(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& partials,
                    const std::vector<uint64_t>& elts, const std::vector<const rlwe::KeySwitchKey*>& keys) {
  if (partials.empty()) throw_parameter(kApi, "partials", "are empty", "at least one ciphertext", 0);
  if (elts.size() != partials.size() || keys.size() != partials.size())
    throw_parameter(kApi, "elements", "do not match the partial sums", std::to_string(partials.size()) + " elements and keys",
                    elts.size());
  const rlwe::Ciphertext& first = *partials.front();
  for (const rlwe::Ciphertext* partial : partials) {
    const rlwe::Ciphertext& p = *partial;
    rlwe::check_same_params(kApi, ctx, p.fingerprint);
    if (p.size() != 2) throw_parameter(kApi, "partials", "are not relinearized", "2 components", p.size());
    if (p.polys[0].form() != rns::Form::Evaluation)
      throw_parameter(kApi, "partials", "are not in evaluation form", "evaluation form", "coefficient form");
    if (p.level() != first.level())
      throw_parameter(kApi, "partials", "are at different levels", "level " + std::to_string(first.level()), p.level());
    if (p.scale != first.scale) throw_parameter(kApi, "partials", "have different scales", "one scale", p.scale);
    rlwe::check_key_id(kApi, first.key_id, p.key_id);
  }
  check_rotations(kApi, "elements", ctx, elts, keys, first.key_id);
}

// A sum over Q_l * P (acc0, acc1) of rotations' key inner products and other terms: the
// first rotation's inner products are written into it directly, later ones through one
// scratch pair and added; a first whole term is taken over rather than copied.
class QpSum {
 public:
  QpSum(const rlwe::Context& ctx, int level)
      : ctx_(ctx), q_limbs_(static_cast<std::size_t>(level) + 1), limbs_(q_limbs_ + ctx.p_count()) {}

  // + the key inner products of sigma(c1) (perm) over Q_l * P.
  void add_key_switch(const rns::RnsPoly& c1, const rlwe::KeySwitchKey& key, const uint32_t* perm) {
    if (acc_[0].size() == 0) {
      for (auto& buffer : acc_) buffer = AlignedBuffer<uint64_t>(limbs_ * ctx_.n(), Uninitialized{});
      rlwe::key_inner_products_qp(ctx_, c1, key, perm, acc_[0].data(), acc_[1].data());
      return;
    }
    if (u_[0].size() == 0)
      for (auto& buffer : u_) buffer = AlignedBuffer<uint64_t>(limbs_ * ctx_.n(), Uninitialized{});
    rlwe::key_inner_products_qp(ctx_, c1, key, perm, u_[0].data(), u_[1].data());
    add(u_[0].data(), u_[1].data());
  }

  // + (s0, s1), both over Q_l * P.
  void take(AlignedBuffer<uint64_t>&& s0, AlignedBuffer<uint64_t>&& s1) {
    if (acc_[0].size() != 0) return add(s0.data(), s1.data());
    acc_[0] = std::move(s0);
    acc_[1] = std::move(s1);
  }

  // + sigma(s0) on the first polynomial, limb by limb with each limb's prime (after a
  // rotation's key switch: the sum exists).
  void add_permuted(const uint64_t* s0, const uint32_t* perm) {
    const uint64_t n = ctx_.n();
    parallel_for(limbs_, [&](std::size_t t) {
      rns::automorphism_eval_limb_add(s0 + t * n, perm, acc_[0].data() + t * n, n, modulus(t).value());
    });
  }

  // The sums (zero when nothing was added).
  uint64_t* data(int k) {
    if (acc_[0].size() == 0)
      for (auto& buffer : acc_) buffer = AlignedBuffer<uint64_t>(limbs_ * ctx_.n());
    return acc_[k].data();
  }

 private:
  const math::Modulus& modulus(std::size_t t) const {
    return ctx_.modulus(t < q_limbs_ ? t : ctx_.q_count() + (t - q_limbs_));
  }
  void add(const uint64_t* s0, const uint64_t* s1) {
    const uint64_t n = ctx_.n();
    parallel_for(2 * limbs_, [&](std::size_t x) {
      const std::size_t k = x / limbs_, t = x % limbs_;
      rns::add_mod(acc_[k].data() + t * n, (k == 0 ? s0 : s1) + t * n, acc_[k].data() + t * n, n, modulus(t));
    });
  }

  const rlwe::Context& ctx_;
  std::size_t q_limbs_, limbs_;
  AlignedBuffer<uint64_t> acc_[2], u_[2];
};

}  // namespace

rlwe::Ciphertext giant_step_sum_rescale(const rlwe::Context& ctx, const std::vector<const rlwe::Ciphertext*>& partials,
                                        const std::vector<uint64_t>& elts,
                                        const std::vector<const rlwe::KeySwitchKey*>& keys) {
  check_partials(ctx, partials, elts, keys);
  const rlwe::Ciphertext& first = *partials.front();
  const int level = first.level();
  if (level < 1) throw_parameter(kApi, "partials", "are at level 0", "a level >= 1 (no prime left to divide by)", level);
  const uint64_t n = ctx.n();
  const std::size_t q_limbs = static_cast<std::size_t>(level) + 1;
  // c: sum of the rotated (c0, c1) over Q_l (a rotation's c1 goes into its key switch);
  // acc: sum of the key inner products over Q_l * P, divided by P once below.
  rns::RnsPoly c[2] = {rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation),
                       rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation)};
  QpSum acc(ctx, level);
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
    acc.add_key_switch(p.polys[1], *keys[g], perm->data());
    parallel_for(q_limbs, [&](std::size_t i) {
      rns::automorphism_eval_limb_add(p.polys[0].limb(i), perm->data(), c[0].limb(i), n, ctx.modulus(i).value());
    });
  }
  rlwe::Ciphertext out;
  out.polys.resize(2);
  rlwe::mod_down_rescale_qp(ctx, level, acc.data(0), acc.data(1), &c[0], &c[1], out.polys[0], out.polys[1]);
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
  check_rotations(api, "giant elements", ctx, giant_elts, giant_keys, ct.key_id);
  std::vector<QpPartial> partials = baby_step_partials(ctx, ct, baby_elts, baby_keys, groups);
  for (const QpPartial& p : partials)
    if (p.scale != partials.front().scale) throw_parameter(api, "groups", "have different scales", "one scale", p.scale);
  QpSum acc(ctx, level);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    QpPartial& p = partials[g];
    if (giant_elts[g] == 1) {
      acc.take(std::move(p.acc0), std::move(p.acc1));
      continue;
    }
    // Only c1 is divided by P: the rotation's key switch decomposes it over Q_l.
    rns::RnsPoly c1;
    rlwe::mod_down_one_qp(ctx, level, p.acc1.data(), c1);
    p.acc1 = AlignedBuffer<uint64_t>();
    auto perm = rns::automorphism_permutation(ctx.n(), giant_elts[g]);
    acc.add_key_switch(c1, *giant_keys[g], perm->data());
    acc.add_permuted(p.acc0.data(), perm->data());  // sigma(c0) over Q_l * P
    p.acc0 = AlignedBuffer<uint64_t>();
  }
  rlwe::Ciphertext out;
  out.polys.resize(2);
  rlwe::mod_down_rescale_qp(ctx, level, acc.data(0), acc.data(1), nullptr, nullptr, out.polys[0], out.polys[1]);
  out.scale = partials.front().scale / static_cast<double>(ctx.modulus(static_cast<std::size_t>(level)).value());
  out.fingerprint = ct.fingerprint;
  out.key_id = ct.key_id;
  return out;
}

}  // namespace ppml::ckks
