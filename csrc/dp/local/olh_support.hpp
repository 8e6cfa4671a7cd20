// Server side of optimized local hashing [WBLJ17]: for every domain item x, the number of
// reports (a, b, y) that support it, i.e. whose hash H_{a,b}(x) equals the reported y.
//
// Hash family (device and server evaluate it identically):
//   u = ((a * x + b) mod 2^64) >> 32,   H_{a,b}(x) = (u * g) >> 32  in [0, g),
// for x < 2^32 and keys a, b uniform in [0, 2^64). The first step is Dietzfelbinger's
// multiply-add-shift, strongly universal from 32-bit keys to 32-bit values [Die96, Tho15]:
// for x != x', (u(x), u(x')) is uniform on [0, 2^32)^2. Hence P[H(x) = H(x')] is exactly
// the sum of the squared bucket masses of the map u -> (u g) >> 32 (see pyppml.dp.local).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::dp::local {

// counts[x] += #{i < n : H_{a_i,b_i}(x) == y[i]} for x in [0, d). O(n d) hash evaluations,
// blocked so the counters stay in registers. Preconditions (checked by the caller):
// 2 <= g < 2^32, y[i] < g, d <= 2^32.
void olh_support_counts(const uint64_t* a, const uint64_t* b, const uint32_t* y, std::size_t n, uint32_t g,
                        uint64_t d, uint64_t* counts);

// The kernel olh_support_counts runs here: "scalar", "avx2" or "avx512".
const char* olh_support_kernel_name();

namespace detail {
// One block of reports in the "offset" form: x is supported by report i iff
// (a[i] * x + c[i]) mod 2^64 < w[i], with c = b - lo(y) 2^32 and w = width(y) 2^32
// (lo, width: the interval of u that H maps to y). Adds to counts[0, d).
void olh_count_scalar(const uint64_t* a, const uint64_t* c, const uint64_t* w, std::size_t n, uint64_t d,
                      uint64_t* counts);
void olh_count_avx2(const uint64_t* a, const uint64_t* c, const uint64_t* w, std::size_t n, uint64_t d,
                    uint64_t* counts);
void olh_count_avx512(const uint64_t* a, const uint64_t* c, const uint64_t* w, std::size_t n, uint64_t d,
                      uint64_t* counts);
}  // namespace detail

}  // namespace ppml::dp::local
