// Dispatch of the element-wise kernels by backend and modulus size.
#include "rns/eltwise.hpp"

#include "common/backend.hpp"

namespace ppml::rns {
namespace {

const detail::EltwiseKernels& kernels(const math::Modulus& q) {
#ifdef PPML_HAVE_ELTWISE_AVX512IFMA
  if (ifma_enabled() && q.value() < (uint64_t{1} << 50)) return detail::kEltwiseAvx512Ifma;
#endif
#ifdef PPML_HAVE_ELTWISE_AVX512
  if (effective_backend() == Backend::Avx512) return detail::kEltwiseAvx512;
#endif
  (void)q;
  return detail::kEltwiseScalar;
}

}  // namespace

std::string eltwise_kernel_name(const math::Modulus& q) {
  const detail::EltwiseKernels* k = &kernels(q);
  if (k == &detail::kEltwiseScalar) return "scalar";
#ifdef PPML_HAVE_ELTWISE_AVX512IFMA
  if (k == &detail::kEltwiseAvx512Ifma) return "avx512ifma";
#endif
  return "avx512";
}

void add_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).add(a, b, out, n, q);
}
void sub_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).sub(a, b, out, n, q);
}
void mul_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).mul(a, b, out, n, q);
}
void mul_add_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).mul_add(a, b, out, n, q);
}

void inner_product_mod(const uint64_t* const* a, const uint64_t* const* b, std::size_t terms, uint64_t* out,
                       std::size_t n, const math::Modulus& q) {
  kernels(q).inner_product(a, b, terms, out, n, q);
}

void inner_product2_mod(const uint64_t* const* a, const uint64_t* const* b0, const uint64_t* const* b1,
                        std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& q) {
  const detail::EltwiseKernels& k = kernels(q);
  if (k.inner_product2) return k.inner_product2(a, b0, b1, terms, out0, out1, n, q);
  k.inner_product(a, b0, terms, out0, n, q);
  k.inner_product(a, b1, terms, out1, n, q);
}

void neg_mod(const uint64_t* a, uint64_t* out, std::size_t n, const math::Modulus& q) {
  const uint64_t m = q.value();
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] == 0 ? 0 : m - a[i];
}

void mul_scalar_mod(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).mul_scalar(a, w, q.shoup(w), out, n, q);
}

void weighted_sum_mod(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out, std::size_t n,
                      const math::Modulus& q, int y_bits) {
  kernels(q).weighted_sum(y, w, terms, out, n, q, y_bits);
}

void add_scalar_mod(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).add_scalar(a, w, out, n, q);
}

}  // namespace ppml::rns
