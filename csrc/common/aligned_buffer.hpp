// 64-byte aligned owning buffer; optionally wiped on release (secret material).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "common/memory_pool.hpp"
#include "common/secure_zero.hpp"

namespace ppml {

// Tag for buffers the caller overwrites completely before reading.
struct Uninitialized {};

template <typename T>
class AlignedBuffer {
 public:
  static constexpr std::size_t kAlignment = 64;

  AlignedBuffer() = default;
  // Zero-filled.
  explicit AlignedBuffer(std::size_t count, bool secret = false) : AlignedBuffer(count, Uninitialized{}, secret) {
    if (count) std::memset(static_cast<void*>(data_), 0, count * sizeof(T));
  }
  // Contents undefined (the caller writes every element first).
  AlignedBuffer(std::size_t count, Uninitialized, bool secret = false) : size_(count), secret_(secret) {
    if (count == 0) return;
    data_ = static_cast<T*>(pool_allocate(count * sizeof(T)));
  }
  AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_, Uninitialized{}, other.secret_) {
    if (size_) std::memcpy(static_cast<void*>(data_), other.data_, size_ * sizeof(T));
  }
  AlignedBuffer(AlignedBuffer&& other) noexcept { swap(other); }
  AlignedBuffer& operator=(AlignedBuffer other) noexcept {
    swap(other);
    return *this;
  }
  ~AlignedBuffer() { release(); }

  void swap(AlignedBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(secret_, other.secret_);
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool secret() const { return secret_; }
  void mark_secret() { secret_ = true; }
  // The contents no longer need wiping: a secret's mask became a public value.
  void mark_public() { secret_ = false; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  void release() {
    if (!data_) return;
    if (secret_) secure_zero(data_, size_ * sizeof(T));
    pool_release(data_, size_ * sizeof(T));
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  bool secret_ = false;
};

}  // namespace ppml
