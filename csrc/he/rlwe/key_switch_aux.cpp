#include "he/rlwe/key_switch_aux.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "common/fixed_width_packing.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/key_switch.hpp"
#include "he/rlwe/keys.hpp"
#include "math/primes.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::rlwe {
namespace {

std::atomic<int> g_method{static_cast<int>(KeySwitchMethod::Auto)};
std::atomic<uint64_t> g_aux_switches{0};

// R's primes: 50 bits, the IFMA transforms' and inner products' width.
constexpr int kAuxBits = 50;
// Chunks of up to this many primes are weighed (the cost model's optimum is 3-6 for the
// chains where the basis pays).
constexpr std::size_t kMaxChunk = 10;

// The cost model, in units of one 64-bit-lane transform of n coefficients, fitted to
// profiles of BFV and CKKS key switching at 2^15 and 2^16 (Intel Xeon): an IFMA transform
// (primes below 2^50) takes half of one; a key row streamed through the direct inner
// product (memory-bound) 0.14 of one per 64 bits of width, through the auxiliary one 0.22
// (its rows are read against digits that every chunk re-reads from L3); a conversion term
// 0.02. The model still favours the auxiliary bases by 0.1-0.2 (BFV 2^16: 0.53 predicted,
// 0.60 measured; 2^15: 0.66, 0.80; CKKS's 40-bit chains: 2^15 0.89 predicted, 0.95
// measured, 2^16 0.72 against 0.72), hence the margin in kAuxGain.
constexpr double kIfmaTransform = 0.5, kWideTransform = 1.0, kRowPer64Bits = 0.14, kAuxRowPer64Bits = 0.22,
                 kConversionTerm = 0.02, kAuxGain = 0.8;
double transform_cost(uint64_t q) { return q < (uint64_t{1} << 50) ? kIfmaTransform : kWideTransform; }
double row_cost(uint64_t q) { return kRowPer64Bits * rns::packed_width(math::Modulus(q)) / 64.0; }
double aux_row_cost() { return kAuxRowPer64Bits * kAuxBits / 64.0; }

double log2u(uint64_t v) { return std::log2(static_cast<double>(v)); }

// Coefficients per block of the inner products over R: every chunk's row of a prime of
// R reads all the digits, so the block's digits are kept within kDigitBlockBytes (half of
// the smallest L2 here, Zen's 1 MiB) and read from there by each chunk in turn. Chunk
// after chunk over whole rows, the digits (21 MB at 2^16) came back from DRAM for each.
constexpr std::size_t kDigitBlockBytes = std::size_t{512} << 10;
std::size_t aux_block_coefficients(std::size_t terms, uint64_t n) {
  std::size_t block = rns::kInterleaveSpan;
  while (2 * block <= n && terms * 2 * block * sizeof(uint64_t) <= kDigitBlockBytes) block *= 2;
  return std::min<std::size_t>(block, n);
}

}  // namespace

void set_key_switch_method(KeySwitchMethod m) { g_method.store(static_cast<int>(m)); }
KeySwitchMethod key_switch_method() { return static_cast<KeySwitchMethod>(g_method.load()); }
uint64_t aux_switch_count() { return g_aux_switches.load(); }

rns::InterleavedRows AuxKey::row(std::size_t r, std::size_t k) const {
  return {rows[r].data() + k / rns::kInterleaveSpan * rns::interleaved_span_bytes(digits, kAuxBits), kAuxBits, digits};
}

std::size_t AuxKey::memory_bytes() const {
  std::size_t bytes = 0;
  for (const auto& v : rows) bytes += v.size();
  return bytes;
}

