"""Element-wise modular kernels (rns/eltwise*.cpp): the scalar kernels against Python-int
arithmetic on small cases, then every backend (through the dispatcher) and every kernel
table compiled in (forced with ``kernel=``) bit-for-bit against the scalar one, for primes
of 20 to 61 bits including the largest below the IFMA bound 2^50 and below 2^61, the
extreme inputs 0 and q - 1, lengths with a tail (n mod 8 != 0), and 1 to 64 inner-product
terms."""

import numpy as np
import pytest

from pyppml import _core, ring

OPS = ["add", "sub", "mul", "mul_add"]
# 49/50: IFMA path (q < 2^50); 51: just above it (64-bit lanes); 61: largest supported.
BITS = [20, 30, 40, 49, 50, 51, 55, 60, 61]
KERNELS = _core.eltwise_kernels()
SIMD_KERNELS = [k for k in KERNELS if k != "scalar"]
BACKENDS = ring.available_backends()


def _prime(bits):
    return ring.find_ntt_primes(bits, 1024, 1)[0]


def _kernels_for(q):
    return [k for k in SIMD_KERNELS if not (k == "avx512ifma" and q >= 1 << 50)]


def _python_op(op, q, a, b, c):
    a, b, c = (int(x) for x in a), (int(x) for x in b), (int(x) for x in c)
    f = {
        "add": lambda x, y, z: (x + y) % q,
        "sub": lambda x, y, z: (x - y) % q,
        "mul": lambda x, y, z: x * y % q,
        "mul_add": lambda x, y, z: (z + x * y) % q,
    }[op]
    return np.array([f(x, y, z) for x, y, z in zip(a, b, c)], dtype=np.uint64)


def _operands(q, n, seed):
    """Random a, b, acc in [0, q) whose first lanes hold the extremes 0 and q - 1 in every
    combination (largest product (q-1)^2 + (q-1) in the first lane)."""
    rng = np.random.default_rng(seed)
    a, b, c = (rng.integers(0, q, n, dtype=np.uint64) for _ in range(3))
    a[:4] = [q - 1, q - 1, 0, 0]
    b[:4] = [q - 1, 0, q - 1, 0]
    c[:4] = [q - 1, q - 1, 0, 0]
    a[-8:] = q - 1  # a full vector of extremes, partly in the tail when n mod 8 != 0
    b[-8:] = q - 1
    return a, b, c


def _run(op, q, a, b, c, **kw):
    if op == "mul_add":
        out = c.copy()
        got = _core.eltwise(op, q, a, b, out, **kw)
        assert got is out or np.shares_memory(got, out)
        return out
    return _core.eltwise(op, q, a, b, **kw)


def _inner_python(q, a, b):
    return np.array(
        [sum(int(x) * int(y) for x, y in zip(a[:, k], b[:, k])) % q for k in range(a.shape[1])], dtype=np.uint64
    )


# --- scalar kernels against Python ints ---------------------------------------------------


@pytest.mark.parametrize("bits", [2, 20, 49, 50, 61], ids=lambda b: f"q{b}")
@pytest.mark.parametrize("op", OPS)
def test_scalar_matches_python_ints(op, bits):
    q = 3 if bits == 2 else _prime(bits)
    a, b, c = _operands(q, 37, bits)
    assert np.array_equal(_run(op, q, a, b, c, kernel="scalar"), _python_op(op, q, a, b, c))


@pytest.mark.parametrize("terms", [1, 2, 31, 32, 33, 64], ids=lambda t: f"terms{t}")
@pytest.mark.parametrize("bits", [20, 50, 61], ids=lambda b: f"q{b}")
def test_scalar_inner_product_matches_python_ints(bits, terms):
    q = _prime(bits)
    rng = np.random.default_rng(bits * 100 + terms)
    a = rng.integers(0, q, (terms, 24), dtype=np.uint64)
    b = rng.integers(0, q, (terms, 24), dtype=np.uint64)
    a[:, :8] = q - 1  # the largest sums: terms * (q - 1)^2
    b[:, :8] = q - 1
    assert np.array_equal(_core.inner_product_mod(q, a, b, kernel="scalar"), _inner_python(q, a, b))


