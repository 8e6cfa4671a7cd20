"""examples/bgv (BGV in Python + numba on pyppml.numba) checked exactly against NumPy
polynomial arithmetic in Z_t[x]/(x^n + 1): encryption, addition, multiplication with
relinearization, a depth-2 circuit with modulus switching, and the NumPy twin of the hot
steps giving bit-identical ciphertexts."""

import pytest

pytest.importorskip("numba", reason='numba is optional: pip install "pyppml[numba]"')

import pathlib
import sys

import numpy as np
from pyppml._core import Prng

from pyppml import ParameterError, ring

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "examples"))
from bgv import BgvContext, negacyclic_mul


def _params(n, bits, count):
    primes = ring.find_ntt_primes(bits, n, count)
    special = ring.find_ntt_primes(bits + 10, n, 1)
    return primes, special


def _plain(n, t, seed):
    return np.asarray(Prng(seed.to_bytes(4, "little") * 8, 1).uniform_mod(t, n), dtype=np.int64)


@pytest.fixture(scope="module")
def ctx1024():
    qs, ps = _params(1024, 40, 3)
    ctx = BgvContext(1024, 65537, qs, ps)
    ctx.keygen()
    return ctx


def test_encrypt_decrypt_add(ctx1024):
    t = ctx1024.t
    m1, m2 = _plain(1024, t, 1), _plain(1024, t, 2)
    c1, c2 = ctx1024.encrypt(m1), ctx1024.encrypt(m2)
    assert np.array_equal(ctx1024.decrypt(c1), m1)
    assert np.array_equal(ctx1024.decrypt(ctx1024.add(c1, c2)), (m1 + m2) % t)


def test_multiply_relinearize(ctx1024):
    t = ctx1024.t
    m1, m2 = _plain(1024, t, 3), _plain(1024, t, 4)
    prod = ctx1024.multiply(ctx1024.encrypt(m1), ctx1024.encrypt(m2))
    assert prod.shape == (2, 3, 1024)
    assert np.array_equal(ctx1024.decrypt(prod), negacyclic_mul(m1, m2, t))


@pytest.mark.parametrize("n,t,bits", [(2048, 257, 45), (4096, 786433, 50)], ids=["n2048_t257", "n4096_t786433"])
def test_depth2_circuit_with_modulus_switching(n, t, bits):
    qs, ps = _params(n, bits, 3)
    # [q_l]_t != 1 for the dropped primes, so a switch without the BGV correction would
    # decrypt to m * q_l^-1 mod t instead of m.
    assert all(q % t != 1 for q in qs[1:])
    ctx = BgvContext(n, t, qs, ps)
    ctx.keygen()
    m1, m2, m3 = (_plain(n, t, s) for s in (5, 6, 7))
    c12 = ctx.multiply(ctx.encrypt(m1), ctx.encrypt(m2))
    before = ctx.noise_bits(c12)
    c12 = ctx.mod_switch(c12)
    assert c12.shape[1] == 2
    # |noise'| <= |noise| (t/2) / q_l + (t/2)(n + 1): the division plus the rounding term
    after = ctx.noise_bits(c12)
    assert after < before
    assert after <= max(before - (bits - 1) + t.bit_length(), t.bit_length() + n.bit_length()) + 1
    c3 = ctx.mod_switch(ctx.encrypt(m3))
    c123 = ctx.mod_switch(ctx.multiply(c12, c3))
    assert c123.shape[1] == 1
    want = negacyclic_mul(negacyclic_mul(m1, m2, t), m3, t)
    assert np.array_equal(ctx.decrypt(c123), want)


def test_numba_and_numpy_steps_bit_identical():
    n = 1024
    qs, ps = _params(n, 40, 3)
    ctxs = [BgvContext(n, 257, qs, ps, backend=b, prng=Prng(b"\x09" * 32, 0)) for b in ("numba", "numpy")]
    cts = []
    for ctx in ctxs:
        ctx.keygen()
        a, b = ctx.encrypt(_plain(n, 257, 8)), ctx.encrypt(_plain(n, 257, 9))
        d = ctx.steps.multiply(ctx.plan, a, b)
        c = ctx.relinearize(d)
        cts.append((d, c, ctx.mod_switch(c)))
    for x, y in zip(*cts):
        assert np.array_equal(x, y)


def test_bad_input(ctx1024):
    qs, ps = _params(1024, 40, 2)
    with pytest.raises(ParameterError, match="t is not a modulus coprime"):
        BgvContext(1024, qs[1], qs, ps)
    with pytest.raises(ParameterError, match="backend is unknown"):
        BgvContext(1024, 257, qs, ps, backend="cuda")
    ct = ctx1024.encrypt(np.zeros(1024, dtype=np.int64))
    low = ctx1024.mod_switch(ctx1024.mod_switch(ct))
    with pytest.raises(ParameterError, match="mod_switch: ct is at the last level"):
        ctx1024.mod_switch(low)
    with pytest.raises(ParameterError, match="b is at another level"):
        ctx1024.add(ct, ctx1024.mod_switch(ct))


def test_two_special_primes_use_the_base_conversion():
    # k = 2: the mod-down lifts [x t^-1]_P to Q by the fast base conversion (x + alpha P)
    n, t = 1024, 65537
    qs = ring.find_ntt_primes(36, n, 3)
    ctx = BgvContext(n, t, qs, ring.find_ntt_primes(40, n, 2))
    ctx.keygen()
    m1, m2 = _plain(n, t, 10), _plain(n, t, 11)
    prod = ctx.multiply(ctx.encrypt(m1), ctx.encrypt(m2))
    assert np.array_equal(ctx.decrypt(prod), negacyclic_mul(m1, m2, t))
