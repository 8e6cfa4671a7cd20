"""Dealer-free Beaver triples between the two parties, made with pyppml's BFV.

:class:`HeTripleSource` is a :class:`~pyppml.mpc.triples.TripleSource` that the two
parties of a :class:`~pyppml.mpc.SecureRuntime` run between themselves over their own
channel (``MsgType.HE`` frames of serialized BFV objects, never pickle): no third process
and no trusted dealer. Security model: two semi-honest (honest-but-curious) parties.

Protocol (Gilboa-style products with additively homomorphic encryption)
-----------------------------------------------------------------------
Party 0 ("A") holds a BFV key pair; party 1 ("B") only its public key. Every arithmetic
kind reduces to *cross products*: A holds vectors x_1, x_2, B holds y_1, y_2 (uint64, the
same length L), and they want additive shares mod 2^64 of ``X = x_1*y_1 + x_2*y_2``
(elementwise, as integers). For a triple a = a_A + a_B, b = b_A + b_B:
c = a_A b_A + a_B b_B (local) + [a_A b_B + b_A a_B] (cross: x = (a_A, b_A), y = (b_B, a_B)).
Matrix triples use the same cross product on the m*k*n elementwise products
A_A[i,l] B_B[l,j] + B_A[l,j] A_B[i,l] and sum over l locally. Both cross terms go one
way (A encrypts a_A and b_A, B folds both products into one returned ciphertext) rather
than one per direction with a key pair at each party: one key set, and one returned
ciphertext per residue instead of two, for the same semi-honest security.

Costs (measured 2026-12, loopback, one core each on a shared two-core machine;
``pyppml bench mpc``): about 1.5-2 x 10^5 MUL triples/s and 448 bytes per triple (both
directions: 8 seeded 5-prime ciphertexts from A and 4 two-prime ones back per 2^14
triples) plus about 2.7 MB of public contexts once, against about 10^7 triples/s and 24
bytes per triple from the dealer. (The fourth CRT prime, which makes room for the wider
mask below, costs a third more than the earlier three.) Material is made in blocks of
n = 2^14 products, so preprocess requests in batches: a lone request of 16 triples costs
a whole block.

1. The ring Z_2^64 is handled by CRT over four batching primes t_j (59 bits, t_j = 1 mod
   2n, product T ~ 2^236): the exact integer ``v = X + r`` is below 2^233 < T and is
   recovered exactly from its residues, then reduced mod 2^64.
2. A encrypts x_i mod t_j under its key (symmetric, seeded encryption: half the bytes) in
   n = 2^14 slots and sends the ciphertexts.
3. B draws r uniform in [0, 2^232) per slot (ChaCha20, ``pyppml._core.Prng``), computes
   ``sum_i Enc(x_i) * (y_i mod t_j) + (r mod t_j)`` plus a fresh public-key encryption of 0,
   adds a smudging polynomial (uniform coefficients in [-2^S, 2^S), S = 216 by default) to
   the first component, switches down to two data primes and returns it.
4. A decrypts the four residues, CRT-combines v, keeps v mod 2^64; B keeps -r mod 2^64.

Security (what is argued, not machine-checked)
-----------------------------------------------
* B's view: A's ciphertexts under RLWE (IND-CPA of BFV, 128-bit parameters per the
  library's table: n = 2^14, log QP = 360 < 430).
* A's view of one slot: v = X + r with X < 2^129 and r uniform on [0, 2^232): statistical
  distance to a value independent of X at most 2^129 / 2^232 = 2^-103 per slot, so
  2^-89 per block of 2^14 slots. (With the earlier r < 2^175 and three primes this term
  was 2^-46 per slot, 2^-32 per block, and dominated: about 2^-12 after 2^34 triples.)
* A's view of the returned ciphertext (circuit privacy by re-randomization and noise
  flooding): A knows s, so it sees the phase c0 + c1 s = Delta M + E, with M = v mod t_j
  (which it is meant to learn) and E the noise. The part of E that depends on B's
  plaintexts is e_A * y (A's fresh CBD error, |e| <= 21, times the plaintext polynomial,
  coefficients < t) plus, if the scaling were floor(q/t) rather than rounded, a wrap term
  (q mod t) k with k = floor((sum x y + r) / t) coefficientwise; together below 2^134
  (``he_triple_params._dependent_noise_bits``: 2 n t 21 + 3 n t^2, conservative). The
  rest (the encryption of 0, the smudging polynomial) does not depend on them. Uniform
  smudging on [-2^S, 2^S) hides a shift of at most 2^134 per coefficient within statistical distance
  n 2^134 / 2^(S+1) <= 2^-smudging_bits per ciphertext; S = 216 for the default 69. The
  second component c1 = c1_A * y + (pk1 u + e2) is pseudorandom under RLWE (B's secret u)
  whatever y is; the switch to two data primes afterwards is post-processing. After
  smudging the noise budget is about 241 - S = 25 bits at the top level; the returned
  two-prime ciphertext keeps about as much (measured in the tests, which require > 10).
* Total: the statistical distances add up over blocks, ciphertexts and slots. For P
  cross products (one per MUL triple, m k n per m x k by k x n matrix triple) the bound
  is ceil(P / 2^14) * 4 * 2^-smudging_bits + P * 2^-103 (:func:`statistical_distance_bound`).
  With the defaults and P = 2^40 products (a trillion triples): 2^28 ciphertexts * 2^-69
  + 2^40 * 2^-103 = 2^-41 + 2^-63 <= 2^-40. Each further bit of ``smudging_bits`` halves
  the first term for one bit of noise budget.
* Not covered: malicious parties (no zero-knowledge proofs that A's ciphertexts are well
  formed or that B computed what it should; a malicious A could, e.g., send ciphertexts
  with large noise and learn about y from the decryption). A malicious B can return
  ciphertexts whose noise it chose and learn A's secret key from which of them fail to
  decrypt (a decryption-failure oracle, Cheon et al. 2024); with the key it decrypts A's
  a_A, b_A and so learns A's inputs in the online phase. A reply that does not decrypt
  raises ``FrameError`` and the source drops its keys: A must not go on with that key or
  those contexts after such a failure (start a new source, with fresh keys, if at all).
  Use only in the semi-honest model, like the rest of pyppml.mpc.
* Agreement: at the start of each batch (``preprocess``) the parties exchange the
  protocol parameters (``poly_degree``, ``smudging_bits``, the mask and CRT widths) and a
  SHA-256 digest of them and of the batch's requests, and refuse a difference with
  ``FrameError`` at both parties (one small round per batch): parties out of step would
  otherwise get material with c != a b and no error, and party 0 could not see a weaker
  ``smudging_bits`` at party 1.
* The smudging polynomial (sampled from the CSPRNG, transformed with ``RnsPoly.ntt``) is
  added to the first component with the core's ``add_poly``.

Kinds made: MUL, MATMUL, FIXED_LEFT, FIXED_LEFT_MM, FIXED_LEFT_TN. The Boolean and
comparison kinds (AND, CMP_MASK, BIT_PRODUCT, TREE4) are not: pass a ``fallback`` source
(e.g. a :class:`~pyppml.mpc.DealerTripleSource`) for them, or they raise
NotImplementedError.

>>> # in both parties' processes (ids 0 and 1):
>>> # rt = SecureRuntime(party, HeTripleSource(party))
"""

