// A CKKS/RLWE parameter set on the GPU: the host rlwe::Context it mirrors (built from the
// same Params, so every table is the CPU's), its primes, NTT tables and base-conversion
// plans in device memory, and the ciphertext operations on device-resident data. Every
// result is bit-identical with the CPU scalar path (tests/gpu). Plain C++ header: the
// implementation is in the *_cuda.cu files.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gpu/device_memory.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "he/rlwe/context.hpp"
#include "he/rlwe/keys.hpp"

namespace ppml::gpu {

// A ciphertext in device memory: `polys` components of (level + 1) x n words each,
// evaluation form, limb i modulo data prime q_i.
struct DeviceCiphertext {
  std::vector<DeviceBuffer> polys;
  int level = -1;
  uint64_t n = 0;
  double scale = 1.0;
  uint64_t fingerprint = 0;
  uint64_t key_id = 0;
  std::size_t size() const { return polys.size(); }
  std::size_t bytes() const { return polys.size() * static_cast<std::size_t>(level + 1) * n * 8; }
  DeviceCiphertext clone() const;
};

// A plaintext polynomial (evaluation form) at a level, with its scale.
struct DevicePlaintext {
  DeviceBuffer poly;
  int level = -1;
  double scale = 1.0;
  uint64_t fingerprint = 0;
};

// A key-switching key: b and a of every digit over Q*P, [digit][qp limb][n].
struct DeviceKey {
  DeviceBuffer b, a;
  std::size_t digits = 0;
  uint64_t fingerprint = 0;
  uint64_t key_id = 0;
};

class DeviceContext {
 public:
  // Builds the host context from `params` (validated) and uploads its tables. Throws
  // ParameterError for parameters the kernels do not take (more than 255 primes, a
  // digit of more than 64 primes, more than 64 special primes), CudaError /
  // DeviceOutOfMemory on device failures.
  explicit DeviceContext(const rlwe::Params& params);
  ~DeviceContext();
  DeviceContext(const DeviceContext&) = delete;
  DeviceContext& operator=(const DeviceContext&) = delete;

  const rlwe::Context& host() const { return *ctx_; }
  uint64_t n() const { return ctx_->n(); }

  // Transfers (validated: parameters, form).
  DeviceCiphertext upload(const rlwe::Ciphertext& ct) const;
  rlwe::Ciphertext download(const DeviceCiphertext& ct) const;
  DevicePlaintext upload(const rlwe::Plaintext& pt) const;
  DeviceKey upload(const rlwe::KeySwitchKey& key) const;

  // CKKS ciphertext operations (rlwe/arith.hpp and ckks/evaluator.hpp semantics, the same
  // checks and messages). MismatchError / ParameterError on bad operands.
  DeviceCiphertext add(const DeviceCiphertext& a, const DeviceCiphertext& b) const;
  DeviceCiphertext sub(const DeviceCiphertext& a, const DeviceCiphertext& b) const;
  DeviceCiphertext negate(const DeviceCiphertext& a) const;
  DeviceCiphertext add_plain(const DeviceCiphertext& a, const DevicePlaintext& pt) const;
  DeviceCiphertext sub_plain(const DeviceCiphertext& a, const DevicePlaintext& pt) const;
  DeviceCiphertext multiply_plain(const DeviceCiphertext& a, const DevicePlaintext& pt) const;
  // Every component times the integer with these residues modulo q_0 .. q_level.
  DeviceCiphertext multiply_integer(const DeviceCiphertext& a, const std::vector<uint64_t>& residues) const;
  DeviceCiphertext multiply(const DeviceCiphertext& a, const DeviceCiphertext& b) const;
  DeviceCiphertext relinearize(const DeviceCiphertext& a, const DeviceKey& key) const;
  DeviceCiphertext rescale(const DeviceCiphertext& a) const;
  DeviceCiphertext drop_to_level(const DeviceCiphertext& a, int level) const;
  DeviceCiphertext apply_galois(const DeviceCiphertext& a, uint64_t elt, const DeviceKey& key) const;
  std::vector<DeviceCiphertext> apply_galois_hoisted(const DeviceCiphertext& a, const std::vector<uint64_t>& elts,
                                                     const std::vector<const DeviceKey*>& keys) const;

  // Ring-level kernels on host arrays, for tests and benchmarks: `limbs` x n words, limb
  // i modulo Q*P prime primes[i] (each value < its prime).
  std::vector<uint64_t> ntt(const std::vector<uint64_t>& data, const std::vector<int>& primes, bool forward) const;
  // rns::BaseConverter from primes `from` to `to` (indices into Q*P): approximate, exact
  // or exact centred.
  std::vector<uint64_t> convert(const std::vector<uint64_t>& data, const std::vector<int>& from,
                                const std::vector<int>& to, bool exact, bool centered) const;
  // X -> X^k of limbs modulo primes[i], in coefficient or evaluation (bit-reversed) form.
  std::vector<uint64_t> automorphism(const std::vector<uint64_t>& data, const std::vector<int>& primes, uint64_t k,
                                     bool evaluation) const;
  // The same operations on device buffers, for the benchmark: an NTT of `limbs` data
  // limbs of a buffer in place (no transfer).
  void ntt_device(DeviceBuffer& data, std::size_t limbs, bool forward) const;

  struct Impl;

 private:
  std::shared_ptr<const rlwe::Context> ctx_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ppml::gpu
