// Bindings of the DP layer: bulk exact samplers filling NumPy int64 arrays with the GIL
// released, the CKS reference samplers and the exact-exp internals (for tests).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>

#include "bindings/registry.hpp"
#include "bindings/shared_prng.hpp"
#include "common/errors.hpp"
#include "dp/bernoulli.hpp"
#include "dp/discrete_gaussian.hpp"
#include "dp/discrete_laplace.hpp"
#include "dp/exp_interval.hpp"
#include "dp/table_sampler.hpp"
#include "random/prng.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using dp::u128;

void check_size(const char* api, py::ssize_t size) {
  if (size < 0) throw_parameter(api, "size", "is negative", "size >= 0", size);
}

dp::BigNat big_from(const py::int_& v, const char* api, const char* arg) {
  if (py::int_(v) < py::int_(0)) throw_parameter(api, arg, "is negative", "a non-negative integer", "a negative one");
  dp::BigNat r;
  py::object x = v;
  std::size_t shift = 0;
  py::int_ mask((uint64_t{1} << 63) - 1 + (uint64_t{1} << 63));
  while (py::int_(x) > py::int_(0)) {
    uint64_t limb = py::int_(x.attr("__and__")(mask)).cast<uint64_t>();
    dp::BigNat part(limb);
    part.shl(shift);
    r.add(part);
    x = x.attr("__rshift__")(64);
    shift += 64;
  }
  return r;
}

py::int_ big_to(const dp::BigNat& b) {
  py::object r = py::int_(0);
  const auto& limbs = b.limbs();
  for (std::size_t i = limbs.size(); i-- > 0;) r = r.attr("__lshift__")(64).attr("__or__")(py::int_(limbs[i]));
  return r;
}

u128 u128_from(const py::int_& v, const char* api, const char* arg) {
  dp::BigNat b = big_from(v, api, arg);
  if (b.bit_length() > 120) throw_parameter(api, arg, "is too large", "< 2^120", "a larger integer");
  return b.to_u128_saturated();
}

// Runs `body(prng, out, n)` with the GIL released, on the given Prng or a fresh OS-keyed one
// (a fresh one per call keeps forked processes from sharing a keystream).
template <typename T, typename Body>
py::array_t<T> bulk(const char* api, py::ssize_t size, SharedPrng* prng, Body body) {
  check_size(api, size);
  py::array_t<T> out(size);
  T* dst = out.mutable_data();
  std::size_t n = static_cast<std::size_t>(size);
  if (prng) {
    with_prng(*prng, [&](random::Prng& g) { body(g, dst, n); });
  } else {
    py::gil_scoped_release release;
    random::Prng local;
    body(local, dst, n);
  }
  return out;
}

}  // namespace

