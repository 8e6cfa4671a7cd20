// Arbitrary-precision naturals for the exact exp bounds (see big_nat.hpp).
#include "dp/big_nat.hpp"

#include <algorithm>

namespace ppml::dp {

BigNat::BigNat(u128 v) {
  while (v) {
    limbs_.push_back(static_cast<uint64_t>(v));
    v >>= 64;
  }
}

BigNat BigNat::pow2(std::size_t k) {
  BigNat r(1);
  r.shl(k);
  return r;
}

void BigNat::trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
}

std::size_t BigNat::bit_length() const {
  if (limbs_.empty()) return 0;
  return 64 * (limbs_.size() - 1) + (64 - static_cast<std::size_t>(__builtin_clzll(limbs_.back())));
}

u128 BigNat::to_u128_saturated() const {
  if (limbs_.size() > 2) return ~u128{0};
  u128 v = 0;
  for (std::size_t i = limbs_.size(); i-- > 0;) v = (v << 64) | limbs_[i];
  return v;
}

BigNat& BigNat::add(const BigNat& o) {
  if (o.limbs_.size() > limbs_.size()) limbs_.resize(o.limbs_.size(), 0);
  uint64_t carry = 0;
  for (std::size_t i = 0; i < limbs_.size(); ++i) {
    u128 s = u128{limbs_[i]} + (i < o.limbs_.size() ? o.limbs_[i] : 0) + carry;
    limbs_[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  if (carry) limbs_.push_back(carry);
  return *this;
}

BigNat& BigNat::add_small(uint64_t v) { return add(BigNat(v)); }

BigNat& BigNat::sub(const BigNat& o) {
  uint64_t borrow = 0;
  for (std::size_t i = 0; i < limbs_.size(); ++i) {
    uint64_t b = (i < o.limbs_.size() ? o.limbs_[i] : 0);
    u128 d = u128{limbs_[i]} - b - borrow;
    limbs_[i] = static_cast<uint64_t>(d);
    borrow = static_cast<uint64_t>(d >> 127);  // 1 when the difference wrapped
  }
  trim();
  return *this;
}

BigNat& BigNat::sub_small(uint64_t v) { return sub(BigNat(v)); }

BigNat& BigNat::mul_small(uint64_t v) {
  uint64_t carry = 0;
  for (auto& l : limbs_) {
    u128 p = u128{l} * v + carry;
    l = static_cast<uint64_t>(p);
    carry = static_cast<uint64_t>(p >> 64);
  }
  if (carry) limbs_.push_back(carry);
  trim();
  return *this;
}

BigNat& BigNat::shl(std::size_t k) {
  if (limbs_.empty()) return *this;
  std::size_t words = k / 64, bits = k % 64;
  limbs_.insert(limbs_.begin(), words, 0);
  if (bits) {
    uint64_t carry = 0;
    for (std::size_t i = words; i < limbs_.size(); ++i) {
      uint64_t l = limbs_[i];
      limbs_[i] = (l << bits) | carry;
      carry = l >> (64 - bits);
    }
    if (carry) limbs_.push_back(carry);
  }
  return *this;
}

BigNat& BigNat::shr(std::size_t k) {
  std::size_t words = k / 64, bits = k % 64;
  if (words >= limbs_.size()) {
    limbs_.clear();
    return *this;
  }
  limbs_.erase(limbs_.begin(), limbs_.begin() + static_cast<std::ptrdiff_t>(words));
  if (bits) {
    for (std::size_t i = 0; i < limbs_.size(); ++i) {
      uint64_t next = i + 1 < limbs_.size() ? limbs_[i + 1] : 0;
      limbs_[i] = (limbs_[i] >> bits) | (next << (64 - bits));
    }
  }
  trim();
  return *this;
}

bool BigNat::shr_loses_bits(std::size_t k) const {
  std::size_t words = k / 64, bits = k % 64;
  for (std::size_t i = 0; i < std::min(words, limbs_.size()); ++i)
    if (limbs_[i]) return true;
  if (bits && words < limbs_.size() && (limbs_[words] & ((uint64_t{1} << bits) - 1))) return true;
  return false;
}

uint64_t BigNat::div_small(uint64_t d) {
  u128 rem = 0;
  for (std::size_t i = limbs_.size(); i-- > 0;) {
    u128 cur = (rem << 64) | limbs_[i];
    limbs_[i] = static_cast<uint64_t>(cur / d);
    rem = cur % d;
  }
  trim();
  return static_cast<uint64_t>(rem);
}

BigNat& BigNat::div_small_ceil(uint64_t d) {
  if (div_small(d)) add_small(1);
  return *this;
}

BigNat BigNat::mul(const BigNat& a, const BigNat& b) {
  BigNat r;
  if (a.is_zero() || b.is_zero()) return r;
  r.limbs_.assign(a.limbs_.size() + b.limbs_.size(), 0);
  for (std::size_t i = 0; i < a.limbs_.size(); ++i) {
    uint64_t carry = 0;
    for (std::size_t j = 0; j < b.limbs_.size(); ++j) {
      u128 p = u128{a.limbs_[i]} * b.limbs_[j] + r.limbs_[i + j] + carry;
      r.limbs_[i + j] = static_cast<uint64_t>(p);
      carry = static_cast<uint64_t>(p >> 64);
    }
    r.limbs_[i + b.limbs_.size()] = carry;
  }
  r.trim();
  return r;
}

BigNat BigNat::div_u128(const BigNat& a, u128 d, u128* remainder) {
  if ((d >> 64) == 0) {
    BigNat q = a;
    uint64_t r = q.div_small(static_cast<uint64_t>(d));
    if (remainder) *remainder = r;
    return q;
  }
  // Bit-by-bit long division; the remainder stays below d < 2^128, so one extra bit of
  // headroom is tracked in `top`.
  BigNat q;
  q.limbs_.assign(a.limbs_.size(), 0);
  u128 rem = 0;
  for (std::size_t bit = a.bit_length(); bit-- > 0;) {
    bool top = (rem >> 127) != 0;
    rem = (rem << 1) | ((a.limbs_[bit / 64] >> (bit % 64)) & 1);
    if (top || rem >= d) {
      rem -= d;
      q.limbs_[bit / 64] |= uint64_t{1} << (bit % 64);
    }
  }
  q.trim();
  if (remainder) *remainder = rem;
  return q;
}

int BigNat::cmp(const BigNat& a, const BigNat& b) {
  if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
  for (std::size_t i = a.limbs_.size(); i-- > 0;)
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
  return 0;
}

}  // namespace ppml::dp
