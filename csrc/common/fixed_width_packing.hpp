// Fixed-width bit packing of 64-bit words: the compact wire form of ring coefficients
// (count values of `bits` bits -> ceil(count * bits / 8) bytes), and a fused
// unpack-and-add mod q for aggregating many clients' packed vectors.
//
// Stream layout (little-endian bit stream): value i occupies stream bits
// [i * bits, (i + 1) * bits), least significant bit first, and stream bit j is bit (j % 8)
// of byte j / 8. The padding bits above the last value in the last byte are zero.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml {

// ceil(count * bits / 8).
// Throws ParameterError if bits is not in [1, 64] or count * bits overflows size_t; the
// message names `api` (callers that size a buffer before packing pass their own name).
std::size_t packed_size(std::size_t count, int bits, const char* api = "packed_size");

// Packs in[0 .. count) into out[0 .. packed_size(count, bits)); every value < 2^bits.
// `out` need not be zeroed and must not overlap `in`; only those bytes are written.
// Throws ParameterError if bits is not in [1, 64], count * bits overflows, or a value is
// >= 2^bits (the message names its index); values are checked before anything is written.
void pack_fixed_width(const uint64_t* in, std::size_t count, int bits, uint8_t* out);

// Checks that in[0 .. nbytes) is a well-formed stream of count values of `bits` bits without
// decoding it (lets a caller reject bad bytes before allocating the output).
// Throws as unpack_fixed_width does, naming `api`.
void check_packed_stream(const uint8_t* in, std::size_t nbytes, int bits, std::size_t count,
                         const char* api = "check_packed_stream");

// Inverse of pack_fixed_width: reads in[0 .. nbytes) and writes out[0 .. count), each value
// in [0, 2^bits). `out` must not overlap `in`.
// Throws ParameterError if bits is not in [1, 64] or count * bits overflows; FormatError if
// nbytes != packed_size(count, bits) or a padding bit is set. Checked before any write.
void unpack_fixed_width(const uint8_t* in, std::size_t nbytes, int bits, std::size_t count, uint64_t* out);

// Unchecked unpacking of whole groups (8 values of `bits` bits fill `bits` bytes): the loop
// of data kept packed in memory (rns/packed_poly.hpp), whose bounds are the caller's. Reads
// up to kGroupOverread bytes past the end of the last group: the caller's buffer is padded.
constexpr std::size_t kGroupOverread = 16;
void unpack_groups(const uint8_t* in, int bits, std::size_t groups, uint64_t* out);

// acc[i] = (acc[i] + v_i) mod modulus for i < count, where v_0 .. v_{count-1} are the values
// packed in in[0 .. nbytes). Inputs: every acc[i] and every v_i in [0, modulus); output: every
// acc[i] in [0, modulus). Everything is validated before the first write, so on a throw `acc`
// is left exactly as it was (malformed bytes never half-update an accumulator).
// Throws ParameterError if bits is not in [1, 64], count * bits overflows, modulus is not in
// [2, 2^63), acc overlaps the packed bytes, or some acc[i] >= modulus; FormatError if
// nbytes != packed_size(count, bits), a padding bit is set, or some v_i >= modulus.
void accumulate_packed_mod(uint64_t* acc, std::size_t count, const uint8_t* in, std::size_t nbytes, int bits,
                           uint64_t modulus);

}  // namespace ppml
