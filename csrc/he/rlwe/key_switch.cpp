#include "he/rlwe/key_switch.hpp"

#include <algorithm>
#include <functional>
#include <vector>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/key_expansion.hpp"
#include "he/rlwe/key_switch_aux.hpp"
#include "he/rlwe/mod_up.hpp"
#include "ntt/ntt.hpp"
#include "rns/automorphism.hpp"
#include "rns/eltwise.hpp"

namespace ppml::rlwe {

static_assert(kKeyPiece % kKeyExpandBlock == 0, "a piece is a whole number of expansion blocks");

namespace {

void check_key(const Context& ctx, const KeySwitchKey& key) {
  if (key.fingerprint != ctx.fingerprint())
    throw_mismatch("key_switch", "key", "belongs to other parameters", "a key of this context", "a foreign key");
}

// out0 = sum_j digit_j * b_j, out1 = sum_j digit_j * a_j on limb ki of the key (prime q).
// A compact key's a_j are regenerated 512 coefficients at a time into L1 and consumed at
// once, so the a-halves never travel from memory. With `perm`, sigma(digit_j) instead:
// each 512-coefficient block of the permuted digits is gathered into L1 just before its
// products (aligned 8-slot blocks, from digit limbs the caller keeps in cache).
// Digits first .. first + terms - 1 of the key; coefficients [begin, end) (multiples of
// kKeyPiece, or the whole limb), out0 and out1 holding coefficient `begin` first.
void limb_inner_products(const KeySwitchKey& key, const random::Aes128Key& aes, std::size_t ki,
                         const uint64_t* const* digits, std::size_t first, std::size_t terms, uint64_t* out0,
                         uint64_t* out1, uint64_t n, const math::Modulus& q, const uint32_t* perm = nullptr,
                         std::size_t begin = 0, std::size_t end = 0) {
  if (end == 0) end = n;
  // Every digit's limb ki has the width of prime ki.
  const int bits = key.b[first].width(ki);
  std::vector<const uint8_t*> b_rows(terms), a_rows(terms);
  for (std::size_t j = 0; j < terms; ++j) b_rows[j] = key.b[first + j].limb_bytes(ki);
  if (!key.compact() && !perm) {
    std::vector<const uint64_t*> d_range(terms);
    for (std::size_t j = 0; j < terms; ++j) {
      a_rows[j] = key.a[first + j].limb_bytes(ki) + begin / 8 * static_cast<std::size_t>(bits);
      b_rows[j] += begin / 8 * static_cast<std::size_t>(bits);
      d_range[j] = digits[j] + begin;
    }
    rns::inner_product2_packed_mod(d_range.data(), {b_rows.data(), bits}, {a_rows.data(), bits}, terms, out0, out1,
                                   end - begin, q);
    return;
  }
  // Two expansion blocks at a time: the IFMA inner product works in 512-coefficient spans
  // (a 256-coefficient call fell back to unpacking the b-rows into scratch first).
  const std::size_t block = std::min<std::size_t>(n, kKeyPiece);
  AlignedBuffer<uint64_t> regenerated(key.compact() ? terms * block : 0, Uninitialized{});
  AlignedBuffer<uint64_t> gathered(perm ? terms * block : 0, Uninitialized{});
  std::vector<const uint64_t*> d_block(terms);
  std::vector<const uint8_t*> b_block(terms), a_block(terms);
  const int a_bits = key.compact() ? 64 : bits;
  for (std::size_t k = begin; k < end; k += block) {
    if (perm) rns::automorphism_eval_limbs(digits, terms, perm + k, gathered.data(), block);
    for (std::size_t j = 0; j < terms; ++j) {
      if (key.compact()) {
        expand_key_uniform_range(aes, first + j, ki, q.value(), n, k, block, regenerated.data() + j * block);
        a_block[j] = reinterpret_cast<const uint8_t*>(regenerated.data() + j * block);
      } else {
        a_block[j] = key.a[first + j].limb_bytes(ki) + k / 8 * static_cast<std::size_t>(bits);
      }
      d_block[j] = perm ? gathered.data() + j * block : digits[j] + k;
      b_block[j] = b_rows[j] + k / 8 * static_cast<std::size_t>(bits);
    }
    rns::inner_product2_packed_mod(d_block.data(), {b_block.data(), bits}, {a_block.data(), a_bits}, terms,
                                   out0 + (k - begin), out1 + (k - begin), block, q);
  }
}

// The inner products of every target limb as parallel tasks: task(t, j0, j1, out0, out1)
// sums digits j0 .. j1 - 1 on target limb t. The pool hands out tasks in order, so a
// thread that takes the last whole target can finish up to a target's time after the
// others, which sit idle (a target is ~5% of a 2^15 rotation on 2 threads). So the targets
// on primes off the IFMA path, whose transforms cost about twice, go first, and the last
// T targets are split over the digits into kTailParts parts each (fewer when their scratch
// would outgrow the accumulators): part 0 written in place and the others added
// afterwards, sums of values reduced mod q, the same bits for every thread count.
using TargetTask = std::function<void(std::size_t, std::size_t, std::size_t, uint64_t*, uint64_t*)>;

void for_each_target(const Context& ctx, int level, std::size_t limbs, std::size_t terms, uint64_t* acc0,
                     uint64_t* acc1, const TargetTask& task) {
  constexpr std::size_t kTailParts = 4;
  const uint64_t n = ctx.n();
  const std::size_t T = static_cast<std::size_t>(num_threads());
  std::size_t parts = T > 1 ? std::min(kTailParts, terms) : 1;
  std::size_t tail = std::min(limbs, T);
  // The parts' scratch stays within the accumulators' size (many threads, few targets).
  if (parts > 1 && tail * (parts - 1) > limbs) parts = 1 + limbs / tail;
  if (parts <= 1) {
    parts = 1;
    tail = 0;
  }
  const std::size_t whole = limbs - tail;
  std::vector<std::size_t> order(limbs);
  for (std::size_t t = 0; t < limbs; ++t) order[t] = t;
  std::stable_partition(order.begin(), order.end(),
                        [&](std::size_t t) { return ctx.modulus(key_index(ctx, level, t)).value() >= ntt::kIfmaMaxModulus; });
  AlignedBuffer<uint64_t> partial(tail * (parts - 1) * 2 * n, Uninitialized{});
  parallel_for(whole + tail * parts, [&](std::size_t x) {
    if (x < whole) return task(order[x], 0, terms, acc0 + order[x] * n, acc1 + order[x] * n);
    const std::size_t r = (x - whole) / parts, part = (x - whole) % parts, t = order[whole + r];
    uint64_t* o0 = part == 0 ? acc0 + t * n : partial.data() + (r * (parts - 1) + part - 1) * 2 * n;
    uint64_t* o1 = part == 0 ? acc1 + t * n : o0 + n;
    task(t, terms * part / parts, terms * (part + 1) / parts, o0, o1);
  });
  if (tail == 0) return;
  parallel_for(2 * tail, [&](std::size_t x) {
    const std::size_t r = x / 2, c = x % 2, t = order[whole + r];
    uint64_t* acc = (c == 0 ? acc0 : acc1) + t * n;
    const math::Modulus& q = ctx.modulus(key_index(ctx, level, t));
    for (std::size_t part = 1; part < parts; ++part)
      rns::add_mod(acc, partial.data() + ((r * (parts - 1) + part - 1) * 2 + c) * n, acc, n, q);
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

// key_inner_products(decompose(d)) without the decomposition in memory, for a single key:
// target limb by target limb, each digit is raised to that limb (StreamedModUp: weighted
// sum of its scaled coefficient limbs, then the forward transform) into a per-task buffer
// and goes into the inner product while in cache. The decomposition and the conversions' outputs
// (~130 MB for a relinearization at level 20 of the 2^16 bootstrapping chain) were
// written to memory and read back. The same operations on the same values: same bits.
void streamed_inner_products(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key,
                             const uint32_t* perm, uint64_t* acc0, uint64_t* acc1) {
  check_key(ctx, key);
  const StreamedModUp mod_up(ctx, d);
  const int level = mod_up.level();
  const std::size_t digits = mod_up.digits();
  const uint64_t n = ctx.n();
  const std::size_t limbs = d.limbs() + ctx.p_count();
  const random::Aes128Key aes = key_expander(key.seed);
  // Two target limbs per task while the tasks still outnumber the threads enough: each
  // digit's scaled limbs (~2.5 MiB at 2^16, read from L3 for every target) serve both.
  const std::size_t T = static_cast<std::size_t>(num_threads());
  if ((limbs + 1) / 2 >= 4 * T) {
    parallel_for((limbs + 1) / 2, [&](std::size_t pair) {
      std::vector<std::size_t> ts = {2 * pair};
      if (2 * pair + 1 < limbs) ts.push_back(2 * pair + 1);
      AlignedBuffer<uint64_t> raised(ts.size() * digits * n, Uninitialized{});
      std::vector<std::vector<const uint64_t*>> operands(ts.size(), std::vector<const uint64_t*>(digits));
      std::vector<const uint64_t*> ops(ts.size());
      for (std::size_t j = 0; j < digits; ++j) {
        std::vector<uint64_t*> dsts;
        for (std::size_t x = 0; x < ts.size(); ++x) dsts.push_back(raised.data() + (x * digits + j) * n);
        mod_up.raise(ts, j, dsts, ops);
        for (std::size_t x = 0; x < ts.size(); ++x) operands[x][j] = ops[x];
      }
      for (std::size_t x = 0; x < ts.size(); ++x) {
        const std::size_t t = ts[x], ki = key_index(ctx, level, t);
        limb_inner_products(key, aes, ki, operands[x].data(), 0, digits, acc0 + t * n, acc1 + t * n, n,
                            ctx.modulus(ki), perm);
      }
    });
    return;
  }
  for_each_target(ctx, level, limbs, digits, acc0, acc1,
                  [&](std::size_t t, std::size_t j0, std::size_t j1, uint64_t* out0, uint64_t* out1) {
    AlignedBuffer<uint64_t> raised((j1 - j0) * n, Uninitialized{});
    std::vector<const uint64_t*> operands(j1 - j0), op(1);
    for (std::size_t j = j0; j < j1; ++j) {
      mod_up.raise({t}, j, {raised.data() + (j - j0) * n}, op);
      operands[j - j0] = op[0];
    }
    const std::size_t ki = key_index(ctx, level, t);
    limb_inner_products(key, aes, ki, operands.data(), j0, j1 - j0, out0, out1, n, ctx.modulus(ki), perm);
  });
}

// One prime per digit (the SEAL/OpenFHE default): target limb by target limb, the digits
// are raised, transformed and multiplied with the key while they sit in cache, instead of
// materializing the whole decomposition (SEAL's loop order). Or, with a key that has them,
// through the auxiliary bases (key_switch_aux.hpp). Returns whether the sums are in
// coefficient form (the auxiliary bases) rather than evaluation form.
bool single_prime_inner_products(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, uint64_t* acc0,
                                 uint64_t* acc1, uint64_t* d_coeff) {
  check_key(ctx, key);
  const int level = static_cast<int>(d.limbs()) - 1;
  const uint64_t n = ctx.n();
  const std::size_t K = ctx.p_count();
  const std::size_t terms = static_cast<std::size_t>(level) + 1;
  const std::size_t limbs = terms + K;
  AlignedBuffer<uint64_t> owned(d_coeff ? 0 : terms * n, Uninitialized{});
  uint64_t* coeff = d_coeff ? d_coeff : owned.data();
  parallel_for(terms, [&](std::size_t i) {
    if (!d_coeff) ntt::inverse(d.limb(i), coeff + i * n, ctx.ntt(i));
    centre_source(coeff + i * n, n, ctx.modulus(i));
  });
  if (uses_aux(ctx, key, level)) {
    aux_inner_products(ctx, coeff, level, key, acc0, acc1);
    return true;
  }
  // Target limbs are independent: each thread raises all digits to its targets into its
  // own scratch (pooled per thread, so no allocation after the first call).
  const random::Aes128Key aes = key_expander(key.seed);
  for_each_target(ctx, level, limbs, terms, acc0, acc1,
                  [&](std::size_t t, std::size_t j0, std::size_t j1, uint64_t* out0, uint64_t* out1) {
    AlignedBuffer<uint64_t> raised((j1 - j0) * n, Uninitialized{});
    std::vector<const uint64_t*> a_ptrs(j1 - j0);
    const std::size_t ki = key_index(ctx, level, t);
    for (std::size_t j = j0; j < j1; ++j) {
      if (j == t && !d_coeff) {
        a_ptrs[j - j0] = d.limb(j);  // its own prime: the input as it is (else transformed)
      } else {
        uint64_t* dst = raised.data() + (j - j0) * n;
        raise_limb(ctx, coeff + j * n, ctx.modulus(j).value(), ki, dst);
        a_ptrs[j - j0] = dst;
      }
    }
    limb_inner_products(key, aes, ki, a_ptrs.data(), j0, j1 - j0, out0, out1, n, ctx.modulus(ki));
  });
  return false;
}

// The key inner products of d over Q_l * P (level + 1 + |P| limbs each); returns whether
// they are in coefficient form (the auxiliary bases), else evaluation form. d_coeff: see
// switch_key_add (taken by the one-prime-digit path; digits of several primes transform d).
bool accumulate(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, AlignedBuffer<uint64_t>& acc0,
                AlignedBuffer<uint64_t>& acc1, uint64_t* d_coeff = nullptr) {
  const int level = static_cast<int>(d.limbs()) - 1;
  const std::size_t limbs = d.limbs() + ctx.p_count();
  acc0 = AlignedBuffer<uint64_t>(limbs * ctx.n(), Uninitialized{});
  acc1 = AlignedBuffer<uint64_t>(limbs * ctx.n(), Uninitialized{});
  if (one_prime_digits(ctx, level))
    return single_prime_inner_products(ctx, d, key, acc0.data(), acc1.data(), d_coeff);
  streamed_inner_products(ctx, d, key, nullptr, acc0.data(), acc1.data());
  return false;
}

}  // namespace

bool one_prime_digits(const Context& ctx, int level) {
  for (std::size_t j = 0; j < digit_count(ctx, level); ++j)
    if (ctx.digit_end(static_cast<int>(j)) - ctx.digit_start(static_cast<int>(j)) != 1) return false;
  return true;
}

void apply_switch_key(const Context& ctx, const Decomposition& dec, const KeySwitchKey& key, const uint32_t* perm,
                      rns::RnsPoly& u0, rns::RnsPoly& u1) {
  AlignedBuffer<uint64_t> acc0(dec.limbs * ctx.n(), Uninitialized{}), acc1(dec.limbs * ctx.n(), Uninitialized{});
  key_inner_products(ctx, dec, key, perm, acc0.data(), acc1.data());
  mod_down_qp(ctx, dec.level, acc0.data(), acc1.data(), u0, u1);
}

void key_inner_products_qp(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, const uint32_t* perm,
                           uint64_t* acc0, uint64_t* acc1) {
  streamed_inner_products(ctx, d, key, perm, acc0, acc1);
}

HoistedKeyProducts::HoistedKeyProducts(const Context& ctx, const Decomposition& dec,
                                       std::vector<const KeySwitchKey*> keys, std::vector<const uint32_t*> perms)
    : ctx_(ctx), dec_(dec), keys_(std::move(keys)), perms_(std::move(perms)) {
  if (perms_.size() != keys_.size())
    throw_parameter("key_switch", "permutations", "do not match the keys", std::to_string(keys_.size()),
                    perms_.size());
  for (const KeySwitchKey* key : keys_) check_key(ctx, *key);
  for (const KeySwitchKey* key : keys_) aes_.push_back(key_expander(key->seed));
}

void HoistedKeyProducts::compute(std::size_t r, std::size_t t, std::size_t begin, std::size_t end, uint64_t* out0,
                                 uint64_t* out1) const {
  const std::size_t terms = dec_.digits.size();
  std::vector<const uint64_t*> digits(terms);
  for (std::size_t j = 0; j < terms; ++j) digits[j] = dec_.digits[j].data() + t * ctx_.n();
  const std::size_t ki = key_index(ctx_, dec_.level, t);
  limb_inner_products(*keys_[r], aes_[r], ki, digits.data(), 0, terms, out0, out1, ctx_.n(), ctx_.modulus(ki),
                      perms_[r], begin, end);
}

void switch_key(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, rns::RnsPoly& u0,
                rns::RnsPoly& u1) {
  AlignedBuffer<uint64_t> acc0, acc1;
  const bool coeff = accumulate(ctx, d, key, acc0, acc1);
  mod_down_qp(ctx, static_cast<int>(d.limbs()) - 1, acc0.data(), acc1.data(), u0, u1, coeff);
}

void switch_key_add(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, uint64_t* d_coeff,
                    const uint64_t* c0, const uint64_t* c1, rns::RnsPoly& u0, rns::RnsPoly& u1) {
  AlignedBuffer<uint64_t> acc0, acc1;
  const bool coeff = accumulate(ctx, d, key, acc0, acc1, d_coeff);
  mod_down_add_qp(ctx, static_cast<int>(d.limbs()) - 1, acc0.data(), acc1.data(), c0, c1, u0, u1, coeff);
}

void switch_key_rescale(const Context& ctx, const rns::RnsPoly& d, const KeySwitchKey& key, const rns::RnsPoly& c0,
                        const rns::RnsPoly& c1, rns::RnsPoly& u0, rns::RnsPoly& u1) {
  const int level = static_cast<int>(d.limbs()) - 1;
  if (level < 1)
    throw_parameter("relinearize_rescale", "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)",
                    level);
  AlignedBuffer<uint64_t> acc0, acc1;
  const bool coeff = accumulate(ctx, d, key, acc0, acc1);
  mod_down_rescale_qp(ctx, level, acc0.data(), acc1.data(), &c0, &c1, u0, u1, coeff);
}

}  // namespace ppml::rlwe
