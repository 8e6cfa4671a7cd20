#include "rns/base_converter.hpp"

#include <algorithm>
#include <cmath>

#include "common/aligned_buffer.hpp"
#include "common/backend.hpp"
#include "common/thread_pool.hpp"
#include "rns/eltwise.hpp"
#include "rns/exact_alpha.hpp"

namespace ppml::rns {
#ifdef PPML_HAVE_BASE_CONVERTER_AVX512
namespace detail {
void exact_alpha_avx512(const uint64_t* y, std::size_t kb, std::size_t n, std::size_t k0, std::size_t k1,
                        const double* inv_q, bool centered, double margin, uint64_t* alpha);
void subtract_alpha_avx512(uint64_t* out, const uint64_t* alpha, const uint64_t* table, std::size_t entries,
                           std::size_t n, uint64_t p);
}  // namespace detail
#endif

namespace {
// Coefficients per block of the weighted sums (see accumulate).
constexpr std::size_t kSumBlock = 2048;

bool use_avx512() {
#ifdef PPML_HAVE_BASE_CONVERTER_AVX512
  return effective_backend() == Backend::Avx512;
#else
  return false;
#endif
}
}  // namespace

BaseConverter::BaseConverter(std::shared_ptr<const RnsBase> from, std::shared_ptr<const RnsBase> to)
    : from_(std::move(from)), to_(std::move(to)) {
  const std::size_t kb = from_->size(), kc = to_->size();
  punctured_mod_.resize(kb * kc);
  q_mod_.resize(kc);
  for (std::size_t j = 0; j < kc; ++j) {
    const auto& p = (*to_)[j];
    for (std::size_t i = 0; i < kb; ++i)
      punctured_mod_[j * kb + i] = words::mod_word(from_->punctured_product(i).data(), kb, p);
    q_mod_[j] = words::mod_word(from_->product().data(), kb, p);
    for (std::size_t a = 0; a <= kb; ++a) alpha_q_mod_.push_back(p.mul(a, q_mod_[j]));  // a <= |B| < p
  }
  for (std::size_t i = 0; i < kb; ++i) {
    inv_q_.push_back(1.0 / static_cast<double>((*from_)[i].value()));
    from_bits_ = std::max(from_bits_, (*from_)[i].bits());
  }
  // Each of the |B| terms y_i * (1/q_i) < 1 carries three roundings (y_i to double, 1/q_i,
  // the product) and each of the |B| additions one of the sum (< |B|): an error below
  // (|B| + 2)^2 2^-53. Twice that is the margin.
  const double terms = static_cast<double>(kb + 2);
  alpha_margin_ = terms * terms * 0x1p-52;
}

uint64_t BaseConverter::exact_alpha(const uint64_t* y, std::size_t n, std::size_t k, bool centered) const {
  // S = sum_i y_i (Q / q_i) < |B| Q in integers; alpha = floor(S / Q) (<= |B| - 1
  // subtractions), one more for the centered lift when the remainder is >= Q / 2.
  const std::size_t kb = from_->size(), w = from_->product().size() + 2;
  std::vector<uint64_t> sum(w, 0), term(w, 0), q(w, 0);
  std::copy(from_->product().begin(), from_->product().end(), q.begin());
  for (std::size_t i = 0; i < kb; ++i) {
    const auto& qi = from_->punctured_product(i);
    std::fill(term.begin(), term.end(), 0);
    words::mul_word(qi.data(), qi.size(), y[i * n + k], term.data());
    words::add_inplace(sum.data(), term.data(), w);
  }
  uint64_t alpha = 0;
  while (words::compare(sum.data(), q.data(), w) >= 0) {
    words::sub_inplace(sum.data(), q.data(), w);
    ++alpha;
  }
  if (centered) {
    words::sub_inplace(q.data(), sum.data(), w);  // Q - remainder
    if (words::compare(sum.data(), q.data(), w) >= 0) ++alpha;
  }
  return alpha;
}

void BaseConverter::scaled_inputs(const uint64_t* in, uint64_t* y, std::size_t n) const {
  parallel_for(from_->size(), [&](std::size_t i) {
    mul_scalar_mod(in + i * n, from_->inv_punctured(i), y + i * n, n, (*from_)[i]);
  });
}

void BaseConverter::scale_input(std::size_t i, uint64_t* x, std::size_t n) const {
  mul_scalar_mod(x, from_->inv_punctured(i), x, n, (*from_)[i]);
}

void BaseConverter::convert_scaled_to(const uint64_t* const* y, const std::vector<std::size_t>& targets,
                                      const std::vector<uint64_t*>& outs, std::size_t n) const {
  const std::size_t kb = from_->size();
  std::vector<const uint64_t*> rows(kb);
  for (std::size_t k0 = 0; k0 < n; k0 += kSumBlock) {
    const std::size_t len = std::min(kSumBlock, n - k0);
    for (std::size_t i = 0; i < kb; ++i) rows[i] = y[i] + k0;
    for (std::size_t t = 0; t < targets.size(); ++t)
      weighted_sum_mod(rows.data(), punctured_mod_.data() + targets[t] * kb, kb, outs[t] + k0, len, (*to_)[targets[t]],
                       from_bits_);
  }
}

void BaseConverter::accumulate(const uint64_t* y, uint64_t* out, std::size_t n) const {
  const std::size_t kb = from_->size(), kc = to_->size();
  const std::size_t blocks = (n + kSumBlock - 1) / kSumBlock;
  if (blocks < 2 * static_cast<std::size_t>(num_threads())) {
    // Few coefficients: one pool task per target prime.
    std::vector<const uint64_t*> rows(kb);
    for (std::size_t i = 0; i < kb; ++i) rows[i] = y + i * n;
    parallel_for(kc, [&](std::size_t j) {
      weighted_sum_mod(rows.data(), punctured_mod_.data() + j * kb, kb, out + j * n, n, (*to_)[j], from_bits_);
    });
    return;
  }
  // Block by block of coefficients, every target from the block's |B| source rows while
  // they sit in L1/L2: target by target over whole rows read all |B| rows (2.5 MiB for a
  // 5-prime digit at 2^16, more than L2) from memory again for each target.
  parallel_for(blocks, [&](std::size_t b) {
    const std::size_t k0 = b * kSumBlock, len = std::min(kSumBlock, n - k0);
    std::vector<const uint64_t*> rows(kb);
    for (std::size_t i = 0; i < kb; ++i) rows[i] = y + i * n + k0;
    for (std::size_t j = 0; j < kc; ++j)
      weighted_sum_mod(rows.data(), punctured_mod_.data() + j * kb, kb, out + j * n + k0, len, (*to_)[j], from_bits_);
  });
}

void BaseConverter::convert_approx(const uint64_t* in, uint64_t* out, std::size_t n) const {
  if (from_->size() == 1) {
    // Q = q_0: x itself, reduced modulo each target.
    for (std::size_t j = 0; j < to_->size(); ++j) mul_scalar_mod(in, 1, out + j * n, n, (*to_)[j]);
    return;
  }
  AlignedBuffer<uint64_t> y(from_->size() * n, Uninitialized{});
  scaled_inputs(in, y.data(), n);
  accumulate(y.data(), out, n);
}

void BaseConverter::convert_exact(const uint64_t* in, uint64_t* out, std::size_t n, bool centered) const {
  const std::size_t kb = from_->size();
  AlignedBuffer<uint64_t> y(kb * n, Uninitialized{});
  scaled_inputs(in, y.data(), n);
  accumulate(y.data(), out, n);
  // sum_i y_i / q_i = x / Q + alpha. Rounding it gives the alpha of the centered lift
  // (boundary at x ~ Q/2); a negative fraction means x > Q/2, so the non-centered lift
  // keeps one Q more (boundary at x ~ 0 and Q). Within the sum's rounding error of a
  // boundary (a fraction ~2^-40 of the inputs at most) alpha comes from the integers.
  // Each coefficient's sum is computed in the same order whatever the split: same bits.
  std::vector<uint64_t> alpha(n);
  constexpr std::size_t kBlock = 1024;
  const bool simd = use_avx512();
  parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](std::size_t blk) {
    const std::size_t k0 = blk * kBlock, k1 = std::min(n, k0 + kBlock);
#ifdef PPML_HAVE_BASE_CONVERTER_AVX512
    if (simd) {
      // Same operations per coefficient in the same order: same bits.
      detail::exact_alpha_avx512(y.data(), kb, n, k0, k1, inv_q_.data(), centered, alpha_margin_, alpha.data());
    } else  // NOLINT(readability/braces): the #if splits the chain
#endif
    {
      for (std::size_t k = k0; k < k1; ++k) {
        double s = 0.0;
        for (std::size_t i = 0; i < kb; ++i) s += static_cast<double>(y[i * n + k]) * inv_q_[i];
        alpha[k] = detail::rounded_alpha(s, centered, alpha_margin_);
      }
    }
    for (std::size_t k = k0; k < k1; ++k)
      if (alpha[k] == detail::kAlphaUnsure) alpha[k] = exact_alpha(y.data(), n, k, centered);
  });
  parallel_for(to_->size(), [&](std::size_t j) {
    const auto& p = (*to_)[j];
    const uint64_t* table = alpha_q_mod_.data() + j * (kb + 1);
    uint64_t* o = out + j * n;
#ifdef PPML_HAVE_BASE_CONVERTER_AVX512
    if (simd) return detail::subtract_alpha_avx512(o, alpha.data(), table, kb + 1, n, p.value());
#endif
    for (std::size_t k = 0; k < n; ++k) o[k] = p.sub(o[k], table[alpha[k]]);
  });
}

}  // namespace ppml::rns
