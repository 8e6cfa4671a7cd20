// Local steps of Beaver multiplication (see beaver.hpp).
#include "mpc/beaver.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/errors.hpp"
#include "mpc/matmul.hpp"

namespace ppml::mpc {

namespace {
void check_party(const char* api, int party) {
  if (party != 0 && party != 1) throw_parameter(api, "party", "is not a two-party index", "0 or 1", party);
}
}  // namespace

void beaver_mask(const uint64_t* x, const uint64_t* a, std::size_t count, uint64_t* out) {
  for (std::size_t j = 0; j < count; ++j) out[j] = x[j] - a[j];
}

void beaver_mul_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a, const uint64_t* b,
                       const uint64_t* c, std::size_t count, uint64_t* out) {
  check_party("beaver_mul_finish", party);
  if (party == 0) {
    for (std::size_t j = 0; j < count; ++j) out[j] = c[j] + d[j] * b[j] + e[j] * a[j] + d[j] * e[j];
  } else {
    for (std::size_t j = 0; j < count; ++j) out[j] = c[j] + d[j] * b[j] + e[j] * a[j];
  }
}

void beaver_matmul_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a, const uint64_t* b,
                          const uint64_t* c, std::size_t m, std::size_t k, std::size_t n, uint64_t* out) {
  check_party("beaver_matmul_finish", party);
  std::memcpy(out, c, m * n * sizeof(uint64_t));
  if (party == 0) {
    std::vector<uint64_t> be(k * n);
    for (std::size_t j = 0; j < k * n; ++j) be[j] = b[j] + e[j];
    matmul_acc_u64(d, be.data(), m, k, n, out);
  } else {
    matmul_acc_u64(d, b, m, k, n, out);
  }
  matmul_acc_u64(a, e, m, k, n, out);
}

void beaver_matmul_tn_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a,
                             const uint64_t* b, const uint64_t* c, std::size_t k, std::size_t m, std::size_t n,
                             uint64_t* out) {
  check_party("beaver_matmul_tn_finish", party);
  std::memcpy(out, c, m * n * sizeof(uint64_t));
  if (party == 0) {
    std::vector<uint64_t> be(k * n);
    for (std::size_t j = 0; j < k * n; ++j) be[j] = b[j] + e[j];
    matmul_tn_acc_u64(d, be.data(), k, m, n, out);
  } else {
    matmul_tn_acc_u64(d, b, k, m, n, out);
  }
  matmul_tn_acc_u64(a, e, k, m, n, out);
}

void beaver_and_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a, const uint64_t* b,
                       const uint64_t* c, std::size_t count, uint64_t* out) {
  check_party("beaver_and_finish", party);
  if (party == 0) {
    for (std::size_t j = 0; j < count; ++j) out[j] = c[j] ^ (d[j] & b[j]) ^ (e[j] & a[j]) ^ (d[j] & e[j]);
  } else {
    for (std::size_t j = 0; j < count; ++j) out[j] = c[j] ^ (d[j] & b[j]) ^ (e[j] & a[j]);
  }
}

void beaver_and_monomials(int party, const uint64_t* deltas, int vars, std::size_t m, const uint64_t* subset_ids,
                          const uint64_t* subset_shares, std::size_t k, const uint64_t* monomials, std::size_t count,
                          uint64_t* out) {
  check_party("beaver_and_monomials", party);
  if (vars < 1 || vars > 8)
    throw_parameter("beaver_and_monomials", "vars", "is out of range", "1 <= vars <= 8", vars);
  const uint64_t full = (uint64_t{1} << vars) - 1;
  int index[256];
  for (int& v : index) v = -1;
  for (std::size_t s = 0; s < k; ++s) {
    if (subset_ids[s] == 0 || subset_ids[s] > full)
      throw_parameter("beaver_and_monomials", "subset_ids", "has a set out of range",
                      "nonempty subsets of " + std::to_string(vars) + " variables", subset_ids[s]);
    index[subset_ids[s]] = static_cast<int>(s);
  }
  for (std::size_t j = 0; j < count; ++j) {
    const uint64_t mono = monomials[j];
    if (mono == 0 || mono > full)
      throw_parameter("beaver_and_monomials", "monomials", "has a set out of range",
                      "nonempty subsets of " + std::to_string(vars) + " variables", mono);
    for (uint64_t sub = mono; sub; sub = (sub - 1) & mono)
      if (index[sub] < 0)
        throw_parameter("beaver_and_monomials", "subset_ids", "lacks a subset of a monomial",
                        "every nonempty subset of " + std::to_string(mono), sub);
  }
  // Submask by submask, each a few passes over contiguous rows that the compiler
  // vectorizes: tmp = AND of the deltas outside the submask, then out ^= tmp & alpha_S
  // (the empty submask, alpha = all ones, is added by party 0 alone).
  std::vector<uint64_t> tmp(m);
  for (std::size_t j = 0; j < count; ++j) {
    const uint64_t mono = monomials[j];
    uint64_t* o = out + j * m;
    std::fill(o, o + m, uint64_t{0});
    for (uint64_t sub = mono;; sub = (sub - 1) & mono) {
      if (sub || party == 0) {
        std::fill(tmp.begin(), tmp.end(), ~uint64_t{0});
        for (uint64_t r = mono & ~sub; r; r &= r - 1) {
          const uint64_t* drow = deltas + static_cast<std::size_t>(__builtin_ctzll(r)) * m;
          for (std::size_t w = 0; w < m; ++w) tmp[w] &= drow[w];
        }
        if (sub) {
          const uint64_t* share = subset_shares + static_cast<std::size_t>(index[sub]) * m;
          for (std::size_t w = 0; w < m; ++w) o[w] ^= tmp[w] & share[w];
        } else {
          for (std::size_t w = 0; w < m; ++w) o[w] ^= tmp[w];
        }
      }
      if (sub == 0) break;
    }
  }
}

}  // namespace ppml::mpc
