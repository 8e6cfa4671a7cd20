"""Mutually authenticated TLS between parties: the dealer protocol and secure sum run over
it between real processes; a peer without a certificate, with one from another CA, or
with a valid certificate for another party id is refused (on either end of a channel),
and the party keeps waiting for the real peer."""

import socket
import ssl
import threading

import numpy as np
import pytest

import mpc_jobs
from pyppml.mpc import Channel, MsgType, Party, PartyError, PeerAuthenticationError, secure_sum
from pyppml.mpc.local import run_local
from pyppml.mpc.tls import PartyTls
from tls_certs import Pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def _is_tls(party):
    return {j: ch.is_tls for j, ch in party.channels.items()}


def test_dealer_protocol_over_tls(pki):
    """Beaver products, comparisons and sigmoid with a dealer, every channel TLS 1.3."""
    x = np.array([1.5, -2.0, 0.25, 3.0])
    y = np.array([2.0, 3.0, -1.0, 0.5])
    arith = mpc_jobs.arithmetic(x, y)

    def job(party):
        return arith(party), _is_tls(party), {j: ch.sock.version() for j, ch in party.channels.items()}

    def dealer(party):
        return mpc_jobs.dealer(party), _is_tls(party), {}

    tls = {i: pki.party(i) for i in range(3)}
    out = run_local({0: job, 1: job, 2: dealer}, timeout=10, deadline=60, tls=tls)
    for i, o in out.items():
        assert o.ok, f"party {i}: {o.error_type}: {o.message}"
    r0, r1 = out[0].value[0], out[1].value[0]
    np.testing.assert_array_equal(r0["mul"], r1["mul"])
    assert np.all(np.abs(r0["mul"] - x * y) <= 2.0 ** -mpc_jobs.FRAC * (np.abs(x) + np.abs(y) + 2))
    np.testing.assert_array_equal(r0["lt"], (x < 0).astype(np.uint64))
    for i in range(3):
        assert set(out[i].value[1]) == {0, 1, 2} - {i} and all(out[i].value[1].values())
    assert set(out[0].value[2].values()) == {"TLSv1.3"}


def test_secure_sum_over_tls_large_frames(pki):
    """Frames larger than the socket buffers, exchanged interleaved over non-blocking TLS."""
    vals = {i: np.arange(1 << 17, dtype=np.uint64) * np.uint64(i + 3) for i in range(3)}
    out = run_local({i: mpc_jobs.summer(vals) for i in range(3)}, timeout=10, deadline=60,
                    tls={i: pki.party(i) for i in range(3)})
    for i, o in out.items():
        assert o.ok, f"party {i}: {o.error_type}: {o.message}"
        np.testing.assert_array_equal(o.value, vals[0] + vals[1] + vals[2])


def _listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def _intruder(port, tls_ctx, claimed_id, result):
    """Connect to party 0 with ``tls_ctx``, claim ``claimed_id`` in a HELLO and record what
    party 0 did (a refused intruder sees its connection fail)."""
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock = tls_ctx.wrap_socket(raw, server_hostname="party-0")
        ch = Channel(sock, "party 0", timeout=10)
        ch.send(MsgType.HELLO, np.array([claimed_id, 2], dtype=np.int64))
        ch.recv()  # party 0 never sends to a refused peer: this fails when it closes
        result["outcome"] = "accepted"
    except (PartyError, ssl.SSLError, OSError) as err:
        result["outcome"] = f"refused: {type(err).__name__}"


def _client_ctx(ca_file, cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=ca_file)
    if cert is not None:
        ctx.load_cert_chain(*cert)
    return ctx


@pytest.mark.parametrize("who", ["no_certificate", "other_ca", "certificate_of_other_id", "two_ids",
                                 "certificate_of_other_id_claiming_stranger"])
