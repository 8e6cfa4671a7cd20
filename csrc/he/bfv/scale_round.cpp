#include "he/bfv/scale_round.hpp"

#include <algorithm>

#include "math/uint128.hpp"

namespace ppml::bfv {
namespace {

constexpr std::size_t kChunk = 256;

// round(sum_i x_i frac_i / 2^64) for `len` coefficients from `count` limbs of stride n.
// Also the distance of the exact sum to the nearest integer (64-bit fraction) if asked.
inline void rounded_fraction(const uint64_t* x, std::size_t n, std::size_t count, const uint64_t* frac,
                             std::size_t len, math::u128* out, uint64_t* dist) {
  uint64_t lo[kChunk];
  math::u128 hi[kChunk];
  for (std::size_t k = 0; k < len; ++k) lo[k] = 0, hi[k] = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const uint64_t* xi = x + i * n;
    const uint64_t f = frac[i];
    for (std::size_t k = 0; k < len; ++k) {
      math::u128 p = static_cast<math::u128>(xi[k]) * f;
      uint64_t pl = static_cast<uint64_t>(p);
      uint64_t s = lo[k] + pl;
      hi[k] += (p >> 64) + (s < pl);
      lo[k] = s;
    }
  }
  uint64_t worst = 0;
  for (std::size_t k = 0; k < len; ++k) {
    out[k] = hi[k] + (lo[k] >> 63);
    uint64_t d = lo[k] >> 63 ? 0 - lo[k] : lo[k];
    worst = std::max(worst, d);
  }
  if (dist) *dist = std::max(*dist, worst);
}

// rounded_fraction with 128-bit fractions (frac_hi 2^64 + frac_lo): the sum is kept as
// an integer part and 128 bits of fraction; the distance is read from its top 64 bits.
inline void rounded_fraction128(const uint64_t* x, std::size_t n, std::size_t count, const uint64_t* frac_hi,
                                const uint64_t* frac_lo, std::size_t len, math::u128* out, uint64_t* dist) {
  uint64_t w0[kChunk], w1[kChunk];
  math::u128 w2[kChunk];
  for (std::size_t k = 0; k < len; ++k) w0[k] = 0, w1[k] = 0, w2[k] = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const uint64_t* xi = x + i * n;
    const uint64_t fh = frac_hi[i], fl = frac_lo[i];
    for (std::size_t k = 0; k < len; ++k) {
      const math::u128 pl = static_cast<math::u128>(xi[k]) * fl;  // bits 0..127 of the fraction
      const math::u128 ph = static_cast<math::u128>(xi[k]) * fh;  // bits 64..191
      const uint64_t a0 = static_cast<uint64_t>(pl), a1 = static_cast<uint64_t>(pl >> 64);
      const uint64_t b1 = static_cast<uint64_t>(ph), b2 = static_cast<uint64_t>(ph >> 64);
      const uint64_t s0 = w0[k] + a0;
      const uint64_t c0 = s0 < a0;
      const uint64_t t1 = w1[k] + a1;
      const uint64_t c1 = t1 < a1;
      const uint64_t s1 = t1 + b1;
      const uint64_t c2 = s1 < b1;
      const uint64_t s1c = s1 + c0;
      const uint64_t c3 = s1c < c0;
      w0[k] = s0;
      w1[k] = s1c;
      w2[k] += static_cast<math::u128>(b2) + c1 + c2 + c3;
    }
  }
  uint64_t worst = 0;
  for (std::size_t k = 0; k < len; ++k) {
    out[k] = w2[k] + (w1[k] >> 63);
    const uint64_t d = w1[k] >> 63 ? 0 - w1[k] : w1[k];
    worst = std::max(worst, d);
  }
  if (dist) *dist = std::max(*dist, worst);
}

}  // namespace

uint64_t scale_to_plain(const BfvContext& ctx, const LevelTables& lt, const uint64_t* x, uint64_t* out) {
  const std::size_t n = ctx.n(), count = lt.level + 1;
  const math::Modulus& t = ctx.plain_modulus();
  uint64_t dist = 0;
  math::u128 rounded[kChunk], acc[kChunk];
  for (std::size_t k0 = 0; k0 < n; k0 += kChunk) {
    const std::size_t len = std::min(kChunk, n - k0);
    rounded_fraction128(x + k0, n, count, lt.frac.data(), lt.frac_lo.data(), len, rounded, &dist);
    for (std::size_t k = 0; k < len; ++k) acc[k] = rounded[k];
    for (std::size_t i = 0; i < count; ++i) {
      const uint64_t* xi = x + i * n + k0;
      const uint64_t th = lt.theta_mod_t[i];
      // x_i < 2^61, theta < 2^60: 64 terms fit in 128 bits before reducing.
      for (std::size_t k = 0; k < len; ++k) acc[k] += static_cast<math::u128>(xi[k]) * th;
      if ((i & 31) == 31)
        for (std::size_t k = 0; k < len; ++k) acc[k] = t.reduce128(acc[k]);
    }
    for (std::size_t k = 0; k < len; ++k) out[k0 + k] = t.reduce128(acc[k]);
  }
  return dist;
}

void scale_to_aux(const BfvContext& ctx, const LevelTables& lt, const uint64_t* xq, const uint64_t* yb, uint64_t* out) {
  const std::size_t n = ctx.n(), count = lt.level + 1;
  const rns::RnsBase& aux = *ctx.aux_base();
  math::u128 rounded[kChunk], acc[kChunk];
  for (std::size_t k0 = 0; k0 < n; k0 += kChunk) {
    const std::size_t len = std::min(kChunk, n - k0);
    rounded_fraction(xq + k0, n, count, lt.frac.data(), len, rounded, nullptr);
    for (std::size_t j = 0; j < aux.size(); ++j) {
      const math::Modulus& b = aux[j];
      const uint64_t* w = lt.w.data() + j * count;
      const uint64_t* yj = yb + j * n + k0;
      const uint64_t vj = lt.v[j];
      for (std::size_t k = 0; k < len; ++k) acc[k] = rounded[k] + static_cast<math::u128>(yj[k]) * vj;
      for (std::size_t i = 0; i < count; ++i) {
        const uint64_t* xi = xq + i * n + k0;
        const uint64_t wi = w[i];
        for (std::size_t k = 0; k < len; ++k) acc[k] += static_cast<math::u128>(xi[k]) * wi;
        if ((i & 31) == 30)
          for (std::size_t k = 0; k < len; ++k) acc[k] = b.reduce128(acc[k]);
      }
      uint64_t* o = out + j * n + k0;
      for (std::size_t k = 0; k < len; ++k) o[k] = b.reduce128(acc[k]);
    }
  }
}

}  // namespace ppml::bfv
