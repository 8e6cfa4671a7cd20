// DeviceBuffer on the stream-ordered allocator (cudaMallocAsync on the legacy stream: a
// pooled allocation costs about a microsecond, so operations allocate their outputs
// freely), CUDA error mapping, and the device probe.
#include <cuda_runtime.h>

#include <string>

#include "gpu/device_memory.hpp"

namespace ppml::gpu {
namespace {

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw CudaError(std::string("cuda: ") + what + " failed: " + cudaGetErrorString(err));
}

std::string mib(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

void keep_pool() {
  // Freed blocks stay in the pool (no release at each synchronization).
  static bool done = [] {
    int dev = 0;
    cudaMemPool_t pool;
    if (cudaGetDevice(&dev) == cudaSuccess && cudaDeviceGetDefaultMemPool(&pool, dev) == cudaSuccess) {
      uint64_t threshold = ~uint64_t{0};
      cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold);
    }
    return true;
  }();
  (void)done;
}

}  // namespace

DeviceBuffer::DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  keep_pool();
  cudaError_t err = cudaMallocAsync(&ptr_, bytes, 0);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it, the process keeps running
    ptr_ = nullptr;
    std::size_t free = 0, total = 0;
    cudaMemGetInfo(&free, &total);
    throw DeviceOutOfMemory(bytes, "cuda: out of device memory; asked for " + std::to_string(bytes) + " bytes (" +
                                       mib(bytes) + "), " + mib(free) + " free of " + mib(total));
  }
  if (err != cudaSuccess) ptr_ = nullptr;
  check(err, "cudaMallocAsync");
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_) cudaFreeAsync(ptr_, 0);
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (ptr_) cudaFreeAsync(ptr_, 0);
    ptr_ = o.ptr_, bytes_ = o.bytes_;
    o.ptr_ = nullptr, o.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::upload(const void* host, std::size_t bytes, std::size_t offset) {
  if (bytes == 0) return;
  if (offset + bytes > bytes_) throw CudaError("cuda: upload past the end of a device buffer");
  check(cudaMemcpy(static_cast<char*>(ptr_) + offset, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy (upload)");
}

void DeviceBuffer::download(void* host, std::size_t bytes, std::size_t offset) const {
  if (bytes == 0) return;
  if (offset + bytes > bytes_) throw CudaError("cuda: download past the end of a device buffer");
  check(cudaMemcpy(host, static_cast<const char*>(ptr_) + offset, bytes, cudaMemcpyDeviceToHost),
        "cudaMemcpy (download)");
}

DeviceBuffer DeviceBuffer::clone() const {
  DeviceBuffer out(bytes_);
  if (bytes_) check(cudaMemcpyAsync(out.ptr_, ptr_, bytes_, cudaMemcpyDeviceToDevice, 0), "cudaMemcpyAsync (copy)");
  return out;
}

void synchronize() {
  check(cudaDeviceSynchronize(), "a kernel");
  check(cudaGetLastError(), "a kernel launch");
}

ProbeResult probe() {
  ProbeResult r;
  cudaRuntimeGetVersion(&r.runtime_version);
  cudaError_t derr = cudaDriverGetVersion(&r.driver_version);
  if (derr != cudaSuccess || r.driver_version == 0) {
    r.status = "no_driver";
    r.message = "no NVIDIA driver is loaded (libcuda.so.1 not found or not usable)";
    return r;
  }
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorInsufficientDriver) {
    r.status = "no_driver";
    r.message = "the NVIDIA driver (CUDA " + std::to_string(r.driver_version / 1000) + "." +
                std::to_string(r.driver_version % 1000 / 10) + ") is older than this build's runtime (CUDA " +
                std::to_string(r.runtime_version / 1000) + "." + std::to_string(r.runtime_version % 1000 / 10) + ")";
    cudaGetLastError();
    return r;
  }
  if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
    r.status = "no_device";
    r.message = "the NVIDIA driver is loaded but sees no CUDA device";
    cudaGetLastError();
    return r;
  }
  if (err != cudaSuccess) {
    r.status = "error";
    r.message = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(err);
    cudaGetLastError();
    return r;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.index = i;
    d.name = prop.name;
    d.total_memory = prop.totalGlobalMem;
    d.major = prop.major;
    d.minor = prop.minor;
    d.multiprocessors = prop.multiProcessorCount;
    r.devices.push_back(d);
  }
  std::size_t free = 0, total = 0;
  if (!r.devices.empty() && cudaMemGetInfo(&free, &total) == cudaSuccess) r.devices[0].free_memory = free;
  cudaGetLastError();
  if (r.devices.empty()) {
    r.status = "error";
    r.message = "no CUDA device could be queried";
  } else if (r.devices[0].major < 9) {
    // The build holds sm_90 code and compute_90 PTX: nothing older can run it.
    r.status = "unsupported_device";
    r.message = "device 0 (" + r.devices[0].name + ") has compute capability " + std::to_string(r.devices[0].major) +
                "." + std::to_string(r.devices[0].minor) + "; this build needs 9.0 or newer";
  } else {
    r.status = "ok";
  }
  return r;
}

std::string compiled_architectures() {
#ifdef PPML_CUDA_ARCHS
  return PPML_CUDA_ARCHS;
#else
  return "unknown";
#endif
}

}  // namespace ppml::gpu
