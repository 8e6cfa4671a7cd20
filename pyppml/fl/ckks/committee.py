"""Encrypted aggregation with CKKS under a committee's collective key (Mouchet et al.
2021, multiparty RLWE): each committee member holds a secret share s_i, the public key
is built from their shares of b = -a s + e over a common reference string, clients
encrypt under it, the server only adds ciphertexts, and the committee decrypts the sum
together, each member flooding its decryption share with uniform noise in [-2^b, 2^b]
so that the shares reveal nothing about s_i beyond the sum.

What a member decrypts: only the sum it computes itself from signed client uploads. A
decryption share of an arbitrary ciphertext (0, C) is C s_i + smudging, which reveals the
long-term s_i as soon as C is much larger than the smudging width; so a member never
takes a ciphertext from the server. It takes the uploads, each signed (Ed25519) by a
client whose key the member pinned, over (committee key id, round, ciphertexts); checks
every signature, that the uploads come from at least ``min_clients`` distinct pinned
clients and are fresh encryptions (top level, default scale); adds them; and answers
each round once (a later round number each time), so a client's upload is decrypted in
one sum only.

Which uploads: answering once per round does not stop a server from asking two member
sets for two different client sets of one round (with a colluding member in both, 2-of-3
decrypts U with {c, h1} and U minus {i} with {c, h2}: client i's update by subtraction).
So members first agree on the round's uploads (:mod:`pyppml.fl.common.agreement`): each signs
(plan, round, digest of the uploads) at most once per round with its Ed25519 key, and
releases a share only against signatures on the same uploads from
ceil((members + threshold) / 2) members; two such quorums share ``threshold`` members, one
of them honest, so only one set of uploads per round is ever decrypted.

Left to the deployment (see the threat model): a client colluding with the server can
sign any ciphertext, including one built to cancel the others' first components; against
such collusion use CKKS under one-time keys (:mod:`pyppml.fl.ckks.onetime`).

The key is shared t-of-k by replicated secret sharing (:mod:`pyppml.fl.common.replicated`): the
secret is the sum of C(k, t - 1) ternary parts, each held by k - t + 1 members, and any
``threshold`` members decrypt (default: all of them).

>>> import numpy as np
>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> from pyppml import fl
>>> ids = [Ed25519PrivateKey.generate() for _ in range(4)]
>>> com = fl.CkksCommittee(members=3, poly_degree=8192, max_clients=16, client_keys=[k.public_key() for k in ids])
>>> ups = [sign_upload(k, com.key_id, 1, encrypt_update(com.client_context(), np.full(4, 0.5))) for k in ids]
>>> np.round(com.decrypt_uploads(ups, round=1, count=4), 2).tolist()
[2.0, 2.0, 2.0, 2.0]
"""

from __future__ import annotations

import math
import os
import time
import warnings

import numpy as np

from pyppml import _core
from pyppml.ckks import Context
from pyppml.ckks.ciphertext import Ciphertext
from pyppml.fl.common import agreement, replicated
from pyppml.fl.common.errors import ParameterError, ProtocolError, TooFewSurvivorsError
from pyppml.fl.ckks.member import CommitteeMember, CommitteePlan, key_id_from_crs, raw_key
from pyppml.fl.ckks.uploads import encrypt_update, server_sum, sign_upload, unpack


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


def flooding_plan(poly_degree: int, members: int, max_clients: int, statistical_security: int,
                  precision_bits: int, max_abs_value: float, copies: int = 1) -> dict:
    """Smudging width, scale and prime chain for a collective decryption that floods the
    decryption noise of a sum of `max_clients` fresh encryptions by 2^statistical_security
    (statistical distance <= 2^-statistical_security over all n coefficients) and still
    decodes each summed value to 2^-precision_bits.

    Noise of one public-key encryption under s = sum of `members` ternary keys with CBD(21)
    errors: u e_pk + e0 + e1 s, each coefficient a sum of ~2 n members terms of variance
    <= 10.5 * 2/3. The plan takes 10.5 per term (sqrt(3/2) more), so its 7 standard
    deviations are 8.6 real ones, exceeded with probability < 2^-55 per coefficient (7
    real ones alone would only give 2^-38.5). Uniform smudging on [-2^b, 2^b] hides a shift B with distance B / 2^b.
    A key part held by `copies` members (k - t + 1 in a t-of-k committee) can be answered
    by each of them over the one certified sum: `copies` independent smudgings of the
    same shift, distance copies n B / 2^b, so the width grows by log2(copies) bits.
    """
    n = poly_degree
    sigma = math.sqrt(max_clients * (2 * n * members + 1) * 10.5)
    noise_bits = math.log2(7 * sigma)
    smudging_bits = math.ceil(noise_bits + math.log2(n) + statistical_security + math.log2(copies))
    # slot error <= sqrt(n) * 7 * sqrt(members / 3) * 2^b / scale (the flooding dominates)
    scale_bits = math.ceil(smudging_bits + 0.5 * math.log2(n) + math.log2(7 * members) + precision_bits)
    q_bits = math.ceil(scale_bits + math.log2(max(max_abs_value, 1e-300) * max_clients) + 2)
    primes = math.ceil(q_bits / 60)
    size = math.ceil(q_bits / primes)
    return {"smudging_bits": smudging_bits, "scale_bits": scale_bits,
            "coeff_mod_bits": [size] * primes, "special_mod_bits": [min(60, max(size, 20))]}


