// Exact table-driven sampler for exp(-|k|^e fn / fd) (see table_sampler.hpp for the
// contract and the construction). The table is an upper bound, never an approximation:
// every rounding goes up in the proposal and the acceptance test corrects it exactly.
#include "dp/table_sampler.hpp"

#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "common/errors.hpp"
#include "dp/bernoulli.hpp"
#include "dp/exp_interval.hpp"

namespace ppml::dp {
namespace {

constexpr std::size_t kBits = 128;  // precision of the table's exp bounds

BigNat ceil_shift(BigNat x, std::size_t k) {
  bool inexact = x.shr_loses_bits(k);
  x.shr(k);
  if (inexact) x.add_small(1);
  return x;
}

}  // namespace

BigNat TableSampler::f_numerator(u128 m) const {
  BigNat r(m);
  if (e_ == 2) r = BigNat::mul(r, BigNat(m));
  r.mul_small(fn_);
  return r;
}

void TableSampler::block_start_weights(std::vector<BigNat>& w_lo, std::vector<BigNat>& w_hi) const {
  // w(s_{i+1}) = w(s_i) d_i with d_i = exp(-(f(s_{i+1}) - f(s_i))); for the Gaussian
  // d_{i+1} = d_i c with c = exp(-2 B^2 fn / fd), for the Laplace d_i is constant. Two
  // interval products per block instead of one Taylor series; the rounding error grows by
  // a few units per block, far inside the 64 guard bits.
  const std::size_t w = kBits + 64;
  const u128 width = u128{1} << beta_;
  auto floor_mul = [w](const BigNat& a, const BigNat& b) {
    BigNat r = BigNat::mul(a, b);
    r.shr(w);
    return r;
  };
  auto ceil_mul = [w](const BigNat& a, const BigNat& b) { return ceil_shift(BigNat::mul(a, b), w); };
  BigNat cur_lo = BigNat::pow2(w), cur_hi = cur_lo;  // w(0) = 1
  BigNat d_lo, d_hi, c_lo, c_hi;
  for (std::size_t i = 0; i < nb_; ++i) {
    if (i == 1) {
      exp_interval(f_numerator(1), fd_, w, cur_lo, cur_hi);
      // f(1 + B) - f(1) = B (2 + B) fn / fd (Gaussian), B fn / fd (Laplace).
      BigNat dn(e_ == 2 ? width * (2 + width) : width);
      dn.mul_small(fn_);
      exp_interval(dn, fd_, w, d_lo, d_hi);
      if (e_ == 2) {
        BigNat cn(2 * width * width);
        cn.mul_small(fn_);
        exp_interval(cn, fd_, w, c_lo, c_hi);
      }
    } else if (i > 1) {
      cur_lo = floor_mul(cur_lo, d_lo);
      cur_hi = ceil_mul(cur_hi, d_hi);
      if (e_ == 2) {
        d_lo = floor_mul(d_lo, c_lo);
        d_hi = ceil_mul(d_hi, c_hi);
      }
    }
    w_lo[i] = cur_lo;
    w_lo[i].shr(64);
    w_hi[i] = ceil_shift(cur_hi, 64);
  }
}

TableSampler::TableSampler(unsigned e, uint64_t fn, uint64_t fd, uint64_t m_target) : e_(e), fn_(fn), fd_(fd) {
  beta_ = 0;
  while (1 + ((m_target + (uint64_t{1} << beta_) - 1) >> beta_) > kMaxBlocks) ++beta_;
  const uint64_t width = uint64_t{1} << beta_;
  nb_ = 1 + ((m_target + width - 1) >> beta_);
  mmax_ = (nb_ - 1) * width;
  // Tail block length: f(Mmax + j) - f(Mmax) >= j / L (Laplace: j fn/fd; Gaussian:
  // >= 2 Mmax j fn / fd), so with g = floor((j - 1) / L) < j / L the law is below
  // w(Mmax) e^-g <= w(Mmax) 2^-g.
  u128 slope_den = u128{fn} * (e == 2 ? 2 * u128{mmax_} : 1);
  u128 len = (u128{fd} + slope_den - 1) / slope_den;
  tail_len_ = static_cast<uint64_t>(len < 1 ? 1 : len);

  // Mass upper bounds (scaled by 2^kBits) of each block and of the tail.
  std::vector<BigNat> w_lo(nb_ + 1), w_hi(nb_ + 1), mult(nb_ + 1);
  block_start_weights(w_lo, w_hi);
  exp_interval(f_numerator(mmax_), fd_, kBits, w_lo[nb_], w_hi[nb_]);
  BigNat total;
  for (std::size_t i = 0; i <= nb_; ++i) {
    mult[i] = i == 0 ? BigNat(1) : (i == nb_ ? BigNat(u128{4} * tail_len_) : BigNat(2 * u128{width}));
    total.add(BigNat::mul(mult[i], w_hi[i]));
  }
  // S = floor((2^64 - nb - 2) 2^kBits / total), with total rounded up to 64 significant
  // bits, so that sum_i ceil(S mass_i) <= 2^64 - 1. total >= 2^kBits (w(0) = 1).
  std::size_t drop = total.bit_length() - 64;
  u128 top = ceil_shift(total, drop).to_u128_saturated();
  u128 numer = (u128{~uint64_t{0}} - nb_ - 1) << (kBits - drop);
  scale_ = static_cast<uint64_t>(numer / top);

  std::vector<u128> weight(nb_ + 2, 0);
  u128 used = 0;
  q_.resize(nb_ + 1);
  acc_lo_.resize(nb_);
  acc_hi_.resize(nb_);
  for (std::size_t i = 0; i <= nb_; ++i) {
    BigNat hi = BigNat::mul(mult[i], w_hi[i]);
    hi.mul_small(scale_);
    u128 q = ceil_shift(hi, kBits).to_u128_saturated();
    q_[i] = static_cast<uint64_t>(q);
    weight[i] = q;
    used += q;
    if (i == nb_) break;
    // p_i = S mult_i w(start_i) / Q_i in [A_i, H_i] * 2^-64.
    BigNat lo = BigNat::mul(mult[i], w_lo[i]);
    lo.mul_small(scale_);
    lo.div_small(q_[i]);
    lo.shr(kBits - 64);
    acc_lo_[i] = static_cast<uint64_t>(std::min<u128>(lo.to_u128_saturated(), ~uint64_t{0}));
    hi.div_small_ceil(q_[i]);
    u128 h = ceil_shift(hi, kBits - 64).to_u128_saturated();
    acc_hi_[i] = static_cast<uint64_t>(std::min<u128>(h == 0 ? 0 : h - 1, ~uint64_t{0}));
  }
  weight[nb_ + 1] = (u128{1} << 64) - used;  // reject

  // Integer Vose alias table: columns of capacity 2^64 / columns, weights summing to 2^64.
  std::size_t outcomes = nb_ + 2, cols = 1;
  unsigned log_cols = 0;
  while (cols < outcomes) {
    cols <<= 1;
    ++log_cols;
  }
  col_shift_ = 64 - log_cols;
  const u128 cap = u128{1} << col_shift_;
  cap_mask_ = static_cast<uint64_t>(cap - 1);
  weight.resize(cols, 0);
  thresh_.assign(cols, 0);
  alias_.assign(cols, 0);
  std::vector<uint32_t> small, large;
  for (std::size_t c = 0; c < cols; ++c) (weight[c] < cap ? small : large).push_back(static_cast<uint32_t>(c));
  while (!small.empty() && !large.empty()) {
    uint32_t s = small.back(), l = large.back();
    small.pop_back();
    large.pop_back();
    thresh_[s] = static_cast<uint64_t>(weight[s]);
    alias_[s] = l;
    weight[l] -= cap - weight[s];
    (weight[l] < cap ? small : large).push_back(l);
  }
  // The weights are exact integers summing to cols * cap, so whatever is left is full.
  large.insert(large.end(), small.begin(), small.end());
  for (uint32_t c : large) {
    if (weight[c] != cap) throw std::logic_error("TableSampler: alias table does not balance");
    thresh_[c] = static_cast<uint64_t>(cap);
    alias_[c] = c;
  }
}

bool TableSampler::accept_block_exact(RandomBits& bits, uint64_t prefix, std::size_t block) const {
  const uint64_t width = uint64_t{1} << beta_;
  u128 start = block == 0 ? 0 : 1 + (block - 1) * u128{width};
  ExpTarget t;
  t.cn = BigNat(block == 0 ? u128{scale_} : u128{scale_} * (2 * u128{width}));
  t.cd = q_[block];
  t.xn = f_numerator(start);
  t.xd = fd_;
  return bernoulli_exp_lazy(bits, prefix, t);
}

bool TableSampler::accept_tail(RandomBits& bits, uint64_t g, u128 m) const {
  // p = S 4L 2^g exp(-f(m)) / Q_T <= 1 by the choice of L.
  ExpTarget t;
  t.cn = BigNat(u128{scale_} * (u128{4} * tail_len_));
  t.c_shift = g;
  t.cd = q_[nb_];
  t.xn = f_numerator(m);
  t.xd = fd_;
  return bernoulli_exp_lazy(bits, bits.u64(), t);
}

template <bool kExactOnly>
int64_t TableSampler::draw(RandomBits& bits) const {
  for (;;) {
    uint64_t u = bits.u64();
    std::size_t col = u >> col_shift_;
    std::size_t o = (u & cap_mask_) < thresh_[col] ? col : alias_[col];
    if (o < nb_) {
      bool accept;
      if (kExactOnly) {
        accept = accept_block_exact(bits, bits.u64(), o);
      } else {
        // U < A 2^-64 accepts, U >= (H + 1) 2^-64 rejects; try the top 32 bits first.
        uint64_t top = bits.bits(32);
        if (top < (acc_lo_[o] >> 32)) {
          accept = true;
        } else if (top > (acc_hi_[o] >> 32)) {
          accept = false;
        } else {
          uint64_t v = (top << 32) | bits.bits(32);
          if (v < acc_lo_[o])
            accept = true;
          else if (v > acc_hi_[o])
            accept = false;
          else
            accept = accept_block_exact(bits, v, o);
        }
      }
      if (!accept) continue;
      if (o == 0) return 0;
      uint64_t m = 1 + ((static_cast<uint64_t>(o) - 1) << beta_);
      if (beta_) {
        uint64_t off = bits.bits(beta_);
        if (off) {
          // exp(-(f(m + off) - f(m))): Gaussian off (2m + off) fn / fd, Laplace off fn / fd.
          u128 dn = e_ == 2 ? u128{off} * (2 * u128{m} + off) : u128{off};
          if (!bernoulli_exp(bits, dn * fn_, fd_)) continue;
        }
        m += off;
      }
      int64_t v = static_cast<int64_t>(m);
      return bits.bit() ? -v : v;
    }
    if (o == nb_) {
      uint64_t g = bits.geometric_half();
      uint64_t off = bits.uniform_below(tail_len_);
      u128 m = u128{mmax_} + u128{g} * tail_len_ + off + 1;
      if (!accept_tail(bits, g, m)) continue;
      if (m >= (u128{1} << 63)) throw std::runtime_error("dp: sampled magnitude does not fit in int64");
      int64_t v = static_cast<int64_t>(m);
      return bits.bit() ? -v : v;
    }
    // Reject outcome: draw again.
  }
}

int64_t TableSampler::sample(RandomBits& bits) const { return draw<false>(bits); }

void TableSampler::fill(RandomBits& bits, int64_t* out, std::size_t n, bool exact_only) const {
  if (exact_only) {
    for (std::size_t i = 0; i < n; ++i) out[i] = draw<true>(bits);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = draw<false>(bits);
  }
}

namespace {

std::shared_ptr<const TableSampler> cached(unsigned e, uint64_t fn, uint64_t fd, uint64_t m_target) {
  static std::mutex mu;
  static std::map<std::tuple<unsigned, uint64_t, uint64_t>, std::shared_ptr<const TableSampler>> cache;
  auto key = std::make_tuple(e, fn, fd);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }
  auto table = std::make_shared<const TableSampler>(e, fn, fd, m_target);
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= 64) cache.clear();  // bounded memory; rebuilding is cheap enough
  cache.emplace(key, table);
  return table;
}

