// Bindings of the local-DP kernels (pyppml.dp.local): unary-encoding perturbation, bit
// column counts and OLH support counts, with the GIL released. The Python layer checks
// the public arguments; the checks here only keep the kernels inside their buffers.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <string>

#include "bindings/shared_prng.hpp"
#include "common/errors.hpp"
#include "dp/local/olh_support.hpp"
#include "dp/local/unary_bits.hpp"
#include "random/prng.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

template <typename T>
using CArray = py::array_t<T, py::array::c_style>;

void require_1d(const char* api, const char* arg, const py::array& a, py::ssize_t n) {
  if (a.ndim() != 1 || (n >= 0 && a.shape(0) != n))
    throw_parameter(api, arg, "has the wrong shape", n >= 0 ? "(" + std::to_string(n) + ",)" : std::string("1-D"),
                    a.ndim());
}

template <typename T>
void require_below(const char* api, const char* arg, const T* p, std::size_t n, uint64_t bound) {
  for (std::size_t i = 0; i < n; ++i)
    if (static_cast<uint64_t>(p[i]) >= bound)
      throw_parameter(api, arg, "has a value out of range", "every value < " + std::to_string(bound),
                      "a larger value at index " + std::to_string(i));
}

}  // namespace

void init_ldp(py::module_& m) {
  m.def(
      "ldp_unary_perturb",
      [](const CArray<uint32_t>& positions, uint64_t width, uint64_t t_hit, uint64_t t_other, SharedPrng* prng) {
        const char* api = "ldp_unary_perturb";
        require_1d(api, "positions", positions, -1);
        if (width < 1 || width > (uint64_t{1} << 32)) throw_parameter(api, "width", "is out of range", "1 <= width <= 2^32", width);
        const std::size_t n = static_cast<std::size_t>(positions.shape(0));
        require_below(api, "positions", positions.data(), n, width);
        const std::size_t stride = dp::local::row_bytes(width);
        py::array_t<uint8_t> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(stride)});
        const uint32_t* pos = positions.data();
        uint8_t* dst = out.mutable_data();
        auto body = [&](random::Prng& g) { dp::local::unary_perturb(g, pos, n, width, t_hit, t_other, dst); };
        if (prng) {
          with_prng(*prng, body);
        } else {
          py::gil_scoped_release release;
          random::Prng local;  // fresh OS key per call: forked processes never share a stream
          body(local);
        }
        return out;
      },
      py::arg("positions"), py::arg("width"), py::arg("t_hit"), py::arg("t_other"), py::arg("prng") = py::none(),
      "Packed rows of independent bits: P(1) = t_hit/2^64 at each row's position, t_other/2^64 elsewhere.");
  m.def(
      "ldp_bit_column_counts",
      [](const CArray<uint8_t>& bits, uint64_t width, py::object groups_obj, uint64_t n_groups) {
        const char* api = "ldp_bit_column_counts";
        const std::size_t stride = dp::local::row_bytes(width);
        if (bits.ndim() != 2 || static_cast<std::size_t>(bits.shape(1)) != stride)
          throw_parameter(api, "bits", "has the wrong shape", "(n, " + std::to_string(stride) + ")", bits.ndim());
        const std::size_t n = static_cast<std::size_t>(bits.shape(0));
        if (n_groups < 1) throw_parameter(api, "n_groups", "is too small", "n_groups >= 1", n_groups);
        CArray<uint32_t> groups;
        const uint32_t* gp = nullptr;
        if (!groups_obj.is_none()) {
          groups = groups_obj.cast<CArray<uint32_t>>();
          require_1d(api, "groups", groups, static_cast<py::ssize_t>(n));
          require_below(api, "groups", groups.data(), n, n_groups);
          gp = groups.data();
        } else if (n_groups != 1) {
          throw_parameter(api, "n_groups", "needs groups", "n_groups == 1 without groups", n_groups);
        }
        py::array_t<uint64_t> out({static_cast<py::ssize_t>(n_groups), static_cast<py::ssize_t>(width)});
        uint64_t* dst = out.mutable_data();
        const uint8_t* src = bits.data();
        {
          py::gil_scoped_release release;
          std::fill(dst, dst + n_groups * width, uint64_t{0});
          dp::local::bit_column_counts(src, n, width, gp, dst);
        }
        return out;
      },
      py::arg("bits"), py::arg("width"), py::arg("groups") = py::none(), py::arg("n_groups") = 1,
      "Per group, the number of rows with each bit set (uint64, shape (n_groups, width)).");
  m.def(
      "ldp_olh_support_counts",
      [](const CArray<uint64_t>& a, const CArray<uint64_t>& b, const CArray<uint32_t>& y, uint64_t g, uint64_t d) {
        const char* api = "ldp_olh_support_counts";
        require_1d(api, "a", a, -1);
        const py::ssize_t n = a.shape(0);
        require_1d(api, "b", b, n);
        require_1d(api, "y", y, n);
        if (g < 2 || g >= (uint64_t{1} << 32)) throw_parameter(api, "g", "is out of range", "2 <= g < 2^32", g);
        if (d < 1 || d > (uint64_t{1} << 32)) throw_parameter(api, "d", "is out of range", "1 <= d <= 2^32", d);
        require_below(api, "y", y.data(), static_cast<std::size_t>(n), g);
        py::array_t<uint64_t> out(static_cast<py::ssize_t>(d));
        uint64_t* dst = out.mutable_data();
        const uint64_t *pa = a.data(), *pb = b.data();
        const uint32_t* py_ = y.data();
        {
          py::gil_scoped_release release;
          std::fill(dst, dst + d, uint64_t{0});
          dp::local::olh_support_counts(pa, pb, py_, static_cast<std::size_t>(n), static_cast<uint32_t>(g), d, dst);
        }
        return out;
      },
      py::arg("a"), py::arg("b"), py::arg("y"), py::arg("g"), py::arg("d"),
      "For each item x < d, the number of reports (a, b, y) with H_{a,b}(x) == y.");
  m.def("ldp_olh_kernel_name", [] { return std::string(dp::local::olh_support_kernel_name()); });
  m.def("ldp_unary_kernel_name", [] { return std::string(dp::local::unary_perturb_kernel_name()); });
}

}  // namespace ppml::bindings
