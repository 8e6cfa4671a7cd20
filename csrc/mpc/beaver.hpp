// The local steps of Beaver's multiplication with a preprocessed triple c = a * b [Bea91],
// two parties, additive shares over Z_2^64: each party opens d = x - a and e = y - b, then
//   z_i = c_i + d * b_i + e * a_i + [i == 0] d * e,   so z_0 + z_1 = x * y.
// The matrix form (C = A @ B) gives Z = X @ Y with Z_i = C_i + D @ B_i + A_i @ E + [i == 0] D @ E.
// Boolean (XOR-shared, bitwise AND) triples over packed 64-bit words work the same way with
// + replaced by XOR and * by AND.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ppml::mpc {

// out[j] = x[j] - a[j] mod 2^64: the masked value a party sends to be opened.
void beaver_mask(const uint64_t* x, const uint64_t* a, std::size_t count, uint64_t* out);

// Elementwise product share (see header). d and e are the opened values; party is 0 or 1.
void beaver_mul_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a, const uint64_t* b,
                       const uint64_t* c, std::size_t count, uint64_t* out);

// Matrix product share: D (m x k) and E (k x n) opened, A_i (m x k), B_i (k x n),
// C_i (m x n) this party's triple shares. Writes Z_i (m x n). Computed as
// C_i + D @ (B_i + [i == 0] E) + A_i @ E: two products instead of three.
void beaver_matmul_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a, const uint64_t* b,
                          const uint64_t* c, std::size_t m, std::size_t k, std::size_t n, uint64_t* out);

// Transposed form for a tall matrix stored once: D and A_i are k x m (so the product uses
// D^T and A_i^T), E and B_i are k x n, C_i and the output m x n.
void beaver_matmul_tn_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a,
                             const uint64_t* b, const uint64_t* c, std::size_t k, std::size_t m, std::size_t n,
                             uint64_t* out);

// Boolean AND on packed words: out = c ^ (d & b) ^ (e & a) ^ ([i == 0] (d & e)).
void beaver_and_finish(int party, const uint64_t* d, const uint64_t* e, const uint64_t* a, const uint64_t* b,
                       const uint64_t* c, std::size_t count, uint64_t* out);

// Shares of several AND monomials of XOR-shared words in one round (multi-input Beaver):
// each variable v_i (i < vars) was opened masked, deltas[i * m + w] = v_i ^ alpha_i, and the
// dealer shared alpha_S = AND_{i in S} alpha_i for every nonempty subset S (bit mask over
// the variables) in subset_ids[0..k), with shares subset_shares[s * m + w]. Then
//   AND_{i in M} v_i = XOR_{S subset of M} (AND_{i in M \ S} delta_i) & alpha_S,
// alpha_{} = all ones (party 0 adds that term). Writes out[j * m + w] for monomial
// monomials[j]. Throws ParameterError unless vars <= 8, party is 0 or 1 and every nonempty
// subset of every monomial is among subset_ids.
void beaver_and_monomials(int party, const uint64_t* deltas, int vars, std::size_t m, const uint64_t* subset_ids,
                          const uint64_t* subset_shares, std::size_t k, const uint64_t* monomials, std::size_t count,
                          uint64_t* out);

}  // namespace ppml::mpc
