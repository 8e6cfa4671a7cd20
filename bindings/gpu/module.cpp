// pybind11 module pyppml._gpu: the CUDA backend's glue (a separate extension, so that
// `import pyppml` never loads CUDA). Objects cross from pyppml._core as their serialized
// bytes (validated on load); arrays as NumPy uint64. No logic here.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "common/errors.hpp"
#include "gpu/device_context.hpp"
#include "gpu/device_memory.hpp"
#include "he/rlwe/serialization.hpp"

namespace py = pybind11;
using namespace ppml;
using gpu::DeviceCiphertext;
using gpu::DeviceContext;
using gpu::DeviceKey;
using gpu::DevicePlaintext;

namespace {

using U64Array = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>;

std::vector<uint64_t> to_vector(const U64Array& a, const char* api) {
  if (a.ndim() != 2) throw_parameter(api, "data", "has the wrong shape", "a 2-D (limbs, n) uint64 array", a.ndim());
  return std::vector<uint64_t>(a.data(), a.data() + a.size());
}

U64Array to_array(const std::vector<uint64_t>& v, std::size_t rows) {
  U64Array out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(rows ? v.size() / rows : 0)});
  std::memcpy(out.mutable_data(), v.data(), v.size() * 8);
  return out;
}

template <typename F>
auto released(F&& f) {
  py::gil_scoped_release release;
  return f();
}

using CtPtr = std::shared_ptr<DeviceCiphertext>;
CtPtr wrap(DeviceCiphertext&& c) { return std::make_shared<DeviceCiphertext>(std::move(c)); }

// A device buffer of (limbs, n) words, for benchmarks of in-place kernels.
struct Buffer {
  gpu::DeviceBuffer buf;
  std::size_t limbs = 0, n = 0;
};

}  // namespace

#ifndef PPML_GPU_MODULE
#define PPML_GPU_MODULE _gpu
#endif

