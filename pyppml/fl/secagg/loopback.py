"""Secure aggregation between real processes over loopback TCP: the server in this
process, each client in its own forked process, messages as pyppml.mpc frames (the
same length-prefixed, validated transport as the MPC protocols).

A client that closes its connection, stays silent past the timeout or sends a message
the server rejects is a dropout; the round still returns the survivors' exact sum when
enough shares remain.

With ``signed=True`` the parent generates an Ed25519 identity key per client before
forking (each client process keeps its own private key and everyone's public keys), and
the round runs the consistency check (step 'check').

>>> # total, report = run_loopback(updates, threshold=3, dropouts={"masked": {4}})
"""

from __future__ import annotations

import multiprocessing as mp

import numpy as np

from pyppml.fl.common.errors import ProtocolError, TooFewSurvivorsError
from pyppml.fl.common.messages import Kind
from pyppml.fl.common.processes import as_frame, bound_listener, connect_to_server, reap
from pyppml.fl.common.rounds import RoundReport, check_updates, normalize_dropouts
from pyppml.fl.secagg.params import SecAggParams
from pyppml.fl.secagg.quantize import Quantizer
from pyppml.fl.secagg.client import SecAggClient
from pyppml.fl.secagg.server import SecAggServer
from pyppml.fl.secagg.simulator import CHECKED_STEPS, STEPS
from pyppml.mpc.party import Party
from pyppml.mpc.transport import MsgType, PartyError


def client_process(index: int, params: SecAggParams, quantizer: Quantizer, update, server, timeout: float,
                   drop_at: str | None, identity_key=None, verify_keys=None) -> None:
    """One client's whole round; returns silently when it drops (on purpose or not).
    With ``identity_key`` and ``verify_keys`` the round has the consistency check."""
    ch = connect_to_server(index + 1, server, params.n_clients + 1, timeout)
    client = SecAggClient(index, params, identity_key, verify_keys)
    try:
        for step in CHECKED_STEPS if client.checked else STEPS:
            msg = ch.recv(MsgType.CONTROL).tobytes()
            if drop_at == step:
                return
            if step == "advertise":
                reply = client.advertise(msg)
            elif step == "shares":
                reply = client.share_keys(msg)
            elif step == "masked":
                reply = client.masked_input(msg, quantizer.encode(update))
            elif step == "check":
                reply = client.check(msg)
            else:
                reply = client.unmask(msg)
            ch.send(MsgType.INPUT, as_frame(reply))
    except (PartyError, ProtocolError, TooFewSurvivorsError):
        return
    finally:
        ch.close()


def run_loopback(updates, threshold: int | None = None, neighbours: int | None = None, mod_bits: int = 32,
                 clip: float = 1.0, dropouts=None, timeout: float = 20.0, signed: bool = False,
                 insecure_threshold: bool = False) -> tuple[np.ndarray, RoundReport]:
    """One secure-aggregation round with ``len(updates)`` client processes.

    ``signed``: give the clients Ed25519 identity keys (generated here, before forking):
    signed advertised keys and the consistency check, whose step 'check' may also be a
    key of ``dropouts``, and the signed-round threshold (see
    :class:`pyppml.fl.SecureAggregator`). ``threshold`` below the least one is refused
    unless ``insecure_threshold`` (see :class:`SecAggParams`).

    Returns
    -------
    (sum of the survivors' updates, RoundReport)

    Raises
    ------
    ValueError
        Bad updates; a threshold out of range (ParameterError).
    TooFewSurvivorsError
        Too few clients survived.
    """
    n = len(updates)
    dim = len(updates[0])
    params = SecAggParams(n, dim, threshold, neighbours, mod_bits, signed, insecure_threshold)
    quantizer = Quantizer(clip, n, mod_bits)
    ups = check_updates(updates, n, dim, "run_loopback")
    steps = CHECKED_STEPS if signed else STEPS
    drops = normalize_dropouts(dropouts, steps)
    identity, verify = {}, None
    if signed:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        identity = {i: Ed25519PrivateKey.generate() for i in range(n)}
        verify = {i: k.public_key() for i, k in identity.items()}
    drop_at = {}
    for step in reversed(steps):
        for i in drops.get(step, ()):
            drop_at[i] = step
    listener = bound_listener(n + 4)
    server_addr = listener.getsockname()
    addresses = {0: server_addr} | {i + 1: ("127.0.0.1", 0) for i in range(n)}
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=client_process, args=(i, params, quantizer, ups[i], server_addr, timeout,
                                                      drop_at.get(i), identity.get(i), verify), daemon=True)
             for i in range(n)]
    try:
        for p in procs:
            p.start()
    except BaseException:
        listener.close()
        raise
    try:
        with Party(0, addresses, timeout=timeout, listener=listener) as party:
            server = SecAggServer(params, verify_keys=verify)
            outbox = {i: server.start() for i in range(n)}
            sent = {i: 0 for i in range(n)}
            for step in steps:
                for i, msg in outbox.items():
                    try:
                        party.channel(i + 1).send(MsgType.CONTROL, as_frame(msg))
                    except PartyError:
                        pass
                for i in outbox:
                    try:
                        data = party.channel(i + 1).recv(MsgType.INPUT)
                    except PartyError:
                        continue
                    sent[i] += len(data)
                    try:
                        server.receive(i, data)
                    except ProtocolError:
                        party.channel(i + 1).close()
                outbox = server.advance() if step != "unmask" else {}
            total = server.finish()
    finally:
        reap(procs)
    report = RoundReport(sorted(server.survivors[Kind.MASKED]), dict(server.rejected), server.seconds, sent, 4 * dim)
    return quantizer.decode(total), report
