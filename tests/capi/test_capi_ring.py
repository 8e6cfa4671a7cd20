"""The ring kernels through the C ABI (cffi) equal pyppml.ring's bit for bit, and every
malformed call returns a status with a message instead of crashing."""

import numpy as np
import pytest

from pyppml import capi, ring
from pyppml.capi import ffi, lib

rng = np.random.default_rng(15)  # test inputs only; no secret randomness here


def _tables(n, q):
    out = ffi.new("ppml_ntt_tables**")
    capi.check(lib.ppml_ntt_tables_create(n, q, out))
    return ffi.gc(out[0], lib.ppml_ntt_tables_free)


def _random(q, n):
    return rng.integers(0, q, size=n, dtype=np.uint64)


@pytest.mark.parametrize("n,bits", [(16, 30), (1024, 50), (4096, 60)], ids=["n16_q30", "n1024_q50", "n4096_q60"])
def test_ntt_matches_pybind_bit_for_bit(n, bits):
    # Same dispatcher as pyppml.ring on every backend present, so equality is exact.
    q = ring.find_ntt_primes(bits, n, 1)[0]
    t = _tables(n, q)
    info_n, info_q = ffi.new("uint64_t*"), ffi.new("uint64_t*")
    capi.check(lib.ppml_ntt_tables_info(t, info_n, info_q))
    assert (info_n[0], info_q[0]) == (n, q)
    ref = ring.NttTables(n, q)
    for backend in ring.available_backends():
        with ring.use_backend(backend):
            a = _random(q, n)
            fwd = a.copy()
            capi.check(lib.ppml_ntt_forward(t, capi.u64_ptr(fwd), n))
            assert np.array_equal(fwd, ref.forward(a)), backend
            inv = fwd.copy()
            capi.check(lib.ppml_ntt_inverse(t, capi.u64_ptr(inv), n))
            assert np.array_equal(inv, a), backend


def test_ntt_forward_is_negacyclic_evaluation():
    # Independent of pyppml.ring: pointwise products of forward transforms are the
    # negacyclic convolution (naive O(n^2) reference).
    n, q = 32, ring.find_ntt_primes(30, 32, 1)[0]
    t = _tables(n, q)
    a, b = _random(q, n), _random(q, n)
    naive = [0] * n
    for i in range(n):
        for j in range(n):
            k, sign = (i + j) % n, (-1 if i + j >= n else 1)
            naive[k] = (naive[k] + sign * int(a[i]) * int(b[j])) % q
    fa, fb, prod = a.copy(), b.copy(), np.empty(n, dtype=np.uint64)
    capi.check(lib.ppml_ntt_forward(t, capi.u64_ptr(fa), n))
    capi.check(lib.ppml_ntt_forward(t, capi.u64_ptr(fb), n))
    capi.check(lib.ppml_eltwise_mul_mod(capi.u64_ptr(fa), capi.u64_ptr(fb), capi.u64_ptr(prod), n, q))
    capi.check(lib.ppml_ntt_inverse(t, capi.u64_ptr(prod), n))
    assert [int(x) for x in prod] == naive


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("bits", [20, 50, 60])
def test_eltwise_matches_pybind_and_python_ints(op, bits):
    q = ring.find_ntt_primes(bits, 8, 1)[0]
    n = 1000  # not a multiple of any SIMD width: the tails run too
    a, b = _random(q, n), _random(q, n)
    out = np.empty(n, dtype=np.uint64)
    fn = getattr(lib, f"ppml_eltwise_{op}_mod")
    capi.check(fn(capi.u64_ptr(a), capi.u64_ptr(b), capi.u64_ptr(out), n, q))
    from pyppml import _core
    assert np.array_equal(out, _core.eltwise(op, q, a, b))
    py = {"add": lambda x, y: (x + y) % q, "sub": lambda x, y: (x - y) % q, "mul": lambda x, y: x * y % q}[op]
    assert [int(x) for x in out] == [py(int(x), int(y)) for x, y in zip(a, b)]
    # out may alias a
    capi.check(fn(capi.u64_ptr(a), capi.u64_ptr(b), capi.u64_ptr(a), n, q))
    assert np.array_equal(a, out)


def test_mul_scalar_reduces_any_word():
    q = ring.find_ntt_primes(50, 8, 1)[0]
    a = rng.integers(0, 2**64 - 1, size=257, dtype=np.uint64, endpoint=True)
    w = 123456789 % q
    out = np.empty_like(a)
    capi.check(lib.ppml_eltwise_mul_scalar_mod(capi.u64_ptr(a), w, capi.u64_ptr(out), a.size, q))
    assert [int(x) for x in out] == [int(x) * w % q for x in a]


def _status_and_message(call):
    status = call()
    return status, capi.last_error()


