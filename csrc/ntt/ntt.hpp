// Negacyclic NTT over Z_q[X]/(X^n + 1): dispatcher to the scalar, AVX2, AVX-512 (DQ,
// 64-bit lanes) and AVX-512 IFMA52 kernels. Forward output is in bit-reversed evaluation
// order (slot i holds a(psi^(2*bitrev(i)+1))); inverse takes that order back, so
// pointwise products need no permutation.
#pragma once

#include <cstdint>
#include <string>

#include "ntt/ntt_tables.hpp"

namespace ppml::ntt {

// Which kernel runs for these tables under the current backend setting:
// "scalar", "avx2", "avx512" (64-bit lanes) or "avx512ifma" (52-bit lanes, q < 2^50).
std::string kernel_name(const NttTables& tables);

// In place; input coefficients in [0, q), output in [0, q).
void forward_inplace(uint64_t* a, const NttTables& tables);
void inverse_inplace(uint64_t* a, const NttTables& tables);
// out = NTT((in + shift) mod q) for in in [0, 2q) and shift < q; `in` may be `out`. The
// AVX-512 kernels fold the copy, the shift and the reduction into their first pass (key
// switching raises every digit to every prime this way; a residue of a prime below 2q
// needs no separate reduction).
void forward(const uint64_t* in, uint64_t shift, uint64_t* out, const NttTables& tables);
// out = INTT(in), in and out distinct or the same; the AVX-512 kernels read `in` in their
// first pass instead of copying it first.
void inverse(const uint64_t* in, uint64_t* out, const NttTables& tables);
// Whether `forward` modulo q takes residues modulo `in_modulus` as they are: every value
// below in_modulus is below 2q (in_modulus odd, so in_modulus <= 2q means < 2q).
constexpr bool forward_reduces(uint64_t in_modulus, uint64_t q) { return in_modulus / 2 < q; }

// Largest modulus the IFMA52 kernels accept (lazy values in [0, 4q) < 2^52).
constexpr uint64_t kIfmaMaxModulus = uint64_t{1} << 50;

namespace detail {
// Each kernel: input in [0, q), output in [0, q), bit-identical to the scalar one.
void forward_scalar(uint64_t* a, const NttTables& t);
void inverse_scalar(uint64_t* a, const NttTables& t);
void forward_avx2(uint64_t* a, const NttTables& t);
void inverse_avx2(uint64_t* a, const NttTables& t);
void forward_avx512(uint64_t* a, const NttTables& t);
void inverse_avx512(uint64_t* a, const NttTables& t);
void forward_avx512ifma(uint64_t* a, const NttTables& t);
void forward_avx512_from(const uint64_t* in, uint64_t shift, uint64_t* out, const NttTables& t);
void forward_avx512ifma_from(const uint64_t* in, uint64_t shift, uint64_t* out, const NttTables& t);
void inverse_avx512ifma(uint64_t* a, const NttTables& t);
void inverse_avx512_from(const uint64_t* in, uint64_t* out, const NttTables& t);
void inverse_avx512ifma_from(const uint64_t* in, uint64_t* out, const NttTables& t);
}  // namespace detail

}  // namespace ppml::ntt
