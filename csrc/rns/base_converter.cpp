#include "rns/base_converter.hpp"

#include <cmath>

#include "common/aligned_buffer.hpp"
#include "common/thread_pool.hpp"

namespace ppml::rns {

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
  }
  for (std::size_t i = 0; i < kb; ++i) inv_q_.push_back(1.0 / static_cast<double>((*from_)[i].value()));
}

void BaseConverter::scaled_inputs(const uint64_t* in, uint64_t* y, std::size_t n) const {
  parallel_for(from_->size(), [&](std::size_t i) {
    const auto& q = (*from_)[i];
    const uint64_t w = from_->inv_punctured(i), ws = from_->inv_punctured_shoup(i);
    const uint64_t* src = in + i * n;
    uint64_t* dst = y + i * n;
    for (std::size_t k = 0; k < n; ++k) dst[k] = q.mul_shoup(src[k], w, ws);
  });
}

void BaseConverter::accumulate(const uint64_t* y, uint64_t* out, std::size_t n) const {
  const std::size_t kb = from_->size();
  constexpr std::size_t kChunk = 256;
  // Target primes are independent (one pool task each).
  parallel_for(to_->size(), [&](std::size_t j) {
    // 128-bit accumulators; products are < 2^122, so up to 32 terms fit before reducing.
    math::u128 acc[kChunk];
    const auto& p = (*to_)[j];
    const uint64_t* c = punctured_mod_.data() + j * kb;
    for (std::size_t k0 = 0; k0 < n; k0 += kChunk) {
      const std::size_t len = std::min(kChunk, n - k0);
      for (std::size_t k = 0; k < len; ++k) acc[k] = 0;
      for (std::size_t i = 0; i < kb; ++i) {
        const uint64_t* yi = y + i * n + k0;
        for (std::size_t k = 0; k < len; ++k) acc[k] += static_cast<math::u128>(yi[k]) * c[i];
        if ((i & 31) == 31)
          for (std::size_t k = 0; k < len; ++k) acc[k] = p.reduce128(acc[k]);
      }
      uint64_t* o = out + j * n + k0;
      for (std::size_t k = 0; k < len; ++k) o[k] = p.reduce128(acc[k]);
    }
  });
}

void BaseConverter::convert_approx(const uint64_t* in, uint64_t* out, std::size_t n) const {
  if (from_->size() == 1) {
    // Q = q_0: x itself, reduced modulo each target.
    for (std::size_t j = 0; j < to_->size(); ++j) {
      const auto& p = (*to_)[j];
      for (std::size_t k = 0; k < n; ++k) out[j * n + k] = p.reduce(in[k]);
    }
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
  // (boundary only at x ~ Q/2); a negative fraction means x > Q/2, so the non-centered
  // lift keeps one Q more. Small x (the common case) is never near a boundary.
  // Each coefficient's sum is computed in the same order whatever the split: same bits.
  std::vector<uint64_t> alpha(n);
  constexpr std::size_t kBlock = 1024;
  parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](std::size_t blk) {
    for (std::size_t k = blk * kBlock; k < std::min(n, (blk + 1) * kBlock); ++k) {
      double s = 0.0;
      for (std::size_t i = 0; i < kb; ++i) s += static_cast<double>(y[i * n + k]) * inv_q_[i];
      double v = std::floor(s + 0.5);
      if (!centered && s - v < 0) v -= 1.0;
      alpha[k] = static_cast<uint64_t>(v);
    }
  });
  parallel_for(to_->size(), [&](std::size_t j) {
    const auto& p = (*to_)[j];
    const uint64_t qm = q_mod_[j];
    uint64_t* o = out + j * n;
    for (std::size_t k = 0; k < n; ++k) o[k] = p.sub(o[k], p.mul(p.reduce(alpha[k]), qm));
  });
}

}  // namespace ppml::rns
