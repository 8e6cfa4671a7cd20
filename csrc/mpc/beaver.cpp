// Local steps of Beaver multiplication (see beaver.hpp).
#include "mpc/beaver.hpp"

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

}  // namespace ppml::mpc
