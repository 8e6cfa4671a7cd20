// Bindings of the MPC layer (submodule pyppml._core.mpc): additive and Shamir sharing,
// fixed point and truncation, Beaver multiplication steps, uint64 matrix products.
// NumPy uint64 in and out; loops run with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings/numpy_checks.hpp"
#include "bindings/registry.hpp"
#include "bindings/shared_prng.hpp"
#include "common/errors.hpp"
#include "mpc/additive.hpp"
#include "mpc/beaver.hpp"
#include "mpc/bit_pack.hpp"
#include "mpc/comparison.hpp"
#include "mpc/fixed_point.hpp"
#include "mpc/matmul.hpp"
#include "mpc/shamir.hpp"
#include "random/prng.hpp"

namespace py = pybind11;

namespace ppml::bindings {
namespace {

using U64 = py::array_t<uint64_t>;

std::vector<py::ssize_t> shape_of(const py::array& a) { return {a.shape(), a.shape() + a.ndim()}; }

U64 u64(const char* api, const char* arg, const py::handle& obj) { return require_u64(api, arg, obj, false); }

void require_same_shape(const char* api, const char* arg, const py::array& a, const py::array& ref) {
  if (shape_of(a) != shape_of(ref))
    throw_parameter(api, arg, "has the wrong shape", shape_text(ref), shape_text(a));
}

void require_2d(const char* api, const char* arg, const py::array& a) {
  if (a.ndim() != 2) throw_parameter(api, arg, "is not a matrix", "a 2-D array", shape_text(a));
}

std::string dims(std::size_t r, std::size_t c) { return "(" + std::to_string(r) + ", " + std::to_string(c) + ")"; }

void require_dims(const char* api, const char* arg, const py::array& a, std::size_t r, std::size_t c) {
  if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != r || static_cast<std::size_t>(a.shape(1)) != c)
    throw_parameter(api, arg, "has the wrong shape", dims(r, c), shape_text(a));
}

U64 matmul(const py::handle& ao, const py::handle& bo, bool transpose_a) {
  const char* api = transpose_a ? "mpc.matmul_tn_u64" : "mpc.matmul_u64";
  auto a = u64(api, "a", ao), b = u64(api, "b", bo);
  require_2d(api, "a", a);
  require_2d(api, "b", b);
  std::size_t k = a.shape(transpose_a ? 0 : 1), m = a.shape(transpose_a ? 1 : 0), n = b.shape(1);
  if (static_cast<std::size_t>(b.shape(0)) != k)
    throw_parameter(api, "b", "has the wrong shape", "(" + std::to_string(k) + ", n)", shape_text(b));
  U64 out({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(n)});
  uint64_t* o = out.mutable_data();
  const uint64_t *pa = a.data(), *pb = b.data();
  py::gil_scoped_release release;
  std::fill(o, o + m * n, 0);
  if (transpose_a)
    mpc::matmul_tn_acc_u64(pa, pb, k, m, n, o);
  else
    mpc::matmul_acc_u64(pa, pb, m, k, n, o);
  return out;
}

U64 matmul_finish(int party, const py::handle& dobj, const py::handle& eobj, const py::handle& aobj,
                  const py::handle& bobj, const py::handle& cobj, bool transpose) {
  const char* api = transpose ? "mpc.beaver_matmul_tn_finish" : "mpc.beaver_matmul_finish";
  auto d = u64(api, "d", dobj), e = u64(api, "e", eobj), a = u64(api, "a", aobj), b = u64(api, "b", bobj),
       c = u64(api, "c", cobj);
  require_2d(api, "d", d);
  require_2d(api, "e", e);
  std::size_t m = d.shape(transpose ? 1 : 0), k = d.shape(transpose ? 0 : 1), n = e.shape(1);
  if (static_cast<std::size_t>(e.shape(0)) != k)
    throw_parameter(api, "e", "has the wrong shape", "(" + std::to_string(k) + ", n)", shape_text(e));
  require_same_shape(api, "a", a, d);
  require_same_shape(api, "b", b, e);
  require_dims(api, "c", c, m, n);
  if (party != 0 && party != 1) throw_parameter(api, "party", "is not a two-party index", "0 or 1", party);
  U64 out({static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(n)});
  uint64_t* o = out.mutable_data();
  const uint64_t *pd = d.data(), *pe = e.data(), *pa = a.data(), *pb = b.data(), *pc = c.data();
  py::gil_scoped_release release;
  if (transpose)
    mpc::beaver_matmul_tn_finish(party, pd, pe, pa, pb, pc, k, m, n, o);
  else
    mpc::beaver_matmul_finish(party, pd, pe, pa, pb, pc, m, k, n, o);
  return out;
}

template <void (*Finish)(int, const uint64_t*, const uint64_t*, const uint64_t*, const uint64_t*, const uint64_t*,
                         std::size_t, uint64_t*)>
U64 elementwise_finish(const char* api, int party, const py::handle& dobj, const py::handle& eobj,
                       const py::handle& aobj, const py::handle& bobj, const py::handle& cobj) {
  auto d = u64(api, "d", dobj), e = u64(api, "e", eobj), a = u64(api, "a", aobj), b = u64(api, "b", bobj),
       c = u64(api, "c", cobj);
  require_same_shape(api, "e", e, d);
  require_same_shape(api, "a", a, d);
  require_same_shape(api, "b", b, d);
  require_same_shape(api, "c", c, d);
  if (party != 0 && party != 1) throw_parameter(api, "party", "is not a two-party index", "0 or 1", party);
  U64 out(shape_of(d));
  uint64_t* o = out.mutable_data();
  const uint64_t *pd = d.data(), *pe = e.data(), *pa = a.data(), *pb = b.data(), *pc = c.data();
  std::size_t count = static_cast<std::size_t>(d.size());
  py::gil_scoped_release release;
  Finish(party, pd, pe, pa, pb, pc, count, o);
  return out;
}

}  // namespace

