"""The C ABI's own settings (backend, threads): every backend this machine has gives the
scalar backend's bytes through the C ABI itself, the scalar backend agrees with a naive
oracle, results do not depend on the thread count, and bad settings are refused."""

import numpy as np
import pytest

from pyppml import capi, ring
from pyppml.capi import ffi, handles, lib

NULL = ffi.NULL
rng = np.random.default_rng(27)  # test inputs only; no secret randomness here
BACKENDS = ring.available_backends()  # same build and CPU as the C ABI library


@pytest.fixture(autouse=True)
def _restore_settings():
    threads = lib.ppml_get_num_threads()
    yield
    capi.check(lib.ppml_set_backend(b"auto"))
    capi.check(lib.ppml_set_num_threads(threads))


def _use(backend):
    capi.check(lib.ppml_set_backend(backend.encode()))
    assert ffi.string(lib.ppml_backend()).decode() == backend


def _ring_outputs(q, n, a, b):
    """NTT forward and inverse and the four element-wise kernels on (a, b), via the C ABI."""
    t = ffi.new("ppml_ntt_tables**")
    capi.check(lib.ppml_ntt_tables_create(n, q, t))
    tables = ffi.gc(t[0], lib.ppml_ntt_tables_free)
    out = {}
    fwd = a.copy()
    capi.check(lib.ppml_ntt_forward(tables, capi.u64_ptr(fwd), n))
    out["forward"] = fwd
    inv = b.copy()
    capi.check(lib.ppml_ntt_inverse(tables, capi.u64_ptr(inv), n))
    out["inverse"] = inv
    for op in ("add", "sub", "mul"):
        res = np.empty(n, dtype=np.uint64)
        capi.check(getattr(lib, f"ppml_eltwise_{op}_mod")(capi.u64_ptr(a), capi.u64_ptr(b), capi.u64_ptr(res), n, q))
        out[op] = res
    res = np.empty(n, dtype=np.uint64)
    capi.check(lib.ppml_eltwise_mul_scalar_mod(capi.u64_ptr(a), int(b[0]), capi.u64_ptr(res), n, q))
    out["mul_scalar"] = res
    return out


# 30 and 49 bits run the IFMA kernels where the CPU has them, 55 and 60 the 64-bit lanes.
@pytest.mark.parametrize("bits", [30, 49, 55, 60])
@pytest.mark.parametrize("n", [16, 1024, 8192])
def test_every_backend_equals_scalar_bit_for_bit(n, bits):
    q = ring.find_ntt_primes(bits, n, 1)[0]
    a, b = rng.integers(0, q, size=n, dtype=np.uint64), rng.integers(0, q, size=n, dtype=np.uint64)
    _use("scalar")
    scalar = _ring_outputs(q, n, a, b)
    for backend in BACKENDS:
        _use(backend)
        got = _ring_outputs(q, n, a, b)
        for name, ref in scalar.items():
            assert np.array_equal(got[name], ref), (backend, name)


@pytest.mark.parametrize("bits", [30, 60])
def test_scalar_backend_equals_naive_negacyclic_product(bits):
    # The oracle of the SIMD comparisons: forward transforms multiplied pointwise and
    # transformed back are the O(n^2) negacyclic convolution, on the scalar kernels.
    _use("scalar")
    n = 64
    q = ring.find_ntt_primes(bits, n, 1)[0]
    a, b = rng.integers(0, q, size=n, dtype=np.uint64), rng.integers(0, q, size=n, dtype=np.uint64)
    naive = [0] * n
    for i in range(n):
        for j in range(n):
            k, sign = (i + j) % n, (-1 if i + j >= n else 1)
            naive[k] = (naive[k] + sign * int(a[i]) * int(b[j])) % q
    out = _ring_outputs(q, n, a, b)
    fb = b.copy()
    t = ffi.new("ppml_ntt_tables**")
    capi.check(lib.ppml_ntt_tables_create(n, q, t))
    tables = ffi.gc(t[0], lib.ppml_ntt_tables_free)
    capi.check(lib.ppml_ntt_forward(tables, capi.u64_ptr(fb), n))
    prod = np.empty(n, dtype=np.uint64)
    capi.check(lib.ppml_eltwise_mul_mod(capi.u64_ptr(out["forward"]), capi.u64_ptr(fb), capi.u64_ptr(prod), n, q))
    capi.check(lib.ppml_ntt_inverse(tables, capi.u64_ptr(prod), n))
    assert [int(x) for x in prod] == naive
    assert [int(x) for x in out["mul"]] == [int(x) * int(y) % q for x, y in zip(a, b)]


