"""CKKS and BFV through the C ABI (cffi) against the pybind11 API, bit for bit: contexts,
keys and ciphertexts cross in both directions as bytes, C decrypts what Python encrypted
and the reverse, and every evaluation result equals the pybind11 primitive's on the same
inputs byte for byte (all of them are deterministic given their inputs)."""

import numpy as np
import pytest
from pyppml._core import he as _he

from pyppml import bfv, ckks
from pyppml.capi import check, ffi, handles, lib

NULL = ffi.NULL
T = 65537  # prime, = 1 mod 2n for n = 4096: batching


@pytest.fixture(scope="module")
def ckks_pair():
    """A Python CKKS context with keys, and the C context + keys imported from its bytes
    (the secret key through export_secret_key)."""
    py = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
    py.keygen(rotations=[1, 3])
    return py, _import(py)


@pytest.fixture(scope="module")
def bfv_pair():
    py = bfv.Context(poly_degree=4096, plain_modulus=T, coeff_mod_bits=[35, 35], special_mod_bits=[35])
    py.keygen(rotations=[1])
    return py, _import(py)


def _import(py):
    data = py.to_bytes()
    ctx, pk, rk, gk = (ffi.new(f"ppml_{k}**") for k in ("context", "public_key", "relin_key", "galois_keys"))
    check(lib.ppml_context_import(data, len(data), 128, 0, 0, ctx, pk, rk, gk))
    c = {"ctx": ffi.gc(ctx[0], lib.ppml_context_free), "pk": ffi.gc(pk[0], lib.ppml_public_key_free),
         "rk": ffi.gc(rk[0], lib.ppml_relin_key_free), "gk": ffi.gc(gk[0], lib.ppml_galois_keys_free)}
    skb = py.export_secret_key()
    c["sk"] = handles.new("ppml_secret_key", lib.ppml_secret_key_import, c["ctx"], skb, len(skb))
    return c


def _ct_bytes(c, ct):
    return handles.read_bytes(lib.ppml_ciphertext_save, c["ctx"], ct)


def _load(c, data):
    return handles.new("ppml_ciphertext", lib.ppml_ciphertext_load, c["ctx"], data, len(data))


def _native(py, data):
    return _he.load_ciphertext(py._native, data)


def _op(name, c, *args):
    return handles.new("ppml_ciphertext", getattr(lib, name), c["ctx"], *args)


def test_context_export_equals_python_to_bytes(ckks_pair, bfv_pair):
    for py, c in (ckks_pair, bfv_pair):
        exported = handles.read_bytes(lib.ppml_context_export, c["ctx"], c["pk"], c["rk"], c["gk"])
        assert exported == py.to_bytes()
        scheme, n = ffi.new("int*"), ffi.new("uint64_t*")
        check(lib.ppml_context_info(c["ctx"], scheme, n, NULL, NULL, NULL))
        assert (scheme[0], n[0]) == ((lib.PPML_SCHEME_CKKS if py is ckks_pair[0] else lib.PPML_SCHEME_BFV), 4096)


def test_c_created_context_is_python_context():
    # Same prime choice and parameters: Python loads the C context and decrypts C's
    # ciphertext with C's exported secret key.
    ctx = handles.new("ppml_context", lib.ppml_ckks_context_create, 4096, handles.ints([38, 28]), 2,
                      handles.ints([38]), 1, 2.0 ** 28, 128)
    sk = handles.new("ppml_secret_key", lib.ppml_secret_key_generate, ctx)
    pk = handles.new("ppml_public_key", lib.ppml_public_key_generate, ctx, sk)
    py = ckks.Context.from_bytes(handles.read_bytes(lib.ppml_context_export, ctx, pk, NULL, NULL))
    assert py.fingerprint == ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38],
                                          scale_bits=28).fingerprint
    py.import_secret_key(handles.read_bytes(lib.ppml_secret_key_export, ctx, sk))
    values = np.linspace(-1, 1, 100)
    pt = handles.new("ppml_plaintext", lib.ppml_ckks_encode, ctx, ffi.from_buffer("double[]", values), 100, 0.0, -1)
    ct = handles.new("ppml_ciphertext", lib.ppml_encrypt, ctx, pk, pt)
    got = py.decrypt(ckks.Ciphertext.from_bytes(handles.read_bytes(lib.ppml_ciphertext_save, ctx, ct), py))
    assert np.max(np.abs(got[:100] - values)) < 2.0 ** -10  # 28-bit scale at n = 4096: fresh noise about 2^-13
    assert np.max(np.abs(got[100:])) < 2.0 ** -10


