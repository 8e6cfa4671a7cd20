// Scalar element-wise kernels: the reference for the SIMD ones.
#include "rns/eltwise.hpp"

#include <algorithm>

namespace ppml::rns::detail {
namespace {

void add_scalar(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  const uint64_t m = q.value();
  for (std::size_t i = 0; i < n; ++i) {
    uint64_t s = a[i] + b[i];
    out[i] = s >= m ? s - m : s;
  }
}

void sub_scalar(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  const uint64_t m = q.value();
  for (std::size_t i = 0; i < n; ++i) {
    uint64_t d = a[i] - b[i];
    out[i] = a[i] >= b[i] ? d : d + m;
  }
}

void mul_scalar(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  for (std::size_t i = 0; i < n; ++i) out[i] = q.reduce128(static_cast<math::u128>(a[i]) * b[i]);
}

void mul_add_scalar(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  for (std::size_t i = 0; i < n; ++i) out[i] = q.reduce128(static_cast<math::u128>(a[i]) * b[i] + out[i]);
}

void inner_product_scalar(const uint64_t* const* a, const uint64_t* const* b, std::size_t terms, uint64_t* out,
                          std::size_t n, const math::Modulus& q) {
  constexpr std::size_t kChunk = 64;
  math::u128 acc[kChunk];
  for (std::size_t k0 = 0; k0 < n; k0 += kChunk) {
    const std::size_t len = std::min(kChunk, n - k0);
    for (std::size_t k = 0; k < len; ++k) acc[k] = 0;
    for (std::size_t t = 0; t < terms; ++t) {
      const uint64_t* x = a[t] + k0;
      const uint64_t* y = b[t] + k0;
      for (std::size_t k = 0; k < len; ++k) acc[k] += static_cast<math::u128>(x[k]) * y[k];
      // Products are < 2^122: reduce every 32 terms so the sum never reaches 2^128.
      if ((t & 31) == 31)
        for (std::size_t k = 0; k < len; ++k) acc[k] = q.reduce128(acc[k]);
    }
    for (std::size_t k = 0; k < len; ++k) out[k0 + k] = q.reduce128(acc[k]);
  }
}

void mul_scalar_shoup(const uint64_t* a, uint64_t w, uint64_t w_shoup, uint64_t* out, std::size_t n,
                      const math::Modulus& q) {
  const uint64_t m = q.value();
  for (std::size_t i = 0; i < n; ++i) {
    uint64_t r = a[i] * w - math::mul_hi(a[i], w_shoup) * m;
    out[i] = r >= m ? r - m : r;
  }
}

void scale_diff_add_scalar(const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c, uint64_t u,
                           uint64_t* out, std::size_t n, const math::Modulus& q) {
  for (std::size_t i = 0; i < n; ++i) {
    const uint64_t d = b ? q.sub(a[i], b[i]) : a[i];
    math::u128 x = static_cast<math::u128>(d) * w;
    if (c) x += static_cast<math::u128>(c[i]) * u;
    out[i] = q.reduce128(x);
  }
}

}  // namespace

void add_scalar_word(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q) {
  const uint64_t m = q.value();
  for (std::size_t i = 0; i < n; ++i) {
    const uint64_t s = a[i] + w;
    out[i] = s >= m ? s - m : s;
  }
}

void weighted_sum_scalar(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out,
                         std::size_t n, const math::Modulus& q, int /*y_bits*/) {
  constexpr std::size_t kChunk = 64;
  math::u128 acc[kChunk];
  for (std::size_t k0 = 0; k0 < n; k0 += kChunk) {
    const std::size_t len = std::min(kChunk, n - k0);
    for (std::size_t k = 0; k < len; ++k) acc[k] = 0;
    for (std::size_t t = 0; t < terms; ++t) {
      const uint64_t* x = y[t] + k0;
      for (std::size_t k = 0; k < len; ++k) acc[k] += static_cast<math::u128>(x[k]) * w[t];
      if ((t & 31) == 31)  // products < 2^122
        for (std::size_t k = 0; k < len; ++k) acc[k] = q.reduce128(acc[k]);
    }
    for (std::size_t k = 0; k < len; ++k) out[k0 + k] = q.reduce128(acc[k]);
  }
}

const EltwiseKernels kEltwiseScalar = {add_scalar,       sub_scalar, mul_scalar,      mul_add_scalar, inner_product_scalar,
                                       mul_scalar_shoup, nullptr,    add_scalar_word, weighted_sum_scalar,
                                       nullptr,          nullptr,    scale_diff_add_scalar};

}  // namespace ppml::rns::detail
