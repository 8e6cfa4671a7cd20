// Host emulation of the CUDA backend, for tests on machines without a GPU (built only
// with -DPPML_GPU_EMULATION=ON, as the module pyppml._gpu_emulated): DeviceBuffer on host
// memory and every launcher of kernels.hpp as a loop over the same kernel bodies
// (kernel_bodies.hpp), one "thread" doing all iterations of a block in order, so the
// barriers hold trivially. It checks the index arithmetic, tables, plans and the whole
// key-switching and CKKS pipeline bit for bit; not races, shared-memory limits or the
// CUDA runtime (only a real GPU checks those: bench/gpu/check.sh).
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "gpu/device_memory.hpp"
#include "gpu/kernel_bodies.hpp"

namespace ppml::gpu {
namespace {

struct NoSync {
  void operator()() const {}
};

template <typename F>
void launch_each(const char*, uint64_t total, const F& f) {
  for (uint64_t i = 0; i < total; ++i) f(i);
}

}  // namespace

DeviceBuffer::DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  // The emulated device holds at most 1 TiB per buffer (so a sanitizer's allocator is never
  // asked for more than it supports: it would abort instead of returning null).
  ptr_ = bytes <= (std::size_t{1} << 40) ? std::malloc(bytes) : nullptr;
  if (!ptr_) throw DeviceOutOfMemory(bytes, "cuda (emulated): out of memory; asked for " + std::to_string(bytes) + " bytes");
}

DeviceBuffer::~DeviceBuffer() { std::free(ptr_); }

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    std::free(ptr_);
    ptr_ = o.ptr_, bytes_ = o.bytes_;
    o.ptr_ = nullptr, o.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::upload(const void* host, std::size_t bytes, std::size_t offset) {
  if (offset + bytes > bytes_) throw CudaError("cuda: upload past the end of a device buffer");
  if (bytes) std::memcpy(static_cast<char*>(ptr_) + offset, host, bytes);
}

void DeviceBuffer::download(void* host, std::size_t bytes, std::size_t offset) const {
  if (offset + bytes > bytes_) throw CudaError("cuda: download past the end of a device buffer");
  if (bytes) std::memcpy(host, static_cast<const char*>(ptr_) + offset, bytes);
}

DeviceBuffer DeviceBuffer::clone() const {
  DeviceBuffer out(bytes_);
  if (bytes_) std::memcpy(out.ptr_, ptr_, bytes_);
  return out;
}

void synchronize() {}

ProbeResult probe() {
  ProbeResult r;
  r.status = "ok";
  DeviceInfo d;
  d.name = "host emulation of the CUDA kernels";
  d.major = 9;
  r.devices.push_back(d);
  return r;
}

std::string compiled_architectures() { return "emulation"; }

void check_launch(const char*) {}

void device_copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}

namespace {
template <bool Forward>
void run(uint64_t* data, const LimbMap& map, const NttDevice& t) {
  const int log_r = t.log_n > body::kTileLog ? t.log_n - body::kTileLog : 0;
  const uint64_t tiles = t.log_n > body::kTileLog ? t.n >> body::kTileLog : 1;
  static thread_local uint64_t sh[body::kTile];
  for (std::size_t e = 0; e < map.slot.size(); ++e) {
    const int p = map.prime[e];
    uint64_t* a = data + uint64_t(map.slot[e]) * t.n;
    const uint64_t q = t.mods[p].q;
    // Every tile of a kernel before any tile of the next, as the two launches order them.
    if (Forward) {
      if (log_r > 0)
        for (uint64_t b = 0; b < tiles; ++b)
          body::forward_strided(sh, a, t.roots + p * t.n, t.roots_shoup + p * t.n, q, t.n, log_r, b, 0, 1, NoSync{});
      for (uint64_t b = 0; b < tiles; ++b)
        body::forward_chunk(sh, a, t.roots + p * t.n, t.roots_shoup + p * t.n, q, t.log_n, log_r, b, 0, 1, NoSync{});
    } else {
      for (uint64_t b = 0; b < tiles; ++b)
        body::inverse_chunk(sh, a, t.inv_roots + p * t.n, t.inv_roots_shoup + p * t.n, t.scalars[p], q, t.log_n, log_r,
                            b, 0, 1, NoSync{});
      if (log_r > 0)
        for (uint64_t b = 0; b < tiles; ++b)
          body::inverse_strided(sh, a, t.inv_roots + p * t.n, t.inv_roots_shoup + p * t.n, t.scalars[p], q, t.n, log_r,
                                b, 0, 1, NoSync{});
    }
  }
}
}  // namespace

void ntt_forward(uint64_t* data, const LimbMap& map, const NttDevice& t) { run<true>(data, map, t); }
void ntt_inverse(uint64_t* data, const LimbMap& map, const NttDevice& t) { run<false>(data, map, t); }

#include "gpu/eltwise_launch.inl"

}  // namespace ppml::gpu
