// Batched negacyclic NTT over many limbs in one launch pair, bit-identical with
// ntt/ntt_scalar.cpp: the same Harvey butterflies, twiddles (ntt::NttTables order) and
// ranges; only the order of independent butterflies differs. The kernel bodies (two per
// direction on 2048-word shared-memory tiles) are in kernel_bodies.hpp.
// [Harvey 2014; Kim et al. 2020 (the two-kernel split over shared-memory tiles)]
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "gpu/device_memory.hpp"
#include "gpu/kernel_bodies.hpp"

namespace ppml::gpu {
namespace {

constexpr int kThreads = 512;

struct Batch {
  uint16_t slot[kMaxBatch];
  uint8_t prime[kMaxBatch];
};

struct BlockSync {
  __device__ void operator()() const { __syncthreads(); }
};

__global__ void __launch_bounds__(kThreads) forward_strided(uint64_t* data, Batch b, NttDevice t, int log_r) {
  __shared__ uint64_t sh[body::kTile];
  const int p = b.prime[blockIdx.y];
  body::forward_strided(sh, data + uint64_t(b.slot[blockIdx.y]) * t.n, t.roots + p * t.n, t.roots_shoup + p * t.n,
                        t.mods[p].q, t.n, log_r, blockIdx.x, threadIdx.x, kThreads, BlockSync{});
}

__global__ void __launch_bounds__(kThreads) forward_chunk(uint64_t* data, Batch b, NttDevice t, int log_r) {
  __shared__ uint64_t sh[body::kTile];
  const int p = b.prime[blockIdx.y];
  body::forward_chunk(sh, data + uint64_t(b.slot[blockIdx.y]) * t.n, t.roots + p * t.n, t.roots_shoup + p * t.n,
                      t.mods[p].q, t.log_n, log_r, blockIdx.x, threadIdx.x, kThreads, BlockSync{});
}

__global__ void __launch_bounds__(kThreads) inverse_chunk(uint64_t* data, Batch b, NttDevice t, int log_r) {
  __shared__ uint64_t sh[body::kTile];
  const int p = b.prime[blockIdx.y];
  body::inverse_chunk(sh, data + uint64_t(b.slot[blockIdx.y]) * t.n, t.inv_roots + p * t.n,
                      t.inv_roots_shoup + p * t.n, t.scalars[p], t.mods[p].q, t.log_n, log_r, blockIdx.x, threadIdx.x,
                      kThreads, BlockSync{});
}

__global__ void __launch_bounds__(kThreads) inverse_strided(uint64_t* data, Batch b, NttDevice t, int log_r) {
  __shared__ uint64_t sh[body::kTile];
  const int p = b.prime[blockIdx.y];
  body::inverse_strided(sh, data + uint64_t(b.slot[blockIdx.y]) * t.n, t.inv_roots + p * t.n,
                        t.inv_roots_shoup + p * t.n, t.scalars[p], t.mods[p].q, t.n, log_r, blockIdx.x, threadIdx.x,
                        kThreads, BlockSync{});
}

template <bool Forward>
void run(uint64_t* data, const LimbMap& map, const NttDevice& t) {
  const int log_r = t.log_n > body::kTileLog ? t.log_n - body::kTileLog : 0;
  const unsigned tiles = t.log_n > body::kTileLog ? static_cast<unsigned>(t.n >> body::kTileLog) : 1u;
  const uint32_t total = static_cast<uint32_t>(map.slot.size());
  for (uint32_t e0 = 0; e0 < total; e0 += kMaxBatch) {
    const uint32_t count = std::min<uint32_t>(kMaxBatch, total - e0);
    Batch b;
    for (uint32_t e = 0; e < count; ++e) b.slot[e] = map.slot[e0 + e], b.prime[e] = map.prime[e0 + e];
    const dim3 grid(tiles, count);
    if (Forward) {
      if (log_r > 0) forward_strided<<<grid, kThreads>>>(data, b, t, log_r);
      forward_chunk<<<grid, kThreads>>>(data, b, t, log_r);
    } else {
      inverse_chunk<<<grid, kThreads>>>(data, b, t, log_r);
      if (log_r > 0) inverse_strided<<<grid, kThreads>>>(data, b, t, log_r);
    }
    check_launch(Forward ? "ntt_forward" : "ntt_inverse");
  }
}

}  // namespace

void check_launch(const char* what) {
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw CudaError(std::string("cuda: launch of ") + what + " failed: " + cudaGetErrorString(err));
}

void device_copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  cudaError_t err = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0);
  if (err != cudaSuccess) throw CudaError(std::string("cuda: cudaMemcpyAsync failed: ") + cudaGetErrorString(err));
}

void ntt_forward(uint64_t* data, const LimbMap& map, const NttDevice& t) { run<true>(data, map, t); }
void ntt_inverse(uint64_t* data, const LimbMap& map, const NttDevice& t) { run<false>(data, map, t); }

}  // namespace ppml::gpu
