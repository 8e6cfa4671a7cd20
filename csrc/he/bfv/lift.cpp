#include "he/bfv/lift.hpp"

#include <algorithm>

#include "common/backend.hpp"
#include "he/bfv/context.hpp"
#include "he/bfv/scale_round.hpp"
#include "math/modulus.hpp"

namespace ppml::bfv {
namespace {

constexpr uint64_t kNarrow = uint64_t{1} << 50;  // primes below it fit the 52-bit kernels
constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;
constexpr std::size_t kMaxLimbs = 64;            // see ifma52_ops.hpp

uint64_t largest(const rns::RnsBase& b) {
  uint64_t m = 0;
  for (const auto& q : b.moduli()) m = std::max(m, q.value());
  return m;
}

uint64_t smallest(const rns::RnsBase& b) {
  uint64_t m = ~uint64_t{0};
  for (const auto& q : b.moduli()) m = std::min(m, q.value());
  return m;
}

}  // namespace

Ifma52Modulus::Ifma52Modulus(uint64_t pv) : p(pv) {
  if (!pv) return;
  ratio = (uint64_t{1} << 52) / pv;
  pow52 = (uint64_t{1} << 52) % pv;
  pow52_shoup = static_cast<uint64_t>((static_cast<math::u128>(pow52) << 52) / pv);
  if (pv >= kNarrow) return;
  uint64_t inv = 1;  // p^-1 mod 2^64 by Newton (p odd): each step doubles the correct bits
  for (int k = 0; k < 6; ++k) inv *= 2 - pv * inv;
  mont_inv = (0 - inv) & kMask52;
  const int bits = 64 - __builtin_clzll(pv);
  barrett = std::min<uint64_t>(kMask52, static_cast<uint64_t>((static_cast<math::u128>(1) << (bits + 51)) / pv));
  barrett_shift = static_cast<uint64_t>(bits - 1);
}

WideModulus::WideModulus(uint64_t qv) : q(qv) {
  if (!qv) return;
  pow52 = (uint64_t{1} << 52) % qv;
  pow52_shoup = static_cast<uint64_t>((static_cast<math::u128>(pow52) << 64) / qv);
  inv = 1.0 / static_cast<double>(qv);
}

bool LiftTables::supported(const rns::RnsBase& from, const rns::RnsBase& to) {
  // Wide targets take a double-precision quotient of a 64-bit value: q >= 2^20 keeps it
  // within one of the truth. Narrow targets of wide sources reduce a < 2^60 value by
  // Barrett on 52 bits: p >= 2^30.
  const bool narrow_from = largest(from) < kNarrow, narrow_to = largest(to) < kNarrow;
  const uint64_t least_to = narrow_from ? (narrow_to ? 0 : uint64_t{1} << 20) : uint64_t{1} << 30;
  return (narrow_from || narrow_to) && smallest(to) >= least_to &&
         largest(from) < (uint64_t{1} << math::kMaxModulusBits) && largest(to) < (uint64_t{1} << math::kMaxModulusBits) &&
         from.size() <= kMaxLimbs && to.size() <= kMaxLimbs;
}

LiftTables::LiftTables(const rns::RnsBase& from, const rns::RnsBase& target) {
  const std::size_t kf = from.size();
  const uint64_t max_from = largest(from), max_to = largest(target);
  wide_from = max_from >= kNarrow;
  wide_to = max_to >= kNarrow;
  for (std::size_t i = 0; i < kf; ++i) {
    const uint64_t qi = from[i].value(), w = from.inv_punctured(i);
    q.push_back(qi);
    qhat_inv.push_back(w);
    qhat_inv_shoup.push_back(wide_from ? from[i].shoup(w)
                                       : static_cast<uint64_t>((static_cast<math::u128>(w) << 52) / qi));
    inv_q.push_back(1.0 / static_cast<double>(qi));
  }
  for (std::size_t j = 0; j < target.size(); ++j) {
    const auto& p = target[j];
    if (wide_to)
      to_wide.emplace_back(p.value());
    else
      to.emplace_back(p.value());
    const uint64_t pow52 = p.reduce(uint64_t{1} << 52);
    for (std::size_t i = 0; i < kf; ++i) {
      const uint64_t c = rns::words::mod_word(from.punctured_product(i).data(), kf, p);
      if (wide_to) {
        punctured.push_back(c & kMask52);
        punctured_top.push_back(c >> 52);
      } else if (wide_from) {
        punctured.push_back(p.mul(c, pow52));
        punctured_top.push_back(p.mul(punctured.back(), pow52));
      } else {
        punctured.push_back(c);
      }
    }
    const uint64_t nq = p.neg(rns::words::mod_word(from.product().data(), kf, p));
    neg_q.push_back(wide_to ? nq & kMask52 : wide_from ? p.mul(nq, pow52) : nq);
    if (wide_to) neg_q_top.push_back(nq >> 52);
  }
  // Wide sources: residue bits >= 52 (< 2^9) times a constant < p_j; wide targets: a
  // residue < 2^50 times the constant's bits >= 52.
  const uint64_t top = ((wide_from ? max_from : max_to) - 1) >> 52;
  const uint64_t other = (wide_from ? max_to : max_from) - 1;
  fused_hi = top == 0 || other < (uint64_t{1} << 52) / top;
  // A wide-target sum keeps hi52(y c_lo) + y c_top < 2^50 (top + 1) per term in a 64-bit lane.
  if (wide_to) group = std::min<uint64_t>(1024, ~uint64_t{0} / (kNarrow * (((max_to - 1) >> 52) + 1)));
}

ScaleTables::ScaleTables(const LevelTables& lt, const rns::RnsBase& qb, const rns::RnsBase& auxb) {
  const std::size_t count = qb.size();
  for (const auto& b : auxb.moduli()) aux.emplace_back(b.value());
  const uint64_t max_q = largest(qb), max_b = largest(auxb);
  wide = max_q >= kNarrow;
  const uint64_t top = (max_q - 1) >> 52;
  fused_hi = top == 0 || (max_b - 1) < (uint64_t{1} << 52) / top;
  if (!wide) return;
  for (std::size_t i = 0; i < count; ++i) {
    // frac_i = floor(2^64 r_i / q_i) leaves 2^64 r_i mod q_i = -(frac_i q_i) mod 2^64;
    // 40 more bits of the quotient from it.
    const uint64_t qi = qb[i].value(), f = lt.frac[i], rem = 0 - f * qi;
    const uint64_t ext = static_cast<uint64_t>((static_cast<math::u128>(rem) << 40) / qi);
    const math::u128 f104 = (static_cast<math::u128>(f) << 40) | ext;
    frac_hi.push_back(static_cast<uint64_t>(f104 >> 52));
    frac_lo.push_back(static_cast<uint64_t>(f104) & kMask52);
  }
  for (std::size_t k = 0; k < auxb.size(); ++k) {
    const auto& b = auxb[k];
    const uint64_t pow52 = b.reduce(uint64_t{1} << 52);
    for (std::size_t i = 0; i < count; ++i) {
      const uint64_t w = lt.w[k * count + i];
      w_mont.push_back(b.mul(w, pow52));
      w_top.push_back(b.mul(b.add(b.mul(w, pow52), b.reduce(frac_hi[i])), pow52));
    }
    v_mont.push_back(b.mul(lt.v[k], pow52));
  }
}

bool blocks_enabled(const void* fast, std::size_t n) {
#if defined(PPML_HAVE_LIFT_AVX512IFMA) && defined(PPML_HAVE_LIFT_WIDE_AVX512IFMA)
  return fast && n % kBlock == 0 && ifma_enabled();
#else
  (void)fast, (void)n;
  return false;
#endif
}

void lift_centered_range(const LiftTables& fast, const uint64_t* in, uint64_t* out, std::size_t n, std::size_t begin,
                         std::size_t end) {
#if defined(PPML_HAVE_LIFT_AVX512IFMA) && defined(PPML_HAVE_LIFT_WIDE_AVX512IFMA)
  if (fast.wide_from) return detail::lift_centered_wide_from_avx512ifma(fast, in, out, n, begin, end);
  if (fast.wide_to) return detail::lift_centered_wide_to_avx512ifma(fast, in, out, n, begin, end);
  detail::lift_centered_avx512ifma(fast, in, out, n, begin, end);
#else
  (void)fast, (void)in, (void)out, (void)n, (void)begin, (void)end;
#endif
}

void scale_to_aux_range(const LevelTables& lt, const uint64_t* xq, const uint64_t* yb, uint64_t* out, std::size_t n,
                        std::size_t begin, std::size_t end) {
#if defined(PPML_HAVE_LIFT_AVX512IFMA) && defined(PPML_HAVE_LIFT_WIDE_AVX512IFMA)
  const ScaleTables& st = *lt.scale_fast;
  if (st.wide) return detail::scale_to_aux_wide_avx512ifma(lt, st, xq, yb, out, n, begin, end);
  detail::scale_to_aux_avx512ifma(lt, st.aux, xq, yb, out, n, begin, end);
#else
  (void)lt, (void)xq, (void)yb, (void)out, (void)n, (void)begin, (void)end;
#endif
}

void lift_centered(const LiftTables* fast, const rns::BaseConverter& fallback, const uint64_t* in, uint64_t* out,
                   std::size_t n) {
  if (blocks_enabled(fast, n)) return lift_centered_range(*fast, in, out, n, 0, n);
  fallback.convert_exact(in, out, n, /*centered=*/true);
}

void scale_to_aux_dispatch(const BfvContext& ctx, const LevelTables& lt, const uint64_t* xq, const uint64_t* yb,
                           uint64_t* out) {
  if (blocks_enabled(lt.scale_fast.get(), ctx.n())) return scale_to_aux_range(lt, xq, yb, out, ctx.n(), 0, ctx.n());
  scale_to_aux(ctx, lt, xq, yb, out);
}

}  // namespace ppml::bfv