const AuxBasis* Context::aux_basis() const {
  std::call_once(aux_once_, [this] {
    if (p_count() == 0 || !one_prime_digits(*this, max_level())) return;
    const uint64_t n = params_.n;
    std::vector<uint64_t> qp = params_.q;
    qp.insert(qp.end(), params_.p.begin(), params_.p.end());
    const std::size_t terms = q_count(), total = qp.size();
    // |Y_k| <= terms n (q_max / 2) (C_k / 2): R_k > 2 |Y_k| with two bits to spare (the
    // exact conversion's floating-point estimate needs Y_k away from R_k / 2).
    double q_max = 0;
    for (uint64_t q : params_.q) q_max = std::max(q_max, log2u(q));
    const double base_bits = log2u(terms) + log2u(n) + q_max - 1.0 + 2.0;
    double widest = 0;
    for (std::size_t a = 1; a <= std::min(kMaxChunk, total); ++a) {
      double c = 0;
      for (std::size_t i = 0; i < a; ++i) c += log2u(qp[total - 1 - i]);
      widest = std::max(widest, c);
    }
    const int r_count = static_cast<int>(std::ceil((base_bits + widest) / (kAuxBits - 1.0))) + 1;
    const std::vector<uint64_t> r = math::find_ntt_primes(kAuxBits, n, r_count, qp);
    // Primes of R needed for chunk [s0, s1).
    auto r_size = [&](std::size_t s0, std::size_t s1) {
      double need = base_bits, have = 0;
      for (std::size_t i = s0; i < s1; ++i) need += log2u(qp[i]);
      std::size_t c = 0;
      while (have < need) have += log2u(r[c++]);
      return c;
    };
    // Direct product: every digit transformed to every target, both key halves streamed.
    double direct = 0;
    for (uint64_t q : qp) direct += terms * (transform_cost(q) + 2.0 * row_cost(q));
    double best = std::numeric_limits<double>::infinity();
    std::size_t best_a = 1;
    for (std::size_t a = 1; a <= std::min(kMaxChunk, total); ++a) {
      double cost = 0;
      std::size_t r_max = 0;
      for (std::size_t s0 = 0; s0 < total; s0 += a) {
        const std::size_t s1 = std::min(total, s0 + a), rk = r_size(s0, s1);
        r_max = std::max(r_max, rk);
        cost += rk * (2.0 * kIfmaTransform + 2.0 * terms * aux_row_cost() + 2.0 * (s1 - s0) * kConversionTerm);
      }
      cost += terms * r_max * kIfmaTransform;
      if (cost < best) best = cost, best_a = a;
    }
    auto basis = std::make_unique<AuxBasis>();
    basis->beneficial = best < kAuxGain * direct;
    basis->r = std::make_shared<const rns::RnsBase>(r);
    basis->r->ntt_tables(n);
    for (std::size_t s0 = 0; s0 < total; s0 += best_a) {
      const std::size_t s1 = std::min(total, s0 + best_a), rk = r_size(s0, s1);
      basis->starts.push_back(s0);
      basis->row_offset.push_back(basis->rows);
      basis->rows += rk;
      auto chunk = std::make_shared<const rns::RnsBase>(std::vector<uint64_t>(qp.begin() + s0, qp.begin() + s1));
      auto rb = std::make_shared<const rns::RnsBase>(std::vector<uint64_t>(r.begin(), r.begin() + rk));
      basis->to_r.push_back(std::make_unique<rns::BaseConverter>(chunk, rb));
      basis->from_r.push_back(std::make_unique<rns::BaseConverter>(rb, chunk));
      basis->r_bases.push_back(std::move(rb));
    }
    basis->starts.push_back(total);
    aux_ = std::move(basis);
  });
  return aux_.get();
}

