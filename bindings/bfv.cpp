// Bindings of the BFV scheme (added to module pyppml._core.he): the BFV context over an
// RLWE context, batch and coefficient encoders, encryption, decryption with the noise
// figure for the key owner, the scale-invariant product, plaintext operations and
// modulus switching. Keys, additions, relinearization and rotations are the scheme-
// independent bindings of he.cpp. Heavy calls release the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>

#include "bindings/he_context.hpp"
#include "bindings/registry.hpp"
#include "he/bfv/context.hpp"
#include "he/bfv/encoder.hpp"
#include "he/bfv/encryptor.hpp"
#include "he/bfv/mod_switch.hpp"
#include "he/bfv/multiply.hpp"
#include "he/bfv/lift.hpp"
#include "he/bfv/plain_ops.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using rlwe::Ciphertext;
using rlwe::Plaintext;

struct BfvHandle {
  std::shared_ptr<HeContext> he;
  std::unique_ptr<bfv::BfvContext> ctx;
  std::unique_ptr<bfv::BatchEncoder> batch;

  explicit BfvHandle(std::shared_ptr<HeContext> h) : he(std::move(h)) {
    ctx = std::make_unique<bfv::BfvContext>(he->ctx);
    if (ctx->batching()) batch = std::make_unique<bfv::BatchEncoder>(*ctx);
  }
  const bfv::BatchEncoder& encoder() const {
    if (!batch)
      throw_parameter("encode", "plain_modulus", "does not support batching",
                      "a prime t = 1 mod 2n (or use encode_coefficients)", ctx->t());
    return *batch;
  }
};

template <typename F>
auto released(F f) {
  py::gil_scoped_release release;
  return f();
}

using U64Array = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>;

py::array_t<uint64_t> to_numpy(const uint64_t* p, std::size_t count) {
  py::array_t<uint64_t> out(count);
  std::copy(p, p + count, out.mutable_data());
  return out;
}

std::shared_ptr<Ciphertext> wrap(Ciphertext&& c) { return std::make_shared<Ciphertext>(std::move(c)); }

}  // namespace

