#include "rns/poly_ops.hpp"

#include <string>

#include "common/errors.hpp"
#include "common/thread_pool.hpp"
#include "ntt/ntt.hpp"
#include "rns/eltwise.hpp"

namespace ppml::rns {

void check_compatible(const char* api, const RnsPoly& a, const RnsPoly& b) {
  if (a.n() != b.n()) throw_mismatch(api, "operands", "have different ring degrees", std::to_string(a.n()), b.n());
  if (a.base() != b.base() && !(*a.base() == *b.base()))
    throw_mismatch(api, "operands", "have different RNS bases", std::to_string(a.limbs()) + " matching moduli",
                   "different moduli");
  if (a.form() != b.form())
    throw_mismatch(api, "operands", "are in different forms", "both coefficient or both evaluation",
                   "one of each");
}

namespace {

void prepare_out(const RnsPoly& like, RnsPoly& out) {
  if (out.n() != like.n() || out.base() != like.base()) out = RnsPoly(like.n(), like.base(), like.form());
  out.set_form(like.form());
}

template <typename Kernel>
void binary(const char* api, const RnsPoly& a, const RnsPoly& b, RnsPoly& out, Kernel kernel) {
  check_compatible(api, a, b);
  if (&out != &a && &out != &b) prepare_out(a, out);
  parallel_for(a.limbs(), [&](std::size_t i) { kernel(a.limb(i), b.limb(i), out.limb(i), a.n(), (*a.base())[i]); });
}

}  // namespace

void add(const RnsPoly& a, const RnsPoly& b, RnsPoly& out) { binary("add", a, b, out, add_mod); }
void sub(const RnsPoly& a, const RnsPoly& b, RnsPoly& out) { binary("sub", a, b, out, sub_mod); }
void multiply(const RnsPoly& a, const RnsPoly& b, RnsPoly& out) { binary("multiply", a, b, out, mul_mod); }

void multiply_add(const RnsPoly& a, const RnsPoly& b, RnsPoly& out) {
  check_compatible("multiply_add", a, b);
  check_compatible("multiply_add", a, out);
  parallel_for(a.limbs(), [&](std::size_t i) { mul_add_mod(a.limb(i), b.limb(i), out.limb(i), a.n(), (*a.base())[i]); });
}

void negate(const RnsPoly& a, RnsPoly& out) {
  if (&out != &a) prepare_out(a, out);
  parallel_for(a.limbs(), [&](std::size_t i) { neg_mod(a.limb(i), out.limb(i), a.n(), (*a.base())[i]); });
}

void multiply_scalar(const RnsPoly& a, const std::vector<uint64_t>& scalars, RnsPoly& out) {
  if (scalars.size() != a.limbs())
    throw_parameter("multiply_scalar", "scalars", "has the wrong length", std::to_string(a.limbs()), scalars.size());
  if (&out != &a) prepare_out(a, out);
  parallel_for(a.limbs(), [&](std::size_t i) {
    const auto& q = (*a.base())[i];
    mul_scalar_mod(a.limb(i), q.reduce(scalars[i]), out.limb(i), a.n(), q);
  });
}

void ntt_forward(RnsPoly& a) {
  if (a.form() == Form::Evaluation)
    throw_mismatch("ntt_forward", "poly", "is already in evaluation form", "coefficient form", "evaluation form");
  const auto& tables = a.base()->ntt_tables(a.n());
  parallel_for(a.limbs(), [&](std::size_t i) { ntt::forward_inplace(a.limb(i), *tables[i]); });
  a.set_form(Form::Evaluation);
}

void ntt_inverse(RnsPoly& a) {
  if (a.form() == Form::Coefficient)
    throw_mismatch("ntt_inverse", "poly", "is already in coefficient form", "evaluation form", "coefficient form");
  const auto& tables = a.base()->ntt_tables(a.n());
  parallel_for(a.limbs(), [&](std::size_t i) { ntt::inverse_inplace(a.limb(i), *tables[i]); });
  a.set_form(Form::Coefficient);
}

void rescale_by_last(const RnsPoly& a, RnsPoly& out) {
  if (a.limbs() < 2) throw_parameter("rescale_by_last", "poly", "has a single limb", "at least 2 limbs", 1);
  rescale_by_last(a, std::make_shared<const RnsBase>(a.base()->prefix(a.limbs() - 1)), out);
}

void rescale_by_last(const RnsPoly& a, std::shared_ptr<const RnsBase> target, RnsPoly& out) {
  const std::size_t l = a.limbs() - 1;
  if (l == 0) throw_parameter("rescale_by_last", "poly", "has a single limb", "at least 2 limbs", 1);
  if (target->size() != l)
    throw_parameter("rescale_by_last", "target", "has the wrong size", std::to_string(l) + " moduli", target->size());
  const uint64_t n = a.n();
  const auto& base = *a.base();
  const math::Modulus& ql = base[l];
  RnsPoly result(n, std::move(target), a.form(), a.secret(), Uninitialized{});
  // r = (x mod q_l) + floor(q_l / 2) in coefficient form: adding q_l/2 before the floor
  // division turns it into rounding.
  AlignedBuffer<uint64_t> last(n, Uninitialized{});
  std::copy(a.limb(l), a.limb(l) + n, last.data());
  const auto& tables = base.ntt_tables(n);
  if (a.form() == Form::Evaluation) ntt::inverse_inplace(last.data(), *tables[l]);
  const uint64_t half = ql.value() >> 1;
  add_scalar_mod(last.data(), half, last.data(), n, ql);
  parallel_for(l, [&](std::size_t i) {
    AlignedBuffer<uint64_t> t(n, Uninitialized{});  // per task: limbs run on several threads
    const auto& q = base[i];
    // t = (r mod q_i) - q_l/2 (x mod q_i by a Shoup product with 1), to evaluation form
    // (the shift on the NTT's first pass, which also reduces r < q_l < 2 q_i), then
    // (x_i - t) * q_l^-1.
    const uint64_t minus_half = q.neg(q.reduce(half));
    const bool reduce_on_load = a.form() == Form::Evaluation && ntt::forward_reduces(ql.value(), q.value());
    if (!reduce_on_load) mul_scalar_mod(last.data(), 1, t.data(), n, q);
    if (a.form() == Form::Evaluation) {
      ntt::forward(reduce_on_load ? last.data() : t.data(), minus_half, t.data(), *tables[i]);
    } else {
      add_scalar_mod(t.data(), minus_half, t.data(), n, q);
    }
    sub_mod(a.limb(i), t.data(), result.limb(i), n, q);
    mul_scalar_mod(result.limb(i), q.inv(q.reduce(ql.value())), result.limb(i), n, q);
  });
  out = std::move(result);
}

}  // namespace ppml::rns
