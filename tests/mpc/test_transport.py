"""NumPy frames over TCP: round trips, malformed frames rejected before allocation with a
FrameError, memory that grows only with the bytes received (not with what a header
claims), per-message-type limits, mutation fuzzing of the decoder, silent peers time out,
closed peers raise PeerClosedError, and the party handshake rejects strangers."""

import socket
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest

from pyppml.mpc import Channel, FrameError, MsgType, Party, PeerClosedError, PeerTimeoutError
from pyppml.mpc.transport import (
    MAGIC,
    MAX_PAYLOAD_BYTES,
    VERSION,
    FrameDecoder,
    decode_frame,
    encode_frame,
    encode_header,
)

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
        (frame(mtype=0), "unknown message type"),
    ],
    ids=["magic", "version", "type", "dtype", "ndim", "huge", "length", "shape", "overflow", "unknown_type"],
)
def test_malformed_frames_rejected(pair, data, needle):
    ch, raw = pair
    raw.sendall(data)
    t0 = time.monotonic()
    with pytest.raises(FrameError, match=needle):
        ch.recv(MsgType.OPEN)
    assert time.monotonic() - t0 < 0.5
    assert ch.closed  # a channel that saw garbage is not reused


@pytest.mark.parametrize("shape", [(0, 1 << 63), (1 << 63, 0), (0, (1 << 64) - 1), (0, 1 << 62, 4), (0, 1 << 40)],
                         ids=["0x2^63", "2^63x0", "0x2^64-1", "0x2^62x4", "0x2^40"])
@pytest.mark.parametrize("path", ["recv", "exchange", "decode"])
def test_empty_frame_with_huge_axis_is_a_frame_error(pair, shape, path):
    """Issue 12 (13): an empty frame whose axes NumPy cannot represent raised ValueError."""
    ch, raw = pair
    data = frame(nbytes=0, shape=shape, ndim=len(shape))
    if path == "decode":
        with pytest.raises(FrameError, match="shape is too large"):
            decode_frame(data, MsgType.OPEN)
        return
    raw.sendall(data)
    with pytest.raises(FrameError, match="shape is too large"):
        if path == "recv":
            ch.recv(MsgType.OPEN)
        else:
            ch.exchange(MsgType.OPEN, np.zeros(1 << 13, np.uint64))  # large: the interleaved path
    assert ch.closed


def test_empty_frames_with_axes_round_trip(pair):
    ch, raw = pair
    for shape in [(0,), (0, 7), (3, 0, 5)]:
        raw.sendall(encode_frame(MsgType.OPEN, np.zeros(shape, np.float64)))
        assert ch.recv(MsgType.OPEN).shape == shape


def _raw_pair(max_frame_bytes):
    a, b = socket.socketpair()
    return Channel(a, "peer b", timeout=5.0, max_frame_bytes=max_frame_bytes), b


@pytest.mark.parametrize("path", ["recv", "exchange"])
def test_header_claiming_huge_payload_allocates_only_what_arrives(path):
    """Issue 12 (12): 28 bytes claiming 512 MiB made the receiver commit 512 MiB before any
    payload arrived. The claim here is 256 MiB (within the channel limit), 64 KiB of it
    arrive, then the stream closes: the receiver fails cleanly and its traced peak stays
    a few times what arrived."""
    ch, raw = _raw_pair(1 << 30)
    claimed, sent = 1 << 28, 1 << 16
    data = frame(mtype=int(MsgType.OPEN), code=4, nbytes=claimed, shape=(claimed,), body=b"\1" * sent)

    def drain_all():
        while raw.recv(1 << 20):
            pass

    drain = threading.Thread(target=drain_all)

    def peer():
        raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)

    th = threading.Thread(target=peer)
    tracemalloc.start()
    try:
        th.start()
        if path == "exchange":
            drain.start()  # take what our side sends, so its send never blocks
        with pytest.raises(PeerClosedError, match="closed the connection"):
            if path == "recv":
                ch.recv(MsgType.OPEN)
            else:
                ch.exchange(MsgType.OPEN, np.zeros(1 << 13, np.uint64))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        th.join()
        ch.close()
        if path == "exchange":
            drain.join()
        raw.close()
    assert peak < 8 * sent + (1 << 20), peak


