"""`pyppml bench sizes` as pytest-benchmark tests: serializing CKKS ciphertexts and keys on
the suite's first parameter set (TenSEAL's n = 8192, 60/40/40 + 60 bits); the bytes are
filed with each record and each object is read back."""

import numpy as np
import pytest

from pyppml import ckks
from pyppml.benchmarks.sizes import SETS


@pytest.fixture(scope="module")
def ctx_ct():
    n, q_bits, p_bits, scale_bits = SETS[0]
    ctx = ckks.Context(poly_degree=n, coeff_mod_bits=q_bits, special_mod_bits=p_bits, scale_bits=scale_bits,
                       security_standard="2018")
    ctx.keygen(rotations=[1])
    x = np.random.default_rng(0).uniform(-1, 1, n // 2)
    return ctx, x, ctx.encrypt(x, symmetric=False), ctx.encrypt(x)


@pytest.mark.parametrize("kind", ["public_key", "symmetric"])
def test_ciphertext_bytes(ppml_bench, ctx_ct, kind):
    ctx, x, pk_ct, sym_ct = ctx_ct
    ct = pk_ct if kind == "public_key" else sym_ct
    data = ppml_bench(ct.to_bytes, scheme="ckks", N=ctx.poly_degree, L=ctx.max_level + 1, op=f"bytes_ciphertext_{kind}")
    ppml_bench.record["bytes"] = len(data)
    back = ckks.Ciphertext.from_bytes(data, ctx)
    assert np.max(np.abs(ctx.decrypt(back)[: x.size] - x)) < 1e-6


def test_relin_key_bytes(ppml_bench, ctx_ct):
    ctx = ctx_ct[0]
    data = ppml_bench(lambda: ctx.key_to_bytes(ctx.relin_key), scheme="ckks", N=ctx.poly_degree, L=ctx.max_level + 1,
                      op="bytes_relin_key")
    ppml_bench.record["bytes"] = len(data)
    assert ctx.key_to_bytes(ctx.key_from_bytes(data)) == data
