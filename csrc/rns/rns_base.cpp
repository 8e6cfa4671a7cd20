#include "rns/rns_base.hpp"

#include <numeric>
#include <string>

#include "common/errors.hpp"
#include "common/secure_zero.hpp"

namespace ppml::rns {

namespace words {

void mul_word(const uint64_t* a, std::size_t len, uint64_t b, uint64_t* out) {
  uint64_t carry = 0;
  for (std::size_t i = 0; i < len; ++i) {
    math::u128 p = static_cast<math::u128>(a[i]) * b + carry;
    out[i] = static_cast<uint64_t>(p);
    carry = static_cast<uint64_t>(p >> 64);
  }
  out[len] = carry;
}

uint64_t add_inplace(uint64_t* a, const uint64_t* b, std::size_t len) {
  uint64_t carry = 0;
  for (std::size_t i = 0; i < len; ++i) {
    math::u128 s = static_cast<math::u128>(a[i]) + b[i] + carry;
    a[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  return carry;
}

uint64_t sub_inplace(uint64_t* a, const uint64_t* b, std::size_t len) {
  uint64_t borrow = 0;
  for (std::size_t i = 0; i < len; ++i) {
    uint64_t bi = b[i] + borrow;
    uint64_t next = (bi < borrow) || (a[i] < bi) ? 1 : 0;
    a[i] -= bi;
    borrow = next;
  }
  return borrow;
}

int compare(const uint64_t* a, const uint64_t* b, std::size_t len) {
  for (std::size_t i = len; i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

uint64_t mod_word(const uint64_t* a, std::size_t len, const math::Modulus& q) {
  // Horner from the top word: r = (r * 2^64 + a_i) mod q.
  uint64_t r = 0;
  for (std::size_t i = len; i-- > 0;) r = q.reduce128((static_cast<math::u128>(r) << 64) | a[i]);
  return r;
}

}  // namespace words

RnsBase::RnsBase(const std::vector<uint64_t>& moduli) {
  if (moduli.empty() || moduli.size() > 256)
    throw_parameter("RnsBase", "moduli", "has an unsupported count", "1 to 256 moduli", moduli.size());
  for (uint64_t q : moduli) moduli_.emplace_back(q);  // range-checked by Modulus
  for (std::size_t i = 0; i < moduli.size(); ++i)
    for (std::size_t j = i + 1; j < moduli.size(); ++j)
      if (std::gcd(moduli[i], moduli[j]) != 1)
        throw_parameter("RnsBase", "moduli", "are not pairwise coprime", "pairwise coprime moduli",
                        std::to_string(moduli[i]) + " and " + std::to_string(moduli[j]));
  const std::size_t k = moduli.size();
  // Q and Q/q_i by repeated word multiplication.
  product_.assign(k, 0);
  product_[0] = 1;
  std::vector<uint64_t> tmp(k + 1);
  for (std::size_t i = 0; i < k; ++i) {
    words::mul_word(product_.data(), k, moduli[i], tmp.data());
    std::copy(tmp.begin(), tmp.begin() + k, product_.begin());
  }
  punctured_.assign(k, std::vector<uint64_t>(k, 0));
  inv_punctured_.resize(k);
  inv_punctured_shoup_.resize(k);
  for (std::size_t i = 0; i < k; ++i) {
    auto& p = punctured_[i];
    p[0] = 1;
    for (std::size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      words::mul_word(p.data(), k, moduli[j], tmp.data());
      std::copy(tmp.begin(), tmp.begin() + k, p.begin());
    }
    uint64_t r = words::mod_word(p.data(), k, moduli_[i]);
    inv_punctured_[i] = moduli_[i].inv(r);
    inv_punctured_shoup_[i] = moduli_[i].shoup(inv_punctured_[i]);
  }
}

std::vector<uint64_t> RnsBase::values() const {
  std::vector<uint64_t> v;
  for (const auto& m : moduli_) v.push_back(m.value());
  return v;
}

RnsBase RnsBase::prefix(std::size_t count) const {
  if (count < 1 || count > size())
    throw_parameter("RnsBase.prefix", "count", "is out of range", "1 <= count <= " + std::to_string(size()), count);
  auto v = values();
  v.resize(count);
  return RnsBase(v);
}

RnsBase RnsBase::extended(const RnsBase& other) const {
  auto v = values();
  for (uint64_t q : other.values()) v.push_back(q);
  return RnsBase(v);
}

void RnsBase::compose(const uint64_t* residues, std::size_t stride, uint64_t* out) const {
  // x = sum_i [x_i (Q/q_i)^-1]_{q_i} * (Q/q_i) mod Q; the sum is < k * Q.
  const std::size_t k = size();
  std::vector<uint64_t> acc(k + 1, 0), term(k + 1);
  for (std::size_t i = 0; i < k; ++i) {
    uint64_t y = moduli_[i].mul_shoup(residues[i * stride], inv_punctured_[i], inv_punctured_shoup_[i]);
    words::mul_word(punctured_[i].data(), k, y, term.data());
    words::add_inplace(acc.data(), term.data(), k + 1);
  }
  std::vector<uint64_t> q_ext(product_);
  q_ext.push_back(0);
  while (words::compare(acc.data(), q_ext.data(), k + 1) >= 0) words::sub_inplace(acc.data(), q_ext.data(), k + 1);
  std::copy(acc.begin(), acc.begin() + k, out);
  // The residues may be secret (bfv::noise_budget composes the error): no copy left behind.
  secure_zero(acc.data(), acc.size() * sizeof(uint64_t));
  secure_zero(term.data(), term.size() * sizeof(uint64_t));
}

void RnsBase::decompose(const uint64_t* w, std::size_t count, uint64_t* residues, std::size_t stride) const {
  for (std::size_t i = 0; i < size(); ++i) residues[i * stride] = words::mod_word(w, count, moduli_[i]);
}

const std::vector<std::shared_ptr<const ntt::NttTables>>& RnsBase::ntt_tables(uint64_t n) const {
  std::lock_guard<std::mutex> lock(tables_->mutex);
  for (const auto& entry : tables_->entries)
    if (entry.first == n) return entry.second;
  std::vector<std::shared_ptr<const ntt::NttTables>> t;
  for (const auto& m : moduli_) t.push_back(ntt::NttTables::get(n, m.value()));
  tables_->entries.emplace_back(n, std::move(t));
  return tables_->entries.back().second;
}

}  // namespace ppml::rns