def test_growing_buffer_receives_large_frames_exactly():
    a, b = socket.socketpair()
    ca, cb = Channel(a, "b", timeout=10.0), Channel(b, "a", timeout=10.0)
    big = np.arange((1 << 21) + 3, dtype=np.uint64)  # not a power of two: the last growth step is partial
    th = threading.Thread(target=ca.send, args=(MsgType.MATERIAL, big))
    th.start()
    got = cb.recv(MsgType.MATERIAL)
    th.join()
    np.testing.assert_array_equal(got, big)
    assert got.flags.writeable and got.flags.c_contiguous
    ca.close()
    cb.close()


@pytest.mark.parametrize("mtype", list(MsgType), ids=lambda m: m.name)
def test_per_type_limit_applies(pair, mtype):
    ch, raw = pair
    ch.max_frame_bytes = 1 << 40  # only the per-type limit binds
    cap = MAX_PAYLOAD_BYTES[mtype]
    over = cap + 8
    raw.sendall(HEAD.pack(MAGIC, VERSION, int(mtype), 4, 1, over) + struct.pack("<Q", over))
    with pytest.raises(FrameError, match=f"at most {cap} bytes for {mtype.name}"):
        ch.recv()


def test_hello_frame_limit(pair):
    """A HELLO carries two int64 (id, number of parties): one announcing 128 bytes is
    refused whatever the channel's own limit."""
    ch, raw = pair
    ch.max_frame_bytes = 1 << 40
    raw.sendall(frame(mtype=int(MsgType.HELLO), code=4, nbytes=128, shape=(128,), body=b""))
    with pytest.raises(FrameError, match="too large; expected at most 64 bytes for HELLO, got 128"):
        ch.recv(MsgType.HELLO)


# -- mutation fuzzing of the decoder --------------------------------------------------
_FUZZ_ARRAYS = [
    np.arange(5, dtype=np.uint64) * np.uint64(0x0101010101010101),
    np.arange(-3, 3, dtype=np.int64).reshape(2, 3),
    np.zeros(0, dtype=np.float64),
    np.arange(12, dtype=np.uint8).reshape(2, 1, 3, 2),
    np.array([0.5, -1.0, np.pi]),
]


