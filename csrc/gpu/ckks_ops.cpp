// CKKS ciphertext operations on device-resident data (rlwe/arith.cpp and
// ckks/evaluator.cpp semantics: the same checks, messages and scale bookkeeping), built
// on the kernels and key switching of this folder.
#include <string>

#include "common/errors.hpp"
#include "gpu/context_impl.hpp"

namespace ppml::gpu {
namespace {

void check_params(const char* api, const rlwe::Context& ctx, uint64_t fingerprint) {
  if (fingerprint != ctx.fingerprint())
    throw_mismatch(api, "operand", "belongs to other parameters", "fingerprint " + std::to_string(ctx.fingerprint()),
                   fingerprint);
}

void check_ct(const char* api, const rlwe::Context& ctx, const DeviceCiphertext& a) {
  check_params(api, ctx, a.fingerprint);
  if (a.size() < 2) throw_parameter(api, "ciphertext", "is empty", "2 or 3 components", a.size());
}

void check_key_id(const char* api, uint64_t expected, uint64_t got) {
  if (expected != got)
    throw_mismatch(api, "operand", "is encrypted under another key set", "key id " + std::to_string(expected), got);
}

void check_pair(const char* api, const rlwe::Context& ctx, const DeviceCiphertext& a, const DeviceCiphertext& b) {
  check_ct(api, ctx, a);
  check_ct(api, ctx, b);
  check_key_id(api, a.key_id, b.key_id);
  if (a.level != b.level)
    throw_mismatch(api, "operands", "are at different levels", "equal levels (drop the higher one first)",
                   std::to_string(a.level) + " and " + std::to_string(b.level));
}

void check_plain(const char* api, const rlwe::Context& ctx, const DeviceCiphertext& a, const DevicePlaintext& pt) {
  check_ct(api, ctx, a);
  check_params(api, ctx, pt.fingerprint);
  if (pt.level != a.level)
    throw_mismatch(api, "plaintext", "is at another level", "level " + std::to_string(a.level), pt.level);
}

void check_key(const char* api, const rlwe::Context& ctx, const DeviceCiphertext& a, const DeviceKey& key) {
  if (key.fingerprint != ctx.fingerprint())
    throw_mismatch("key_switch", "key", "belongs to other parameters", "a key of this context", "a foreign key");
  check_key_id(api, key.key_id, a.key_id);
}

void check_galois(const char* api, const rlwe::Context& ctx, const DeviceCiphertext& a, uint64_t elt) {
  check_ct(api, ctx, a);
  if (a.size() != 2) throw_parameter(api, "ciphertext", "is not relinearized", "2 components", a.size());
  if ((elt & 1) == 0 || elt >= 2 * ctx.n()) throw_parameter(api, "galois_elt", "is invalid", "an odd integer < 2n", elt);
}

DeviceCiphertext like(const DeviceCiphertext& a, std::size_t size) {
  DeviceCiphertext out;
  out.level = a.level, out.n = a.n, out.scale = a.scale, out.fingerprint = a.fingerprint, out.key_id = a.key_id;
  const std::size_t bytes = static_cast<std::size_t>(a.level + 1) * a.n * 8;
  for (std::size_t c = 0; c < size; ++c) out.polys.emplace_back(bytes);
  return out;
}

void copy(const DeviceBuffer& from, DeviceBuffer& to) {
  device_copy(to.words(), from.words(), to.bytes());
}

}  // namespace

DeviceCiphertext DeviceContext::add(const DeviceCiphertext& a, const DeviceCiphertext& b) const {
  check_pair("add", *ctx_, a, b);
  const std::size_t size = std::max(a.size(), b.size()), limbs = a.level + 1;
  DeviceCiphertext out = like(a, size);
  for (std::size_t c = 0; c < size; ++c) {
    if (c < a.size() && c < b.size())
      eltwise_binary(EltOp::Add, a.polys[c].words(), b.polys[c].words(), out.polys[c].words(), limbs, n(), impl_->m());
    else
      copy(c < a.size() ? a.polys[c] : b.polys[c], out.polys[c]);
  }
  return out;
}

DeviceCiphertext DeviceContext::sub(const DeviceCiphertext& a, const DeviceCiphertext& b) const {
  check_pair("sub", *ctx_, a, b);
  const std::size_t size = std::max(a.size(), b.size()), limbs = a.level + 1;
  DeviceCiphertext out = like(a, size);
  for (std::size_t c = 0; c < size; ++c) {
    if (c < a.size() && c < b.size())
      eltwise_binary(EltOp::Sub, a.polys[c].words(), b.polys[c].words(), out.polys[c].words(), limbs, n(), impl_->m());
    else if (c < a.size())
      copy(a.polys[c], out.polys[c]);
    else
      eltwise_negate(b.polys[c].words(), out.polys[c].words(), limbs, n(), impl_->m());
  }
  return out;
}

DeviceCiphertext DeviceContext::negate(const DeviceCiphertext& a) const {
  check_ct("negate", *ctx_, a);
  DeviceCiphertext out = like(a, a.size());
  for (std::size_t c = 0; c < a.size(); ++c)
    eltwise_negate(a.polys[c].words(), out.polys[c].words(), a.level + 1, n(), impl_->m());
  return out;
}

DeviceCiphertext DeviceContext::add_plain(const DeviceCiphertext& a, const DevicePlaintext& pt) const {
  check_plain("add_plain", *ctx_, a, pt);
  DeviceCiphertext out = a.clone();
  eltwise_binary(EltOp::Add, a.polys[0].words(), pt.poly.words(), out.polys[0].words(), a.level + 1, n(), impl_->m());
  return out;
}

DeviceCiphertext DeviceContext::sub_plain(const DeviceCiphertext& a, const DevicePlaintext& pt) const {
  check_plain("sub_plain", *ctx_, a, pt);
  DeviceCiphertext out = a.clone();
  eltwise_binary(EltOp::Sub, a.polys[0].words(), pt.poly.words(), out.polys[0].words(), a.level + 1, n(), impl_->m());
  return out;
}

DeviceCiphertext DeviceContext::multiply_plain(const DeviceCiphertext& a, const DevicePlaintext& pt) const {
  check_plain("multiply_plain", *ctx_, a, pt);
  DeviceCiphertext out = like(a, a.size());
  for (std::size_t c = 0; c < a.size(); ++c)
    eltwise_binary(EltOp::Mul, a.polys[c].words(), pt.poly.words(), out.polys[c].words(), a.level + 1, n(), impl_->m());
  out.scale = a.scale * pt.scale;
  return out;
}

DeviceCiphertext DeviceContext::multiply_integer(const DeviceCiphertext& a, const std::vector<uint64_t>& residues) const {
  check_ct("multiply_integer", *ctx_, a);
  if (residues.size() < static_cast<std::size_t>(a.level + 1))
    throw_parameter("multiply_integer", "residues", "are too few", std::to_string(a.level + 1), residues.size());
  std::vector<uint64_t> r(a.level + 1);
  for (int i = 0; i <= a.level; ++i) r[i] = ctx_->modulus(i).reduce(residues[i]);
  DeviceBuffer s(r.size() * 8);
  s.upload(r.data(), r.size() * 8);
  DeviceCiphertext out = like(a, a.size());
  for (std::size_t c = 0; c < a.size(); ++c)
    eltwise_mul_scalars(a.polys[c].words(), s.words(), out.polys[c].words(), a.level + 1, n(), impl_->m());
  return out;
}

DeviceCiphertext DeviceContext::multiply(const DeviceCiphertext& a, const DeviceCiphertext& b) const {
  check_pair("multiply", *ctx_, a, b);
  if (a.size() != 2 || b.size() != 2)
    throw_parameter("multiply", "operands", "are not relinearized", "2 components each",
                    std::to_string(a.size()) + " and " + std::to_string(b.size()));
  DeviceCiphertext out = like(a, 3);
  tensor(a.polys[0].words(), a.polys[1].words(), b.polys[0].words(), b.polys[1].words(), out.polys[0].words(),
         out.polys[1].words(), out.polys[2].words(), a.level + 1, n(), impl_->m());
  out.scale = a.scale * b.scale;
  return out;
}

DeviceCiphertext DeviceContext::relinearize(const DeviceCiphertext& a, const DeviceKey& key) const {
  check_ct("relinearize", *ctx_, a);
  if (a.size() == 2) return a.clone();
  if (a.size() != 3) throw_parameter("relinearize", "ciphertext", "has an unsupported size", "2 or 3", a.size());
  check_key("relinearize", *ctx_, a, key);
  DeviceBuffer digits = impl_->decompose(a.polys[2].words(), a.level);
  DeviceCiphertext out = like(a, 2);
  impl_->apply_key(digits, a.level, key, nullptr, a.polys[0].words(), a.polys[1].words(), out.polys[0].words(),
                   out.polys[1].words());
  return out;
}

DeviceCiphertext DeviceContext::rescale(const DeviceCiphertext& a) const {
  check_ct("rescale", *ctx_, a);
  const int level = a.level;
  if (level < 1)
    throw_parameter("rescale", "ciphertext", "is at level 0", "a level >= 1 (no prime left to divide by)", level);
  const std::size_t polys = a.size(), l = static_cast<std::size_t>(level);
  // Last limbs of every component to coefficient form, lifted to each q_i (i < l), back
  // to evaluation form, then (a_i - t_i) / q_l (rns::rescale_by_last).
  DeviceBuffer last(polys * n() * 8), t(polys * l * n() * 8);
  for (std::size_t c = 0; c < polys; ++c)
    device_copy(last.words() + c * n(), a.polys[c].words() + l * n(), n() * 8);
  ntt_inverse(last.words(), make_map(polys, 0, [&](std::size_t) { return l; }), impl_->ntt);
  const uint64_t ql = ctx_->modulus(l).value();
  rescale_lift(last.words(), ql, ql >> 1, t.words(), polys, l, n(), impl_->m());
  ntt_forward(t.words(), make_map(polys * l, 0, [&](std::size_t i) { return i % l; }), impl_->ntt);
  DeviceCiphertext out;
  out.level = level - 1, out.n = a.n, out.fingerprint = a.fingerprint, out.key_id = a.key_id;
  out.scale = a.scale / static_cast<double>(ql);
  for (std::size_t c = 0; c < polys; ++c) {
    out.polys.emplace_back(l * n() * 8);
    sub_mul_scalars(a.polys[c].words(), t.words() + c * l * n(), impl_->ql_inv.words() + l * impl_->qc,
                    out.polys[c].words(), l, n(), impl_->m());
  }
  return out;
}

DeviceCiphertext DeviceContext::drop_to_level(const DeviceCiphertext& a, int level) const {
  check_ct("drop_to_level", *ctx_, a);
  if (level < 0 || level > a.level)
    throw_parameter("drop_to_level", "level", "is out of range", "0 <= level <= " + std::to_string(a.level), level);
  DeviceCiphertext out;
  out.level = level, out.n = a.n, out.scale = a.scale, out.fingerprint = a.fingerprint, out.key_id = a.key_id;
  const std::size_t bytes = static_cast<std::size_t>(level + 1) * n() * 8;
  for (const auto& p : a.polys) {
    out.polys.emplace_back(bytes);
    device_copy(out.polys.back().words(), p.words(), bytes);
  }
  return out;
}

DeviceCiphertext DeviceContext::apply_galois(const DeviceCiphertext& a, uint64_t elt, const DeviceKey& key) const {
  check_galois("rotate", *ctx_, a, elt);
  check_key("rotate", *ctx_, a, key);
  const uint32_t* perm = impl_->permutation(elt);
  const std::size_t limbs = a.level + 1;
  // Key switch sigma(c1): permute c1 first, then decompose (arith.cpp's order: the
  // approximate ModUp of sigma(c1) is not sigma of the ModUp of c1 with several primes
  // per digit, so hoisting would not be bit-identical here).
  DeviceBuffer c1(limbs * n() * 8);
  permute(a.polys[1].words(), perm, c1.words(), limbs, n());
  DeviceBuffer digits = impl_->decompose(c1.words(), a.level);
  DeviceBuffer c0(limbs * n() * 8);
  permute(a.polys[0].words(), perm, c0.words(), limbs, n());
  DeviceCiphertext out = like(a, 2);
  impl_->apply_key(digits, a.level, key, nullptr, c0.words(), nullptr, out.polys[0].words(), out.polys[1].words());
  return out;
}

std::vector<DeviceCiphertext> DeviceContext::apply_galois_hoisted(const DeviceCiphertext& a,
                                                                  const std::vector<uint64_t>& elts,
                                                                  const std::vector<const DeviceKey*>& keys) const {
  if (elts.size() != keys.size())
    throw_parameter("rotate_many", "keys", "do not match the elements", std::to_string(elts.size()), keys.size());
  for (uint64_t e : elts) check_galois("rotate_many", *ctx_, a, e);
  for (const DeviceKey* k : keys) check_key("rotate_many", *ctx_, a, *k);
  DeviceBuffer digits = impl_->decompose(a.polys[1].words(), a.level);
  std::vector<DeviceCiphertext> out;
  const std::size_t limbs = a.level + 1;
  DeviceBuffer c0(limbs * n() * 8);
  for (std::size_t r = 0; r < elts.size(); ++r) {
    const uint32_t* perm = impl_->permutation(elts[r]);
    permute(a.polys[0].words(), perm, c0.words(), limbs, n());
    DeviceCiphertext o = like(a, 2);
    impl_->apply_key(digits, a.level, *keys[r], perm, c0.words(), nullptr, o.polys[0].words(), o.polys[1].words());
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace ppml::gpu
