// Dispatch of the element-wise kernels by backend and modulus size.
#include "rns/eltwise.hpp"

#include "common/backend.hpp"

#include <algorithm>
#include <vector>

#include "common/aligned_buffer.hpp"
#include "common/cpu_features.hpp"
#include "common/errors.hpp"
#include "common/fixed_width_packing.hpp"

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

void inner_product2_packed_mod(const uint64_t* const* a, PackedRows b0, PackedRows b1, std::size_t terms,
                               uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& q) {
  if (n % 8 != 0)
    throw_parameter("inner_product2_packed_mod", "n", "is not a multiple of 8", "whole groups of 8 values", n);
  const detail::EltwiseKernels& k = kernels(q);
  if (k.inner_product2_packed) return k.inner_product2_packed(a, b0, b1, terms, out0, out1, n, q);
  if (b0.bits == 64 && b1.bits == 64 && k.inner_product2) {
    // Plain words: the kernel walks whole rows (and prefetches the span after the current).
    std::vector<const uint64_t*> y0(terms), y1(terms);
    for (std::size_t t = 0; t < terms; ++t) {
      y0[t] = reinterpret_cast<const uint64_t*>(b0.rows[t]);
      y1[t] = reinterpret_cast<const uint64_t*>(b1.rows[t]);
    }
    return k.inner_product2(a, y0.data(), y1.data(), terms, out0, out1, n, q);
  }
  detail::inner_product2_packed_blocks(k, a, b0, b1, terms, out0, out1, 0, n, q);
}

void inner_product2_interleaved_mod(const uint64_t* const* a, InterleavedRows key, std::size_t terms, uint64_t* out0,
                                    uint64_t* out1, std::size_t n, const math::Modulus& q) {
  if (n % 8 != 0)
    throw_parameter("inner_product2_interleaved_mod", "n", "is not a multiple of 8", "whole groups of 8 values", n);
  if (terms > key.stored)
    throw_parameter("inner_product2_interleaved_mod", "terms", "exceeds the stored terms",
                    "terms <= " + std::to_string(key.stored), terms);
  const detail::EltwiseKernels& k = kernels(q);
  if (k.inner_product2_interleaved) return k.inner_product2_interleaved(a, key, terms, out0, out1, n, q);
  detail::inner_product2_interleaved_blocks(k, a, key, terms, out0, out1, 0, n, q);
}

