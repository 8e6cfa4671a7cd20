// Bindings of fixed-width bit packing (common/fixed_width_packing.hpp): uint64 NumPy arrays
// <-> packed bytes, read zero-copy through the buffer protocol, loops run without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/int_args.hpp"
#include "bindings/numpy_checks.hpp"
#include "bindings/registry.hpp"
#include "common/errors.hpp"
#include "common/fixed_width_packing.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

// A read-only, C-contiguous view of 1-byte items (bytes, bytearray, memoryview, uint8 array),
// held until destruction; destroy it with the GIL held.
class ByteView {
 public:
  ByteView(const char* api, const char* arg, const py::handle& obj) {
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
      PyErr_Clear();
      throw_parameter(api, arg, "is not a contiguous bytes-like object",
                      "bytes, bytearray, memoryview or a C-contiguous uint8 array",
                      py::str(py::type::of(obj).attr("__name__")).cast<std::string>());
    }
    if (view_.itemsize != 1) {
      const auto itemsize = view_.itemsize;
      PyBuffer_Release(&view_);
      throw_parameter(api, arg, "has items wider than a byte", "a bytes-like object of 1-byte items",
                      "itemsize " + std::to_string(itemsize));
    }
  }
  ~ByteView() { PyBuffer_Release(&view_); }
  ByteView(const ByteView&) = delete;
  ByteView& operator=(const ByteView&) = delete;

  const uint8_t* data() const { return static_cast<const uint8_t*>(view_.buf); }
  std::size_t size() const { return static_cast<std::size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

py::bytes pack(const py::handle& values_obj, int bits) {
  const char* api = "pack_fixed_width";
  auto values = require_u64(api, "values", values_obj, false);
  const std::size_t count = static_cast<std::size_t>(values.size());
  const std::size_t nbytes = packed_size(count, bits, api);
  auto out = py::reinterpret_steal<py::bytes>(PyBytes_FromStringAndSize(nullptr, static_cast<py::ssize_t>(nbytes)));
  if (!out) throw py::error_already_set();
  auto* dst = reinterpret_cast<uint8_t*>(PyBytes_AS_STRING(out.ptr()));
  const uint64_t* src = values.data();
  {
    py::gil_scoped_release release;
    pack_fixed_width(src, count, bits, dst);
  }
  return out;
}

py::array_t<uint64_t> unpack(const py::handle& data_obj, int bits, py::ssize_t count) {
  const char* api = "unpack_fixed_width";
  if (count < 0) throw_parameter(api, "count", "is negative", "count >= 0", count);
  ByteView data(api, "data", data_obj);
  check_packed_stream(data.data(), data.size(), bits, static_cast<std::size_t>(count), api);  // before allocating
  py::array_t<uint64_t> out(count);
  uint64_t* dst = out.mutable_data();
  {
    py::gil_scoped_release release;
    unpack_fixed_width(data.data(), data.size(), bits, static_cast<std::size_t>(count), dst);
  }
  return out;
}

void accumulate(const py::handle& acc_obj, const py::handle& data_obj, int bits, uint64_t modulus) {
  const char* api = "accumulate_packed_mod";
  auto acc = require_u64(api, "acc", acc_obj, true);
  ByteView data(api, "data", data_obj);
  const std::size_t count = static_cast<std::size_t>(acc.size());
  uint64_t* dst = acc.mutable_data();
  py::gil_scoped_release release;
  accumulate_packed_mod(dst, count, data.data(), data.size(), bits, modulus);
}

}  // namespace

void init_packing(py::module_& m) {
  m.def("packed_size",
        [](const py::handle& count, const py::handle& bits) {
          return packed_size(require_u64_arg("packed_size", "count", count),
                             static_cast<int>(require_integer_in("packed_size", "bits", bits, 0, 64, "0 <= bits <= 64")));
        },
        py::arg("count"),
        py::arg("bits"),
        "ceil(count * bits / 8): bytes of `count` packed values of `bits` bits (1 <= bits <= 64).");
  m.def("pack_fixed_width", &pack, py::arg("values"), py::arg("bits"),
        "Packs a C-contiguous uint64 array (flattened), every value < 2^bits, 1 <= bits <= 64, into\n"
        "packed_size(values.size, bits) bytes: a little-endian bit stream, value i at stream bits\n"
        "[i*bits, (i+1)*bits), stream bit j = bit j%8 of byte j//8, zero padding bits.\n"
        "Raises ParameterError (ValueError) on a bad argument or a value >= 2^bits.");
  m.def("unpack_fixed_width", &unpack, py::arg("data"), py::arg("bits"), py::arg("count"),
        "Inverse of pack_fixed_width: `count` values of `bits` bits from a bytes-like object\n"
        "(bytes, bytearray, memoryview, uint8 array; read without a copy) -> new (count,) uint64\n"
        "array. Raises FormatError (ValueError) if len(data) != packed_size(count, bits) or a\n"
        "padding bit is set, ParameterError on a bad argument.");
  m.def("accumulate_packed_mod", &accumulate, py::arg("acc"), py::arg("data"), py::arg("bits"), py::arg("modulus"),
        "acc = (acc + unpack_fixed_width(data, bits, acc.size)) % modulus, in place, for a writable\n"
        "C-contiguous uint64 `acc` with values in [0, modulus), 2 <= modulus < 2^63. Everything is\n"
        "checked first: on an error `acc` is unchanged. Raises FormatError (ValueError) on a wrong\n"
        "length, a set padding bit or a packed value >= modulus; ParameterError on a bad argument.");
}

}  // namespace ppml::bindings
