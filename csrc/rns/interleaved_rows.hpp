// Key rows interleaved for one sequential read. The inner product of a key switch reads
// both halves of every digit's row: 2 x digits streams side by side (82 at 2^16), more
// than the hardware prefetchers follow, so a core read them at about half its streaming
// rate. Laid out in the order the span kernel consumes them, they are one stream that a
// software prefetch a few KiB ahead keeps in flight (the auxiliary-basis rows,
// he/rlwe/key_switch_aux.hpp).
//
// Layout of `stored` terms packed at `bits` per value (8 values in `bits` bytes): for each
// span of kInterleaveSpan coefficients, the terms in groups of kInterleaveGroup; within a
// group, for each 8 coefficients, each term's half 0 then half 1.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::rns {

constexpr std::size_t kInterleaveSpan = 512, kInterleaveGroup = 4;

struct InterleavedRows {
  const uint8_t* base;  // the first span's first byte
  int bits;             // <= 57
  std::size_t stored;   // terms in the layout (a read may use a prefix of them)
};

// Bytes of one span (every stored term, both halves).
std::size_t interleaved_span_bytes(std::size_t stored, int bits);
// Bytes for n coefficients: whole spans plus the padding that 64-byte group reads need
// (zeroed by the caller's buffer, or never used: unpacking masks it off).
std::size_t interleaved_bytes(std::size_t stored, int bits, std::size_t n);
// Byte offset of the 8 values of half `half`, term t, from coefficient k (a multiple of 8).
std::size_t interleaved_offset(std::size_t stored, int bits, int half, std::size_t t, std::size_t k);
// Packs values[0 .. n) (each below 2^bits, n a multiple of 8) as half `half` of term t.
void pack_interleaved(const uint64_t* values, std::size_t n, std::size_t stored, int bits, int half, std::size_t t,
                      uint8_t* base);

}  // namespace ppml::rns
