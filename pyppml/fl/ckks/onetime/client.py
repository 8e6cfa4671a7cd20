"""A client of one-time-key CKKS aggregation: one message per round.

Per round the client draws fresh 32-byte seeds, one per key part; its one-time key s is
the sum of the ternary parts they expand to. It seals to each committee member the seeds
of the parts that member holds (X25519 with a fresh ephemeral key, HKDF, ChaCha20-
Poly1305) and uploads, per block of n reals, only c_t = Encode(x_t) - a_t s + e_t, where
a_t is the round's public common reference string: the a-half of an RLWE ciphertext is
never sent, and coefficients travel bit-packed at the modulus' width.
"""

from __future__ import annotations

import numpy as np

from pyppml import _core
from pyppml.fl.ckks.onetime import ring
from pyppml.fl.ckks.onetime.params import OneTimeParams
from pyppml.fl.common.errors import ParameterError, ProtocolError
from pyppml.fl.common.masks import new_keypair
from pyppml.fl.common.messages import Kind, Message, check_round


def check_update(params: OneTimeParams, update, api: str) -> np.ndarray:
    u = np.asarray(update, dtype=np.float64)
    if u.shape != (params.dim,):
        raise ParameterError(f"{api}: update has the wrong shape; expected ({params.dim},), got {u.shape}")
    if not np.all(np.isfinite(u)):
        raise ParameterError(f"{api}: update is not finite; expected finite floats")
    peak = float(np.max(np.abs(u)))
    if peak > params.max_abs_value:
        # the message reaches the server (Flower fit status): never the private value
        raise ParameterError(f"{api}: update has an entry out of range; expected |value| <= "
                             f"{params.max_abs_value}, got a larger entry")
    return u


class OneTimeClient:
    """Client ``index`` of a committee with public X25519 keys ``member_keys``.

    Parameters
    ----------
    index : int
        0 .. n_clients - 1.
    params : OneTimeParams
        The committee's plan, exactly as the members hold it (its digest seals the
        seeds); with ``threshold < members`` it names the members' signing keys.
    member_keys : sequence of bytes
        The members' 32-byte X25519 public keys, in member order.
    identity_key : Ed25519PrivateKey
        Signs the round's ephemeral key; its public half is pinned by the members, which
        count only signed uploads (no sybil clients). Needed for the default (signed)
        rounds; None only in rounds whose server and members were built with
        ``signed=False``, which let the server recover any single update.

    Raises
    ------
    ParameterError
        Index out of range, malformed member keys, or a plan with threshold < members
        that does not name the members' signing keys.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml.fl.common.masks import new_keypair
    >>> p = OneTimeParams(2, 4, members=2, poly_degree=2048)
    >>> client = OneTimeClient(0, p, [new_keypair()[1] for _ in range(2)])
    >>> len(client.upload(1, np.zeros(4))) > p.block_bytes
    True
    """

    def __init__(self, index: int, params: OneTimeParams, member_keys, identity_key=None):
        if not 0 <= index < params.n_clients:
            raise ParameterError(f"OneTimeClient: index is out of range; expected 0..{params.n_clients - 1}, got {index}")
        keys = [bytes(k) for k in member_keys]
        if len(keys) != params.members or any(len(k) != 32 for k in keys):
            raise ParameterError(f"OneTimeClient: member_keys is invalid; expected {params.members} keys of 32 bytes, "
                                 f"got {[len(k) for k in keys]}")
        params.check_committee("OneTimeClient")
        self.index = index
        self.params = params
        self.member_keys = keys
        self.identity_key = identity_key
        self.last_round = 0
        self.bytes_sent = 0

    def upload(self, round: int, update) -> bytes:
        """The round's message to the server. Rounds must increase (a key is never reused).

        Raises
        ------
        ParameterError
            Wrong shape, non-finite or out-of-range update.
        ProtocolError
            A round that is not newer than the last one, or not an integer in
            1..2^32-1 (rounds travel as u32).
        """
        p = self.params
        round = check_round(round, "OneTimeClient.upload")
        u = check_update(p, update, "OneTimeClient.upload")
        if round <= self.last_round:
            raise ProtocolError(f"OneTimeClient.upload: round is stale; expected > {self.last_round}, got {round}")
        prng = _core.Prng()
        seeds = [prng.random_bytes(ring.SEED_BYTES) for _ in p.parts]
        eph_sk, eph_pk = new_keypair()
        aad = ring.seal_aad(p, round)
        sealed = []
        for j, member_pk in enumerate(self.member_keys):
            key = ring.seed_key(p, eph_sk, member_pk, round, self.index, j)
            sealed.append(ring.seal(key, self.index, j, b"".join(seeds[k] for k in p.held_by(j)), aad))
        key = ring.key_in_ntt_form(p, seeds)
        del seeds
        n = p.poly_degree
        crs = ring.crs_seed(p, round)
        noise = ring.noise(p)
        packed = []
        chunk = np.zeros(n)
        for t in range(p.blocks):
            part = u[t * n:(t + 1) * n]
            chunk[:part.size] = part
            chunk[part.size:] = 0.0
            c = ring.client_block(p, key, ring.crs_block(p, crs, t), chunk, noise[t])
            packed.append(_core.pack_fixed_width(c, p.modulus_bits))
        key.coeffs.fill(0)  # the one-time key would still decrypt this upload: wipe it
        del key
        self.last_round = round
        signature = b"" if self.identity_key is None else self.identity_key.sign(
            ring.key_statement(p, round, self.index, eph_pk))
        msg = Message(Kind.OT_UPLOAD, self.index, round, p.session,
                      (eph_pk + signature, b"".join(sealed), b"".join(packed)))
        out = msg.to_bytes()
        self.bytes_sent += len(out)
        return out
