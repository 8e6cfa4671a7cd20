// DeviceContext: tables uploaded from the host rlwe::Context (ntt::NttTables and the
// constants of rns::BaseConverter, computed by the same CPU code), transfers of
// ciphertexts, plaintexts and keys, and the ring-level entry points used by the tests.
#include <cstring>
#include <string>

#include "common/errors.hpp"
#include "gpu/context_impl.hpp"
#include "he/rlwe/key_expansion.hpp"
#include "ntt/ntt_tables.hpp"
#include "rns/automorphism.hpp"
#include "rns/rns_base.hpp"

namespace ppml::gpu {
namespace {

ModConst mod_const(const math::Modulus& q) { return ModConst{q.value(), q.ratio_hi(), q.ratio_lo()}; }

template <typename T>
DeviceBuffer upload_vector(const std::vector<T>& v) {
  DeviceBuffer b(v.size() * sizeof(T));
  b.upload(v.data(), v.size() * sizeof(T));
  return b;
}

// Packs arrays into one device buffer, each 8-byte aligned.
class Packer {
 public:
  template <typename T>
  std::size_t add(const std::vector<T>& v) {
    const std::size_t at = bytes_.size();
    bytes_.resize(at + ((v.size() * sizeof(T) + 7) & ~std::size_t{7}), 0);
    if (!v.empty()) std::memcpy(bytes_.data() + at, v.data(), v.size() * sizeof(T));
    return at;
  }
  DeviceBuffer upload() const {
    DeviceBuffer b(bytes_.size());
    b.upload(bytes_.data(), bytes_.size());
    return b;
  }

