#include "he/rlwe/mod_up.hpp"

#include <cstring>

#include "common/thread_pool.hpp"
#include "he/rlwe/key_switch.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::rlwe {
namespace {

// The centring shift of a digit of several primes [begin, end) on target prime ki:
// -[h]_ki with h = (Q_j - 1) / 2, riding on the target's forward transform.
uint64_t digit_shift(const Context& ctx, std::size_t begin, std::size_t end, std::size_t ki) {
  const math::Modulus& qt = ctx.modulus(ki);
  uint64_t q_digit = 1;
  for (std::size_t i = begin; i < end; ++i) q_digit = qt.mul(q_digit, qt.reduce(ctx.modulus(i).value()));
  return qt.neg(qt.mul(qt.add(q_digit, qt.value() - 1), (qt.value() + 1) >> 1));
}

}  // namespace

std::size_t digit_count(const Context& ctx, int level) {
  std::size_t digits = 0;
  while (static_cast<int>(digits) < ctx.digits() && ctx.digit_start(static_cast<int>(digits)) <= static_cast<std::size_t>(level))
    ++digits;
  return digits;
}

void centre_source(uint64_t* limb, uint64_t n, const math::Modulus& q) {
  rns::add_scalar_mod(limb, (q.value() - 1) >> 1, limb, n, q);
}

void raise_limb(const Context& ctx, const uint64_t* src, uint64_t q_src, std::size_t target, uint64_t* dst) {
  const uint64_t n = ctx.n();
  const math::Modulus& q = ctx.modulus(target);
  const uint64_t minus_h = q.neg(q.reduce((q_src - 1) >> 1));
  if (!ntt::forward_reduces(q_src, q.value())) {
    rns::mul_scalar_mod(src, 1, dst, n, q);
    src = dst;
  }
  ntt::forward(src, minus_h, dst, ctx.ntt(target));
}

Decomposition decompose(const Context& ctx, const rns::RnsPoly& d) {
  const int level = static_cast<int>(d.limbs()) - 1;
  const uint64_t n = ctx.n();
  Decomposition dec;
  dec.level = level;
  dec.limbs = level + 1 + ctx.p_count();
  // Coefficient form of d, limb by limb.
  AlignedBuffer<uint64_t> coeff(d.limbs() * n, Uninitialized{});
  parallel_for(d.limbs(), [&](std::size_t i) { ntt::inverse(d.limb(i), coeff.data() + i * n, ctx.ntt(i)); });
  const std::size_t digits = digit_count(ctx, level);
  for (std::size_t j = 0; j < digits; ++j) dec.digits.emplace_back(dec.limbs * n, Uninitialized{});
  // Centre every digit's primes (shift by h = (Q_j - 1) / 2, see raise_limb), then, for
  // digits of several primes, the fast base conversion to all other primes of Q_l and P,
  // digit after digit, each conversion parallel over its target primes (one task per
  // digit left threads idle: 3 digits on 2 threads, a third of the time).
  std::vector<AlignedBuffer<uint64_t>> converted(digits);
  parallel_for(d.limbs(), [&](std::size_t i) { centre_source(coeff.data() + i * n, n, ctx.modulus(i)); });
  for (std::size_t j = 0; j < digits; ++j) {
    const std::size_t begin = ctx.digit_start(static_cast<int>(j)), end = digit_end(ctx, level, j);
    if (end - begin > 1) {
      converted[j] = AlignedBuffer<uint64_t>((dec.limbs - (end - begin)) * n, Uninitialized{});
      ctx.mod_up_converter(level, static_cast<int>(j)).convert_approx(coeff.data() + begin * n, converted[j].data(), n);
    }
  }
  // Every (digit, target limb) pair independently: own primes copied as they are
  // (evaluation form), the others shifted back by [h]_t and transformed.
  parallel_for(digits * dec.limbs, [&](std::size_t x) {
    const std::size_t j = x / dec.limbs, t = x % dec.limbs;
    const std::size_t begin = ctx.digit_start(static_cast<int>(j)), end = digit_end(ctx, level, j);
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
    ntt::forward(converted[j].data() + target * n, digit_shift(ctx, begin, end, ki), dst, ctx.ntt(ki));
  });
  return dec;
}

StreamedModUp::StreamedModUp(const Context& ctx, const rns::RnsPoly& d)
    : ctx_(ctx),
      d_(d),
      level_(static_cast<int>(d.limbs()) - 1),
      digits_(digit_count(ctx, level_)),
      scaled_(d.limbs() * ctx.n(), Uninitialized{}) {
  const uint64_t n = ctx.n();
  std::vector<std::size_t> digit_of(d.limbs());
  for (std::size_t j = 0; j < digits_; ++j)
    for (std::size_t i = ctx.digit_start(static_cast<int>(j)); i < digit_end(ctx, level_, j); ++i) digit_of[i] = j;
  parallel_for(d.limbs(), [&](std::size_t i) {
    uint64_t* y = scaled_.data() + i * n;
    ntt::inverse(d.limb(i), y, ctx.ntt(i));
    centre_source(y, n, ctx.modulus(i));
    const std::size_t j = digit_of[i], begin = ctx.digit_start(static_cast<int>(j));
    if (digit_end(ctx, level_, j) - begin > 1)
      ctx.mod_up_converter(level_, static_cast<int>(j)).scale_input(i - begin, y, n);
  });
}

void StreamedModUp::raise(const std::vector<std::size_t>& ts, std::size_t j, const std::vector<uint64_t*>& dsts,
                          std::vector<const uint64_t*>& operands) const {
  const uint64_t n = ctx_.n();
  const std::size_t begin = ctx_.digit_start(static_cast<int>(j)), end = digit_end(ctx_, level_, j);
  std::vector<std::size_t> targets, kis;
  std::vector<uint64_t*> outs;
  for (std::size_t x = 0; x < ts.size(); ++x) {
    const std::size_t t = ts[x], ki = key_index(ctx_, level_, t);
    operands[x] = dsts[x];
    if (t >= begin && t < end) {
      operands[x] = d_.limb(t);  // its own prime: the input as it is
    } else if (end - begin == 1) {
      raise_limb(ctx_, scaled_.data() + begin * n, ctx_.modulus(begin).value(), ki, dsts[x]);
    } else {
      targets.push_back(t < begin ? t : t - (end - begin));
      kis.push_back(ki);
      outs.push_back(dsts[x]);
    }
  }
  if (targets.empty()) return;
  std::vector<const uint64_t*> sources;
  for (std::size_t i = begin; i < end; ++i) sources.push_back(scaled_.data() + i * n);
  ctx_.mod_up_converter(level_, static_cast<int>(j)).convert_scaled_to(sources.data(), targets, outs, n);
  for (std::size_t o = 0; o < outs.size(); ++o)
    ntt::forward(outs[o], digit_shift(ctx_, begin, end, kis[o]), outs[o], ctx_.ntt(kis[o]));
}

}  // namespace ppml::rlwe
