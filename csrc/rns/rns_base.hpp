// An RNS base {q_0, ..., q_{k-1}} of pairwise coprime word-size moduli: CRT constants,
// composition to multi-word integers and decomposition back. [Bajard et al. 2016;
// Halevi-Polyakov-Shoup 2018]
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <list>
#include <mutex>
#include <vector>

#include "math/modulus.hpp"
#include "ntt/ntt_tables.hpp"

namespace ppml::rns {

class RnsBase {
 public:
  // Throws ParameterError if empty, more than 256 moduli, a modulus out of [2, 2^61),
  // or two moduli not coprime.
  explicit RnsBase(const std::vector<uint64_t>& moduli);

  std::size_t size() const { return moduli_.size(); }
  const math::Modulus& operator[](std::size_t i) const { return moduli_[i]; }
  const std::vector<math::Modulus>& moduli() const { return moduli_; }
  std::vector<uint64_t> values() const;

  // Q = prod q_i as little-endian 64-bit words (size() words).
  const std::vector<uint64_t>& product() const { return product_; }
  // Q / q_i as words (size() words each, top word may be 0).
  const std::vector<uint64_t>& punctured_product(std::size_t i) const { return punctured_[i]; }
  // (Q / q_i)^-1 mod q_i and its Shoup quotient.
  uint64_t inv_punctured(std::size_t i) const { return inv_punctured_[i]; }
  uint64_t inv_punctured_shoup(std::size_t i) const { return inv_punctured_shoup_[i]; }

  // The first `count` moduli as a base (count in [1, size()]).
  RnsBase prefix(std::size_t count) const;
  // This base followed by `other` (all moduli must stay coprime).
  RnsBase extended(const RnsBase& other) const;
  bool operator==(const RnsBase& o) const { return values() == o.values(); }

  // Residues -> the integer in [0, Q), `out` has size() words. `residues` read with stride.
  void compose(const uint64_t* residues, std::size_t stride, uint64_t* out) const;
  // Integer of `words` little-endian words -> residues (written with stride).
  void decompose(const uint64_t* words, std::size_t count, uint64_t* residues, std::size_t stride) const;

  // NTT tables of every modulus for degree n (built on first use; all moduli must be
  // NTT primes for n). Throws ParameterError otherwise.
  const std::vector<std::shared_ptr<const ntt::NttTables>>& ntt_tables(uint64_t n) const;

 private:
  std::vector<math::Modulus> moduli_;
  std::vector<uint64_t> product_;
  std::vector<std::vector<uint64_t>> punctured_;
  std::vector<uint64_t> inv_punctured_, inv_punctured_shoup_;
  // NTT tables per degree, shared by copies; a list so references stay valid.
  struct TablesCache {
    std::mutex mutex;
    std::list<std::pair<uint64_t, std::vector<std::shared_ptr<const ntt::NttTables>>>> entries;
  };
  std::shared_ptr<TablesCache> tables_ = std::make_shared<TablesCache>();
};

// Multi-word helpers (little-endian 64-bit words), used by CRT composition and decoding.
namespace words {
// out[0..len] = a[0..len) * b; returns nothing (out has len + 1 words).
void mul_word(const uint64_t* a, std::size_t len, uint64_t b, uint64_t* out);
// a += b over len words; returns the carry.
uint64_t add_inplace(uint64_t* a, const uint64_t* b, std::size_t len);
// a -= b over len words; returns the borrow.
uint64_t sub_inplace(uint64_t* a, const uint64_t* b, std::size_t len);
// -1, 0, 1 as a <, =, > b.
int compare(const uint64_t* a, const uint64_t* b, std::size_t len);
// a mod q for an integer of len words.
uint64_t mod_word(const uint64_t* a, std::size_t len, const math::Modulus& q);
}  // namespace words

}  // namespace ppml::rns