def test_ckks_round_trip_both_directions(ckks_pair):
    py, c = ckks_pair
    x = np.linspace(-1, 1, py.slots)
    # Python encrypts, C decrypts: identical doubles to Python's own decryption.
    ct_py = py.encrypt(x)
    ct_c = _load(c, ct_py.to_bytes())
    pt = handles.new("ppml_plaintext", lib.ppml_decrypt, c["ctx"], c["sk"], ct_c)
    dec = handles.read_values(lib.ppml_ckks_decode, np.float64, c["ctx"], pt)
    assert np.array_equal(dec, py.decrypt(ct_py))
    assert _ct_bytes(c, ct_c) == ct_py.to_bytes()
    # C encodes and encrypts (public key), Python decrypts.
    pt = handles.new("ppml_plaintext", lib.ppml_ckks_encode, c["ctx"], ffi.from_buffer("double[]", x), x.size, 0.0, -1)
    for encrypt, key in ((lib.ppml_encrypt, c["pk"]), (lib.ppml_encrypt_symmetric, c["sk"])):
        ct = handles.new("ppml_ciphertext", encrypt, c["ctx"], key, pt)
        back = py.decrypt(ckks.Ciphertext.from_bytes(_ct_bytes(c, ct), py))
        assert np.max(np.abs(back - x)) < 2.0 ** -10


def test_ckks_evaluation_equals_pybind(ckks_pair):
    py, c = ckks_pair
    a, b = py.encrypt(np.linspace(-1, 1, py.slots)), py.encrypt(np.linspace(1, -1, py.slots))
    n = py._native
    ca, cb = _load(c, a.to_bytes()), _load(c, b.to_bytes())
    cases = [
        ("ppml_add", (ca, cb), n.add(a._native, b._native)),
        ("ppml_sub", (ca, cb), n.sub(a._native, b._native)),
        ("ppml_multiply", (ca, cb), n.multiply(a._native, b._native)),
        ("ppml_rotate", (ca, 3, c["gk"]), n.apply_galois(a._native, py.galois_element(3), py.galois_keys)),
        ("ppml_conjugate", (ca, c["gk"]), n.apply_galois(a._native, py.conjugation_element, py.galois_keys)),
    ]
    for name, args, ref in cases:
        assert _ct_bytes(c, _op(name, c, *args)) == _he.save(n, ref), name
    prod = _op("ppml_multiply", c, ca, cb)
    relin = _op("ppml_relinearize", c, prod, c["rk"])
    ref_relin = n.relinearize(n.multiply(a._native, b._native), py.relin_key)
    assert _ct_bytes(c, relin) == _he.save(n, ref_relin)
    resc = _op("ppml_rescale", c, relin)
    assert _ct_bytes(c, resc) == _he.save(n, n.rescale(ref_relin))
    level, size = ffi.new("int*"), ffi.new("size_t*")
    check(lib.ppml_ciphertext_info(resc, level, NULL, size))
    assert (level[0], size[0]) == (0, 2)
    # and the values are right: x * (-x) after relinearize + rescale
    pt = handles.new("ppml_plaintext", lib.ppml_decrypt, c["ctx"], c["sk"], resc)
    got = handles.read_values(lib.ppml_ckks_decode, np.float64, c["ctx"], pt)
    x = np.linspace(-1, 1, py.slots)
    assert np.max(np.abs(got - x * x[::-1])) < 2.0 ** -10


