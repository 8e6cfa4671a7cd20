// Bindings of the HE layer (module pyppml._core.he): parameters, contexts, keys,
// plaintexts, ciphertexts and the evaluation primitives. Heavy calls release the GIL.
#include <optional>
#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

#include "bindings/he_context.hpp"
#include "bindings/numpy_checks.hpp"
#include "bindings/registry.hpp"
#include "common/checksum.hpp"
#include "common/secure_zero.hpp"
#include "he/ckks/evaluator.hpp"
#include "he/rlwe/arith.hpp"
#include "he/rlwe/encryptor.hpp"
#include "he/rlwe/multiparty.hpp"
#include "he/rlwe/prime_chain.hpp"
#include "he/rlwe/security.hpp"
#include "he/rlwe/serialization.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using rlwe::Ciphertext;
using rlwe::Plaintext;

const rlwe::KeySwitchKey& galois_key(const rlwe::GaloisKeys& gk, uint64_t elt) {
  auto it = gk.keys.find(elt);
  if (it == gk.keys.end())
    throw_parameter("rotate", "galois_keys", "lack the key for this rotation",
                    "a key generated for Galois element " + std::to_string(elt), "none");
  return it->second;
}

random::Seed seed_of(const py::bytes& b, const char* api) {
  std::string s = b;
  if (s.size() != 32) throw_parameter(api, "crs", "has the wrong length", "32 bytes", s.size());
  random::Seed seed;
  std::memcpy(seed.data(), s.data(), 32);
  return seed;
}

// A share received from another party: right shape, evaluation form, reduced.
void check_share(const HeContext& h, const rns::RnsPoly& s, int level, const char* api) {
  if (s.n() != h.ctx->n() || s.limbs() != static_cast<std::size_t>(level + 1) || !(*s.base() == *h.ctx->q_base(level)))
    throw_parameter(api, "shares", "have the wrong shape or moduli", "polynomials over the level-" + std::to_string(level) + " base",
                    std::to_string(s.limbs()) + " limbs");
  if (s.form() != rns::Form::Evaluation)
    throw_parameter(api, "shares", "are in coefficient form", "evaluation form", "coefficient form");
  for (std::size_t i = 0; i < s.limbs(); ++i) require_below(api, "shares", s.limb(i), s.n(), (*s.base())[i].value());
}

// Loading limits from Python arguments. min_security None (or 0) removes the floor and is
// accepted only with allow_insecure=True.
rlwe::LoadLimits load_limits(const py::object& min_security, bool allow_insecure, uint64_t max_poly_degree,
                             std::size_t max_primes, const py::object& security_standard) {
  const char* api = "Context.from_bytes";
  rlwe::LoadLimits l;
  if (security_standard.equal(py::str("2024"))) l.security_standard = rlwe::SecurityStandard::Guidelines2024;
  else if (security_standard.equal(py::str("2018"))) l.security_standard = rlwe::SecurityStandard::HEStandard2018;
  else
    throw_parameter(api, "security_standard", "is not a known table", "'2024' or '2018'",
                    py::repr(security_standard).cast<std::string>());
  // Compared as Python objects, so that no value (a str, 2**70) can fail a C++ cast.
  l.min_security = -1;
  if (min_security.is_none()) l.min_security = 0;
  for (int level : {0, 128, 192, 256})
    if (py::isinstance<py::int_>(min_security) && min_security.equal(py::int_(level))) l.min_security = level;
  if (l.min_security < 0)
    throw_parameter(api, "min_security", "is not a supported level", "128, 192, 256, or None with allow_insecure=True",
                    py::repr(min_security).cast<std::string>());
  if (l.min_security == 0 && !allow_insecure)
    throw_parameter(api, "min_security", "removes the security check", "128, 192 or 256, or allow_insecure=True",
                    min_security.is_none() ? std::string("None") : std::string("0"));
  if (max_poly_degree < 1024 || max_poly_degree > (uint64_t{1} << 17) || (max_poly_degree & (max_poly_degree - 1)))
    throw_parameter(api, "max_poly_degree", "is out of range", "a power of two in [1024, 131072]", max_poly_degree);
  if (max_primes < 2 || max_primes > 256)
    throw_parameter(api, "max_primes", "is out of range", "2 <= max_primes <= 256", max_primes);
  l.max_poly_degree = max_poly_degree;
  l.max_primes = max_primes;
  return l;
}

