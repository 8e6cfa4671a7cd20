"""Encrypted aggregation with CKKS under a committee's collective key (Mouchet et al.
2021, multiparty RLWE): each committee member holds a secret share s_i, the public key
is built from their shares of b = -a s + e over a common reference string, clients
encrypt under it, the server only adds ciphertexts, and the committee decrypts the sum
together, each member flooding its decryption share with uniform noise in [-2^b, 2^b]
so that the shares reveal nothing about s_i beyond the sum.

The collective key is n-of-n: every committee member must take part in decryption.

>>> import numpy as np
>>> from pyppml import fl
>>> com = fl.CkksCommittee(members=3, poly_degree=4096, coeff_mod_bits=(54,), special_mod_bits=(50,))
>>> cts = [fl.encrypt_update(com.client_context(), np.full(4, 0.5))[0] for _ in range(4)]
>>> np.round(com.decrypt(fl.add_ciphertexts(cts), 4), 2).tolist()
[2.0, 2.0, 2.0, 2.0]
"""

from __future__ import annotations

import hashlib
import math
import os
import time

import numpy as np

from pyppml import _core
from pyppml.ckks import Context
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.fl.errors import ParameterError, ProtocolError


def key_id_from_crs(crs: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"pyppml-fl ckks key id" + crs).digest()[:8], "little") >> 1


class CommitteeMember:
    """One committee member: its secret share never leaves it; it publishes a public-key
    share and, per aggregate, a smudged decryption share (both as uint64 arrays)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._sk = ctx._native.keygen_secret()

    def public_key_share(self, crs: bytes) -> np.ndarray:
        return np.array(self.ctx._native.public_key_share(self._sk, bytes(crs)).coeffs, copy=True)

    def decryption_share(self, ct: Ciphertext, smudging_bits: int) -> np.ndarray:
        return np.array(self.ctx._native.decryption_share(self._sk, ct._native, int(smudging_bits)).coeffs, copy=True)


def _poly(ctx: Context, arr: np.ndarray, level: int, what: str):
    base = ctx._native.q_base(level)
    arr = np.ascontiguousarray(arr, dtype=np.uint64)
    expected = (len(base.moduli) if hasattr(base, "moduli") else arr.shape[0], ctx.poly_degree)
    if arr.ndim != 2 or arr.shape[1] != ctx.poly_degree or arr.shape[0] != expected[0]:
        raise ProtocolError(f"ckks committee: {what} has the wrong shape; expected {expected}, got {arr.shape}")
    try:
        return _core.RnsPoly.from_array(base, arr, "evaluation")
    except ValueError as err:
        raise ProtocolError(f"ckks committee: {what} is invalid; {err}") from None


class CkksCommittee:
    """A committee of ``members`` key holders (simulated in one process) and the
    public context clients encrypt with.

    Parameters
    ----------
    members : int
        Committee size (>= 1); all are needed to decrypt.
    poly_degree : int
        Ring degree; poly_degree / 2 values per ciphertext.
    scale_bits : int
        log2 of the encoding scale (>= 40 leaves room for the smudging noise).
    coeff_mod_bits : list of int
        Data primes; one level is enough for sums.

    Raises
    ------
    ParameterError
        Out-of-range sizes.
    """

    def __init__(self, members: int = 3, poly_degree: int = 8192, scale_bits: int = 40,
                 coeff_mod_bits=(60,), special_mod_bits=(60,)):
        if members < 1:
            raise ParameterError(f"CkksCommittee: members is out of range; expected >= 1, got {members}")
        self.ctx = Context(poly_degree, coeff_mod_bits=list(coeff_mod_bits), special_mod_bits=list(special_mod_bits),
                           scale_bits=scale_bits)
        self.members = [CommitteeMember(self.ctx) for _ in range(members)]
        self.crs = os.urandom(32)
        self.key_id = key_id_from_crs(self.crs)
        shares = [m.public_key_share(self.crs) for m in self.members]
        self.ctx.public_key = combine_public_key(self.ctx, shares, self.crs)
        # Flooding: 2^b above the fresh-sum noise (~2^10 per coefficient for a few
        # thousand ciphertexts) by 2^(b-10), and 2^b sqrt(n) members / scale << 2^-12.
        self.smudging_bits = int(scale_bits) - 20

    def client_context(self) -> Context:
        """The public context (no secret key) clients encrypt with."""
        return self.ctx

    def public_bytes(self) -> bytes:
        return self.ctx.to_bytes()

    def decrypt(self, ct: Ciphertext, count: int | None = None) -> np.ndarray:
        """Collective decryption of an aggregate: every member's smudged share, combined.
        ``count``: how many leading values to return (n per ciphertext)."""
        shares = [m.decryption_share(ct, self.smudging_bits) for m in self.members]
        out = combine_decryption(self.ctx, ct, shares)
        return out if count is None else out[:count]


def combine_public_key(ctx: Context, shares, crs: bytes):
    polys = [_poly(ctx, s, ctx.max_level, "public-key share") for s in shares]
    return ctx._native.combine_public_key(polys, bytes(crs), key_id_from_crs(bytes(crs)))


def combine_decryption(ctx: Context, ct: Ciphertext, shares) -> np.ndarray:
    """The sum's n reals (two per complex slot, as encrypt_update packs them)."""
    polys = [_poly(ctx, s, ct.level, "decryption share") for s in shares]
    pt = ctx._native.combine_decryption(ct._native, polys)
    return unpack(np.asarray(ctx._native.decode(pt)))