from __future__ import annotations

import numpy as np

from pyppml import _core
from pyppml.mpc._random import prng
# The protocol's parameters, their bounds and the per-batch agreement live in
# he_triple_params.py; the public names are re-exported here, where callers look.
from pyppml.mpc.he_triple_params import (AGREEMENT_VERSION, CBD_BOUND, COEFF_BITS, CRT_PRIMES,  # noqa: F401
                                         DESIGN_PRODUCTS_LOG2, MASK_BITS, PLAIN_BITS, POLY_DEGREE, PRODUCT_BITS,
                                         RETURN_BUDGET_BITS, RETURN_LIMBS, SMUDGING_BITS, SMUDGING_BITS_MIN,
                                         SPECIAL_BITS, STATISTICAL_SECURITY, TERMS, agreement_message, check_agreement,
                                         check_crt_room, check_smudging_bits, max_smudging_bits, plain_moduli,
                                         smudge_width_bits, statistical_distance_bound)
from pyppml.mpc.party import Party
from pyppml.mpc.transport import FrameError, MsgType
from pyppml.mpc.triples import Kind, TripleSource, layout

_k = _core.mpc
_HE_KINDS = {Kind.MUL, Kind.MATMUL, Kind.FIXED_LEFT, Kind.FIXED_LEFT_MM, Kind.FIXED_LEFT_TN}


