// A polynomial of Z_Q[X]/(X^n + 1) in RNS: one 64-byte aligned (limbs x n) uint64 buffer,
// limb-major, in coefficient or evaluation (bit-reversed NTT) form.
#pragma once

#include <cstdint>
#include <memory>

#include "common/aligned_buffer.hpp"
#include "rns/rns_base.hpp"

namespace ppml::rns {

enum class Form : uint8_t { Coefficient = 0, Evaluation = 1 };

class RnsPoly {
 public:
  RnsPoly() = default;
  // Zero polynomial. `secret` buffers are wiped when freed. Throws ParameterError if n is
  // not a power of two in [2, 2^17].
  RnsPoly(uint64_t n, std::shared_ptr<const RnsBase> base, Form form = Form::Coefficient, bool secret = false);
  // Contents undefined: for outputs the caller overwrites completely.
  RnsPoly(uint64_t n, std::shared_ptr<const RnsBase> base, Form form, bool secret, Uninitialized);

  uint64_t n() const { return n_; }
  std::size_t limbs() const { return base_ ? base_->size() : 0; }
  Form form() const { return form_; }
  void set_form(Form f) { form_ = f; }
  bool secret() const { return data_.secret(); }
  // From now on the buffer is wiped when freed (it receives values derived from a secret).
  void mark_secret() { data_.mark_secret(); }
  // The buffer now holds a public value (an RLWE sample: the secret error it was drawn
  // into is masked), so it is no longer wiped nor refused by pickling.
  void mark_public() { data_.mark_public(); }
  const std::shared_ptr<const RnsBase>& base() const { return base_; }

  uint64_t* data() { return data_.data(); }
  const uint64_t* data() const { return data_.data(); }
  uint64_t* limb(std::size_t i) { return data_.data() + i * n_; }
  const uint64_t* limb(std::size_t i) const { return data_.data() + i * n_; }

  // Keeps the first `count` limbs (moduli prefix); data of the kept limbs is unchanged.
  void drop_to(std::size_t count, std::shared_ptr<const RnsBase> prefix_base);

 private:
  uint64_t n_ = 0;
  std::shared_ptr<const RnsBase> base_;
  Form form_ = Form::Coefficient;
  AlignedBuffer<uint64_t> data_;
};

}  // namespace ppml::rns
