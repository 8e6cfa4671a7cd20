"""One-time CKKS: what the server holds for a client before decryption (its upload
c_t = Encode(x_t) - a_t s + e_t) is independent of the client's update. Each coefficient
is uniform mod q whatever the update (chi-square, 64 equal bins, false-failure rate 1e-6
per assertion), and the same statistics catch the upload when the one-time key is
removed, or removed from only 5% of the coefficients (their power)."""

import numpy as np
import pytest
from scipy import stats

from pyppml import _core
from pyppml.fl.ckks.onetime import OneTimeClient, OneTimeMember, OneTimeParams, ring
from pyppml.fl.common.messages import Kind, Message

ALPHA = 1e-6  # false-failure rate of each assertion
BINS = 64


@pytest.fixture(scope="module")
def plan():
    p = OneTimeParams(3, 2 * 4096, members=2, min_clients=2)  # two blocks: 8192 coefficients per upload
    members = [OneTimeMember(j, p, signed=False) for j in range(2)]
    return p, [m.public_key for m in members]


def _updates(p):
    """Very different updates: zero, the largest entries, a random one."""
    rng = np.random.default_rng(3)
    return {"zero": np.zeros(p.dim), "max": np.full(p.dim, p.max_abs_value),
            "random": rng.uniform(-p.max_abs_value, p.max_abs_value, p.dim)}


def _coefficients(p, keys, update, rnd=1):
    msg = Message.from_bytes(OneTimeClient(0, p, keys).upload(rnd, update), Kind.OT_UPLOAD)
    return _core.unpack_fixed_width(msg.fields[2], p.modulus_bits, p.blocks * p.poly_degree)


def _counts(c, q):
    # Bins [b q / 64, (b + 1) q / 64): exact integer arithmetic (q < 2^61).
    return np.bincount((c.astype(object) * BINS // q).astype(np.int64), minlength=BINS)


def _uniform_stat(c, q) -> float:
    counts = _counts(c, q)
    expected = c.size / BINS  # the bins differ in width by < 1 / (q / 64): negligible
    return float(((counts - expected) ** 2 / expected).sum())


def _two_sample_stat(c1, c2, q) -> float:
    table = np.vstack([_counts(c1, q), _counts(c2, q)])
    return float(stats.chi2_contingency(table, correction=False)[0])


def _statistics(p, keys):
    """The uniformity statistic of each update's upload, and the uploads."""
    ups = _updates(p)
    coeffs = {name: _coefficients(p, keys, u, rnd) for rnd, (name, u) in enumerate(ups.items(), start=1)}
    return {name: _uniform_stat(c, p.modulus) for name, c in coeffs.items()}, coeffs


LIMIT = stats.chi2.ppf(1 - ALPHA, BINS - 1)


def test_upload_is_uniform_and_independent_of_the_update(plan):
    p, keys = plan
    uniform, coeffs = _statistics(p, keys)
    for name, stat in uniform.items():
        assert stat < LIMIT, (name, stat)
    two = _two_sample_stat(coeffs["zero"], coeffs["max"], p.modulus)
    assert two < LIMIT, two  # same distribution for the zero and the largest update


def test_statistics_detect_an_upload_without_its_key(plan, monkeypatch):
    """Power: with the one-time key replaced by zero, c = Encode(x) + e sits next to 0
    mod q and every statistic far exceeds its 1e-6 threshold."""
    p, keys = plan
    monkeypatch.setattr(ring, "key_in_ntt_form", lambda params, seeds: _zero_key(params))
    uniform, _ = _statistics(p, keys)
    assert all(stat > LIMIT for stat in uniform.values()), uniform


def test_statistics_detect_a_key_missing_from_5_percent_of_the_coefficients(plan, monkeypatch):
    """Power against a small leak: 5% of each block's coefficients computed without the
    key (the rest as usual) is caught by the uniformity test for every update."""
    p, keys = plan
    real = ring.client_block

    def leaky(params, key, a, values, e):
        c = real(params, key, a, values, e)
        c[: params.poly_degree // 20] = real(params, _zero_key(params), a, values, e)[: params.poly_degree // 20]
        return c

    monkeypatch.setattr(ring, "client_block", leaky)
    uniform, _ = _statistics(p, keys)
    assert all(stat > LIMIT for stat in uniform.values()), uniform


def _zero_key(params):
    """The all-zero key in evaluation form (what a client without a key would use)."""
    key = _core.RnsPoly.from_array(params.base, np.zeros((1, params.poly_degree), dtype=np.uint64), "coefficient")
    key.ntt()
    return key


def test_two_uploads_of_one_update_differ_uniformly(plan):
    """Each upload draws a fresh one-time key: two uploads of one update in one round
    differ by a uniform vector mod q (mutation audit 2026-12-08: a client generator
    seeded from public data, which makes every key computable, passed every test)."""
    p, keys = plan
    u = np.zeros(p.dim)
    c1, c2 = _coefficients(p, keys, u, rnd=7), _coefficients(p, keys, u, rnd=7)
    diff = ((c1.astype(object) - c2.astype(object)) % p.modulus).astype(np.uint64)
    assert _uniform_stat(diff, p.modulus) < stats.chi2.ppf(1 - ALPHA, BINS - 1)
