// uint64 wraparound matrix products (see matmul.hpp).
#include "mpc/matmul.hpp"

#include <algorithm>

#include "common/thread_pool.hpp"

namespace ppml::mpc {

namespace {
// Tile sizes: a kBlockK x kBlockN panel of b (64 KiB) stays in L2 while rows of a stream.
constexpr std::size_t kBlockK = 64;
constexpr std::size_t kBlockN = 128;
// Rows of the output per pool task; products below kParallelWork multiply-adds stay on the
// calling thread. Sums mod 2^64 are exact in any order, so any split gives the same bits.
constexpr std::size_t kRowsPerTask = 16;
constexpr std::size_t kParallelWork = std::size_t{1} << 18;

std::size_t row_grain(std::size_t m, std::size_t k, std::size_t n) {
  return m * k * n < kParallelWork ? m : kRowsPerTask;
}
}  // namespace

void matmul_acc_u64(const uint64_t* a, const uint64_t* b, std::size_t m, std::size_t k, std::size_t n,
                    uint64_t* out) {
  if (n == 1) {
    // Matrix-vector product: one dot product per row, four accumulators.
    parallel_for(0, m, m * k < kParallelWork ? m : 256, [&](std::size_t i) {
      const uint64_t* row = a + i * k;
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      std::size_t p = 0;
      for (; p + 4 <= k; p += 4) {
        s0 += row[p] * b[p];
        s1 += row[p + 1] * b[p + 1];
        s2 += row[p + 2] * b[p + 2];
        s3 += row[p + 3] * b[p + 3];
      }
      for (; p < k; ++p) s0 += row[p] * b[p];
      out[i] += s0 + s1 + s2 + s3;
    });
    return;
  }
  const std::size_t grain = row_grain(m, k, n);
  parallel_for(0, (m + grain - 1) / grain, 1, [&](std::size_t task) {
    const std::size_t i0 = task * grain, i1 = std::min(m, i0 + grain);
    for (std::size_t p0 = 0; p0 < k; p0 += kBlockK) {
      const std::size_t p1 = std::min(k, p0 + kBlockK);
      for (std::size_t j0 = 0; j0 < n; j0 += kBlockN) {
        const std::size_t j1 = std::min(n, j0 + kBlockN);
        for (std::size_t i = i0; i < i1; ++i) {
          uint64_t* orow = out + i * n;
          const uint64_t* arow = a + i * k;
          for (std::size_t p = p0; p < p1; ++p) {
            const uint64_t av = arow[p];
            const uint64_t* brow = b + p * n;
            for (std::size_t j = j0; j < j1; ++j) orow[j] += av * brow[j];
          }
        }
      }
    }
  });
}

void matmul_tn_acc_u64(const uint64_t* a, const uint64_t* b, std::size_t k, std::size_t m, std::size_t n,
                       uint64_t* out) {
  // Row p of a and of b contribute the outer product a[p, :]^T b[p, :]; each task owns a
  // block of output rows.
  const std::size_t grain = row_grain(m, k, n);
  parallel_for(0, (m + grain - 1) / grain, 1, [&](std::size_t task) {
    const std::size_t i0 = task * grain, i1 = std::min(m, i0 + grain);
    for (std::size_t p = 0; p < k; ++p) {
      const uint64_t* arow = a + p * m;
      const uint64_t* brow = b + p * n;
      for (std::size_t i = i0; i < i1; ++i) {
        const uint64_t av = arow[i];
        uint64_t* orow = out + i * n;
        for (std::size_t j = 0; j < n; ++j) orow[j] += av * brow[j];
      }
    }
  });
}

}  // namespace ppml::mpc
