"""One-time-key CKKS aggregation between real processes over loopback TCP: the server
in this process, every client and every committee member in its own forked process,
messages as pyppml.mpc frames (the transport of the MPC protocols and of SecAgg+'s
loopback run).

Members publish their X25519 keys to the server, which hands the directory to the
clients; clients upload; members verify their sealed seeds, sign the final client set and
return decryption shares. Each member's Ed25519 signing key is made before the processes
start and named in the plan every party holds (the setup a deployment does out of band).
A client or member that closes its connection, stays silent past the timeout or sends a
message that is refused is a dropout; the round still returns the accepted clients' sum
while ``params.quorum`` members sign the client set and ``threshold`` members answer.

>>> # total, report = run_onetime_loopback(updates, members=3, threshold=2, member_dropouts={1})
"""

from __future__ import annotations

import multiprocessing as mp

import numpy as np

from pyppml.fl.common import agreement
from pyppml.fl.ckks.onetime.client import OneTimeClient
from pyppml.fl.ckks.onetime.member import OneTimeMember
from pyppml.fl.ckks.onetime.params import OneTimeParams
from pyppml.fl.ckks.onetime.server import OneTimeServer
from pyppml.fl.ckks.onetime.simulator import normalize_member_dropouts
from pyppml.fl.common.errors import ProtocolError
from pyppml.fl.common.processes import as_frame, bound_listener, connect_to_server, reap
from pyppml.fl.common.messages import Kind
from pyppml.fl.common.rounds import RoundReport, check_updates
from pyppml.mpc.party import Party
from pyppml.mpc.transport import MsgType, PartyError


def member_process(index: int, params: OneTimeParams, signing_key, server, parties: int, timeout: float,
                   drop_at: str | None, verify_keys=None) -> None:
    """A member: publish its key, then answer verification, certification and decryption
    requests until the server hangs up (or, with ``drop_at``, stop answering from that
    step on)."""
    ch = connect_to_server(params.n_clients + 1 + index, server, parties, timeout)
    member = OneTimeMember(index, params, verify_keys, signing_key, signed=verify_keys is not None)
    try:
        ch.send(MsgType.INPUT, as_frame(member.public_key))
        while True:
            msg = ch.recv(MsgType.CONTROL).tobytes()
            kind = msg[4] if len(msg) > 4 else -1
            if kind == Kind.OT_VERIFY:
                if drop_at == "verify":
                    return
                reply = member.verify(msg)
            elif kind == Kind.OT_CERTIFY:
                if drop_at in ("certify", "verify"):
                    return
                reply = member.certify(msg)
            else:
                if drop_at == "decrypt":
                    return
                reply = member.decryption_share(msg)
            ch.send(MsgType.INPUT, as_frame(reply))
    except (PartyError, ProtocolError):
        return
    finally:
        ch.close()


def client_process(index: int, params: OneTimeParams, update, server, parties: int, timeout: float,
                   drop: bool, identity_key=None) -> None:
    """A client: read the committee's directory, upload once."""
    ch = connect_to_server(index + 1, server, parties, timeout)
    try:
        directory = ch.recv(MsgType.CONTROL).tobytes()
        if drop:
            return
        rnd = int.from_bytes(directory[:4], "little")
        keys = [directory[4 + 32 * j:36 + 32 * j] for j in range(params.members)]
        ch.send(MsgType.INPUT, as_frame(OneTimeClient(index, params, keys, identity_key).upload(rnd, update)))
    except (PartyError, ProtocolError):
        return
    finally:
        ch.close()


