#include "he/rlwe/key_switch.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <vector>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/key_expansion.hpp"
#include "ntt/ntt.hpp"
#include "rns/automorphism.hpp"
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
// evaluation form: minus [h]_target, the reduction and the NTT in one pass from the source
// when q_src < 2 q_target (primes of one size: half the pairs of a chain), else first
// x mod q (SIMD Shoup product with 1).
void raise_limb(const Context& ctx, const uint64_t* src, uint64_t q_src, std::size_t target, uint64_t* dst) {
  const uint64_t n = ctx.n();
  const math::Modulus& q = ctx.modulus(target);
  const uint64_t minus_h = q.neg(q.reduce((q_src - 1) >> 1));
  if (q_src / 2 >= q.value()) {  // q_src >= 2q (q_src odd)
    rns::mul_scalar_mod(src, 1, dst, n, q);
    src = dst;
  }
  ntt::forward(src, minus_h, dst, ctx.ntt(target));
}

// ModDown: (acc - [acc]_P) * P^-1 over Q_l, with [acc]_P the CENTRED remainder converted
// exactly (acc has level+1+|P| limbs in evaluation form). A remainder in [0, P) floors
// instead of rounding, and the approximate conversion adds alpha * P with alpha in [0, |P|):
// both biases are the same on every coefficient and decrypt to a multiple of (1 + s) times
// the all-ones polynomial, whose slots near the roots +-1 reach 2n/pi: errors 100x the
// median in the same few slots of every ciphertext.
void mod_down(const Context& ctx, int level, const uint64_t* const acc[2], rns::RnsPoly* out[2]) {
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count();
  const std::size_t limbs = static_cast<std::size_t>(level) + 1;
  // Params::validate guarantees a special prime; without one there is nothing to divide by.
  if (K == 0) throw std::logic_error("mod_down: context has no special prime");
  // Both polynomials (u0, u1) in each parallel pass: twice the independent limbs.
  AlignedBuffer<uint64_t> special(2 * K * n, Uninitialized{});
  parallel_for(2 * K, [&](std::size_t x) {
    const std::size_t c = x / K, k = x % K;
    uint64_t* dst = special.data() + x * n;
    std::memcpy(dst, acc[c] + (limbs + k) * n, n * sizeof(uint64_t));
    ntt::inverse_inplace(dst, ctx.ntt(ctx.q_count() + k));
  });
  AlignedBuffer<uint64_t> converted(2 * limbs * n, Uninitialized{});
  rns::RnsPoly result[2] = {
      rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{}),
      rns::RnsPoly(n, ctx.q_base(level), rns::Form::Evaluation, false, Uninitialized{})};
  if (K == 1) {
    // One special prime: the centred remainder is ((x + h) mod p) - h, h = (p - 1) / 2.
    const math::Modulus& p = ctx.modulus(ctx.q_count());
    const uint64_t h = (p.value() - 1) >> 1;
    parallel_for(2, [&](std::size_t c) { rns::add_scalar_mod(special.data() + c * n, h, special.data() + c * n, n, p); });
    // x mod q_i; the shift by -[h]_i rides on the NTT's first pass below, and so does the
    // reduction when p < 2 q_i (that pass reads the special limb itself).
    parallel_for(2 * limbs, [&](std::size_t x) {
      const std::size_t c = x / limbs, i = x % limbs;
      if (p.value() / 2 < ctx.modulus(i).value()) return;
      rns::mul_scalar_mod(special.data() + c * n, 1, converted.data() + x * n, n, ctx.modulus(i));
    });
  } else {
    // One polynomial after the other: the conversion spreads its own target primes over
    // the pool (two tasks of a whole conversion each would idle every thread beyond two).
    for (std::size_t c = 0; c < 2; ++c)
      ctx.mod_down_converter(level).convert_exact(special.data() + c * K * n, converted.data() + c * limbs * n, n,
                                                  /*centered=*/true);
  }
  const uint64_t p1 = K == 1 ? ctx.modulus(ctx.q_count()).value() : 0;
  const uint64_t h_p = K == 1 ? (p1 - 1) >> 1 : 0;
  parallel_for(2 * limbs, [&](std::size_t x) {
    const std::size_t c = x / limbs, i = x % limbs;
    uint64_t* ci = converted.data() + x * n;
    const math::Modulus& qi = ctx.modulus(i);
    const bool unreduced = K == 1 && p1 / 2 < qi.value();  // the special limb itself, below 2 q_i
    ntt::forward(unreduced ? special.data() + c * n : ci, qi.neg(qi.reduce(h_p)), ci, ctx.ntt(i));
    uint64_t* r = result[c].limb(i);
    rns::sub_mod(acc[c] + i * n, ci, r, n, qi);
    rns::mul_scalar_mod(r, ctx.p_inv_mod_q(i), r, n, qi);
  });
  *out[0] = std::move(result[0]);
  *out[1] = std::move(result[1]);
}

