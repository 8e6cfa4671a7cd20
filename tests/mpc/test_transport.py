"""NumPy frames over TCP: round trips, malformed frames rejected before allocation with a
FrameError, silent peers time out, closed peers raise PeerClosedError, and the party
handshake rejects strangers."""

import socket
import struct
import threading
import time

import numpy as np
import pytest

from pyppml.mpc import Channel, FrameError, MsgType, Party, PeerClosedError, PeerTimeoutError, free_ports
from pyppml.mpc.transport import MAGIC, VERSION, encode_header

HEAD = struct.Struct("<4sBBBBQ")


@pytest.fixture
def pair():
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    cli = socket.create_connection(("127.0.0.1", port))
    conn, _ = srv.accept()
    srv.close()
    ca = Channel(conn, "peer b", timeout=1.0, max_frame_bytes=1 << 20)
    yield ca, cli
    ca.close()
    cli.close()


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.float64, np.uint8])
@pytest.mark.parametrize("shape", [(0,), (5,), (3, 4), (2, 1, 3, 2)], ids=lambda s: "x".join(map(str, s)))
def test_round_trip(pair, dtype, shape):
    ch, raw = pair
    other = Channel(raw, "peer a", timeout=1.0)
    arr = (np.arange(int(np.prod(shape))) * 3).astype(dtype).reshape(shape)
    other.send(MsgType.OPEN, arr)
    got = ch.recv(MsgType.OPEN)
    assert got.dtype == arr.dtype and got.shape == arr.shape
    np.testing.assert_array_equal(got, arr)


def test_large_exchange_does_not_deadlock(pair):
    ch, raw = pair
    other = Channel(raw, "peer a", timeout=5.0)
    big = np.arange(1 << 21, dtype=np.uint64)  # 16 MiB each way
    out = {}
    th = threading.Thread(target=lambda: out.setdefault("b", other.exchange(MsgType.OPEN, big + np.uint64(1))))
    th.start()
    ch.max_frame_bytes = 1 << 26
    got = ch.exchange(MsgType.OPEN, big)
    th.join()
    np.testing.assert_array_equal(got, big + np.uint64(1))
    np.testing.assert_array_equal(out["b"], big)


def frame(magic=MAGIC, version=VERSION, mtype=int(MsgType.OPEN), code=1, ndim=1, nbytes=16, shape=(2,), body=None):
    head = HEAD.pack(magic, version, mtype, code, ndim, nbytes) + struct.pack(f"<{len(shape)}Q", *shape)
    return head + (body if body is not None else b"\0" * nbytes)


@pytest.mark.parametrize(
    "data,needle",
    [
        (frame(magic=b"XXXX"), "bad magic"),
        (frame(version=9), "unknown version"),
        (frame(mtype=int(MsgType.INPUT)), "wrong message type"),
        (frame(code=7), "unknown dtype code"),
        (frame(ndim=9, shape=()), "too many axes"),
        (frame(nbytes=1 << 40, shape=(1 << 37,), body=b""), "too large"),
        (frame(nbytes=24, shape=(2,)), "does not match its shape"),
        (frame(nbytes=16, shape=(2, 2), ndim=2), "does not match its shape"),
        (frame(nbytes=0, shape=(1 << 62, 4), ndim=2), "does not match its shape"),
    ],
    ids=["magic", "version", "type", "dtype", "ndim", "huge", "length", "shape", "overflow"],
)
def test_malformed_frames_rejected(pair, data, needle):
    ch, raw = pair
    raw.sendall(data)
    t0 = time.monotonic()
    with pytest.raises(FrameError, match=needle):
        ch.recv(MsgType.OPEN)
    assert time.monotonic() - t0 < 0.5
    assert ch.closed  # a channel that saw garbage is not reused


def test_truncated_frame_then_close(pair):
    ch, raw = pair
    raw.sendall(frame()[:20])
    raw.close()
    with pytest.raises(PeerClosedError):
        ch.recv(MsgType.OPEN)


def test_truncated_frame_then_silence_times_out(pair):
    ch, raw = pair
    raw.sendall(frame()[:-3])
    t0 = time.monotonic()
    with pytest.raises(PeerTimeoutError):
        ch.recv(MsgType.OPEN)
    assert 0.9 <= time.monotonic() - t0 < 2.0


def test_silent_peer_times_out(pair):
    ch, _ = pair
    t0 = time.monotonic()
    with pytest.raises(PeerTimeoutError, match="within 1 s"):
        ch.exchange(MsgType.OPEN, np.zeros(3, np.uint64))
    assert time.monotonic() - t0 < 2.0


def test_silent_peer_times_out_large_exchange(pair):
    ch, _ = pair
    with pytest.raises(PeerTimeoutError):
        ch.exchange(MsgType.OPEN, np.zeros(1 << 16, np.uint64))


def test_closed_peer(pair):
    ch, raw = pair
    raw.close()
    with pytest.raises(PeerClosedError):
        ch.recv()
    with pytest.raises(PeerClosedError):
        ch.send(MsgType.OPEN, np.zeros(1, np.uint64))


def test_send_rejects_unsupported_dtype(pair):
    ch, _ = pair
    with pytest.raises(TypeError, match="unsupported dtype"):
        ch.send(MsgType.OPEN, np.zeros(2, dtype=object))
    assert encode_header(MsgType.OPEN, np.zeros((2, 3), np.uint8))[:4] == MAGIC


def test_party_rejects_stranger_hello():
    port = free_ports(1)[0]
    addresses = {0: ("127.0.0.1", port), 1: ("127.0.0.1", free_ports(1)[0])}

    def stranger():
        for _ in range(100):
            try:
                s = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.02)
        c = Channel(s, "party 0", timeout=2.0)
        c.send(MsgType.HELLO, np.array([7, 2], dtype=np.int64))  # id 7 is not a participant
        time.sleep(0.5)
        c.close()

    th = threading.Thread(target=stranger)
    th.start()
    with pytest.raises(FrameError, match="unexpected HELLO"):
        Party(0, addresses, timeout=1.0, connect_timeout=3.0)
    th.join()


def test_party_missing_peer_times_out():
    addresses = {0: ("127.0.0.1", free_ports(1)[0]), 1: ("127.0.0.1", free_ports(1)[0])}
    t0 = time.monotonic()
    with pytest.raises(PeerTimeoutError, match="did not connect in time"):
        Party(0, addresses, timeout=1.0, connect_timeout=0.5)
    assert time.monotonic() - t0 < 2.0
