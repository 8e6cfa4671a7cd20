#include "he/bfv/lift.hpp"

#include "common/backend.hpp"
#include "he/bfv/context.hpp"
#include "he/bfv/scale_round.hpp"
#include "math/modulus.hpp"

namespace ppml::bfv {

Ifma52Modulus::Ifma52Modulus(uint64_t pv) : p(pv) {
  if (!pv) return;
  ratio = (uint64_t{1} << 52) / pv;
  pow52 = (uint64_t{1} << 52) % pv;
  pow52_shoup = static_cast<uint64_t>((static_cast<math::u128>(pow52) << 52) / pv);
}

bool LiftTables::fits(const rns::RnsBase& from, const rns::RnsBase& to) {
  for (const auto& m : from.moduli())
    if (m.value() >= (uint64_t{1} << 50)) return false;
  for (const auto& m : to.moduli())
    if (m.value() >= (uint64_t{1} << 50)) return false;
  return true;
}

LiftTables::LiftTables(const rns::RnsBase& from, const rns::RnsBase& target) {
  const std::size_t kf = from.size();
  for (std::size_t i = 0; i < kf; ++i) {
    const uint64_t qi = from[i].value(), w = from.inv_punctured(i);
    q.push_back(qi);
    qhat_inv.push_back(w);
    qhat_inv_shoup.push_back(static_cast<uint64_t>((static_cast<math::u128>(w) << 52) / qi));
    inv_q.push_back(1.0 / static_cast<double>(qi));
  }
  for (std::size_t j = 0; j < target.size(); ++j) {
    const auto& p = target[j];
    to.emplace_back(p.value());
    for (std::size_t i = 0; i < kf; ++i) punctured.push_back(rns::words::mod_word(from.punctured_product(i).data(), kf, p));
    neg_q.push_back(p.neg(rns::words::mod_word(from.product().data(), kf, p)));
  }
}

void lift_centered(const LiftTables* fast, const rns::BaseConverter& fallback, const uint64_t* in, uint64_t* out,
                   std::size_t n) {
#ifdef PPML_HAVE_LIFT_AVX512IFMA
  if (fast && ifma_enabled() && n % 8 == 0) return detail::lift_centered_avx512ifma(*fast, in, out, n);
#endif
  (void)fast;
  fallback.convert_exact(in, out, n, /*centered=*/true);
}

void scale_to_aux_dispatch(const BfvContext& ctx, const LevelTables& lt, const uint64_t* xq, const uint64_t* yb,
                           uint64_t* out) {
#ifdef PPML_HAVE_LIFT_AVX512IFMA
  if (lt.q_to_b_fast && ifma_enabled() && ctx.n() % 8 == 0)
    return detail::scale_to_aux_avx512ifma(lt, lt.aux_ifma, xq, yb, out, ctx.n());
#endif
  scale_to_aux(ctx, lt, xq, yb, out);
}

}  // namespace ppml::bfv