void mod_down(const Context& ctx, int level, const uint64_t* acc0, const uint64_t* acc1, rns::RnsPoly& u0,
              rns::RnsPoly& u1) {
  const uint64_t* const acc[2] = {acc0, acc1};
  rns::RnsPoly* out[2] = {&u0, &u1};
  mod_down(ctx, level, acc, out);
}

// ModDown by q_l * P with the ciphertext folded in: (u0, u1) over Q_{l-1} with
// u = round((P c + acc) / (q_l P)) = round((c + acc / P) / q_l), the relinearized product
// rescaled in one division instead of two (the rescale's transforms of every limb go).
// The remainder modulo q_l P is centred by the exact conversion, so this rounds.
// ModDown by P fused with the rescale by q_l that follows a product, for (c0, c1) + the
// key-switching sum acc: w = round(round(x / P) / q_l) with x = acc + P c, rounded exactly
// as mod_down then rescale_by_last would (same bits) but with one transform per kept limb
// instead of three. In the coefficient domain: r = [x]_P (centred) on every limb, then
// u = (x - r) / P on the q_l limb only, t = [u]_ql (centred), and for the other limbs one
// NTT of v = r + P t: w = (x - v) (P q_l)^-1, written as (acc - v) (P q_l)^-1 + c q_l^-1.
void mod_down_rescale(const Context& ctx, int level, uint64_t* const acc[2], const rns::RnsPoly* const c[2],
                      rns::RnsPoly* out[2]) {
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count(), l = static_cast<std::size_t>(level), limbs = l + 1;
  if (K == 0) throw std::logic_error("mod_down_rescale: context has no special prime");
  const math::Modulus& ql = ctx.modulus(l);
  const uint64_t half = ql.value() >> 1;
  // The special limbs in coefficient form. One prime: sp = [x]_p + h (mod p), whose
  // residues are r + h (the -h goes into constants below); several: r by exact conversion.
  const uint64_t h_p = K == 1 ? (ctx.modulus(ctx.q_count()).value() - 1) >> 1 : 0;
  AlignedBuffer<uint64_t> special(2 * K * n, Uninitialized{});
  parallel_for(2 * K, [&](std::size_t x) {
    const std::size_t k = x / K, j = x % K;
    uint64_t* dst = special.data() + x * n;
    std::memcpy(dst, acc[k] + (limbs + j) * n, n * sizeof(uint64_t));
    ntt::inverse_inplace(dst, ctx.ntt(ctx.q_count() + j));
    if (K == 1) rns::add_scalar_mod(dst, h_p, dst, n, ctx.modulus(ctx.q_count()));
  });
  AlignedBuffer<uint64_t> r;  // [x]_P on q_0 .. q_l (several special primes)
  if (K > 1) {
    r = AlignedBuffer<uint64_t>(2 * limbs * n, Uninitialized{});
    for (std::size_t k = 0; k < 2; ++k)  // each conversion parallel inside (see mod_down)
      ctx.mod_down_converter(level).convert_exact(special.data() + k * K * n, r.data() + k * limbs * n, n,
                                                  /*centered=*/true);
  }
  // r_i + [h]_i on limb i: the residues of sp (one prime) or r itself.
  auto shifted_r = [&](std::size_t k, std::size_t i, uint64_t* dst) {
    if (K == 1) {
      rns::mul_scalar_mod(special.data() + k * n, 1, dst, n, ctx.modulus(i));
    } else {
      std::memcpy(dst, r.data() + (k * limbs + i) * n, n * sizeof(uint64_t));
    }
  };
  // t = u + half (mod q_l), u = (x_l - r_l) / P, coefficient form.
  AlignedBuffer<uint64_t> t(2 * n, Uninitialized{});
  parallel_for(2, [&](std::size_t k) {
    uint64_t* u = t.data() + k * n;
    AlignedBuffer<uint64_t> rl(n, Uninitialized{});
    rns::mul_scalar_mod(c[k]->limb(l), ctx.p_mod_q(l), u, n, ql);  // x_l = acc_l + P c_l
    rns::add_mod(u, acc[k] + l * n, u, n, ql);
    ntt::inverse_inplace(u, ctx.ntt(l));
    shifted_r(k, l, rl.data());
    if (K == 1) rns::add_scalar_mod(rl.data(), ql.neg(ql.reduce(h_p)), rl.data(), n, ql);
    rns::sub_mod(u, rl.data(), u, n, ql);
    rns::mul_scalar_mod(u, ctx.p_inv_mod_q(l), u, n, ql);
    rns::add_scalar_mod(u, half, u, n, ql);
  });
  rns::RnsPoly result[2] = {
      rns::RnsPoly(n, ctx.q_base(level - 1), rns::Form::Evaluation, false, Uninitialized{}),
      rns::RnsPoly(n, ctx.q_base(level - 1), rns::Form::Evaluation, false, Uninitialized{})};
  parallel_for(2 * l, [&](std::size_t x) {
    const std::size_t k = x / l, i = x % l;
    const math::Modulus& qi = ctx.modulus(i);
    const uint64_t p_i = ctx.p_mod_q(i), ql_i = qi.reduce(ql.value());
    AlignedBuffer<uint64_t> v(n, Uninitialized{}), a(n, Uninitialized{});
    // v = (r_i + [h]_i) + P ([t]_i): the constants -[h]_i - P [half]_i ride on the NTT's first pass.
    rns::mul_scalar_mod(t.data() + k * n, p_i, v.data(), n, qi);  // any 64-bit input: t < q_l needs no reduction first
    shifted_r(k, i, a.data());
    rns::add_mod(v.data(), a.data(), v.data(), n, qi);
    const uint64_t shift = qi.neg(qi.add(qi.reduce(h_p), qi.mul(p_i, qi.reduce(half))));
    ntt::forward(v.data(), shift, v.data(), ctx.ntt(i));
    uint64_t* w = result[k].limb(i);
    rns::sub_mod(acc[k] + i * n, v.data(), w, n, qi);
    rns::mul_scalar_mod(w, qi.inv(qi.mul(ql_i, p_i)), w, n, qi);
    rns::mul_scalar_mod(c[k]->limb(i), qi.inv(ql_i), a.data(), n, qi);
    rns::add_mod(w, a.data(), w, n, qi);
  });
  *out[0] = std::move(result[0]);
  *out[1] = std::move(result[1]);
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
  parallel_for(d.limbs(), [&](std::size_t i) {
    std::memcpy(coeff.data() + i * n, d.limb(i), n * sizeof(uint64_t));
    ntt::inverse_inplace(coeff.data() + i * n, ctx.ntt(i));
  });
  std::size_t digits = 0;
  while (static_cast<int>(digits) < ctx.digits() && ctx.digit_start(digits) <= static_cast<std::size_t>(level)) ++digits;
  auto digit_end = [&](std::size_t j) { return std::min(ctx.digit_end(j), static_cast<std::size_t>(level) + 1); };
  for (std::size_t j = 0; j < digits; ++j) dec.digits.emplace_back(dec.limbs * n, Uninitialized{});
  // Centre every digit's primes (shift by h = (Q_j - 1) / 2, see raise_limb), then, for
  // digits of several primes, the fast base conversion to all other primes of Q_l and P,
  // digit after digit, each conversion parallel over its target primes (one task per
  // digit left threads idle: 3 digits on 2 threads, a third of the time).
  std::vector<AlignedBuffer<uint64_t>> converted(digits);
  parallel_for(d.limbs(), [&](std::size_t i) { centre_source(coeff.data() + i * n, n, ctx.modulus(i)); });
  for (std::size_t j = 0; j < digits; ++j) {
    const std::size_t begin = ctx.digit_start(j), end = digit_end(j);
    if (end - begin > 1) {
      converted[j] = AlignedBuffer<uint64_t>((dec.limbs - (end - begin)) * n, Uninitialized{});
      ctx.mod_up_converter(level, static_cast<int>(j)).convert_approx(coeff.data() + begin * n, converted[j].data(), n);
    }
  }
  // Every (digit, target limb) pair independently: own primes copied as they are
  // (evaluation form), the others shifted back by [h]_t and transformed.
  parallel_for(digits * dec.limbs, [&](std::size_t x) {
    const std::size_t j = x / dec.limbs, t = x % dec.limbs;
    const std::size_t begin = ctx.digit_start(j), end = digit_end(j);
    uint64_t* dst = dec.digits[j].data() + t * n;
    if (t >= begin && t < end) {
      std::memcpy(dst, d.limb(t), n * sizeof(uint64_t));
      return;
    }
    const std::size_t ki = key_index(ctx, level, t);
    if (end - begin == 1) {
      // One-prime digit: the conversion is a plain reduction.
      raise_limb(ctx, coeff.data() + begin * n, ctx.modulus(begin).value(), ki, dst);
      return;
    }
    const std::size_t target = t < begin ? t : t - (end - begin);
    const math::Modulus& qt = ctx.modulus(ki);
    uint64_t q_digit = 1;
    for (std::size_t i = begin; i < end; ++i) q_digit = qt.mul(q_digit, qt.reduce(ctx.modulus(i).value()));
    const uint64_t h = qt.mul(qt.add(q_digit, qt.value() - 1), (qt.value() + 1) >> 1);
    ntt::forward(converted[j].data() + target * n, qt.neg(h), dst, ctx.ntt(ki));
  });
  return dec;
}