def test_bad_ring_calls_return_codes_with_messages():
    n, q = 16, ring.find_ntt_primes(30, 16, 1)[0]
    t = _tables(n, q)
    a = _random(q, n)
    out = ffi.new("ppml_ntt_tables**")
    # parameters: n not a power of two, modulus not 1 mod 2n
    s, m = _status_and_message(lambda: lib.ppml_ntt_tables_create(24, q, out))
    assert s == lib.PPML_ERR_INVALID_ARGUMENT and "n" in m and out[0] == ffi.NULL
    s, m = _status_and_message(lambda: lib.ppml_ntt_tables_create(16, 101, out))  # 101 != 1 mod 32
    assert s == lib.PPML_ERR_INVALID_ARGUMENT and m
    s, m = _status_and_message(lambda: lib.ppml_ntt_tables_create(16, q, ffi.NULL))
    assert s == lib.PPML_ERR_NULL_POINTER and "out" in m
    # NULL handle, NULL data, wrong length, unreduced input
    s, m = _status_and_message(lambda: lib.ppml_ntt_forward(ffi.NULL, capi.u64_ptr(a), n))
    assert s == lib.PPML_ERR_NULL_POINTER and "tables" in m
    s, m = _status_and_message(lambda: lib.ppml_ntt_forward(t, ffi.NULL, n))
    assert s == lib.PPML_ERR_NULL_POINTER and "data" in m
    s, m = _status_and_message(lambda: lib.ppml_ntt_forward(t, capi.u64_ptr(a), n - 1))
    assert s == lib.PPML_ERR_INVALID_ARGUMENT and "len" in m and "16" in m
    bad = a.copy()
    bad[3] = q
    s, m = _status_and_message(lambda: lib.ppml_ntt_inverse(t, capi.u64_ptr(bad), n))
    assert s == lib.PPML_ERR_INVALID_ARGUMENT and "value >= the bound" in m and "3" not in m.split("got")[1]
    assert bad[3] == q  # untouched on failure
    # a pointer that is no handle (an array) and a freed handle: refused, never dereferenced
    fake = ffi.cast("ppml_ntt_tables*", capi.u64_ptr(a))
    s, m = _status_and_message(lambda: lib.ppml_ntt_forward(fake, capi.u64_ptr(a), n))
    assert s == lib.PPML_ERR_INVALID_HANDLE and "live handle" in m
    capi.check(lib.ppml_ntt_tables_create(n, q, out))
    freed = out[0]
    lib.ppml_ntt_tables_free(freed)
    assert capi.last_error() == ""
    s, m = _status_and_message(lambda: lib.ppml_ntt_forward(freed, capi.u64_ptr(a), n))
    assert s == lib.PPML_ERR_INVALID_HANDLE
    lib.ppml_ntt_tables_free(freed)  # double free: ignored with a message
    assert "not a live handle" in capi.last_error()
    lib.ppml_ntt_tables_free(ffi.NULL)
    assert capi.last_error() == ""
    # eltwise: bad modulus, NULL, unreduced, scalar out of range
    b = _random(q, n)
    s, m = _status_and_message(lambda: lib.ppml_eltwise_add_mod(capi.u64_ptr(a), capi.u64_ptr(b), capi.u64_ptr(b), n, 1))
    assert s == lib.PPML_ERR_INVALID_ARGUMENT
    s, m = _status_and_message(lambda: lib.ppml_eltwise_mul_mod(capi.u64_ptr(a), ffi.NULL, capi.u64_ptr(b), n, q))
    assert s == lib.PPML_ERR_NULL_POINTER and "b" in m
    s, m = _status_and_message(lambda: lib.ppml_eltwise_sub_mod(capi.u64_ptr(bad), capi.u64_ptr(b), capi.u64_ptr(b), n, q))
    assert s == lib.PPML_ERR_INVALID_ARGUMENT and "a" in m
    s, m = _status_and_message(lambda: lib.ppml_eltwise_mul_scalar_mod(capi.u64_ptr(a), q, capi.u64_ptr(b), n, q))
    assert s == lib.PPML_ERR_INVALID_ARGUMENT and "scalar" in m
    # check() maps codes to Python exceptions
    with pytest.raises(capi.ParameterError):
        capi.check(lib.ppml_ntt_tables_create(24, q, out))
    with pytest.raises(capi.CapiError) as err:
        capi.check(lib.ppml_ntt_forward(fake, capi.u64_ptr(a), n))
    assert err.value.status == lib.PPML_ERR_INVALID_HANDLE


def test_abi_version_matches_header():
    text = capi.header_path().read_text()
    major = int(text.split("#define PPML_ABI_VERSION_MAJOR")[1].split()[0])
    minor = int(text.split("#define PPML_ABI_VERSION_MINOR")[1].split()[0])
    assert capi.abi_version() == (major, minor)
    assert capi.library_path().name == "libpyppml_capi.so"
    assert (capi.include_dir() / "pyppml" / "pyppml.h").is_file()


def test_every_declared_function_is_exported_and_only_those():
    # Header and library agree (a declared but missing symbol would fail only when called),
    # and the library exports the C ABI alone: the C++ core inside stays private.
    import re
    import shutil
    import subprocess

    text = capi._cdef(capi.header_path().read_text())
    declared = set(re.findall(r"\b(ppml_\w+)\s*\(", text))
    assert len(declared) > 60
    for name in declared:
        getattr(lib, name)  # AttributeError if the library lacks it
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("no nm to list the library's dynamic symbols")
    out = subprocess.run([nm, "-D", "--defined-only", str(capi.library_path())], check=True, capture_output=True,
                         text=True).stdout
    exported = {line.split()[-1] for line in out.splitlines() if line.split()[1:2] == ["T"]}
    assert exported == declared
