"""ckks.Context(depth=...) without poly_degree: the ring is the smallest the security
table allows for the chain, the chain is the documented one, a circuit of that depth
decrypts with the promised precision, and refusals name the ring that would fit."""

import itertools
import math

import numpy as np
import pytest
from pyppml._core import ParameterError

from pyppml import ckks
from pyppml.ckks.params import choose_parameters

# Max log2(Q*P), ternary secret, classical, typed from ../shared/SECURITY.md (1c: ePrint
# 2024/463 Table 5.2; 1a: the 2018 standard, with OpenFHE's 2^16, 2^17 rows as in the core),
# not imported from the package: an error in the package's copy fails these tests.
TABLE = {
    ("2024", 128): [26, 53, 106, 214, 430, 868, 1747, 3523],
    ("2024", 192): [None, 36, 73, 147, 297, 597, 1199, 2411],
    ("2024", 256): [None, 27, 56, 114, 230, 462, 929, 1866],
    ("2018", 128): [27, 54, 109, 218, 438, 881, 1747, 3523],
    ("2018", 192): [19, 37, 75, 152, 305, 611, 1199, 2411],
    ("2018", 256): [14, 29, 58, 118, 237, 476, 929, 1866],
}
RINGS = [1 << k for k in range(10, 18)]


def bound(n, security=128, standard="2024"):
    return dict(zip(RINGS, TABLE[(standard, security)])).get(n)


def chain_bits(depth, scale_bits):
    """The documented chain: q_0 of scale + 20 bits (at most 60), depth scale primes,
    one special prime of q_0's size (one key-switching digit per prime)."""
    first = min(60, scale_bits + 20)
    return first + depth * scale_bits + first


def brute_force_ring(depth, scale_bits, security, standard):
    for n in RINGS:
        b = bound(n, security, standard)
        if b is not None and chain_bits(depth, scale_bits) <= b:
            return n
    return None


GRID = list(itertools.product(range(0, 90, 3), (20, 30, 40, 50), (128, 192, 256), ("2024", "2018")))