def run_onetime_loopback(updates, members: int = 3, threshold: int | None = None, dropouts=None,
                         member_dropouts=None, timeout: float = 20.0, signed: bool = True,
                         **plan) -> tuple[np.ndarray, RoundReport]:
    """One round with ``len(updates)`` client processes and ``members`` member processes.

    Parameters
    ----------
    updates : sequence of float vectors of equal length
    members, threshold, **plan :
        See :class:`OneTimeParams`.
    dropouts : set of client ids that never upload
    member_dropouts : set of member ids, or {'verify' | 'certify' | 'decrypt': set}
    signed : bool
        Default True: each client gets an Ed25519 identity key (made before the processes
        start, as a deployment registers them out of band) whose public half every member
        pins. ``signed=False`` is an explicit opt-in to unauthenticated clients, under
        which the server alone can recover any single update with sybil clients.

    Returns
    -------
    (sum of the accepted clients' updates, RoundReport)

    Raises
    ------
    ValueError
        Bad updates.
    TooFewSurvivorsError
        Too few clients, too few members to certify the client set, or to cover every
        key part.
    """
    n, dim = len(updates), len(updates[0])
    signing = agreement.new_signing_keys(members)
    params = agreement.with_signing_keys(OneTimeParams(n, dim, members=members, threshold=threshold, **plan), signing)
    ups = check_updates(updates, n, dim, "run_onetime_loopback")
    identity = agreement.new_signing_keys(n) if signed else [None] * n
    verify = {i: k.public_key() for i, k in enumerate(identity)} if signed else None
    gone = set(int(i) for i in (dropouts or ()))
    mdrop = normalize_member_dropouts(member_dropouts)
    drop_at = {j: step for step in ("decrypt", "certify", "verify") for j in mdrop.get(step, ())}
    parties = n + members + 1
    # Bound and listening before any process forks: no free-port race, no retries.
    listener = bound_listener(parties + 4)
    server_addr = listener.getsockname()
    addresses = {0: server_addr} | {i: ("127.0.0.1", 0) for i in range(1, parties)}
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=client_process, args=(i, params, ups[i], server_addr, parties, timeout, i in gone,
                                                                    identity[i]),
                         daemon=True) for i in range(n)]
    procs += [ctx.Process(target=member_process, args=(j, params, signing[j], server_addr, parties, timeout,
                                                       drop_at.get(j), verify), daemon=True) for j in range(members)]
    try:
        for p in procs:
            p.start()
    except BaseException:
        listener.close()
        reap([p for p in procs if p.pid is not None])
        raise
    sent = {}
    try:
        with Party(0, addresses, timeout=timeout, listener=listener) as party:

            def member(j: int):
                return party.channel(n + 1 + j)

            keys = [member(j).recv(MsgType.INPUT).tobytes() for j in range(members)]
            server = OneTimeServer(params, 1, signed)
            directory = as_frame((1).to_bytes(4, "little") + b"".join(keys))
            for i in range(n):
                party.channel(i + 1).send(MsgType.CONTROL, directory)
            for i in range(n):
                try:
                    data = party.channel(i + 1).recv(MsgType.INPUT)
                    sent[i] = len(data)
                    server.receive_upload(i, data)
                except (PartyError, ProtocolError):
                    continue
            def ask(j: int, req: bytes, receive) -> bool:
                """Send member j a request and hand its reply to ``receive``; False when
                the member hung up, timed out or sent a reply the server refuses."""
                try:
                    member(j).send(MsgType.CONTROL, as_frame(req))
                    receive(j, member(j).recv(MsgType.INPUT))
                    return True
                except (PartyError, ProtocolError):
                    return False

            live = {j for j, req in server.verify_requests(range(members)).items()
                    if ask(j, req, server.receive_verification)}
            live -= {j for j, req in server.certify_requests(live).items()
                     if not ask(j, req, server.receive_certification)}
            while True:  # a member that fails is replaced by other holders of its parts
                failed = {j for j, req in server.decryption_requests(live).items()
                          if not ask(j, req, server.receive_share)}
                if not failed:
                    break
                live -= failed
            total = server.finish()
    finally:
        reap(procs)
    return total, RoundReport(server.accepted, dict(server.rejected), server.seconds, sent, 4 * dim)
