// DeviceContext's device-side state (included by the context's files only): tables,
// cached conversion plans and automorphism permutations, and the key-switching steps.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "gpu/device_context.hpp"
#include "gpu/kernels.hpp"

namespace ppml::gpu {

// A ConvPlan whose arrays live in `mem`.
struct PlanBuffer {
  DeviceBuffer mem;
  ConvPlan plan{};
};

struct DeviceContext::Impl {
  explicit Impl(const rlwe::Context& c);

  const rlwe::Context& ctx;
  uint64_t n;
  int log_n;
  std::size_t qc, pc, qp;
  DeviceBuffer mods, roots, roots_shoup, inv_roots, inv_roots_shoup, scalars;
  DeviceBuffer half_q;    // [qp] (q - 1) / 2: the centring shift of digits
  DeviceBuffer p_inv;     // [qc] P^-1 mod q_i
  DeviceBuffer ql_inv;    // [qc][qc] q_l^-1 mod q_i (rescale from level l)
  NttDevice ntt{};

  const ModConst* m() const { return mods.as<ModConst>(); }
  // Index in Q*P of limb t of a level-l extended polynomial (key_switch.cpp).
  std::size_t key_index(int level, std::size_t t) const {
    return t <= static_cast<std::size_t>(level) ? t : qc + (t - level - 1);
  }
  // Plan from primes `from` to `to` (Q*P indices) writing limb to_slot[t]; h[t]
  // subtracted after the conversion when `h` is given.
  PlanBuffer make_plan(const std::vector<int>& from, const std::vector<int>& to, const std::vector<uint16_t>& to_slot,
                       const std::vector<uint64_t>* h) const;
  const PlanBuffer& mod_up_plan(int level, int digit) const;
  const PlanBuffer& mod_down_plan(int level) const;
  const uint32_t* permutation(uint64_t elt) const;

  // Key switching (rlwe/key_switch.cpp). Digits of d (evaluation form, level+1 limbs)
  // raised to Q_l*P: digit_count() buffers of limbs(level) x n words, contiguous.
  int digit_count(int level) const;
  std::size_t ext_limbs(int level) const { return static_cast<std::size_t>(level) + 1 + pc; }
  DeviceBuffer decompose(const uint64_t* d, int level) const;
  // (u0, u1) = ModDown of the inner product of the digits (permuted by `perm` when not
  // null) with the key; each (level+1) x n; with add0 / add1, u + add.
  void apply_key(const DeviceBuffer& digits, int level, const DeviceKey& key, const uint32_t* perm,
                 const uint64_t* add0, const uint64_t* add1, uint64_t* u0, uint64_t* u1) const;

  mutable std::mutex mu;
  mutable std::map<std::pair<int, int>, std::unique_ptr<PlanBuffer>> mod_up;
  mutable std::map<int, std::unique_ptr<PlanBuffer>> mod_down;
  mutable std::map<uint64_t, DeviceBuffer> perms;
};

// A LimbMap over `count` consecutive slots starting at `slot0`, primes from `prime(i)`.
template <typename F>
LimbMap make_map(std::size_t count, std::size_t slot0, F prime) {
  LimbMap map;
  for (std::size_t i = 0; i < count; ++i) map.add(slot0 + i, prime(i));
  return map;
}

}  // namespace ppml::gpu