uint64_t isqrt(u128 x) {
  uint64_t r = 0;
  for (int bit = 63; bit >= 0; --bit) {
    uint64_t c = r | (uint64_t{1} << bit);
    if (u128{c} * c <= x) r = c;
  }
  return r;
}

}  // namespace

std::shared_ptr<const TableSampler> gaussian_table(uint64_t a, uint64_t b) {
  // Checked here as well as in the samplers: the table divides by b and by 2a.
  if (a == 0) throw_parameter("dp.gaussian_table", "sigma^2 numerator", "is not positive", "numerator >= 1", a);
  if (b == 0) throw_parameter("dp.gaussian_table", "sigma^2 denominator", "is zero", "denominator >= 1", b);
  // sigma^2 = a / b; f(m) = m^2 b / (2a); cover |k| <= 6.5 sigma (tail mass ~ 1e-10).
  uint64_t m_target = isqrt((u128{169} * a + 4 * u128{b} - 1) / (4 * u128{b})) + 2;
  return cached(2, b, 2 * a, m_target);
}

std::shared_ptr<const TableSampler> laplace_table(uint64_t sn, uint64_t sd) {
  if (sn == 0) throw_parameter("dp.laplace_table", "scale numerator", "is not positive", "numerator >= 1", sn);
  if (sd == 0) throw_parameter("dp.laplace_table", "scale denominator", "is zero", "denominator >= 1", sd);
  // scale = sn / sd; f(m) = m sd / sn; cover |k| <= 22 scale (tail mass ~ 3e-10).
  uint64_t m_target = static_cast<uint64_t>((u128{22} * sn + sd - 1) / sd) + 1;
  return cached(1, sd, sn, m_target);
}

}  // namespace ppml::dp
