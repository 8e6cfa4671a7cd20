"""Ring-level kernels of the CUDA backend against the CPU scalar backend, bit for bit:
the batched NTT (both directions), fast base conversion (approximate, exact, exact
centred) and automorphisms in both forms, n = 2^12 .. 2^16."""

from __future__ import annotations

import numpy as np
import pytest

from pyppml import ring
from pyppml.gpu.evaluator import evaluator_for

from gpu_params import PARAMS, context

pytestmark = pytest.mark.usefixtures("scalar")


def _random(moduli, n, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, q, n, dtype=np.uint64) for q in moduli])


@pytest.mark.parametrize("name", list(PARAMS))
def test_ntt_both_directions(device_backend, name):
    ctx = context(name)
    dc = evaluator_for(ctx).device_context
    moduli = ctx.coeff_moduli + ctx.special_moduli
    n = ctx.poly_degree
    a = _random(moduli, n, 1)
    a[0, :4] = [0, 1, moduli[0] - 1, moduli[0] // 2]  # edge values
    forward = np.stack([ring.NttTables(n, q).forward(a[i]) for i, q in enumerate(moduli)])
    inverse = np.stack([ring.NttTables(n, q).inverse(a[i]) for i, q in enumerate(moduli)])
    primes = list(range(len(moduli)))
    np.testing.assert_array_equal(dc.ntt(a, primes, True), forward)
    np.testing.assert_array_equal(dc.ntt(a, primes, False), inverse)
    # Limbs in any order and repeated primes (the batch map).
    order = primes[::-1] + [0]
    np.testing.assert_array_equal(dc.ntt(a[order], order, True), forward[order])


def test_values_outside_their_prime_are_refused(device_backend):
    """As on the CPU (NttTables refuses them): review 2026-12-08 found the device NTT
    taking 2^64 - 1 and returning words that were not residues."""
    from pyppml import ParameterError

    ctx = context("n4096_onedigit_p1")
    dc = evaluator_for(ctx).device_context
    moduli = ctx.coeff_moduli
    a = _random(moduli[:1], ctx.poly_degree, 2)
    a[0, 5] = moduli[0]
    for call in (lambda: dc.ntt(a, [0], True), lambda: dc.convert(a, [0], [1])):
        with pytest.raises(ParameterError, match="data has a value out of range"):
            call()


@pytest.mark.parametrize("mode", ["approx", "exact", "centered"])
@pytest.mark.parametrize("name", ["n4096_onedigit_p1", "n8192_dnum2_p2", "n65536_dnum2_p3"])
def test_base_conversion(device_backend, name, mode):
    ctx = context(name)
    dc = evaluator_for(ctx).device_context
    moduli = ctx.coeff_moduli + ctx.special_moduli
    k = len(ctx.coeff_moduli)
    cases = [(list(range(k)), list(range(k, len(moduli)))),       # Q -> P
             (list(range(k, len(moduli))), list(range(k))),       # P -> Q (ModDown)
             ([1], [0] + list(range(2, len(moduli))))]            # one prime (ModUp of a digit)
    m = 3000
    for src, dst in cases:
        x = np.stack([np.random.default_rng(7).integers(0, moduli[i], m, dtype=np.uint64) for i in src])
        x[:, 0] = 0
        conv = ring.BaseConverter(ring.RnsBase([moduli[i] for i in src]), ring.RnsBase([moduli[i] for i in dst]))
        want = conv.convert(x, exact=mode != "approx", centered=mode == "centered")
        got = dc.convert(x, src, dst, exact=mode != "approx", centered=mode == "centered")
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["n4096_onedigit_p1", "n65536_dnum2_p3"])
def test_automorphisms(device_backend, name):
    ctx = context(name)
    dc = evaluator_for(ctx).device_context
    n = ctx.poly_degree
    moduli = ctx.coeff_moduli
    base = ring.RnsBase(moduli)
    a = _random(moduli, n, 3)
    primes = list(range(len(moduli)))
    for k in (5, 25, 2 * n - 1, ctx.galois_element(-1)):
        coeff = ring.RnsPoly.from_array(base, a)
        np.testing.assert_array_equal(dc.automorphism(a, primes, k, False), np.asarray(coeff.automorphism(k)))
        ev = ring.RnsPoly.from_array(base, a, form="evaluation")
        np.testing.assert_array_equal(dc.automorphism(a, primes, k, True), np.asarray(ev.automorphism(k)))