 private:
  std::vector<unsigned char> bytes_;
};

}  // namespace

DeviceContext::Impl::Impl(const rlwe::Context& c)
    : ctx(c), n(c.n()), log_n(__builtin_ctzll(c.n())), qc(c.q_count()), pc(c.p_count()), qp(c.q_count() + c.p_count()) {
  if (qp > 255) throw_parameter("gpu.Context", "params", "have too many primes", "at most 255 (data and special)", qp);
  if (pc > 64) throw_parameter("gpu.Context", "params", "have too many special primes", "at most 64", pc);
  if (c.params().digit_size() > 64)
    throw_parameter("gpu.Context", "dnum", "gives digits of too many primes", "at most 64 primes per digit",
                    c.params().digit_size());
  std::vector<ModConst> m(qp);
  std::vector<uint64_t> r(qp * n), rs(qp * n), ir(qp * n), irs(qp * n), half(qp);
  std::vector<NttScalars> sc(qp);
  for (std::size_t i = 0; i < qp; ++i) {
    m[i] = mod_const(c.modulus(i));
    const ntt::NttTables& t = c.ntt(i);
    std::memcpy(r.data() + i * n, t.root_powers(), n * 8);
    std::memcpy(rs.data() + i * n, t.root_powers_shoup(), n * 8);
    std::memcpy(ir.data() + i * n, t.inv_root_powers(), n * 8);
    std::memcpy(irs.data() + i * n, t.inv_root_powers_shoup(), n * 8);
    sc[i] = NttScalars{t.inv_n(), t.inv_n_shoup(), t.inv_n_w(), t.inv_n_w_shoup()};
    half[i] = (c.modulus(i).value() - 1) >> 1;
  }
  mods = upload_vector(m);
  roots = upload_vector(r);
  roots_shoup = upload_vector(rs);
  inv_roots = upload_vector(ir);
  inv_roots_shoup = upload_vector(irs);
  scalars = upload_vector(sc);
  half_q = upload_vector(half);
  std::vector<uint64_t> pinv(qc, 0), qlinv(qc * qc, 0);
  for (std::size_t i = 0; i < qc && pc > 0; ++i) pinv[i] = c.p_inv_mod_q(i);
  for (std::size_t l = 1; l < qc; ++l)
    for (std::size_t i = 0; i < l; ++i) {
      const math::Modulus& q = c.modulus(i);
      qlinv[l * qc + i] = q.inv(q.reduce(c.modulus(l).value()));
    }
  p_inv = upload_vector(pinv);
  ql_inv = upload_vector(qlinv);
  ntt = NttDevice{mods.as<ModConst>(), roots.words(), roots_shoup.words(), inv_roots.words(), inv_roots_shoup.words(),
                  scalars.as<NttScalars>(), n, log_n};
}

PlanBuffer DeviceContext::Impl::make_plan(const std::vector<int>& from, const std::vector<int>& to,
                                          const std::vector<uint16_t>& to_slot,
                                          const std::vector<uint64_t>* h) const {
  // The constants of rns::BaseConverter's constructor, computed the same way.
  std::vector<uint64_t> from_values;
  for (int i : from) from_values.push_back(ctx.modulus(i).value());
  const rns::RnsBase base(from_values);
  const std::size_t kb = from.size(), kc = to.size();
  std::vector<uint64_t> inv(kb), inv_s(kb), punct(kc * kb), qmod(kc);
  std::vector<double> inv_q(kb);
  std::vector<uint8_t> fp(kb), tp(kc);
  for (std::size_t i = 0; i < kb; ++i) {
    inv[i] = base.inv_punctured(i);
    inv_s[i] = base.inv_punctured_shoup(i);
    inv_q[i] = 1.0 / static_cast<double>(base[i].value());
    fp[i] = static_cast<uint8_t>(from[i]);
  }
  for (std::size_t t = 0; t < kc; ++t) {
    const math::Modulus& p = ctx.modulus(to[t]);
    for (std::size_t i = 0; i < kb; ++i) punct[t * kb + i] = rns::words::mod_word(base.punctured_product(i).data(), kb, p);
    qmod[t] = rns::words::mod_word(base.product().data(), kb, p);
    tp[t] = static_cast<uint8_t>(to[t]);
  }
  Packer pk;
  const std::size_t o_inv = pk.add(inv), o_inv_s = pk.add(inv_s), o_inv_q = pk.add(inv_q), o_punct = pk.add(punct),
                    o_qmod = pk.add(qmod), o_h = h ? pk.add(*h) : 0, o_slot = pk.add(to_slot), o_fp = pk.add(fp),
                    o_tp = pk.add(tp);
  PlanBuffer out;
  out.mem = pk.upload();
  const char* b = out.mem.as<char>();
  out.plan.from_count = static_cast<uint32_t>(kb);
  out.plan.to_count = static_cast<uint32_t>(kc);
  out.plan.from_prime = reinterpret_cast<const uint8_t*>(b + o_fp);
  out.plan.inv_punct = reinterpret_cast<const uint64_t*>(b + o_inv);
  out.plan.inv_punct_shoup = reinterpret_cast<const uint64_t*>(b + o_inv_s);
  out.plan.inv_q = reinterpret_cast<const double*>(b + o_inv_q);
  out.plan.to_prime = reinterpret_cast<const uint8_t*>(b + o_tp);
  out.plan.to_slot = reinterpret_cast<const uint16_t*>(b + o_slot);
  out.plan.punct_mod = reinterpret_cast<const uint64_t*>(b + o_punct);
  out.plan.q_mod = reinterpret_cast<const uint64_t*>(b + o_qmod);
  out.plan.h = h ? reinterpret_cast<const uint64_t*>(b + o_h) : nullptr;
  return out;
}

const PlanBuffer& DeviceContext::Impl::mod_up_plan(int level, int digit) const {
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(level, digit);
  auto it = mod_up.find(key);
  if (it != mod_up.end()) return *it->second;
  const std::size_t begin = ctx.digit_start(digit);
  const std::size_t end = std::min(ctx.digit_end(digit), static_cast<std::size_t>(level) + 1);
  std::vector<int> from, to;
  std::vector<uint16_t> slots;
  std::vector<uint64_t> h;
  for (std::size_t i = begin; i < end; ++i) from.push_back(static_cast<int>(i));
  for (std::size_t t = 0; t < ext_limbs(level); ++t) {
    if (t >= begin && t < end) continue;
    const std::size_t ki = key_index(level, t);
    const math::Modulus& qt = ctx.modulus(ki);
    // [(Q_j - 1) / 2]_{q_t}: the centring shift taken back (key_switch.cpp).
    uint64_t q_digit = 1;
    for (std::size_t i = begin; i < end; ++i) q_digit = qt.mul(q_digit, qt.reduce(ctx.modulus(i).value()));
    h.push_back(qt.mul(qt.add(q_digit, qt.value() - 1), (qt.value() + 1) >> 1));
    to.push_back(static_cast<int>(ki));
    slots.push_back(static_cast<uint16_t>(t));
  }
  auto plan = std::make_unique<PlanBuffer>(make_plan(from, to, slots, &h));
  return *mod_up.emplace(key, std::move(plan)).first->second;
}

const PlanBuffer& DeviceContext::Impl::mod_down_plan(int level) const {
  std::lock_guard<std::mutex> lock(mu);
  auto it = mod_down.find(level);
  if (it != mod_down.end()) return *it->second;
  std::vector<int> from, to;
  std::vector<uint16_t> slots;
  for (std::size_t k = 0; k < pc; ++k) from.push_back(static_cast<int>(qc + k));
  for (int i = 0; i <= level; ++i) to.push_back(i), slots.push_back(static_cast<uint16_t>(i));
  std::unique_ptr<PlanBuffer> plan;
  if (pc == 1) {
    // One special prime: ((x + h) mod p) - h, h = (p - 1) / 2, reduced to each q_i.
    const uint64_t hp = (ctx.modulus(qc).value() - 1) >> 1;
    std::vector<uint64_t> h;
    for (int i = 0; i <= level; ++i) h.push_back(ctx.modulus(i).reduce(hp));
    plan = std::make_unique<PlanBuffer>(make_plan(from, to, slots, &h));
  } else {
    plan = std::make_unique<PlanBuffer>(make_plan(from, to, slots, nullptr));
  }
  return *mod_down.emplace(level, std::move(plan)).first->second;
}

const uint32_t* DeviceContext::Impl::permutation(uint64_t elt) const {
  std::lock_guard<std::mutex> lock(mu);
  auto it = perms.find(elt);
  if (it != perms.end()) return it->second.as<uint32_t>();
  auto perm = rns::automorphism_permutation(n, elt);
  return perms.emplace(elt, upload_vector(*perm)).first->second.as<uint32_t>();
}

DeviceContext::DeviceContext(const rlwe::Params& params)
    : ctx_(std::make_shared<const rlwe::Context>(params)), impl_(std::make_unique<Impl>(*ctx_)) {
  synchronize();
}

DeviceContext::~DeviceContext() = default;

DeviceCiphertext DeviceCiphertext::clone() const {
  DeviceCiphertext out;
  for (const auto& p : polys) out.polys.push_back(p.clone());
  out.level = level, out.n = n, out.scale = scale, out.fingerprint = fingerprint, out.key_id = key_id;
  return out;
}

DeviceCiphertext DeviceContext::upload(const rlwe::Ciphertext& ct) const {
  if (ct.fingerprint != ctx_->fingerprint())
    throw_mismatch("to(\"cuda\")", "ciphertext", "belongs to other parameters",
                   "fingerprint " + std::to_string(ctx_->fingerprint()), ct.fingerprint);
  if (ct.size() < 2 || ct.form() != rns::Form::Evaluation)
    throw_parameter("to(\"cuda\")", "ciphertext", "is not in evaluation form", "2 or 3 evaluation-form components",
                    ct.size());
  DeviceCiphertext out;
  out.level = ct.level(), out.n = ct.n(), out.scale = ct.scale, out.fingerprint = ct.fingerprint;
  out.key_id = ct.key_id;
  const std::size_t words = static_cast<std::size_t>(ct.level() + 1) * ct.n();
  for (const auto& p : ct.polys) {
    DeviceBuffer b(words * 8);
    b.upload(p.data(), words * 8);
    out.polys.push_back(std::move(b));
  }
  return out;
}

rlwe::Ciphertext DeviceContext::download(const DeviceCiphertext& ct) const {
  rlwe::Ciphertext out;
  out.scale = ct.scale, out.fingerprint = ct.fingerprint, out.key_id = ct.key_id;
  for (const auto& p : ct.polys) {
    rns::RnsPoly poly(ct.n, ctx_->q_base(ct.level), rns::Form::Evaluation, false, Uninitialized{});
    p.download(poly.data(), static_cast<std::size_t>(ct.level + 1) * ct.n * 8);
    out.polys.push_back(std::move(poly));
  }
  return out;
}

DevicePlaintext DeviceContext::upload(const rlwe::Plaintext& pt) const {
  if (pt.fingerprint != ctx_->fingerprint())
    throw_mismatch("to(\"cuda\")", "plaintext", "belongs to other parameters",
                   "fingerprint " + std::to_string(ctx_->fingerprint()), pt.fingerprint);
  if (pt.poly.form() != rns::Form::Evaluation)
    throw_mismatch("to(\"cuda\")", "plaintext", "is in coefficient form", "evaluation form", "coefficient form");
  DevicePlaintext out;
  out.level = pt.level(), out.scale = pt.scale, out.fingerprint = pt.fingerprint;
  const std::size_t bytes = pt.poly.limbs() * pt.poly.n() * 8;
  out.poly = DeviceBuffer(bytes);
  out.poly.upload(pt.poly.data(), bytes);
  return out;
}

DeviceKey DeviceContext::upload(const rlwe::KeySwitchKey& key) const {
  if (key.fingerprint != ctx_->fingerprint())
    throw_mismatch("to(\"cuda\")", "key", "belongs to other parameters", "a key of this context", "a foreign key");
  DeviceKey out;
  out.digits = key.b.size(), out.fingerprint = key.fingerprint, out.key_id = key.key_id;
  const std::size_t limb_words = impl_->qp * n();
  out.b = DeviceBuffer(out.digits * limb_words * 8);
  out.a = DeviceBuffer(out.digits * limb_words * 8);
  for (std::size_t j = 0; j < out.digits; ++j) {
    // Host keys are packed (rns/packed_poly.hpp); the device keeps 64-bit words.
    out.b.upload(key.b[j].unpack().data(), limb_words * 8, j * limb_words * 8);
    // A compact key's a-half is expanded on the host, one digit at a time.
    if (key.compact()) out.a.upload(rlwe::expand_key_uniform(*ctx_, key.seed, j).data(), limb_words * 8, j * limb_words * 8);
    else out.a.upload(key.a[j].unpack().data(), limb_words * 8, j * limb_words * 8);
  }
  return out;
}

namespace {
void check_primes(const char* api, const std::vector<int>& primes, std::size_t qp) {
  for (int p : primes)
    if (p < 0 || static_cast<std::size_t>(p) >= qp)
      throw_parameter(api, "primes", "has an index out of range", "0 <= index < " + std::to_string(qp), p);
}
void check_size(const char* api, const std::vector<uint64_t>& data, std::size_t limbs, uint64_t n) {
  if (data.size() != limbs * n)
    throw_parameter(api, "data", "has the wrong size", std::to_string(limbs) + " x " + std::to_string(n), data.size());
}
// Every limb below its prime, as the host kernels require (review 2026-12-08: the device
// NTT took 2^64 - 1 and returned words that were not residues).
void check_residues(const char* api, const rlwe::Context& ctx, const std::vector<uint64_t>& data,
                    const std::vector<int>& primes, std::size_t m) {
  for (std::size_t i = 0; i < primes.size(); ++i) {
    const uint64_t q = ctx.modulus(static_cast<std::size_t>(primes[i])).value();
    for (std::size_t k = 0; k < m; ++k)
      if (data[i * m + k] >= q)
        throw_parameter(api, "data", "has a value out of range", "every value of a limb below its prime",
                        data[i * m + k]);
  }
}
}  // namespace

std::vector<uint64_t> DeviceContext::ntt(const std::vector<uint64_t>& data, const std::vector<int>& primes,
                                         bool forward) const {
  check_primes("gpu.ntt", primes, impl_->qp);
  check_size("gpu.ntt", data, primes.size(), n());
  check_residues("gpu.ntt", *ctx_, data, primes, n());
  DeviceBuffer b(data.size() * 8);
  b.upload(data.data(), data.size() * 8);
  const LimbMap map = make_map(primes.size(), 0, [&](std::size_t i) { return primes[i]; });
  if (forward)
    ntt_forward(b.words(), map, impl_->ntt);
  else
    ntt_inverse(b.words(), map, impl_->ntt);
  std::vector<uint64_t> out(data.size());
  b.download(out.data(), out.size() * 8);
  return out;
}

std::vector<uint64_t> DeviceContext::convert(const std::vector<uint64_t>& data, const std::vector<int>& from,
                                             const std::vector<int>& to, bool exact, bool centered) const {
  check_primes("gpu.convert", from, impl_->qp);
  check_primes("gpu.convert", to, impl_->qp);
  if (from.empty() || from.size() > 64)
    throw_parameter("gpu.convert", "from", "has the wrong size", "1 to 64 primes", from.size());
  if (data.size() % from.size())
    throw_parameter("gpu.convert", "data", "has the wrong size", "a multiple of len(from)", data.size());
  const uint64_t m = data.size() / from.size();
  check_residues("gpu.convert", *ctx_, data, from, m);
  std::vector<uint16_t> slots;
  for (std::size_t t = 0; t < to.size(); ++t) slots.push_back(static_cast<uint16_t>(t));
  const PlanBuffer plan = impl_->make_plan(from, to, slots, nullptr);
  DeviceBuffer in(data.size() * 8), out(to.size() * m * 8);
  in.upload(data.data(), data.size() * 8);
  base_convert(in.words(), out.words(), plan.plan,
               exact ? (centered ? ConvMode::ExactCentered : ConvMode::Exact) : ConvMode::Approx, m, impl_->m());
  std::vector<uint64_t> host(to.size() * m);
  out.download(host.data(), host.size() * 8);
  return host;
}

std::vector<uint64_t> DeviceContext::automorphism(const std::vector<uint64_t>& data, const std::vector<int>& primes,
                                                  uint64_t k, bool evaluation) const {
  check_primes("gpu.automorphism", primes, impl_->qp);
  check_size("gpu.automorphism", data, primes.size(), n());
  if ((k & 1) == 0) throw_parameter("gpu.automorphism", "k", "is even", "an odd integer", k);
  DeviceBuffer in(data.size() * 8), out(data.size() * 8);
  in.upload(data.data(), data.size() * 8);
  if (evaluation) {
    permute(in.words(), impl_->permutation(k % (2 * n())), out.words(), primes.size(), n());
  } else {
    // Limbs of arbitrary primes: one launch per limb (a test entry point).
    for (std::size_t i = 0; i < primes.size(); ++i)
      automorphism_coeff(in.words() + i * n(), k, out.words() + i * n(), 1, n(), impl_->m(), primes[i]);
  }
  std::vector<uint64_t> host(data.size());
  out.download(host.data(), host.size() * 8);
  return host;
}

void DeviceContext::ntt_device(DeviceBuffer& data, std::size_t limbs, bool forward) const {
  if (limbs > impl_->qp || data.bytes() < limbs * n() * 8)
    throw_parameter("gpu.ntt_device", "limbs", "is out of range", "at most the primes and the buffer", limbs);
  const LimbMap map = make_map(limbs, 0, [](std::size_t i) { return i; });
  if (forward)
    ntt_forward(data.words(), map, impl_->ntt);
  else
    ntt_inverse(data.words(), map, impl_->ntt);
}

}  // namespace ppml::gpu
