// Scalar element-wise kernels: the reference for the SIMD ones.
#include "rns/eltwise.hpp"

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

}  // namespace

const EltwiseKernels kEltwiseScalar = {add_scalar, sub_scalar, mul_scalar, mul_add_scalar};

}  // namespace ppml::rns::detail
