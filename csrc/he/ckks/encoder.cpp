#include "he/ckks/encoder.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "ntt/ntt.hpp"
#include "rns/rns_base.hpp"

namespace ppml::ckks {
namespace {
// Plain complex product: std::complex's operator* checks for NaN/inf (C Annex G), which
// blocks vectorization; inputs here are finite.
inline cdouble mul(cdouble a, cdouble b) {
  return cdouble(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
}
}  // namespace

Encoder::Encoder(const rlwe::Context& ctx) : ctx_(ctx), slots_(ctx.n() / 2), m_(2 * ctx.n()) {
  rot_group_.resize(slots_);
  uint64_t g = 1;
  for (std::size_t j = 0; j < slots_; ++j) {
    rot_group_[j] = g;
    g = (g * 5) % m_;
  }
  ksi_.resize(m_ + 1);
  for (uint64_t k = 0; k <= m_; ++k) {
    double angle = 2.0 * M_PI * static_cast<double>(k) / static_cast<double>(m_);
    ksi_[k] = cdouble(std::cos(angle), std::sin(angle));
  }
  const int bits = __builtin_ctzll(slots_);
  bit_rev_.resize(slots_);
  for (std::size_t i = 0; i < slots_; ++i) bit_rev_[i] = static_cast<uint32_t>(ntt::bit_reverse(i, bits));
  for (std::size_t len = 2; len <= slots_; len <<= 1) {
    const std::size_t half = len >> 1, quarter_m = len << 2, gap = m_ / quarter_m;
    for (std::size_t j = 0; j < half; ++j) embed_twiddles_.push_back(ksi_[(rot_group_[j] % quarter_m) * gap]);
  }
  for (std::size_t len = slots_; len >= 2; len >>= 1) {
    const std::size_t half = len >> 1, quarter_m = len << 2, gap = m_ / quarter_m;
    for (std::size_t j = 0; j < half; ++j)
      inverse_twiddles_.push_back(ksi_[(quarter_m - (rot_group_[j] % quarter_m)) * gap]);
  }
}

void Encoder::embed(cdouble* v) const {
  const std::size_t size = slots_;
  for (std::size_t i = 0; i < size; ++i)
    if (i < bit_rev_[i]) std::swap(v[i], v[bit_rev_[i]]);
  const cdouble* tw = embed_twiddles_.data();
  for (std::size_t len = 2; len <= size; len <<= 1) {
    const std::size_t half = len >> 1;
    for (std::size_t i = 0; i < size; i += len)
      for (std::size_t j = 0; j < half; ++j) {
        const cdouble u = v[i + j], t = mul(v[i + j + half], tw[j]);
        v[i + j] = u + t;
        v[i + j + half] = u - t;
      }
    tw += half;
  }
}

void Encoder::embed_inverse(cdouble* v) const {
  const std::size_t size = slots_;
  const cdouble* tw = inverse_twiddles_.data();
  for (std::size_t len = size; len >= 2; len >>= 1) {
    const std::size_t half = len >> 1;
    for (std::size_t i = 0; i < size; i += len)
      for (std::size_t j = 0; j < half; ++j) {
        const cdouble u = v[i + j] + v[i + j + half];
        const cdouble t = mul(v[i + j] - v[i + j + half], tw[j]);
        v[i + j] = u;
        v[i + j + half] = t;
      }
    tw += half;
  }
  for (std::size_t i = 0; i < size; ++i)
    if (i < bit_rev_[i]) std::swap(v[i], v[bit_rev_[i]]);
  const double inv = 1.0 / static_cast<double>(size);
  for (std::size_t i = 0; i < size; ++i) v[i] *= inv;
}

namespace {

// x mod q for a double holding an integer of any magnitude (exact: a double is
// mantissa * 2^exponent).
uint64_t integer_double_mod(double x, const math::Modulus& q) {
  const bool negative = x < 0;
  double a = std::fabs(x);
  uint64_t r;
  if (a < 9.2e18) {
    r = q.reduce(static_cast<uint64_t>(a));
  } else {
    int exponent;
    double mantissa = std::frexp(a, &exponent);  // a = mantissa * 2^exponent, mantissa in [0.5, 1)
    uint64_t m = static_cast<uint64_t>(std::ldexp(mantissa, 53));
    r = q.mul(q.reduce(m), q.pow(2, static_cast<uint64_t>(exponent - 53)));
  }
  return negative ? q.neg(r) : r;
}

}  // namespace

// floor(log2 Q_level): a coefficient must stay below 2^(that - 1) to be decodable.
int Encoder::coefficient_log_bound(int level) const { return static_cast<int>(ctx_.log2_q(level)) - 1; }

namespace {
// round(x), refused when it is not finite or reaches 2^log_bound. The message names the
// bound, never the coefficient: for one value it is value * scale * 2/n, the value itself.
double checked_coefficient(double x, int log_bound) {
  const double c = std::nearbyint(x);
  if (!std::isfinite(c) || std::fabs(c) >= std::ldexp(1.0, log_bound))
    throw_parameter("encode", "values", "are too large for the scale and level",
                    "|value * scale| < 2^" + std::to_string(log_bound) + " and finite", "a larger or non-finite value");
  return c;
}
}  // namespace

rlwe::Plaintext Encoder::from_coefficients(const std::vector<double>& coeffs, double scale, int level) const {
  ctx_.check_level("encode", level);
  const uint64_t n = ctx_.n();
  auto base = ctx_.q_base(level);
  const int log_bound = coefficient_log_bound(level);
  rlwe::Plaintext pt;
  pt.poly = rns::RnsPoly(n, base, rns::Form::Coefficient, /*secret=*/false, Uninitialized{});  // every limb written
  // Checked and rounded first (serially, so the error names the first bad value); limbs in
  // parallel. Coefficients below 2^62, the usual case, are rounded once into integers here
  // instead of once per limb, and each limb reduces them with one multiply-high each.
  std::vector<int64_t> rounded(n);
  bool below_2_62 = true;
  for (uint64_t k = 0; k < n; ++k) {
    const double c = checked_coefficient(coeffs[k], log_bound);
    below_2_62 = below_2_62 && std::fabs(c) < 0x1p62;
    rounded[k] = below_2_62 ? static_cast<int64_t>(c) : 0;
  }
  parallel_for(base->size(), [&](std::size_t i) {
    uint64_t* limb = pt.poly.limb(i);
    const math::Modulus& q = (*base)[i];
    if (below_2_62) {
      for (uint64_t k = 0; k < n; ++k) {
        const int64_t v = rounded[k];
        const uint64_t r = q.reduce(static_cast<uint64_t>(v < 0 ? -v : v));
        limb[k] = v < 0 ? q.neg(r) : r;  // integer_double_mod's result for these values
      }
    } else {
      for (uint64_t k = 0; k < n; ++k) limb[k] = integer_double_mod(std::nearbyint(coeffs[k]), q);
    }
    ntt::forward_inplace(limb, ctx_.ntt(i));
  });
  pt.poly.set_form(rns::Form::Evaluation);
  pt.scale = scale;
  pt.fingerprint = ctx_.fingerprint();
  return pt;
}

std::vector<uint64_t> Encoder::constant_residues(double scaled_value, int level) const {
  ctx_.check_level("encode", level);
  const double c = checked_coefficient(scaled_value, coefficient_log_bound(level));
  const auto& base = *ctx_.q_base(level);
  std::vector<uint64_t> residues(base.size());
  for (std::size_t i = 0; i < base.size(); ++i) residues[i] = integer_double_mod(c, base[i]);
  return residues;
}

rlwe::Plaintext Encoder::constant_plaintext(double scaled_value, double scale, int level) const {
  const std::vector<uint64_t> residues = constant_residues(scaled_value, level);
  auto base = ctx_.q_base(level);
  rlwe::Plaintext pt;
  // A constant polynomial is its own NTT (the same value at every root): no transform.
  pt.poly = rns::RnsPoly(ctx_.n(), base, rns::Form::Evaluation, false, Uninitialized{});
  parallel_for(base->size(), [&](std::size_t i) {
    uint64_t* limb = pt.poly.limb(i);
    std::fill(limb, limb + ctx_.n(), residues[i]);
  });
  pt.scale = scale;
  pt.fingerprint = ctx_.fingerprint();
  return pt;
}

std::vector<double> Encoder::scaled_coefficients(const cdouble* values, std::size_t count, double scale,
                                                 int level) const {
  if (count > slots_)
    throw_parameter("encode", "values", "are too many", "at most " + std::to_string(slots_) + " slots", count);
  if (!(scale > 0) || !std::isfinite(scale))
    throw_parameter("encode", "scale", "is invalid", "a positive finite number", scale);
  if (level < 0 || level > ctx_.max_level())
    throw_parameter("encode", "level", "is out of range", "0 <= level <= " + std::to_string(ctx_.max_level()), level);
  std::vector<cdouble> v(slots_, cdouble(0, 0));
  for (std::size_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i].real()) || !std::isfinite(values[i].imag()))
      throw_parameter("encode", "values", "contain a non-finite number", "finite values", "NaN or inf at " + std::to_string(i));
    v[i] = values[i];
  }
  embed_inverse(v.data());
  std::vector<double> coeffs(ctx_.n());
  for (std::size_t i = 0; i < slots_; ++i) {
    coeffs[i] = v[i].real() * scale;
    coeffs[i + slots_] = v[i].imag() * scale;
  }
  return coeffs;
}

