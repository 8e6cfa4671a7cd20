"""In-process one-time-key CKKS aggregation: a server, the clients and the committee
members exchanging the protocol's byte messages in memory, with client and member
dropouts injected at any step."""

from __future__ import annotations

import numpy as np

from pyppml.fl.common import agreement
from pyppml.fl.ckks.onetime.client import OneTimeClient
from pyppml.fl.ckks.onetime.member import OneTimeMember
from pyppml.fl.ckks.onetime.params import OneTimeParams
from pyppml.fl.ckks.onetime.server import OneTimeServer
from pyppml.fl.common.errors import ProtocolError
from pyppml.fl.common.rounds import RoundReport, check_updates, normalize_dropouts

MEMBER_STEPS = ("verify", "certify", "decrypt")


def normalize_member_dropouts(dropouts) -> dict[str, set]:
    """A set (members that never answer) or {step: set} with steps 'verify', 'certify',
    'decrypt' (the member answers nothing from that step on)."""
    return normalize_dropouts(dropouts, MEMBER_STEPS, "verify", "member_dropouts")


class OneTimeAggregator:
    """CKKS aggregation of float vectors under one-time keys held by a committee,
    simulated in one process.

    Each client encrypts its update under a fresh key whose parts it seals to the
    committee, and uploads one bit-packed polynomial per n reals (the other half of the
    ciphertext is the round's public reference string); the server adds uploads; the
    committee members sign the final client set and (any ``threshold`` of them, once
    ``params.quorum`` = ceil((members + threshold) / 2) have signed the same set) return
    decryption shares for the sum only. Every member gets an Ed25519 signing key, named
    in the plan (``params.member_signing_keys``).

    Parameters
    ----------
    n_clients, dim : int
    signed : bool
        Default True: give the clients Ed25519 identity keys whose public halves the
        members pin; members count only uploads whose round key the client signed, so a
        server cannot add sybil clients. ``signed=False`` is an explicit opt-in to
        unauthenticated clients, under which the server alone can recover any single
        update: it uploads zeros for sybil clients made from the public plan and member
        keys next to the victim's upload (min_clients counts the sybils).
    **plan :
        Any other :class:`OneTimeParams` field (members, threshold, poly_degree,
        precision_bits, max_abs_value, min_clients, security).

    Examples
    --------
    >>> import numpy as np
    >>> agg = OneTimeAggregator(n_clients=4, dim=3, members=3, threshold=2)
    >>> ups = [np.full(3, 0.125 * i) for i in range(4)]
    >>> np.round(agg.run_round(ups, dropouts={3}, member_dropouts={"decrypt": {1}}), 4).tolist()
    [0.375, 0.375, 0.375]
    """

    def __init__(self, n_clients: int, dim: int, signed: bool = True, **plan):
        template = OneTimeParams(n_clients, dim, **plan)
        signing = agreement.new_signing_keys(template.members)
        self.params = agreement.with_signing_keys(template, signing)
        identity, verify = {}, None
        if signed:
            identity = dict(enumerate(agreement.new_signing_keys(n_clients)))
            verify = {i: k.public_key() for i, k in identity.items()}
        self.signed = bool(signed)
        self.members = [OneTimeMember(j, self.params, verify, signing[j], signed=self.signed)
                        for j in range(self.params.members)]
        keys = [m.public_key for m in self.members]
        self.clients = [OneTimeClient(i, self.params, keys, identity.get(i)) for i in range(n_clients)]
        self.round = 0
        self.report: RoundReport | None = None

    def run_round(self, updates, dropouts=None, member_dropouts=None) -> np.ndarray:
        """Sum of the updates of the clients whose uploads count.

        Parameters
        ----------
        updates : sequence of n_clients float vectors of length dim (None: client absent)
        dropouts : set of client ids that never upload
        member_dropouts : set of member ids, or {'verify' | 'certify' | 'decrypt': set}:
            members that stop answering from that step on (certification needs
            ``params.quorum`` members, decryption ``threshold``).

        Raises
        ------
        ValueError
            Bad updates (count, shape, non-finite, out of range).
        TooFewSurvivorsError
            Too few clients, too few members to certify the client set, or to cover
            every key part.
        """
        p = self.params
        ups = check_updates(updates, p.n_clients, p.dim, "OneTimeAggregator.run_round")
        gone = set(int(i) for i in (dropouts or ()))
        mdrop = normalize_member_dropouts(member_dropouts)
        self.round += 1
        server = OneTimeServer(p, self.round, self.signed)
        sent = {}
        for i, u in enumerate(ups):
            if u is None or i in gone:
                continue
            before = self.clients[i].bytes_sent
            msg = self.clients[i].upload(self.round, u)
            sent[i] = self.clients[i].bytes_sent - before
            try:
                server.receive_upload(i, msg)
            except ProtocolError:
                pass
        live = set(range(p.members)) - mdrop.get("verify", set())
        for j, req in server.verify_requests(live).items():
            server.receive_verification(j, self.members[j].verify(req))
        live -= mdrop.get("certify", set())
        for j, req in server.certify_requests(live).items():
            server.receive_certification(j, self.members[j].certify(req))
        live -= mdrop.get("decrypt", set())
        for j, req in server.decryption_requests(live).items():
            server.receive_share(j, self.members[j].decryption_share(req))
        total = server.finish()
        self.report = RoundReport(server.accepted, dict(server.rejected), server.seconds, sent, 4 * p.dim)
        return total
