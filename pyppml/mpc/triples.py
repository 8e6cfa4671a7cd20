"""Correlated randomness for two-party protocols: Beaver triples and comparison helpers.

:class:`TripleSource` is the pluggable interface the protocols draw from, in the order
they consume it. Material is asked for in *requests* (rows ``[kind, p1, p2, p3, p4]``);
``preprocess`` fetches many requests ahead (the offline phase) and ``take`` hands them out
during the online phase, checking that both happen in the same order.

:class:`DealerTripleSource` gets material from a dealer process (:func:`~pyppml.mpc.dealer.run_dealer`): a
third party that is trusted to be honest-but-curious and not to collude with either
party. It sends party 0 a fresh 32-byte seed from which party 0 expands its shares with
the ChaCha20 CSPRNG, and party 1 the corrections (value minus party 0's share), halving
the dealer's traffic.

The dealer-free source is ``pyppml.mpc.he_triples.HeTripleSource``: the two parties make
the arithmetic kinds themselves with BFV (masked cross products over a CRT of four 59-bit
plaintext primes, ``he_triples.CRT_PRIMES``, so nothing wraps before the reduction mod
2^64; re-randomized, noise-flooded replies). The Boolean and comparison kinds still come from a dealer (its
``fallback``).

Kinds (shapes are flat counts unless given):

==============  ====================  ===============================================
kind            parameters            material (sharing)
==============  ====================  ===============================================
MUL             count                 a, b, c = a*b            (additive mod 2^64)
MATMUL          m, k, n               A (m,k), B (k,n), C = A@B (additive)
FIXED_LEFT      key, m, k             A (m,k), kept by the source under ``key``
FIXED_LEFT_MM   key, start, stop, n   B (k,n), C = A[start:stop] @ B
FIXED_LEFT_TN   key, start, stop, n   B (stop-start,n), C = A[start:stop].T @ B
AND             count                 a, b, c = a & b          (XOR, 64-bit words)
CMP_MASK        count                 r (additive), r (XOR): one uniform word, both ways
BIT_PRODUCT     count                 s (XOR, one bit), s (additive), a, a*s (additive)
TREE4           count, last           alpha_S for the subsets S of tree4_subsets(last) (XOR),
                                      shape (len, count): one 4-ary carry-tree level
==============  ====================  ===============================================
"""

from __future__ import annotations

import collections
import enum
import time

import numpy as np

from pyppml import _core
from pyppml.mpc.party import Party
from pyppml.mpc.transport import FrameError, MsgType

_k = _core.mpc


class Kind(enum.IntEnum):
    MUL = 1
    MATMUL = 2
    FIXED_LEFT = 3
    FIXED_LEFT_MM = 4
    FIXED_LEFT_TN = 5
    AND = 6
    CMP_MASK = 7
    BIT_PRODUCT = 8
    TREE4 = 10


_ADD, _XOR, _BIT = "add", "xor", "bit"
_MAX_COUNT = 1 << 31


def _row(kind: int, *params: int) -> tuple[int, ...]:
    p = [int(x) for x in params] + [0] * (4 - len(params))
    return (int(kind), *p)


# One level of the 4-ary generate/propagate tree: variables P3, P2, P1, P0, G2, G1, G0 (bit
# i of a set), monomials P3 G2, P3 P2 G1, P3 P2 P1 G0 and (except at the last level) P3 P2 P1 P0.
TREE4_VARS = 7


def _tree4_monomials(last: bool) -> list[int]:
    p3, p2, p1, p0, g2, g1, g0 = (1 << i for i in range(TREE4_VARS))
    mons = [p3 | g2, p3 | p2 | g1, p3 | p2 | p1 | g0]
    return mons if last else mons + [p3 | p2 | p1 | p0]


def _tree4_subsets(last: bool) -> list[int]:
    ids = {1 << i for i in range(TREE4_VARS)}
    for mono in _tree4_monomials(last):
        sub = mono
        while sub:
            ids.add(sub)
            sub = (sub - 1) & mono
    return sorted(ids)


_TREE4 = {last: (_tree4_monomials(last), _tree4_subsets(last)) for last in (False, True)}


