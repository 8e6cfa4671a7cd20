// Sequential bytes of the CSPRNG keystream, read through a local buffer that is wiped on
// destruction. The kernels of this folder consume the stream strictly in order, so a test
// can replay it from Prng(seed).random_bytes(...) and a reference written in Python.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/secure_zero.hpp"
#include "random/prng.hpp"

namespace ppml::dp::local {

class ByteStream {
 public:
  explicit ByteStream(random::Prng& prng) : prng_(prng) {}
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;
  ~ByteStream() { secure_zero(buf_, sizeof(buf_)); }

  uint8_t next() {
    if (pos_ == sizeof(buf_)) refill();
    return buf_[pos_++];
  }
  // Pointer to the next `k` bytes (k <= 64), consumed.
  const uint8_t* take(std::size_t k) {
    if (sizeof(buf_) - pos_ < k) {
      // Keep the stream order: move the unread tail to the front, then top up.
      std::size_t left = sizeof(buf_) - pos_;
      for (std::size_t i = 0; i < left; ++i) buf_[i] = buf_[pos_ + i];
      prng_.fill(buf_ + left, sizeof(buf_) - left);
      pos_ = 0;
    }
    const uint8_t* p = buf_ + pos_;
    pos_ += k;
    return p;
  }

 private:
  void refill() {
    prng_.fill(buf_, sizeof(buf_));
    pos_ = 0;
  }
  random::Prng& prng_;
  alignas(64) uint8_t buf_[4096];
  std::size_t pos_ = sizeof(buf_);
};

}  // namespace ppml::dp::local
