"""Two-party protocols on additive shares over Z_2^64, with correlated randomness from a
:class:`~pyppml.mpc.triples.TripleSource`, plus an n-party secure sum.

Security model (stated plainly): two semi-honest (honest-but-curious) parties; the
dealer, when used, is a third semi-honest party that does not collude with either. Under
that model every value a party sees is either its own share, a value masked by a uniform
one-time pad from the dealer (Beaver's d, e; the comparison's x + r; the bit t = b XOR s)
or an output. Malicious parties are *not* handled: a cheating party can change results
(no MACs), though it cannot make an honest party hang or allocate unbounded memory
(timeouts, frame checks in :mod:`~pyppml.mpc.transport`). Fixed-point truncation is
SecureML's local truncation, with the failure probability of :class:`FixedPoint`.

>>> # in each of the two party processes (index i in {0, 1}), with a dealer of id 2:
>>> # rt = SecureRuntime(Party(i, addresses), DealerTripleSource(party, 2))
>>> # x = rt.share_input(values if i == 0 else None, owner=0, shape=(4,))
>>> # rt.decode(rt.open(rt.relu(x)))
"""

from __future__ import annotations


import numpy as np

from pyppml import _core
from pyppml.mpc.fixed_point import FixedPoint
from pyppml.mpc.party import Party
from pyppml.mpc.sharing import additive_share
from pyppml.mpc.transport import FrameError, MsgType
from pyppml.mpc.triples import TREE4_VARS, TripleSource, tree4_monomials, tree4_subsets

_k = _core.mpc
_U = np.uint64
_ONE = _U(1)
# Per tree level kind (last or not): subset ids, rows of the single-variable masks, monomials.
_TREE4_ARRAYS = {
    last: (np.array(tree4_subsets(last), dtype=np.uint64),
           np.array([tree4_subsets(last).index(1 << i) for i in range(TREE4_VARS)]),
           np.array(tree4_monomials(last), dtype=np.uint64))
    for last in (False, True)
}