def tree4_monomials(last: bool) -> list[int]:
    """Monomials of one tree level as variable bit masks (the last level drops P3 P2 P1 P0)."""
    return list(_TREE4[bool(last)][0])


def tree4_subsets(last: bool) -> list[int]:
    """Every nonempty subset of a monomial, plus each single variable (each needs a mask)."""
    return list(_TREE4[bool(last)][1])


def layout(row: tuple[int, ...], fixed: dict[int, tuple[int, int]]) -> list[tuple[tuple[int, ...], str]]:
    """Shapes and sharings of the arrays a request yields. Raises FrameError on nonsense."""
    kind, p1, p2, p3, p4 = row
    if any(p < 0 or p > _MAX_COUNT for p in (p1, p2, p3, p4)):
        raise FrameError(f"triples: request has a parameter out of range; expected 0..2^31, got {row}")
    if kind == Kind.MUL:
        return [((p1,), _ADD)] * 3
    if kind == Kind.MATMUL:
        m, k, n = p1, p2, p3
        return [((m, k), _ADD), ((k, n), _ADD), ((m, n), _ADD)]
    if kind == Kind.FIXED_LEFT:
        return [((p2, p3), _ADD)]
    if kind in (Kind.FIXED_LEFT_MM, Kind.FIXED_LEFT_TN):
        if p1 not in fixed:
            raise FrameError(f"triples: request names an unknown fixed matrix; expected one of {sorted(fixed)}, "
                             f"got {p1}")
        m, k = fixed[p1]
        start, stop, n = p2, p3, p4
        if not 0 <= start <= stop <= m:
            raise FrameError(f"triples: request has a bad row range; expected 0 <= start <= stop <= {m}, got "
                             f"{start}:{stop}")
        if kind == Kind.FIXED_LEFT_MM:
            return [((k, n), _ADD), ((stop - start, n), _ADD)]
        return [((stop - start, n), _ADD), ((k, n), _ADD)]
    if kind == Kind.AND:
        return [((p1,), _XOR)] * 3
    if kind == Kind.CMP_MASK:
        return [((p1,), _ADD), ((p1,), _XOR)]
    if kind == Kind.BIT_PRODUCT:
        return [((p1,), _BIT), ((p1,), _ADD), ((p1,), _ADD), ((p1,), _ADD)]
    if kind == Kind.TREE4:
        return [((len(tree4_subsets(bool(p2))), p1), _XOR)]
    raise FrameError(f"triples: request has an unknown kind; expected 1..10, got {kind}")


def expand_party0(seed: bytes, shapes: list[tuple[tuple[int, ...], str]]) -> list[np.ndarray]:
    """Party 0's shares: consecutive words of ChaCha20 keyed by ``seed`` (bits: low bit)."""
    g = _core.Prng(seed, 0)
    out = []
    for shape, sharing in shapes:
        a = g.uint64(int(np.prod(shape, dtype=np.int64))).reshape(shape)
        if sharing == _BIT:
            a &= np.uint64(1)
        out.append(a)
    return out


def _fixed_update(row, fixed):
    if row[0] == Kind.FIXED_LEFT:
        fixed[row[1]] = (row[2], row[3])