PYBIND11_MODULE(PPML_GPU_MODULE, m) {
  m.doc() = "pyppml CUDA backend (device RNS polynomials, NTT, key switching, CKKS operations)";
  // Errors of the core map to the classes of pyppml._core, so callers catch one type.
  py::module_ core = py::module_::import("pyppml._core");
  static py::object parameter_error = core.attr("ParameterError");
  static py::object mismatch_error = core.attr("MismatchError");
  static py::object format_error = core.attr("FormatError");
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ParameterError& e) {
      PyErr_SetString(parameter_error.ptr(), e.what());
    } catch (const MismatchError& e) {
      PyErr_SetString(mismatch_error.ptr(), e.what());
    } catch (const FormatError& e) {
      PyErr_SetString(format_error.ptr(), e.what());
    } catch (const gpu::DeviceOutOfMemory& e) {
      PyErr_SetString(PyExc_MemoryError, e.what());
    } catch (const gpu::CudaError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  m.attr("compiled_architectures") = gpu::compiled_architectures();
  m.def("probe", [] {
    gpu::ProbeResult r = released([] { return gpu::probe(); });
    py::list devices;
    for (const auto& d : r.devices) {
      py::dict e;
      e["index"] = d.index;
      e["name"] = d.name;
      e["total_memory"] = d.total_memory;
      e["free_memory"] = d.free_memory;
      e["compute_capability"] = py::make_tuple(d.major, d.minor);
      e["multiprocessors"] = d.multiprocessors;
      devices.append(e);
    }
    py::dict out;
    out["status"] = r.status;
    out["message"] = r.message;
    out["runtime_version"] = r.runtime_version;
    out["driver_version"] = r.driver_version;
    out["devices"] = devices;
    return out;
  }, "Whether a usable CUDA device is present: status 'ok', 'no_driver', 'no_device', 'unsupported_device' or 'error'.");
  m.def("synchronize", [] { released([] { gpu::synchronize(); return 0; }); });
  // Tests: a device allocation of `bytes` (MemoryError naming the size when it fails).
  m.def("allocate", [](std::size_t bytes) {
    auto b = std::make_shared<Buffer>();
    b->buf = released([&] { return gpu::DeviceBuffer(bytes); });
    return b;
  }, py::arg("bytes"));

  py::class_<DeviceCiphertext, CtPtr>(m, "Ciphertext")
      .def_property_readonly("level", [](const DeviceCiphertext& c) { return c.level; })
      .def_property_readonly("size", &DeviceCiphertext::size)
      .def_property_readonly("n", [](const DeviceCiphertext& c) { return c.n; })
      .def_property("scale", [](const DeviceCiphertext& c) { return c.scale; },
                    [](DeviceCiphertext& c, double s) { c.scale = s; })
      .def_property_readonly("fingerprint", [](const DeviceCiphertext& c) { return c.fingerprint; })
      .def_property_readonly("key_id", [](const DeviceCiphertext& c) { return c.key_id; })
      .def_property_readonly("seeded", [](const DeviceCiphertext&) { return false; })
      .def_property_readonly("nbytes", &DeviceCiphertext::bytes)
      .def_property_readonly("device", [](const DeviceCiphertext&) { return "cuda"; })
      .def("copy", [](const DeviceCiphertext& c) { return wrap(released([&] { return c.clone(); })); });
  py::class_<DevicePlaintext, std::shared_ptr<DevicePlaintext>>(m, "Plaintext")
      .def_property_readonly("level", [](const DevicePlaintext& p) { return p.level; })
      .def_property_readonly("scale", [](const DevicePlaintext& p) { return p.scale; });
  py::class_<DeviceKey, std::shared_ptr<DeviceKey>>(m, "Key")
      .def_property_readonly("digits", [](const DeviceKey& k) { return k.digits; })
      .def_property_readonly("key_id", [](const DeviceKey& k) { return k.key_id; });
  py::class_<Buffer, std::shared_ptr<Buffer>>(m, "Buffer")
      .def_property_readonly("shape", [](const Buffer& b) { return py::make_tuple(b.limbs, b.n); });

  using CT = const DeviceCiphertext&;
  py::class_<DeviceContext, std::shared_ptr<DeviceContext>>(m, "Context")
      .def(py::init([](const py::bytes& params) {
             rlwe::LoadLimits limits{0, uint64_t{1} << 17, 256, rlwe::SecurityStandard::HEStandard2018};  // the host's own
             rlwe::Params p = rlwe::load_params(std::string(params), limits);
             py::gil_scoped_release release;
             return std::make_shared<DeviceContext>(p);
           }),
           py::arg("params"), "From pyppml._core.he.save_params bytes; uploads the tables.")
      .def_property_readonly("n", &DeviceContext::n)
      .def_property_readonly("fingerprint", [](const DeviceContext& c) { return c.host().fingerprint(); })
      .def("upload_ciphertext", [](const DeviceContext& c, const py::bytes& b) {
        std::string s(b);
        return wrap(released([&] { return c.upload(rlwe::load_ciphertext(c.host(), s)); }));
      })
      .def("download_ciphertext", [](const DeviceContext& c, CT ct) {
        std::string s = released([&] { return rlwe::save(c.host(), c.download(ct)); });
        return py::bytes(s);
      })
      .def("upload_plaintext", [](const DeviceContext& c, const py::bytes& b) {
        std::string s(b);
        return std::make_shared<DevicePlaintext>(released([&] { return c.upload(rlwe::load_plaintext(c.host(), s)); }));
      })
      .def("upload_relin_key", [](const DeviceContext& c, const py::bytes& b) {
        std::string s(b);
        return std::make_shared<DeviceKey>(released([&] { return c.upload(rlwe::load_relin_key(c.host(), s)); }));
      })
      .def("upload_galois_keys", [](const DeviceContext& c, const py::bytes& b, const std::vector<uint64_t>& elts) {
        std::string s(b);
        std::map<uint64_t, std::shared_ptr<DeviceKey>> out;
        py::gil_scoped_release release;
        rlwe::GaloisKeys gk = rlwe::load_galois_keys(c.host(), s);
        for (uint64_t e : elts) {
          auto it = gk.keys.find(e);
          if (it == gk.keys.end())
            throw_parameter("rotate", "galois_keys", "lack the key for this rotation",
                            "a key generated for Galois element " + std::to_string(e), "none");
          out[e] = std::make_shared<DeviceKey>(c.upload(it->second));
        }
        return out;
      }, py::arg("data"), py::arg("elements"))
      .def("add", [](const DeviceContext& c, CT a, CT b) { return wrap(released([&] { return c.add(a, b); })); })
      .def("sub", [](const DeviceContext& c, CT a, CT b) { return wrap(released([&] { return c.sub(a, b); })); })
      .def("negate", [](const DeviceContext& c, CT a) { return wrap(released([&] { return c.negate(a); })); })
      .def("add_plain", [](const DeviceContext& c, CT a, const DevicePlaintext& p) {
        return wrap(released([&] { return c.add_plain(a, p); }));
      })
      .def("sub_plain", [](const DeviceContext& c, CT a, const DevicePlaintext& p) {
        return wrap(released([&] { return c.sub_plain(a, p); }));
      })
      .def("multiply_plain", [](const DeviceContext& c, CT a, const DevicePlaintext& p) {
        return wrap(released([&] { return c.multiply_plain(a, p); }));
      })
      .def("multiply_integer", [](const DeviceContext& c, CT a, const std::vector<uint64_t>& residues) {
        return wrap(released([&] { return c.multiply_integer(a, residues); }));
      })
      .def("multiply", [](const DeviceContext& c, CT a, CT b) { return wrap(released([&] { return c.multiply(a, b); })); })
      .def("relinearize", [](const DeviceContext& c, CT a, const DeviceKey& k) {
        return wrap(released([&] { return c.relinearize(a, k); }));
      })
      .def("rescale", [](const DeviceContext& c, CT a) { return wrap(released([&] { return c.rescale(a); })); })
      .def("drop_to_level", [](const DeviceContext& c, CT a, int level) {
        return wrap(released([&] { return c.drop_to_level(a, level); }));
      })
      .def("apply_galois", [](const DeviceContext& c, CT a, uint64_t elt, const DeviceKey& k) {
        return wrap(released([&] { return c.apply_galois(a, elt, k); }));
      })
      .def("apply_galois_hoisted", [](const DeviceContext& c, CT a, const std::vector<uint64_t>& elts,
                                      const std::vector<std::shared_ptr<DeviceKey>>& keys) {
        std::vector<const DeviceKey*> ks;
        for (const auto& k : keys) ks.push_back(k.get());
        auto outs = released([&] { return c.apply_galois_hoisted(a, elts, ks); });
        std::vector<CtPtr> res;
        for (auto& o : outs) res.push_back(wrap(std::move(o)));
        return res;
      })
      // Ring-level kernels on host arrays (tests).
      .def("ntt", [](const DeviceContext& c, const U64Array& a, const std::vector<int>& primes, bool forward) {
        auto v = to_vector(a, "gpu.ntt");
        return to_array(released([&] { return c.ntt(v, primes, forward); }), primes.size());
      }, py::arg("data"), py::arg("primes"), py::arg("forward") = true)
      .def("convert", [](const DeviceContext& c, const U64Array& a, const std::vector<int>& from,
                         const std::vector<int>& to, bool exact, bool centered) {
        auto v = to_vector(a, "gpu.convert");
        return to_array(released([&] { return c.convert(v, from, to, exact, centered); }), to.size());
      }, py::arg("data"), py::arg("source"), py::arg("target"), py::arg("exact") = false, py::arg("centered") = false)
      .def("automorphism", [](const DeviceContext& c, const U64Array& a, const std::vector<int>& primes, uint64_t k,
                              bool evaluation) {
        auto v = to_vector(a, "gpu.automorphism");
        return to_array(released([&] { return c.automorphism(v, primes, k, evaluation); }), primes.size());
      }, py::arg("data"), py::arg("primes"), py::arg("k"), py::arg("evaluation"))
      // Device buffers for benchmarks (no transfer inside the timed call).
      .def("buffer", [](const DeviceContext& c, const U64Array& a) {
        auto v = to_vector(a, "gpu.buffer");
        auto b = std::make_shared<Buffer>();
        b->limbs = a.shape(0), b->n = a.shape(1);
        b->buf = gpu::DeviceBuffer(v.size() * 8);
        b->buf.upload(v.data(), v.size() * 8);
        return b;
      })
      .def("ntt_inplace", [](const DeviceContext& c, Buffer& b, bool forward) {
        released([&] { c.ntt_device(b.buf, b.limbs, forward); return 0; });
      }, py::arg("buffer"), py::arg("forward") = true);
}
