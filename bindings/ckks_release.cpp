// Bindings of CKKS decryption for release (pyppml._core.he): the noise bounds, the plan,
// the flooding sampler, the per-key release count and the flooded decryption itself.
// pyppml.ckks.release documents them for Python users.
#include <pybind11/complex.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "bindings/he_context.hpp"
#include "bindings/registry.hpp"
#include "he/ckks/release.hpp"
#include "he/ckks/release_count.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

py::tuple plan_tuple(const ckks::ReleasePlan& p) {
  return py::make_tuple(p.noise_bound, p.security_bits, p.max_releases, p.sigma_min, p.sigma, p.slot_sigma, p.step,
                        p.max_bits);
}

py::object limit_of(const ckks::ReleaseCount& c) { return c.limit ? py::object(py::int_(c.limit)) : py::none(); }

}  // namespace

void init_ckks_release(py::module_& root) {
  py::module_ m = root.attr("he").cast<py::module_>();
  m.def("fresh_noise_bound", [](const HeContext& h) { return ckks::fresh_noise_bound(*h.ctx); },
        "B of a fresh public-key encryption (coefficient units).");
  m.def("default_noise_bound", [](const HeContext& h) { return ckks::default_noise_bound(*h.ctx); },
        "B after a fresh encryption, one key switch and one rescale (coefficient units).");
  m.def("plan_release", [](const HeContext& h, double scale, double bits, double noise_bound, int security_bits,
                           uint64_t max_releases) {
    return plan_tuple(ckks::plan_release("decrypt_for_release", *h.ctx, scale, bits, noise_bound, security_bits, max_releases));
  }, py::arg("context"), py::arg("scale"), py::arg("bits_of_precision"), py::arg("noise_bound"),
     py::arg("security_bits"), py::arg("max_releases"),
     "(noise_bound, security_bits, max_releases, sigma_min, sigma, slot_sigma, step, max_bits).");
  m.def("release_noise", [](double sigma, py::ssize_t size) {
    if (size < 0) throw_parameter("decrypt_for_release", "size", "is negative", ">= 0", size);
    py::array_t<int64_t> out(size);
    int64_t* dst = out.mutable_data();
    {
      py::gil_scoped_release release;
      ckks::wide_discrete_gaussian(random::thread_prng(), sigma, dst, static_cast<std::size_t>(size));
    }
    return out;
  }, py::arg("sigma"), py::arg("size"), "D_Z(sigma) samples (int64) for sigma in [1, 2^57): the release flooding.");
  m.def("release_count", [](uint64_t fingerprint, uint64_t key_id) {
    ckks::ReleaseCount c = ckks::release_count(fingerprint, key_id);
    return py::make_tuple(c.made, limit_of(c));
  }, py::arg("fingerprint"), py::arg("key_id"), "(made, limit or None) of the key in this process.");
  m.def("raise_release_count", [](uint64_t fingerprint, uint64_t key_id, uint64_t made, std::optional<uint64_t> limit) {
    if (limit && *limit == 0) throw_parameter("raise_release_count", "limit", "is invalid", ">= 1 or None", 0);
    ckks::ReleaseCount c = ckks::raise_release_count(fingerprint, key_id, made, limit.value_or(0));
    return py::make_tuple(c.made, limit_of(c));
  }, py::arg("fingerprint"), py::arg("key_id"), py::arg("made"), py::arg("limit") = py::none(),
     "Raises the key's count to `made` (never lowers it); sets its limit if it has none.");
  m.def("decrypt_for_release", [](HeContext& h, const rlwe::SecretKey& sk, const rlwe::Ciphertext& ct, double bits,
                                  double noise_bound, int security_bits, uint64_t max_releases) {
    const char* api = "decrypt_for_release";
    h.check_key(sk.fingerprint, api);
    h.check_key(ct.fingerprint, api);
    const ckks::Encoder& encoder = h.ckks_encoder();
    std::vector<std::complex<double>> v;
    {
      py::gil_scoped_release unlocked;
      v = ckks::release(api, *h.ctx, encoder, sk, ct, bits, noise_bound, security_bits, max_releases, h.prng());
    }
    py::array_t<std::complex<double>> out(v.size());
    std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
  }, py::arg("context"), py::arg("secret_key"), py::arg("ciphertext"), py::arg("bits_of_precision"), py::arg("noise_bound"),
     py::arg("security_bits"), py::arg("max_releases"),
     "Plans, counts one release under the key, decrypts with the flooding: n/2 complex slots on the grid.");
}

}  // namespace ppml::bindings