// A secret key's serialized bytes, wiped however the scope is left (the Python bytes
// object is the caller's copy; this one must not go back to the heap readable).
struct SecretBytes {
  std::string bytes;
  ~SecretBytes() { secure_zero(bytes.data(), bytes.size()); }
};

template <typename F>
auto released(F f) {
  py::gil_scoped_release release;
  return f();
}

}  // namespace

void init_he(py::module_& root) {
  py::module_ m = root.def_submodule("he", "RLWE schemes (CKKS, BFV): native primitives");

  // Serialization: bytes in, objects out; every failure is a FormatError.
  m.def("save_params", [](const HeContext& h) { return py::bytes(rlwe::save_params(h.ctx->params())); });
  // Context.from_bytes limits, applied while the parameters are parsed, before anything is
  // built; the defaults here accept whatever the core can represent (trusted bytes).
  m.def("load_params", [](const py::bytes& b, const py::object& min_security, bool allow_insecure,
                          uint64_t max_poly_degree, std::size_t max_primes, const py::object& security_standard) {
    rlwe::Params p = rlwe::load_params(
        std::string(b), load_limits(min_security, allow_insecure, max_poly_degree, max_primes, security_standard));
    return HeContext::from_params(p);
  }, py::arg("data"), py::arg("min_security") = py::none(), py::arg("allow_insecure") = true,
     py::arg("max_poly_degree") = uint64_t{1} << 17, py::arg("max_primes") = 256, py::arg("security_standard") = "2018");
  // The format's corruption check, for tools and for tests that craft hostile bytes with a
  // valid trailer (the checksum is not a MAC).
  m.def("checksum", [](const py::bytes& b) { std::string s(b); return checksum64(s.data(), s.size()); }, py::arg("data"));
  // The security tables the core enforces, read by pyppml._ring_choice to pick a ring.
  m.def("max_modulus_bits", [](uint64_t n, int security, const std::string& standard) {
    return rlwe::max_modulus_bits(n, security, rlwe::parse_security_standard(standard));
  }, py::arg("n"), py::arg("security"), py::arg("standard"),
  "Largest log2(Q*P) the core accepts for ring degree n at `security` bits under `standard` ('2024' or '2018'); -1 when the table has no entry.");
  m.def("peek_kind", [](const py::bytes& b) { return static_cast<int>(rlwe::peek_kind(std::string(b))); });
  m.def("save", [](const HeContext& h, const Ciphertext& c) { h.check_key(c.fingerprint, "to_bytes"); return py::bytes(released([&] { return rlwe::save(*h.ctx, c); })); });
  m.def("save", [](const HeContext& h, const Plaintext& c) { h.check_key(c.fingerprint, "to_bytes"); return py::bytes(released([&] { return rlwe::save(*h.ctx, c); })); });
  m.def("save", [](const HeContext& h, const rlwe::PublicKey& c) { h.check_key(c.fingerprint, "to_bytes"); return py::bytes(released([&] { return rlwe::save(*h.ctx, c); })); });
  m.def("save", [](const HeContext& h, const rlwe::KeySwitchKey& c) { h.check_key(c.fingerprint, "to_bytes"); return py::bytes(released([&] { return rlwe::save(*h.ctx, c); })); });
  m.def("save", [](const HeContext& h, const rlwe::GaloisKeys& c) { h.check_key(c.fingerprint, "to_bytes"); return py::bytes(released([&] { return rlwe::save(*h.ctx, c); })); });
  m.def("export_secret_key", [](const HeContext& h, const rlwe::SecretKey& c) {
    h.check_key(c.fingerprint, "export_secret_key");
    SecretBytes key{released([&] { return rlwe::save(*h.ctx, c); })};
    return py::bytes(key.bytes);
  });
  m.def("load_ciphertext", [](const HeContext& h, const py::bytes& b) { std::string s(b); return std::make_shared<Ciphertext>(released([&] { return rlwe::load_ciphertext(*h.ctx, s); })); });
  m.def("load_plaintext", [](const HeContext& h, const py::bytes& b) { std::string s(b); return std::make_shared<Plaintext>(released([&] { return rlwe::load_plaintext(*h.ctx, s); })); });
  m.def("load_public_key", [](const HeContext& h, const py::bytes& b) { std::string s(b); return std::make_shared<rlwe::PublicKey>(released([&] { return rlwe::load_public_key(*h.ctx, s); })); });
  m.def("load_relin_key", [](const HeContext& h, const py::bytes& b, bool compact) { std::string s(b); return std::make_shared<rlwe::KeySwitchKey>(released([&] { return rlwe::load_relin_key(*h.ctx, s, compact); })); },
        py::arg("context"), py::arg("data"), py::arg("compact") = false);
  m.def("load_galois_keys", [](const HeContext& h, const py::bytes& b, bool compact) { std::string s(b); return std::make_shared<rlwe::GaloisKeys>(released([&] { return rlwe::load_galois_keys(*h.ctx, s, compact); })); },
        py::arg("context"), py::arg("data"), py::arg("compact") = false);
  m.def("secret_matches_public", [](const HeContext& h, const rlwe::SecretKey& sk, const rlwe::PublicKey& pk) {
    h.check_key(sk.fingerprint, "import_secret_key");
    h.check_key(pk.fingerprint, "import_secret_key");
    return released([&] { return rlwe::secret_matches_public(*h.ctx, sk, pk); });
  }, py::arg("context"), py::arg("secret_key"), py::arg("public_key"),
        "Whether public_key was made with secret_key (b + a s is its small error).");
  m.def("import_secret_key", [](const HeContext& h, const py::bytes& b) {
    SecretBytes key{b};
    return std::make_shared<rlwe::SecretKey>(released([&] { return rlwe::load_secret_key(*h.ctx, key.bytes); }));
  });

  m.def("set_key_switch_method", [](const std::string& name) {
    if (name == "auto") return rlwe::set_key_switch_method(rlwe::KeySwitchMethod::Auto);
    if (name == "direct") return rlwe::set_key_switch_method(rlwe::KeySwitchMethod::Direct);
    if (name == "aux") return rlwe::set_key_switch_method(rlwe::KeySwitchMethod::Aux);
    throw_parameter("set_key_switch_method", "name", "is not a key-switching method", "'auto', 'direct' or 'aux'", name);
  }, py::arg("name"),
        "How one-prime-digit key switching forms its sums: 'auto' (auxiliary bases where they pay), 'direct', or "
        "'aux' (auxiliary bases for every key generated or loaded while set). Results are bit-identical.");
  m.def("get_key_switch_method", [] {
    switch (rlwe::key_switch_method()) {
      case rlwe::KeySwitchMethod::Direct: return std::string("direct");
      case rlwe::KeySwitchMethod::Aux: return std::string("aux");
      default: return std::string("auto");
    }
  });
  m.def("aux_switch_count", &rlwe::aux_switch_count,
        "Key switches taken through the auxiliary bases since the process started.");
  m.def("aux_basis_info", [](const HeContext& h) {
    py::dict d;
    const rlwe::AuxBasis* ab = h.ctx->aux_basis();
    d["available"] = ab != nullptr;
    if (!ab) return d;
    d["beneficial"] = ab->beneficial;
    std::vector<std::size_t> sizes, r_sizes;
    for (std::size_t k = 0; k < ab->chunks(); ++k) {
      sizes.push_back(ab->starts[k + 1] - ab->starts[k]);
      r_sizes.push_back(ab->r_bases[k]->size());
    }
    d["chunk_primes"] = sizes;
    d["aux_primes"] = r_sizes;
    std::vector<uint64_t> r;
    for (std::size_t i = 0; i < ab->r->size(); ++i) r.push_back((*ab->r)[i].value());
    d["aux_moduli"] = r;
    return d;
  }, py::arg("context"), "The auxiliary bases of one-prime-digit key switching for this context.");

  m.def("select_primes", &rlwe::select_primes, py::arg("n"), py::arg("bit_sizes"),
        "SEAL-compatible prime chain for the given bit sizes.");

  py::class_<rlwe::SecretKey, std::shared_ptr<rlwe::SecretKey>>(m, "SecretKey")
      .def_property_readonly("fingerprint", [](const rlwe::SecretKey& k) { return k.fingerprint; })
      .def_property_readonly("key_id", [](const rlwe::SecretKey& k) { return k.key_id; });
  py::class_<rlwe::PublicKey, std::shared_ptr<rlwe::PublicKey>>(m, "PublicKey")
      .def_property_readonly("fingerprint", [](const rlwe::PublicKey& k) { return k.fingerprint; })
      .def_property_readonly("key_id", [](const rlwe::PublicKey& k) { return k.key_id; });
  py::class_<rlwe::KeySwitchKey, std::shared_ptr<rlwe::KeySwitchKey>>(m, "KeySwitchKey")
      .def_property_readonly("fingerprint", [](const rlwe::KeySwitchKey& k) { return k.fingerprint; })
      .def_property_readonly("key_id", [](const rlwe::KeySwitchKey& k) { return k.key_id; })
      .def_property_readonly("digits", [](const rlwe::KeySwitchKey& k) { return k.b.size(); })
      // A key with rows over the auxiliary bases drops its a-halves too, but was not made compact.
      .def_property_readonly("compact", [](const rlwe::KeySwitchKey& k) { return k.compact() && !k.aux; },
                             "True when only the b-halves are held (a-halves regenerated from the seed).")
      .def_property_readonly("nbytes", [](const rlwe::KeySwitchKey& k) { return rlwe::key_memory_bytes(k); },
                             "Bytes of the key's polynomials in memory.")
      .def_property_readonly("aux_nbytes", [](const rlwe::KeySwitchKey& k) { return k.aux ? k.aux->memory_bytes() : 0; },
                             "Bytes of the key's rows over the auxiliary bases (0 without them).");
  py::class_<rlwe::GaloisKeys, std::shared_ptr<rlwe::GaloisKeys>>(m, "GaloisKeys")
      .def_property_readonly("fingerprint", [](const rlwe::GaloisKeys& k) { return k.fingerprint; })
      .def_property_readonly("key_id", [](const rlwe::GaloisKeys& k) { return k.key_id; })
      .def_property_readonly("elements", [](const rlwe::GaloisKeys& k) {
        std::vector<uint64_t> e;
        for (const auto& kv : k.keys) e.push_back(kv.first);
        return e;
      })
      .def_property_readonly("nbytes", [](const rlwe::GaloisKeys& k) {
        std::size_t bytes = 0;
        for (const auto& kv : k.keys) bytes += rlwe::key_memory_bytes(kv.second);
        return bytes;
      }, "Bytes of the keys' polynomials in memory.");

  py::class_<Plaintext, std::shared_ptr<Plaintext>>(m, "Plaintext")
      .def_property_readonly("level", &Plaintext::level)
      .def_property("scale", [](const Plaintext& p) { return p.scale; }, [](Plaintext& p, double s) { p.scale = s; })
      .def_property_readonly("fingerprint", [](const Plaintext& p) { return p.fingerprint; })
      .def_property_readonly("poly", [](const Plaintext& p) { return p.poly; });

  py::class_<Ciphertext, std::shared_ptr<Ciphertext>>(m, "Ciphertext")
      .def_property_readonly("level", &Ciphertext::level)
      .def_property_readonly("size", &Ciphertext::size)
      .def_property("scale", [](const Ciphertext& c) { return c.scale; }, [](Ciphertext& c, double s) { c.scale = s; })
      .def_property_readonly("fingerprint", [](const Ciphertext& c) { return c.fingerprint; })
      .def_property_readonly("key_id", [](const Ciphertext& c) { return c.key_id; })
      .def_property_readonly("seeded", [](const Ciphertext& c) { return c.seeded; })
      .def("poly", [](const Ciphertext& c, std::size_t i) { return c.polys.at(i); }, py::arg("index"))
      .def("copy", [](const Ciphertext& c) { return std::make_shared<Ciphertext>(c); });

  py::class_<HeContext, std::shared_ptr<HeContext>> ctx(m, "Context");
  ctx.def(py::init(&HeContext::create), py::arg("scheme"), py::arg("n"), py::arg("q"), py::arg("p"),
          py::arg("dnum") = 0, py::arg("security") = 128, py::arg("standard") = "2024", py::arg("plain_modulus") = 0)
      .def_property_readonly("n", [](const HeContext& h) { return h.ctx->n(); })
      .def_property_readonly("slots", [](const HeContext& h) { return h.ctx->n() / 2; })
      .def_property_readonly("max_level", [](const HeContext& h) { return h.ctx->max_level(); })
      .def_property_readonly("q", [](const HeContext& h) { return h.ctx->params().q; })
      .def_property_readonly("p", [](const HeContext& h) { return h.ctx->params().p; })
      .def_property_readonly("digits", [](const HeContext& h) { return h.ctx->digits(); })
      .def_property_readonly("dnum", [](const HeContext& h) { return h.ctx->params().dnum; })
      .def_property_readonly("security", [](const HeContext& h) { return h.ctx->params().security_level; })
      .def_property_readonly("standard", [](const HeContext& h) { return rlwe::security_standard_name(h.ctx->params().standard); })
      .def_property_readonly("plain_modulus", [](const HeContext& h) { return h.ctx->params().plain_modulus; })
      .def_property_readonly("log_qp", [](const HeContext& h) { return h.ctx->params().log_qp(); })
      .def_property_readonly("fingerprint", [](const HeContext& h) { return h.ctx->fingerprint(); })
      .def_property_readonly("scheme", [](const HeContext& h) { return h.scheme_name(); })
      // Keys
      .def("keygen_secret", [](HeContext& h) {
        return std::make_shared<rlwe::SecretKey>(released([&] { return rlwe::generate_secret_key(*h.ctx, h.prng()); }));
      })
      .def("keygen_public", [](HeContext& h, const rlwe::SecretKey& sk) {
        h.check_key(sk.fingerprint, "keygen_public");
        return std::make_shared<rlwe::PublicKey>(released([&] { return rlwe::generate_public_key(*h.ctx, sk, h.prng()); }));
      })
      .def("keygen_relin", [](HeContext& h, const rlwe::SecretKey& sk, bool compact) {
        h.check_key(sk.fingerprint, "keygen_relin");
        return std::make_shared<rlwe::KeySwitchKey>(released([&] { return rlwe::generate_relin_key(*h.ctx, sk, h.prng(), compact); }));
      }, py::arg("secret_key"), py::arg("compact") = false)
      .def("keygen_galois", [](HeContext& h, const rlwe::SecretKey& sk, const std::vector<uint64_t>& elts, bool compact) {
        h.check_key(sk.fingerprint, "keygen_galois");
        for (uint64_t e : elts)
          if ((e & 1) == 0 || e >= 2 * h.ctx->n())
            throw_parameter("keygen_galois", "galois_elts", "contain an invalid element", "odd integers < 2n", e);
        auto gk = std::make_shared<rlwe::GaloisKeys>();
        gk->fingerprint = h.ctx->fingerprint();
        gk->key_id = sk.key_id;
        py::gil_scoped_release release;
        for (uint64_t e : elts)
          if (!gk->keys.count(e)) gk->keys.emplace(e, rlwe::generate_galois_key(*h.ctx, sk, e, h.prng(), compact));
        return gk;
      }, py::arg("secret_key"), py::arg("galois_elts"), py::arg("compact") = false)
      // Threshold (multiparty) keys and decryption
      .def("q_base", [](const HeContext& h, int level) {
        if (level < 0 || level > h.ctx->max_level())
          throw_parameter("q_base", "level", "is out of range", "0.." + std::to_string(h.ctx->max_level()), level);
        return std::const_pointer_cast<rns::RnsBase>(h.ctx->q_base(level));
      }, py::arg("level"), "RNS base of the data primes of a level.")
      .def("public_key_share", [](HeContext& h, const rlwe::SecretKey& sk, const py::bytes& crs) {
        auto seed = seed_of(crs, "public_key_share");
        return released([&] { return rlwe::public_key_share(*h.ctx, sk, seed, h.prng()); });
      }, py::arg("secret_key"), py::arg("crs"))
      .def("combine_public_key", [](HeContext& h, const std::vector<const rns::RnsPoly*>& shares, const py::bytes& crs,
                                    uint64_t key_id) {
        auto seed = seed_of(crs, "combine_public_key");
        for (const auto* s : shares) check_share(h, *s, h.ctx->max_level(), "combine_public_key");
        return std::make_shared<rlwe::PublicKey>(rlwe::combine_public_key(*h.ctx, shares, seed, key_id));
      }, py::arg("shares"), py::arg("crs"), py::arg("key_id"))
      .def("decryption_share", [](HeContext& h, const rlwe::SecretKey& sk, const Ciphertext& ct, int smudging_bits) {
        return released([&] { return rlwe::decryption_share(*h.ctx, sk, ct, smudging_bits, h.prng()); });
      }, py::arg("secret_key"), py::arg("ciphertext"), py::arg("smudging_bits"))
      .def("combine_decryption", [](HeContext& h, const Ciphertext& ct, const std::vector<const rns::RnsPoly*>& shares) {
        for (const auto* s : shares) check_share(h, *s, ct.level(), "combine_decryption");
        auto pt = std::make_shared<Plaintext>();
        pt->poly = rlwe::combine_decryption(*h.ctx, ct, shares);
        pt->scale = ct.scale;
        pt->fingerprint = ct.fingerprint;
        return pt;
      }, py::arg("ciphertext"), py::arg("shares"))
      // Encryption
      .def("encrypt_public", [](HeContext& h, const rlwe::PublicKey& pk, const Plaintext& pt) {
        h.check_key(pk.fingerprint, "encrypt");
        h.check_key(pt.fingerprint, "encrypt");
        auto ct = std::make_shared<Ciphertext>(released([&] { return rlwe::encrypt_public(*h.ctx, pk, pt.poly, h.prng()); }));
        ct->scale = pt.scale;
        return ct;
      })
      .def("encrypt_secret", [](HeContext& h, const rlwe::SecretKey& sk, const Plaintext& pt) {
        h.check_key(sk.fingerprint, "encrypt");
        h.check_key(pt.fingerprint, "encrypt");
        auto ct = std::make_shared<Ciphertext>(released([&] { return rlwe::encrypt_secret(*h.ctx, sk, pt.poly, h.prng()); }));
        ct->scale = pt.scale;
        return ct;
      })
      .def("decrypt", [](HeContext& h, const rlwe::SecretKey& sk, const Ciphertext& ct) {
        h.check_key(sk.fingerprint, "decrypt");
        h.check_key(ct.fingerprint, "decrypt");
        auto pt = std::make_shared<Plaintext>();
        pt->poly = released([&] { return rlwe::decrypt(*h.ctx, sk, ct); });
        pt->scale = ct.scale;
        pt->fingerprint = ct.fingerprint;
        return pt;
      })
      // CKKS encoding
      .def("encode", [](HeContext& h, py::array_t<std::complex<double>, py::array::c_style | py::array::forcecast> values,
                        double scale, int level) {
        const auto* p = values.data();
        std::size_t count = values.size();
        return std::make_shared<Plaintext>(released([&] { return h.ckks_encoder().encode(p, count, scale, level); }));
      }, py::arg("values"), py::arg("scale"), py::arg("level"))
      .def("encode_real", [](HeContext& h, py::array_t<double, py::array::c_style | py::array::forcecast> values,
                             double scale, int level) {
        const double* p = values.data();
        std::size_t count = values.size();
        return std::make_shared<Plaintext>(released([&] { return h.ckks_encoder().encode_real(p, count, scale, level); }));
      }, py::arg("values"), py::arg("scale"), py::arg("level"))
      .def("encode_constant", [](HeContext& h, std::complex<double> value, double scale, int level) {
        return std::make_shared<Plaintext>(released([&] { return h.ckks_encoder().encode_constant(value, scale, level); }));
      }, py::arg("value"), py::arg("scale"), py::arg("level"))
      .def("decode", [](HeContext& h, const Plaintext& pt) {
        h.check_key(pt.fingerprint, "decode");
        std::vector<std::complex<double>> v = released([&] { return h.ckks_encoder().decode(pt); });
        py::array_t<std::complex<double>> out(v.size());
        std::copy(v.begin(), v.end(), out.mutable_data());
        return out;
      })
      .def("decode_coefficients", [](HeContext& h, const Plaintext& pt,
                                     std::optional<py::array_t<int64_t, py::array::c_style>> add) {
        h.check_key(pt.fingerprint, "decode");
        if (add && static_cast<uint64_t>(add->size()) != h.ctx->n())
          throw_parameter("decode_coefficients", "add", "has the wrong length", std::to_string(h.ctx->n()), add->size());
        const int64_t* a = add ? add->data() : nullptr;
        std::vector<double> c = released([&] { return h.ckks_encoder().lift_centered(pt.poly, a); });
        py::array_t<double> out(c.size());
        std::copy(c.begin(), c.end(), out.mutable_data());
        return out;
      }, py::arg("plaintext"), py::arg("add") = py::none(),
      "Centered coefficients of a plaintext as float64 (unscaled); `add` (int64, n) is added "
      "exactly in Z_Q before the conversion.")
      .def("decode_from_coefficients", [](HeContext& h, py::array_t<double, py::array::c_style | py::array::forcecast> c,
                                          double scale) {
        if (static_cast<uint64_t>(c.size()) != h.ctx->n())
          throw_parameter("decode", "coeffs", "has the wrong length", std::to_string(h.ctx->n()), c.size());
        const double* p = c.data();
        std::vector<std::complex<double>> v = released([&] { return h.ckks_encoder().decode_coefficients(p, scale); });
        py::array_t<std::complex<double>> out(v.size());
        std::copy(v.begin(), v.end(), out.mutable_data());
        return out;
      })
      // Arithmetic
      .def("add", [](HeContext& h, const Ciphertext& a, const Ciphertext& b) {
        return std::make_shared<Ciphertext>(released([&] { return rlwe::add(*h.ctx, a, b); }));
      })
      .def("sub", [](HeContext& h, const Ciphertext& a, const Ciphertext& b) {
        return std::make_shared<Ciphertext>(released([&] { return rlwe::sub(*h.ctx, a, b); }));
      })
      .def("negate", [](HeContext& h, const Ciphertext& a) {
        return std::make_shared<Ciphertext>(released([&] { return rlwe::negate(*h.ctx, a); }));
      })
      .def("add_plain", [](HeContext& h, const Ciphertext& a, const Plaintext& pt) {
        h.check_key(pt.fingerprint, "add_plain");
        return std::make_shared<Ciphertext>(released([&] { return rlwe::add_plain(*h.ctx, a, pt.poly); }));
      })
      .def("add_poly", [](HeContext& h, const Ciphertext& a, const rns::RnsPoly& poly) {
        check_share(h, poly, a.level(), "add_poly");
        return std::make_shared<Ciphertext>(released([&] { return rlwe::add_plain(*h.ctx, a, poly); }));
      }, py::arg("ciphertext"), py::arg("poly"),
         "c0 + poly for an evaluation-form polynomial at the ciphertext's level (e.g. noise flooding).")
      .def("sub_plain", [](HeContext& h, const Ciphertext& a, const Plaintext& pt) {
        h.check_key(pt.fingerprint, "sub_plain");
        return std::make_shared<Ciphertext>(released([&] { return rlwe::sub_plain(*h.ctx, a, pt.poly); }));
      })
      .def("multiply_plain", [](HeContext& h, const Ciphertext& a, const Plaintext& pt) {
        return std::make_shared<Ciphertext>(released([&] { return ckks::multiply_plain(*h.ctx, a, pt); }));
      })
      .def("multiply", [](HeContext& h, const Ciphertext& a, const Ciphertext& b) {
        return std::make_shared<Ciphertext>(released([&] { return ckks::multiply(*h.ctx, a, b); }));
      })
      .def("multiply_integer", [](HeContext& h, const Ciphertext& a, const py::int_& c) {
        auto r = residues_of(h, c);
        auto out = std::make_shared<Ciphertext>(released([&] { return rlwe::multiply_integer(*h.ctx, a, r); }));
        out->scale = a.scale;
        return out;
      })
      .def("relinearize", [](HeContext& h, const Ciphertext& a, const rlwe::KeySwitchKey& rk) {
        return std::make_shared<Ciphertext>(released([&] { return rlwe::relinearize(*h.ctx, a, rk); }));
      })
      .def("rescale", [](HeContext& h, const Ciphertext& a) {
        return std::make_shared<Ciphertext>(released([&] { return ckks::rescale(*h.ctx, a); }));
      })
      .def("relinearize_rescale", [](HeContext& h, const Ciphertext& a, const rlwe::KeySwitchKey& rk) {
        return std::make_shared<Ciphertext>(released([&] { return ckks::relinearize_rescale(*h.ctx, a, rk); }));
      })
      .def("drop_to_level", [](HeContext& h, const Ciphertext& a, int level) {
        return std::make_shared<Ciphertext>(released([&] { return rlwe::drop_to_level(*h.ctx, a, level); }));
      })
      .def("apply_galois", [](HeContext& h, const Ciphertext& a, uint64_t elt, const rlwe::GaloisKeys& gk) {
        h.check_key(gk.fingerprint, "rotate");
        rlwe::check_key_id("rotate", gk.key_id, a.key_id);
        const auto& key = galois_key(gk, elt);
        return std::make_shared<Ciphertext>(released([&] { return rlwe::apply_galois(*h.ctx, a, elt, key); }));
      })
      .def("apply_galois_hoisted", [](HeContext& h, const Ciphertext& a, const std::vector<uint64_t>& elts,
                                      const rlwe::GaloisKeys& gk) {
        h.check_key(gk.fingerprint, "rotate_many");
        std::vector<const rlwe::KeySwitchKey*> keys;
        for (uint64_t e : elts) keys.push_back(&galois_key(gk, e));
        auto outs = released([&] { return rlwe::apply_galois_hoisted(*h.ctx, a, elts, keys); });
        std::vector<std::shared_ptr<Ciphertext>> res;
        for (auto& c : outs) res.push_back(std::make_shared<Ciphertext>(std::move(c)));
        return res;
      });
}

}  // namespace ppml::bindings
