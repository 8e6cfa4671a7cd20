// Bindings of the RNS layer: RnsBase (CRT to and from Python ints), RnsPoly (a NumPy view
// of its (limbs, n) buffer without copy), BaseConverter, polynomial operations and
// automorphisms.
#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

#include "bindings/int_args.hpp"
#include "bindings/numpy_checks.hpp"
#include "bindings/registry.hpp"
#include "rns/automorphism.hpp"
#include "rns/base_converter.hpp"
#include "rns/eltwise.hpp"
#include "rns/poly_ops.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using rns::Form;
using rns::RnsBase;
using rns::RnsPoly;

Form parse_form(const std::string& s) {
  if (s == "coefficient" || s == "coeff") return Form::Coefficient;
  if (s == "evaluation" || s == "eval" || s == "ntt") return Form::Evaluation;
  throw_parameter("RnsPoly", "form", "is unknown", "'coefficient' or 'evaluation'", "'" + s + "'");
}

std::string form_name(Form f) { return f == Form::Coefficient ? "coefficient" : "evaluation"; }

py::int_ words_to_int(const uint64_t* w, std::size_t len) {
  py::bytes b(reinterpret_cast<const char*>(w), len * 8);
  return py::int_(py::module_::import("builtins").attr("int").attr("from_bytes")(b, "little"));
}

std::vector<uint64_t> int_to_words(const py::int_& v, std::size_t len, const char* api) {
  py::object obj = v;
  if (obj.attr("__lt__")(0).cast<bool>())
    throw_parameter(api, "values", "has a negative integer", "integers in [0, Q)", py::str(obj).cast<std::string>());
  if (obj.attr("bit_length")().cast<std::size_t>() > len * 64)
    throw_parameter(api, "values", "has an integer too large", "integers in [0, Q)", py::str(obj).cast<std::string>());
  py::bytes b = obj.attr("to_bytes")(len * 8, "little");
  std::string s = b;
  std::vector<uint64_t> w(len);
  std::memcpy(w.data(), s.data(), len * 8);
  return w;
}

void require_reduced(const char* api, const RnsPoly& p) {
  for (std::size_t i = 0; i < p.limbs(); ++i) require_below(api, "poly", p.limb(i), p.n(), (*p.base())[i].value());
}

// A product of rows is the ring product only in evaluation form; in coefficient form it
// would silently be the coefficient-wise product (x * x != x^2).
void require_evaluation(const char* api, const char* arg, const RnsPoly& p) {
  if (p.form() != Form::Evaluation)
    throw_parameter(api, arg, "is in coefficient form", "evaluation form (call ntt() first)", "coefficient form");
}

py::array_t<uint64_t> coeff_view(py::object self) {
  auto& p = self.cast<RnsPoly&>();
  return py::array_t<uint64_t>({static_cast<py::ssize_t>(p.limbs()), static_cast<py::ssize_t>(p.n())},
                               {static_cast<py::ssize_t>(p.n() * 8), static_cast<py::ssize_t>(8)}, p.data(), self);
}

RnsPoly from_array(uint64_t n, std::shared_ptr<const RnsBase> base, const py::handle& arr, const std::string& form) {
  RnsPoly p(n, base, parse_form(form));
  auto a = require_u64("RnsPoly.from_array", "coeffs", arr, false);
  if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != base->size() || static_cast<uint64_t>(a.shape(1)) != n)
    throw_parameter("RnsPoly.from_array", "coeffs", "has the wrong shape",
                    "(" + std::to_string(base->size()) + ", " + std::to_string(n) + ")", shape_text(a));
  std::memcpy(p.data(), a.data(), base->size() * n * 8);
  require_reduced("RnsPoly.from_array", p);
  return p;
}

// A polynomial from a (limbs, n) uint64 array of rows.
RnsPoly from_rows(const char* api, std::shared_ptr<const RnsBase> base, const py::handle& coeffs, const std::string& form) {
  auto a = require_u64(api, "coeffs", coeffs, false);
  if (a.ndim() != 2) throw_parameter(api, "coeffs", "has the wrong shape", "(limbs, n)", shape_text(a));
  return from_array(a.shape(1), std::move(base), coeffs, form);
}

