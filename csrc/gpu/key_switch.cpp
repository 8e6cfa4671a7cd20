// Hybrid key switching on the GPU (rlwe/key_switch.cpp, bit for bit): centred digits
// raised to Q_l*P by fast base conversion (ModUp), the inner product with the key
// (permuted digits for hoisted automorphisms), and ModDown with the centred remainder
// (one special prime: shift by (p-1)/2; several: HPS18's exact centred conversion).
// [Han-Ki 2020; Halevi-Shoup 2018; Halevi-Polyakov-Shoup 2018]
#include "common/errors.hpp"
#include "gpu/context_impl.hpp"

namespace ppml::gpu {

int DeviceContext::Impl::digit_count(int level) const {
  int count = 0;
  for (int j = 0; j < ctx.digits() && ctx.digit_start(j) <= static_cast<std::size_t>(level); ++j) ++count;
  return count;
}

DeviceBuffer DeviceContext::Impl::decompose(const uint64_t* d, int level) const {
  const std::size_t limbs = ext_limbs(level), in_limbs = static_cast<std::size_t>(level) + 1;
  const int digits = digit_count(level);
  // Coefficient form of d, every limb shifted by (q_i - 1)/2 = [(Q_j - 1)/2]_{q_i}.
  DeviceBuffer coeff(in_limbs * n * 8);
  device_copy(coeff.words(), d, in_limbs * n * 8);
  ntt_inverse(coeff.words(), make_map(in_limbs, 0, [](std::size_t i) { return i; }), ntt);
  eltwise_add_scalars(coeff.words(), half_q.words(), coeff.words(), in_limbs, n, m());
  DeviceBuffer out(static_cast<std::size_t>(digits) * limbs * n * 8);
  LimbMap map;
  for (int j = 0; j < digits; ++j) {
    const std::size_t begin = ctx.digit_start(j);
    const std::size_t end = std::min(ctx.digit_end(j), in_limbs);
    uint64_t* digit = out.words() + j * limbs * n;
    // Own primes: the input as it is (evaluation form).
    device_copy(digit + begin * n, d + begin * n, (end - begin) * n * 8);
    const PlanBuffer& plan = mod_up_plan(level, j);
    base_convert(coeff.words() + begin * n, digit, plan.plan, ConvMode::Approx, n, m());
    for (std::size_t t = 0; t < limbs; ++t)
      if (t < begin || t >= end) map.add(j * limbs + t, key_index(level, t));
  }
  check_launch("decompose (copy)");
  ntt_forward(out.words(), map, ntt);
  return out;
}

void DeviceContext::Impl::apply_key(const DeviceBuffer& digits, int level, const DeviceKey& key, const uint32_t* perm,
                                    const uint64_t* add0, const uint64_t* add1, uint64_t* u0, uint64_t* u1) const {
  const std::size_t limbs = ext_limbs(level), q_limbs = static_cast<std::size_t>(level) + 1;
  const int count = digit_count(level);
  if (key.digits < static_cast<std::size_t>(count))
    throw_parameter("key_switch", "key", "has too few digits", std::to_string(count), key.digits);
  // acc0 | acc1, each limbs x n.
  DeviceBuffer acc(2 * limbs * n * 8);
  uint64_t* acc0 = acc.words();
  uint64_t* acc1 = acc0 + limbs * n;
  key_inner_product(digits.words(), count, limbs * n, perm, key.b.words(), key.a.words(), qp, acc0, acc1, limbs, level,
                    qc, n, m());
  // ModDown of both halves: the special limbs to coefficient form, converted to Q_l.
  LimbMap special;
  for (int h = 0; h < 2; ++h)
    for (std::size_t k = 0; k < pc; ++k) special.add(h * limbs + q_limbs + k, qc + k);
  ntt_inverse(acc0, special, ntt);
  if (pc == 1) {
    for (int h = 0; h < 2; ++h)
      eltwise_add_scalars(acc0 + h * limbs * n + q_limbs * n, half_q.words() + qc, acc0 + h * limbs * n + q_limbs * n,
                          1, n, m(), qc);
  }
  DeviceBuffer conv(2 * q_limbs * n * 8);
  const PlanBuffer& plan = mod_down_plan(level);
  base_convert(acc0 + q_limbs * n, conv.words(), plan.plan, pc == 1 ? ConvMode::Approx : ConvMode::ExactCentered, n,
               m(), 2, limbs * n, q_limbs * n);
  ntt_forward(conv.words(), make_map(2 * q_limbs, 0, [&](std::size_t i) { return i % q_limbs; }), ntt);
  mod_down_finish(acc0, conv.words(), p_inv.words(), add0, u0, q_limbs, n, m());
  mod_down_finish(acc1, conv.words() + q_limbs * n, p_inv.words(), add1, u1, q_limbs, n, m());
}

}  // namespace ppml::gpu
