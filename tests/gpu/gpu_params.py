"""Parameter sets of tests/gpu: n = 2^12 .. 2^16, one-prime and multi-prime digits, one
and several special primes (the two ModDown paths). Contexts and keys are made once."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from pyppml import ckks

# id -> (n, data prime bits, special prime bits, dnum)
PARAMS = {
    "n4096_onedigit_p1": (4096, [40, 30, 30], [40], 0),
    "n8192_dnum2_p2": (8192, [50, 40, 40, 40], [50, 50], 2),
    "n16384_dnum2_p1": (16384, [30, 30, 30, 30], [60], 2),
    "n32768_onedigit_p2": (32768, [50, 40, 40], [50, 50], 0),
    "n65536_dnum2_p3": (65536, [55, 45, 45, 45], [55, 55, 55], 2),
}
SMALL = ["n4096_onedigit_p1", "n8192_dnum2_p2"]


@functools.lru_cache(maxsize=None)
def context(name: str) -> ckks.Context:
    n, q_bits, p_bits, dnum = PARAMS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # security=None warns: these are test rings
        ctx = ckks.Context(poly_degree=n, coeff_mod_bits=q_bits, special_mod_bits=p_bits, dnum=dnum,
                           scale_bits=q_bits[1], security=None)
    ctx.keygen(rotations=[1, 2, -1], conjugate=True)
    return ctx


def values(ctx, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, ctx.slots)


def host_polys(ct) -> list[np.ndarray]:
    """The residues of a ciphertext on either device, as arrays."""
    ct = ct.to("cpu")
    return [np.asarray(ct._native.poly(i)) for i in range(ct.size)]


def assert_same(gpu_ct, cpu_ct) -> None:
    """Bit-identical: level, size, scale and every residue."""
    assert gpu_ct.device == "cuda" and cpu_ct.device == "cpu"
    assert (gpu_ct.level, gpu_ct.size, gpu_ct.scale) == (cpu_ct.level, cpu_ct.size, cpu_ct.scale)
    for g, c in zip(host_polys(gpu_ct), host_polys(cpu_ct)):
        np.testing.assert_array_equal(g, c)