class CkksCommittee:
    """A committee of ``members`` key holders (simulated in one process) and the
    public context clients encrypt with.

    Parameters
    ----------
    members : int
        Committee size k (1..16).
    threshold : int, optional
        Members needed to decrypt, 1..k (default k); fewer learn nothing about the key.
        Certifying a round's uploads needs ceil((k + threshold) / 2) live members.
    poly_degree : int
        Ring degree; poly_degree values per ciphertext (two per complex slot).
    max_clients, max_abs_value : int, float
        Bounds the plan is sized for: at most this many summed updates (members refuse
        larger sums), each entry of absolute value at most ``max_abs_value`` (checked when
        encrypting).
    statistical_security : int or None
        The collective decryption floods the decryption noise so that the output is within
        statistical distance 2^-statistical_security of one that does not depend on the
        noise (against key recovery from decryptions, Li-Micciancio 2021). ``None`` keeps
        the lighter legacy flooding (2^(scale_bits - 20), a ~2^9 margin: NOT a statistical
        guarantee) with ``scale_bits`` and the chain given, and warns.
    precision_bits : int
        Decoded sums are within 2^-precision_bits.
    scale_bits, coeff_mod_bits, special_mod_bits :
        Explicit chain (by default sized by the flooding plan; with statistical_security
        it must hold at least the plan's bits).
    client_keys : iterable of Ed25519PublicKey (or 32 raw bytes)
        The clients' identity keys, pinned at every member: only uploads they signed are
        summed and decrypted (module note). Required to decrypt anything.
    min_clients : int, optional
        Fewest distinct clients in a sum the members decrypt: at least 2 (a sum of one is
        that client's update); default max(2, ceil(2/3 of the pinned clients)). It bounds
        what a server alone can isolate; a server colluding with clients still learns the
        sum of the honest ones, as in any secure aggregation.

    Raises
    ------
    ParameterError
        Out-of-range sizes, or a plan that does not fit 128-bit security at this degree.
    """

    def __init__(self, members: int = 3, poly_degree: int = 8192, max_clients: int = 1024,
                 max_abs_value: float = 1.0, statistical_security: int | None = 40, precision_bits: int = 12,
                 scale_bits: int = 40, coeff_mod_bits=None, special_mod_bits=None, threshold: int | None = None,
                 client_keys=(), min_clients: int | None = None):
        if not 1 <= members <= 16:
            raise ParameterError(f"CkksCommittee: members is out of range; expected 1..16, got {members}")
        threshold = members if threshold is None else int(threshold)
        if not 1 <= threshold <= members:
            raise ParameterError(f"CkksCommittee: threshold is out of range; expected 1..{members}, got {threshold}")
        client_keys = list(client_keys)
        if min_clients is None:
            min_clients = max(2, math.ceil(2 * len(client_keys) / 3))
        if isinstance(min_clients, bool) or not isinstance(min_clients, (int, np.integer)) or min_clients < 2:
            raise ParameterError(f"CkksCommittee: min_clients is out of range; expected an integer >= 2, got "
                                 f"{min_clients}")
        # The flooding is sized for sums of at most max_clients uploads: a larger sum
        # carries more key-dependent noise than the width hides.
        if isinstance(max_clients, bool) or not isinstance(max_clients, (int, np.integer)) or max_clients < 2:
            raise ParameterError(f"CkksCommittee: max_clients is out of range; expected an integer >= 2, got "
                                 f"{max_clients!r}")
        if min_clients > max_clients:
            raise ParameterError(f"CkksCommittee: min_clients exceeds max_clients; expected min_clients <= "
                                 f"{max_clients} (default: 2/3 of the pinned clients), got {min_clients}")
        self.parts = replicated.key_parts(members, threshold)
        if len(self.parts) > replicated.MAX_PARTS:
            raise ParameterError(f"CkksCommittee: threshold is out of range; expected C(members, threshold - 1) <= "
                                 f"{replicated.MAX_PARTS} key parts, got {len(self.parts)}")
        self.threshold = threshold
        if statistical_security is None:
            warnings.warn("CkksCommittee: statistical_security=None, the collective decryption floods its noise by "
                          "~2^9 only (not a statistical guarantee)", stacklevel=2)
            smudging_bits = int(scale_bits) - 20
            coeff_mod_bits = coeff_mod_bits or (60,)
            special_mod_bits = special_mod_bits or (60,)
        else:
            # The key is the sum of len(parts) ternary parts, and each part adds one share.
            plan = flooding_plan(poly_degree, len(self.parts), max_clients, int(statistical_security),
                                 int(precision_bits), float(max_abs_value), copies=members - threshold + 1)
            smudging_bits, scale_bits = plan["smudging_bits"], plan["scale_bits"]
            if coeff_mod_bits is not None and sum(coeff_mod_bits) < sum(plan["coeff_mod_bits"]):
                raise ParameterError(f"CkksCommittee: coeff_mod_bits are too small for the flooding plan; expected "
                                     f"at least {sum(plan['coeff_mod_bits'])} bits, got {sum(coeff_mod_bits)}")
            coeff_mod_bits = coeff_mod_bits or plan["coeff_mod_bits"]
            special_mod_bits = special_mod_bits or plan["special_mod_bits"]
        self.ctx = Context(poly_degree, coeff_mod_bits=list(coeff_mod_bits), special_mod_bits=list(special_mod_bits),
                           scale_bits=min(int(scale_bits), 58))
        self.ctx.scale = float(2 ** int(scale_bits))
        self.max_abs_value = float(max_abs_value)
        self.max_clients = int(max_clients)
        # Each part is drawn by one holder and, in a deployment, sent sealed to the others.
        secrets = [self.ctx._native.keygen_secret() for _ in self.parts]
        self.crs = os.urandom(32)
        self.key_id = key_id_from_crs(self.crs)
        self.client_keys = [raw_key(k) for k in client_keys]
        self.min_clients = int(min_clients)
        # Each member makes its own signing key; the plan names their public parts.
        signing = agreement.new_signing_keys(members)
        self.plan = CommitteePlan(self.key_id, members, threshold, tuple(agreement.raw_public(k) for k in signing))
        self.members = [CommitteeMember(self.ctx, {p: secrets[p] for p in replicated.held_by(self.parts, j)},
                                        self.client_keys, self.min_clients, self.key_id, self.plan, j, signing[j],
                                        int(smudging_bits), self.max_clients)
                        for j in range(members)]
        del secrets
        shares = [self.members[replicated.holders(self.parts, p, members)[0]].public_key_share(self.crs, p)
                  for p in range(len(self.parts))]
        self.ctx.public_key = combine_public_key(self.ctx, shares, self.crs)
        self.smudging_bits = int(smudging_bits)

    def client_context(self) -> Context:
        """The public context (no secret key) clients encrypt with."""
        return self.ctx

    def public_bytes(self) -> bytes:
        return self.ctx.to_bytes()

    def certify(self, uploads, round: int, live=None) -> bytes:
        """The certificate of ``uploads`` for ``round``: the signatures of the ``live``
        members (default all), each of which verifies the uploads first.

        Raises
        ------
        ProtocolError
            A member refused the uploads.
        TooFewSurvivorsError
            Fewer than the quorum ceil((members + threshold) / 2) live members."""
        uploads = list(uploads)
        live = sorted(set(range(len(self.members)) if live is None else live))
        if len(live) < self.plan.quorum:
            raise TooFewSurvivorsError(f"CkksCommittee.certify: live members are too few to certify; expected >= "
                                       f"{self.plan.quorum} (ceil((members + threshold) / 2)), got {len(live)}")
        return agreement.pack({j: self.members[j].certify(uploads, round) for j in live})

    def decrypt_uploads(self, uploads, round: int, count: int | None = None, live=None, totals=None,
                        certificate: bytes | None = None) -> np.ndarray:
        """Collective decryption of the sum of signed ``uploads`` (see :func:`sign_upload`)
        for ``round``: the ``live`` members (default all) certify the uploads
        (:meth:`certify`, unless ``certificate`` is given), the server adds the
        ciphertexts, each key part is answered by one live member, which verifies and
        adds the uploads itself; the smudged shares are combined. Returns the sum's
        values (n per ciphertext), the first ``count`` of them if given. ``totals``: the
        server's sums of the uploads' ciphertexts (:func:`server_sum`), if already
        computed.

        Raises
        ------
        ProtocolError
            A member refused the uploads (unpinned or bad signature, replayed round,
            uploads other than the certified ones, ...).
        TooFewSurvivorsError
            Fewer than ``threshold`` live members (or than the quorum, to certify), or
            fewer than ``min_clients`` uploads."""
        uploads = list(uploads)
        live = range(len(self.members)) if live is None else live
        try:
            plan = replicated.assign(self.parts, len(self.members), live)
        except LookupError as err:
            raise TooFewSurvivorsError(f"CkksCommittee.decrypt_uploads: {err}") from None
        if not uploads:
            raise TooFewSurvivorsError("CkksCommittee.decrypt_uploads: uploads is empty; expected >= 1 upload")
        certificate = self.certify(uploads, round, live) if certificate is None else certificate
        # The server's sum (what it combines the shares with); each member adds its own.
        totals = server_sum(self.ctx, uploads) if totals is None else totals
        shares = {j: self.members[j].decryption_share(uploads, round, self.smudging_bits, parts, certificate)
                  for j, parts in plan.items()}
        out = np.concatenate([combine_decryption(self.ctx, t, [shares[j][k] for j in plan])
                              for k, t in enumerate(totals)])
        return out if count is None else out[:count]


