// Packing of sparse bit positions of many words into few words, for the log-depth
// comparison circuit on XOR shares: at level j of the carry tree only the bit positions
// that are multiples of F = 2^(j+1) of each element's word carry information, so F
// elements fit in one word (element k of a group moved up by k bits). Packing and
// unpacking are XOR-linear, so parties apply them to their shares locally; the opened
// Beaver values of a level then take n / F words instead of n.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::mpc {

// Mask of the bit positions that are multiples of 2^log_f (log_f in [0, 6]).
uint64_t stride_mask(int log_f);

// out[w] = OR_{k < F} (((x[w * F + k] >> shift) & stride_mask(log_f)) << k), F = 2^log_f,
// for w < ceil(n / F); elements past n count as 0. Throws ParameterError unless
// 0 <= log_f <= 6 and 0 <= shift < 64.
void pack_strided(const uint64_t* x, std::size_t n, int log_f, uint64_t* out, int shift = 0);

// The seven packed inputs of one level of the 4-ary carry tree, rows of out (7 x words):
// p >> 3s, p >> 2s, p >> s, p, g >> 2s, g >> s, g, each packed with log_f (s = 4^level,
// log_f = 2 (level + 1)). Throws ParameterError like pack_strided.
void pack_tree4_inputs(const uint64_t* p, const uint64_t* g, std::size_t n, int log_f, int s, uint64_t* out);

// Inverse on the masked positions: out[i] = (w[i / F] >> (i % F)) & stride_mask(log_f), i < n.
void unpack_strided(const uint64_t* w, std::size_t n, int log_f, uint64_t* out);

}  // namespace ppml::mpc