def test_bfv_round_trip_and_evaluation_equal_pybind(bfv_pair):
    py, c = bfv_pair
    rng = np.random.default_rng(1)
    x, y = (rng.integers(0, T, py.slots, dtype=np.uint64) for _ in range(2))
    a, b = py.encrypt(x), py.encrypt(y)
    ca, cb = _load(c, a.to_bytes()), _load(c, b.to_bytes())
    n, nb = py._native, py._bfv
    prod = _op("ppml_multiply", c, ca, cb)
    assert _ct_bytes(c, prod) == _he.save(n, nb.multiply(a._native, b._native))
    relin = _op("ppml_relinearize", c, prod, c["rk"])
    assert _ct_bytes(c, _op("ppml_add", c, ca, cb)) == _he.save(n, n.add(a._native, b._native))
    rot = _op("ppml_rotate", c, ca, 1, c["gk"])
    assert _ct_bytes(c, rot) == _he.save(n, n.apply_galois(a._native, py.galois_element(1), py.galois_keys))
    # C decrypts; Python decrypts C's results; both equal the plaintext arithmetic mod t.
    pt = handles.new("ppml_plaintext", lib.ppml_decrypt, c["ctx"], c["sk"], relin)
    got = handles.read_values(lib.ppml_bfv_decode, np.uint64, c["ctx"], pt)
    expect = (x.astype(object) * y.astype(object)) % T
    assert got.astype(object).tolist() == expect.tolist()
    assert py.decrypt(bfv.Ciphertext.from_bytes(_ct_bytes(c, relin), py)).astype(object).tolist() == expect.tolist()
    half = py.slots // 2
    rows = np.concatenate([np.roll(x[:half], -1), np.roll(x[half:], -1)])
    assert np.array_equal(py.decrypt(bfv.Ciphertext.from_bytes(_ct_bytes(c, rot), py)), rows)
    # C encrypts (public and secret key), Python decrypts.
    pt = handles.new("ppml_plaintext", lib.ppml_bfv_encode, c["ctx"], ffi.from_buffer("uint64_t[]", x), x.size)
    for encrypt, key in ((lib.ppml_encrypt, c["pk"]), (lib.ppml_encrypt_symmetric, c["sk"])):
        ct = handles.new("ppml_ciphertext", encrypt, c["ctx"], key, pt)
        assert np.array_equal(py.decrypt(bfv.Ciphertext.from_bytes(_ct_bytes(c, ct), py)), x)


def test_key_bytes_cross(ckks_pair):
    py, c = ckks_pair
    for kind, key in (("public_key", py.public_key), ("relin_key", py.relin_key), ("galois_keys", py.galois_keys)):
        data = py.key_to_bytes(key)
        h = handles.new(f"ppml_{kind}", getattr(lib, f"ppml_{kind}_load"), c["ctx"], data, len(data))
        assert handles.read_bytes(getattr(lib, f"ppml_{kind}_save"), c["ctx"], h) == data
    assert handles.read_bytes(lib.ppml_secret_key_export, c["ctx"], c["sk"]) == py.export_secret_key()


def test_secret_key_check_against_the_public_key(ckks_pair):
    # ppml_secret_key_import checks the format only (no MAC); ppml_secret_key_check binds
    # the key to its public key: another key set's secret is a mismatch.
    _, c = ckks_pair
    check(lib.ppml_secret_key_check(c["ctx"], c["sk"], c["pk"]))
    other = handles.new("ppml_secret_key", lib.ppml_secret_key_generate, c["ctx"])
    assert lib.ppml_secret_key_check(c["ctx"], other, c["pk"]) == lib.PPML_ERR_MISMATCH
    from pyppml.capi import last_error

    assert "secret_key is not the key of public_key" in last_error()
