// BFV plaintexts: the batch encoder (t prime = 1 mod 2n: n slots as a 2 x n/2 matrix,
// SEAL's slot order so that X -> X^(3^k) rotates both rows by k and X -> X^(2n-1) swaps
// them) and the coefficient encoder (any t); the lifts of a plaintext m (coefficients in
// [0, t)) to a level: round(Q_l m / t) for encryption and addition, the centered m for
// plaintext products. A plaintext is an rlwe::Plaintext holding m as one
// coefficient-form limb over q_0 (every value < t < q_0).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "he/bfv/context.hpp"
#include "he/rlwe/ciphertext.hpp"
#include "ntt/ntt_tables.hpp"

namespace ppml::bfv {

class BatchEncoder {
 public:
  // Throws ParameterError if the context does not support batching.
  explicit BatchEncoder(const BfvContext& ctx);

  // values: `count` <= n residues in [0, t) (the caller reduces); the rest are 0.
  rlwe::Plaintext encode(const uint64_t* values, std::size_t count) const;
  // n slot values in [0, t).
  void decode(const rlwe::Plaintext& pt, uint64_t* out) const;

 private:
  const BfvContext& ctx_;
  std::shared_ptr<const ntt::NttTables> tables_;
  std::vector<uint32_t> index_map_;  // slot i -> bit-reversed evaluation index
};

// values: `count` <= n coefficients in [0, t).
rlwe::Plaintext encode_coefficients(const BfvContext& ctx, const uint64_t* values, std::size_t count);

// round(Q_l m / t) mod Q_l in evaluation form.
rns::RnsPoly scaled_message(const BfvContext& ctx, const rlwe::Plaintext& pt, int level);
// m with coefficients lifted to (-t/2, t/2], in evaluation form at `level`.
rns::RnsPoly centered_message(const BfvContext& ctx, const rlwe::Plaintext& pt, int level);

// Throws ParameterError unless pt is a BFV plaintext of this context (1 limb, values < t).
void check_plaintext(const char* api, const BfvContext& ctx, const rlwe::Plaintext& pt);

}  // namespace ppml::bfv
