"""`pyppml bench ckks` as pytest-benchmark tests: encrypt, multiply + relinearize + rescale
and a rotation on the peers' parameter sets (pyppml.benchmarks.ckks.CKKS_SETS)."""

import numpy as np
import pytest

from pyppml import ckks
from pyppml.benchmarks.ckks import CKKS_SETS, chain

PARAMS = {"logn": ((13,), (13, 14, 15))}


@pytest.fixture(scope="module")
def contexts():
    return {}


@pytest.fixture
def setup(contexts, logn):
    if logn not in contexts:
        N, first, scale_bits, depth, special = next(s for s in CKKS_SETS if s[0] == 1 << logn)
        q_bits, p_bits = chain(first, scale_bits, depth, special)
        # 128-bit under the 2018 HE standard, the table SEAL and OpenFHE enforce.
        ctx = ckks.Context(poly_degree=N, coeff_mod_bits=q_bits, special_mod_bits=p_bits, scale_bits=scale_bits,
                           security_standard="2018")
        ctx.keygen(rotations=[1], conjugate=False)
        x, y = np.random.default_rng(1).uniform(-1, 1, (2, N // 2))
        contexts[logn] = (ctx, x, y, ctx.encrypt(x, symmetric=False), ctx.encrypt(y, symmetric=False))
    return contexts[logn]


def test_encrypt(ppml_bench, setup):
    ctx, x, _, _, _ = setup
    ct = ppml_bench(lambda: ctx.encrypt(x, symmetric=False), scheme="ckks", N=ctx.poly_degree,
                    L=ctx.max_level + 1, op="encrypt", note="public key")
    assert np.max(np.abs(ctx.decrypt(ct)[: x.size] - x)) < 1e-6


def test_multiply_relin_rescale(ppml_bench, setup):
    ctx, x, y, cx, cy = setup
    out = ppml_bench(lambda: cx * cy, scheme="ckks", N=ctx.poly_degree, L=ctx.max_level + 1,
                     op="multiply_relin_rescale")
    assert out.level == cx.level - 1
    assert np.max(np.abs(ctx.decrypt(out)[: x.size] - x * y)) < 1e-4


def test_rotate(ppml_bench, setup):
    ctx, x, _, cx, _ = setup
    out = ppml_bench(lambda: cx.rotate(1), scheme="ckks", N=ctx.poly_degree, L=ctx.max_level + 1, op="rotate")
    assert np.max(np.abs(ctx.decrypt(out)[: x.size - 1] - x[1:])) < 1e-6