def test_key_switching_bytes_equal_across_backends_and_threads():
    # A product, its relinearization and a rotation are deterministic given their inputs:
    # every backend and thread count must write the same bytes.
    n = 8192
    q_bits, p_bits = ffi.new("int[]", [50, 40, 40]), ffi.new("int[]", [50])
    ctx = handles.new("ppml_context", lib.ppml_ckks_context_create, n, q_bits, 3, p_bits, 1, 2.0**40, 128)
    sk = handles.new("ppml_secret_key", lib.ppml_secret_key_generate, ctx)
    pk = handles.new("ppml_public_key", lib.ppml_public_key_generate, ctx, sk)
    rk = handles.new("ppml_relin_key", lib.ppml_relin_key_generate, ctx, sk)
    gk = handles.new("ppml_galois_keys", lib.ppml_galois_keys_generate, ctx, sk, ffi.new("int64_t[]", [5]), 1, 0)
    values = np.linspace(-1, 1, 100)
    pt = handles.new("ppml_plaintext", lib.ppml_ckks_encode, ctx, ffi.from_buffer("double[]", values), 100, 0.0, -1)
    ca = handles.new("ppml_ciphertext", lib.ppml_encrypt, ctx, pk, pt)
    cb = handles.new("ppml_ciphertext", lib.ppml_encrypt, ctx, pk, pt)

    def results():
        prod = handles.new("ppml_ciphertext", lib.ppml_multiply, ctx, ca, cb)
        relin = handles.new("ppml_ciphertext", lib.ppml_relinearize, ctx, prod, rk)
        resc = handles.new("ppml_ciphertext", lib.ppml_rescale, ctx, relin)
        rot = handles.new("ppml_ciphertext", lib.ppml_rotate, ctx, ca, 5, gk)
        return [handles.read_bytes(lib.ppml_ciphertext_save, ctx, c) for c in (resc, rot)]

    _use("scalar")
    capi.check(lib.ppml_set_num_threads(1))
    ref = results()
    for backend in BACKENDS:
        for threads in (1, 2, 3):
            _use(backend)
            capi.check(lib.ppml_set_num_threads(threads))
            assert lib.ppml_get_num_threads() == threads
            assert results() == ref, (backend, threads)
    # and the reference is right: x^2 after relinearize + rescale
    resc = handles.new("ppml_ciphertext", lib.ppml_ciphertext_load, ctx, ref[0], len(ref[0]))
    dec = handles.new("ppml_plaintext", lib.ppml_decrypt, ctx, sk, resc)
    got = handles.read_values(lib.ppml_ckks_decode, np.float64, ctx, dec)[:100]
    assert np.max(np.abs(got - values**2)) < 1e-6


def test_bad_settings_are_refused_with_a_message():
    threads = lib.ppml_get_num_threads()
    for bad in (0, -1, 4097):
        assert lib.ppml_set_num_threads(bad) == lib.PPML_ERR_INVALID_ARGUMENT
        message = capi.last_error()
        assert "n" in message and str(bad) in message and "4096" in message and "\n" not in message
        assert lib.ppml_get_num_threads() == threads  # unchanged
    assert lib.ppml_set_backend(b"neon") == lib.PPML_ERR_INVALID_ARGUMENT
    assert "name" in capi.last_error() and "'neon'" in capi.last_error()
    assert lib.ppml_set_backend(NULL) == lib.PPML_ERR_NULL_POINTER and "name" in capi.last_error()
    assert ffi.string(lib.ppml_backend()).decode() in BACKENDS
    with pytest.raises(capi.ParameterError):
        capi.check(lib.ppml_set_backend(b"avx1024"))


def test_unusable_environment_backend_is_an_error_not_an_abort(tmp_path):
    # An invalid PYPPML_BACKEND was thrown while a static initialized, out of an extern "C"
    # function: the process aborted. Now ppml_backend() is "" and every kernel call fails
    # with a message naming the variable, until ppml_set_backend picks a backend.
    import os
    import subprocess
    import sys

    import pyppml

    script = (
        "import numpy as np\n"
        "from pyppml import capi\n"
        "from pyppml.capi import ffi, lib\n"
        "assert ffi.string(lib.ppml_backend()) == b''\n"
        "assert 'PYPPML_BACKEND' in capi.last_error()\n"
        "t = ffi.new('ppml_ntt_tables**')\n"
        "a = np.arange(1024, dtype=np.uint64)\n"
        "status = lib.ppml_ntt_tables_create(1024, 12289, t)\n"
        "if status == 0:\n"
        "    status = lib.ppml_ntt_forward(t[0], capi.u64_ptr(a), 1024)\n"
        "assert status == lib.PPML_ERR_INVALID_ARGUMENT, status\n"
        "assert \"PYPPML_BACKEND: value is unknown\" in capi.last_error() and \"'bogus'\" in capi.last_error()\n"
        "assert lib.ppml_set_backend(b'scalar') == 0 and ffi.string(lib.ppml_backend()) == b'scalar'\n"
        "t2 = ffi.new('ppml_ntt_tables**')\n"
        "assert lib.ppml_ntt_tables_create(1024, 12289, t2) == 0\n"
        "assert lib.ppml_ntt_forward(t2[0], capi.u64_ptr(a), 1024) == 0\n"
        "print('ok')\n")
    env = dict(os.environ, PYPPML_BACKEND="bogus",
               PYTHONPATH=os.path.dirname(os.path.dirname(pyppml.__file__)))
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
