// Matrix products in Z_2^64 (uint64 wraparound), the local work of Beaver matrix
// multiplication. Blocked scalar loops; the reference for tests is NumPy's uint64 matmul.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::mpc {

// out (m x n) += a (m x k) @ b (k x n), all row-major, mod 2^64.
void matmul_acc_u64(const uint64_t* a, const uint64_t* b, std::size_t m, std::size_t k, std::size_t n,
                    uint64_t* out);

// out (m x n) += a^T @ b where a is k x m and b is k x n, row-major, mod 2^64 (avoids
// materialising the transpose of a tall data matrix).
void matmul_tn_acc_u64(const uint64_t* a, const uint64_t* b, std::size_t k, std::size_t m, std::size_t n,
                       uint64_t* out);

}  // namespace ppml::mpc