def test_known_answers():
    q = 97
    a = np.array([96, 0, 50, 96, 1, 2, 3, 4, 5], dtype=np.uint64)
    b = np.array([96, 96, 50, 1, 1, 2, 3, 4, 96], dtype=np.uint64)
    for kernel in KERNELS:
        assert _core.eltwise("add", q, a, b, kernel=kernel).tolist() == [95, 96, 3, 0, 2, 4, 6, 8, 4]
        assert _core.eltwise("sub", q, a, b, kernel=kernel).tolist() == [0, 1, 0, 95, 0, 0, 0, 0, 6]
        assert _core.eltwise("mul", q, a, b, kernel=kernel).tolist() == [1, 0, 75, 96, 1, 4, 9, 16, 92]
        stack = np.stack([a, b])
        assert _core.inner_product_mod(q, stack, stack, kernel=kernel).tolist() == [2, 1, 53, 2, 2, 8, 18, 32, 26]


# --- every SIMD path bit-identical to the scalar one ---------------------------------------


@pytest.mark.skipif(not SIMD_KERNELS, reason="no SIMD element-wise kernel on this machine")
@pytest.mark.parametrize("n", [8, 13, 1024, 1031], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("bits", BITS, ids=lambda b: f"q{b}")
@pytest.mark.parametrize("op", OPS)
def test_kernels_bit_identical_to_scalar(op, bits, n):
    q = _prime(bits)
    a, b, c = _operands(q, n, bits * 10000 + n)
    ref = _run(op, q, a, b, c, kernel="scalar")
    assert ref.max() < q
    for kernel in _kernels_for(q):
        assert np.array_equal(_run(op, q, a, b, c, kernel=kernel), ref), kernel


@pytest.mark.parametrize("n", [8, 1031, 4096], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("bits", BITS, ids=lambda b: f"q{b}")
@pytest.mark.parametrize("op", OPS)
def test_backends_bit_identical_to_scalar(op, bits, n):
    q = _prime(bits)
    a, b, c = _operands(q, n, bits * 1000 + n)
    with ring.use_backend("scalar"):
        ref = _run(op, q, a, b, c)
    for backend in BACKENDS:
        with ring.use_backend(backend):
            assert np.array_equal(_run(op, q, a, b, c), ref), backend


@pytest.mark.parametrize("terms", list(range(1, 65)), ids=lambda t: f"terms{t}")
@pytest.mark.parametrize("bits", [20, 40, 49, 50, 51, 61], ids=lambda b: f"q{b}")
def test_inner_product_bit_identical_to_scalar(bits, terms):
    q = _prime(bits)
    n = 72 + 5  # one 64-coefficient block, one vector, a tail of 5
    rng = np.random.default_rng(bits * 1000 + terms)
    a = rng.integers(0, q, (terms, n), dtype=np.uint64)
    b = rng.integers(0, q, (terms, n), dtype=np.uint64)
    a[:, :16] = q - 1
    b[:, :16] = q - 1
    a[:, -3:] = q - 1  # extremes in the tail lanes too
    b[:, -3:] = q - 1
    ref = _core.inner_product_mod(q, a, b, kernel="scalar")
    assert ref.max() < q
    for kernel in _kernels_for(q):
        assert np.array_equal(_core.inner_product_mod(q, a, b, kernel=kernel), ref), kernel
    for backend in BACKENDS:
        with ring.use_backend(backend):
            assert np.array_equal(_core.inner_product_mod(q, a, b), ref), backend


def _assert_every_kernel_gives(ref, q, a, b, **layout):
    """Both outputs of the two-output inner product on `layout` (packed=True or
    interleaved=True) equal `ref` through every kernel table and every backend."""
    for kernel in _kernels_for(q) + ["scalar"]:
        got = _core.inner_product_mod(q, a, b, kernel=kernel, **layout)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1]), kernel
    for backend in BACKENDS:
        with ring.use_backend(backend):
            got = _core.inner_product_mod(q, a, b, **layout)
            assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1]), backend