void init_dp(py::module_& m) {
  m.def(
      "dp_discrete_gaussian",
      [](uint64_t a, uint64_t b, py::ssize_t size, SharedPrng* prng, bool exact_fallback_only) {
        return bulk<int64_t>("dp.discrete_gaussian", size, prng, [&](random::Prng& p, int64_t* o, std::size_t n) {
          dp::discrete_gaussian(p, a, b, o, n, exact_fallback_only);
        });
      },
      py::arg("a"), py::arg("b"), py::arg("size"), py::arg("prng") = py::none(),
      py::arg("exact_fallback_only") = false,
      "Exact discrete Gaussian with sigma^2 = a/b, int64 array of `size` values.");
  m.def(
      "dp_discrete_laplace",
      [](uint64_t sn, uint64_t sd, py::ssize_t size, SharedPrng* prng, bool exact_fallback_only) {
        return bulk<int64_t>("dp.discrete_laplace", size, prng, [&](random::Prng& p, int64_t* o, std::size_t n) {
          dp::discrete_laplace(p, sn, sd, o, n, exact_fallback_only);
        });
      },
      py::arg("sn"), py::arg("sd"), py::arg("size"), py::arg("prng") = py::none(),
      py::arg("exact_fallback_only") = false,
      "Exact discrete Laplace with scale sn/sd, int64 array of `size` values.");
  m.def(
      "dp_discrete_gaussian_reference",
      [](uint64_t a, uint64_t b, py::ssize_t size, SharedPrng* prng) {
        return bulk<int64_t>("dp.discrete_gaussian_reference", size, prng,
                             [&](random::Prng& p, int64_t* o, std::size_t n) {
                               dp::discrete_gaussian_reference(p, a, b, o, n);
                             });
      },
      py::arg("a"), py::arg("b"), py::arg("size"), py::arg("prng") = py::none(),
      "Textbook CKS discrete Gaussian (oracle for tests).");
  m.def(
      "dp_discrete_laplace_reference",
      [](uint64_t sn, uint64_t sd, py::ssize_t size, SharedPrng* prng) {
        return bulk<int64_t>("dp.discrete_laplace_reference", size, prng,
                             [&](random::Prng& p, int64_t* o, std::size_t n) {
                               dp::discrete_laplace_reference(p, sn, sd, o, n);
                             });
      },
      py::arg("sn"), py::arg("sd"), py::arg("size"), py::arg("prng") = py::none(),
      "Textbook CKS discrete Laplace (oracle for tests).");
  m.def(
      "dp_bernoulli_exp",
      [](const py::int_& xn, const py::int_& xd, py::ssize_t size, SharedPrng* prng) {
        u128 n_ = u128_from(xn, "dp.bernoulli_exp", "xn"), d_ = u128_from(xd, "dp.bernoulli_exp", "xd");
        if (d_ == 0) throw_parameter("dp.bernoulli_exp", "xd", "is zero", "xd >= 1", 0);
        return bulk<bool>("dp.bernoulli_exp", size, prng, [&](random::Prng& p, bool* o, std::size_t n) {
          dp::RandomBits bits(p);
          for (std::size_t i = 0; i < n; ++i) o[i] = dp::bernoulli_exp(bits, n_, d_);
        });
      },
      py::arg("xn"), py::arg("xd"), py::arg("size"), py::arg("prng") = py::none(),
      "Exact Bernoulli(exp(-xn/xd)) trials [CKS20, Algorithm 1].");
  m.def(
      "dp_bernoulli_exp_lazy",
      [](const py::int_& cn, std::size_t c_shift, uint64_t cd, const py::int_& xn, uint64_t xd, py::ssize_t size,
         SharedPrng* prng) {
        dp::ExpTarget t;
        t.cn = big_from(cn, "dp.bernoulli_exp_lazy", "cn");
        t.c_shift = c_shift;
        t.cd = cd;
        t.xn = big_from(xn, "dp.bernoulli_exp_lazy", "xn");
        t.xd = xd;
        if (cd == 0 || xd == 0) throw_parameter("dp.bernoulli_exp_lazy", "cd/xd", "is zero", ">= 1", 0);
        return bulk<bool>("dp.bernoulli_exp_lazy", size, prng, [&](random::Prng& p, bool* o, std::size_t n) {
          dp::RandomBits bits(p);
          for (std::size_t i = 0; i < n; ++i) o[i] = dp::bernoulli_exp_lazy(bits, bits.u64(), t);
        });
      },
      py::arg("cn"), py::arg("c_shift"), py::arg("cd"), py::arg("xn"), py::arg("xd"), py::arg("size"),
      py::arg("prng") = py::none(), "Exact Bernoulli(cn 2^c_shift / cd * exp(-xn/xd)) by lazy comparison.");
  m.def(
      "dp_exp_interval",
      [](const py::int_& xn, uint64_t xd, std::size_t bits) {
        if (xd == 0) throw_parameter("dp.exp_interval", "xd", "is zero", "xd >= 1", 0);
        if (bits == 0 || bits > 8192) throw_parameter("dp.exp_interval", "bits", "is out of range", "1 <= bits <= 8192", bits);
        dp::BigNat lo, hi;
        dp::exp_interval(big_from(xn, "dp.exp_interval", "xn"), xd, bits, lo, hi);
        return py::make_tuple(big_to(lo), big_to(hi));
      },
      py::arg("xn"), py::arg("xd"), py::arg("bits"),
      "(lo, hi) with lo <= exp(-xn/xd) 2^bits <= hi (rigorous bounds used by the exact samplers).");
  m.def(
      "dp_table_info",
      [](const std::string& kind, uint64_t num, uint64_t den) {
        if (kind != "gaussian" && kind != "laplace")
          throw_parameter("dp.table_info", "kind", "is unknown", "'gaussian' or 'laplace'", kind);
        auto t = kind == "gaussian" ? dp::gaussian_table(num, den) : dp::laplace_table(num, den);
        py::dict d;
        d["blocks"] = t->blocks();
        d["block_bits"] = t->block_bits();
        return d;
      },
      py::arg("kind"), py::arg("num"), py::arg("den"));
}

}  // namespace ppml::bindings
