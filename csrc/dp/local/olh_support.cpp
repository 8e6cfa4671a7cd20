// Dispatcher and scalar kernel of the OLH support counts (see olh_support.hpp).
#include "dp/local/olh_support.hpp"

#include <vector>

#include "common/backend.hpp"

namespace ppml::dp::local {

namespace detail {

void olh_count_scalar(const uint64_t* a, const uint64_t* c, const uint64_t* w, std::size_t n, uint64_t d,
                      uint64_t* counts) {
  constexpr uint64_t kTile = 256;
  for (uint64_t x0 = 0; x0 < d; x0 += kTile) {
    const uint64_t len = d - x0 < kTile ? d - x0 : kTile;
    uint64_t acc[kTile] = {};
    for (std::size_t i = 0; i < n; ++i) {
      const uint64_t step = a[i], bound = w[i];
      uint64_t t = step * x0 + c[i];  // mod 2^64
      for (uint64_t j = 0; j < len; ++j) {
        acc[j] += t < bound;
        t += step;
      }
    }
    for (uint64_t j = 0; j < len; ++j) counts[x0 + j] += acc[j];
  }
}

}  // namespace detail

const char* olh_support_kernel_name() {
#ifdef PPML_HAVE_OLH_SUPPORT_AVX512
  if (effective_backend() == Backend::Avx512) return "avx512";
#endif
#ifdef PPML_HAVE_OLH_SUPPORT_AVX2
  if (effective_backend() != Backend::Scalar) return "avx2";
#endif
  return "scalar";
}

void olh_support_counts(const uint64_t* a, const uint64_t* b, const uint32_t* y, std::size_t n, uint32_t g,
                        uint64_t d, uint64_t* counts) {
  auto kernel = detail::olh_count_scalar;
#ifdef PPML_HAVE_OLH_SUPPORT_AVX2
  if (effective_backend() != Backend::Scalar) kernel = detail::olh_count_avx2;
#endif
#ifdef PPML_HAVE_OLH_SUPPORT_AVX512
  if (effective_backend() == Backend::Avx512) kernel = detail::olh_count_avx512;
#endif
  // Blocks of reports small enough (3 x 64 KiB) to stay in L2 across the passes over x.
  constexpr std::size_t kBlock = 8192;
  std::vector<uint64_t> cs(kBlock), ws(kBlock);
  for (std::size_t s = 0; s < n; s += kBlock) {
    const std::size_t m = n - s < kBlock ? n - s : kBlock;
    for (std::size_t i = 0; i < m; ++i) {
      // u in [lo, hi) <=> (u g) >> 32 == y, with lo = ceil(y 2^32 / g); no overflow for g < 2^32.
      const uint64_t yy = y[s + i];
      const uint64_t lo = ((yy << 32) + g - 1) / g;
      const uint64_t hi = (((yy + 1) << 32) + g - 1) / g;
      cs[i] = b[s + i] - (lo << 32);
      ws[i] = (hi - lo) << 32;
    }
    kernel(a + s, cs.data(), ws.data(), m, d, counts);
  }
}

}  // namespace ppml::dp::local