namespace detail {

void scale_diff_add(const EltwiseKernels& k, const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c,
                    uint64_t u, uint64_t* out, std::size_t n, const math::Modulus& q) {
  if (k.scale_diff_add) return k.scale_diff_add(a, b, w, c, u, out, n, q);
  // 1024 coefficients at a time: the block stays in L1 between the steps.
  constexpr std::size_t kBlock = 1024;
  alignas(64) uint64_t d[kBlock], e[kBlock];
  const uint64_t w_shoup = q.shoup(w), u_shoup = q.shoup(u);
  for (std::size_t i = 0; i < n; i += kBlock) {
    const std::size_t len = std::min(kBlock, n - i);
    const uint64_t* x = a + i;
    if (b) {
      k.sub(a + i, b + i, d, len, q);
      x = d;
    }
    if (!c) {
      k.mul_scalar(x, w, w_shoup, out + i, len, q);
      continue;
    }
    k.mul_scalar(x, w, w_shoup, d, len, q);
    k.mul_scalar(c + i, u, u_shoup, e, len, q);
    k.add(d, e, out + i, len, q);
  }
}

// The scalar table unpacks with the portable loop, so that it stays the reference.
using GroupUnpacker = void (*)(const uint8_t*, int, std::size_t, uint64_t*);
GroupUnpacker group_unpacker(const EltwiseKernels& k) {
#ifdef PPML_HAVE_ELTWISE_AVX512IFMA
  if (&k != &kEltwiseScalar && effective_backend() == Backend::Avx512 && cpu_features().avx512vbmi)
    return unpack_groups_vbmi;
#endif
  (void)k;
  return unpack_groups;
}

// The two inner products of one block through `k`'s plain kernels.
void inner_product2_plain(const EltwiseKernels& k, const uint64_t* const* x, const uint64_t* const* y0,
                          const uint64_t* const* y1, std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t len,
                          const math::Modulus& q) {
  if (k.inner_product2) return k.inner_product2(x, y0, y1, terms, out0, out1, len, q);
  k.inner_product(x, y0, terms, out0, len, q);
  k.inner_product(x, y1, terms, out1, len, q);
}

void inner_product2_packed_blocks(const EltwiseKernels& k, const uint64_t* const* a, PackedRows b0, PackedRows b1,
                                  std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t first,
                                  std::size_t n, const math::Modulus& q) {
  // 512 coefficients: the IFMA kernel's span; terms x 2 x 4 KiB of scratch stays in L2.
  constexpr std::size_t kBlock = 512;
  AlignedBuffer<uint64_t> scratch(2 * terms * kBlock, Uninitialized{});
  std::vector<const uint64_t*> x(terms), y0(terms), y1(terms);
  // Values k0 .. k0 + len of row t: in place for plain words, else unpacked into `buf`.
  const GroupUnpacker unpack = group_unpacker(k);
  auto row = [unpack](PackedRows b, std::size_t t, std::size_t k0, std::size_t len,
                      uint64_t* buf) -> const uint64_t* {
    if (b.bits == 64) return reinterpret_cast<const uint64_t*>(b.rows[t]) + k0;
    unpack(b.rows[t] + k0 / 8 * static_cast<std::size_t>(b.bits), b.bits, len / 8, buf);
    return buf;
  };
  for (std::size_t k0 = first; k0 < n; k0 += kBlock) {
    const std::size_t len = std::min(kBlock, n - k0);
    for (std::size_t t = 0; t < terms; ++t) {
      x[t] = a[t] + k0;
      y0[t] = row(b0, t, k0, len, scratch.data() + t * kBlock);
      y1[t] = row(b1, t, k0, len, scratch.data() + (terms + t) * kBlock);
    }
    inner_product2_plain(k, x.data(), y0.data(), y1.data(), terms, out0 + k0, out1 + k0, len, q);
  }
}

void inner_product2_interleaved_blocks(const EltwiseKernels& k, const uint64_t* const* a, InterleavedRows key,
                                       std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t first,
                                       std::size_t n, const math::Modulus& q) {
  const GroupUnpacker unpack = group_unpacker(k);
  AlignedBuffer<uint64_t> scratch(2 * terms * kInterleaveSpan, Uninitialized{});
  std::vector<const uint64_t*> x(terms), y0(terms), y1(terms);
  for (std::size_t k0 = first; k0 < n; k0 += kInterleaveSpan) {
    const std::size_t len = std::min(kInterleaveSpan, n - k0);
    for (std::size_t t = 0; t < terms; ++t) {
      x[t] = a[t] + k0;
      for (int half = 0; half < 2; ++half) {
        uint64_t* buf = scratch.data() + (2 * t + static_cast<std::size_t>(half)) * kInterleaveSpan;
        for (std::size_t v = 0; v < len; v += 8)
          unpack(key.base + interleaved_offset(key.stored, key.bits, half, t, k0 + v), key.bits, 1, buf + v);
        (half == 0 ? y0 : y1)[t] = buf;
      }
    }
    inner_product2_plain(k, x.data(), y0.data(), y1.data(), terms, out0 + k0, out1 + k0, len, q);
  }
}

}  // namespace detail

void neg_mod(const uint64_t* a, uint64_t* out, std::size_t n, const math::Modulus& q) {
  const uint64_t m = q.value();
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] == 0 ? 0 : m - a[i];
}

void mul_scalar_mod(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).mul_scalar(a, w, q.shoup(w), out, n, q);
}

void weighted_sum_mod(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out, std::size_t n,
                      const math::Modulus& q, int y_bits) {
#ifdef PPML_HAVE_WEIGHTED_SUM_WIDE_AVX512IFMA
  // Narrow inputs (a digit of 40-50-bit primes, special primes below 2^50) into a 51-61-bit
  // prime: IFMA products instead of the 64-bit lanes' four 32-bit ones.
  if (ifma_enabled() && y_bits <= 52 && q.value() >= (uint64_t{1} << 50) && q.bits() <= 61)
    return detail::weighted_sum_wide_target(y, w, terms, out, n, q);
#endif
  kernels(q).weighted_sum(y, w, terms, out, n, q, y_bits);
}

void add_scalar_mod(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q) {
  kernels(q).add_scalar(a, w, out, n, q);
}

void scale_diff_add_mod(const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c, uint64_t u,
                        uint64_t* out, std::size_t n, const math::Modulus& q) {
  detail::scale_diff_add(kernels(q), a, b, w, c, u, out, n, q);
}

}  // namespace ppml::rns
