// Key switching through an auxiliary basis R: the key decomposition of Kim, Lee, Seo and
// Song (CRYPTO 2023, "Accelerating HE operations from key decomposition technique").
//
// With one prime per digit (SEAL's and OpenFHE's default chains), the usual gadget product
// transforms every digit to every prime of Q_l P: terms x (terms + |P|) NTTs at the data
// primes' width (31 x 32 of 54 bits for BFV at 2^16). Here each key row K_j (over Q P) is
// cut into chunks C_k of a few consecutive primes of Q P; the chunk's part K_jk (centred,
// below C_k / 2) is kept over a basis R_k of 50-bit IFMA primes with
// R_k > 2 sum_j |d_j K_jk| (n terms of each negacyclic product), so that
// Y_k = sum_j d_j K_jk is computed exactly over R_k. The digits are transformed once per
// prime of R (shared by every chunk), the inner products run over R, and Y_k comes back by
// two inverse transforms per prime of R_k and an exact conversion to the primes of C_k.
// Since K_jk = K_j mod C_k, Y_k mod those primes is sum_j d_j K_j mod them: the same sums
// as the direct product, bit for bit, in coefficient form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/aligned_buffer.hpp"
#include "rns/base_converter.hpp"
#include "rns/interleaved_rows.hpp"
#include "rns/rns_base.hpp"

namespace ppml::rlwe {

class Context;
struct KeySwitchKey;

// How key switching with one-prime digits forms its sums: Auto takes the auxiliary basis
// where its cost model (aux_basis_cost) predicts a gain, Direct never, Aux whenever the
// key has its auxiliary rows (tests compare the two bit for bit).
enum class KeySwitchMethod { Auto, Direct, Aux };
void set_key_switch_method(KeySwitchMethod m);
KeySwitchMethod key_switch_method();
// Key switches that went through the auxiliary bases since the process started (tests
// check that the path they compare was taken).
uint64_t aux_switch_count();

// The chunks and the auxiliary bases of a context (one-prime digits, at least one special
// prime); built once per context.
struct AuxBasis {
  // Chunk k covers the key's (Q P) indices [starts[k], starts[k + 1]).
  std::vector<std::size_t> starts;
  std::vector<std::shared_ptr<const rns::RnsBase>> r_bases;      // R_k, a prefix of R
  std::vector<std::unique_ptr<rns::BaseConverter>> to_r, from_r;  // C_k -> R_k, R_k -> C_k (exact, centred)
  std::shared_ptr<const rns::RnsBase> r;                          // R (the largest R_k)
  std::vector<std::size_t> row_offset;  // chunk k's first row among a digit's rows
  std::size_t rows = 0;                 // rows per digit and key half: sum_k |R_k|
  bool beneficial = false;              // the cost model's verdict for Auto

  std::size_t chunks() const { return starts.size() - 1; }
};

// The context's auxiliary basis, or null when its digits are not single primes or it has
// no special prime.
const AuxBasis* aux_basis(const Context& ctx);

// A key's rows over the auxiliary bases, evaluation form, packed at R's 50 bits. Row r
// (prime i of R_k is row row_offset[k] + i) holds every digit's two halves interleaved as
// rns::InterleavedRows lays them out, so that an inner product reads one sequential
// stream instead of 2 x digits rows side by side.
struct AuxKey {
  std::vector<AlignedBuffer<uint8_t>> rows;
  std::size_t digits = 0;
  // Row r from coefficient k (a multiple of the span) on.
  rns::InterleavedRows row(std::size_t r, std::size_t k) const;
  std::size_t memory_bytes() const;
};

// Gives `key` its auxiliary rows when the context has an auxiliary basis that Auto would
// use (or the method is Aux) and the key keeps its a-halves, then drops the Q P a-halves
// that the seed regenerates; otherwise leaves the key as it is.
void attach_aux_key(const Context& ctx, KeySwitchKey& key);

// Whether a switch with this key at this level takes the auxiliary basis.
bool uses_aux(const Context& ctx, const KeySwitchKey& key, int level);

// The key inner products of the one-prime digits in `coeff` (level + 1 limbs, coefficient
// form, each shifted by h_j = (q_j - 1) / 2 as key_switch.cpp's centre_source leaves them)
// over Q_l * P: acc0, acc1 (level + 1 + |P| limbs each) in COEFFICIENT form.
void aux_inner_products(const Context& ctx, const uint64_t* coeff, int level, const KeySwitchKey& key, uint64_t* acc0,
                        uint64_t* acc1);

}  // namespace ppml::rlwe
