// Bindings of the element-wise modular kernels (rns/eltwise.hpp) on NumPy uint64 arrays, for
// tests and benchmarks: each call goes through the dispatcher, or through one named kernel
// table (`kernel=`) so that every compiled variant can be checked against the scalar one.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bindings/numpy_checks.hpp"
#include "bindings/registry.hpp"
#include "common/aligned_buffer.hpp"
#include "common/cpu_features.hpp"
#include "common/fixed_width_packing.hpp"
#include "rns/packed_poly.hpp"
#include "rns/eltwise.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using rns::detail::EltwiseKernels;

// Kernel tables compiled in and supported by this CPU, by name.
std::vector<std::string> kernel_names() {
  std::vector<std::string> names{"scalar"};
  const CpuFeatures& f = cpu_features();
  const bool avx512 = f.avx512f && f.avx512dq && f.avx512vl && f.avx512bw;
#ifdef PPML_HAVE_ELTWISE_AVX512
  if (avx512) names.push_back("avx512");
#endif
#ifdef PPML_HAVE_ELTWISE_AVX512IFMA
  if (avx512 && f.avx512ifma) names.push_back("avx512ifma");
#endif
  (void)avx512;
  return names;
}

// The table named `kernel`, or nullptr for "auto" (the dispatcher's choice).
const EltwiseKernels* kernel_table(const char* api, const std::string& kernel, uint64_t q) {
  if (kernel == "auto") return nullptr;
  std::string known;
  for (const auto& name : kernel_names()) known += (known.empty() ? "" : ", ") + name;
  const auto names = kernel_names();
  if (std::find(names.begin(), names.end(), kernel) == names.end())
    throw_parameter(api, "kernel", "is not available on this machine or build", "auto or one of " + known,
                    "'" + kernel + "'");
  if (kernel == "scalar") return &rns::detail::kEltwiseScalar;
#ifdef PPML_HAVE_ELTWISE_AVX512
  if (kernel == "avx512") return &rns::detail::kEltwiseAvx512;
#endif
#ifdef PPML_HAVE_ELTWISE_AVX512IFMA
  if (kernel == "avx512ifma") {
    if (q >= (uint64_t{1} << 50))
      throw_parameter(api, "q", "is too large for the avx512ifma kernel", "q < 2^50", q);
    return &rns::detail::kEltwiseAvx512Ifma;
  }
#endif
  throw_parameter(api, "kernel", "is unknown", "auto or one of " + known, "'" + kernel + "'");
}

// A 1-D uint64 array of n values below q (n = its length when n == 0).
py::array_t<uint64_t> checked_vector(const char* api, const char* arg, const py::handle& obj, bool writable,
                                     std::size_t& n, uint64_t q) {
  auto a = require_u64(api, arg, obj, writable);
  if (n == 0 && a.ndim() == 1) n = static_cast<std::size_t>(a.shape(0));
  require_last_axis(api, arg, a, n, 1);
  require_below(api, arg, a.data(), n, q);
  return a;
}

std::size_t checked_repeat(const char* api, int repeat) {
  if (repeat < 1) throw_parameter(api, "repeat", "is out of range", "repeat >= 1", repeat);
  return static_cast<std::size_t>(repeat);
}

py::array_t<uint64_t> eltwise(const std::string& op, uint64_t q, const py::handle& a_obj, const py::handle& b_obj,
                              const py::object& out_obj, const std::string& kernel, int repeat) {
  const char* api = "eltwise";
  enum class Op { Add, Sub, Mul, MulAdd } kind;
  if (op == "add") kind = Op::Add;
  else if (op == "sub") kind = Op::Sub;
  else if (op == "mul") kind = Op::Mul;
  else if (op == "mul_add") kind = Op::MulAdd;
  else throw_parameter(api, "op", "is unknown", "one of add, sub, mul, mul_add", "'" + op + "'");
  const math::Modulus m(q);
  const EltwiseKernels* table = kernel_table(api, kernel, q);
  const std::size_t reps = checked_repeat(api, repeat);
  std::size_t n = 0;
  auto a = checked_vector(api, "a", a_obj, false, n, q);
  auto b = checked_vector(api, "b", b_obj, false, n, q);
  py::array_t<uint64_t> out;
  if (out_obj.is_none()) {
    if (kind == Op::MulAdd)
      throw_parameter(api, "out", "is missing", "the accumulator array for op 'mul_add'", "None");
    out = py::array_t<uint64_t>(static_cast<py::ssize_t>(n));
  } else {
    // mul_add reads the accumulator, so it must be reduced too; other ops only write it.
    auto o = require_u64(api, "out", out_obj, true);
    require_last_axis(api, "out", o, n, 1);
    if (kind == Op::MulAdd) require_below(api, "out", o.data(), n, q);
    out = o;
  }
  const uint64_t* pa = a.data();
  const uint64_t* pb = b.data();
  uint64_t* po = out.mutable_data();
  {
    py::gil_scoped_release release;
    for (std::size_t r = 0; r < reps; ++r) {
      switch (kind) {
        case Op::Add:
          table ? table->add(pa, pb, po, n, m) : rns::add_mod(pa, pb, po, n, m);
          break;
        case Op::Sub:
          table ? table->sub(pa, pb, po, n, m) : rns::sub_mod(pa, pb, po, n, m);
          break;
        case Op::Mul:
          table ? table->mul(pa, pb, po, n, m) : rns::mul_mod(pa, pb, po, n, m);
          break;
        case Op::MulAdd:
          table ? table->mul_add(pa, pb, po, n, m) : rns::mul_add_mod(pa, pb, po, n, m);
          break;
      }
    }
  }
  return out;
}

