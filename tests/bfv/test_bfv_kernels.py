"""The IFMA52 lift kernels against the scalar HPS conversion (bit-identical), and the
whole product under every backend present here."""

import numpy as np
import pytest

from pyppml import ring

from bfv_reference import T, mulmod

BACKENDS = ring.available_backends()


def _ref_lift(values, src, dst):
    """Centered CRT lift with Python integers (the oracle)."""
    Q = 1
    for q in src:
        Q *= q
    out = np.zeros((len(dst), values.shape[1]), dtype=np.uint64)
    for k in range(values.shape[1]):
        x = 0
        for i, q in enumerate(src):
            qi = Q // q
            x += int(values[i, k]) * qi * pow(qi, -1, q)
        x %= Q
        if x >= (Q + 1) // 2:
            x -= Q
        for j, p in enumerate(dst):
            out[j, k] = x % p
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_lift_kernels_match_python_integers(ctx, rng, backend):
    nat = ctx._bfv
    n = ctx.poly_degree
    for level in (0, ctx.max_level):
        q = ctx.coeff_moduli[: level + 1]
        b = ctx.aux_moduli
        for src, dst, to_aux in ((q, b, True), (b, q, False)):
            vals = np.stack([rng.integers(0, m, n, dtype=np.uint64) for m in src])
            # the edges: 0, Q - 1 (-1), and values far from Q/2 (where the lift is exact)
            vals[:, 0] = 0
            vals[:, 1] = [m - 1 for m in src]
            with ring.use_backend(backend):
                got = nat._lift(level, to_aux, vals.reshape(-1)).reshape(len(dst), n)
            cols = [0, 1] + list(rng.integers(2, n, 62))
            assert np.array_equal(got[:, cols], _ref_lift(vals[:, cols], src, dst)), (backend, level, to_aux)


@pytest.mark.parametrize("backend", BACKENDS)
def test_product_under_each_backend(ctx, rng, backend):
    x, y = rng.integers(0, T, (2, ctx.slots))
    a, b = ctx.encrypt(x), ctx.encrypt(y)
    with ring.use_backend(backend):
        prod = a * b
        budget = ctx.noise_budget(prod)
    assert np.array_equal(ctx.decrypt(prod), mulmod(x, y))
    assert abs(budget - ctx.noise_budget(a * b)) <= 1
