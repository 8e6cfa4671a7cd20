"""`pyppml bench boot` as a pytest-benchmark test on a small insecure ring (n = 2^11,
security=None; the 2^16 figures come from `pyppml bench boot --compare`): one bootstrap,
its precision filed with the record and checked."""

import warnings

import numpy as np
import pytest

from pyppml import ckks


@pytest.fixture(scope="module")
def boot_ctx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = ckks.Context.bootstrappable(levels_after=2, slots=256, poly_degree=2048, security=None)
    ctx.keygen(bootstrapping=True)
    return ctx


def test_bootstrap(ppml_bench, boot_ctx):
    ctx = boot_ctx
    x = np.tile(np.random.default_rng(0).uniform(-1, 1, 256), ctx.slots // 256)
    ct = ctx.encrypt(x).drop_to_level(0)
    out = ppml_bench(ct.bootstrap, scheme="ckks", N=ctx.poly_degree, L=ctx.max_level + 1, op="bootstrap")
    err = np.abs(ctx.decrypt(out) - x)
    ppml_bench.record["precision_bits_max"] = float(-np.log2(err.max()))
    assert out.level == 2 and err.max() < 2.0 ** -15