class TripleSource:
    """Interface: correlated randomness handed out in request order.

    Subclasses implement :meth:`_produce` (material for a list of requests, this party's
    shares) and may override :meth:`close`. ``offline_seconds`` and ``offline_bytes``
    accumulate the cost of producing material (the offline phase).
    """

    def __init__(self, party_index: int):
        self.party = int(party_index)
        self._queue: collections.deque = collections.deque()
        self._fixed: dict[int, tuple[int, int]] = {}
        self.offline_seconds = 0.0
        self.offline_bytes = 0

    def _produce(self, rows: list[tuple[int, ...]]) -> list[list[np.ndarray]]:
        raise NotImplementedError

    def preprocess(self, rows: list[tuple[int, ...]]) -> None:
        """Fetch the material for ``rows`` now (offline phase); both parties pass the same rows."""
        if not rows:
            return
        t0 = time.perf_counter()
        for row in rows:
            _fixed_update(row, self._fixed)
        material = self._produce(rows)
        for row, arrays in zip(rows, material):
            self._queue.append((row, arrays))
        self.offline_seconds += time.perf_counter() - t0

    def take(self, row: tuple[int, ...]) -> list[np.ndarray]:
        """This party's material for ``row``, fetched on demand if it was not preprocessed."""
        if not self._queue:
            self.preprocess([row])
        head, arrays = self._queue.popleft()
        if head != row:
            raise RuntimeError(f"TripleSource.take: protocol out of step; expected request {head}, got {row}")
        return arrays

    def pending(self) -> int:
        return len(self._queue)

    # Typed front ends ---------------------------------------------------------
    @staticmethod
    def rows_mul(count):
        return _row(Kind.MUL, count)

    def mul_triple(self, shape):
        count = int(np.prod(shape, dtype=np.int64))
        return [a.reshape(shape) for a in self.take(_row(Kind.MUL, count))]

    def matmul_triple(self, m, k, n):
        return self.take(_row(Kind.MATMUL, m, k, n))

    def fixed_left(self, key, m, k):
        return self.take(_row(Kind.FIXED_LEFT, key, m, k))[0]

    def fixed_left_mm(self, key, start, stop, n):
        return self.take(_row(Kind.FIXED_LEFT_MM, key, start, stop, n))

    def fixed_left_tn(self, key, start, stop, n):
        return self.take(_row(Kind.FIXED_LEFT_TN, key, start, stop, n))

    def and_triple(self, count):
        return self.take(_row(Kind.AND, count))

    def tree4_material(self, count, last):
        return self.take(_row(Kind.TREE4, count, int(bool(last))))[0]

    def cmp_mask(self, count):
        return self.take(_row(Kind.CMP_MASK, count))

    def bit_product(self, count):
        return self.take(_row(Kind.BIT_PRODUCT, count))

    def close(self) -> None:
        pass


class DealerTripleSource(TripleSource):
    """Material from the dealer process ``dealer`` over ``party``'s channel to it.

    >>> # party i (0 or 1) of a computation with a dealer of id 2:
    >>> # source = DealerTripleSource(party, dealer=2)
    """

    def __init__(self, party: Party, dealer: int = 2):
        super().__init__(party.index)
        if party.index not in (0, 1):
            raise ValueError(f"DealerTripleSource: party is not a two-party index; expected 0 or 1, got {party.index}")
        self.channel = party.channel(dealer)

    def _produce(self, rows):
        ch = self.channel
        ch.send(MsgType.REQUEST, np.array(rows, dtype=np.int64).reshape(len(rows), 5))
        before = ch.bytes_received
        # Layouts are computed with the fixed matrices known *after* this batch's FIXED_LEFT rows.
        fixed = dict(self._fixed)
        shapes = [layout(r, fixed) for r in rows]
        flat_shapes = [s for per in shapes for s in per]
        if self.party == 0:
            seed = ch.recv(MsgType.MATERIAL)
            if seed.dtype != np.uint8 or seed.shape != (32,):
                raise FrameError(f"DealerTripleSource: seed has the wrong form; expected uint8 (32,), got "
                                 f"{seed.dtype} {seed.shape}")
            arrays = expand_party0(seed.tobytes(), flat_shapes)
        else:
            flat = ch.recv(MsgType.MATERIAL)
            total = sum(int(np.prod(s, dtype=np.int64)) for s, _ in flat_shapes)
            if flat.dtype != np.uint64 or flat.shape != (total,):
                raise FrameError(f"DealerTripleSource: material has the wrong form; expected uint64 ({total},), "
                                 f"got {flat.dtype} {flat.shape}")
            arrays, pos = [], 0
            for shape, _ in flat_shapes:
                size = int(np.prod(shape, dtype=np.int64))
                arrays.append(flat[pos:pos + size].reshape(shape))
                pos += size
        self.offline_bytes += ch.bytes_received - before
        out, pos = [], 0
        for per in shapes:
            out.append(arrays[pos:pos + len(per)])
            pos += len(per)
        return out

    def close(self) -> None:
        try:
            if not self.channel.closed:
                self.channel.send(MsgType.CONTROL, np.zeros(1, dtype=np.int64))
        except OSError:
            pass
