// Bindings of the randomness layer: ChaCha20 (for the RFC 8439 vectors), seeded and OS
// keystreams, and the lattice samplers (for statistical tests and prototyping).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

#include "bindings/registry.hpp"
#include "bindings/shared_prng.hpp"
#include "common/errors.hpp"
#include "random/aes_ctr.hpp"
#include "random/chacha20.hpp"
#include "random/prng.hpp"
#include "random/samplers.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

random::Seed seed_from(const py::bytes& b, const char* api) {
  std::string s = b;
  if (s.size() != 32) throw_parameter(api, "seed", "has the wrong length", "32 bytes", s.size());
  random::Seed seed;
  std::memcpy(seed.data(), s.data(), 32);
  return seed;
}

void check_size(const char* api, py::ssize_t size) {
  if (size < 0) throw_parameter(api, "size", "is negative", "size >= 0", size);
}

random::Aes128Key aes_key_from(const py::bytes& b, const char* api) {
  std::string s = b;
  if (s.size() != 16) throw_parameter(api, "key", "has the wrong length", "16 bytes", s.size());
  return random::aes128_expand_key(reinterpret_cast<const uint8_t*>(s.data()));
}

// An integer (anything with __index__) in [lo, 2^bits), else ParameterError naming
// `expected`; not an integer: TypeError.
uint64_t int_in_range(const py::object& obj, const char* api, const char* arg, uint64_t lo, int bits,
                      const char* expected) {
  PyObject* index = PyNumber_Index(obj.ptr());
  if (!index) throw py::error_already_set();
  const auto v = py::reinterpret_steal<py::int_>(index);
  if (v < py::int_(lo) || v >= py::int_(1).attr("__lshift__")(bits))
    throw_parameter(api, arg, "is out of range", expected, std::string(py::str(v)));
  return v.cast<uint64_t>();
}

uint64_t u64_from(const py::object& obj, const char* api, const char* arg) {
  return int_in_range(obj, api, arg, 0, 64, "0 <= value < 2^64");
}

}  // namespace