// (terms, n) operand stacks as row pointers, checked against q.
std::vector<const uint64_t*> checked_stack(const char* api, const char* arg, const py::array_t<uint64_t>& x,
                                           std::size_t terms, std::size_t n, uint64_t q) {
  if (x.ndim() != 2 || static_cast<std::size_t>(x.shape(0)) != terms || static_cast<std::size_t>(x.shape(1)) != n)
    throw_parameter(api, arg, "has the wrong shape", "(terms, n) = (" + std::to_string(terms) + ", " +
                    std::to_string(n) + ")", shape_text(x));
  require_below(api, arg, x.data(), terms * n, q);
  std::vector<const uint64_t*> rows(terms);
  for (std::size_t t = 0; t < terms; ++t) rows[t] = x.data() + t * n;
  return rows;
}

// One inner product (b1 None) or two sharing `a` (the key-switching form: the digits
// against both key halves), through the chosen kernel table.
// The rows of a (terms, n) stack packed to `bits` per value (64: copied as words), each
// row starting on a 64-byte boundary, with the padding packed rows carry (PackedRows).
struct PackedStack {
  AlignedBuffer<uint8_t> bytes;
  std::vector<const uint8_t*> rows;
};

PackedStack pack_stack(const std::vector<const uint64_t*>& rows, std::size_t n, int bits) {
  const std::size_t stride = (n / 8 * static_cast<std::size_t>(bits) + 63) / 64 * 64;
  PackedStack out{AlignedBuffer<uint8_t>(rows.size() * stride + kGroupOverread), {}};
  for (std::size_t t = 0; t < rows.size(); ++t) {
    uint8_t* dst = out.bytes.data() + t * stride;
    pack_fixed_width(rows[t], n, bits, dst);
    out.rows.push_back(dst);
  }
  return out;
}

