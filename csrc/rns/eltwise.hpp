// Element-wise modular kernels over one limb (n words modulo q): the inner loops of every
// polynomial operation. Dispatched to SIMD variants when present; every variant is
// bit-identical to the scalar one. Inputs in [0, q) unless stated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "math/modulus.hpp"
#include "rns/interleaved_rows.hpp"

namespace ppml::rns {

void add_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q);
void sub_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q);
void neg_mod(const uint64_t* a, uint64_t* out, std::size_t n, const math::Modulus& q);
// out = a * b mod q.
void mul_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q);
// out = out + a * b mod q.
void mul_add_mod(const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t n, const math::Modulus& q);
// out[k] = sum_t a[t][k] * b[t][k] mod q over `terms` pairs, reduced once per
// coefficient (lazy 128-bit accumulation): the key-switching inner product.
void inner_product_mod(const uint64_t* const* a, const uint64_t* const* b, std::size_t terms, uint64_t* out,
                       std::size_t n, const math::Modulus& q);
// out0 = sum_t a[t] b0[t], out1 = sum_t a[t] b1[t] (mod q), reading `a` once.
void inner_product2_mod(const uint64_t* const* a, const uint64_t* const* b0, const uint64_t* const* b1,
                        std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& q);
// A stack of operand rows as stored in memory: row t's values from coefficient 0 at
// rows[t], `bits` per value in the bit-stream groups of common/fixed_width_packing.hpp
// (rns/packed_poly.hpp: key-switching keys), or plain words when bits is 64. Packed rows
// are readable 64 bytes past every group's start (kGroupOverread padding).
struct PackedRows {
  const uint8_t* const* rows;
  int bits;
};
// inner_product2_mod with b0 and b1 read from (possibly) packed rows; n a multiple of 8.
// The same bits as unpacking the rows first.
void inner_product2_packed_mod(const uint64_t* const* a, PackedRows b0, PackedRows b1, std::size_t terms,
                               uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& q);
// inner_product2_mod with b0 and b1 the two halves of the first `terms` terms of `key`
// (rns/interleaved_rows.hpp), coefficients 0 .. n - 1 of its layout; n a multiple of 8.
void inner_product2_interleaved_mod(const uint64_t* const* a, InterleavedRows key, std::size_t terms, uint64_t* out0,
                                    uint64_t* out1, std::size_t n, const math::Modulus& q);
// out = a * w mod q for a scalar w < q (Shoup); `a` may be any 64-bit values (with w = 1
// this reduces arbitrary words modulo q).
void mul_scalar_mod(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q);
// out[k] = sum_t y[t][k] * w[t] mod q for scalars w[t] < q and y values below 2^y_bits
// (y_bits <= 61): the fast base conversion's accumulation (weights (Q/q_i) mod p).
void weighted_sum_mod(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out, std::size_t n,
                      const math::Modulus& q, int y_bits);
// out = (a + w) mod q for a scalar w < q.
void add_scalar_mod(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q);
// out = ((a - b) w + c u) mod q for a, b, c in [0, q) and scalars w, u < q; b and c may
// be null (zero). One pass for the tails of ModDown and of the rescale fused with it,
// where sub_mod, two mul_scalar_mod and add_mod took four.
void scale_diff_add_mod(const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c, uint64_t u,
                        uint64_t* out, std::size_t n, const math::Modulus& q);

// The kernel family used for this modulus under the current backend setting.
std::string eltwise_kernel_name(const math::Modulus& q);