namespace {

void check_key(const Context& ctx, const KeySwitchKey& key) {
  if (key.fingerprint != ctx.fingerprint())
    throw_mismatch("key_switch", "key", "belongs to other parameters", "a key of this context", "a foreign key");
}

// out0 = sum_j digit_j * b_j, out1 = sum_j digit_j * a_j on limb ki of the key (prime q).
// A compact key's a_j are regenerated 256 coefficients at a time into L1 and consumed at
// once, so the a-halves never travel from memory.
// Digits first .. first + terms - 1 of the key.
void limb_inner_products(const KeySwitchKey& key, const random::Aes128Key& aes, std::size_t ki,
                         const uint64_t* const* digits, std::size_t first, std::size_t terms, uint64_t* out0,
                         uint64_t* out1, uint64_t n, const math::Modulus& q) {
  std::vector<const uint64_t*> b_ptrs(terms), k_ptrs(terms);
  for (std::size_t j = 0; j < terms; ++j) b_ptrs[j] = key.b[first + j].limb(ki);
  if (!key.compact()) {
    for (std::size_t j = 0; j < terms; ++j) k_ptrs[j] = key.a[first + j].limb(ki);
    rns::inner_product2_mod(digits, b_ptrs.data(), k_ptrs.data(), terms, out0, out1, n, q);
    return;
  }
  const std::size_t block = std::min<std::size_t>(n, kKeyExpandBlock);
  AlignedBuffer<uint64_t> regenerated(terms * block, Uninitialized{});
  std::vector<const uint64_t*> d_block(terms), b_block(terms);
  for (std::size_t j = 0; j < terms; ++j) k_ptrs[j] = regenerated.data() + j * block;
  for (std::size_t k = 0; k < n; k += block) {
    for (std::size_t j = 0; j < terms; ++j) {
      expand_key_uniform_range(aes, first + j, ki, q.value(), n, k, block, regenerated.data() + j * block);
      d_block[j] = digits[j] + k;
      b_block[j] = b_ptrs[j] + k;
    }
    rns::inner_product2_mod(d_block.data(), b_block.data(), k_ptrs.data(), terms, out0 + k, out1 + k, block, q);
  }
}

// The inner products of every target limb as parallel tasks: task(t, j0, j1, out0, out1)
// sums digits j0 .. j1 - 1 on target limb t. With T threads the last limbs % T targets
// would leave threads idle for a whole task (21 targets on 2 threads at 2^15: one thread
// alone for the last, ~5% of a rotation), so each of those is split over the digits into
// T parts, part 0 written in place and the others added afterwards: sums of values
// reduced mod q, the same bits for every thread count. Only while the parts' scratch
// stays within the accumulators' size (many threads, few targets: no split).
using TargetTask = std::function<void(std::size_t, std::size_t, std::size_t, uint64_t*, uint64_t*)>;

void for_each_target(const Context& ctx, int level, std::size_t limbs, std::size_t terms, uint64_t* acc0,
                     uint64_t* acc1, const TargetTask& task) {
  const uint64_t n = ctx.n();
  const std::size_t T = static_cast<std::size_t>(num_threads());
  std::size_t rest = T > 1 && terms >= T ? limbs % T : 0;
  if (rest * (T - 1) > limbs) rest = 0;
  const std::size_t whole = limbs - rest;
  AlignedBuffer<uint64_t> partial(rest * (T - 1) * 2 * n, Uninitialized{});
  parallel_for(whole + rest * T, [&](std::size_t x) {
    if (x < whole) return task(x, 0, terms, acc0 + x * n, acc1 + x * n);
    const std::size_t r = (x - whole) / T, part = (x - whole) % T, t = whole + r;
    uint64_t* o0 = part == 0 ? acc0 + t * n : partial.data() + (r * (T - 1) + part - 1) * 2 * n;
    uint64_t* o1 = part == 0 ? acc1 + t * n : o0 + n;
    task(t, terms * part / T, terms * (part + 1) / T, o0, o1);
  });
  if (rest == 0) return;
  parallel_for(2 * rest, [&](std::size_t x) {
    const std::size_t r = x / 2, c = x % 2, t = whole + r;
    uint64_t* acc = (c == 0 ? acc0 : acc1) + t * n;
    const math::Modulus& q = ctx.modulus(key_index(ctx, level, t));
    for (std::size_t part = 1; part < T; ++part)
      rns::add_mod(acc, partial.data() + ((r * (T - 1) + part - 1) * 2 + c) * n, acc, n, q);
  });
}

// The inner products of a decomposition (permuted by `perm` when given) with the key
// over Q_l * P: acc0 and acc1 of dec.limbs limbs, evaluation form.
void key_inner_products(const Context& ctx, const Decomposition& dec, const KeySwitchKey& key, const uint32_t* perm,
                        uint64_t* acc0, uint64_t* acc1) {
  check_key(ctx, key);
  const int level = dec.level;
  const uint64_t n = ctx.n();
  const std::size_t terms = dec.digits.size();
  // Inner products over digits, limb by limb, against both key halves at once (the
  // digits are read once). The hoisted automorphism permutes one limb of every digit into
  // a per-task buffer (terms limbs, a few MiB: in cache) just before their inner product,
  // reading each digit limb in order from memory. A permuted copy of the whole
  // decomposition (~100 MB per rotation at the top of a 2^16 bootstrap chain) went to
  // memory and back; permuting in output order reads the digits at random.
  // Contexts have n >= 1024, a multiple of 8 as the block walk needs.
  const std::vector<uint32_t> targets = perm ? rns::automorphism_block_targets(perm, n) : std::vector<uint32_t>();
  const random::Aes128Key aes = key_expander(key.seed);
  for_each_target(ctx, level, dec.limbs, terms, acc0, acc1,
                  [&](std::size_t t, std::size_t j0, std::size_t j1, uint64_t* out0, uint64_t* out1) {
    std::vector<const uint64_t*> a_ptrs(j1 - j0);
    AlignedBuffer<uint64_t> permuted(perm ? (j1 - j0) * n : 0, Uninitialized{});
    for (std::size_t j = j0; j < j1; ++j) {
      const uint64_t* digit = dec.digits[j].data() + t * n;
      if (perm) {
        uint64_t* dst = permuted.data() + (j - j0) * n;
        rns::automorphism_eval_limb_streaming(digit, perm, targets.data(), dst, n);
        digit = dst;
      }
      a_ptrs[j - j0] = digit;
    }
    const std::size_t ki = key_index(ctx, level, t);
    limb_inner_products(key, aes, ki, a_ptrs.data(), j0, j1 - j0, out0, out1, n, ctx.modulus(ki));
  });
}

// One prime per digit (the SEAL/OpenFHE default): target limb by target limb, the digits
// are raised, transformed and multiplied with the key while they sit in cache, instead of
// materializing the whole decomposition (SEAL's loop order).
void single_prime_inner_products(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, uint64_t* acc0,
                                 uint64_t* acc1) {
  check_key(ctx, key);
  const int level = static_cast<int>(d.limbs()) - 1;
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count();
  const std::size_t terms = static_cast<std::size_t>(level) + 1;
  const std::size_t limbs = terms + K;
  AlignedBuffer<uint64_t> coeff(terms * n, Uninitialized{});
  parallel_for(terms, [&](std::size_t i) {
    std::memcpy(coeff.data() + i * n, d.limb(i), n * sizeof(uint64_t));
    ntt::inverse_inplace(coeff.data() + i * n, ctx.ntt(i));
    centre_source(coeff.data() + i * n, n, ctx.modulus(i));
  });
  // Target limbs are independent: each thread raises all digits to its targets into its
  // own scratch (pooled per thread, so no allocation after the first call).
  const random::Aes128Key aes = key_expander(key.seed);
  for_each_target(ctx, level, limbs, terms, acc0, acc1,
                  [&](std::size_t t, std::size_t j0, std::size_t j1, uint64_t* out0, uint64_t* out1) {
    AlignedBuffer<uint64_t> raised((j1 - j0) * n, Uninitialized{});
    std::vector<const uint64_t*> a_ptrs(j1 - j0);
    const std::size_t ki = key_index(ctx, level, t);
    for (std::size_t j = j0; j < j1; ++j) {
      if (j == t) {
        a_ptrs[j - j0] = d.limb(j);  // its own prime: the input as it is
      } else {
        uint64_t* dst = raised.data() + (j - j0) * n;
        raise_limb(ctx, coeff.data() + j * n, ctx.modulus(j).value(), ki, dst);
        a_ptrs[j - j0] = dst;
      }
    }
    limb_inner_products(key, aes, ki, a_ptrs.data(), j0, j1 - j0, out0, out1, n, ctx.modulus(ki));
  });
}

// The key inner products of d over Q_l * P (level + 1 + |P| limbs each).
void accumulate(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, AlignedBuffer<uint64_t>& acc0,
                AlignedBuffer<uint64_t>& acc1) {
  const int level = static_cast<int>(d.limbs()) - 1;
  const std::size_t limbs = d.limbs() + ctx.p_count();
  acc0 = AlignedBuffer<uint64_t>(limbs * ctx.n(), Uninitialized{});
  acc1 = AlignedBuffer<uint64_t>(limbs * ctx.n(), Uninitialized{});
  bool single_prime_digits = true;
  for (int j = 0; j < ctx.digits() && ctx.digit_start(j) <= static_cast<std::size_t>(level); ++j)
    single_prime_digits &= ctx.digit_end(j) - ctx.digit_start(j) == 1;
  if (single_prime_digits) return single_prime_inner_products(ctx, d, key, acc0.data(), acc1.data());
  key_inner_products(ctx, decompose(ctx, d), key, nullptr, acc0.data(), acc1.data());
}

}  // namespace

