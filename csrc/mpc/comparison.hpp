// Local steps of the two-party secure comparison (sign bit) on a dealer mask r shared both
// additively and bitwise, and of the ReLU built on it (see pyppml/mpc/protocols.py):
//   c = x + r is opened; msb(x) = c_63 ^ r_63 ^ [c mod 2^63 < r mod 2^63];
//   the comparison of public c with XOR-shared r runs on generate/propagate words.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::mpc {

// Per element, XOR shares of g = r & ~c (bits 0..62: r has 1, c has 0) and p = ~(c ^ r)
// (bits 0..62 equal; bit 63 set to 1 so it is neutral in the tree): rb is this party's
// XOR share of r, c the opened value. Party 0 carries the public parts.
void comparison_start(int party, const uint64_t* c, const uint64_t* rb, std::size_t n, uint64_t* g, uint64_t* p);

// XOR share of the bit [x >= 0] = 1 ^ msb(x), in {0, 1}, from the tree's final g (bit 0 is
// [c_low < r_low]), this party's share rb of r and the opened c.
void comparison_nonnegative(int party, const uint64_t* c, const uint64_t* rb, const uint64_t* g, std::size_t n,
                            uint64_t* out);

// ReLU share from the opened t = b ^ s (b = [x >= 0], s the dealer bit), this party's share
// of x, the opened d = x - a and the shares of s and a*s:
//   x * b = t x + (1 - 2t) (d s + a s)   (mod 2^64).
void relu_finish(const uint64_t* t, const uint64_t* x, const uint64_t* d, const uint64_t* s, const uint64_t* as,
                 std::size_t n, uint64_t* out);

}  // namespace ppml::mpc
