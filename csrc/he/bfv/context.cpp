#include "he/bfv/context.hpp"

#include <cmath>
#include <string>

#include "common/errors.hpp"
#include "math/primes.hpp"

namespace ppml::bfv {
namespace {

// (Q/q_i)^-1 mod q_i for the first `count` primes of `q`.
uint64_t punctured_inverse(const std::vector<math::Modulus>& q, std::size_t count, std::size_t i) {
  uint64_t prod = 1;
  for (std::size_t j = 0; j < count; ++j)
    if (j != i) prod = q[i].mul(prod, q[i].reduce(q[j].value()));
  return q[i].inv(prod);
}

std::unique_ptr<LevelTables> make_level(const rlwe::Context& ctx, const math::Modulus& t,
                                        const std::shared_ptr<const rns::RnsBase>& aux, int l) {
  auto lt = std::make_unique<LevelTables>();
  lt->level = l;
  const auto& qb = ctx.q_base(l);
  const std::size_t count = qb->size();
  const auto& q = qb->moduli();
  // Q_l mod t and floor(Q_l / t) mod q_i from the multi-word product.
  const std::vector<uint64_t>& Q = qb->product();
  lt->q_mod_t = rns::words::mod_word(Q.data(), Q.size(), t);
  lt->q_mod_t_shoup = t.shoup(lt->q_mod_t);
  for (std::size_t i = 0; i < count; ++i) {
    // floor(Q/t) = (Q - (Q mod t)) / t, so modulo q_i: (0 - Q mod t) * t^-1 (Q = 0 mod q_i).
    uint64_t qmt = q[i].reduce(lt->q_mod_t);
    lt->delta.push_back(q[i].mul(q[i].neg(qmt), q[i].inv(q[i].reduce(t.value()))));
  }
  std::vector<uint64_t> r(count);
  for (std::size_t i = 0; i < count; ++i) {
    uint64_t inv = punctured_inverse(q, count, i);
    r[i] = q[i].mul(q[i].reduce(t.value()), inv);
    math::u128 prod = static_cast<math::u128>(t.value()) * inv;
    lt->theta_mod_t.push_back(t.reduce128(prod / q[i].value()));
    const math::u128 shifted = static_cast<math::u128>(r[i]) << 64;
    const uint64_t hi = static_cast<uint64_t>(shifted / q[i].value());
    const uint64_t rem = static_cast<uint64_t>(shifted - static_cast<math::u128>(hi) * q[i].value());  // < q_i
    lt->frac.push_back(hi);
    lt->frac_lo.push_back(static_cast<uint64_t>((static_cast<math::u128>(rem) << 64) / q[i].value()));
  }
  for (std::size_t k = 0; k < aux->size(); ++k) {
    const auto& b = (*aux)[k];
    for (std::size_t i = 0; i < count; ++i) {
      uint64_t qi = b.reduce(q[i].value());
      lt->w.push_back(b.neg(b.mul(b.reduce(r[i]), b.inv(qi))));
    }
    uint64_t qmod = rns::words::mod_word(Q.data(), Q.size(), b);
    lt->v.push_back(b.mul(b.reduce(t.value()), b.inv(qmod)));
  }
  lt->q_to_b = std::make_unique<rns::BaseConverter>(qb, aux);
  lt->b_to_q = std::make_unique<rns::BaseConverter>(aux, qb);
  if (LiftTables::supported(*qb, *aux) && LiftTables::supported(*aux, *qb)) {
    lt->q_to_b_fast = std::make_unique<LiftTables>(*qb, *aux);
    lt->b_to_q_fast = std::make_unique<LiftTables>(*aux, *qb);
    lt->scale_fast = std::make_unique<ScaleTables>(*lt, *qb, *aux);
  }
  return lt;
}

}  // namespace

BfvContext::BfvContext(std::shared_ptr<const rlwe::Context> ctx) : ctx_(std::move(ctx)) {
  const char* api = "bfv.Context";
  const auto& params = ctx_->params();
  if (params.scheme != rlwe::Scheme::Bfv)
    throw_parameter(api, "context", "is not a BFV context", "scheme 'bfv'", "another scheme");
  const uint64_t t = params.plain_modulus;
  uint64_t q_min = ~uint64_t{0};
  for (uint64_t v : params.q) q_min = std::min(q_min, v);
  if (t < 2 || t >= (uint64_t{1} << 60) || t >= q_min)
    throw_parameter(api, "plain_modulus", "is out of range",
                    "2 <= t < 2^60 and t below every data prime (" + std::to_string(q_min) + ")", t);
  t_ = math::Modulus(t);
  const uint64_t n = ctx_->n();
  batching_ = math::is_prime(t) && t % (2 * n) == 1;

  // B > 8 t n Q: log2 B >= log2 Q + log2 t + log2 n + 3, from 50-bit NTT primes.
  double need = params.log_qp() + std::log2(static_cast<double>(t)) + std::log2(static_cast<double>(n)) + 3.0;
  for (uint64_t p : params.p) need -= std::log2(static_cast<double>(p));
  std::vector<uint64_t> exclude = params.q;
  exclude.insert(exclude.end(), params.p.begin(), params.p.end());
  int count = static_cast<int>(std::ceil(need / 49.9));
  std::vector<uint64_t> aux = math::find_ntt_primes(50, n, count, exclude);
  double have = 0;
  for (uint64_t b : aux) have += std::log2(static_cast<double>(b));
  if (have < need) aux = math::find_ntt_primes(50, n, count + 1, exclude);
  aux_ = std::make_shared<const rns::RnsBase>(aux);
  aux_->ntt_tables(n);
  for (int l = 0; l <= ctx_->max_level(); ++l) levels_.push_back(make_level(*ctx_, t_, aux_, l));
}

}  // namespace ppml::bfv