def test_chosen_ring_is_the_smallest_that_fits():
    """Catches a wrong table cell, an off-by-one in the comparison, a chain larger or
    smaller than documented, or a search that skips a ring."""
    checked = refused = 0
    for depth, s, sec, std in GRID:
        expect = brute_force_ring(depth, s, sec, std)
        if expect is None:
            with pytest.raises(ParameterError) as info:
                choose_parameters(None, depth, s, None, None, 0, sec, std)
            deepest = (TABLE[(std, sec)][-1] - 2 * min(60, s + 20)) // s
            assert f"expected depth <= {deepest} (at n = 131072" in str(info.value)
            refused += 1
            continue
        n, q, p = choose_parameters(None, depth, s, None, None, 0, sec, std)
        assert n == expect, (depth, s, sec, std)
        assert q == [min(60, s + 20)] + [s] * depth and p == [q[0]]
        total = sum(q) + sum(p)
        assert total <= bound(n, sec, std)  # meets the bound
        smaller = bound(n // 2, sec, std) if n > RINGS[0] else None
        assert smaller is None or total > smaller  # and is minimal
        checked += 1
    assert checked > 300 and refused > 10  # the grid reaches both sides


@pytest.mark.parametrize("standard,security", sorted(TABLE), ids=lambda v: str(v))
def test_every_table_cell_at_its_edge(standard, security):
    """An explicit chain of exactly b bits lands on the ring whose cell is b, one of b + 1
    bits on the next ring: catches any wrong cell and a strict comparison."""
    rows = [(n, b) for n, b in zip(RINGS, TABLE[(standard, security)]) if b is not None]
    for i, (n, b) in enumerate(rows):
        assert choose_parameters(None, None, 40, [b - 10], [10], 0, security, standard)[0] == n
        above = choose_parameters(None, None, 40, [b - 9], [10], 0, security, standard)[0]
        assert above == (rows[i + 1][0] if i + 1 < len(rows) else RINGS[-1])  # none fits: the core refuses at 2^17


def test_special_primes_cover_the_largest_digit():
    # dnum = 2 on 1 + 5 primes: digits of 3 primes, the first 60 + 40 + 40 = 140 bits,
    # in three special primes of 47 bits (keygen needs log2 P >= 139).
    n, q, p = choose_parameters(None, 5, 40, None, None, 2, 128, "2024")
    assert q == [60] + [40] * 5 and p == [47, 47, 47]
    assert n == 16384  # 260 + 141 = 401 <= 430, > 214
    ctx = ckks.Context(depth=2, scale_bits=30, dnum=1)  # one digit: 50 + 30 + 30 = 110 bits
    assert ctx.special_moduli and sum(math.log2(v) for v in ctx.special_moduli) >= 110 - 1 - 1e-9


@pytest.mark.parametrize("depth", [1, 2, 3], ids=["d1", "d2", "d3"])
def test_circuit_of_the_promised_depth_decrypts(depth):
    """A depth-d product circuit at the chosen parameters: error below 2^-(scale_bits - 20)
    (documented), which a chain one prime short (level exhausted) or a q_0 without
    headroom would break."""
    s = 30
    ctx = ckks.Context(depth=depth, scale_bits=s)
    assert ctx.poly_degree == brute_force_ring(depth, s, 128, "2024") == 8192
    assert ctx.max_level == depth and ctx.log_qp <= 214
    ctx.keygen(rotations=[], conjugate=False)
    rng = np.random.default_rng(depth)
    xs = [rng.uniform(-1, 1, ctx.slots) for _ in range(2 ** depth)]
    cts = [ctx.encrypt(x) for x in xs]
    while len(cts) > 1:  # a product tree: depth multiplications on every path
        cts = [a * b for a, b in zip(cts[::2], cts[1::2])]
    assert cts[0].level == 0
    err = np.max(np.abs(ctx.decrypt(cts[0]) - np.prod(xs, axis=0)))
    assert err < 2.0 ** -(s - 20), err


def test_small_ring_when_the_chain_is_short():
    ctx = ckks.Context(depth=1, scale_bits=20)  # 40 + 20 + 40 = 100 <= 106 at n = 4096
    assert ctx.poly_degree == 4096 and ctx.coeff_moduli[0].bit_length() == 40
    ctx = ckks.Context(coeff_mod_bits=[30, 25], special_mod_bits=[30])  # an explicit chain: 85 bits
    assert ctx.poly_degree == 4096


def test_every_existing_form_still_works():
    assert ckks.Context().poly_degree == 8192  # no depth: n = 8192, deepest chain
    assert ckks.Context(poly_degree=8192, depth=2).max_level == 2
    assert ckks.Context(poly_degree=8192, security=192).log_qp <= 147  # deepest chain of the 192-bit row
    with pytest.warns(UserWarning, match="security=None"):
        assert ckks.Context(depth=6, security=None).poly_degree == 8192  # no table: n as before


def test_too_deep_for_every_ring():
    with pytest.raises(ValueError, match=r"depth is too large for every supported ring; expected depth <= 85 "
                                         r"\(at n = 131072, log2\(Q\*P\) <= 3523"):
        ckks.Context(depth=100)


@pytest.mark.parametrize("kwargs,ring,fits_here", [
    ({"depth": 10, "poly_degree": 8192}, 32768, "depth <= 2"),  # 520 bits
    ({"depth": 10, "poly_degree": 16384, "security": 256}, 65536, "depth <= 2"),  # 520 > 462, <= 929; 230: d <= 2
    ({"depth": 3, "poly_degree": 2048, "scale_bits": 20}, 8192, "a larger ring"),  # 100 + 20 > 106; 53 < 80
], ids=["d10_n8192", "d10_n16384_sec256", "d3_n2048"])
def test_poly_degree_too_small_names_the_smallest_ring(kwargs, ring, fits_here):
    with pytest.raises(ValueError) as info:
        ckks.Context(**kwargs)
    msg = str(info.value)
    assert isinstance(info.value, ParameterError) and "\n" not in msg
    assert f"expected {fits_here} " in msg
    assert f"poly_degree >= {ring} (the smallest ring" in msg


def test_chain_copied_from_seal_names_the_2018_table():
    seal_8192 = [43, 43, 44, 44]  # SEAL CoeffModulus::BFVDefault(8192) = 218 bits with the special prime
    with pytest.raises(ValueError) as info:
        ckks.Context(poly_degree=8192, coeff_mod_bits=seal_8192, special_mod_bits=[44], scale_bits=30)
    msg = str(info.value)
    assert msg.startswith("Context: coeff_mod_bits exceed the security bound; expected log2(Q*P) <= 214 ")
    assert "poly_degree >= 16384 (the smallest ring" in msg
    assert 'security_standard="2018"' in msg and "log2(Q*P) <= 218 at n = 8192" in msg and msg.endswith("got 218 bits")
    ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=seal_8192, special_mod_bits=[44], scale_bits=30,
                       security_standard="2018")
    assert ctx.log_qp <= 218
    # over the 2018 table too: no hint to a table that would refuse it as well
    with pytest.raises(ValueError) as info:
        ckks.Context(poly_degree=16384, coeff_mod_bits=[60] + [50] * 7, special_mod_bits=[60])
    assert "poly_degree >= 32768 (the smallest ring" in str(info.value) and "2018" not in str(info.value)


@pytest.mark.parametrize("depth", [-1, 2.5, True], ids=["negative", "fractional", "bool"])
def test_bad_depth_refused(depth):
    with pytest.raises(ValueError, match=rf"depth is not a non-negative integer; expected an int >= 0 or None, got {depth!r}"):
        ckks.Context(depth=depth)
