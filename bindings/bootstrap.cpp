// Bindings of CKKS bootstrapping's native steps (pyppml._core.he): ModRaise, secret
// switching and the ephemeral sparse-secret keys. The plan (linear transforms, EvalMod)
// is composed in pyppml/ckks/bootstrap/ from the evaluator's primitives.
#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/he_context.hpp"
#include "bindings/registry.hpp"
#include "he/ckks/bootstrap/baby_steps.hpp"
#include "he/ckks/bootstrap/ephemeral_key.hpp"
#include "he/ckks/bootstrap/giant_steps.hpp"
#include "he/ckks/bootstrap/linear_sum.hpp"
#include "he/ckks/bootstrap/tensor_sum.hpp"
#include "he/ckks/bootstrap/mod_raise.hpp"
#include "he/rlwe/arith.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using TermArg = std::pair<int, std::shared_ptr<ckks::HoistedDiagonal>>;

// The key of every Galois element (element 1, the identity: none).
std::vector<const rlwe::KeySwitchKey*> rotation_keys(const rlwe::GaloisKeys& gk, const std::vector<uint64_t>& elts,
                                                     const char* api) {
  std::vector<const rlwe::KeySwitchKey*> keys;
  for (uint64_t e : elts) {
    if (e == 1) {
      keys.push_back(nullptr);
      continue;
    }
    auto it = gk.keys.find(e);
    if (it == gk.keys.end())
      throw_parameter(api, "galois_keys", "lack the key for this rotation",
                      "a key generated for Galois element " + std::to_string(e), "none");
    keys.push_back(&it->second);
  }
  return keys;
}

std::vector<std::vector<ckks::BabyTerm>> baby_terms(const HeContext& h, const std::vector<std::vector<TermArg>>& groups,
                                                    const char* api) {
  std::vector<std::vector<ckks::BabyTerm>> terms;
  for (const auto& group : groups) {
    terms.emplace_back();
    for (const auto& [baby, diagonal] : group) {
      if (!diagonal) throw_parameter(api, "groups", "contain None", "diagonals", "None");
      h.check_key(diagonal->q_part.fingerprint, "bootstrap");
      terms.back().push_back({baby, diagonal.get()});
    }
  }
  return terms;
}

}  // namespace

