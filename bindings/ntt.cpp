// Bindings of the modular arithmetic and NTT layers: prime search, NttTables.
#include <algorithm>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/int_args.hpp"
#include "bindings/numpy_checks.hpp"
#include "bindings/registry.hpp"
#include "math/primes.hpp"
#include "ntt/ntt.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using ntt::NttTables;

// Applies `transform` to every row of a (..., n) uint64 array, GIL released.
template <typename F>
void apply_rows(const NttTables& t, py::array_t<uint64_t>& a, std::size_t rows, F transform) {
  uint64_t* p = a.mutable_data();
  py::gil_scoped_release release;
  for (std::size_t r = 0; r < rows; ++r) transform(p + r * t.n(), t);
}

py::array_t<uint64_t> checked_input(const NttTables& t, const char* api, const py::handle& obj, bool inplace,
                                    std::size_t& rows) {
  auto a = require_u64(api, "a", obj, inplace);
  rows = require_last_axis(api, "a", a, t.n());
  require_below(api, "a", a.data(), rows * t.n(), t.q());
  return a;
}

template <void (*Transform)(uint64_t*, const NttTables&)>
py::array_t<uint64_t> transform_copy(const NttTables& t, const py::handle& obj, const char* api) {
  std::size_t rows;
  auto a = checked_input(t, api, obj, false, rows);
  py::array_t<uint64_t> out(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()));
  std::memcpy(out.mutable_data(), a.data(), rows * t.n() * sizeof(uint64_t));
  apply_rows(t, out, rows, Transform);
  return out;
}

template <void (*Transform)(uint64_t*, const NttTables&)>
void transform_inplace(const NttTables& t, const py::handle& obj, const char* api) {
  std::size_t rows;
  auto a = checked_input(t, api, obj, true, rows);
  apply_rows(t, a, rows, Transform);
}

py::array_t<uint64_t> table_view(const NttTables& t, const uint64_t* p, py::handle owner) {
  return py::array_t<uint64_t>({static_cast<py::ssize_t>(t.n())}, {sizeof(uint64_t)}, p, owner);
}

}  // namespace

void init_ring(py::module_& m) {
  m.def(
      "is_prime", [](const py::handle& x) { return math::is_prime(require_u64_arg("is_prime", "x", x)); }, py::arg("x"),
      "Deterministic primality test for 64-bit integers.");
  m.def(
      "find_ntt_primes",
      [](const py::handle& bit_size, const py::handle& n, const py::handle& count) {
        const char* api = "find_ntt_primes";
        return math::find_ntt_primes(static_cast<int>(require_integer_in(api, "bit_size", bit_size, 0, 64, "0 <= bit_size <= 64")),
                                     require_u64_arg(api, "n", n),
                                     static_cast<int>(require_integer_in(api, "count", count, 0, 1 << 20, "0 <= count <= 2^20")));
      },
      py::arg("bit_size"), py::arg("n"), py::arg("count"));
  m.def(
      "minimal_primitive_root",
      [](const py::handle& order, const py::handle& q) {
        return math::minimal_primitive_root(require_u64_arg("minimal_primitive_root", "order", order),
                                            require_u64_arg("minimal_primitive_root", "q", q));
      },
      py::arg("order"), py::arg("q"));

  py::class_<NttTables, std::shared_ptr<NttTables>>(m, "NttTables")
      .def(py::init([](const py::handle& n, const py::handle& q) {
             const char* api = "NttTables";
             return std::const_pointer_cast<NttTables>(NttTables::get(require_u64_arg(api, "n", n), require_u64_arg(api, "q", q)));
           }),
           py::arg("n"), py::arg("q"))
      .def("__reduce__",
           [](py::object self) {
             const auto& t = self.cast<const NttTables&>();
             return py::make_tuple(py::type::of(self), py::make_tuple(t.n(), t.q()));
           })
      .def_property_readonly("n", &NttTables::n)
      .def_property_readonly("q", &NttTables::q)
      .def_property_readonly("psi", &NttTables::psi)
      .def_property_readonly("kernel", [](const NttTables& t) { return ntt::kernel_name(t); })
      .def_property_readonly("root_powers",
                             [](py::object self) {
                               const auto& t = self.cast<const NttTables&>();
                               return table_view(t, t.root_powers(), self);
                             })
      .def(
          "forward",
          [](const NttTables& t, py::handle a, const py::handle& shift_arg) {
            const char* api = "NttTables.forward";
            const uint64_t shift = require_u64_arg(api, "shift", shift_arg);
            if (shift >= t.q())
              throw_parameter(api, "shift", "is not reduced", "0 <= shift < q = " + std::to_string(t.q()),
                              std::to_string(shift));
            auto in = require_u64(api, "a", a, false);
            const std::size_t rows = require_last_axis(api, "a", in, t.n());
            // Values in [q, 2q) (a slightly wider prime's residues) are reduced on load.
            const std::size_t count = rows * t.n();
            require_below(api, "a", in.data(), count, 2 * t.q(), "2q");
            const bool reduced = std::all_of(in.data(), in.data() + count, [&](uint64_t x) { return x < t.q(); });
            if (shift == 0 && reduced) return transform_copy<ntt::forward_inplace>(t, a, api);
            py::array_t<uint64_t> out(std::vector<py::ssize_t>(in.shape(), in.shape() + in.ndim()));
            const uint64_t* src = in.data();
            uint64_t* dst = out.mutable_data();
            py::gil_scoped_release release;
            for (std::size_t r = 0; r < rows; ++r) ntt::forward(src + r * t.n(), shift, dst + r * t.n(), t);
            return out;
          },
          py::arg("a"), py::arg("shift") = 0,
          "NTT of (a + shift) mod q, bit-reversed evaluation order; `shift` < q is added and `a` "
          "(values below 2q) reduced on load (one pass over memory, as key switching raises its digits).")
      .def("inverse",
           [](const NttTables& t, py::handle a) {
             // Out of place (ntt::inverse): the copy folded into the kernels' first pass.
             const char* api = "NttTables.inverse";
             std::size_t rows;
             auto in = checked_input(t, api, a, false, rows);
             py::array_t<uint64_t> out(std::vector<py::ssize_t>(in.shape(), in.shape() + in.ndim()));
             const uint64_t* src = in.data();
             uint64_t* dst = out.mutable_data();
             py::gil_scoped_release release;
             for (std::size_t r = 0; r < rows; ++r) ntt::inverse(src + r * t.n(), dst + r * t.n(), t);
             return out;
           },
           py::arg("a"))
      .def("forward_inplace",
           [](const NttTables& t, py::handle a) { transform_inplace<ntt::forward_inplace>(t, a, "NttTables.forward_inplace"); },
           py::arg("a"))
      .def("inverse_inplace",
           [](const NttTables& t, py::handle a) { transform_inplace<ntt::inverse_inplace>(t, a, "NttTables.inverse_inplace"); },
           py::arg("a"))
      .def("__repr__", [](const NttTables& t) {
        return "NttTables(n=" + std::to_string(t.n()) + ", q=" + std::to_string(t.q()) + ")";
      });
}

}  // namespace ppml::bindings