rlwe::Plaintext Encoder::encode(const cdouble* values, std::size_t count, double scale, int level) const {
  return from_coefficients(scaled_coefficients(values, count, scale, level), scale, level);
}

rns::RnsPoly Encoder::encode_special(const cdouble* values, std::size_t count, double scale, int level) const {
  const std::vector<double> coeffs = scaled_coefficients(values, count, scale, level);
  const int log_bound = coefficient_log_bound(level);
  for (double c : coeffs) checked_coefficient(c, log_bound);
  const uint64_t n = ctx_.n();
  rns::RnsPoly out(n, ctx_.p_base(), rns::Form::Evaluation, false, Uninitialized{});
  parallel_for(ctx_.p_count(), [&](std::size_t k) {
    uint64_t* limb = out.limb(k);
    const std::size_t index = ctx_.q_count() + k;  // the prime's place in Q*P
    for (uint64_t j = 0; j < n; ++j) limb[j] = integer_double_mod(std::nearbyint(coeffs[j]), ctx_.modulus(index));
    ntt::forward_inplace(limb, ctx_.ntt(index));
  });
  return out;
}

rlwe::Plaintext Encoder::encode_real(const double* values, std::size_t count, double scale, int level) const {
  std::vector<cdouble> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = cdouble(values[i], 0.0);
  return encode(v.data(), count, scale, level);
}

