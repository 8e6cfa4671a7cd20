#include "he/rlwe/key_switch.hpp"

#include <cstring>
#include <stdexcept>

#include "common/errors.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::rlwe {
namespace {

// Index in Q*P (the key's base) of limb t of a level-l extended polynomial.
inline std::size_t key_index(const Context& ctx, int level, std::size_t t) {
  return t <= static_cast<std::size_t>(level) ? t : ctx.q_count() + (t - level - 1);
}

// Centred digits. With digits in [0, q) their mean q/2 multiplies the key's error e into
// (q / 2P) times a running sum of e's coefficients (a negacyclic convolution with a
// constant): a low-frequency error of std ~sqrt(n) sigma that decrypts to spikes, 100x the
// median, in the same few slots (roots near +-1) of every ciphertext of a key set. The
// centred value x_c = x - q [x > (q-1)/2] is ((x + h) mod q) - h with h = (q - 1) / 2:
// `centre_source` adds h once per digit (in place, mod q), `raise_limb` subtracts [h]_t
// after the reduction to each target prime; both are SIMD kernels.
void centre_source(uint64_t* limb, uint64_t n, const math::Modulus& q) {
  rns::add_scalar_mod(limb, (q.value() - 1) >> 1, limb, n, q);
}

// A one-prime digit, shifted by centre_source, as a limb of prime `target` (QP index) in
// evaluation form: a copy when q_src <= q_target, else x mod q (SIMD Shoup product with
// 1), minus [h]_target, then the NTT.
void raise_limb(const Context& ctx, const uint64_t* src, uint64_t q_src, std::size_t target, uint64_t* dst) {
  const uint64_t n = ctx.n();
  const math::Modulus& q = ctx.modulus(target);
  const uint64_t minus_h = q.neg(q.reduce((q_src - 1) >> 1));
  if (q_src <= q.value()) {
    rns::add_scalar_mod(src, minus_h, dst, n, q);  // the copy and the shift in one pass
  } else {
    rns::mul_scalar_mod(src, 1, dst, n, q);
    rns::add_scalar_mod(dst, minus_h, dst, n, q);
  }
  ntt::forward_inplace(dst, ctx.ntt(target));
}

// ModDown: (acc - [acc]_P) * P^-1 over Q_l, with [acc]_P the CENTRED remainder converted
// exactly (acc has level+1+|P| limbs in evaluation form). A remainder in [0, P) floors
// instead of rounding, and the approximate conversion adds alpha * P with alpha in [0, |P|):
// both biases are the same on every coefficient and decrypt to a multiple of (1 + s) times
// the all-ones polynomial, whose slots near the roots +-1 reach 2n/pi: errors 100x the
// median in the same few slots of every ciphertext.
void mod_down(const Context& ctx, int level, const uint64_t* acc, rns::RnsPoly& out) {
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count();
  // Params::validate guarantees a special prime; without one there is nothing to divide by.
  if (K == 0) throw std::logic_error("mod_down: context has no special prime");
  AlignedBuffer<uint64_t> special(K * n, Uninitialized{});
  std::memcpy(special.data(), acc + (level + 1) * n, K * n * sizeof(uint64_t));
  for (std::size_t k = 0; k < K; ++k) ntt::inverse_inplace(special.data() + k * n, ctx.ntt(ctx.q_count() + k));
  AlignedBuffer<uint64_t> converted(static_cast<std::size_t>(level + 1) * n, Uninitialized{});
  if (K == 1) {
    // One special prime: the centred remainder is ((x + h) mod p) - h, h = (p - 1) / 2.
    const math::Modulus& p = ctx.modulus(ctx.q_count());
    const uint64_t h = (p.value() - 1) >> 1;
    rns::add_scalar_mod(special.data(), h, special.data(), n, p);
    for (int i = 0; i <= level; ++i) {
      const math::Modulus& qi = ctx.modulus(i);
      uint64_t* ci = converted.data() + i * n;
      rns::mul_scalar_mod(special.data(), 1, ci, n, qi);
      rns::add_scalar_mod(ci, qi.neg(qi.reduce(h)), ci, n, qi);
    }
  } else {
    ctx.mod_down_converter(level).convert_exact(special.data(), converted.data(), n, /*centered=*/true);
  }
  rns::RnsPoly result(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{});
  for (int i = 0; i <= level; ++i) {
    uint64_t* ci = converted.data() + i * n;
    ntt::forward_inplace(ci, ctx.ntt(i));
    const auto& q = ctx.modulus(i);
    rns::sub_mod(acc + i * n, ci, result.limb(i), n, q);
    rns::mul_scalar_mod(result.limb(i), ctx.p_inv_mod_q(i), result.limb(i), n, q);
  }
  out = std::move(result);
}

}  // namespace

