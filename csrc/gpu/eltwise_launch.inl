// The element-wise launchers of kernels.hpp over the functors of kernel_bodies.hpp,
// shared by eltwise_cuda.cu and emulation/emulated_kernels.cpp: each defines
// `launch_each(name, total, functor)` (one CUDA thread per index, or a host loop) and
// includes this file inside namespace ppml::gpu.

void eltwise_binary(EltOp op, const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t limbs, uint64_t n,
                    const ModConst* mods, std::size_t prime_offset) {
  launch_each("eltwise_binary", limbs * n, body::Binary{op, a, b, out, n, mods + prime_offset});
}

void eltwise_negate(const uint64_t* a, uint64_t* out, std::size_t limbs, uint64_t n, const ModConst* mods) {
  launch_each("eltwise_negate", limbs * n, body::Negate{a, out, n, mods});
}

void eltwise_mul_scalars(const uint64_t* a, const uint64_t* s, uint64_t* out, std::size_t limbs, uint64_t n,
                         const ModConst* mods) {
  launch_each("eltwise_mul_scalars", limbs * n, body::Scalars<true>{a, s, out, n, mods});
}

void eltwise_add_scalars(const uint64_t* a, const uint64_t* s, uint64_t* out, std::size_t limbs, uint64_t n,
                         const ModConst* mods, std::size_t prime_offset) {
  launch_each("eltwise_add_scalars", limbs * n, body::Scalars<false>{a, s, out, n, mods + prime_offset});
}

void tensor(const uint64_t* a0, const uint64_t* a1, const uint64_t* b0, const uint64_t* b1, uint64_t* c0,
            uint64_t* c1, uint64_t* c2, std::size_t limbs, uint64_t n, const ModConst* mods) {
  launch_each("tensor", limbs * n, body::Tensor{a0, a1, b0, b1, c0, c1, c2, n, mods});
}

void permute(const uint64_t* in, const uint32_t* perm, uint64_t* out, std::size_t limbs, uint64_t n) {
  launch_each("permute", limbs * n, body::Permute{in, perm, out, n});
}

void automorphism_coeff(const uint64_t* in, uint64_t k, uint64_t* out, std::size_t limbs, uint64_t n,
                        const ModConst* mods, std::size_t prime_offset) {
  launch_each("automorphism_coeff", limbs * n, body::AutomorphismCoeff{in, k % (2 * n), out, n, mods + prime_offset});
}

void base_convert(const uint64_t* in, uint64_t* out, const ConvPlan& plan, ConvMode mode, uint64_t n,
                  const ModConst* mods, std::size_t batches, std::size_t in_stride, std::size_t out_stride) {
  if (plan.from_count > body::kMaxFrom) throw CudaError("base_convert: more than 64 source primes");
  if (plan.to_count == 0) return;
  launch_each("base_convert", batches * n, body::BaseConvert{in, out, plan, mode, n, mods, in_stride, out_stride});
}

void key_inner_product(const uint64_t* digits, std::size_t digit_count, std::size_t digit_stride, const uint32_t* perm,
                       const uint64_t* kb, const uint64_t* ka, std::size_t qp_count, uint64_t* acc0, uint64_t* acc1,
                       std::size_t limbs, int level, std::size_t q_count, uint64_t n, const ModConst* mods) {
  launch_each("key_inner_product", limbs * n,
              body::InnerProduct{digits, static_cast<uint32_t>(digit_count), digit_stride, perm, kb, ka, qp_count, acc0,
                                 acc1, level, q_count, n, mods});
}

void mod_down_finish(const uint64_t* acc, const uint64_t* conv, const uint64_t* pinv, const uint64_t* add,
                     uint64_t* out, std::size_t limbs, uint64_t n, const ModConst* mods) {
  launch_each("mod_down_finish", limbs * n, body::ModDownFinish{acc, conv, pinv, add, out, n, mods});
}

void rescale_lift(const uint64_t* last, uint64_t ql, uint64_t half, uint64_t* t, std::size_t batches,
                  std::size_t limbs, uint64_t n, const ModConst* mods) {
  launch_each("rescale_lift", batches * limbs * n, body::RescaleLift{last, ql, half, t, limbs, n, mods});
}

void sub_mul_scalars(const uint64_t* a, const uint64_t* t, const uint64_t* inv, uint64_t* out, std::size_t limbs,
                     uint64_t n, const ModConst* mods) {
  launch_each("sub_mul_scalars", limbs * n, body::SubMulScalars{a, t, inv, out, n, mods});
}