rlwe::Plaintext Encoder::encode_constant(cdouble value, double scale, int level) const {
  if (value.imag() == 0.0) return constant_plaintext(value.real() * scale, scale, level);
  // The constant polynomial c + i c' X^(n/2) holds c + i c' in every slot.
  std::vector<double> coeffs(ctx_.n(), 0.0);
  coeffs[0] = value.real() * scale;
  coeffs[slots_] = value.imag() * scale;
  return from_coefficients(coeffs, scale, level);
}

std::vector<double> Encoder::lift_centered(const rns::RnsPoly& poly, const int64_t* add) const {
  const uint64_t n = ctx_.n();
  const std::size_t k = poly.limbs();
  const auto& base = *poly.base();
  rns::RnsPoly c = poly;  // a copy: the inverse NTT works in place
  if (c.form() == rns::Form::Evaluation)
    parallel_for(k, [&](std::size_t i) { ntt::inverse_inplace(c.limb(i), ctx_.ntt(i)); });
  if (add) {
    parallel_for(k, [&](std::size_t i) {
      const math::Modulus& q = base[i];
      uint64_t* limb = c.limb(i);
      for (uint64_t j = 0; j < n; ++j) {
        const uint64_t magnitude = add[j] < 0 ? 0 - static_cast<uint64_t>(add[j]) : static_cast<uint64_t>(add[j]);
        const uint64_t r = q.reduce(magnitude);
        limb[j] = add[j] < 0 ? q.sub(limb[j], r) : q.add(limb[j], r);
      }
    });
  }
  std::vector<double> out(n);
  if (k == 1) {
    const uint64_t q = base[0].value();
    for (uint64_t j = 0; j < n; ++j) {
      uint64_t v = c.limb(0)[j];
      out[j] = v > q / 2 ? -static_cast<double>(q - v) : static_cast<double>(v);
    }
    return out;
  }
  // Centered CRT lift: x = sum_i y_i (Q/q_i) - t Q with y_i = [c_i (Q/q_i)^-1]_{q_i} and
  // t = round(sum_i y_i / q_i) (HPS18), evaluated exactly in k+1 signed words, then
  // converted to double from the top words. Wrong only for |x| within ~2^-50 Q of Q/2,
  // where the value is not decodable anyway.
  const auto& Q = base.product();
  std::vector<const uint64_t*> punctured(k);
  std::vector<double> inv_q(k);
  for (std::size_t i = 0; i < k; ++i) {
    punctured[i] = base.punctured_product(i).data();
    inv_q[i] = 1.0 / static_cast<double>(base[i].value());
  }
  // Most decrypted coefficients are far below Q (m + e at the scale, against a Q of
  // hundreds of bits): x' = x mod 2^128 needs only the low two words of each Q/q_i and of
  // Q, O(k) per coefficient instead of O(k^2). It is the centered lift exactly when it
  // lies in [-2^127, 2^127) and has x's residues: then x' = x mod Q and |x'| < Q/2 (Q >
  // 2^129 here), so x' is the unique centered value. Any other coefficient (a large value,
  // or a t misrounded near Q/2) fails the residue check and takes the full lift below,
  // which gives the same double for these values (the same two words, the same steps).
  double log_q = 0;
  for (std::size_t i = 0; i < k; ++i) log_q += std::log2(static_cast<double>(base[i].value()));
  const bool small_path = log_q > 130;
  auto low_words = [](const uint64_t* words) {
    return static_cast<math::u128>(words[0]) | (static_cast<math::u128>(words[1]) << 64);
  };
  std::vector<math::u128> punctured_low(small_path ? k : 0);
  for (std::size_t i = 0; i < punctured_low.size(); ++i) punctured_low[i] = low_words(punctured[i]);
  const math::u128 q_low = small_path ? low_words(Q.data()) : 0;
  auto small_lift = [&](uint64_t j, double& value) {
    math::u128 sum = 0;  // mod 2^128
    double f = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const uint64_t y = base[i].mul_shoup(c.limb(i)[j], base.inv_punctured(i), base.inv_punctured_shoup(i));
      f += static_cast<double>(y) * inv_q[i];
      sum += static_cast<math::u128>(y) * punctured_low[i];
    }
    sum -= static_cast<math::u128>(static_cast<uint64_t>(std::floor(f + 0.5))) * q_low;
    const bool negative = static_cast<uint64_t>(sum >> 127) != 0;
    const math::u128 magnitude = negative ? 0 - sum : sum;
    for (std::size_t i = 0; i < k; ++i) {
      const uint64_t r = base[i].reduce128(magnitude);
      if ((negative ? base[i].neg(r) : r) != c.limb(i)[j]) return false;
    }
    double v = static_cast<double>(static_cast<uint64_t>(magnitude >> 64));
    v = v * 18446744073709551616.0 + static_cast<double>(static_cast<uint64_t>(magnitude));
    value = negative ? -v : v;
    return true;
  };
  // Coefficients are independent: blocks of them on the pool, scratch per block.
  constexpr uint64_t kBlock = 1024;
  parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](std::size_t blk) {
    std::vector<uint64_t> acc(k + 1);
    std::vector<math::u128> wide(k);
    for (uint64_t j = blk * kBlock; j < std::min<uint64_t>(n, (blk + 1) * kBlock); ++j) {
      if (small_path && small_lift(j, out[j])) continue;
      // Column sums of y_i * (Q/q_i) per word, without a carry chain across words (independent
      // multiply-adds); carries are propagated every 7 terms (each product < 2^125).
      std::fill(wide.begin(), wide.end(), 0);
      std::fill(acc.begin(), acc.end(), 0);
      double f = 0;
      auto propagate = [&] {
        math::u128 carry = 0;
        for (std::size_t w = 0; w < k; ++w) {
          math::u128 v = wide[w] + carry + acc[w];
          acc[w] = static_cast<uint64_t>(v);
          carry = v >> 64;
          wide[w] = 0;
        }
        acc[k] += static_cast<uint64_t>(carry);
      };
      for (std::size_t i = 0; i < k; ++i) {
        const auto& q = base[i];
        const uint64_t y = q.mul_shoup(c.limb(i)[j], base.inv_punctured(i), base.inv_punctured_shoup(i));
        f += static_cast<double>(y) * inv_q[i];
        const uint64_t* P = punctured[i];
        for (std::size_t w = 0; w < k; ++w) wide[w] += static_cast<math::u128>(P[w]) * y;
        if (i % 7 == 6) propagate();
      }
      propagate();
      // acc -= t * Q (t small and non-negative).
      const uint64_t t = static_cast<uint64_t>(std::floor(f + 0.5));
      uint64_t borrow = 0, carry = 0;
      for (std::size_t w = 0; w <= k; ++w) {
        math::u128 prod = static_cast<math::u128>(w < k ? Q[w] : 0) * t + carry;
        carry = static_cast<uint64_t>(prod >> 64);
        const uint64_t sub = static_cast<uint64_t>(prod);
        const uint64_t before = acc[w];
        acc[w] = before - sub - borrow;
        borrow = (before < sub) || (before - sub < borrow) ? 1 : 0;
      }
      const bool negative = static_cast<int64_t>(acc[k]) < 0;
      if (negative) {  // two's complement negate
        uint64_t c1 = 1;
        for (std::size_t w = 0; w <= k; ++w) {
          acc[w] = ~acc[w] + c1;
          c1 = (acc[w] == 0 && c1) ? 1 : 0;
        }
      }
      // Only the top three non-zero words reach a double's 53-bit mantissa.
      std::size_t top = k;
      while (top > 0 && acc[top] == 0) --top;
      const std::size_t low = top >= 2 ? top - 2 : 0;
      double v = 0;
      for (std::size_t w = top + 1; w-- > low;) v = v * 18446744073709551616.0 + static_cast<double>(acc[w]);
      v = std::ldexp(v, static_cast<int>(64 * low));
      out[j] = negative ? -v : v;
    }
  });
  return out;
}

std::vector<cdouble> Encoder::decode(const rlwe::Plaintext& pt) const {
  std::vector<double> coeffs = lift_centered(pt.poly);
  return decode_coefficients(coeffs.data(), pt.scale);
}

std::vector<cdouble> Encoder::decode_coefficients(const double* coeffs, double scale) const {
  std::vector<cdouble> v(slots_);
  const double inv_scale = 1.0 / scale;
  for (std::size_t i = 0; i < slots_; ++i) v[i] = cdouble(coeffs[i] * inv_scale, coeffs[i + slots_] * inv_scale);
  embed(v.data());
  return v;
}

}  // namespace ppml::ckks