void init_random(py::module_& m) {
  m.def(
      "chacha20_block",
      [](const py::bytes& key, uint32_t counter, const py::bytes& nonce) {
        std::string k = key, n = nonce;
        if (k.size() != 32) throw_parameter("chacha20_block", "key", "has the wrong length", "32 bytes", k.size());
        if (n.size() != 12) throw_parameter("chacha20_block", "nonce", "has the wrong length", "12 bytes", n.size());
        uint32_t kw[8], tail[4] = {counter, 0, 0, 0};
        std::memcpy(kw, k.data(), 32);
        std::memcpy(tail + 1, n.data(), 12);
        uint8_t out[64];
        random::chacha20_block(kw, tail, out);
        return py::bytes(reinterpret_cast<const char*>(out), 64);
      },
      py::arg("key"), py::arg("counter"), py::arg("nonce"), "One RFC 8439 ChaCha20 block.");

  // Safe to share between Python threads: every draw holds the object's lock.
  py::class_<SharedPrng>(m, "Prng")
      .def(py::init<>())
      .def(py::init([](const py::bytes& seed, uint64_t stream) {
             return new SharedPrng(seed_from(seed, "Prng"), stream);
           }),
           py::arg("seed"), py::arg("stream") = 0)
      .def("random_bytes",
           [](SharedPrng& p, py::ssize_t size) {
             check_size("Prng.random_bytes", size);
             std::string out(static_cast<std::size_t>(size), '\0');
             with_prng(p, [&](random::Prng& g) { g.fill(out.data(), out.size()); });
             return py::bytes(out);
           },
           py::arg("size"))
      .def("uint64",
           [](SharedPrng& p, py::ssize_t size) {
             check_size("Prng.uint64", size);
             py::array_t<uint64_t> out(size);
             uint64_t* dst = out.mutable_data();
             with_prng(p, [&](random::Prng& g) { g.fill(dst, static_cast<std::size_t>(size) * 8); });
             return out;
           },
           py::arg("size"))
      .def("uniform_mod",
           [](SharedPrng& p, uint64_t q, py::ssize_t size) {
             check_size("Prng.uniform_mod", size);
             if (q < 2) throw_parameter("Prng.uniform_mod", "q", "is too small", "q >= 2", q);
             py::array_t<uint64_t> out(size);
             uint64_t* dst = out.mutable_data();
             with_prng(p, [&](random::Prng& g) { random::sample_uniform_mod(g, q, dst, static_cast<std::size_t>(size)); });
             return out;
           },
           py::arg("q"), py::arg("size"))
      .def("ternary",
           [](SharedPrng& p, py::ssize_t size) {
             check_size("Prng.ternary", size);
             py::array_t<int8_t> out(size);
             int8_t* dst = out.mutable_data();
             with_prng(p, [&](random::Prng& g) { random::sample_ternary(g, dst, static_cast<std::size_t>(size)); });
             return out;
           },
           py::arg("size"))
      .def("uniform_below",
           [](SharedPrng& p, uint64_t bound) {
             if (bound < 1) throw_parameter("Prng.uniform_below", "bound", "is too small", "bound >= 1", bound);
             return with_prng(p, [&](random::Prng& g) { return g.uniform_below(bound); });
           },
           py::arg("bound"), "Uniform integer in [0, bound) by rejection: the sparse-secret sampler's draw.")
      .def("cbd",
           [](SharedPrng& p, py::ssize_t size) {
             check_size("Prng.cbd", size);
             py::array_t<int8_t> out(size);
             int8_t* dst = out.mutable_data();
             with_prng(p, [&](random::Prng& g) { random::sample_cbd(g, dst, static_cast<std::size_t>(size)); });
             return out;
           },
           py::arg("size"));
  m.attr("CBD_SIGMA") = random::kCbdSigma;
  m.def("chacha20_kernel_name", [] { return std::string(random::chacha20_kernel_name()); });

  // AES-128 CTR expansion of public uniform polynomials (random/aes_ctr.hpp).
  m.def(
      "aes128_ctr",
      [](const py::bytes& key, const py::object& nonce, const py::object& counter, py::ssize_t blocks) {
        const random::Aes128Key k = aes_key_from(key, "aes128_ctr");
        const uint64_t n = u64_from(nonce, "aes128_ctr", "nonce"), c = u64_from(counter, "aes128_ctr", "counter");
        if (blocks < 0) throw_parameter("aes128_ctr", "blocks", "is negative", "blocks >= 0", blocks);
        if (blocks > PY_SSIZE_T_MAX / 16)  // 16 * blocks bytes must not overflow
          throw_parameter("aes128_ctr", "blocks", "is too large", "16 * blocks < 2^63", blocks);
        std::string out(static_cast<std::size_t>(blocks) * 16, '\0');
        {
          py::gil_scoped_release release;
          random::aes128_ctr(k, n, c, reinterpret_cast<uint8_t*>(out.data()), static_cast<std::size_t>(blocks));
        }
        return py::bytes(out);
      },
      py::arg("key"), py::arg("nonce"), py::arg("counter"), py::arg("blocks"),
      "`blocks` AES-128 CTR keystream blocks E_key(counter + i mod 2^64 || nonce), 16 bytes each.");
  m.def(
      "aes128_uniform_mod",
      [](const py::bytes& key, const py::object& nonce, const py::object& q, py::ssize_t count, py::ssize_t streams) {
        const random::Aes128Key k = aes_key_from(key, "aes128_uniform_mod");
        const uint64_t n = u64_from(nonce, "aes128_uniform_mod", "nonce");
        const uint64_t qv = int_in_range(q, "aes128_uniform_mod", "q", 2, 63, "2 <= q < 2^63");
        if (count < 0) throw_parameter("aes128_uniform_mod", "count", "is negative", "count >= 0", count);
        if (streams < 1 || (count && streams > PY_SSIZE_T_MAX / 8 / count))
          throw_parameter("aes128_uniform_mod", "streams", "is out of range", "1 <= streams, 8 * streams * count < 2^63", streams);
        py::array_t<uint64_t> out(count * streams);
        uint64_t* dst = out.mutable_data();
        {
          py::gil_scoped_release release;
          random::uniform_mod_ctr_streams(k, n, qv, dst, static_cast<std::size_t>(streams), static_cast<std::size_t>(count));
        }
        return out;
      },
      py::arg("key"), py::arg("nonce"), py::arg("q"), py::arg("count"), py::arg("streams") = 1,
      "`count` uniform residues mod q from the AES-128 CTR stream `nonce` (mask and reject); with `streams`, "
      "those of the streams nonce, nonce + 1, ... one after the other (the round keys loaded once).");
  m.def("aes128_ctr_kernel", [] { return std::string(random::aes128_ctr_kernel_name()); },
        "The AES-128 CTR kernel under the current backend: vaes, aesni or scalar.");
  m.def("os_seed", [] {
    auto s = random::os_seed();
    return py::bytes(reinterpret_cast<const char*>(s.data()), s.size());
  });
  m.def("_seed_thread_prng_for_tests", [](const py::bytes& seed) {
    random::seed_thread_prng_for_tests(seed_from(seed, "_seed_thread_prng_for_tests"));
  }, py::arg("seed"),
  "TESTS ONLY: the calling thread's key/encryption generator becomes the expansion of `seed` (32 bytes).");
}

}  // namespace ppml::bindings