py::object inner_product(uint64_t q, const py::handle& a_obj, const py::handle& b_obj, const std::string& kernel,
                         int repeat, const py::object& b1_obj, bool packed, bool interleaved) {
  const char* api = "inner_product_mod";
  const math::Modulus m(q);
  const EltwiseKernels* table = kernel_table(api, kernel, q);
  const std::size_t reps = checked_repeat(api, repeat);
  auto a = require_u64(api, "a", a_obj, false);
  if (a.ndim() != 2) throw_parameter(api, "a", "has the wrong shape", "(terms, n)", shape_text(a));
  const std::size_t terms = static_cast<std::size_t>(a.shape(0)), n = static_cast<std::size_t>(a.shape(1));
  auto b = require_u64(api, "b", b_obj, false);
  auto pa = checked_stack(api, "a", a, terms, n, q);
  // Interleaved rows may store more terms than the product reads (a key at a lower level).
  const std::size_t stored = interleaved && b.ndim() == 2 ? static_cast<std::size_t>(b.shape(0)) : terms;
  if (stored < terms) throw_parameter(api, "b", "has fewer rows than a", "at least " + std::to_string(terms), stored);
  auto pb = checked_stack(api, "b", b, stored, n, q);
  const bool two = !b1_obj.is_none();
  py::array_t<uint64_t> b1;
  std::vector<const uint64_t*> pb1;
  if (two) {
    b1 = require_u64(api, "b1", b1_obj, false);
    pb1 = checked_stack(api, "b1", b1, stored, n, q);
  }
  py::array_t<uint64_t> out(static_cast<py::ssize_t>(n)), out1(static_cast<py::ssize_t>(two ? n : 0));
  uint64_t* po = out.mutable_data();
  uint64_t* po1 = out1.mutable_data();
  if (packed && interleaved)
    throw_parameter(api, "interleaved", "excludes packed", "at most one of packed, interleaved", "both");
  if (interleaved) {
    // Both stacks in one interleaved layout, as the auxiliary-basis key rows are.
    if (!two) throw_parameter(api, "b1", "is missing", "b1 with interleaved=True (the two-output form)", "None");
    if (n % 8 != 0)
      throw_parameter(api, "a", "has rows not a multiple of 8 long", "n % 8 == 0 with interleaved=True", n);
    const int bits = rns::packed_width(m);
    {
      py::gil_scoped_release release;
      AlignedBuffer<uint8_t> bytes(rns::interleaved_bytes(stored, bits, n));
      for (std::size_t t = 0; t < stored; ++t) {
        rns::pack_interleaved(pb[t], n, stored, bits, 0, t, bytes.data());
        rns::pack_interleaved(pb1[t], n, stored, bits, 1, t, bytes.data());
      }
      const rns::InterleavedRows key{bytes.data(), bits, stored};
      for (std::size_t r = 0; r < reps; ++r) {
        if (!table) rns::inner_product2_interleaved_mod(pa.data(), key, terms, po, po1, n, m);
        else if (table->inner_product2_interleaved) table->inner_product2_interleaved(pa.data(), key, terms, po, po1, n, m);
        else rns::detail::inner_product2_interleaved_blocks(*table, pa.data(), key, terms, po, po1, 0, n, m);
      }
    }
    return py::make_tuple(out, out1);
  }
  if (packed) {
    // Both stacks kept as key rows are (rns/packed_poly.hpp), through the packed kernel.
    if (!two) throw_parameter(api, "b1", "is missing", "b1 with packed=True (the two-output form)", "None");
    if (n % 8 != 0) throw_parameter(api, "a", "has rows not a multiple of 8 long", "n % 8 == 0 with packed=True", n);
    const int bits = rns::packed_width(m);
    {
      py::gil_scoped_release release;
      const PackedStack s0 = pack_stack(pb, n, bits), s1 = pack_stack(pb1, n, bits);
      const rns::PackedRows r0{s0.rows.data(), bits}, r1{s1.rows.data(), bits};
      for (std::size_t r = 0; r < reps; ++r) {
        if (!table) rns::inner_product2_packed_mod(pa.data(), r0, r1, terms, po, po1, n, m);
        else if (table->inner_product2_packed) table->inner_product2_packed(pa.data(), r0, r1, terms, po, po1, n, m);
        else rns::detail::inner_product2_packed_blocks(*table, pa.data(), r0, r1, terms, po, po1, 0, n, m);
      }
    }
    return py::make_tuple(out, out1);
  }
  {
    py::gil_scoped_release release;
    for (std::size_t r = 0; r < reps; ++r) {
      if (two && table && table->inner_product2) {
        table->inner_product2(pa.data(), pb.data(), pb1.data(), terms, po, po1, n, m);
      } else if (two && table) {
        table->inner_product(pa.data(), pb.data(), terms, po, n, m);
        table->inner_product(pa.data(), pb1.data(), terms, po1, n, m);
      } else if (two) {
        rns::inner_product2_mod(pa.data(), pb.data(), pb1.data(), terms, po, po1, n, m);
      } else if (table) {
        table->inner_product(pa.data(), pb.data(), terms, po, n, m);
      } else {
        rns::inner_product_mod(pa.data(), pb.data(), terms, po, n, m);
      }
    }
  }
  if (two) return py::make_tuple(out, out1);
  return std::move(out);
}

// a (op) w mod q with a scalar w < q: 'mul' takes any 64-bit a (a wider prime's
// residues reduce with w = 1), 'add' takes a in [0, q).
py::array_t<uint64_t> scalar_op(const std::string& op, uint64_t q, const py::handle& a_obj, uint64_t w,
                                const std::string& kernel) {
  const char* api = "eltwise_scalar";
  if (op != "mul" && op != "add") throw_parameter(api, "op", "is unknown", "one of mul, add", "'" + op + "'");
  const math::Modulus m(q);
  const EltwiseKernels* table = kernel_table(api, kernel, q);
  if (w >= q) throw_parameter(api, "w", "is not reduced", "0 <= w < q = " + std::to_string(q), std::to_string(w));
  auto a = require_u64(api, "a", a_obj, false);
  if (a.ndim() != 1) throw_parameter(api, "a", "has the wrong shape", "(n,)", shape_text(a));
  const std::size_t n = static_cast<std::size_t>(a.shape(0));
  if (op == "add") require_below(api, "a", a.data(), n, q);
  py::array_t<uint64_t> out(static_cast<py::ssize_t>(n));
  const uint64_t* pa = a.data();
  uint64_t* po = out.mutable_data();
  py::gil_scoped_release release;
  if (op == "mul") {
    table ? table->mul_scalar(pa, w, m.shoup(w), po, n, m) : rns::mul_scalar_mod(pa, w, po, n, m);
  } else {
    table ? table->add_scalar(pa, w, po, n, m) : rns::add_scalar_mod(pa, w, po, n, m);
  }
  return out;
}