Decomposition decompose(const Context& ctx, const rns::RnsPoly& d) {
  const int level = static_cast<int>(d.limbs()) - 1;
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count();
  Decomposition dec;
  dec.level = level;
  dec.limbs = level + 1 + K;
  // Coefficient form of d, limb by limb.
  AlignedBuffer<uint64_t> coeff(d.limbs() * n, Uninitialized{});
  std::memcpy(coeff.data(), d.data(), d.limbs() * n * sizeof(uint64_t));
  for (int i = 0; i <= level; ++i) ntt::inverse_inplace(coeff.data() + i * n, ctx.ntt(i));
  AlignedBuffer<uint64_t> converted(dec.limbs * n, Uninitialized{});
  for (int j = 0; j < ctx.digits(); ++j) {
    const std::size_t begin = ctx.digit_start(j);
    if (begin > static_cast<std::size_t>(level)) break;
    const std::size_t end = std::min(ctx.digit_end(j), static_cast<std::size_t>(level) + 1);
    AlignedBuffer<uint64_t> digit(dec.limbs * n, Uninitialized{});
    // Own primes: the input as it is (evaluation form).
    std::memcpy(digit.data() + begin * n, d.limb(begin), (end - begin) * n * sizeof(uint64_t));
    // Other primes of Q_l and P: fast base conversion of the digit, then NTT.
    if (end - begin == 1) {
      // One-prime digit: the conversion is a plain reduction, written in place.
      uint64_t* src = coeff.data() + begin * n;
      const uint64_t q_src = ctx.modulus(begin).value();
      centre_source(src, n, ctx.modulus(begin));
      for (std::size_t t = 0; t < dec.limbs; ++t) {
        if (t == begin) continue;
        const std::size_t ki = key_index(ctx, level, t);
        raise_limb(ctx, src, q_src, ki, digit.data() + t * n);
      }
    } else {
      // Centred like the one-prime digits (see raise_limb): shift by h = (Q_j - 1) / 2
      // before the conversion ([h]_{q_i} = (q_i - 1) / 2 on the digit's own primes) and
      // back by [h]_{q_t} after it.
      for (std::size_t i = begin; i < end; ++i) {
        const math::Modulus& qi = ctx.modulus(i);
        uint64_t* limb = coeff.data() + i * n;
        rns::add_scalar_mod(limb, (qi.value() - 1) >> 1, limb, n, qi);
      }
      const rns::BaseConverter& conv = ctx.mod_up_converter(level, j);
      conv.convert_approx(coeff.data() + begin * n, converted.data(), n);
      std::size_t target = 0;
      for (std::size_t t = 0; t < dec.limbs; ++t) {
        if (t >= begin && t < end) continue;
        const std::size_t ki = key_index(ctx, level, t);
        const math::Modulus& qt = ctx.modulus(ki);
        uint64_t q_digit = 1;
        for (std::size_t i = begin; i < end; ++i) q_digit = qt.mul(q_digit, qt.reduce(ctx.modulus(i).value()));
        const uint64_t h = qt.mul(qt.add(q_digit, qt.value() - 1), (qt.value() + 1) >> 1);
        uint64_t* dst = digit.data() + t * n;
        rns::add_scalar_mod(converted.data() + target * n, qt.neg(h), dst, n, qt);
        ntt::forward_inplace(dst, ctx.ntt(ki));
        ++target;
      }
    }
    dec.digits.push_back(std::move(digit));
  }
  return dec;
}