void attach_aux_key(const Context& ctx, KeySwitchKey& key) {
  key.aux.reset();
  const AuxBasis* ab = ctx.aux_basis();
  if (!ab || key.a.empty() || key.b.empty()) return;
  const KeySwitchMethod m = key_switch_method();
  if (m == KeySwitchMethod::Direct || (m == KeySwitchMethod::Auto && !ab->beneficial)) return;
  const uint64_t n = ctx.n();
  const std::size_t digits = key.b.size();
  std::size_t widest = 0, r_widest = 0;
  for (std::size_t k = 0; k < ab->chunks(); ++k) {
    widest = std::max(widest, ab->starts[k + 1] - ab->starts[k]);
    r_widest = std::max(r_widest, ab->r_bases[k]->size());
  }
  auto aux = std::make_shared<AuxKey>();
  aux->digits = digits;
  for (std::size_t r = 0; r < ab->rows; ++r) aux->rows.emplace_back(rns::interleaved_bytes(digits, kAuxBits, n));
  const auto& r_tables = ab->r->ntt_tables(n);
  // Each half of each digit: its chunks' limbs to coefficient form, lifted (centred) to
  // R_k, transformed and packed into its places in the rows (disjoint bytes per task).
  parallel_for(2 * digits, [&](std::size_t x) {
    const std::size_t j = x / 2;
    const int half = static_cast<int>(x % 2);
    const rns::PackedPoly& src = half == 0 ? key.b[j] : key.a[j];
    AlignedBuffer<uint64_t> chunk(widest * n, Uninitialized{}), lifted(r_widest * n, Uninitialized{});
    for (std::size_t k = 0; k < ab->chunks(); ++k) {
      const std::size_t s0 = ab->starts[k], s1 = ab->starts[k + 1], rk = ab->r_bases[k]->size();
      for (std::size_t i = s0; i < s1; ++i) {
        src.unpack_limb(i, chunk.data() + (i - s0) * n);
        ntt::inverse_inplace(chunk.data() + (i - s0) * n, ctx.ntt(i));
      }
      ab->to_r[k]->convert_exact(chunk.data(), lifted.data(), n, /*centered=*/true);
      for (std::size_t ri = 0; ri < rk; ++ri) {
        ntt::forward_inplace(lifted.data() + ri * n, *r_tables[ri]);
        rns::pack_interleaved(lifted.data() + ri * n, n, digits, kAuxBits, half, j,
                              aux->rows[ab->row_offset[k] + ri].data());
      }
    }
  });
  key.aux = std::move(aux);
  // The Q P a-halves are the seed's AES expansion: the direct product (a forced method)
  // regenerates them as for a compact key, so only the b-halves stay beside the rows over
  // R (BFV's relinearization key at 2^16: 1.56 GB instead of 2.00). ChaCha20 (format
  // 2.0/2.1) a-halves cannot be regenerated block by block and stay.
  if (!key.legacy_expansion) key.a.clear();
}

bool uses_aux(const Context& ctx, const KeySwitchKey& key, int level) {
  if (!key.aux) return false;
  const KeySwitchMethod m = key_switch_method();
  if (m == KeySwitchMethod::Direct) return false;
  const AuxBasis* ab = ctx.aux_basis();
  return ab && (m == KeySwitchMethod::Aux || ab->beneficial) && one_prime_digits(ctx, level);
}

