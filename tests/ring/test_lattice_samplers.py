"""Lattice samplers of the CSPRNG: uniform mod q, ternary and the RLWE error (CBD(21)),
tested statistically at a false-failure rate of 1e-6, plus seeded reproducibility."""

import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import pyppml
from pyppml import ring
from pyppml._core import CBD_SIGMA

Z_ONE_SIDED = 4.753   # P(Z > z) = 1e-6
Z_TWO_SIDED = 4.892   # P(|Z| > z) = 1e-6


def chi2_critical(dof: int) -> float:
    """Wilson-Hilferty upper 1e-6 quantile of chi-square with `dof` degrees of freedom."""
    h = 2.0 / (9 * dof)
    return dof * (1 - h + Z_ONE_SIDED * math.sqrt(h)) ** 3


def chi2(counts, probs):
    n = counts.sum()
    expected = n * np.asarray(probs)
    return float(((counts - expected) ** 2 / expected).sum())


@pytest.fixture(params=ring.available_backends())
def prng(request):
    with ring.use_backend(request.param):
        yield ring.Prng()


def test_cbd_support_mean_and_variance(prng):
    n = 2_000_000
    x = prng.cbd(n).astype(np.int64)
    assert x.min() >= -21 and x.max() <= 21
    assert abs(CBD_SIGMA ** 2 - 10.5) < 1e-12
    assert abs(x.mean()) < Z_TWO_SIDED * math.sqrt(10.5 / n)
    # E[X^2] = 10.5 and Var[X^2] = mu4 - sigma^4 = 325.5 - 110.25 for CBD(21)
    # (mu4 = 21 E[Y^4] + 3 * 21 * 20 E[Y^2]^2 with Y = a - b, E[Y^2] = E[Y^4] = 1/2).
    assert abs((x * x).mean() - 10.5) < Z_TWO_SIDED * math.sqrt(215.25 / n)


def test_cbd_matches_exact_pmf(prng):
    n = 1_000_000
    x = prng.cbd(n).astype(np.int64)
    support = np.arange(-8, 9)
    pmf = np.array([math.comb(42, int(k) + 21) for k in support], dtype=float) / 2 ** 42
    counts = np.array([(x == k).sum() for k in support] + [(np.abs(x) > 8).sum()], dtype=float)
    probs = np.append(pmf, 1 - pmf.sum())
    assert chi2(counts, probs) < chi2_critical(len(probs) - 1)


def test_ternary_uniform(prng):
    x = prng.ternary(600_000)
    assert set(np.unique(x)) == {-1, 0, 1}
    counts = np.array([(x == v).sum() for v in (-1, 0, 1)], dtype=float)
    assert chi2(counts, [1 / 3] * 3) < -2 * math.log(1e-6)  # chi2 with 2 dof is Exp(1/2)


@pytest.mark.parametrize("q", [17, 3 * 2**18 + 1, (1 << 61) - 1])
def test_uniform_mod_q(prng, q):
    n = 400_000
    x = prng.uniform_mod(q, n)
    assert x.max() < q
    if q == 17:
        counts = np.bincount(x.astype(np.int64), minlength=17).astype(float)
        assert chi2(counts, [1 / 17] * 17) < chi2_critical(16)
    # mean of U[0, q) is (q-1)/2 with sd q/sqrt(12 n)
    mean = x.astype(np.float64).mean()
    assert abs(mean - (q - 1) / 2) < Z_TWO_SIDED * q / math.sqrt(12 * n)


def test_seeded_expansion_is_reproducible_and_stream_separated():
    seed = bytes(range(32))
    a = ring.Prng(seed).uint64(1000)
    b = ring.Prng(seed).uint64(1000)
    c = ring.Prng(seed, stream=1).uint64(1000)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(ring.Prng().uint64(4), ring.Prng().uint64(4))
    with pytest.raises(ValueError, match="seed has the wrong length"):
        ring.Prng(b"short")


# Two processes that make the same calls: each must key its generators from the OS. A
# per-process counter or clock seed passes the in-process check above but repeats keys,
# encryption noise and DP noise across processes (or runs).
_SEEDED_CHILD = """
import hashlib
from pyppml import ckks, dp, ring
print(ring.Prng().uint64(4).tolist())
ctx = ckks.Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
ctx.keygen(rotations=[], conjugate=False, relin=False)
print(hashlib.sha256(ctx.export_secret_key()).hexdigest())
print(dp.discrete_gaussian(10**6, 4).tolist())
"""


def test_separate_processes_draw_different_randomness():
    # The pyppml under test, from a neutral directory (the checkout is not on sys.path).
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(pyppml.__file__))))
    children = [subprocess.Popen([sys.executable, "-c", _SEEDED_CHILD], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env, cwd=tempfile.gettempdir())
                for _ in range(2)]
    outs = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-3000:]
        outs.append(out.splitlines())
    assert all(len(lines) == 3 for lines in outs), outs
    # A false failure needs equal 256-bit outputs, equal keys, or four equal draws of
    # N_Z(0, 10^12) (each collision below 1e-6, so all four below 1e-24).
    same = [what for what, a, b in zip(("Prng() output", "secret key", "discrete Gaussian draws"), *outs) if a == b]
    assert same == [], f"two processes got the same {', '.join(same)}: {outs[0]}"