def _split_words(values: np.ndarray, t: int) -> np.ndarray:
    return values % np.uint64(t)


def _mod_wide(words: list[np.ndarray], q: int) -> np.ndarray:
    """(w0 + w1 2^64 + w2 2^128 + ...) mod q for uint64 words, q < 2^61."""
    qq = np.uint64(q)
    base = pow(2, 64, q)
    acc = np.zeros(words[0].size, dtype=np.uint64)
    scale = 1
    for w in words:
        term = _core.eltwise("mul", q, w % qq, np.full(w.size, scale, dtype=np.uint64))
        acc = _core.eltwise("add", q, acc, term)
        scale = scale * base % q
    return acc


class HeTripleSource(TripleSource):
    """Beaver triples made by the two parties with BFV, no dealer (module docstring).

    Parameters
    ----------
    party : Party
        This process's endpoint; its index must be 0 (key holder) or 1.
    peer : int, optional
        The other party's id (default: 1 - party.index).
    fallback : TripleSource, optional
        Serves the kinds this source does not make (Boolean and comparison material).
    smudging_bits : int
        Statistical-distance exponent of the noise flooding per returned ciphertext
        (2^-smudging_bits); the default 69 keeps the total, with the mask, at most 2^-40
        over 2^40 products (:func:`statistical_distance_bound`). An int in
        [SMUDGING_BITS_MIN, :func:`max_smudging_bits`] = [69, 82] at n = 2^14: below,
        the documented bound would not hold; above, honest replies run out of noise
        budget. Only party 1's value is used, and the parties refuse to run with
        different values (party 0 cannot be given weaker flooding than it set).
    record_view : bool
        Party 0 keeps what it decrypted (the residues of v), the noise budgets of the
        returned ciphertexts and the fraction of zero coefficients in their second
        components in ``view`` (tests and audits only).

    ``offline_bytes`` counts both directions of this source's traffic on the channel.

    Raises
    ------
    ParameterError
        smudging_bits not an int in [SMUDGING_BITS_MIN, max_smudging_bits(poly_degree)].
    ValueError
        party not 0 or 1.
    FrameError
        (from ``preprocess``/``take``) the parties' requests or parameters differ, or a
        message from the other party is malformed (a reply that does not decrypt included).
    """

    def __init__(self, party: Party, peer: int | None = None, fallback: TripleSource | None = None,
                 smudging_bits: int = SMUDGING_BITS, poly_degree: int = POLY_DEGREE, record_view: bool = False):
        super().__init__(party.index)
        self.smudging_bits = check_smudging_bits(smudging_bits, poly_degree)
        if party.index not in (0, 1):
            raise ValueError(f"HeTripleSource: party is not a two-party index; expected 0 or 1, got {party.index}")
        self.peer_id = 1 - party.index if peer is None else peer
        self.channel = party.channel(self.peer_id)
        self.fallback = fallback
        self.n = int(poly_degree)
        self.moduli = check_crt_room(plain_moduli(self.n))
        self.smudge_bits = smudge_width_bits(self.n, self.smudging_bits)
        self.record_view = bool(record_view)
        self.view: list = []
        self._contexts: list | None = None
        self._own_fixed: dict[int, np.ndarray] = {}
        self._failed = False  # set when a reply did not decrypt: the keys are dropped
        self.setup_seconds = 0.0

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        from pyppml import bfv

        ch = self.channel
        contexts = []
        if self.party == 0:
            for t in self.moduli:
                ctx = bfv.Context(poly_degree=self.n, plain_modulus=t, coeff_mod_bits=COEFF_BITS,
                                  special_mod_bits=SPECIAL_BITS)
                ctx.keygen(rotations=[], columns=False, relin=False)
                ch.send(MsgType.HE, np.frombuffer(ctx.to_bytes(), dtype=np.uint8))
                contexts.append(ctx)
        else:
            for t in self.moduli:
                data = ch.recv(MsgType.HE)
                if data.dtype != np.uint8 or data.ndim != 1:
                    raise FrameError(f"HeTripleSource: public context has the wrong form; expected uint8 bytes, got "
                                     f"{data.dtype} {data.shape}")
                ctx = bfv.Context.from_bytes(data.tobytes())
                if (ctx.poly_degree != self.n or ctx.plain_modulus != t or ctx.public_key is None
                        or len(ctx.coeff_moduli) != len(COEFF_BITS) or ctx.security is None):
                    raise FrameError(f"HeTripleSource: public context has other parameters; expected n={self.n}, "
                                     f"t={t}, {len(COEFF_BITS)} data primes and a public key, got {ctx!r}")
                contexts.append(ctx)
        self._contexts = contexts

    # ------------------------------------------------------------------ cross products
    def cross(self, terms: np.ndarray) -> np.ndarray:
        """This party's additive share (mod 2^64) of sum_i x_i * y_i, where party 0 passes
        x (TERMS, L) and party 1 y (TERMS, L), uint64. Both call it with the same L."""
        terms = np.ascontiguousarray(terms, dtype=np.uint64)
        if terms.ndim != 2 or terms.shape[0] != TERMS:
            raise ValueError(f"HeTripleSource.cross: terms has the wrong shape; expected ({TERMS}, L), got "
                             f"{terms.shape}")
        if self._failed:
            raise FrameError("HeTripleSource: source is unusable after a reply that did not decrypt; expected a new "
                             "source with fresh keys, got another request on this one")
        if self._contexts is None:
            self._setup()
        L = terms.shape[1]
        out = np.empty(L, dtype=np.uint64)
        for s in range(0, L, self.n):
            chunk = terms[:, s:s + self.n]
            out[s:s + chunk.shape[1]] = self._cross_a(chunk) if self.party == 0 else self._cross_b(chunk)
        return out

    def _cross_a(self, x: np.ndarray) -> np.ndarray:
        ch = self.channel
        blobs = []
        for ctx, t in zip(self._contexts, self.moduli):
            for i in range(TERMS):
                blobs.append(ctx.encrypt(self._slots(_split_words(x[i], t)), symmetric=True).to_bytes())
        ch.send(MsgType.HE, np.frombuffer(b"".join(blobs), dtype=np.uint8))
        reply = self._recv_blobs(len(self.moduli))
        from pyppml import bfv

        residues, budgets, c1_zeros = [], [], []
        for ctx, blob in zip(self._contexts, reply):
            ct = bfv.Ciphertext.from_bytes(blob, ctx)
            if ct.level != RETURN_LIMBS - 1:
                raise FrameError(f"HeTripleSource: returned ciphertext is at the wrong level; expected "
                                 f"{RETURN_LIMBS - 1}, got {ct.level}")
            if self.record_view:
                budgets.append(ctx.noise_budget(ct))
                c1 = np.asarray(ct._native.poly(1).coeffs)
                c1_zeros.append(float(np.mean(c1 == 0)))
            try:
                plain = ctx.decrypt(ct)
            except bfv.DecryptionError:
                # Party 1 chose this ciphertext: which replies fail to decrypt tells it about
                # the secret key (module docstring), so the key is not used again.
                self._failed = True
                self._contexts = None
                raise FrameError("HeTripleSource: returned ciphertext has no noise budget left; expected a reply of "
                                 "the agreed circuit, got one that does not decrypt") from None
            residues.append(plain[:x.shape[1]].astype(np.uint64))
        if self.record_view:
            self.view.append((residues, budgets, c1_zeros))
        return self._crt_low_word(residues)

    def _crt_low_word(self, res: list[np.ndarray]) -> np.ndarray:
        """v mod 2^64 from v mod t_0 .. t_{k-1} (Garner's mixed radix; v < prod t_j):
        v = x_0 + x_1 t_0 + x_2 t_0 t_1 + ..., each digit x_j in [0, t_j)."""
        t = self.moduli
        n = res[0].size

        def mul(q, a, c):
            return _core.eltwise("mul", q, a, np.full(n, c % q, dtype=np.uint64))

        digits: list[np.ndarray] = []
        for j, r in enumerate(res):
            # x_j = (r_j - x_0 - x_1 t_0 - ...) / (t_0 ... t_{j-1}) mod t_j, one digit at a time.
            y = r
            for i, x in enumerate(digits):
                y = mul(t[j], _core.eltwise("sub", t[j], y, x % np.uint64(t[j])), pow(t[i], -1, t[j]))
            digits.append(y)
        out = np.zeros(n, dtype=np.uint64)
        radix = 1
        with np.errstate(over="ignore"):
            for j, x in enumerate(digits):
                out += x * np.uint64(radix % (1 << 64))
                radix *= t[j]
        return out

    def _recv_blobs(self, count: int) -> list[bytes]:
        data = self.channel.recv(MsgType.HE)
        if data.dtype != np.uint8 or data.ndim != 1 or data.size % count:
            raise FrameError(f"HeTripleSource: ciphertext frame has the wrong form; expected uint8 bytes of "
                             f"{count} ciphertexts, got {data.dtype} {data.shape}")
        raw = data.tobytes()
        size = len(raw) // count
        return [raw[i * size:(i + 1) * size] for i in range(count)]

    def _cross_b(self, y: np.ndarray) -> np.ndarray:
        from pyppml import bfv

        g = prng()
        width = y.shape[1]
        blobs = self._recv_blobs(len(self.moduli) * TERMS)
        # r uniform in [0, 2^MASK_BITS): whole words, the top one masked.
        r = [g.uint64(width) for _ in range(MASK_BITS // 64)]
        if MASK_BITS % 64:
            r.append(g.uint64(width) & np.uint64((1 << (MASK_BITS % 64)) - 1))
        replies = []
        for j, (ctx, t) in enumerate(zip(self._contexts, self.moduli)):
            acc = None
            for i in range(TERMS):
                ct = bfv.Ciphertext.from_bytes(blobs[j * TERMS + i], ctx)
                if ct.level != ctx.max_level or ct.size != 2:
                    raise FrameError("HeTripleSource: ciphertext from party 0 is not fresh; expected top level, size 2")
                term = ct * self._slots(_split_words(y[i], t))
                acc = term if acc is None else acc + term
            acc = acc + self._slots(_mod_wide(r, t))
            acc = acc + ctx.encrypt(np.zeros(self.n, dtype=np.uint64), symmetric=False)
            replies.append(self._smudge(acc, ctx).mod_switch_to(RETURN_LIMBS - 1).to_bytes())
        self.channel.send(MsgType.HE, np.frombuffer(b"".join(replies), dtype=np.uint8))
        return (np.uint64(0) - r[0]).astype(np.uint64)

    def _slots(self, values: np.ndarray) -> np.ndarray:
        """``values`` in the first slots of a block, zeros after (a short last chunk)."""
        if values.size == self.n:
            return values
        out = np.zeros(self.n, dtype=np.uint64)
        out[:values.size] = values
        return out

    def _smudge(self, ct, ctx):
        """Add a polynomial with coefficients uniform in [-2^S, 2^S) to c0 (docstring)."""
        from pyppml import bfv

        S = self.smudge_bits
        n = self.n
        g = prng()
        bits = S + 1
        words = []
        for w in range((bits + 63) // 64):
            word = g.uint64(n)
            top = bits - 64 * w
            if top < 64:
                word &= np.uint64((1 << top) - 1)
            words.append(word)
        level = ct.level
        moduli = ctx.coeff_moduli[: level + 1]
        e = np.empty((level + 1, n), dtype=np.uint64)
        for i, q in enumerate(moduli):
            # e = u - 2^S with u uniform in [0, 2^(S+1))
            e[i] = _core.eltwise("sub", q, _mod_wide(words, q), np.full(n, pow(2, S, q), dtype=np.uint64))
        poly = _core.RnsPoly.from_array(ctx._native.q_base(level), e, "coefficient")
        poly.ntt()
        return bfv.Ciphertext(ctx, ctx._native.add_poly(ct._native, poly))

    # ------------------------------------------------------------------ kinds
    def _rand(self, *shape) -> np.ndarray:
        return prng().uint64(int(np.prod(shape, dtype=np.int64))).reshape(shape)

    def _matmul_terms(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Cross terms of (L_0 + L_1) @ (R_0 + R_1): L_0[i,l] R_1[l,j] + R_0[l,j] L_1[i,l]."""
        m, k = left.shape
        n = right.shape[1]
        lb = np.broadcast_to(left[:, :, None], (m, k, n)).ravel()
        rb = np.broadcast_to(right[None, :, :], (m, k, n)).ravel()
        return np.stack([lb, rb]) if self.party == 0 else np.stack([rb, lb])

    def _plan(self, row):
        """(terms or None, finish(z) -> material) for one request, this party's side."""
        kind, p1, p2, p3, p4 = row
        if kind == Kind.MUL:
            a, b = self._rand(p1), self._rand(p1)
            terms = np.stack([a, b]) if self.party == 0 else np.stack([b, a])
            return terms, lambda z: [a, b, a * b + z]
        if kind == Kind.FIXED_LEFT:
            a = self._rand(p2, p3)
            self._own_fixed[p1] = a
            return None, lambda z: [a]
        if kind == Kind.MATMUL:
            left, right = self._rand(p1, p2), self._rand(p2, p3)
            out = [left, right]
        elif kind == Kind.FIXED_LEFT_MM:
            left, right = self._own_fixed[p1][p2:p3], self._rand(self._own_fixed[p1].shape[1], p4)
            out = [right]
        else:  # FIXED_LEFT_TN
            left, right = np.ascontiguousarray(self._own_fixed[p1][p2:p3].T), self._rand(p3 - p2, p4)
            out = [right]
        m, k, n = left.shape[0], left.shape[1], right.shape[1]
        local = _k.matmul_u64(np.ascontiguousarray(left), right)

        def finish(z):
            with np.errstate(over="ignore"):
                cross = z.reshape(m, k, n).sum(axis=1, dtype=np.uint64)
            return out + [local + cross]

        return self._matmul_terms(left, right), finish

    # ------------------------------------------------------------------ agreement
    def _agree(self, rows) -> None:
        """Exchange the agreement messages (one round) and refuse any difference, naming it."""
        mine = agreement_message(rows, self.n, self.smudging_bits)
        check_agreement(mine, self.channel.exchange(MsgType.HE, mine), f"party {self.peer_id}")

    def _produce(self, rows):
        fixed = dict(self._fixed)
        for row in rows:
            layout(row, fixed)  # FrameError on nonsense
        # Before any material: both parties asked for the same thing with the same
        # parameters (the dealer checks this for its own source).
        self._agree(rows)
        results: list = [None] * len(rows)
        other = [i for i, row in enumerate(rows) if row[0] not in _HE_KINDS]
        if other:
            if self.fallback is None:
                kinds = sorted({Kind(rows[i][0]).name for i in other})
                raise NotImplementedError(f"HeTripleSource: no dealer-free construction for {kinds}; expected a "
                                          f"fallback source for them, got none")
            for i, material in zip(other, self.fallback._produce([rows[i] for i in other])):
                results[i] = material
        before = self.channel.bytes_sent + self.channel.bytes_received
        plans = [(i, self._plan(row)) for i, row in enumerate(rows) if row[0] in _HE_KINDS]
        with_terms = [(i, terms, finish) for i, (terms, finish) in plans if terms is not None]
        if with_terms:
            z = self.cross(np.concatenate([terms for _, terms, _ in with_terms], axis=1))
            pos = 0
            for i, terms, finish in with_terms:
                results[i] = finish(z[pos:pos + terms.shape[1]])
                pos += terms.shape[1]
        for i, (terms, finish) in plans:
            if terms is None:
                results[i] = finish(None)
        self.offline_bytes += self.channel.bytes_sent + self.channel.bytes_received - before
        return results

    def close(self) -> None:
        if self.fallback is not None:
            self.fallback.close()
