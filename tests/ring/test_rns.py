"""RNS layer: CRT round trips, base conversion against exact integers, RnsPoly products
against naive negacyclic multiplication, automorphisms against their definition,
rescale against exact rounding, NumPy views without copies."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pyppml import ring

N = 32


def base_of(bits, count, n=N, skip=0):
    return ring.RnsBase(ring.find_ntt_primes(bits, n, count + skip)[skip:])


def random_poly(base, n, seed):
    rng = np.random.default_rng(seed)
    coeffs = np.stack([rng.integers(0, q, n, dtype=np.uint64) for q in base.moduli])
    return ring.RnsPoly.from_array(base, coeffs)


def as_ints(poly):
    return poly.base.compose(poly.coeffs)


def centered(x, q):
    return x - q if x > q // 2 else x


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 2**200), min_size=1, max_size=20), st.integers(1, 5))
def test_crt_round_trip(values, count):
    base = base_of(45, count)
    Q = base.product
    residues = base.decompose(values)
    assert residues.shape == (count, len(values))
    for i, q in enumerate(base.moduli):
        assert residues[i].tolist() == [v % q for v in values]
    assert base.compose(residues) == [v % Q for v in values]


def test_product_and_errors():
    base = base_of(40, 3)
    qs = base.moduli
    assert base.product == qs[0] * qs[1] * qs[2]
    with pytest.raises(ValueError, match="moduli are not pairwise coprime"):
        ring.RnsBase([qs[0], qs[0]])
    with pytest.raises(ValueError, match=r"residues has a coefficient out of range"):
        base.compose(np.array([[qs[0]], [0], [0]], dtype=np.uint64))


@pytest.mark.parametrize("src,dst", [(1, 3), (3, 2), (4, 4)])
def test_base_conversion_against_integers(src, dst):
    b = base_of(50, src)
    c = base_of(45, dst)
    Q = b.product
    rng = np.random.default_rng(src * 10 + dst)
    m = 200
    xs = [int.from_bytes(rng.bytes(8 * src), "little") % Q for _ in range(m)]
    xs[:3] = [0, Q - 1, Q // 2]
    conv = ring.BaseConverter(b, c)
    res = b.decompose(xs)
    approx = conv.convert(res)
    for j, p in enumerate(c.moduli):
        for k, x in enumerate(xs):
            # x + alpha*Q with 0 <= alpha < |B|
            assert any((x + a * Q) % p == int(approx[j, k]) for a in range(src))
    # Exact conversion is documented exact except within ~2^-50 Q of Q/2.
    keep = [k for k, x in enumerate(xs) if abs(x - Q // 2) > Q >> 40]
    xs = [xs[k] for k in keep]
    res = res[:, keep].copy()
    exact = conv.convert(res, exact=True)
    cent = conv.convert(res, exact=True, centered=True)
    # The non-centered lift's boundary is at x ~ Q (values just below Q may come out as x - Q).
    top = [k for k, x in enumerate(xs) if Q - x > Q >> 40]
    for j, p in enumerate(c.moduli):
        assert [int(exact[j, k]) for k in top] == [xs[k] % p for k in top]
        assert cent[j].tolist() == [centered(x, Q) % p for x in xs]


def naive_negacyclic(a, b, q):
    n = len(a)
    out = [0] * n
    for i in range(n):
        for j in range(n):
            v = a[i] * b[j]
            if i + j < n:
                out[i + j] += v
            else:
                out[i + j - n] -= v
    return [x % q for x in out]


def test_poly_ring_product_in_evaluation_form():
    base = base_of(50, 3)
    a, b = random_poly(base, N, 1), random_poly(base, N, 2)
    a_int, b_int = as_ints(a), as_ints(b)
    a.ntt()
    b.ntt()
    assert a.form == "evaluation"
    c = a * b
    c.intt()
    Q = base.product
    assert as_ints(c) == naive_negacyclic(a_int, b_int, Q)


def test_add_sub_neg_mul_add_scalar():
    base = base_of(40, 2)
    Q = base.product
    a, b = random_poly(base, N, 3), random_poly(base, N, 4)
    A, B = as_ints(a), as_ints(b)
    assert as_ints(a + b) == [(x + y) % Q for x, y in zip(A, B)]
    assert as_ints(a - b) == [(x - y) % Q for x, y in zip(A, B)]
    assert as_ints(-a) == [(-x) % Q for x in A]
    assert as_ints(a.multiply_scalar(12345678901234567)) == [x * 12345678901234567 % Q for x in A]
    ea, eb = a.copy(), b.copy()
    ea.ntt()
    eb.ntt()
    acc = ea.copy()
    acc.multiply_add(ea, eb)
    assert acc.coeffs.tolist() == ((ea * eb) + ea).coeffs.tolist()
    # In coefficient form a row product would be the coefficient-wise one, not the ring's.
    with pytest.raises(ValueError, match="RnsPoly.__mul__: self is in coefficient form; expected evaluation form"):
        a * b
    with pytest.raises(ValueError, match="RnsPoly.multiply_add: a is in coefficient form"):
        acc.multiply_add(a, eb)


def test_view_is_zero_copy():
    base = base_of(40, 2)
    p = ring.RnsPoly(N, base)
    view = p.coeffs
    view[1, 3] = 7
    assert p.coeffs[1, 3] == 7
    assert np.shares_memory(p.coeffs, p.coeffs)
    assert np.asarray(p).__array_interface__["data"][0] == view.__array_interface__["data"][0]


@pytest.mark.parametrize("k", [3, 5, 25, 2 * N - 1, -5])
def test_automorphism_definition_both_forms(k):
    base = base_of(50, 2)
    a = random_poly(base, N, 5)
    Q = base.product
    A = as_ints(a)
    kk = k % (2 * N)
    expect = [0] * N
    for i, v in enumerate(A):
        e = i * kk % (2 * N)
        if e < N:
            expect[e] = v
        else:
            expect[e - N] = (-v) % Q
    got = a.automorphism(k)
    assert as_ints(got) == expect
    ev = a.copy()
    ev.ntt()
    for backend in ring.available_backends():  # the AVX-512 block permutation too
        with ring.use_backend(backend):
            got_ev = ev.automorphism(k)
        got_ev.intt()
        assert as_ints(got_ev) == expect, backend


def test_automorphism_even_k_rejected():
    base = base_of(50, 1)
    with pytest.raises(ValueError, match="k is even"):
        ring.RnsPoly(N, base).automorphism(4)


@pytest.mark.parametrize("form", ["coefficient", "evaluation"])
def test_rescale_rounds(form):
    base = base_of(45, 3)
    qs = base.moduli
    Q = base.product
    a = random_poly(base, N, 6)
    A = as_ints(a)
    if form == "evaluation":
        a.ntt()
    r = a.rescale()
    assert r.limbs == 2 and r.form == form
    if form == "evaluation":
        r.intt()
    Q2 = qs[0] * qs[1]
    ql = qs[2]
    # round(x / q_l) with x taken in [0, Q): floor((x + q_l//2) / q_l) mod Q'
    assert as_ints(r) == [((x + ql // 2) // ql) % Q2 for x in A]


def test_operands_mismatch_errors():
    a = random_poly(base_of(40, 2), N, 7)
    b = random_poly(base_of(40, 3), N, 8)
    with pytest.raises(ValueError, match="operands have different RNS bases"):
        a + b
    c = a.copy()
    c.ntt()
    with pytest.raises(ValueError, match="operands are in different forms"):
        a + c
    with pytest.raises(ValueError, match="other is in coefficient form"):
        c * a
    with pytest.raises(ValueError, match="already in evaluation form"):
        c.ntt()


@pytest.mark.parametrize("bits", [30, 45, 50, 55, 61])
def test_scalar_multiply_and_rescale_identical_on_every_backend(bits):
    base = base_of(bits, 3, n=64)
    a = random_poly(base, 64, bits)
    a.coeffs[:, :3] = np.array(base.moduli, dtype=np.uint64)[:, None] - 1
    results = {}
    for backend in ring.available_backends():
        with ring.use_backend(backend):
            e = a.copy()
            e.ntt()
            results[backend] = (a.multiply_scalar(2**70 + 12345).coeffs.copy(), a.rescale().coeffs.copy(),
                                e.rescale().coeffs.copy())
    ref = results["scalar"]
    for backend, got in results.items():
        for x, y in zip(got, ref):
            assert np.array_equal(x, y), backend


@pytest.mark.parametrize("src_bits,dst_bits", [([40, 40, 40], [40, 45, 49]), ([60], [40, 55, 61]),
                                               ([40, 60], [40, 40, 55]), ([55, 61, 50, 49, 40, 58], [40, 60, 36]),
                                               ([40, 44, 49], [55, 60, 61, 40, 51]),
                                               ([52, 50, 44, 40, 49, 51, 52, 45], [61, 60, 51, 54]),
                                               ([40] * 15, [50, 60]), ([40] * 16, [50, 60])],
                         ids=["q40-ifma", "p60-one-source", "q40+p60-fused-rescale", "mixed6", "narrow-to-wide",
                              "narrow8-to-wide-folds", "alpha-table16", "alpha-table17-gather"])
def test_base_conversion_identical_on_every_backend(src_bits, dst_bits):
    """The SIMD base conversion (scaled inputs, the weighted sums on IFMA with wide inputs
    split at 2^52, narrow inputs into 51-61-bit primes on IFMA with the weights split at
    2^52 (folded every few terms), or on 64-bit lanes, the double-lane estimate of alpha and its table
    correction) is bit-identical to the scalar one, and right against Python integers."""
    b = ring.RnsBase([ring.find_ntt_primes(bits, 64, i + 1)[-1] for i, bits in enumerate(src_bits)])
    c = ring.RnsBase([ring.find_ntt_primes(bits, 64, i + 3)[-1] for i, bits in enumerate(dst_bits)])
    Q = b.product
    rng = np.random.default_rng(len(src_bits) * 7 + len(dst_bits))
    m = 4096 + 13  # every SIMD block shape and a tail
    xs = [int.from_bytes(rng.bytes(8 * len(src_bits)), "little") % Q for _ in range(m)]
    xs[:4] = [0, Q - 1, 1, Q // 3]
    res = b.decompose(xs)
    conv = ring.BaseConverter(b, c)
    ref = {}
    for backend in ring.available_backends():
        with ring.use_backend(backend):
            got = (conv.convert(res), conv.convert(res, exact=True), conv.convert(res, exact=True, centered=True))
        if not ref:
            ref = dict(zip(("approx", "exact", "centered"), got))
            continue
        for name, x in zip(("approx", "exact", "centered"), got):
            assert np.array_equal(x, ref[name]), (backend, name)
    sample = list(range(0, m, 97)) + [0, 1, 2, 3]
    for j, p in enumerate(c.moduli):
        assert [int(ref["exact"][j, k]) for k in sample] == [xs[k] % p for k in sample]
        assert [int(ref["centered"][j, k]) for k in sample] == [centered(xs[k], Q) % p for k in sample]


@pytest.mark.parametrize("src_bits", [(61, 60), (40,), (61, 61, 61, 61, 61), (40, 50, 60)])
def test_exact_base_conversion_is_exact_at_the_lift_boundaries(src_bits):
    """Review: the doubles that estimate alpha cannot decide within their rounding error of
    the boundary (x ~ Q and x ~ 0 for the plain lift, x ~ Q/2 for the centered one): with
    Q ~ 2^121 every x in about [Q - 2^70, Q) came back as x - Q. There the integers decide
    now: against Python integers on every backend, for x at and around each boundary."""
    b = ring.RnsBase([ring.find_ntt_primes(bits, 64, i + 1)[-1] for i, bits in enumerate(src_bits)])
    c = ring.RnsBase(ring.find_ntt_primes(61, 64, 1) + ring.find_ntt_primes(45, 64, 1))
    Q = b.product
    near = [0, 1, 2, 1 << 20, Q - 1, Q - 2, Q - (1 << 20), Q - (Q >> 60), Q // 2, Q // 2 + 1, Q // 2 - 1,
            (Q + 1) // 2, Q // 2 + (Q >> 60), Q // 2 - (Q >> 60), Q >> 60]
    xs = [x % Q for x in near] * 3  # 45 values: full SIMD blocks and a tail
    res = b.decompose(xs)
    conv = ring.BaseConverter(b, c)
    for backend in ring.available_backends():
        with ring.use_backend(backend):
            exact, centred = conv.convert(res, exact=True), conv.convert(res, exact=True, centered=True)
        for j, p in enumerate(c.moduli):
            assert [int(v) for v in exact[j]] == [x % p for x in xs], (backend, j)
            assert [int(v) for v in centred[j]] == [centered(x, Q) % p for x in xs], (backend, j)


def test_base_conversion_narrow_to_wide_extremes():
    """Eight 52-bit sources into 60-61-bit primes (the IFMA kernel with split weights
    folds its high sum every few terms so that it never wraps at 2^64): scaled inputs at
    the top of their range (q_i - 1 - r), against Python integers and the scalar backend."""
    b = ring.RnsBase(ring.find_ntt_primes(52, 64, 8))
    c = ring.RnsBase(ring.find_ntt_primes(61, 64, 3) + ring.find_ntt_primes(60, 64, 1))
    Q = b.product
    rng = np.random.default_rng(5)
    # x_i = -(1 + r) (Q/q_i) mod q_i: the scaled inputs x_i (Q/q_i)^-1 are q_i - 1 - r.
    rows = []
    for q in b.moduli:
        qhat = (Q // q) % q
        rows.append([(-(1 + int(r)) * qhat) % q for r in rng.integers(0, 1 << 12, 2048)])
    res = np.array(rows, dtype=np.uint64)
    conv = ring.BaseConverter(b, c)
    got = conv.convert(res)
    with ring.use_backend("scalar"):
        assert np.array_equal(got, conv.convert(res))
    xs = b.compose(np.ascontiguousarray(res[:, :64]))
    for j, p in enumerate(c.moduli):
        for k in range(64):
            assert any((int(xs[k]) + a * Q) % p == int(got[j, k]) for a in range(8))


def test_base_conversion_blocks_match_whole_rows():
    """Long rows are converted block by block of 2048 coefficients, every target per block
    (one thread: 6 blocks); few blocks per thread (4 threads) convert target by target
    over whole rows. Both give the same bits, a tail block included, and the right values."""
    import pyppml

    b = ring.RnsBase(ring.find_ntt_primes(60, 2048, 5))
    c = ring.RnsBase(ring.find_ntt_primes(40, 2048, 2) + ring.find_ntt_primes(49, 2048, 1) + ring.find_ntt_primes(61, 2048, 1))
    Q = b.product
    rng = np.random.default_rng(11)
    m = 5 * 2048 + 13
    xs = [int.from_bytes(rng.bytes(40), "little") % Q for _ in range(m)]
    res = b.decompose(xs)
    conv = ring.BaseConverter(b, c)
    before = pyppml.get_num_threads()
    try:
        pyppml.set_num_threads(1)
        blocked = (conv.convert(res), conv.convert(res, exact=True, centered=True))
        pyppml.set_num_threads(4)
        whole = (conv.convert(res), conv.convert(res, exact=True, centered=True))
    finally:
        pyppml.set_num_threads(before)
    for x, y in zip(blocked, whole):
        assert np.array_equal(x, y)
    sample = list(range(0, m, 101)) + list(range(m - 13, m))
    for j, p in enumerate(c.moduli):
        for k in sample:
            assert any((xs[k] + a * Q) % p == int(blocked[0][j, k]) for a in range(5))
            assert int(blocked[1][j, k]) == centered(xs[k], Q) % p


def test_ring_objects_pickle_by_value():
    # Tables by (n, q), bases by their moduli, polynomials by value: rows out of band
    # under protocol 5 (zero-copy through Dask or Ray), the form kept.
    import pickle

    base = base_of(40, 2)
    tables = ring.NttTables(N, base.moduli[0])
    p = random_poly(base, N, 11)
    p.ntt()
    for obj in (tables, base, p):
        back = pickle.loads(pickle.dumps(obj, protocol=5))
        assert type(back) is type(obj)
    assert (pickle.loads(pickle.dumps(tables)).n, pickle.loads(pickle.dumps(tables)).q) == (N, base.moduli[0])
    assert pickle.loads(pickle.dumps(base)).moduli == base.moduli
    buffers = []
    data = pickle.dumps(p, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1 and len(data) < 1024
    back = pickle.loads(data, buffers=buffers)
    assert back.form == "evaluation" and np.array_equal(back.coeffs, p.coeffs)
    assert (back * p).coeffs.tolist() == (p * p).coeffs.tolist()


def test_secret_polynomial_does_not_pickle():
    import pickle

    from pyppml import ckks
    from pyppml._core import he

    ctx = ckks.Context.bootstrappable(poly_degree=2048, security=None, levels_after=1)
    secret = he._sample_sparse_ternary_for_tests(ctx._native, 32)
    public = ring.RnsPoly(secret.coeffs.shape[1], secret.base, "evaluation")
    # Whatever is computed from a secret is secret (fix review: -s and s + 0 pickled, and
    # the core's temporaries derived from a secret were not wiped).
    for derived in (secret, -secret, secret + public, public - secret, public * secret, secret.automorphism(3),
                    secret.multiply_scalar(3)):
        with pytest.raises(ValueError, match="RnsPoly.__reduce__: self is secret"):
            pickle.dumps(derived)
    acc = public.copy()
    acc.multiply_add(public, secret)
    with pytest.raises(ValueError, match="self is secret"):
        pickle.dumps(acc)
    assert pickle.loads(pickle.dumps(public + public)).coeffs.shape == public.coeffs.shape


def test_public_rlwe_samples_are_not_flagged_secret():
    # Ciphertexts, public-key and decryption shares are drawn into the error's secret
    # buffer; once the error is masked they are public values (review round 4: they were
    # refused by pickling and wiped for nothing).
    import pickle

    from pyppml import ckks

    ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[40, 30], special_mod_bits=[40], scale_bits=30, security=None)
    ctx.keygen()
    native = ctx._native
    polys = [ctx.encrypt(np.ones(4), symmetric=sym)._native.poly(i) for sym in (False, True) for i in range(2)]
    polys.append(native.public_key_share(ctx.secret_key, bytes(32)))
    polys.append(native.decryption_share(ctx.secret_key, ctx.encrypt(np.ones(4), symmetric=False)._native, 40))
    for p in polys:
        assert np.array_equal(pickle.loads(pickle.dumps(p)).coeffs, p.coeffs)
