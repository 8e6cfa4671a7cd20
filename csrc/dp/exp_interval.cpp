// Rigorous bounds of c * exp(-x) (Taylor series with directed rounding and guard bits)
// and the lazy exact Bernoulli trial on them, in the manner of the "compare the uniform
// with the probability one more word at a time" samplers of [Kar16] and [CKS20, Sec. 5].
#include "dp/exp_interval.hpp"

#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ppml::dp {
namespace {

constexpr std::size_t kGuard = 64;
constexpr std::size_t kMaxBits = 8192;

// lo <= exp(-yn/yd) * 2^w <= hi for 0 <= yn <= yd. Alternating Taylor series: t_j =
// y^j / j! scaled by 2^w, computed twice (rounded down / up); since y <= 1 the terms
// decrease for j >= 1, so the tail after t_j is at most t_j.
void exp_unit_interval(uint64_t yn, uint64_t yd, std::size_t w, BigNat& lo, BigNat& hi) {
  BigNat t_lo = BigNat::pow2(w), t_hi = t_lo;
  BigNat pos_lo = t_lo, pos_hi = t_hi, neg_lo, neg_hi;
  for (uint64_t j = 1;; ++j) {
    // floor(floor(a / yd) / j) = floor(a / (yd j)), and likewise for ceilings, so the
    // two small divisions never overflow and round as one.
    t_lo.mul_small(yn);
    t_lo.div_small(yd);
    t_lo.div_small(j);
    t_hi.mul_small(yn);
    t_hi.div_small_ceil(yd);
    t_hi.div_small_ceil(j);
    if (j & 1) {
      neg_lo.add(t_lo);
      neg_hi.add(t_hi);
    } else {
      pos_lo.add(t_lo);
      pos_hi.add(t_hi);
    }
    if (BigNat::cmp(t_hi, BigNat(1)) <= 0) break;
  }
  lo = pos_lo;
  lo.sub(neg_hi);
  lo.sub_small(1);  // tail
  hi = pos_hi;
  hi.sub(neg_lo);
  hi.add_small(1);
}

// floor / ceil of (a * b) / 2^w.
BigNat mul_shift_floor(const BigNat& a, const BigNat& b, std::size_t w) {
  BigNat r = BigNat::mul(a, b);
  r.shr(w);
  return r;
}
BigNat mul_shift_ceil(const BigNat& a, const BigNat& b, std::size_t w) {
  BigNat r = BigNat::mul(a, b);
  bool inexact = r.shr_loses_bits(w);
  r.shr(w);
  if (inexact) r.add_small(1);
  return r;
}

// Bounds of exp(-2^k) * 2^w for k = 0..13 (n <= bits <= 8192 < 2^14), by repeated
// squaring with directed rounding; computed once per working precision.
const std::vector<std::pair<BigNat, BigNat>>& exp_minus_pow2(std::size_t w) {
  static std::mutex mu;
  static std::map<std::size_t, std::vector<std::pair<BigNat, BigNat>>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(w);
  if (it != cache.end()) return it->second;  // std::map nodes are stable
  std::vector<std::pair<BigNat, BigNat>> powers(14);
  exp_unit_interval(1, 1, w, powers[0].first, powers[0].second);
  for (std::size_t k = 1; k < powers.size(); ++k) {
    powers[k].first = mul_shift_floor(powers[k - 1].first, powers[k - 1].first, w);
    powers[k].second = mul_shift_ceil(powers[k - 1].second, powers[k - 1].second, w);
  }
  return cache.emplace(w, std::move(powers)).first->second;
}

}  // namespace

void exp_interval(const BigNat& xn, uint64_t xd, std::size_t bits, BigNat& lo, BigNat& hi) {
  u128 rem = 0;
  BigNat whole = BigNat::div_u128(xn, xd, &rem);
  // exp(-N) * 2^bits < 1 once N > bits (log2 e > 1): the interval is [0, 1].
  if (whole.bit_length() > 32 || whole.to_u128_saturated() > bits) {
    lo = BigNat();
    hi = BigNat(1);
    return;
  }
  uint64_t n = static_cast<uint64_t>(whole.to_u128_saturated());
  std::size_t w = bits + kGuard;
  BigNat f_lo, f_hi;
  exp_unit_interval(static_cast<uint64_t>(rem), xd, w, f_lo, f_hi);
  if (n > 0) {
    // exp(-n) as the product of the cached bounds of exp(-2^k) over the bits of n.
    const auto& powers = exp_minus_pow2(w);
    BigNat r_lo = BigNat::pow2(w), r_hi = r_lo;
    for (std::size_t k = 0; (n >> k) != 0; ++k) {
      if ((n >> k) & 1) {
        r_lo = mul_shift_floor(r_lo, powers[k].first, w);
        r_hi = mul_shift_ceil(r_hi, powers[k].second, w);
      }
    }
    f_lo = mul_shift_floor(f_lo, r_lo, w);
    f_hi = mul_shift_ceil(f_hi, r_hi, w);
  }
  bool inexact = f_hi.shr_loses_bits(kGuard);
  f_lo.shr(kGuard);
  f_hi.shr(kGuard);
  if (inexact) f_hi.add_small(1);
  lo = f_lo;
  hi = f_hi;
}

void target_interval(const ExpTarget& t, std::size_t bits, BigNat& lo, BigNat& hi) {
  exp_interval(t.xn, t.xd, bits, lo, hi);
  lo = BigNat::mul(lo, t.cn);
  lo.shl(t.c_shift);
  lo.div_small(t.cd);
  hi = BigNat::mul(hi, t.cn);
  hi.shl(t.c_shift);
  hi.div_small_ceil(t.cd);
}

bool bernoulli_exp_lazy(RandomBits& bits, uint64_t prefix, const ExpTarget& t) {
  // Invariant: U lies in [u, u + 1) * 2^-p where u holds U's first p bits.
  BigNat u(prefix);
  BigNat lo, hi;
  for (std::size_t p = 128; p <= kMaxBits; p += 64) {
    u.shl(64);
    u.add(BigNat(bits.u64()));
    target_interval(t, p, lo, hi);
    BigNat u1 = u;
    u1.add_small(1);
    if (BigNat::cmp(u1, lo) <= 0) return true;  // U < (u + 1) 2^-p <= lo 2^-p <= p
    if (BigNat::cmp(u, hi) >= 0) return false;  // U >= u 2^-p >= hi 2^-p >= p
  }
  throw std::runtime_error("dp: exact Bernoulli undecided after 8192 bits");
}

}  // namespace ppml::dp
