"""The C++ kernels of pyppml.dp.local against naive references: same CSPRNG stream, same
reports (unary perturbation, replayed byte by byte in Python); bit column counts against
numpy.unpackbits; OLH support counts against the hash evaluated in NumPy, on every SIMD
backend present; and the exact collision probability of the hash family."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ldp_helpers import Z_TWO_SIDED

from pyppml import _core, ring
from pyppml.dp.local import CountMeanSketch, OptimizedUnaryEncoding
from pyppml.dp.local.hashing import collision_probability, hash_items

SEED = bytes(range(32))


def unary_reference(stream: bytes, positions, width, t_hit, t_other) -> np.ndarray:
    """Per row, per block of 64 positions: one byte per position compared with the top
    byte of its threshold; then each tie, in order, continues with the next bytes."""
    it = iter(stream)
    rows = []
    for pos in positions:
        bits = [0] * width
        for start in range(0, width, 64):
            k = min(64, width - start)
            block = [next(it) for _ in range(k)]
            ties = []
            for j in range(k):
                top = (t_hit if start + j == pos else t_other) >> 56
                if block[j] < top:
                    bits[start + j] = 1
                elif block[j] == top:
                    ties.append(j)
            for j in ties:
                t = t_hit if start + j == pos else t_other
                for shift in range(48, -8, -8):
                    b, tb = next(it), (t >> shift) & 0xFF
                    if b != tb:
                        bits[start + j] = int(b < tb)
                        break
        rows.append(np.packbits(np.array(bits, dtype=np.uint8), bitorder="little"))
    return np.array(rows)


@pytest.mark.parametrize("width", [1, 13, 64, 70, 200])
def test_unary_perturb_matches_reference(width):
    # Thresholds whose top bytes are hit often enough (1/256 per bit) to exercise ties, and
    # a second byte equal to 0x00/0xFF patterns so some ties go deeper.
    t_hit, t_other = 0x80_00_FF_00_12_34_56_78, 0x45_45_00_00_00_00_00_01
    n = 4000 // width + 3
    pos = _core.Prng(SEED, 9).uniform_mod(width, n).astype(np.uint32) if width > 1 else np.zeros(n, np.uint32)
    got = _core.ldp_unary_perturb(pos, width, t_hit, t_other, _core.Prng(SEED, 1))
    stream = _core.Prng(SEED, 1).random_bytes(16 * n * width + 64)
    assert np.array_equal(got, unary_reference(stream, pos, width, t_hit, t_other))


def test_unary_perturb_ties_resolved_both_ways():
    """Thresholds 0x80...: ties in the top byte are frequent; the deeper bytes must decide,
    so a wrong tie rule (always 1 or always 0) is caught by the reference."""
    n, width = 300, 64
    pos = np.zeros(n, dtype=np.uint32)
    t = 0x37_80_00_00_00_00_00_00
    got = _core.ldp_unary_perturb(pos, width, t, t, _core.Prng(SEED, 2))
    stream = _core.Prng(SEED, 2).random_bytes(8 * n * width)
    ref = unary_reference(stream, pos, width, t, t)
    assert np.array_equal(got, ref)
    ties = sum(1 for b in stream[: n * width] if b == 0x37)
    assert ties > 20


def test_oue_perturb_is_the_kernel_on_its_thresholds():
    oue = OptimizedUnaryEncoding(1.3, 37)
    values = np.arange(37).repeat(3)
    got = oue.perturb(values, prng=_core.Prng(SEED, 4)).values
    stream = _core.Prng(SEED, 4).random_bytes(8 * values.size * 37 + 64)
    assert np.array_equal(got, unary_reference(stream, values, 37, oue.hit_threshold, oue.other_threshold))


def test_bit_column_counts():
    prng = _core.Prng(SEED, 5)
    width, n, groups = 77, 500, 6
    bits = np.frombuffer(prng.random_bytes(n * 10), dtype=np.uint8).reshape(n, 10).copy()
    g = prng.uniform_mod(groups, n).astype(np.uint32)
    got = _core.ldp_bit_column_counts(bits, width, g, groups)
    unpacked = np.unpackbits(bits, axis=1, bitorder="little")[:, :width].astype(np.uint64)
    ref = np.stack([unpacked[g == k].sum(axis=0) for k in range(groups)])
    assert np.array_equal(got, ref)  # padding bits (77..79 are random here) are ignored
    assert np.array_equal(_core.ldp_bit_column_counts(bits, width)[0], unpacked.sum(axis=0))


@pytest.mark.parametrize("backend", ring.available_backends())
@pytest.mark.parametrize("g,d", [(2, 300), (5, 128), (4, 1), (2**31, 257), (3, 1000)])
def test_olh_support_counts(backend, g, d):
    prng = _core.Prng(SEED, 6)
    n = 700
    a, b = prng.uint64(n), prng.uint64(n)
    y = prng.uniform_mod(g, n).astype(np.uint32)
    y[:50] = hash_items(a[:50], b[:50], 0, g)  # some reports support item 0
    ref = (hash_items(a[:, None], b[:, None], np.arange(d)[None, :], g) == y[:, None]).sum(axis=0)
    with ring.use_backend(backend):
        assert _core.ldp_olh_kernel_name() == backend
        got = _core.ldp_olh_support_counts(a, b, y, g, d)
    assert np.array_equal(got, ref)


@pytest.mark.parametrize("g", [2, 3, 7, 1000, 2**31 - 1])
def test_collision_probability_is_the_bucket_sum(g):
    # Bucket k of u -> (u g) >> 32 holds u in [ceil(k 2^32/g), ceil((k+1) 2^32/g)).
    if g <= 1000:
        edges = [-(-(k << 32) // g) for k in range(g + 1)]
        sizes = np.diff(edges)
        assert sizes.sum() == 1 << 32
        assert collision_probability(g) * 2**64 == sum(int(s) ** 2 for s in sizes)
    assert abs(float(collision_probability(g)) - 1 / g) <= g / 2**64 + 1e-300


def test_hash_collision_rate():
    """Over fresh keys, P[H(x) = H(x')] for x != x' is the exact value the estimators use
    (z-test at 1e-6; catches a family whose collision rate is off by 0.4%, e.g. a linear
    hash mod 2^64 that keeps only low bits)."""
    n, g = 2_000_000, 3
    keys = _core.Prng(SEED, 8).uint64(2 * n).reshape(n, 2)
    same = hash_items(keys[:, 0], keys[:, 1], 12, g) == hash_items(keys[:, 0], keys[:, 1], 13, g)
    p = float(collision_probability(g))
    assert abs(same.mean() - p) <= Z_TWO_SIDED * math.sqrt(p * (1 - p) / n)


def test_cms_buckets_match_reports():
    """The sketch's device and server agree on the hash: a report's own bucket is the
    bucket of its row's hash function (at eps = 20 a sign flips with P = 1/(e^10 + 1)
    ~ 4.5e-5; with these fixed seeds none of the 9152 does)."""
    cms = CountMeanSketch(20.0, 1000, k=8, m=64, prng=_core.Prng(SEED, 10))
    values = np.arange(0, 1000, 7)
    r = cms.perturb(values, prng=_core.Prng(SEED, 11))
    bits = np.unpackbits(r.values, axis=1, bitorder="little")
    own = cms.buckets(values)[r.keys, np.arange(values.size)]
    assert np.array_equal(bits.argmax(axis=1), own) and np.all(bits.sum(axis=1) == 1)
