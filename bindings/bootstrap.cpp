// Bindings of CKKS bootstrapping's native steps (pyppml._core.he): ModRaise, secret
// switching and the ephemeral sparse-secret keys. The plan (linear transforms, EvalMod)
// is composed in pyppml/ckks/bootstrap/ from the evaluator's primitives.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/he_context.hpp"
#include "bindings/registry.hpp"
#include "he/ckks/bootstrap/ephemeral_key.hpp"
#include "he/ckks/bootstrap/linear_sum.hpp"
#include "he/ckks/bootstrap/mod_raise.hpp"
#include "he/rlwe/arith.hpp"

namespace py = pybind11;

namespace ppml::bindings {

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
  m.def("keygen_ephemeral", [](HeContext& h, const rlwe::SecretKey& sk, int weight) {
    h.check_key(sk.fingerprint, "keygen");
    ckks::EphemeralKeys keys;
    {
      py::gil_scoped_release release;
      keys = ckks::generate_ephemeral_keys(*h.ctx, sk, weight, h.prng());
    }
    return py::make_tuple(std::make_shared<rlwe::KeySwitchKey>(std::move(keys.to_sparse)),
                          std::make_shared<rlwe::KeySwitchKey>(std::move(keys.to_dense)));
  }, py::arg("context"), py::arg("secret_key"), py::arg("weight"),
     "(dense -> sparse key at level 0 only, sparse -> dense key) for sparse-secret encapsulation.");
  m.def("linear_sum", [](HeContext& h, const std::vector<const Ciphertext*>& cts,
                         const std::vector<const rlwe::Plaintext*>& pts) {
    py::gil_scoped_release release;
    return std::make_shared<Ciphertext>(ckks::plaintext_inner_product(*h.ctx, cts, pts));
  }, py::arg("context"), py::arg("ciphertexts"), py::arg("plaintexts"),
     "sum_t ciphertexts[t] * plaintexts[t] (one level, one scale), one reduction per coefficient.");
  m.def("key_nonzero_rows", [](const HeContext& h, const rlwe::KeySwitchKey& key) {
    // (digit, QP limb) of every nonzero row of b: what a key reveals about its secret.
    std::vector<std::pair<std::size_t, std::size_t>> rows;
    for (std::size_t j = 0; j < key.b.size(); ++j)
      for (std::size_t i = 0; i < key.b[j].limbs(); ++i) {
        const uint64_t* r = key.b[j].limb(i);
        bool nonzero = false;
        for (uint64_t k = 0; k < key.b[j].n() && !nonzero; ++k) nonzero = r[k] != 0;
        if (nonzero) rows.emplace_back(j, i);
      }
    return rows;
  }, py::arg("context"), py::arg("key"), "Nonzero (digit, limb) rows of a key-switching key's b part.");
}

}  // namespace ppml::bindings