def add_ciphertexts(cts) -> Ciphertext:
    """The server's whole job: the sum of the clients' ciphertexts."""
    cts = list(cts)
    if not cts:
        raise ParameterError("add_ciphertexts: cts is empty; expected at least one ciphertext")
    total = cts[0]
    for c in cts[1:]:
        total = total + c
    return total


def encrypt_update(ctx: Context, update: np.ndarray) -> list[Ciphertext]:
    """An update as ceil(len / n) public-key ciphertexts: two reals per complex slot
    (u[2i] + 1j u[2i+1]), so each ciphertext carries n values; aggregation is linear, so
    the packing survives the sum."""
    u = np.asarray(update, dtype=np.float64)
    if not np.all(np.isfinite(u)):
        raise ParameterError("encrypt_update: update is not finite; expected finite floats")
    per_ct = 2 * ctx.slots
    out = []
    for k in range(0, u.size, per_ct):
        chunk = u[k:k + per_ct]
        if chunk.size % 2:
            chunk = np.append(chunk, 0.0)
        out.append(ctx.encrypt(chunk[0::2] + 1j * chunk[1::2], symmetric=False))
    return out


def unpack(values: np.ndarray) -> np.ndarray:
    """Complex slots back to the interleaved reals of encrypt_update."""
    out = np.empty(2 * values.size)
    out[0::2], out[1::2] = values.real, values.imag
    return out


def ckks_aggregate(updates, committee: CkksCommittee | None = None, report: dict | None = None) -> np.ndarray:
    """Sum of float updates through CKKS: clients encrypt, the server adds ciphertexts,
    the committee decrypts the sum. Within about 2^-20 of the plaintext sum at scale 2^40.

    ``report`` (optional dict) receives upload bytes per client and server seconds.
    """
    committee = committee or CkksCommittee()
    ctx = committee.client_context()
    dim = len(updates[0])
    enc = []
    for u in updates:
        if len(u) != dim:
            raise ParameterError(f"ckks_aggregate: update has the wrong length; expected {dim}, got {len(u)}")
        enc.append([c.to_bytes() for c in encrypt_update(ctx, u)])
    t0 = time.perf_counter()
    totals = [add_ciphertexts(Ciphertext.from_bytes(cl[k], ctx) for cl in enc) for k in range(len(enc[0]))]
    server = time.perf_counter() - t0
    out = np.concatenate([committee.decrypt(t) for t in totals])[:dim]
    if report is not None:
        report.update(server_seconds=server, upload_bytes=sum(len(b) for b in enc[0]), plaintext_bytes=4 * dim,
                      log2_scale=math.log2(ctx.scale))
    return out
