#include "he/ckks/bootstrap/mod_raise.hpp"

#include <cstring>

#include "common/aligned_buffer.hpp"
#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/key_switch.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"
#include "rns/poly_ops.hpp"

namespace ppml::ckks {

rlwe::Ciphertext mod_raise(const rlwe::Context& ctx, const rlwe::Ciphertext& ct, int level) {
  rlwe::check_same_params("bootstrap", ctx, ct.fingerprint);
  if (ct.level() != 0)
    throw_parameter("bootstrap", "ciphertext", "is not at level 0", "level 0 before ModRaise", ct.level());
  if (ct.size() != 2)
    throw_parameter("bootstrap", "ciphertext", "is not relinearized", "2 components", ct.size());
  ctx.check_level("bootstrap", level);
  const uint64_t n = ctx.n();
  const uint64_t q0 = ctx.modulus(0).value(), half = q0 >> 1;
  rlwe::Ciphertext out;
  out.scale = ct.scale;
  out.fingerprint = ct.fingerprint;
  out.key_id = ct.key_id;
  AlignedBuffer<uint64_t> coeff(n, Uninitialized{});
  for (const auto& c : ct.polys) {
    ntt::inverse(c.limb(0), coeff.data(), ctx.ntt(0));
    rns::RnsPoly raised(n, ctx.q_base(level), rns::Form::Coefficient, false, Uninitialized{});
    std::memcpy(raised.limb(0), coeff.data(), n * sizeof(uint64_t));
    // Centred representative v - q0 for v > q0 / 2, written mod each q_i (q_i > q0 / 2
    // is not assumed: every value is reduced), then the limb's NTT; limbs in parallel.
    parallel_for(static_cast<std::size_t>(level) + 1, [&](std::size_t i) {
      uint64_t* dst = raised.limb(i);
      if (i > 0) {
        const auto& qi = ctx.modulus(i);
        const uint64_t q0_mod = qi.reduce(q0);
        for (uint64_t k = 0; k < n; ++k) {
          const uint64_t v = qi.reduce(coeff[k]);
          dst[k] = coeff[k] > half ? qi.sub(v, q0_mod) : v;
        }
      }
      ntt::forward_inplace(dst, ctx.ntt(i));
    });
    raised.set_form(rns::Form::Evaluation);
    out.polys.push_back(std::move(raised));
  }
  return out;
}

rlwe::Ciphertext switch_secret(const rlwe::Context& ctx, const rlwe::Ciphertext& ct, const rlwe::KeySwitchKey& key) {
  rlwe::check_same_params("bootstrap", ctx, ct.fingerprint);
  if (ct.size() != 2)
    throw_parameter("bootstrap", "ciphertext", "is not relinearized", "2 components", ct.size());
  rns::RnsPoly u0, u1;
  rlwe::switch_key(ctx, ct.polys[1], key, u0, u1);
  rlwe::Ciphertext out = ct;
  out.seeded = false;
  const uint64_t n = ctx.n();
  for (std::size_t i = 0; i < u0.limbs(); ++i)
    rns::add_mod(out.polys[0].limb(i), u0.limb(i), out.polys[0].limb(i), n, ctx.modulus(i));
  out.polys[1] = std::move(u1);
  return out;
}

}  // namespace ppml::ckks