// Python-level arithmetic keeps secrecy: what is computed from a secret polynomial is
// secret too (wiped when freed, never pickled). The core decides for its own values: a
// product with a secret becomes public once it is an RLWE sample (a ciphertext, a share).
RnsPoly& keep_secret(RnsPoly& out, bool secret) {
  if (secret) out.mark_secret();
  return out;
}

template <void (*Op)(const RnsPoly&, const RnsPoly&, RnsPoly&)>
RnsPoly binary(const RnsPoly& a, const RnsPoly& b, const char* api) {
  require_reduced(api, a);
  require_reduced(api, b);
  RnsPoly out;
  py::gil_scoped_release release;
  Op(a, b, out);
  keep_secret(out, a.secret() || b.secret());
  return out;
}

}  // namespace

void init_rns(py::module_& m) {
  m.def("eltwise_kernel_name",
        [](const py::handle& q) {
          return rns::eltwise_kernel_name(math::Modulus(require_u64_arg("eltwise_kernel_name", "q", q)));
        },
        py::arg("q"),
        "Element-wise kernel family used for modulus q under the current backend.");
  py::class_<RnsBase, std::shared_ptr<RnsBase>>(m, "RnsBase")
      .def(py::init([](const py::iterable& moduli) {
             std::vector<uint64_t> values;
             for (const py::handle& q : moduli) values.push_back(require_u64_arg("RnsBase", "moduli", q));
             return std::make_shared<RnsBase>(values);
           }),
           py::arg("moduli"))
      .def_property_readonly("moduli", &RnsBase::values)
      .def("__len__", &RnsBase::size)
      .def_property_readonly("product", [](const RnsBase& b) { return words_to_int(b.product().data(), b.size()); })
      .def(
          "compose",
          [](const RnsBase& b, const py::handle& obj) {
            auto a = require_u64("RnsBase.compose", "residues", obj, false);
            if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != b.size())
              throw_parameter("RnsBase.compose", "residues", "has the wrong shape",
                              "(" + std::to_string(b.size()) + ", m)", shape_text(a));
            const std::size_t m = a.shape(1);
            for (std::size_t i = 0; i < b.size(); ++i) require_below("RnsBase.compose", "residues", a.data() + i * m, m, b[i].value());
            std::vector<uint64_t> words(m * b.size());
            {
              py::gil_scoped_release release;
              for (std::size_t k = 0; k < m; ++k) b.compose(a.data() + k, m, words.data() + k * b.size());
            }
            py::list out;
            for (std::size_t k = 0; k < m; ++k) out.append(words_to_int(words.data() + k * b.size(), b.size()));
            return out;
          },
          py::arg("residues"), "CRT: (k, m) residues -> list of m Python ints in [0, Q).")
      .def(
          "decompose",
          [](const RnsBase& b, const py::iterable& items) {
            std::vector<py::int_> values;
            for (const py::handle& v : items) values.push_back(require_natural("RnsBase.decompose", "values", v));
            py::array_t<uint64_t> out({static_cast<py::ssize_t>(b.size()), static_cast<py::ssize_t>(values.size())});
            uint64_t* o = out.mutable_data();
            std::vector<uint64_t> words;
            for (std::size_t k = 0; k < values.size(); ++k) {
              // Reduce modulo Q first so that any non-negative int is accepted.
              py::object v = values[k];
              py::object reduced = v.attr("__mod__")(words_to_int(b.product().data(), b.size()));
              words = int_to_words(reduced, b.size(), "RnsBase.decompose");
              b.decompose(words.data(), words.size(), o + k, values.size());
            }
            return out;
          },
          py::arg("values"), "Python ints -> (k, m) residues.")
      .def("__reduce__",
           [](py::object self) {
             return py::make_tuple(py::type::of(self), py::make_tuple(self.cast<const RnsBase&>().values()));
           })
      .def("__repr__", [](const RnsBase& b) { return "RnsBase(" + std::to_string(b.size()) + " moduli)"; });

  // Named module-level function (pickle finds it by name): RnsPoly.__reduce__'s constructor.
  m.def(
      "_rns_poly_from_state",
      [](std::shared_ptr<RnsBase> base, const py::handle& coeffs, const std::string& form) {
        return from_rows("RnsPoly.__setstate__", std::move(base), coeffs, form);
      },
      py::arg("base"), py::arg("coeffs"), py::arg("form"));

  py::class_<RnsPoly>(m, "RnsPoly", py::buffer_protocol())
      .def(py::init([](const py::handle& n, std::shared_ptr<RnsBase> base, const std::string& form) {
             return RnsPoly(require_u64_arg("RnsPoly", "n", n), base, parse_form(form));
           }),
           py::arg("n"), py::arg("base"), py::arg("form") = "coefficient")
      .def_static(
          "from_array",
          [](std::shared_ptr<RnsBase> base, const py::handle& coeffs, const std::string& form) {
            return from_rows("RnsPoly.from_array", std::move(base), coeffs, form);
          },
          py::arg("base"), py::arg("coeffs"), py::arg("form") = "coefficient")
      .def_buffer([](RnsPoly& p) {
        return py::buffer_info(p.data(), 8, py::format_descriptor<uint64_t>::format(), 2,
                               {static_cast<py::ssize_t>(p.limbs()), static_cast<py::ssize_t>(p.n())},
                               {static_cast<py::ssize_t>(p.n() * 8), static_cast<py::ssize_t>(8)});
      })
      .def_property_readonly("coeffs", &coeff_view, "(limbs, n) uint64 view of the buffer (no copy).")
      .def_property_readonly("n", &RnsPoly::n)
      .def_property_readonly("limbs", &RnsPoly::limbs)
      .def_property_readonly("base", [](const RnsPoly& p) { return std::const_pointer_cast<RnsBase>(p.base()); })
      .def_property_readonly("form", [](const RnsPoly& p) { return form_name(p.form()); })
      .def("copy", [](const RnsPoly& p) { return RnsPoly(p); })
      .def("ntt",
           [](RnsPoly& p) {
             require_reduced("RnsPoly.ntt", p);
             py::gil_scoped_release release;
             rns::ntt_forward(p);
           },
           "Coefficient -> evaluation form over every limb, in place.")
      .def("intt",
           [](RnsPoly& p) {
             require_reduced("RnsPoly.intt", p);
             py::gil_scoped_release release;
             rns::ntt_inverse(p);
           },
           "Evaluation -> coefficient form over every limb, in place.")
      .def("__add__", [](const RnsPoly& a, const RnsPoly& b) { return binary<rns::add>(a, b, "RnsPoly.__add__"); })
      .def("__sub__", [](const RnsPoly& a, const RnsPoly& b) { return binary<rns::sub>(a, b, "RnsPoly.__sub__"); })
      .def("__mul__",
           [](const RnsPoly& a, const RnsPoly& b) {
             require_evaluation("RnsPoly.__mul__", "self", a);
             require_evaluation("RnsPoly.__mul__", "other", b);
             return binary<rns::multiply>(a, b, "RnsPoly.__mul__");
           },
           "The ring product; both operands in evaluation form.")
      .def("__neg__",
           [](const RnsPoly& a) {
             require_reduced("RnsPoly.__neg__", a);
             RnsPoly out;
             rns::negate(a, out);
             return keep_secret(out, a.secret());
           })
      .def("multiply_add",
           [](RnsPoly& self, const RnsPoly& a, const RnsPoly& b) {
             require_reduced("RnsPoly.multiply_add", a);
             require_reduced("RnsPoly.multiply_add", b);
             require_reduced("RnsPoly.multiply_add", self);
             require_evaluation("RnsPoly.multiply_add", "a", a);
             require_evaluation("RnsPoly.multiply_add", "b", b);
             py::gil_scoped_release release;
             rns::multiply_add(a, b, self);
             keep_secret(self, a.secret() || b.secret());
           },
           py::arg("a"), py::arg("b"), "self += a * b (the ring product: a and b in evaluation form), in place.")
      .def("multiply_scalar",
           [](const RnsPoly& a, const py::handle& c) {
             require_reduced("RnsPoly.multiply_scalar", a);
             std::vector<uint64_t> s;
             py::object obj = require_integer("RnsPoly.multiply_scalar", "c", c, "an integer");
             for (std::size_t i = 0; i < a.limbs(); ++i)
               s.push_back(obj.attr("__mod__")((*a.base())[i].value()).cast<uint64_t>());
             RnsPoly out;
             rns::multiply_scalar(a, s, out);
             return keep_secret(out, a.secret());
           },
           py::arg("c"))
      .def("automorphism",
           [](const RnsPoly& a, const py::handle& k_arg) {
             // Any integer: X^k depends on k mod 2n only (Python's mod is non-negative).
             const py::int_ k = require_integer("RnsPoly.automorphism", "k", k_arg, "an odd integer");
             require_reduced("RnsPoly.automorphism", a);
             const uint64_t kk = k.attr("__mod__")(2 * a.n()).cast<uint64_t>();
             RnsPoly out;
             py::gil_scoped_release release;
             rns::automorphism(a, kk, out);
             return out;
           },
           py::arg("k"), "a(X^k) for odd k (negative k taken mod 2n).")
      .def("rescale",
           [](const RnsPoly& a) {
             require_reduced("RnsPoly.rescale", a);
             RnsPoly out;
             py::gil_scoped_release release;
             rns::rescale_by_last(a, out);
             return out;
           },
           "Divide by the last prime and round; one limb fewer.")
      .def("__reduce__",
           [](py::object self) {
             // By value: the base's moduli, the rows (a NumPy array: out-of-band under
             // protocol 5) and the form. A secret polynomial never pickles.
             const auto& p = self.cast<const RnsPoly&>();
             if (p.secret())
               throw_parameter("RnsPoly.__reduce__", "self", "is secret", "a public polynomial", "a secret one");
             py::array_t<uint64_t> rows = coeff_view(self);
             return py::make_tuple(py::module_::import("pyppml._core").attr("_rns_poly_from_state"),
                                   py::make_tuple(py::cast(p.base()), rows.attr("copy")(), form_name(p.form())));
           })
      .def("__repr__", [](const RnsPoly& p) {
        return "RnsPoly(n=" + std::to_string(p.n()) + ", limbs=" + std::to_string(p.limbs()) + ", form=" +
               form_name(p.form()) + ")";
      });

  py::class_<rns::BaseConverter>(m, "BaseConverter")
      .def(py::init([](std::shared_ptr<RnsBase> from, std::shared_ptr<RnsBase> to) {
             return new rns::BaseConverter(from, to);
           }),
           py::arg("source"), py::arg("target"))
      .def(
          "convert",
          [](const rns::BaseConverter& c, const py::handle& obj, bool exact, bool centered) {
            auto a = require_u64("BaseConverter.convert", "x", obj, false);
            if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != c.from().size())
              throw_parameter("BaseConverter.convert", "x", "has the wrong shape",
                              "(" + std::to_string(c.from().size()) + ", m)", shape_text(a));
            const std::size_t m = a.shape(1);
            for (std::size_t i = 0; i < c.from().size(); ++i)
              require_below("BaseConverter.convert", "x", a.data() + i * m, m, c.from()[i].value());
            py::array_t<uint64_t> out({static_cast<py::ssize_t>(c.to().size()), static_cast<py::ssize_t>(m)});
            uint64_t* o = out.mutable_data();
            const uint64_t* in = a.data();
            py::gil_scoped_release release;
            if (exact)
              c.convert_exact(in, o, m, centered);
            else
              c.convert_approx(in, o, m);
            return out;
          },
          py::arg("x"), py::arg("exact") = false, py::arg("centered") = false,
          "(|source|, m) residues -> (|target|, m). Approximate: x + alpha*Q, 0 <= alpha < |source|; exact: x "
          "(or its centered lift).");
}

}  // namespace ppml::bindings