// ((a - b) w + c u) mod q, b and c optional (None: zero).
py::array_t<uint64_t> scale_diff_add(uint64_t q, const py::handle& a_obj, const py::handle& b_obj, uint64_t w,
                                     const py::handle& c_obj, uint64_t u, const std::string& kernel) {
  const char* api = "eltwise_scale_diff_add";
  const math::Modulus m(q);
  const EltwiseKernels* table = kernel_table(api, kernel, q);
  if (w >= q) throw_parameter(api, "w", "is not reduced", "0 <= w < q = " + std::to_string(q), std::to_string(w));
  if (u >= q) throw_parameter(api, "u", "is not reduced", "0 <= u < q = " + std::to_string(q), std::to_string(u));
  std::size_t n = 0;
  auto a = checked_vector(api, "a", a_obj, false, n, q);
  py::array_t<uint64_t> b, c;
  if (!b_obj.is_none()) b = checked_vector(api, "b", b_obj, false, n, q);
  if (!c_obj.is_none()) c = checked_vector(api, "c", c_obj, false, n, q);
  py::array_t<uint64_t> out(static_cast<py::ssize_t>(n));
  const uint64_t* pa = a.data();
  const uint64_t* pb = b_obj.is_none() ? nullptr : b.data();
  const uint64_t* pc = c_obj.is_none() ? nullptr : c.data();
  uint64_t* po = out.mutable_data();
  py::gil_scoped_release release;
  table ? rns::detail::scale_diff_add(*table, pa, pb, w, pc, u, po, n, m)
        : rns::scale_diff_add_mod(pa, pb, w, pc, u, po, n, m);
  return out;
}

}  // namespace

void init_eltwise(py::module_& m) {
  m.def("eltwise", &eltwise, py::arg("op"), py::arg("q"), py::arg("a"), py::arg("b"), py::arg("out") = py::none(),
        py::arg("kernel") = "auto", py::arg("repeat") = 1,
        "Element-wise a (op) b mod q over 1-D uint64 arrays with values in [0, q), 2 <= q < 2^61.\n"
        "op: 'add', 'sub', 'mul' (out = a*b) or 'mul_add' (out += a*b, `out` required, in [0, q)).\n"
        "Writes into `out` if given (else a new array) and returns it; every value in [0, q).\n"
        "kernel: 'auto' (dispatcher) or one of eltwise_kernels(); repeat: run the kernel that many\n"
        "times after one check of the inputs (benchmarks). Raises ValueError on a bad argument.");
  m.def("inner_product_mod", &inner_product, py::arg("q"), py::arg("a"), py::arg("b"), py::arg("kernel") = "auto",
        py::arg("repeat") = 1, py::arg("b1") = py::none(), py::arg("packed") = false, py::arg("interleaved") = false,
        "out[k] = sum_t a[t, k] * b[t, k] mod q for (terms, n) uint64 arrays with values in [0, q),\n"
        "2 <= q < 2^61; returns a new (n,) array in [0, q). With b1, also sum_t a[t, k] * b1[t, k]\n"
        "from one pass over a (the key-switching form), returned as a pair.\n"
        "packed: b and b1 read bit-packed to q's width, as key-switching keys are stored\n"
        "(n a multiple of 8, b1 required).\n"
        "interleaved: b and b1 read from one interleaved layout (rns/interleaved_rows.hpp), as the\n"
        "auxiliary-basis key rows are; they may have more rows than a (a prefix is read).\n"
        "kernel, repeat: as for eltwise(). Raises ValueError on a bad argument.");
  m.def("eltwise_scalar", &scalar_op, py::arg("op"), py::arg("q"), py::arg("a"), py::arg("w"),
        py::arg("kernel") = "auto",
        "a * w mod q ('mul', any 64-bit a) or (a + w) mod q ('add', a in [0, q)) for a scalar w < q.\n"
        "kernel: as for eltwise(). Raises ValueError on a bad argument.");
  m.def("eltwise_scale_diff_add", &scale_diff_add, py::arg("q"), py::arg("a"), py::arg("b"), py::arg("w"),
        py::arg("c"), py::arg("u"), py::arg("kernel") = "auto",
        "((a - b) * w + c * u) mod q for 1-D uint64 arrays a, b, c with values in [0, q) (b or c\n"
        "None: zero) and scalars w, u < q: the fused tail of ModDown and rescale.\n"
        "kernel: as for eltwise(). Raises ValueError on a bad argument.");
  m.def("eltwise_kernels", &kernel_names, "Element-wise kernel tables usable on this machine and build.");
}

}  // namespace ppml::bindings
