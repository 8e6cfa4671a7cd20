"""bfv.Context(depth=..., plain_modulus=...) without poly_degree: the ring is the smallest
the security table allows for the noise model's chain, a product circuit of that depth
decrypts exactly, and refusals name the ring that would fit."""

import itertools
import math

import numpy as np
import pytest
from bfv_reference import T, mulmod
from pyppml._core import ParameterError

from pyppml import bfv
from pyppml.bfv.params import choose_parameters

# Max log2(Q*P) from ../shared/SECURITY.md (1c, 2024; 1a, 2018 with OpenFHE's 2^16, 2^17
# rows), typed here rather than imported: an error in the package's copy fails the test.
TABLE = {
    ("2024", 128): [26, 53, 106, 214, 430, 868, 1747, 3523],
    ("2024", 192): [None, 36, 73, 147, 297, 597, 1199, 2411],
    ("2018", 128): [27, 54, 109, 218, 438, 881, 1747, 3523],
}
RINGS = [1 << k for k in range(10, 18)]


def model_bits(n, depth, t):
    """The documented model, written out: Q holds log2 t + 12 + depth (log2 t + log2(n)/2
    + 7) + 2 bits, in the fewest equal primes of at most 56 bits (+1 bit each, as a b-bit
    prime is below 2^b), and one special prime of the same size."""
    lt = math.log2(t)
    need = lt + 12 + depth * (lt + math.log2(n) / 2 + 7) + 2
    count = math.ceil(need / 56)
    size = max(20, math.ceil(need / count) + 1, math.ceil(lt) + 2)
    return count, size, (count + 1) * size


def brute_force_ring(depth, t, security, standard):
    for n, b in zip(RINGS, TABLE[(standard, security)]):
        if b is not None and model_bits(n, depth, t)[2] <= b:
            return n
    return None


def test_chosen_ring_is_the_smallest_that_fits():
    """Over a grid of depths and plain moduli: catches a wrong cell, a chain other than
    the documented one, and a search that skips a ring."""
    checked = refused = 0
    for depth, t, (std, sec) in itertools.product(range(0, 130, 3), (257, 65537, 786433, (1 << 40) + 1), TABLE):
        expect = brute_force_ring(depth, t, sec, std)
        if expect is None:
            with pytest.raises(ParameterError, match="depth is too large for every supported ring"):
                choose_parameters(None, lambda n, t=t: t, depth, None, None, 0, sec, std)
            refused += 1
            continue
        n, t_out, q, p = choose_parameters(None, lambda n, t=t: t, depth, None, None, 0, sec, std)
        count, size, total = model_bits(n, depth, t)
        assert (n, t_out, q, p) == (expect, t, [size] * count, [size]), (depth, t, std, sec)
        assert total <= dict(zip(RINGS, TABLE[(std, sec)]))[n]
        smaller = dict(zip(RINGS, TABLE[(std, sec)])).get(n // 2)
        assert smaller is None or model_bits(n // 2, depth, t)[2] > smaller  # minimal
        checked += 1
    assert checked > 200 and refused > 10


@pytest.mark.parametrize("depth,ring", [(1, 4096), (2, 8192), (3, 8192)], ids=["d1", "d2", "d3"])
def test_circuit_of_the_promised_depth_decrypts_exactly(depth, ring):
    """A product tree of 2^depth fresh public-key ciphertexts: exact mod t with noise
    budget left (a model that under-counts one product's noise leaves none)."""
    ctx = bfv.Context(plain_modulus=T, depth=depth)
    assert ctx.poly_degree == ring == brute_force_ring(depth, T, 128, "2024")
    assert ctx.log_qp <= 214 and ctx.batching
    ctx.keygen(rotations=[], columns=False)
    rng = np.random.default_rng(depth)
    xs = [rng.integers(0, T, ctx.slots) for _ in range(2 ** depth)]
    cts = [ctx.encrypt(x, symmetric=False) for x in xs]
    expect = list(xs)
    while len(cts) > 1:
        cts = [a * b for a, b in zip(cts[::2], cts[1::2])]
        expect = [mulmod(a, b) for a, b in zip(expect[::2], expect[1::2])]
    assert ctx.noise_budget(cts[0]) >= 2
    assert np.array_equal(ctx.decrypt(cts[0]), expect[0])


def test_plain_modulus_bits_without_ring():
    # t is the largest 30-bit batching prime of the chosen ring: 30 + 14 + 2 (30 + 6.5 + 7) = 131 bits
    ctx = bfv.Context(plain_modulus_bits=30, depth=2)
    assert ctx.poly_degree == 8192 and ctx.plain_modulus.bit_length() == 30 and ctx.batching
    ctx.keygen(rotations=[], columns=False)
    x = np.random.default_rng(5).integers(0, ctx.plain_modulus, ctx.slots)
    ct = ctx.encrypt(x, symmetric=False)
    t = ctx.plain_modulus
    assert np.array_equal(ctx.decrypt((ct * ct) * ct), mulmod(mulmod(x, x, t), x, t))


def test_every_existing_form_still_works():
    assert bfv.Context(plain_modulus=T).poly_degree == 8192  # no depth: n = 8192, deepest chain
    assert bfv.Context(poly_degree=4096, plain_modulus=T, coeff_mod_bits=[35, 35], special_mod_bits=[35]).log_qp <= 106
    assert bfv.Context(poly_degree=8192, plain_modulus=T, security=192).log_qp <= 147


def test_too_deep_for_every_ring():
    deepest = max(d for d in range(100) if model_bits(131072, d, T)[2] <= 3523)
    with pytest.raises(ValueError, match=rf"depth is too large for every supported ring; expected depth <= {deepest} "):
        bfv.Context(plain_modulus=T, depth=deepest + 1)


def test_poly_degree_too_small_names_the_smallest_ring():
    with pytest.raises(ValueError) as info:
        bfv.Context(poly_degree=4096, plain_modulus=T, depth=3)
    msg = str(info.value)
    assert isinstance(info.value, ParameterError) and "\n" not in msg
    assert "expected depth <= 1 " in msg and "poly_degree >= 8192 (the smallest ring" in msg


def test_chain_copied_from_seal_names_the_2018_table():
    seal_8192 = [43, 43, 44, 44, 44]  # SEAL CoeffModulus::BFVDefault(8192), special prime last
    with pytest.raises(ValueError) as info:
        bfv.Context(poly_degree=8192, plain_modulus=T, coeff_mod_bits=seal_8192[:-1], special_mod_bits=seal_8192[-1:])
    msg = str(info.value)
    assert "expected log2(Q*P) <= 214 " in msg and "poly_degree >= 16384 (the smallest ring" in msg
    assert 'security_standard="2018"' in msg and msg.endswith("got 218 bits")
    ctx = bfv.Context(poly_degree=8192, plain_modulus=T, coeff_mod_bits=seal_8192[:-1],
                      special_mod_bits=seal_8192[-1:], security_standard="2018")
    assert ctx.log_qp <= 218


@pytest.mark.parametrize("depth", [-1, 2.5], ids=["negative", "fractional"])
def test_bad_depth_refused(depth):
    with pytest.raises(ValueError, match=rf"depth is not a non-negative integer; expected an int >= 0 or None, got {depth!r}"):
        bfv.Context(plain_modulus=T, depth=depth)