void init_mpc(py::module_& parent) {
  py::module_ m = parent.def_submodule("mpc", "Secret sharing and Beaver multiplication kernels");
  m.attr("SHAMIR_PRIME") = mpc::kShamirPrime;
  m.attr("SHAMIR_MAX_PARTIES") = mpc::kMaxShamirParties;
  m.attr("MAX_FRAC_BITS") = mpc::kMaxFracBits;

  m.def(
      "additive_share",
      [](SharedPrng& prng, const py::handle& obj, std::size_t parties) {
        auto s = u64("mpc.additive_share", "secrets", obj);
        if (parties < 2) throw_parameter("mpc.additive_share", "parties", "is too small", "parties >= 2", parties);
        auto shape = shape_of(s);
        shape.insert(shape.begin(), static_cast<py::ssize_t>(parties));
        U64 out(shape);
        uint64_t* o = out.mutable_data();
        const uint64_t* ps = s.data();
        std::size_t count = static_cast<std::size_t>(s.size());
        with_prng(prng, [&](random::Prng& g) { mpc::additive_share(g, ps, count, parties, o); });
        return out;
      },
      py::arg("prng"), py::arg("secrets"), py::arg("parties"),
      "Additive shares over Z_2^64, shape (parties, *secrets.shape).");
  m.def(
      "additive_reconstruct",
      [](const py::handle& obj) {
        auto s = u64("mpc.additive_reconstruct", "shares", obj);
        if (s.ndim() < 1 || s.shape(0) < 1)
          throw_parameter("mpc.additive_reconstruct", "shares", "has no party axis", "shape (parties, ...)",
                          shape_text(s));
        auto shape = shape_of(s);
        std::size_t parties = shape[0];
        shape.erase(shape.begin());
        U64 out(shape);
        uint64_t* o = out.mutable_data();
        const uint64_t* ps = s.data();
        std::size_t count = static_cast<std::size_t>(s.size()) / parties;
        py::gil_scoped_release release;
        mpc::additive_reconstruct(ps, parties, count, o);
        return out;
      },
      py::arg("shares"), "Sum of the shares along axis 0, mod 2^64.");

  m.def(
      "fixed_encode",
      [](py::array_t<double, py::array::c_style | py::array::forcecast> x, int frac_bits) {
        U64 out(shape_of(x));
        mpc::fixed_encode(x.data(), static_cast<std::size_t>(x.size()), frac_bits, out.mutable_data());
        return out;
      },
      py::arg("x"), py::arg("frac_bits"), "round(x * 2^frac_bits) as two's complement uint64.");
  m.def(
      "fixed_decode",
      [](const py::handle& obj, int frac_bits) {
        auto v = u64("mpc.fixed_decode", "v", obj);
        py::array_t<double> out(shape_of(v));
        mpc::fixed_decode(v.data(), static_cast<std::size_t>(v.size()), frac_bits, out.mutable_data());
        return out;
      },
      py::arg("v"), py::arg("frac_bits"), "int64(v) / 2^frac_bits.");
  m.def(
      "truncate_share",
      [](const py::handle& obj, int party, int bits) {
        auto s = u64("mpc.truncate_share", "share", obj);
        U64 out(shape_of(s));
        std::copy(s.data(), s.data() + s.size(), out.mutable_data());
        uint64_t* o = out.mutable_data();
        std::size_t count = static_cast<std::size_t>(s.size());
        mpc::truncate_share_inplace(o, count, party, bits);
        return out;
      },
      py::arg("share"), py::arg("party"), py::arg("bits"), "SecureML local truncation of a two-party share.");

  m.def(
      "shamir_share",
      [](SharedPrng& prng, const py::handle& obj, std::size_t n, std::size_t t) {
        auto s = u64("mpc.shamir_share", "secrets", obj);
        if (n < 1 || n > mpc::kMaxShamirParties)
          throw_parameter("mpc.shamir_share", "n", "is out of range",
                          "1 <= n <= " + std::to_string(mpc::kMaxShamirParties), n);
        auto shape = shape_of(s);
        shape.insert(shape.begin(), static_cast<py::ssize_t>(n));
        U64 out(shape);
        uint64_t* o = out.mutable_data();
        const uint64_t* ps = s.data();
        std::size_t count = static_cast<std::size_t>(s.size());
        with_prng(prng, [&](random::Prng& g) { mpc::shamir_share(g, ps, count, n, t, o); });
        return out;
      },
      py::arg("prng"), py::arg("secrets"), py::arg("n"), py::arg("t"),
      "Shamir t-of-n shares over p = 2^61 - 1, shape (n, *secrets.shape); row i is f(i + 1).");
  m.def(
      "shamir_share_at",
      [](SharedPrng& prng, const py::handle& obj, const py::handle& xobj, std::size_t t) {
        auto s = u64("mpc.shamir_share_at", "secrets", obj);
        auto xs = u64("mpc.shamir_share_at", "points", xobj);
        if (xs.ndim() != 1) throw_parameter("mpc.shamir_share_at", "points", "is not one-dimensional", "1 axis", xs.ndim());
        const std::size_t k = static_cast<std::size_t>(xs.size());
        auto shape = shape_of(s);
        shape.insert(shape.begin(), static_cast<py::ssize_t>(k));
        U64 out(shape);
        uint64_t* o = out.mutable_data();
        const uint64_t* ps = s.data();
        const uint64_t* px = xs.data();
        std::size_t count = static_cast<std::size_t>(s.size());
        with_prng(prng, [&](random::Prng& g) { mpc::shamir_share_at(g, ps, count, px, k, t, o); });
        return out;
      },
      py::arg("prng"), py::arg("secrets"), py::arg("points"), py::arg("t"),
      "Shamir shares at the given nonzero points, shape (len(points), *secrets.shape); row i is f(points[i]).");
  m.def(
      "shamir_reconstruct",
      [](const py::handle& xobj, const py::handle& sobj) {
        auto xs = u64("mpc.shamir_reconstruct", "indices", xobj);
        auto s = u64("mpc.shamir_reconstruct", "shares", sobj);
        if (xs.ndim() != 1)
          throw_parameter("mpc.shamir_reconstruct", "indices", "is not a vector", "a 1-D array", shape_text(xs));
        std::size_t k = xs.shape(0);
        if (s.ndim() < 1 || static_cast<std::size_t>(s.shape(0)) != k)
          throw_parameter("mpc.shamir_reconstruct", "shares", "has the wrong shape",
                          "(" + std::to_string(k) + ", ...)", shape_text(s));
        auto shape = shape_of(s);
        shape.erase(shape.begin());
        U64 out(shape);
        uint64_t* o = out.mutable_data();
        const uint64_t *px = xs.data(), *ps = s.data();
        std::size_t count = k ? static_cast<std::size_t>(s.size()) / k : 0;
        py::gil_scoped_release release;
        mpc::shamir_reconstruct(px, ps, k, count, o);
        return out;
      },
      py::arg("indices"), py::arg("shares"), "Lagrange interpolation at 0 of shares taken at `indices`.");
  m.def(
      "lagrange_at_zero",
      [](const py::handle& xobj) {
        auto xs = u64("mpc.lagrange_at_zero", "indices", xobj);
        U64 out(xs.size());
        mpc::lagrange_at_zero(xs.data(), static_cast<std::size_t>(xs.size()), out.mutable_data());
        return out;
      },
      py::arg("indices"));

  m.def(
      "pack_strided",
      [](const py::handle& obj, int log_f, int shift) {
        auto x = u64("mpc.pack_strided", "x", obj);
        std::size_t n = static_cast<std::size_t>(x.size());
        uint64_t mask = mpc::stride_mask(log_f);  // validates log_f
        (void)mask;
        std::size_t f = std::size_t{1} << log_f;
        U64 out(static_cast<py::ssize_t>((n + f - 1) / f));
        uint64_t* o = out.mutable_data();
        const uint64_t* px = x.data();
        py::gil_scoped_release release;
        mpc::pack_strided(px, n, log_f, o, shift);
        return out;
      },
      py::arg("x"), py::arg("log_f"), py::arg("shift") = 0, "Pack the bit positions that are multiples of 2^log_f of 2^log_f words into one.");
  m.def(
      "pack_tree4_inputs",
      [](const py::handle& pobj, const py::handle& gobj, int log_f, int s) {
        auto p = u64("mpc.pack_tree4_inputs", "p", pobj), g = u64("mpc.pack_tree4_inputs", "g", gobj);
        require_same_shape("mpc.pack_tree4_inputs", "g", g, p);
        mpc::stride_mask(log_f);
        if (s < 0 || 3 * s >= 64) throw_parameter("mpc.pack_tree4_inputs", "s", "is out of range", "0 <= 3 s < 64", s);
        std::size_t n = static_cast<std::size_t>(p.size()), f = std::size_t{1} << log_f;
        U64 out({py::ssize_t{7}, static_cast<py::ssize_t>((n + f - 1) / f)});
        uint64_t* o = out.mutable_data();
        const uint64_t *pp = p.data(), *pg = g.data();
        py::gil_scoped_release release;
        mpc::pack_tree4_inputs(pp, pg, n, log_f, s, o);
        return out;
      },
      py::arg("p"), py::arg("g"), py::arg("log_f"), py::arg("s"),
      "The 7 packed inputs (P3, P2, P1, P0, G2, G1, G0) of one 4-ary carry-tree level.");
  m.def(
      "unpack_strided",
      [](const py::handle& obj, std::size_t n, int log_f) {
        auto w = u64("mpc.unpack_strided", "w", obj);
        mpc::stride_mask(log_f);
        std::size_t f = std::size_t{1} << log_f;
        if (static_cast<std::size_t>(w.size()) != (n + f - 1) / f)
          throw_parameter("mpc.unpack_strided", "w", "has the wrong size", std::to_string((n + f - 1) / f) + " words",
                          w.size());
        U64 out(static_cast<py::ssize_t>(n));
        uint64_t* o = out.mutable_data();
        const uint64_t* pw = w.data();
        py::gil_scoped_release release;
        mpc::unpack_strided(pw, n, log_f, o);
        return out;
      },
      py::arg("w"), py::arg("n"), py::arg("log_f"), "Inverse of pack_strided on the masked positions.");
  m.def(
      "matmul_u64", [](const py::handle& a, const py::handle& b) { return matmul(a, b, false); }, py::arg("a"),
      py::arg("b"), "a @ b mod 2^64.");
  m.def(
      "matmul_tn_u64", [](const py::handle& a, const py::handle& b) { return matmul(a, b, true); }, py::arg("a"),
      py::arg("b"), "a.T @ b mod 2^64.");
  m.def(
      "beaver_mask",
      [](const py::handle& xobj, const py::handle& aobj) {
        auto x = u64("mpc.beaver_mask", "x", xobj), a = u64("mpc.beaver_mask", "a", aobj);
        require_same_shape("mpc.beaver_mask", "a", a, x);
        U64 out(shape_of(x));
        mpc::beaver_mask(x.data(), a.data(), static_cast<std::size_t>(x.size()), out.mutable_data());
        return out;
      },
      py::arg("x"), py::arg("a"), "x - a mod 2^64.");
  m.def(
      "beaver_mul_finish",
      [](int party, const py::handle& d, const py::handle& e, const py::handle& a, const py::handle& b,
         const py::handle& c) {
        return elementwise_finish<mpc::beaver_mul_finish>("mpc.beaver_mul_finish", party, d, e, a, b, c);
      },
      py::arg("party"), py::arg("d"), py::arg("e"), py::arg("a"), py::arg("b"), py::arg("c"));
  m.def(
      "beaver_and_finish",
      [](int party, const py::handle& d, const py::handle& e, const py::handle& a, const py::handle& b,
         const py::handle& c) {
        return elementwise_finish<mpc::beaver_and_finish>("mpc.beaver_and_finish", party, d, e, a, b, c);
      },
      py::arg("party"), py::arg("d"), py::arg("e"), py::arg("a"), py::arg("b"), py::arg("c"));
  m.def(
      "comparison_start",
      [](int party, const py::handle& cobj, const py::handle& robj) {
        const char* api = "mpc.comparison_start";
        auto c = u64(api, "c", cobj), rb = u64(api, "rb", robj);
        require_same_shape(api, "rb", rb, c);
        U64 g(shape_of(c)), p(shape_of(c));
        mpc::comparison_start(party, c.data(), rb.data(), static_cast<std::size_t>(c.size()), g.mutable_data(),
                              p.mutable_data());
        return py::make_tuple(g, p);
      },
      py::arg("party"), py::arg("c"), py::arg("rb"), "Generate/propagate words of the comparison of c with r.");
  m.def(
      "comparison_nonnegative",
      [](int party, const py::handle& cobj, const py::handle& robj, const py::handle& gobj) {
        const char* api = "mpc.comparison_nonnegative";
        auto c = u64(api, "c", cobj), rb = u64(api, "rb", robj), g = u64(api, "g", gobj);
        require_same_shape(api, "rb", rb, c);
        require_same_shape(api, "g", g, c);
        U64 out(shape_of(c));
        mpc::comparison_nonnegative(party, c.data(), rb.data(), g.data(), static_cast<std::size_t>(c.size()),
                                    out.mutable_data());
        return out;
      },
      py::arg("party"), py::arg("c"), py::arg("rb"), py::arg("g"), "XOR share of [x >= 0] from the final tree word.");
  m.def(
      "relu_finish",
      [](const py::handle& tobj, const py::handle& xobj, const py::handle& dobj, const py::handle& sobj,
         const py::handle& aobj) {
        const char* api = "mpc.relu_finish";
        auto t = u64(api, "t", tobj), x = u64(api, "x", xobj), d = u64(api, "d", dobj), s = u64(api, "s", sobj),
             as = u64(api, "as", aobj);
        require_same_shape(api, "x", x, t);
        require_same_shape(api, "d", d, t);
        require_same_shape(api, "s", s, t);
        require_same_shape(api, "as", as, t);
        U64 out(shape_of(t));
        mpc::relu_finish(t.data(), x.data(), d.data(), s.data(), as.data(), static_cast<std::size_t>(t.size()),
                         out.mutable_data());
        return out;
      },
      py::arg("t"), py::arg("x"), py::arg("d"), py::arg("s"), py::arg("as"), "t x + (1 - 2t)(d s + a s) mod 2^64.");
  m.def(
      "beaver_and_monomials",
      [](int party, const py::handle& dobj, const py::handle& idobj, const py::handle& sobj,
         const py::handle& mobj) {
        const char* api = "mpc.beaver_and_monomials";
        auto d = u64(api, "deltas", dobj), ids = u64(api, "subset_ids", idobj), sh = u64(api, "subset_shares", sobj),
             mono = u64(api, "monomials", mobj);
        require_2d(api, "deltas", d);
        std::size_t vars = d.shape(0), m = d.shape(1), k = ids.size();
        require_dims(api, "subset_shares", sh, k, m);
        U64 out({static_cast<py::ssize_t>(mono.size()), static_cast<py::ssize_t>(m)});
        mpc::beaver_and_monomials(party, d.data(), static_cast<int>(vars), m, ids.data(), sh.data(), k, mono.data(),
                                  static_cast<std::size_t>(mono.size()), out.mutable_data());
        return out;
      },
      py::arg("party"), py::arg("deltas"), py::arg("subset_ids"), py::arg("subset_shares"), py::arg("monomials"),
      "Shares of AND monomials of XOR-shared words from opened masked inputs (multi-input Beaver).");
  m.def(
      "beaver_matmul_finish",
      [](int party, const py::handle& d, const py::handle& e, const py::handle& a, const py::handle& b,
         const py::handle& c) { return matmul_finish(party, d, e, a, b, c, false); },
      py::arg("party"), py::arg("d"), py::arg("e"), py::arg("a"), py::arg("b"), py::arg("c"));
  m.def(
      "beaver_matmul_tn_finish",
      [](int party, const py::handle& d, const py::handle& e, const py::handle& a, const py::handle& b,
         const py::handle& c) { return matmul_finish(party, d, e, a, b, c, true); },
      py::arg("party"), py::arg("d"), py::arg("e"), py::arg("a"), py::arg("b"), py::arg("c"),
      "Share of d.T @ e-style Beaver product: D, A are (k, m); E, B are (k, n); C is (m, n).");
}

}  // namespace ppml::bindings
