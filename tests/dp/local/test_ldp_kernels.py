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
    """The stream as 64-bit little-endian words, bits taken from bit 0 up. Per row, per
    block of 64 positions: compare U with each position's threshold from the top bit
    down; at each threshold bit, every position still tied takes the next stream bit."""
    words = np.frombuffer(stream[: len(stream) // 8 * 8], dtype="<u8")
    bit_iter = (int(w) >> i & 1 for w in words for i in range(64))
    rows = []
    for pos in positions:
        bits = [0] * width
        for start in range(0, width, 64):
            open_ = list(range(start, min(start + 64, width)))
            for b in range(63, -1, -1):
                still = []
                for j in open_:  # increasing position order
                    r = next(bit_iter)
                    tb = ((t_hit if j == pos else t_other) >> b) & 1
                    if r < tb:
                        bits[j] = 1
                    elif r == tb:
                        still.append(j)
                open_ = still
                if not open_:
                    break
        rows.append(np.packbits(np.array(bits, dtype=np.uint8), bitorder="little"))
    return np.array(rows)


def _stream(stream_id, n, width):
    # Enough for the reference: 2 bits per output bit on average, 64 at most.
    return _core.Prng(SEED, stream_id).random_bytes(8 * n * width + 64)


@pytest.mark.parametrize("backend", ring.available_backends())
@pytest.mark.parametrize("width", [1, 13, 64, 70, 200])
def test_unary_perturb_matches_reference(backend, width):
    # Thresholds with long runs of equal bits, so some positions stay tied deep down, and
    # T = 2^63 + 1 (OUE's own bit is 2^63) so the last threshold bit is reached at times.
    t_hit, t_other = 0x80_00_00_00_00_00_00_01, 0x45_45_00_00_00_00_00_01
    n = 3000 // width + 3
    pos = _core.Prng(SEED, 9).uniform_mod(width, n).astype(np.uint32) if width > 1 else np.zeros(n, np.uint32)
    with ring.use_backend(backend):
        got = _core.ldp_unary_perturb(pos, width, t_hit, t_other, _core.Prng(SEED, 1))
    assert np.array_equal(got, unary_reference(_stream(1, n, width), pos, width, t_hit, t_other))


def test_unary_perturb_all_bits_equal_to_threshold():
    """A deep tie: threshold 1 (P = 2^-64) and 2^64 - 1; rows all 0 resp. all 1 except
    with probability ~2^-58 here, and the reference agrees bit for bit."""
    n, width = 50, 64
    pos = np.zeros(n, dtype=np.uint32)
    got = _core.ldp_unary_perturb(pos, width, 2**64 - 1, 1, _core.Prng(SEED, 2))
    assert np.array_equal(got, unary_reference(_stream(2, n, width), pos, width, 2**64 - 1, 1))
    unpacked = np.unpackbits(got, axis=1, bitorder="little")
    assert unpacked[:, 0].all() and not unpacked[:, 1:].any()


def test_oue_perturb_is_the_kernel_on_its_thresholds():
    oue = OptimizedUnaryEncoding(1.3, 37)
    values = np.arange(37).repeat(3)
    got = oue.perturb(values, prng=_core.Prng(SEED, 4)).values
    ref = unary_reference(_stream(4, values.size, 37), values, 37, oue.hit_threshold, oue.other_threshold)
    assert np.array_equal(got, ref)


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
    bucket of its row's hash function. At eps = 20 a sign flips with P = 1/(e^10 + 1)
    ~ 4.5e-5: ~0.4 of the 9152 signs here, more than 5 with probability < 1e-6."""
    cms = CountMeanSketch(20.0, 1000, k=8, m=64, prng=_core.Prng(SEED, 10))
    values = np.arange(0, 1000, 7)
    r = cms.perturb(values, prng=_core.Prng(SEED, 11))
    bits = np.unpackbits(r.values, axis=1, bitorder="little").astype(bool)
    own = np.zeros_like(bits)
    own[np.arange(values.size), cms.buckets(values)[r.keys, np.arange(values.size)]] = True
    assert (bits != own).sum() <= 5
