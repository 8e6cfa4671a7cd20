// Hybrid key switching (Han-Ki 2020) with hoisting (Halevi-Shoup 2018): the input is
// split into digits, each raised from its primes to Q_l*P (ModUp), multiplied with the
// key and summed (inner product), and the result divided by P (ModDown).
#pragma once

#include <vector>

#include "common/aligned_buffer.hpp"
#include "he/rlwe/keys.hpp"
#include "random/aes_ctr.hpp"

namespace ppml::rlwe {

// The digits of one polynomial raised to Q_l * P, evaluation form: digit j occupies
// (level + 1 + |P|) limbs, data primes first, then the special primes.
struct Decomposition {
  int level = -1;
  std::size_t limbs = 0;
  std::vector<AlignedBuffer<uint64_t>> digits;
};

// d: evaluation form at some level.
Decomposition decompose(const Context& ctx, const rns::RnsPoly& d);

// (u0, u1) at the decomposition's level with u0 + u1 s ~ d s'. With `perm` (an
// evaluation-form automorphism permutation), switches sigma(d) instead: hoisting.
void apply_switch_key(const Context& ctx, const Decomposition& dec, const KeySwitchKey& key, const uint32_t* perm,
                      rns::RnsPoly& u0, rns::RnsPoly& u1);

// The key inner products of d (evaluation form; sigma(d) with `perm`) over Q_l * P
// (level + 1 + |P| limbs each, data primes first, evaluation form), about P (u0, u1):
// apply_switch_key without its ModDown, for double hoisting. The decomposition is
// formed limb by limb beside the products, never whole.
void key_inner_products_qp(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, const uint32_t* perm,
                           uint64_t* acc0, uint64_t* acc1);

// Coefficients per piece of HoistedKeyProducts::compute (the key expansion's and the IFMA
// inner product's block).
constexpr std::size_t kKeyPiece = 512;

// key_inner_products_qp for several keys (and permutations, null for none) on one
// decomposition, a piece at a time: key r's inner products on target limb t (data primes
// first, as in Decomposition) for coefficients [begin, end), multiples of kKeyPiece (or
// the whole limb). The caller consumes each piece while it is in cache (the babies of a
// linear transform are multiplied by their diagonals at once, never stored whole).
// Holds references to ctx and dec.
class HoistedKeyProducts {
 public:
  HoistedKeyProducts(const Context& ctx, const Decomposition& dec, std::vector<const KeySwitchKey*> keys,
                     std::vector<const uint32_t*> perms);
  // out0 and out1 receive coefficients begin .. end - 1.
  void compute(std::size_t r, std::size_t t, std::size_t begin, std::size_t end, uint64_t* out0,
               uint64_t* out1) const;

 private:
  const Context& ctx_;
  const Decomposition& dec_;
  std::vector<const KeySwitchKey*> keys_;
  std::vector<const uint32_t*> perms_;
  std::vector<random::Aes128Key> aes_;
};

// ModDown of two Q_l * P accumulators: (u0, u1) = round(acc / P) over Q_l.
// `acc_coeff`: the accumulators are in coefficient form (key switching through the
// auxiliary bases) instead of evaluation form.
void mod_down_qp(const Context& ctx, int level, const uint64_t* acc0, const uint64_t* acc1, rns::RnsPoly& u0,
                 rns::RnsPoly& u1, bool acc_coeff = false);

// mod_down_qp of one accumulator: u = round(acc / P) over Q_l.
void mod_down_one_qp(const Context& ctx, int level, const uint64_t* acc, rns::RnsPoly& u);

// mod_down_qp with (c0, c1) in coefficient form (level + 1 limbs each) added: u = c +
// round(acc / P) in evaluation form, one forward transform per limb instead of two.
void mod_down_add_qp(const Context& ctx, int level, const uint64_t* acc0, const uint64_t* acc1, const uint64_t* c0,
                     const uint64_t* c1, rns::RnsPoly& u0, rns::RnsPoly& u1, bool acc_coeff = false);

// ModDown by q_l * P of a key-switching sum over Q_l * P with (c0, c1) over Q_l folded in:
// round((P c + acc) / (q_l P)) over Q_{l-1}, what relinearize then rescale would give
// (one transform per kept limb instead of three). Null c0 and c1: round(acc / (q_l P)).
void mod_down_rescale_qp(const Context& ctx, int level, uint64_t* acc0, uint64_t* acc1, const rns::RnsPoly* c0,
                         const rns::RnsPoly* c1, rns::RnsPoly& u0, rns::RnsPoly& u1, bool acc_coeff = false);

// Whether the digits at this level are single primes (switch_key_add then reads d_coeff only).
bool one_prime_digits(const Context& ctx, int level);

// decompose + apply.
void switch_key(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, rns::RnsPoly& u0,
                rns::RnsPoly& u1);

// A product (c0, c1, d) with all three in coefficient form relinearized: (u0, u1) = (c0,
// c1) + the switched d, evaluation form (mod_down_add_qp). d_coeff holds d limb after limb
// and is overwritten (scratch). With one-prime digits d's RnsPoly gives only the shape:
// each digit's own limb is transformed from d_coeff like the others (the same values);
// digits of several primes transform d itself.
void switch_key_add(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, uint64_t* d_coeff,
                    const uint64_t* c0, const uint64_t* c1, rns::RnsPoly& u0, rns::RnsPoly& u1);

// Key switching of d (level l >= 1) added to (c0, c1) and divided by q_l in the same
// pass as ModDown: (u0, u1) over Q_{l-1} with u0 + u1 s ~ (c0 + c1 s + d s') / q_l. A
// relinearization followed by a rescale, rounded exactly as the two are.
void switch_key_rescale(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, const rns::RnsPoly& c0,
                        const rns::RnsPoly& c1, rns::RnsPoly& u0, rns::RnsPoly& u1);

}  // namespace ppml::rlwe