void apply_switch_key(const Context& ctx, const Decomposition& dec, const KeySwitchKey& key, const uint32_t* perm,
                      rns::RnsPoly& u0, rns::RnsPoly& u1) {
  AlignedBuffer<uint64_t> acc0(dec.limbs * ctx.n(), Uninitialized{}), acc1(dec.limbs * ctx.n(), Uninitialized{});
  key_inner_products(ctx, dec, key, perm, acc0.data(), acc1.data());
  mod_down(ctx, dec.level, acc0.data(), acc1.data(), u0, u1);
}

void key_inner_products_qp(const Context& ctx, const Decomposition& dec, const KeySwitchKey& key,
                           const uint32_t* perm, uint64_t* acc0, uint64_t* acc1) {
  key_inner_products(ctx, dec, key, perm, acc0, acc1);
}

void mod_down_qp(const Context& ctx, int level, const uint64_t* acc0, const uint64_t* acc1, rns::RnsPoly& u0,
                 rns::RnsPoly& u1) {
  mod_down(ctx, level, acc0, acc1, u0, u1);
}

void mod_down_rescale_qp(const Context& ctx, int level, uint64_t* acc0, uint64_t* acc1, const rns::RnsPoly& c0,
                         const rns::RnsPoly& c1, rns::RnsPoly& u0, rns::RnsPoly& u1) {
  if (level < 1)
    throw_parameter("mod_down_rescale", "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)",
                    level);
  uint64_t* const acc[2] = {acc0, acc1};
  const rns::RnsPoly* const c[2] = {&c0, &c1};
  rns::RnsPoly* out[2] = {&u0, &u1};
  mod_down_rescale(ctx, level, acc, c, out);
}

void switch_key(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, rns::RnsPoly& u0,
                rns::RnsPoly& u1) {
  AlignedBuffer<uint64_t> acc0, acc1;
  accumulate(ctx, d, key, acc0, acc1);
  mod_down(ctx, static_cast<int>(d.limbs()) - 1, acc0.data(), acc1.data(), u0, u1);
}

void switch_key_rescale(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, const rns::RnsPoly& c0,
                        const rns::RnsPoly& c1, rns::RnsPoly& u0, rns::RnsPoly& u1) {
  const int level = static_cast<int>(d.limbs()) - 1;
  if (level < 1)
    throw_parameter("relinearize_rescale", "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)",
                    level);
  AlignedBuffer<uint64_t> acc0, acc1;
  accumulate(ctx, d, key, acc0, acc1);
  uint64_t* const acc[2] = {acc0.data(), acc1.data()};
  const rns::RnsPoly* const c[2] = {&c0, &c1};
  rns::RnsPoly* out[2] = {&u0, &u1};
  mod_down_rescale(ctx, level, acc, c, out);
}

}  // namespace ppml::rlwe