void init_bootstrap(py::module_& root) {
  py::module_ m = root.attr("he");
  using rlwe::Ciphertext;
  m.def("mod_raise", [](HeContext& h, const Ciphertext& ct, int level) {
    h.check_key(ct.fingerprint, "bootstrap");
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(ckks::mod_raise(*h.ctx, ct, level));
  }, py::arg("context"), py::arg("ciphertext"), py::arg("level"),
     "Level-0 ciphertext read centred mod q_0 and written at `level` (CKKS ModRaise).");
  m.def("switch_secret", [](HeContext& h, const Ciphertext& ct, const rlwe::KeySwitchKey& key) {
    h.check_key(ct.fingerprint, "bootstrap");
    h.check_key(key.fingerprint, "bootstrap");
    rlwe::check_key_id("bootstrap", key.key_id, ct.key_id);
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(ckks::switch_secret(*h.ctx, ct, key));
  }, py::arg("context"), py::arg("ciphertext"), py::arg("key"), "Key switch of (c0, c1) with a key-switching key.");
  m.def("keygen_ephemeral", [](HeContext& h, const rlwe::SecretKey& sk, int weight, bool compact) {
    h.check_key(sk.fingerprint, "keygen");
    ckks::EphemeralKeys keys;
    {
      py::gil_scoped_release release;
      keys = ckks::generate_ephemeral_keys(*h.ctx, sk, weight, h.prng(), compact);
    }
    return py::make_tuple(std::make_shared<rlwe::KeySwitchKey>(std::move(keys.to_sparse)),
                          std::make_shared<rlwe::KeySwitchKey>(std::move(keys.to_dense)));
  }, py::arg("context"), py::arg("secret_key"), py::arg("weight"), py::arg("compact") = false,
     "(dense -> sparse key at level 0 only, sparse -> dense key) for sparse-secret encapsulation.");
  m.def("_sample_sparse_ternary_for_tests", [](HeContext& h, int weight) {
    py::gil_scoped_release release;
    return ckks::sample_sparse_ternary(*h.ctx, weight, h.prng());
  }, py::arg("context"), py::arg("weight"),
     "TESTS ONLY: a sparse ternary secret drawn as keygen_ephemeral draws it (the same function and the "
     "thread's key generator), NTT form over QP.");
  m.def("linear_sum", [](HeContext& h, const std::vector<const Ciphertext*>& cts,
                         const std::vector<const rlwe::Plaintext*>& pts) {
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(ckks::plaintext_inner_product(*h.ctx, cts, pts));
  }, py::arg("context"), py::arg("ciphertexts"), py::arg("plaintexts"),
     "sum_t ciphertexts[t] * plaintexts[t] at the plaintexts' level (ciphertexts at or above it), one scale, "
     "one reduction per coefficient.");
  m.def("linear_sum_constants", [](HeContext& h, const std::vector<const Ciphertext*>& cts,
                                   const std::vector<double>& values, const std::vector<double>& scales, int level,
                                   const py::int_& constant) {
    const std::vector<uint64_t> m = residues_of(h, constant);
    const bool any = !constant.equal(py::int_(0));
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(
        ckks::constant_inner_product(*h.ctx, h.ckks_encoder(), cts, values, scales, level, any ? &m : nullptr));
  }, py::arg("context"), py::arg("ciphertexts"), py::arg("values"), py::arg("scales"), py::arg("level"),
     py::arg("constant") = 0,
     "sum_t ciphertexts[t] * round(values[t] * scales[t]) + constant at `level`: the linear_sum of "
     "encode_constant(values[t], scales[t], level) plaintexts, bit for bit, without encoding them; the integer "
     "constant is the plaintext's constant polynomial (a value v at scale s: round(v * s)).");
  m.def("tensor_sum", [](HeContext& h, const std::vector<const Ciphertext*>& lefts,
                         const std::vector<const Ciphertext*>& rights, int level, const py::int_& factor,
                         const Ciphertext* addend, const py::int_& addend_factor, const py::int_& constant) {
    const std::vector<uint64_t> f = residues_of(h, factor), g = residues_of(h, addend_factor), m = residues_of(h, constant);
    const bool any = !constant.equal(py::int_(0));
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(ckks::tensor_sum(*h.ctx, lefts, rights, level, f, addend, g, any ? &m : nullptr));
  }, py::arg("context"), py::arg("lefts"), py::arg("rights"), py::arg("level"), py::arg("factor") = 1,
     py::arg("addend") = nullptr, py::arg("addend_factor") = 0, py::arg("constant") = 0,
     "factor * sum_k lefts[k] (x) rights[k] - addend_factor * addend + constant at `level` (operands at or "
     "above it), unrelinearized, scale lefts[0].scale * rights[0].scale: bit for bit the separate products, "
     "multiply_integer, add, sub and add_plain of the integer constant, in one pass per limb.");
  py::class_<ckks::HoistedDiagonal, std::shared_ptr<ckks::HoistedDiagonal>>(m, "HoistedDiagonal")
      .def_property_readonly("level", [](const ckks::HoistedDiagonal& d) { return d.q_part.level(); })
      .def_property_readonly("scale", [](const ckks::HoistedDiagonal& d) { return d.q_part.scale; });
  m.def("encode_hoisted_diagonal", [](HeContext& h, py::array_t<std::complex<double>, py::array::c_style | py::array::forcecast> values,
                                      double scale, int level) {
    const auto* p = values.data();
    const std::size_t count = values.size();
    py::gil_scoped_release release;
    auto d = std::make_shared<ckks::HoistedDiagonal>();
    d->q_part = h.ckks_encoder().encode(p, count, scale, level);
    d->p_part = h.ckks_encoder().encode_special(p, count, scale, level);
    return d;
  }, py::arg("context"), py::arg("values"), py::arg("scale"), py::arg("level"),
     "A diagonal encoded over Q_level * P for baby_step_sums.");
  m.def("baby_step_sums", [](HeContext& h, const Ciphertext& ct, const std::vector<uint64_t>& elts,
                             const rlwe::GaloisKeys& gk, const std::vector<std::vector<TermArg>>& groups) {
    h.check_key(ct.fingerprint, "bootstrap");
    h.check_key(gk.fingerprint, "bootstrap");
    rlwe::check_key_id("bootstrap", gk.key_id, ct.key_id);
    const std::vector<const rlwe::KeySwitchKey*> keys = rotation_keys(gk, elts, "baby_step_sums");
    const std::vector<std::vector<ckks::BabyTerm>> terms = baby_terms(h, groups, "baby_step_sums");
    py::gil_scoped_release release;
    std::vector<std::shared_ptr<Ciphertext>> out;
    for (auto& c : ckks::baby_step_sums(*h.ctx, ct, elts, keys, terms)) out.push_back(std::make_shared<Ciphertext>(std::move(c)));
    return out;
  }, py::arg("context"), py::arg("ciphertext"), py::arg("elements"), py::arg("galois_keys"), py::arg("groups"),
     "Partial sums sum_t rot(ct, elements[baby_t]) * diagonal_t per group (baby -1: no rotation), with double "
     "hoisting: one decomposition, inner products kept over Q*P, one ModDown per group.");
  m.def("giant_step_sum_rescale", [](HeContext& h, const std::vector<std::shared_ptr<Ciphertext>>& partials,
                                     const std::vector<uint64_t>& elts, const rlwe::GaloisKeys& gk) {
    h.check_key(gk.fingerprint, "bootstrap");
    std::vector<const Ciphertext*> cts;
    for (const auto& p : partials) {
      if (!p) throw_parameter("giant_step_sum_rescale", "partials", "contain None", "ciphertexts", "None");
      h.check_key(p->fingerprint, "bootstrap");
      cts.push_back(p.get());
    }
    const std::vector<const rlwe::KeySwitchKey*> keys = rotation_keys(gk, elts, "giant_step_sum_rescale");
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(ckks::giant_step_sum_rescale(*h.ctx, cts, elts, keys));
  }, py::arg("context"), py::arg("partials"), py::arg("elements"), py::arg("galois_keys"),
     "sum_g rot(partials[g], elements[g]) rescaled (element 1: no rotation): the key inner products summed over "
     "Q*P and one ModDown by q_l P.");
  m.def("linear_transform_rescale", [](HeContext& h, const Ciphertext& ct, const std::vector<uint64_t>& baby_elts,
                                       const rlwe::GaloisKeys& gk, const std::vector<std::vector<TermArg>>& groups,
                                       const std::vector<uint64_t>& giant_elts) {
    h.check_key(ct.fingerprint, "bootstrap");
    h.check_key(gk.fingerprint, "bootstrap");
    rlwe::check_key_id("bootstrap", gk.key_id, ct.key_id);
    const std::vector<const rlwe::KeySwitchKey*> babies = rotation_keys(gk, baby_elts, "linear_transform");
    const std::vector<const rlwe::KeySwitchKey*> giants = rotation_keys(gk, giant_elts, "linear_transform");
    const std::vector<std::vector<ckks::BabyTerm>> terms = baby_terms(h, groups, "linear_transform");
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(
        ckks::linear_transform_rescale(*h.ctx, ct, baby_elts, babies, terms, giant_elts, giants));
  }, py::arg("context"), py::arg("ciphertext"), py::arg("baby_elements"), py::arg("galois_keys"), py::arg("groups"),
     py::arg("giant_elements"),
     "sum_g rot(sum_t rot(ct, baby_elements[baby_t]) * diagonal_t, giant_elements[g]) rescaled: baby_step_sums "
     "and giant_step_sum_rescale in one, the partial sums left over Q*P (only a rotated group's c1 is divided "
     "by P).");
  m.def("key_nonzero_rows", [](const HeContext& h, const rlwe::KeySwitchKey& key) {
    // (digit, QP limb) of every nonzero row of b: what a key reveals about its secret.
    std::vector<std::pair<std::size_t, std::size_t>> rows;
    for (std::size_t j = 0; j < key.b.size(); ++j)
      for (std::size_t i = 0; i < key.b[j].limbs(); ++i) {
        const uint8_t* r = key.b[j].limb_bytes(i);
        bool nonzero = false;
        for (std::size_t k = 0; k < key.b[j].limb_size(i) && !nonzero; ++k) nonzero = r[k] != 0;
        if (nonzero) rows.emplace_back(j, i);
      }
    return rows;
  }, py::arg("context"), py::arg("key"), "Nonzero (digit, limb) rows of a key-switching key's b part.");
}

}  // namespace ppml::bindings
