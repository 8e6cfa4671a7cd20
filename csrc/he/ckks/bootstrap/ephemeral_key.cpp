#include "he/ckks/bootstrap/ephemeral_key.hpp"

#include <cstring>

#include "common/aligned_buffer.hpp"
#include "common/errors.hpp"
#include "common/secure_zero.hpp"
#include "he/rlwe/sampling.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::ckks {

rns::RnsPoly sample_sparse_ternary(const rlwe::Context& ctx, int weight, random::Prng& prng) {
  const uint64_t n = ctx.n();
  if (weight < 1 || static_cast<uint64_t>(weight) > n)
    throw_parameter("bootstrap", "ephemeral_weight", "is out of range", "1 <= weight <= n", weight);
  AlignedBuffer<int8_t> v(n, /*secret=*/true);
  AlignedBuffer<uint32_t> index(n, /*secret=*/true);
  std::memset(v.data(), 0, n);
  for (uint64_t k = 0; k < n; ++k) index[k] = static_cast<uint32_t>(k);
  // Partial Fisher-Yates: the first `weight` entries are a uniform subset; each gets +-1.
  for (int k = 0; k < weight; ++k) {
    const uint64_t j = k + prng.uniform_below(n - k);
    std::swap(index[k], index[j]);
    v[index[k]] = (prng.next_u32() & 1) ? int8_t{1} : int8_t{-1};
  }
  rns::RnsPoly s(n, ctx.qp_base(), rns::Form::Coefficient, /*secret=*/true);
  rlwe::small_to_rns(v.data(), s);
  rns::ntt_forward(s);
  return s;
}

void restrict_to_level0(const rlwe::Context& ctx, rlwe::KeySwitchKey& key) {
  auto wipe = [&key](std::size_t j, std::size_t i) { secure_zero(key.b[j].limb_bytes(i), key.b[j].limb_size(i)); };
  for (std::size_t j = 0; j < key.b.size(); ++j)
    for (std::size_t i = 0; i < ctx.q_count(); ++i)
      if (j > 0 || i > 0) wipe(j, i);
  for (std::size_t j = 1; j < key.b.size(); ++j)
    for (std::size_t i = ctx.q_count(); i < key.b[j].limbs(); ++i) wipe(j, i);
  key.aux.reset();  // derived from the rows just wiped
}

EphemeralKeys generate_ephemeral_keys(const rlwe::Context& ctx, const rlwe::SecretKey& sk, int weight,
                                      random::Prng& prng, bool compact) {
  rlwe::SecretKey sparse;
  sparse.s = sample_sparse_ternary(ctx, weight, prng);
  sparse.fingerprint = sk.fingerprint;
  sparse.key_id = sk.key_id;
  EphemeralKeys keys;
  keys.to_sparse = rlwe::generate_switch_key(ctx, sparse, sk.s, prng, compact);
  restrict_to_level0(ctx, keys.to_sparse);
  keys.to_dense = rlwe::generate_switch_key(ctx, sk, sparse.s, prng, compact);
  return keys;
}

}  // namespace ppml::ckks
