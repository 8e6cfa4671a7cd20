// Launchers of the CUDA kernels, as plain C++ declarations: defined by ntt_cuda.cu and
// eltwise_cuda.cu (nvcc), or by emulation/emulated_kernels.cpp (host loops over the same
// kernel bodies, for testing without a GPU). Limb-major (limbs x n) buffers of 64-bit
// words; every output in [0, q) unless stated; all launches on the legacy stream, in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpu/mod_arith.hpp"

namespace ppml::gpu {

// One NTT batch: entry e transforms limb slot[e] of the buffer modulo prime[e] (an index
// into the context's prime table).
struct LimbMap {
  std::vector<uint16_t> slot;
  std::vector<uint8_t> prime;
  void add(std::size_t s, std::size_t p) {
    slot.push_back(static_cast<uint16_t>(s));
    prime.push_back(static_cast<uint8_t>(p));
  }
};
constexpr int kMaxBatch = 1024;  // entries per launch

// The context's NTT tables on the device, [prime][n] each (ntt::NttTables order).
struct NttScalars {
  uint64_t inv_n, inv_n_shoup, inv_n_w, inv_n_w_shoup;
};
struct NttDevice {
  const ModConst* mods;
  const uint64_t* roots;
  const uint64_t* roots_shoup;
  const uint64_t* inv_roots;
  const uint64_t* inv_roots_shoup;
  const NttScalars* scalars;
  uint64_t n;
  int log_n;
};

void check_launch(const char* what);
// Device-to-device copy on the stream (cudaMemcpyAsync).
void device_copy(void* dst, const void* src, std::size_t bytes);

// Negacyclic NTT (bit-reversed output) of every mapped limb, in place; any number of
// entries (split into launches of kMaxBatch). Inputs in [0, q).
void ntt_forward(uint64_t* data, const LimbMap& map, const NttDevice& t);
void ntt_inverse(uint64_t* data, const LimbMap& map, const NttDevice& t);

// Element-wise over `limbs` limbs whose limb i is prime prime_offset + i (data primes).
enum class EltOp { Add, Sub, Mul };
void eltwise_binary(EltOp op, const uint64_t* a, const uint64_t* b, uint64_t* out, std::size_t limbs, uint64_t n,
                    const ModConst* mods, std::size_t prime_offset = 0);
void eltwise_negate(const uint64_t* a, uint64_t* out, std::size_t limbs, uint64_t n, const ModConst* mods);
// out[i] = a[i] * s[i] mod q_i, s: device array of one residue per limb (< q_i).
void eltwise_mul_scalars(const uint64_t* a, const uint64_t* s, uint64_t* out, std::size_t limbs, uint64_t n,
                         const ModConst* mods);
// out[i] = a[i] + s[i] mod q_i (centring shifts), limb i of prime prime_offset + i.
void eltwise_add_scalars(const uint64_t* a, const uint64_t* s, uint64_t* out, std::size_t limbs, uint64_t n,
                         const ModConst* mods, std::size_t prime_offset = 0);
// (a0 b0, a0 b1 + a1 b0, a1 b1) over `limbs` data-prime limbs.
void tensor(const uint64_t* a0, const uint64_t* a1, const uint64_t* b0, const uint64_t* b1, uint64_t* c0,
            uint64_t* c1, uint64_t* c2, std::size_t limbs, uint64_t n, const ModConst* mods);
// out[j] = in[perm[j]] per limb (evaluation-form automorphism).
void permute(const uint64_t* in, const uint32_t* perm, uint64_t* out, std::size_t limbs, uint64_t n);
// Coefficient-form automorphism X -> X^k of limbs of primes prime_offset + i.
void automorphism_coeff(const uint64_t* in, uint64_t k, uint64_t* out, std::size_t limbs, uint64_t n,
                        const ModConst* mods, std::size_t prime_offset);

// Fast base conversion from |from| source limbs (coefficient form, each < its prime) to
// |to| targets (rns::BaseConverter, bit for bit), then minus h[t] mod each target:
//   y_i = x_i (Q/q_i)^-1 mod q_i;  out_t = sum_i y_i (Q/q_i mod p_t) - alpha Q - h_t  (mod p_t)
// with alpha = 0 (approximate) or HPS18's rounded estimate (exact, centred or not).
struct ConvPlan {
  uint32_t from_count, to_count;
  const uint8_t* from_prime;        // [from]
  const uint64_t* inv_punct;        // [from] (Q/q_i)^-1 mod q_i
  const uint64_t* inv_punct_shoup;  // [from]
  const double* inv_q;              // [from] 1 / q_i (exact mode)
  const uint8_t* to_prime;          // [to]
  const uint16_t* to_slot;          // [to] output limb
  const uint64_t* punct_mod;        // [to][from] (Q/q_i) mod p_t
  const uint64_t* q_mod;            // [to] Q mod p_t (exact mode)
  const uint64_t* h;                // [to] subtracted after the conversion (0: none)
};
enum class ConvMode { Approx, ExactCentered, Exact };
// in: from_count limbs of n (limb i = source i); out: limbs indexed by to_slot.
// `batches` independent inputs/outputs at strides in_stride/out_stride words.
void base_convert(const uint64_t* in, uint64_t* out, const ConvPlan& plan, ConvMode mode, uint64_t n,
                  const ModConst* mods, std::size_t batches = 1, std::size_t in_stride = 0,
                  std::size_t out_stride = 0);

// Key-switching inner product: for t < limbs (prime of t: data t <= level, else special),
// acc0[t] = sum_j digit_j[t][perm k] * kb_j[ki] , acc1 likewise with ka_j (mod q_ki).
// Digits at stride digit_stride words; key halves [digit][qp limb][n].
void key_inner_product(const uint64_t* digits, std::size_t digit_count, std::size_t digit_stride, const uint32_t* perm,
                       const uint64_t* kb, const uint64_t* ka, std::size_t qp_count, uint64_t* acc0, uint64_t* acc1,
                       std::size_t limbs, int level, std::size_t q_count, uint64_t n, const ModConst* mods);
// out[i] = (acc[i] - conv[i]) * pinv[i] mod q_i over level+1 limbs (ModDown's last step),
// plus add[i] when add != nullptr.
void mod_down_finish(const uint64_t* acc, const uint64_t* conv, const uint64_t* pinv, const uint64_t* add,
                     uint64_t* out, std::size_t limbs, uint64_t n, const ModConst* mods);
// Rescale's per-limb step (rns::rescale_by_last): for `batches` last limbs in coefficient
// form (stride n), t_i = ((last + half) mod q_l) mod q_i - half mod q_i, i < limbs;
// output [batch][limbs][n].
void rescale_lift(const uint64_t* last, uint64_t ql, uint64_t half, uint64_t* t, std::size_t batches,
                  std::size_t limbs, uint64_t n, const ModConst* mods);
// out_i = (a_i - t_i) * inv[i] mod q_i.
void sub_mul_scalars(const uint64_t* a, const uint64_t* t, const uint64_t* inv, uint64_t* out, std::size_t limbs,
                     uint64_t n, const ModConst* mods);

}  // namespace ppml::gpu