def test_impostor_refused_then_real_peer_accepted(pki, tmp_path, who):
    """Party 0 listens; an impostor claiming to be party 1 connects first and is refused
    (the impostor's connection fails, party 0 records why); then the real party 1
    connects and the two sum over the authenticated channel."""
    if who == "no_certificate":
        ctx = _client_ctx(pki.ca_file)
    elif who == "other_ca":
        ctx = _client_ctx(pki.ca_file, Pki(tmp_path, "rogue-ca").issue("rogue-1", ["party-1"]))
    elif who.startswith("certificate_of_other_id"):
        ctx = _client_ctx(pki.ca_file, pki.issue("third-2", ["party-2"]))  # a real party 2's certificate
    else:
        ctx = _client_ctx(pki.ca_file, pki.issue("both", ["party-1", "party-2"]))
    listener = _listener()
    addresses = {0: ("127.0.0.1", listener.getsockname()[1]), 1: ("127.0.0.1", 0), 2: ("127.0.0.1", 0)}
    addresses.pop(2)
    seen: dict = {}
    # Claiming a non-participant id must not let an unauthenticated peer abort the setup either.
    claimed = 7 if who.endswith("stranger") else 1
    intruder = threading.Thread(target=_intruder, args=(addresses[0][1], ctx, claimed, seen))
    result: dict = {}

    def real_party1():
        intruder.join()  # the impostor has been answered before the real party connects
        with Party(1, addresses, timeout=10, connect_timeout=10, tls=pki.party(1)) as p1:
            result[1] = secure_sum(p1, np.array([5, 6], dtype=np.uint64))

    th = threading.Thread(target=real_party1)
    intruder.start()
    th.start()
    with Party(0, addresses, timeout=10, connect_timeout=20, tls=pki.party(0), listener=listener) as p0:
        total = secure_sum(p0, np.array([1, 2], dtype=np.uint64))
        refused = list(p0.refused)
    th.join()
    assert seen["outcome"].startswith("refused"), seen
    assert len(refused) == 1, refused
    if who in ("no_certificate", "other_ca"):
        assert "TLS handshake failed" in refused[0]
    else:
        assert f"HELLO claims party {claimed}" in refused[0]
    assert total.tolist() == result[1].tolist() == [6, 8]


@pytest.mark.parametrize("names", [["party-2"], ["party-0", "party-2"]], ids=["other_id", "two_ids"])
def test_connecting_party_refuses_listener_with_wrong_certificate(pki, names):
    """Party 1 connects to what should be party 0; the listener presents a valid
    certificate for party 2 (or for 0 and 2 at once): party 1 refuses it."""
    listener = _listener()
    server_ctx = PartyTls(str(pki.ca_file), *pki.issue("fake-0-" + "-".join(names), names)).server_context()
    stop = threading.Event()

    def fake_party0():
        sock, _ = listener.accept()
        try:
            tsock = server_ctx.wrap_socket(sock, server_side=True)
            tsock.recv(1)  # until the client gives up
            tsock.close()
        except OSError:
            sock.close()
        stop.set()

    th = threading.Thread(target=fake_party0)
    th.start()
    addresses = {0: ("127.0.0.1", listener.getsockname()[1]), 1: ("127.0.0.1", 0)}
    with pytest.raises(PeerAuthenticationError, match="party 0"):
        Party(1, addresses, timeout=5, connect_timeout=5, tls=pki.party(1))
    th.join()
    listener.close()
    assert stop.is_set()


def test_plain_tcp_takes_ids_on_trust():
    """What plain TCP does not protect (documented): any process may claim party 1."""
    listener = _listener()
    addresses = {0: ("127.0.0.1", listener.getsockname()[1]), 1: ("127.0.0.1", 0)}

    def anyone():
        ch = Channel(socket.create_connection(addresses[0], timeout=5), "party 0", timeout=5)
        ch.send(MsgType.HELLO, np.array([1, 2], dtype=np.int64))
        ch.close()

    th = threading.Thread(target=anyone)
    th.start()
    with Party(0, addresses, timeout=5, connect_timeout=5, listener=listener) as p0:
        assert 1 in p0.channels and not p0.channels[1].is_tls
    th.join()
