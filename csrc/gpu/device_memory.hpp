// Device memory and CUDA status as plain C++ (no CUDA header), so the pybind11 glue is
// compiled by the host compiler: an owning buffer from the stream-ordered pool, the
// errors that cross into Python, and the probe that says why no GPU is usable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ppml::gpu {

// cudaMalloc failed: Python sees MemoryError naming the size asked for.
class DeviceOutOfMemory : public std::runtime_error {
 public:
  DeviceOutOfMemory(std::size_t bytes, const std::string& what) : std::runtime_error(what), bytes_(bytes) {}
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t bytes_;
};

// Any other CUDA failure (Python RuntimeError).
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns `bytes` of device memory (contents undefined until written). Move-only.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr, o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  std::size_t bytes() const { return bytes_; }
  uint64_t* words() const { return static_cast<uint64_t*>(ptr_); }
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }

  void upload(const void* host, std::size_t bytes, std::size_t offset = 0);
  void download(void* host, std::size_t bytes, std::size_t offset = 0) const;
  DeviceBuffer clone() const;

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

// Waits for all queued kernels; throws CudaError if one failed.
void synchronize();

struct DeviceInfo {
  int index = 0;
  std::string name;
  std::size_t total_memory = 0;
  std::size_t free_memory = 0;
  int major = 0, minor = 0;
  int multiprocessors = 0;
};

// What a probe found: status "ok", "no_driver", "no_device" or "error", a sentence
// saying why when not ok, and the devices.
struct ProbeResult {
  std::string status;
  std::string message;
  int runtime_version = 0;
  int driver_version = 0;
  std::vector<DeviceInfo> devices;
};
ProbeResult probe();

// Architectures this build holds code for (e.g. "sm_90, compute_90").
std::string compiled_architectures();

}  // namespace ppml::gpu
