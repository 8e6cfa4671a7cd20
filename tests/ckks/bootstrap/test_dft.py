"""The factored decoding map against naive oracles: the dense matrix V[k, j] =
exp(i pi 5^k j / 2s), and the encoder itself (a polynomial in X^(n/2s) decodes to V u)."""

import warnings

import numpy as np
import pytest

from pyppml import ckks
from pyppml.ckks.bootstrap import dft


def _run(stages, v):
    for op in stages:
        v = dft.apply(op, v)
    return v


@pytest.mark.parametrize("s", [2, 4, 16, 64, 256])
def test_stages_match_the_dense_matrix(s, rng):
    V = dft.decode_matrix_reference(s)
    u = rng.normal(size=s) + 1j * rng.normal(size=s)
    # SlotsToCoeffs: V R on bit-reversed input; CoeffsToSlots: R V^-1, inverse of it.
    assert np.allclose(_run(dft.slots_to_coeffs_stages(s), dft.bit_reverse(u)), V @ u, atol=1e-12 * s)
    assert np.allclose(_run(dft.coeffs_to_slots_stages(s), V @ u), dft.bit_reverse(u), atol=1e-12 * s)


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_merged_levels_are_the_same_map(levels, rng):
    s = 64
    stages = dft.slots_to_coeffs_stages(s)
    merged = dft.group_stages(stages, levels, s)
    assert len(merged) == levels
    v = rng.normal(size=s) + 1j * rng.normal(size=s)
    assert np.allclose(_run(merged, v), _run(stages, v), atol=1e-12)
    # A merged level of k radix-2 stages has at most 2^(k+1) - 1 diagonals.
    assert max(len(op) for op in merged) <= 2 ** (-(-len(stages) // levels) + 1) - 1


@pytest.mark.parametrize("s", [512, 64])
def test_the_matrix_is_the_encoders_decoding(s, rng):
    n = 1024
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context(poly_degree=n, coeff_mod_bits=[50, 40], special_mod_bits=[50], security=None)
    gap = n // (2 * s)
    a = rng.normal(size=2 * s)
    m = np.zeros(n)
    m[::gap] = a
    z = ctx._native.decode_from_coefficients(m, 1.0)
    V = dft.decode_matrix_reference(s)
    assert np.allclose(z[:s], V @ (a[:s] + 1j * a[s:]), atol=1e-9)
    # The slots of a polynomial in X^gap repeat with period s: tiled operators act on them.
    tiled = [dft.tile(op, s, n // 2) for op in dft.slots_to_coeffs_stages(s)]
    assert np.allclose(_run(tiled, np.tile(dft.bit_reverse(a[:s] + 1j * a[s:]), n // 2 // s)), z, atol=1e-9)