def combine_public_key(ctx: Context, shares, crs: bytes):
    polys = [_poly(ctx, s, ctx.max_level, "public-key share") for s in shares]
    return ctx._native.combine_public_key(polys, bytes(crs), key_id_from_crs(bytes(crs)))


def combine_decryption(ctx: Context, ct: Ciphertext, shares) -> np.ndarray:
    """The sum's n reals (two per complex slot, as encrypt_update packs them)."""
    polys = [_poly(ctx, s, ct.level, "decryption share") for s in shares]
    pt = ctx._native.combine_decryption(ct._native, polys)
    return unpack(np.asarray(ctx._native.decode(pt)))


def ckks_aggregate(updates, committee: CkksCommittee | None = None, report: dict | None = None,
                   identity_keys=None, round: int = 1) -> np.ndarray:
    """Sum of float updates through CKKS: clients encrypt and sign, the server adds
    ciphertexts, the committee verifies the signed uploads and decrypts the sum. Within
    about 2^-15 of the plaintext sum at the default parameters (measured: 2^-15.3 to
    2^-15.7 for 3 clients): the members' smudging noise, wide enough to hide their key
    shares, dominates the error.

    ``identity_keys``: the clients' Ed25519 private keys, one per update, pinned in
    ``committee`` (with no committee, fresh keys and a committee pinning them are made).
    ``round``: the round number the uploads are signed for (above the members' last).
    ``report`` (optional dict) receives upload bytes per client and server seconds.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if committee is None:
        identity_keys = [Ed25519PrivateKey.generate() for _ in updates]
        committee = CkksCommittee(client_keys=[k.public_key() for k in identity_keys])
    if identity_keys is None or len(identity_keys) != len(updates):
        raise ParameterError(f"ckks_aggregate: identity_keys has the wrong count; expected one key per update "
                             f"({len(updates)}), got {None if identity_keys is None else len(identity_keys)}")
    ctx = committee.client_context()
    dim = len(updates[0])
    if len(updates) > committee.max_clients:
        raise ParameterError(f"ckks_aggregate: updates are too many for the committee's plan; expected at most "
                             f"{committee.max_clients}, got {len(updates)}")
    for i, u in enumerate(updates):
        peak = float(np.max(np.abs(u))) if len(u) else 0.0
        if peak > committee.max_abs_value:  # the message names the update, never its value
            raise ParameterError(f"ckks_aggregate: update {i} has an entry out of range; expected |value| <= "
                                 f"{committee.max_abs_value}, got a larger entry")
    uploads = []
    for u, key in zip(updates, identity_keys):
        if len(u) != dim:
            raise ParameterError(f"ckks_aggregate: update has the wrong length; expected {dim}, got {len(u)}")
        uploads.append(sign_upload(key, committee.key_id, round, encrypt_update(ctx, u)))
    t0 = time.perf_counter()
    totals = server_sum(ctx, uploads)
    server = time.perf_counter() - t0
    out = committee.decrypt_uploads(uploads, round, count=dim, totals=totals)
    if report is not None:
        report.update(server_seconds=server, upload_bytes=sum(len(b) for b in uploads[0][1]), plaintext_bytes=4 * dim,
                      log2_scale=math.log2(ctx.scale))
    return out
