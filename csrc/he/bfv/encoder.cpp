#include "he/bfv/encoder.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::bfv {
namespace {

rlwe::Plaintext empty_plaintext(const BfvContext& ctx) {
  rlwe::Plaintext pt;
  pt.poly = rns::RnsPoly(ctx.n(), ctx.rlwe().q_base(0), rns::Form::Coefficient);
  pt.fingerprint = ctx.rlwe().fingerprint();
  return pt;
}

void check_values(const char* api, const BfvContext& ctx, const uint64_t* values, std::size_t count) {
  if (count > ctx.n()) throw_parameter(api, "values", "are too many", "at most n = " + std::to_string(ctx.n()), count);
  for (std::size_t i = 0; i < count; ++i)
    if (values[i] >= ctx.t())
      throw_parameter(api, "values", "have an entry out of range", "residues in [0, t = " + std::to_string(ctx.t()) + ")",
                      "an entry >= t");  // never the entry: it is the data
}

}  // namespace

void check_plaintext(const char* api, const BfvContext& ctx, const rlwe::Plaintext& pt) {
  if (pt.fingerprint != ctx.rlwe().fingerprint())
    throw_mismatch(api, "plaintext", "belongs to other parameters", "fingerprint " + std::to_string(ctx.rlwe().fingerprint()),
                   pt.fingerprint);
  if (pt.poly.limbs() != 1 || pt.poly.form() != rns::Form::Coefficient || pt.poly.n() != ctx.n())
    throw_parameter(api, "plaintext", "is not a BFV plaintext", "one coefficient-form limb of n values",
                    std::to_string(pt.poly.limbs()) + " limbs");
  const uint64_t* p = pt.poly.limb(0);
  uint64_t bad = 0;
  for (uint64_t k = 0; k < ctx.n(); ++k) bad |= static_cast<uint64_t>(p[k] >= ctx.t());
  if (bad) throw_parameter(api, "plaintext", "has a coefficient out of range", "values < t = " + std::to_string(ctx.t()), ">= t");
}

BatchEncoder::BatchEncoder(const BfvContext& ctx) : ctx_(ctx) {
  if (!ctx.batching())
    throw_parameter("BatchEncoder", "plain_modulus", "does not support batching",
                    "a prime t = 1 mod 2n = " + std::to_string(2 * ctx.n()), ctx.t());
  const uint64_t n = ctx.n();
  tables_ = ntt::NttTables::get(n, ctx.t());
  const int logn = tables_->log_n();
  const uint64_t m = 2 * n, row = n / 2;
  index_map_.resize(n);
  uint64_t pos = 1;
  for (uint64_t i = 0; i < row; ++i) {
    // Slot i of row 0 holds m(psi^(3^i)), of row 1 m(psi^(-3^i)); evaluation index j
    // holds m(psi^(2 bitrev(j) + 1)).
    uint64_t idx1 = (pos - 1) >> 1, idx2 = (m - pos - 1) >> 1;
    index_map_[i] = static_cast<uint32_t>(ntt::bit_reverse(idx1, logn));
    index_map_[row + i] = static_cast<uint32_t>(ntt::bit_reverse(idx2, logn));
    pos = (pos * 3) & (m - 1);
  }
}

rlwe::Plaintext BatchEncoder::encode(const uint64_t* values, std::size_t count) const {
  check_values("encode", ctx_, values, count);
  rlwe::Plaintext pt = empty_plaintext(ctx_);
  uint64_t* p = pt.poly.limb(0);
  for (std::size_t i = 0; i < count; ++i) p[index_map_[i]] = values[i];
  ntt::inverse_inplace(p, *tables_);
  return pt;
}

void BatchEncoder::decode(const rlwe::Plaintext& pt, uint64_t* out) const {
  check_plaintext("decode", ctx_, pt);
  const uint64_t n = ctx_.n();
  AlignedBuffer<uint64_t> tmp(n, Uninitialized{});
  std::memcpy(tmp.data(), pt.poly.limb(0), n * sizeof(uint64_t));
  ntt::forward_inplace(tmp.data(), *tables_);
  for (uint64_t i = 0; i < n; ++i) out[i] = tmp[index_map_[i]];
}

rlwe::Plaintext encode_coefficients(const BfvContext& ctx, const uint64_t* values, std::size_t count) {
  check_values("encode_coefficients", ctx, values, count);
  rlwe::Plaintext pt = empty_plaintext(ctx);
  std::copy(values, values + count, pt.poly.limb(0));
  return pt;
}

rns::RnsPoly scaled_message(const BfvContext& ctx, const rlwe::Plaintext& pt, int level) {
  const uint64_t n = ctx.n();
  const LevelTables& lt = ctx.level(level);
  const math::Modulus& t = ctx.plain_modulus();
  const uint64_t* m = pt.poly.limb(0);
  // corr = floor(((Q mod t) m + floor(t/2)) / t) < t: Shoup gives (Q mod t) m = h t + r,
  // r in [0, 2t), so corr = h + floor((r + t/2) / t) with r + t/2 < 3t.
  AlignedBuffer<uint64_t> corr(n, Uninitialized{});
  const uint64_t w = lt.q_mod_t, ws = lt.q_mod_t_shoup, tv = t.value(), half = tv >> 1;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t h = math::mul_hi(m[k], ws);
    uint64_t r = m[k] * w - h * tv + half;
    h += static_cast<uint64_t>(r >= tv) + static_cast<uint64_t>(r >= 2 * tv);
    corr[k] = h;
  }
  auto base = ctx.rlwe().q_base(level);
  rns::RnsPoly out(n, base, rns::Form::Evaluation, false, Uninitialized{});
  for (int i = 0; i <= level; ++i) {
    const auto& q = (*base)[i];
    rns::mul_scalar_mod(m, lt.delta[i], out.limb(i), n, q);
    rns::add_mod(out.limb(i), corr.data(), out.limb(i), n, q);
    ntt::forward_inplace(out.limb(i), ctx.rlwe().ntt(i));
  }
  return out;
}

rns::RnsPoly centered_message(const BfvContext& ctx, const rlwe::Plaintext& pt, int level) {
  const uint64_t n = ctx.n();
  const uint64_t tv = ctx.t(), half = tv >> 1;
  const uint64_t* m = pt.poly.limb(0);
  auto base = ctx.rlwe().q_base(level);
  rns::RnsPoly out(n, base, rns::Form::Evaluation, false, Uninitialized{});
  parallel_for(static_cast<std::size_t>(level) + 1, [&](std::size_t i) {
    const uint64_t shift = (*base)[i].value() - tv;  // m > t/2 stands for m - t
    uint64_t* o = out.limb(i);
    for (uint64_t k = 0; k < n; ++k) o[k] = m[k] + (m[k] > half ? shift : 0);
    ntt::forward_inplace(o, ctx.rlwe().ntt(i));
  });
  return out;
}

}  // namespace ppml::bfv