void apply_switch_key(const Context& ctx, const Decomposition& dec, const KeySwitchKey& key, const uint32_t* perm,
                      rns::RnsPoly& u0, rns::RnsPoly& u1) {
  if (key.fingerprint != ctx.fingerprint())
    throw_mismatch("key_switch", "key", "belongs to other parameters", "a key of this context", "a foreign key");
  const int level = dec.level;
  const uint64_t n = ctx.n();
  const std::size_t terms = dec.digits.size();
  // Hoisted automorphism: permute each digit once (evaluation-form automorphism).
  std::vector<AlignedBuffer<uint64_t>> permuted;
  std::vector<const uint64_t*> digit_ptrs(terms);
  if (perm) {
    for (std::size_t j = 0; j < terms; ++j) {
      AlignedBuffer<uint64_t> p(dec.limbs * n, Uninitialized{});
      for (std::size_t t = 0; t < dec.limbs; ++t) {
        const uint64_t* src = dec.digits[j].data() + t * n;
        uint64_t* dst = p.data() + t * n;
        for (uint64_t k = 0; k < n; ++k) dst[k] = src[perm[k]];
      }
      permuted.push_back(std::move(p));
    }
  }
  for (std::size_t j = 0; j < terms; ++j) digit_ptrs[j] = perm ? permuted[j].data() : dec.digits[j].data();

  // Inner products over digits, limb by limb, against both key halves at once (the
  // digits are read once).
  AlignedBuffer<uint64_t> acc0(dec.limbs * n, Uninitialized{}), acc1(dec.limbs * n, Uninitialized{});
  {
    std::vector<const uint64_t*> a_ptrs(terms), b_ptrs(terms), k_ptrs(terms);
    for (std::size_t t = 0; t < dec.limbs; ++t) {
      const std::size_t ki = key_index(ctx, level, t);
      for (std::size_t j = 0; j < terms; ++j) {
        a_ptrs[j] = digit_ptrs[j] + t * n;
        b_ptrs[j] = key.b[j].limb(ki);
        k_ptrs[j] = key.a[j].limb(ki);
      }
      rns::inner_product2_mod(a_ptrs.data(), b_ptrs.data(), k_ptrs.data(), terms, acc0.data() + t * n,
                              acc1.data() + t * n, n, ctx.modulus(ki));
    }
  }
  mod_down(ctx, level, acc0.data(), u0);
  mod_down(ctx, level, acc1.data(), u1);
}

void switch_key(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, rns::RnsPoly& u0,
                rns::RnsPoly& u1) {
  const int level = static_cast<int>(d.limbs()) - 1;
  bool single_prime_digits = true;
  for (int j = 0; j < ctx.digits() && ctx.digit_start(j) <= static_cast<std::size_t>(level); ++j)
    single_prime_digits &= ctx.digit_end(j) - ctx.digit_start(j) == 1;
  if (!single_prime_digits) {
    Decomposition dec = decompose(ctx, d);
    apply_switch_key(ctx, dec, key, nullptr, u0, u1);
    return;
  }
  // One prime per digit (the SEAL/OpenFHE default): target limb by target limb, the digits
  // are raised, transformed and multiplied with the key while they sit in cache, instead
  // of materializing the whole decomposition (SEAL's loop order).
  if (key.fingerprint != ctx.fingerprint())
    throw_mismatch("key_switch", "key", "belongs to other parameters", "a key of this context", "a foreign key");
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count();
  const std::size_t terms = static_cast<std::size_t>(level) + 1;
  const std::size_t limbs = terms + K;
  AlignedBuffer<uint64_t> coeff(terms * n, Uninitialized{});
  std::memcpy(coeff.data(), d.data(), terms * n * sizeof(uint64_t));
  for (std::size_t i = 0; i < terms; ++i) {
    ntt::inverse_inplace(coeff.data() + i * n, ctx.ntt(i));
    centre_source(coeff.data() + i * n, n, ctx.modulus(i));
  }
  AlignedBuffer<uint64_t> raised(terms * n, Uninitialized{});
  AlignedBuffer<uint64_t> acc0(limbs * n, Uninitialized{}), acc1(limbs * n, Uninitialized{});
  std::vector<const uint64_t*> a_ptrs(terms), b_ptrs(terms), k_ptrs(terms);
  for (std::size_t t = 0; t < limbs; ++t) {
    const std::size_t ki = key_index(ctx, level, t);
    const math::Modulus& q = ctx.modulus(ki);
    for (std::size_t j = 0; j < terms; ++j) {
      if (j == t) {
        a_ptrs[j] = d.limb(j);  // its own prime: the input as it is
      } else {
        uint64_t* dst = raised.data() + j * n;
        raise_limb(ctx, coeff.data() + j * n, ctx.modulus(j).value(), ki, dst);
        a_ptrs[j] = dst;
      }
      b_ptrs[j] = key.b[j].limb(ki);
      k_ptrs[j] = key.a[j].limb(ki);
    }
    rns::inner_product2_mod(a_ptrs.data(), b_ptrs.data(), k_ptrs.data(), terms, acc0.data() + t * n,
                            acc1.data() + t * n, n, q);
  }
  mod_down(ctx, level, acc0.data(), u0);
  mod_down(ctx, level, acc1.data(), u1);
}

}  // namespace ppml::rlwe
