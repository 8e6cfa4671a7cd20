// Little-endian byte writer and a bounds-checked reader whose every failure is a
// FormatError (never a crash, never a read past the end).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/errors.hpp"

namespace ppml::rlwe {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void f64(double v) { raw(&v, 8); }
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  // Sized once: a secret key's bytes are then written without a reallocation, which would
  // free an unwiped partial copy.
  void reserve(std::size_t bytes) { out_.reserve(bytes); }
  std::string& str() { return out_; }
  std::size_t size() const { return out_.size(); }
  // Patch a u64 written earlier at `offset`.
  void patch_u64(std::size_t offset, uint64_t v) { std::memcpy(&out_[offset], &v, 8); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  ByteReader(const char* data, std::size_t size, const char* api) : p_(data), end_(data + size), api_(api) {}
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  void need(std::size_t n, const char* what) const {
    if (remaining() < n)
      throw_format(api_, "data", "is truncated", std::to_string(n) + " more bytes for " + what,
                   std::to_string(remaining()) + " bytes");
  }
  uint8_t u8(const char* what) {
    need(1, what);
    return static_cast<uint8_t>(*p_++);
  }
  uint16_t u16(const char* what) { return read<uint16_t>(what); }
  uint32_t u32(const char* what) { return read<uint32_t>(what); }
  uint64_t u64(const char* what) { return read<uint64_t>(what); }
  double f64(const char* what) { return read<double>(what); }
  void raw(void* dst, std::size_t n, const char* what) {
    need(n, what);
    std::memcpy(dst, p_, n);
    p_ += n;
  }
  const char* api() const { return api_; }

 private:
  template <typename T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  const char* p_;
  const char* end_;
  const char* api_;
};

}  // namespace ppml::rlwe