void aux_inner_products(const Context& ctx, const uint64_t* coeff, int level, const KeySwitchKey& key, uint64_t* acc0,
                        uint64_t* acc1) {
  const AuxBasis& ab = *ctx.aux_basis();
  const AuxKey& ak = *key.aux;
  g_aux_switches.fetch_add(1);
  const uint64_t n = ctx.n();
  const std::size_t terms = static_cast<std::size_t>(level) + 1, qc = ctx.q_count();
  constexpr std::size_t kNone = ~std::size_t{0};
  // Limb of the accumulators holding key index i at this level, if any.
  auto acc_index = [&](std::size_t i) { return i < terms ? i : i >= qc ? terms + (i - qc) : kNone; };
  std::vector<std::size_t> chunks;
  std::size_t r_max = 0;
  for (std::size_t k = 0; k < ab.chunks(); ++k) {
    bool needed = false;
    for (std::size_t i = ab.starts[k]; i < ab.starts[k + 1]; ++i) needed |= acc_index(i) != kNone;
    if (!needed) continue;
    chunks.push_back(k);
    r_max = std::max(r_max, ab.r_bases[k]->size());
  }
  const auto& r_tables = ab.r->ntt_tables(n);
  // Prime by prime of R: the centred digits raised to it, Y_k over that prime for both key
  // halves (block by block, every chunk's row: aux_block_coefficients), then Y_k's rows
  // back in coefficient form. Pipelined: step s raises the digits to prime s and
  // transforms back the rows of prime s - 2 (compute) while the inner products of prime
  // s - 1 stream the key (memory): parallel_for_pair.
  AlignedBuffer<uint64_t> raised(2 * terms * n, Uninitialized{});  // primes s and s - 1
  AlignedBuffer<uint64_t> y(2 * ab.rows * n, Uninitialized{});
  uint64_t* y0 = y.data();
  uint64_t* y1 = y.data() + ab.rows * n;
  auto digits_of = [&](std::size_t ri) { return raised.data() + (ri % 2) * terms * n; };
  std::vector<std::vector<std::size_t>> rows_of(r_max);  // the chunks with a row over prime ri
  for (std::size_t ri = 0; ri < r_max; ++ri)
    for (std::size_t k : chunks)
      if (ri < ab.r_bases[k]->size()) rows_of[ri].push_back(k);
  auto raise = [&](std::size_t ri, std::size_t j) {
    const math::Modulus& r = (*ab.r)[ri];
    const uint64_t qj = ctx.modulus(j).value();
    const uint64_t* src = coeff + j * n;
    uint64_t* dst = digits_of(ri) + j * n;
    if (!ntt::forward_reduces(qj, r.value())) {
      rns::mul_scalar_mod(src, 1, dst, n, r);
      src = dst;
    }
    ntt::forward(src, r.neg(r.reduce((qj - 1) >> 1)), dst, *r_tables[ri]);
  };
  const std::size_t block = aux_block_coefficients(terms, n), blocks = (n + block - 1) / block;
  auto inner = [&](std::size_t ri, std::size_t x) {
    const std::size_t k0 = x * block;
    std::vector<const uint64_t*> part_digits(terms);
    for (std::size_t j = 0; j < terms; ++j) part_digits[j] = digits_of(ri) + j * n + k0;
    for (std::size_t k : rows_of[ri]) {
      const std::size_t row = ab.row_offset[k] + ri;
      rns::inner_product2_interleaved_mod(part_digits.data(), ak.row(row, k0), terms, y0 + row * n + k0,
                                          y1 + row * n + k0, std::min(block, n - k0), (*ab.r)[ri]);
    }
  };
  auto inverse = [&](std::size_t ri, std::size_t x) {
    const std::size_t row = ab.row_offset[rows_of[ri][x / 2]] + ri;
    ntt::inverse_inplace((x % 2 == 0 ? y0 : y1) + row * n, *r_tables[ri]);
  };
  for (std::size_t s = 0; s < r_max + 2; ++s) {
    const std::size_t memory = s >= 1 && s <= r_max ? blocks : 0;
    const std::size_t raises = s < r_max ? terms : 0, inverses = s >= 2 ? 2 * rows_of[s - 2].size() : 0;
    parallel_for_pair(memory, [&](std::size_t x) { inner(s - 1, x); }, raises + inverses,
                      [&](std::size_t x) { x < raises ? raise(s, x) : inverse(s - 2, x - raises); });
  }
  // Y_k modulo the primes of C_k that this level keeps: straight into the accumulators
  // when they are consecutive there. While there are at least two per thread, one pool
  // task per chunk and key half, each conversion on its thread: split inside, a
  // conversion's steps over whole rows each end in a barrier (the 12 of a 2^16 switch
  // ran 1.35x faster on two threads than on one; as tasks, a 2^16 rotation on two
  // threads took 70.1-70.8 ms instead of 73.9-75.8).
  auto convert = [&](std::size_t x) {
    const std::size_t k = chunks[x / 2], s0 = ab.starts[k], s1 = ab.starts[k + 1];
    bool direct = acc_index(s0) != kNone;
    for (std::size_t i = s0; i < s1; ++i) direct &= acc_index(i) == acc_index(s0) + (i - s0);
    const uint64_t* yk = (x % 2 == 0 ? y0 : y1) + ab.row_offset[k] * n;
    uint64_t* acc = x % 2 == 0 ? acc0 : acc1;
    if (direct) {
      ab.from_r[k]->convert_exact(yk, acc + acc_index(s0) * n, n, /*centered=*/true);
      return;
    }
    AlignedBuffer<uint64_t> conv((s1 - s0) * n, Uninitialized{});
    ab.from_r[k]->convert_exact(yk, conv.data(), n, /*centered=*/true);
    for (std::size_t i = s0; i < s1; ++i)
      if (acc_index(i) != kNone) std::memcpy(acc + acc_index(i) * n, conv.data() + (i - s0) * n, n * sizeof(uint64_t));
  };
  const std::size_t conversions = 2 * chunks.size();
  if (conversions >= 2 * static_cast<std::size_t>(num_threads())) {
    parallel_for(conversions, convert);
  } else {
    for (std::size_t x = 0; x < conversions; ++x) convert(x);
  }
}

}  // namespace ppml::rlwe
