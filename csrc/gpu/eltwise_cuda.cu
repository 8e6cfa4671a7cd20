// Element-wise CUDA kernels over limb-major RNS buffers: the pointwise ring operations,
// automorphisms, fast base conversion (rns/base_converter.cpp bit for bit, including
// HPS18's floating-point alpha) and the inner product of hybrid key switching
// (rlwe/key_switch.cpp). One thread per output word running a functor of
// kernel_bodies.hpp; the launchers are in eltwise_launch.inl.
#include <cuda_runtime.h>

#include "gpu/device_memory.hpp"
#include "gpu/kernel_bodies.hpp"

namespace ppml::gpu {
namespace {

constexpr int kThreads = 256;

template <typename F>
__global__ void __launch_bounds__(kThreads) each_kernel(uint64_t total, F f) {
  const uint64_t idx = static_cast<uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx < total) f(idx);
}

template <typename F>
void launch_each(const char* name, uint64_t total, const F& f) {
  if (total == 0) return;
  each_kernel<<<static_cast<unsigned>((total + kThreads - 1) / kThreads), kThreads>>>(total, f);
  check_launch(name);
}

}  // namespace

#include "gpu/eltwise_launch.inl"

}  // namespace ppml::gpu