namespace detail {
struct EltwiseKernels {
  void (*add)(const uint64_t*, const uint64_t*, uint64_t*, std::size_t, const math::Modulus&);
  void (*sub)(const uint64_t*, const uint64_t*, uint64_t*, std::size_t, const math::Modulus&);
  void (*mul)(const uint64_t*, const uint64_t*, uint64_t*, std::size_t, const math::Modulus&);
  void (*mul_add)(const uint64_t*, const uint64_t*, uint64_t*, std::size_t, const math::Modulus&);
  void (*inner_product)(const uint64_t* const*, const uint64_t* const*, std::size_t, uint64_t*, std::size_t,
                        const math::Modulus&);
  // out = a * w mod q (Shoup, w' = floor(w 2^64 / q)); any 64-bit a, w < q.
  void (*mul_scalar)(const uint64_t*, uint64_t, uint64_t, uint64_t*, std::size_t, const math::Modulus&);
  // Two inner products sharing the first operand (null: two inner_product calls).
  void (*inner_product2)(const uint64_t* const*, const uint64_t* const*, const uint64_t* const*, std::size_t,
                         uint64_t*, uint64_t*, std::size_t, const math::Modulus&);
  // out = (a + w) mod q for a, w in [0, q).
  void (*add_scalar)(const uint64_t*, uint64_t, uint64_t*, std::size_t, const math::Modulus&);
  // out = sum_t y[t] * w[t] mod q, y < 2^y_bits <= 2^61 (a bound the kernels may use).
  void (*weighted_sum)(const uint64_t* const*, const uint64_t*, std::size_t, uint64_t*, std::size_t,
                       const math::Modulus&, int);
  // inner_product2 on packed rows, unpacked in registers (null: unpacked block by block
  // into L1/L2 scratch, then inner_product2).
  void (*inner_product2_packed)(const uint64_t* const*, PackedRows, PackedRows, std::size_t, uint64_t*, uint64_t*,
                                std::size_t, const math::Modulus&);
  // inner_product2 on interleaved key rows, read as one stream (null: unpacked span by
  // span into scratch, then inner_product2).
  void (*inner_product2_interleaved)(const uint64_t* const*, InterleavedRows, std::size_t, uint64_t*, uint64_t*,
                                     std::size_t, const math::Modulus&);
  // scale_diff_add_mod (null: composed from sub, mul_scalar and add block by block).
  void (*scale_diff_add)(const uint64_t*, const uint64_t*, uint64_t, const uint64_t*, uint64_t, uint64_t*,
                         std::size_t, const math::Modulus&);
};
// scale_diff_add_mod through `k`: its fused kernel, or else its sub, mul_scalar and add.
void scale_diff_add(const EltwiseKernels& k, const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c,
                    uint64_t u, uint64_t* out, std::size_t n, const math::Modulus& q);
// inner_product2_packed_mod through `k`'s plain kernels on coefficients first .. n - 1
// (first and n multiples of 8), the rows unpacked into scratch span by span.
void inner_product2_packed_blocks(const EltwiseKernels& k, const uint64_t* const* a, PackedRows b0, PackedRows b1,
                                  std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t first,
                                  std::size_t n, const math::Modulus& q);
// inner_product2_interleaved_mod through `k`'s plain kernels on coefficients first .. n - 1
// (first a multiple of kInterleaveSpan), the rows unpacked into scratch span by span.
void inner_product2_interleaved_blocks(const EltwiseKernels& k, const uint64_t* const* a, InterleavedRows key,
                                       std::size_t terms, uint64_t* out0, uint64_t* out1, std::size_t first,
                                       std::size_t n, const math::Modulus& q);
void mul_scalar_avx512(const uint64_t* a, uint64_t w, uint64_t w_shoup, uint64_t* out, std::size_t n,
                       const math::Modulus& q);
void add_scalar_avx512(const uint64_t* a, uint64_t w, uint64_t* out, std::size_t n, const math::Modulus& q);
void weighted_sum_avx512(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out,
                         std::size_t n, const math::Modulus& q, int y_bits);
// Whole groups of packed values (bits <= 57) by byte permutes: built with the IFMA kernels
// (PPML_HAVE_ELTWISE_AVX512IFMA), for CPUs with AVX-512 VBMI.
void unpack_groups_vbmi(const uint8_t* in, int bits, std::size_t groups, uint64_t* out);
// kEltwiseAvx512's inner_product2_packed, built with the IFMA kernels for VBMI (checked
// at run time: else the block path).
void inner_product2_packed_avx512(const uint64_t* const* a, PackedRows b0, PackedRows b1, std::size_t terms,
                                  uint64_t* out0, uint64_t* out1, std::size_t n, const math::Modulus& q);
// weighted_sum_mod for narrow inputs (y < 2^52) and a wide target q in [2^50, 2^61) on
// IFMA (the weights split at 2^52; rns/weighted_sum_wide_avx512ifma.cpp), for the avx512
// backend on CPUs with IFMA (checked by the caller). Bit-identical (outputs in [0, q)).
void weighted_sum_wide_target(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out,
                              std::size_t n, const math::Modulus& q);
// kEltwiseAvx512Ifma's products by broadcast scalars (rns/scalar_weights_avx512ifma.cpp,
// built with PPML_HAVE_ELTWISE_AVX512IFMA).
void mul_scalar_ifma(const uint64_t* a, uint64_t w, uint64_t w_shoup, uint64_t* out, std::size_t n,
                     const math::Modulus& q);
void weighted_sum_ifma(const uint64_t* const* y, const uint64_t* w, std::size_t terms, uint64_t* out, std::size_t n,
                       const math::Modulus& q, int y_bits);
void scale_diff_add_ifma(const uint64_t* a, const uint64_t* b, uint64_t w, const uint64_t* c, uint64_t u,
                         uint64_t* out, std::size_t n, const math::Modulus& q);
extern const EltwiseKernels kEltwiseScalar;
// Present when rns/eltwise_avx512.cpp is built (PPML_HAVE_ELTWISE_AVX512).
extern const EltwiseKernels kEltwiseAvx512;
extern const EltwiseKernels kEltwiseAvx512Ifma;  // q < 2^50
}  // namespace detail

}  // namespace ppml::rns