void init_bfv(py::module_& root) {
  py::module_ m = root.attr("he");
  py::class_<BfvHandle, std::shared_ptr<BfvHandle>>(m, "BfvContext", "BFV operations over a 'bfv' he.Context")
      .def(py::init([](std::shared_ptr<HeContext> h) { return std::make_shared<BfvHandle>(std::move(h)); }),
           py::arg("context"))
      .def_property_readonly("t", [](const BfvHandle& b) { return b.ctx->t(); })
      .def_property_readonly("batching", [](const BfvHandle& b) { return b.ctx->batching(); })
      .def_property_readonly("aux_moduli", [](const BfvHandle& b) { return b.ctx->aux_base()->values(); })
      .def("encode", [](const BfvHandle& b, U64Array v) {
        const uint64_t* p = v.data();
        std::size_t count = v.size();
        return std::make_shared<Plaintext>(released([&] { return b.encoder().encode(p, count); }));
      }, py::arg("values"), "Slots (residues in [0, t), at most n) -> plaintext.")
      .def("encode_coefficients", [](const BfvHandle& b, U64Array v) {
        const uint64_t* p = v.data();
        std::size_t count = v.size();
        return std::make_shared<Plaintext>(bfv::encode_coefficients(*b.ctx, p, count));
      }, py::arg("values"))
      .def("decode", [](const BfvHandle& b, const Plaintext& pt) {
        std::vector<uint64_t> out(b.ctx->n());
        released([&] { b.encoder().decode(pt, out.data()); return 0; });
        return to_numpy(out.data(), out.size());
      })
      .def("coefficients", [](const BfvHandle& b, const Plaintext& pt) {
        bfv::check_plaintext("coefficients", *b.ctx, pt);
        return to_numpy(pt.poly.limb(0), b.ctx->n());
      })
      .def("check_plaintext", [](const BfvHandle& b, const Plaintext& pt) { bfv::check_plaintext("load", *b.ctx, pt); })
      .def("encrypt_public", [](BfvHandle& b, const rlwe::PublicKey& pk, const Plaintext& pt) {
        return wrap(released([&] { return bfv::encrypt_public(*b.ctx, pk, pt, b.he->prng()); }));
      })
      .def("encrypt_secret", [](BfvHandle& b, const rlwe::SecretKey& sk, const Plaintext& pt) {
        return wrap(released([&] { return bfv::encrypt_secret(*b.ctx, sk, pt, b.he->prng()); }));
      })
      .def("decrypt", [](const BfvHandle& b, const rlwe::SecretKey& sk, const Ciphertext& ct) {
        uint64_t noise = 0;
        auto pt = std::make_shared<Plaintext>(released([&] { return bfv::decrypt(*b.ctx, sk, ct, &noise); }));
        return py::make_tuple(pt, std::ldexp(static_cast<double>(noise), -64));
      }, "(plaintext, invariant noise in [0, 1/2]) - key owner only.")
      .def("noise_budget", [](const BfvHandle& b, const rlwe::SecretKey& sk, const Ciphertext& ct) {
        return released([&] { return bfv::noise_budget(*b.ctx, sk, ct); });
      })
      .def("multiply", [](const BfvHandle& b, const Ciphertext& x, const Ciphertext& y) {
        return wrap(released([&] { return bfv::multiply(*b.ctx, x, y); }));
      })
      .def("square", [](const BfvHandle& b, const Ciphertext& x) {
        return wrap(released([&] { return bfv::square(*b.ctx, x); }));
      })
      .def(
          "multiply_relinearize",
          [](const BfvHandle& b, const Ciphertext& x, const Ciphertext* y, const rlwe::KeySwitchKey& rk) {
            return wrap(released([&] { return bfv::multiply_relinearize(*b.ctx, x, y, rk); }));
          },
          py::arg("x"), py::arg("y").none(true), py::arg("relin_key"),
          "x * y (y None: x * x) relinearized, the same bits as multiply then relinearize.")
      .def("add_plain", [](const BfvHandle& b, const Ciphertext& x, const Plaintext& pt) {
        return wrap(released([&] { return bfv::add_plain(*b.ctx, x, pt); }));
      })
      .def("sub_plain", [](const BfvHandle& b, const Ciphertext& x, const Plaintext& pt) {
        return wrap(released([&] { return bfv::sub_plain(*b.ctx, x, pt); }));
      })
      .def("multiply_plain", [](const BfvHandle& b, const Ciphertext& x, const Plaintext& pt) {
        return wrap(released([&] { return bfv::multiply_plain(*b.ctx, x, pt); }));
      })
      .def("multiply_scalar", [](const BfvHandle& b, const Ciphertext& x, uint64_t c) {
        return wrap(released([&] { return bfv::multiply_scalar(*b.ctx, x, c); }));
      })
      .def("_lift", [](const BfvHandle& b, int level, bool to_aux, U64Array in) {
        // Test hook: the centered lift Q_l -> B (to_aux) or B -> Q_l of a (limbs, n) array,
        // through whichever kernel the current backend selects.
        b.ctx->rlwe().check_level("_lift", level);
        const auto& lt = b.ctx->level(level);
        const std::size_t n = b.ctx->n(), lq = level + 1, kb = b.ctx->aux_base()->size();
        const std::size_t rows_in = to_aux ? lq : kb, rows_out = to_aux ? kb : lq;
        if (static_cast<std::size_t>(in.size()) != rows_in * n)
          throw_parameter("_lift", "values", "has the wrong size", std::to_string(rows_in * n), in.size());
        const auto& base = to_aux ? *b.ctx->rlwe().q_base(level) : *b.ctx->aux_base();
        for (std::size_t i = 0; i < rows_in; ++i)
          for (std::size_t k = 0; k < n; ++k)
            if (in.data()[i * n + k] >= base[i].value())
              throw_parameter("_lift", "values", "have a residue out of range", "< its prime", in.data()[i * n + k]);
        std::vector<uint64_t> out(rows_out * n);
        bfv::lift_centered(to_aux ? lt.q_to_b_fast.get() : lt.b_to_q_fast.get(), to_aux ? *lt.q_to_b : *lt.b_to_q,
                           in.data(), out.data(), n);
        return to_numpy(out.data(), out.size());
      })
      .def("_scale_to_aux", [](const BfvHandle& b, int level, U64Array in) {
        // Test hook: round(t x / Q_l) mod B of x given by its (l+1 + |B|, n) residues over
        // Q_l * B, through whichever kernel the current backend selects.
        b.ctx->rlwe().check_level("_scale_to_aux", level);
        const auto& lt = b.ctx->level(level);
        const std::size_t n = b.ctx->n(), lq = level + 1, kb = b.ctx->aux_base()->size();
        if (static_cast<std::size_t>(in.size()) != (lq + kb) * n)
          throw_parameter("_scale_to_aux", "values", "has the wrong size", std::to_string((lq + kb) * n), in.size());
        const auto& qb = *b.ctx->rlwe().q_base(level);
        const auto& aux = *b.ctx->aux_base();
        for (std::size_t i = 0; i < lq + kb; ++i)
          for (std::size_t k = 0; k < n; ++k)
            if (in.data()[i * n + k] >= (i < lq ? qb[i] : aux[i - lq]).value())
              throw_parameter("_scale_to_aux", "values", "have a residue out of range", "< its prime",
                              in.data()[i * n + k]);
        std::vector<uint64_t> out(kb * n);
        bfv::scale_to_aux_dispatch(*b.ctx, lt, in.data(), in.data() + lq * n, out.data());
        return to_numpy(out.data(), out.size());
      })
      .def("mod_switch_to", [](const BfvHandle& b, const Ciphertext& x, int level) {
        return wrap(released([&] { return bfv::mod_switch_to(*b.ctx, x, level); }));
      });
}

}  // namespace ppml::bindings
