// Device side of the unary-encoding oracles (OUE [WBLJ17], count-mean sketch [Apple17]):
// one row of `width` independent Bernoulli bits per report, the bit at the report's own
// position drawn with a different probability, packed 8 to a byte.
#pragma once

#include <cstddef>
#include <cstdint>

#include "random/prng.hpp"

namespace ppml::dp::local {

// Bytes of one packed row of `width` bits.
inline std::size_t row_bytes(std::size_t width) { return (width + 7) / 8; }

// For each report i, row i of `out` (n rows of row_bytes(width) bytes, bit j of a row in
// byte j/8 at bit j%8, padding bits zero) holds independent bits with
//   P(bit j = 1) = t_hit / 2^64    for j == positions[i],
//   P(bit j = 1) = t_other / 2^64  otherwise,
// each decided by comparing a uniform 64-bit integer U with the threshold bit by bit
// from the top, only as far as needed (2 random bits per output bit on average).
// Stream order: the keystream as 64-bit little-endian words, each used from bit 0 up;
// per row, per block of 64 positions, per threshold bit from the top, one fresh bit for
// each position still tied, in increasing position order (see unary_bits_impl.hpp).
// The scalar and BMI2 (pdep) kernels give identical rows.
// Preconditions (checked by the caller): positions[i] < width.
void unary_perturb(random::Prng& prng, const uint32_t* positions, std::size_t n, std::size_t width, uint64_t t_hit,
                   uint64_t t_other, uint8_t* out);

// The kernel unary_perturb runs here: "scalar" or "bmi2".
const char* unary_perturb_kernel_name();

// counts[g * width + j] += number of rows i with groups[i] == g (g = 0 for every row when
// groups is null) whose bit j is set; `bits` as written by unary_perturb (padding ignored).
// Preconditions: groups[i] < the number of groups the caller sized `counts` for.
void bit_column_counts(const uint8_t* bits, std::size_t n, std::size_t width, const uint32_t* groups,
                       uint64_t* counts);

}  // namespace ppml::dp::local