def _mutations(rng, data: bytes, count: int):
    """(kind, mutated bytes): byte replacements and bit flips (half of them in the header
    and shape), truncations, appended bytes, inserted and deleted bytes."""
    head = 16 + 8 * data[7]
    for _ in range(count):
        kind = rng.choice(["replace", "flip", "truncate", "extend", "insert", "delete"])
        b = bytearray(data)
        if kind in ("replace", "flip"):
            pos = int(rng.integers(0, head)) if rng.random() < 0.5 or len(b) == head else int(rng.integers(head, len(b)))
            if kind == "replace":
                b[pos] = (b[pos] + int(rng.integers(1, 256))) % 256
            else:
                b[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == "truncate":
            del b[int(rng.integers(0, len(b))):]
        elif kind == "extend":
            b += bytes(rng.integers(0, 256, int(rng.integers(1, 24)), dtype=np.uint8))
        elif kind == "insert":
            pos = int(rng.integers(0, len(b) + 1))
            b[pos:pos] = bytes([int(rng.integers(0, 256))])
        else:
            del b[int(rng.integers(0, len(b)))]
        yield kind, bytes(b)


def test_fuzz_mutated_frames_decode_exactly_or_raise_frame_error():
    """Issue 12 (13): every mutated frame is either decoded faithfully (re-encoding the
    result gives back exactly the bytes read, and an unchanged frame gives back the
    original array) or raises FrameError; never another exception. Frames carry no
    integrity of their own (TLS gives it), so a changed payload byte is a valid frame."""
    rng = np.random.default_rng(20261203)  # public test data: which bytes to mutate
    seen = {"rejected": 0, "accepted": 0}
    for arr in _FUZZ_ARRAYS:
        data = encode_frame(MsgType.OPEN, arr)
        got = decode_frame(data, MsgType.OPEN, 1 << 20)
        assert got.dtype == arr.dtype and got.shape == arr.shape and got.tobytes() == arr.tobytes()
        for kind, mutated in _mutations(rng, data, 1000):
            try:
                out = decode_frame(mutated, MsgType.OPEN, 1 << 20)
            except FrameError:
                seen["rejected"] += 1
                # Structural damage is always caught: a shorter or longer byte string.
                continue
            seen["accepted"] += 1
            assert kind not in ("truncate", "extend"), kind
            assert encode_frame(MsgType.OPEN, out) == mutated, kind
            if mutated == data:
                assert out.dtype == arr.dtype and out.tobytes() == arr.tobytes()
            # Changes in magic, version or type are never accepted.
            assert mutated[:6] == data[:6], kind
    assert seen["rejected"] > 1000 and seen["accepted"] > 100, seen


def test_fuzz_channel_agrees_with_decoder():
    """The socket path makes the same decisions as decode_frame on mutated frames: the
    same array, FrameError, or (a truncated frame followed by the end of the stream)
    PeerClosedError; a frame followed by extra bytes is read without them."""
    rng = np.random.default_rng(7)  # public test data
    for arr in _FUZZ_ARRAYS:
        data = encode_frame(MsgType.OPEN, arr)
        for kind, mutated in _mutations(rng, data, 60):
            dec = FrameDecoder(MsgType.OPEN, 1 << 20)
            try:
                dec.feed(mutated)  # stops at the end of the frame, as the channel does
                want = dec.array() if dec.done else "truncated"
            except FrameError as err:
                want = err
            a, b = socket.socketpair()
            ch = Channel(a, "peer", timeout=5.0, max_frame_bytes=1 << 20)
            b.sendall(mutated)
            b.shutdown(socket.SHUT_WR)
            try:
                got = ch.recv(MsgType.OPEN)
            except (FrameError, PeerClosedError) as err:
                got = err
            finally:
                ch.close()
                b.close()
            if isinstance(want, np.ndarray):
                assert isinstance(got, np.ndarray), (kind, got)
                assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
            elif want == "truncated":
                assert isinstance(got, PeerClosedError), (kind, got)
            else:
                assert isinstance(got, FrameError), (kind, got)


def test_decoder_takes_bytes_in_any_pieces():
    arr = np.arange(70000, dtype=np.uint64)
    data = encode_frame(MsgType.SUM, arr)
    dec = FrameDecoder(MsgType.SUM)
    pos = 0
    for size in [1, 3, 12, 5, 100, 7000, 1 << 17]:
        pos += dec.feed(data[pos:pos + size])
    while not dec.done:
        pos += dec.feed(data[pos:pos + 99999])
    assert pos == len(data)
    np.testing.assert_array_equal(dec.array(), arr)


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


def _listener():
    sock = socket.create_server(("127.0.0.1", 0))
    return sock, {0: sock.getsockname(), 1: ("127.0.0.1", 0)}


def test_party_rejects_stranger_hello():
    listener, addresses = _listener()
    seen = {}

    def stranger():
        c = Channel(socket.create_connection(addresses[0]), "party 0", timeout=5.0)
        c.send(MsgType.HELLO, np.array([7, 2], dtype=np.int64))  # id 7 is not a participant
        try:
            c.recv()  # party 0 closes the connection once it has refused the HELLO
        except PeerClosedError:
            seen["closed"] = True
        c.close()

    th = threading.Thread(target=stranger)
    th.start()
    with pytest.raises(FrameError, match="unexpected HELLO"):
        Party(0, addresses, timeout=1.0, connect_timeout=3.0, listener=listener)
    th.join()
    assert seen == {"closed": True}


def test_party_missing_peer_times_out():
    listener, addresses = _listener()
    t0 = time.monotonic()
    with pytest.raises(PeerTimeoutError, match="did not connect in time"):
        Party(0, addresses, timeout=1.0, connect_timeout=0.5, listener=listener)
    assert time.monotonic() - t0 < 5.0  # the deadline is the behaviour under test (0.5 s; wide margin)


def test_frame_error_is_a_value_error():
    # Malformed input raises a ValueError subclass everywhere in pyppml; a frame error is
    # also a connection error (the channel is closed).
    assert issubclass(FrameError, ValueError) and issubclass(FrameError, ConnectionError)