class SecureRuntime:
    """Party ``party.index`` (0 or 1) of a two-party computation on fixed-point shares.

    Values are uint64 arrays of this party's additive shares; "fixed" values carry
    ``frac_bits`` fractional bits. Products of two fixed values carry twice as many until
    :meth:`truncate`. Round counts below are rounds of communication with the peer.

    Parameters
    ----------
    party : Party
        Connected endpoint; its index must be 0 or 1 and it must have a channel to the peer.
    source : TripleSource
        Where Beaver triples and comparison material come from.
    frac_bits : int
        Fixed-point fractional bits (default 16). Both parties send theirs at
        construction and refuse a peer with other ones (FrameError): with 16 bits here
        and 20 there, products opened as ~2e9 instead of 3 and both parties reported
        success (review 2026-12-08). :meth:`agree` does the same for a computation's
        public parameters.
    """

    def __init__(self, party: Party, source: TripleSource, frac_bits: int = 16):
        if party.index not in (0, 1):
            raise ValueError(f"SecureRuntime: party is not a two-party index; expected 0 or 1, got {party.index}")
        self.party = party
        self.i = party.index
        self.peer = party.channel(1 - self.i)
        self.source = source
        self.fp = FixedPoint(frac_bits)
        self.f = self.fp.frac_bits
        self.rounds = 0
        self.agree("SecureRuntime", frac_bits=self.f)

    def agree(self, api: str, **fields) -> None:
        """Exchange the public parameters ``fields`` (numbers) with the peer and refuse
        any difference with FrameError naming the first field that differs (one round).
        Both parties must call it at the same point with the same field names."""
        names = sorted(fields)
        mine = np.array([float(fields[k]) for k in names], dtype=np.float64)
        self.peer.send(MsgType.CONTROL, mine)
        theirs = self.peer.recv(MsgType.CONTROL)
        self.rounds += 1
        if theirs.dtype != np.float64 or theirs.shape != mine.shape:
            raise FrameError(f"{api}: the peer's parameters have the wrong form; expected float64 {mine.shape}, got "
                             f"{theirs.dtype} {theirs.shape}")
        for name, a, b in zip(names, mine.tolist(), theirs.tolist()):
            if a != b:
                raise FrameError(f"{api}: the parties' {name} differ; expected the same {name} at both parties, "
                                 f"got {a:g} here and {b:g} at the peer")

    # -- inputs, outputs, local operations --------------------------------------
    def encode(self, x) -> np.ndarray:
        return self.fp.encode(x)

    def decode(self, v, frac_bits: int | None = None) -> np.ndarray:
        return self.fp.decode(v, frac_bits)

    def share_input(self, values=None, owner: int = 0, shape=None, encoded: bool = False) -> np.ndarray:
        """Secret-share ``values`` (held by ``owner``; the other party passes None).

        Reals are fixed-point encoded unless ``encoded`` (then uint64 ring elements).
        The owner sends the peer its share; returns this party's share. The receiver
        checks the shape against ``shape`` when given.
        """
        if self.i == owner:
            v = np.asarray(values)
            v = np.ascontiguousarray(v, dtype=np.uint64) if encoded else self.encode(v)
            shares = additive_share(v, 2)
            self.peer.send(MsgType.INPUT, shares[1 - self.i])
            return np.ascontiguousarray(shares[self.i])
        got = self.peer.recv(MsgType.INPUT)
        if got.dtype != np.uint64 or (shape is not None and got.shape != tuple(shape)):
            raise FrameError(f"share_input: input share has the wrong form; expected uint64 {shape}, got "
                             f"{got.dtype} {got.shape}")
        return got

    def open(self, share: np.ndarray) -> np.ndarray:
        """Reveal a shared value to both parties (one round)."""
        share = np.ascontiguousarray(share, dtype=np.uint64)
        other = self.peer.exchange(MsgType.OPEN, share)
        self.rounds += 1
        if other.dtype != np.uint64 or other.shape != share.shape:
            raise FrameError(f"open: peer share has the wrong form; expected uint64 {share.shape}, got "
                             f"{other.dtype} {other.shape}")
        return share + other

    def _open_many(self, *shares: np.ndarray) -> list[np.ndarray]:
        """Open several values in one round (one frame)."""
        flat = np.concatenate([np.ascontiguousarray(s, dtype=np.uint64).ravel() for s in shares])
        opened = self.open(flat)
        out, pos = [], 0
        for s in shares:
            out.append(opened[pos:pos + s.size].reshape(s.shape))
            pos += s.size
        return out

    def barrier(self) -> None:
        """Wait until the peer reaches the same point (an empty exchange, not a round)."""
        self.peer.exchange(MsgType.CONTROL, np.zeros(0, dtype=np.int64))

    def add_public(self, share: np.ndarray, public: np.ndarray) -> np.ndarray:
        """share + public (party 0 adds)."""
        return share + public if self.i == 0 else share.copy()

    def truncate(self, share: np.ndarray, bits: int | None = None) -> np.ndarray:
        """Divide by 2^bits (default frac_bits) locally; see FixedPoint for the error."""
        return _k.truncate_share(np.ascontiguousarray(share), self.i, self.f if bits is None else bits)

    # -- multiplication ------------------------------------------------------------
    def mul(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Elementwise product (Beaver, one round); fixed inputs give 2 * frac_bits."""
        x = np.ascontiguousarray(x, dtype=np.uint64)
        y = np.ascontiguousarray(y, dtype=np.uint64)
        a, b, c = self.source.mul_triple(x.shape)
        d, e = self._open_many(x - a, y - b)
        return _k.beaver_mul_finish(self.i, d, e, a, b, c)

    def mul_fixed(self, x, y):
        """Elementwise product of fixed values, truncated back to frac_bits (one round).

        Safe input range: each element is within 2^-f of x y except with probability at
        most 2^-s when |x y| < 2^(63 - 2f - s) (``FixedPoint.max_product(s)``; at f = 16,
        |x y| < 2^(31 - s)). Past it the result can be silently wrong, and nothing
        raises: |x y| >= 2^(63 - 2f) wraps the ring (70000 * 70000 at f = 16 opens as
        4.9e9 - 2^32 = 6.05e8, or -3.69e9 when the truncation fails as well), and below it
        a failure is a huge error, not a small one (docs/threat-model.md, section 9)."""
        return self.truncate(self.mul(x, y))

    def matmul(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Matrix product of shared (m, k) and (k, n) matrices (Beaver, one round)."""
        x = np.ascontiguousarray(x, dtype=np.uint64)
        y = np.ascontiguousarray(y, dtype=np.uint64)
        m, k = x.shape
        n = y.shape[1]
        a, b, c = self.source.matmul_triple(m, k, n)
        d, e = self._open_many(x - a, y - b)
        return _k.beaver_matmul_finish(self.i, d, e, a, b, c)

    def matmul_fixed(self, x, y):
        """Matrix product of fixed values, truncated back to frac_bits (one round).

        Safe input range as :meth:`mul_fixed`, for each entry of the product: entry
        (i, j) is within 2^-f of (x @ y)[i, j] except with probability at most 2^-s when
        |(x @ y)[i, j]| < 2^(63 - 2f - s) (``FixedPoint.max_product(s)``)."""
        return self.truncate(self.matmul(x, y))

    def dot(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Inner product of two shared vectors (a 1 x k by k x 1 Beaver product)."""
        x = np.ascontiguousarray(x, dtype=np.uint64).reshape(1, -1)
        y = np.ascontiguousarray(y, dtype=np.uint64).reshape(-1, 1)
        return self.matmul(x, y).reshape(())

    # -- comparison ------------------------------------------------------------------
    def and_words(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bitwise AND of XOR-shared uint64 words (Boolean Beaver triple, one round)."""
        a, b, c = self.source.and_triple(x.size)
        de = self._open_xor(np.concatenate([x ^ a, y ^ b]))
        d, e = de[:x.size], de[x.size:]
        return _k.beaver_and_finish(self.i, d, e, a, b, c)

    @staticmethod
    def comparison_rows(n: int) -> list[tuple[int, ...]]:
        """Triple requests one comparison (relu, less_than_zero) of n elements consumes, in order."""
        from pyppml.mpc.triples import Kind, _row

        rows = [_row(Kind.CMP_MASK, n), _row(Kind.BIT_PRODUCT, n)]
        return rows + [_row(Kind.TREE4, -(-n // (4 << (2 * level))), int(level == 2)) for level in range(3)]

    def _nonnegative_and_masked(self, x: np.ndarray):
        """XOR share of [x >= 0] (1 ^ the sign bit) plus the opened d = x - a of a bit product,
        in 1 + 3 rounds.

        With r uniform from the dealer (shared additively and bitwise), open c = x + r;
        then msb(x) = c_63 ^ r_63 ^ [c mod 2^63 < r mod 2^63], and the comparison of the
        public c with the XOR-shared r is a 4-ary generate/propagate prefix tree over the 63
        low bits: 3 levels for 64 bits, each one round of multi-input Beaver ANDs
        (G = G3 ^ P3 G2 ^ P3 P2 G1 ^ P3 P2 P1 G0, P = P3 P2 P1 P0; triples.tree4_subsets).
        At level j only bit positions that are multiples of 4^(j+1) matter, so 4^(j+1)
        elements are packed per word first (bit_pack.hpp): the tree opens about 2.3 n words.
        """
        n = x.size
        r, rb = self.source.cmp_mask(n)
        s_bit, s_add, a, a_s = self.source.bit_product(n)
        c, d = self._open_many(x.ravel() + r, x.ravel() - a)
        # g: bit positions where r has a 1 and c a 0 (r larger there); p: positions equal
        # (bit 63 neutral: g = 0, p = 1).
        g, p = _k.comparison_start(self.i, c, rb)
        pack, unpack = _k.pack_strided, _k.unpack_strided
        for level in range(3):
            s, lf, last = 1 << (2 * level), 2 * (level + 1), level == 2
            m = -(-n // (1 << lf))
            ids, mask_rows, mons = _TREE4_ARRAYS[last]
            alpha_s = self.source.tree4_material(m, last)
            v = _k.pack_tree4_inputs(p, g, lf, s)  # P3, P2, P1, P0, G2, G1, G0 packed
            deltas = self._open_xor((v ^ alpha_s[mask_rows]).ravel()).reshape(v.shape)
            mono = _k.beaver_and_monomials(self.i, deltas, ids, alpha_s, mons)
            g_packed = pack(g, lf, 3 * s) ^ mono[0] ^ mono[1] ^ mono[2]
            g = unpack(g_packed, n, lf)
            if not last:
                p = unpack(mono[3], n, lf)
        # [x >= 0] = 1 ^ c_63 ^ r_63 ^ [c_low < r_low], the last from bit 0 of g.
        nonneg = _k.comparison_nonnegative(self.i, c, rb, g)
        return nonneg, (s_bit, s_add, a_s, d)

    def less_than_zero(self, x: np.ndarray) -> np.ndarray:
        """Additive share of [x < 0] (0 or 1, an integer, not fixed point); 5 rounds."""
        nonneg, (s_bit, s_add, _, _) = self._nonnegative_and_masked(x)
        msb = nonneg ^ _ONE if self.i == 0 else nonneg
        t = self.open_bits(msb ^ s_bit)
        # b = t XOR s = t + s - 2ts
        out = s_add * (_ONE - _U(2) * t)
        return (out + t if self.i == 0 else out).reshape(x.shape)

    def _open_xor(self, words: np.ndarray) -> np.ndarray:
        """Open XOR-shared words (one round)."""
        words = np.ascontiguousarray(words, dtype=np.uint64)
        other = self.peer.exchange(MsgType.OPEN, words)
        self.rounds += 1
        if other.dtype != np.uint64 or other.shape != words.shape:
            raise FrameError(f"open: peer share has the wrong form; expected uint64 {words.shape}, got "
                             f"{other.dtype} {other.shape}")
        return words ^ other

    def open_bits(self, bits: np.ndarray) -> np.ndarray:
        """Open XOR-shared bits (one round, 64 bits per word); values 0 or 1."""
        flat = np.ascontiguousarray(bits, dtype=np.uint64).ravel()
        opened = self._open_xor(_k.pack_strided(flat & _ONE, 6))
        return _k.unpack_strided(opened, flat.size, 6).reshape(np.shape(bits))

    def relu(self, x: np.ndarray) -> np.ndarray:
        """max(x, 0) of a shared fixed-point (or integer) vector in 5 rounds.

        b = [x >= 0] is XOR-shared; with a dealer bit s and product a*s, t = b XOR s is
        opened and x*b = t*x + (1 - 2t) * x*s, where x*s = d*s + a*s with d = x - a opened
        together with the comparison mask. The result keeps x's scale (no truncation).
        """
        x = np.ascontiguousarray(x, dtype=np.uint64)
        b, (s_bit, s_add, a_s, d) = self._nonnegative_and_masked(x)
        t = self.open_bits(b ^ s_bit)
        return _k.relu_finish(t, x.ravel(), d, s_add, a_s).reshape(x.shape)

    def sigmoid(self, x: np.ndarray, prescaled: bool = False) -> np.ndarray:
        """Piecewise-linear sigmoid clip(x / 4 + 1/2, 0, 1) (slope 1/4 like the logistic at 0,
        max error 0.12 at |x| = 2) on fixed-point shares, 5 rounds.

        ``prescaled``: x already holds x / 4 (saves a truncation when the caller truncates
        a product anyway).
        """
        x = np.ascontiguousarray(x, dtype=np.uint64).ravel()
        q = x if prescaled else self.truncate(x, 2)
        half, one = self.encode(0.5), self.encode(1.0)
        v = self.add_public(q, half)
        both = self.relu(np.concatenate([v, self.add_public(v, -one)]))
        n = x.size
        return both[:n] - both[n:]


def _exchange_all(party: Party, ids: list[int], frames: dict, what: str, shape) -> list[np.ndarray]:
    """Exchange one SUM frame with each peer, pair by pair in increasing order of (lower id,
    higher id): every party visits its pairs in that one global order, so the smallest
    pair not yet done can always proceed (no deadlock, even with frames larger than the
    socket buffers), and each channel is used by one thread only (a TLS connection must
    not be read and written from two threads at once)."""
    got = []
    for j in sorted(frames):
        arr = party.channel(j).exchange(MsgType.SUM, frames[j])
        if arr.dtype != np.uint64 or arr.shape != shape:
            raise FrameError(f"secure_sum: {what} from party {j} has the wrong form; expected uint64 {shape}, "
                             f"got {arr.dtype} {arr.shape}")
        got.append(arr)
    return got


def secure_sum(party: Party, values, parties: list[int] | None = None) -> np.ndarray:
    """Sum of every party's private uint64 vector, revealing only the sum (n >= 2 parties,
    one round of sharing, one of publishing; semi-honest, no dropouts).

    Each party splits its vector into n additive shares, sends share j to party j, adds
    what it receives and publishes that partial sum. Values are ring elements mod 2^64
    (encode reals with FixedPoint first).
    """
    ids = sorted(parties if parties is not None else party.ids)
    v = np.ascontiguousarray(values)
    if v.dtype == np.int64:
        v = v.view(np.uint64)
    v = np.ascontiguousarray(v, dtype=np.uint64)
    shares = additive_share(v, len(ids))
    me = party.index
    partial = shares[ids.index(me)].copy()
    others = [j for j in ids if j != me]
    for got in _exchange_all(party, ids, {j: shares[ids.index(j)] for j in others}, "share", v.shape):
        partial += got
    total = partial.copy()
    for got in _exchange_all(party, ids, {j: partial for j in others}, "partial sum", v.shape):
        total += got
    return total