@pytest.mark.parametrize("n", [8, 512, 1024 + 8], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("bits", [20, 33, 40, 49, 50, 51, 54, 55, 57, 58, 60], ids=lambda b: f"q{b}")
def test_packed_inner_product_matches_plain_scalar(bits, n):
    # Key-switching keys are kept bit-packed to their prime's width (rns/packed_poly.hpp) and
    # unpacked inside the kernels (vpermb in the IFMA one and, for 51-57 bits, the 64-bit
    # lanes' one) or span by span: every kernel and backend on packed rows gives the scalar
    # kernel's result on plain words. n = 1032 runs two 512-coefficient spans (four of the
    # 64-bit kernel's) and a tail that falls back to the block path.
    q = _prime(bits)
    terms = 21
    rng = np.random.default_rng(bits * 7 + n)
    a, b, b1 = rng.integers(0, q, (3, terms, n), dtype=np.uint64)
    b[:, :9] = q - 1  # all-ones patterns cross every byte boundary of a group
    b1[:, -9:] = q - 1
    ref = _core.inner_product_mod(q, a, b, kernel="scalar", b1=b1)
    _assert_every_kernel_gives(ref, q, a, b, b1=b1, packed=True)
    naive = [sum(int(x) * int(y) for x, y in zip(a[:, k], b[:, k])) % q for k in range(0, n, max(1, n // 16))]
    assert ref[0][:: max(1, n // 16)].tolist() == naive


@pytest.mark.parametrize("n", [8, 512, 2048 + 8], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("terms,stored", [(1, 1), (7, 7), (9, 12), (21, 41)], ids=lambda v: str(v))
@pytest.mark.parametrize("bits", [30, 40, 50, 54], ids=lambda b: f"q{b}")
def test_interleaved_inner_product_matches_plain_scalar(bits, terms, stored, n):
    # The auxiliary-basis key rows (he/rlwe/key_switch_aux.hpp) keep both halves of every
    # digit in one interleaved stream (rns/interleaved_rows.hpp) that the IFMA kernel reads
    # in order; a switch below the top level reads a prefix of the stored digits, a group
    # of 4 possibly cut short. Every kernel and backend gives the scalar kernel's result on
    # plain words of the first `terms` rows; n = 2056 runs 4 whole spans and a tail.
    q = _prime(bits)
    rng = np.random.default_rng(bits * 11 + terms + n)
    a = rng.integers(0, q, (terms, n), dtype=np.uint64)
    b, b1 = rng.integers(0, q, (2, stored, n), dtype=np.uint64)
    b[:, :9] = q - 1
    b1[:, -9:] = q - 1
    ref = _core.inner_product_mod(q, a, b[:terms].copy(), kernel="scalar", b1=b1[:terms].copy())
    _assert_every_kernel_gives(ref, q, a, b, b1=b1, interleaved=True)
    step = max(1, n // 16)
    naive0 = [sum(int(x) * int(y) for x, y in zip(a[:, k], b[:terms, k])) % q for k in range(0, n, step)]
    naive1 = [sum(int(x) * int(y) for x, y in zip(a[:, k], b1[:terms, k])) % q for k in range(0, n, step)]
    assert ref[0][::step].tolist() == naive0 and ref[1][::step].tolist() == naive1


def test_interleaved_inner_product_bad_arguments():
    q = _prime(40)
    a = np.zeros((3, 16), dtype=np.uint64)
    with pytest.raises(ValueError, match="fewer rows"):
        _core.inner_product_mod(q, a, a[:2].copy(), b1=a[:2].copy(), interleaved=True)
    with pytest.raises(ValueError, match="b1"):
        _core.inner_product_mod(q, a, a, interleaved=True)
    with pytest.raises(ValueError, match="packed"):
        _core.inner_product_mod(q, a, a, b1=a, interleaved=True, packed=True)
    with pytest.raises(ValueError, match="multiple of 8"):
        _core.inner_product_mod(q, a[:, :12].copy(), a[:, :12].copy(), b1=a[:, :12].copy(), interleaved=True)


def test_packed_inner_product_bad_arguments():
    q = _prime(40)
    a = np.zeros((2, 12), dtype=np.uint64)
    with pytest.raises(ValueError, match="multiple of 8"):
        _core.inner_product_mod(q, a, a, b1=a, packed=True)
    with pytest.raises(ValueError, match="b1"):
        _core.inner_product_mod(q, a[:, :8].copy(), a[:, :8].copy(), packed=True)


@pytest.mark.skipif(not SIMD_KERNELS, reason="no SIMD element-wise kernel on this machine")
@pytest.mark.parametrize("terms", [0, 200, 1000], ids=lambda t: f"terms{t}")
def test_inner_product_many_or_no_terms(terms):
    q = _prime(49)
    rng = np.random.default_rng(terms)
    a = np.full((terms, 40), q - 1, dtype=np.uint64)
    b = rng.integers(0, q, (terms, 40), dtype=np.uint64)
    b[:, :8] = q - 1
    ref = _core.inner_product_mod(q, a, b, kernel="scalar")
    for kernel in _kernels_for(q):
        assert np.array_equal(_core.inner_product_mod(q, a, b, kernel=kernel), ref), kernel


@pytest.mark.skipif(not SIMD_KERNELS, reason="no SIMD element-wise kernel on this machine")
@pytest.mark.parametrize("q", [2, 3, 4, 1 << 20, (1 << 20) + 1, 1 << 49, (1 << 50) - 1, 1 << 60, (1 << 61) - 1])
def test_any_modulus_not_only_primes(q):
    """Small moduli and powers of two, where the Barrett constants hit their caps."""
    a, b, c = _operands(q, 29, q % 1000)
    for op in OPS:
        ref = _run(op, q, a, b, c, kernel="scalar")
        assert np.array_equal(ref, _python_op(op, q, a, b, c)), op
        for kernel in _kernels_for(q):
            assert np.array_equal(_run(op, q, a, b, c, kernel=kernel), ref), (op, kernel)
    stack_a, stack_b = np.stack([a] * 40), np.stack([b] * 40)
    ref = _core.inner_product_mod(q, stack_a, stack_b, kernel="scalar")
    for kernel in _kernels_for(q):
        assert np.array_equal(_core.inner_product_mod(q, stack_a, stack_b, kernel=kernel), ref), kernel


# --- argument checks ------------------------------------------------------------------------


def test_bad_arguments_raise_value_error():
    q = _prime(30)
    a = np.zeros(16, dtype=np.uint64)
    with pytest.raises(ValueError, match="op"):
        _core.eltwise("div", q, a, a)
    with pytest.raises(ValueError, match="dtype"):
        _core.eltwise("add", q, a.astype(np.int64), a)
    with pytest.raises(ValueError, match="shape"):
        _core.eltwise("add", q, a, np.zeros(8, dtype=np.uint64))
    with pytest.raises(ValueError, match="out of range"):
        _core.eltwise("mul", q, a, np.full(16, q, dtype=np.uint64))
    with pytest.raises(ValueError, match="out"):
        _core.eltwise("mul_add", q, a, a)
    with pytest.raises(ValueError, match="q"):
        _core.eltwise("add", 1 << 61, a, a)
    with pytest.raises(ValueError, match="kernel"):
        _core.eltwise("add", q, a, a, kernel="cuda")
    with pytest.raises(ValueError, match="repeat"):
        _core.eltwise("add", q, a, a, repeat=0)
    if "avx512ifma" in KERNELS:
        big = _prime(51)
        with pytest.raises(ValueError, match="2\\^50"):
            _core.eltwise("mul", big, a, a, kernel="avx512ifma")
    stack = np.zeros((3, 16), dtype=np.uint64)
    with pytest.raises(ValueError, match="shape"):
        _core.inner_product_mod(q, stack, np.zeros((2, 16), dtype=np.uint64))
    with pytest.raises(ValueError, match="shape"):
        _core.inner_product_mod(q, a, a)
    with pytest.raises(ValueError, match="out of range"):
        _core.inner_product_mod(q, stack, np.full((3, 16), q, dtype=np.uint64))


@pytest.mark.parametrize("n", [512, 1024 + 77, 4096], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("terms", [1, 4, 7, 8, 9, 12, 20, 33, 130], ids=lambda t: f"terms{t}")
@pytest.mark.parametrize("bits", [40, 49, 55, 60, 61], ids=lambda b: f"q{b}")
def test_key_switching_inner_products_bit_identical_to_scalar(bits, terms, n):
    """The ring-sized inner products (coefficient blocks with accumulators in memory, terms
    in groups; the carry fold every 8 terms) and the two-output form against the scalar
    kernel, with all-extreme operands in the first and last blocks."""
    q = _prime(bits)
    rng = np.random.default_rng(bits * 100 + terms + n)
    a, b0, b1 = (rng.integers(0, q, (terms, n), dtype=np.uint64) for _ in range(3))
    for x in (a, b0, b1):
        x[:, :600] = q - 1
        x[:, -9:] = q - 1
    ref0 = _core.inner_product_mod(q, a, b0, kernel="scalar")
    ref1 = _core.inner_product_mod(q, a, b1, kernel="scalar")
    assert np.array_equal(ref0[:8], np.full(8, (q - 1) ** 2 * terms % q, dtype=np.uint64))
    for kernel in ["scalar"] + _kernels_for(q):
        got0, got1 = _core.inner_product_mod(q, a, b0, kernel=kernel, b1=b1)
        assert np.array_equal(got0, ref0), kernel
        assert np.array_equal(got1, ref1), kernel
        assert np.array_equal(_core.inner_product_mod(q, a, b1, kernel=kernel), ref1), kernel


@pytest.mark.parametrize("bits", [20, 32, 40, 49, 50, 51, 55, 60, 61], ids=lambda b: f"q{b}")
def test_scalar_ops_bit_identical_to_python_ints(bits):
    """a * w mod q for any 64-bit a (the reduction of a wider prime's residues when w = 1)
    and (a + w) mod q, every kernel, against Python integers."""
    q = _prime(bits)
    rng = np.random.default_rng(bits)
    wide = rng.integers(0, 2**64 - 1, 77, dtype=np.uint64, endpoint=True)
    wide[:4] = [0, 2**64 - 1, q, q - 1]
    small = rng.integers(0, q, 77, dtype=np.uint64)
    small[:2] = [0, q - 1]
    for kernel in ["scalar"] + _kernels_for(q):
        for w in (0, 1, 2, q - 1, int(rng.integers(0, q))):
            got = _core.eltwise_scalar("mul", q, wide, w, kernel=kernel)
            assert got.tolist() == [int(x) * w % q for x in wide], (kernel, w)
            got = _core.eltwise_scalar("add", q, small, w, kernel=kernel)
            assert got.tolist() == [(int(x) + w) % q for x in small], (kernel, w)
    with pytest.raises(ValueError, match="w"):
        _core.eltwise_scalar("mul", q, wide, q)
    with pytest.raises(ValueError, match="out of range"):
        _core.eltwise_scalar("add", q, wide, 1)


# --- the fused ModDown / rescale tail: ((a - b) w + c u) mod q ------------------------------


def _scale_diff_add_python(q, a, b, w, c, u):
    out = []
    for k in range(len(a)):
        d = int(a[k]) - (int(b[k]) if b is not None else 0)
        out.append((d * w + (int(c[k]) * u if c is not None else 0)) % q)
    return out


@pytest.mark.parametrize("n", [8, 13, 1031, 2056], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("bits", BITS, ids=lambda b: f"q{b}")
@pytest.mark.parametrize("with_b", [True, False], ids=["b", "no_b"])
@pytest.mark.parametrize("with_c", [True, False], ids=["c", "no_c"])
def test_scale_diff_add_every_kernel_against_python_ints(with_c, with_b, bits, n):
    """Every kernel table (the IFMA kernel, the avx512 table's composition, scalar) and every
    backend through the dispatcher, against Python integers, with the extremes 0 and q - 1
    in the inputs and the scalars (w = u = q - 1 makes the largest products)."""
    q = _prime(bits)
    a, b, c = _operands(q, n, bits * 7 + n)
    rng = np.random.default_rng(n * bits)
    bb = b if with_b else None
    cc = c if with_c else None
    for w, u in ((q - 1, q - 1), (0, 1), (1, 0), tuple(int(x) for x in rng.integers(0, q, 2))):
        ref = _scale_diff_add_python(q, a, bb, w, cc, u)
        for kernel in ["scalar"] + _kernels_for(q):
            got = _core.eltwise_scale_diff_add(q, a, bb, w, cc, u, kernel=kernel)
            assert got.tolist() == ref, (kernel, w, u)
        for backend in BACKENDS:
            with ring.use_backend(backend):
                assert _core.eltwise_scale_diff_add(q, a, bb, w, cc, u).tolist() == ref, (backend, w, u)


def test_scale_diff_add_bad_arguments():
    q = _prime(40)
    a = np.zeros(16, dtype=np.uint64)
    with pytest.raises(ValueError, match="w"):
        _core.eltwise_scale_diff_add(q, a, None, q, None, 0)
    with pytest.raises(ValueError, match="u"):
        _core.eltwise_scale_diff_add(q, a, None, 1, None, q)
    big = a.copy()
    big[3] = q
    for args in ((big, None, None), (a, big, None), (a, None, big)):
        with pytest.raises(ValueError, match="out of range"):
            _core.eltwise_scale_diff_add(q, args[0], args[1], 1, args[2], 1)
    with pytest.raises(ValueError, match="b"):
        _core.eltwise_scale_diff_add(q, a, a[:8], 1, None, 0)
