"""SecAgg / SecAgg+: exact sums under dropouts at every step, uniform server view,
and rejection of bad, replayed and forged messages."""

import itertools

import numpy as np
import pytest

from pyppml import fl
from pyppml.fl.messages import Kind, Message

N, DIM, T = 12, 257, 8  # up to 4 = N/3 clients may drop


def _updates(seed=0, n=N, dim=DIM):
    return list(np.random.default_rng(seed).uniform(-1, 1, (n, dim)))


def _check(agg, ups, total):
    surv = agg.report.survivors
    exact = np.sum([ups[i] for i in surv], axis=0)
    assert np.abs(total - exact).max() <= len(surv) / agg.quantizer.scale + 1e-12


@pytest.mark.parametrize("step", ["advertise", "shares", "masked", "unmask"])
def test_third_drop_at_step(step):
    agg = fl.SecureAggregator(N, DIM, threshold=T)
    ups = _updates(1)
    total = agg.run_round(ups, dropouts={step: {0, 5, 7, 11}})
    _check(agg, ups, total)
    expect = N if step == "unmask" else N - 4
    assert len(agg.report.survivors) == expect


def test_drops_spread_over_steps():
    agg = fl.SecureAggregator(N, DIM, threshold=T, signed=True)
    ups = _updates(2)
    total = agg.run_round(ups, dropouts={"advertise": {1}, "shares": {2}, "masked": {3}, "unmask": {4}})
    _check(agg, ups, total)
    assert agg.report.survivors == [0] + list(range(4, N))


def test_sparse_graph_secagg_plus():
    n = 80
    agg = fl.SecureAggregator(n, 64)
    assert agg.params.neighbours < n - 1
    ups = _updates(3, n, 64)
    total = agg.run_round(ups, dropouts={"masked": set(range(0, n, 9)), "unmask": {1, 2}})
    _check(agg, ups, total)


def test_mod_bits_64_and_odd():
    for bits in (64, 24):
        agg = fl.SecureAggregator(6, 33, threshold=4, mod_bits=bits)
        ups = _updates(4, 6, 33)
        _check(agg, ups, agg.run_round(ups, dropouts={2}))


def test_too_few_survivors_raises():
    agg = fl.SecureAggregator(N, DIM, threshold=T)
    with pytest.raises(fl.TooFewSurvivorsError):
        agg.run_round(_updates(), dropouts={"masked": {0, 1, 2, 3, 4}})
    with pytest.raises(fl.TooFewSurvivorsError):
        agg.run_round(_updates(), dropouts={"unmask": {0, 1, 2, 3, 4}})


def test_bad_updates_rejected():
    agg = fl.SecureAggregator(4, 5, threshold=3)
    ups = _updates(0, 4, 5)
    with pytest.raises(ValueError, match="wrong shape"):
        agg.run_round(ups[:3] + [np.zeros(6)])
    ups[2] = ups[2].copy()
    ups[2][1] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        agg.run_round(ups)
    with pytest.raises(ValueError, match="wrong count"):
        agg.run_round(ups[:3])


def _round(p, updates_q, tamper=None, verify=None, identity=None):
    """Drive server and clients by hand; ``tamper(step, i, msg) -> msg``."""
    server = fl.SecAggServer(p, verify_keys=verify)
    clients = {i: fl.SecAggClient(i, p, identity and identity[i], verify) for i in range(p.n_clients)}
    tamper = tamper or (lambda s, i, m: m)
    inbox = {i: server.start() for i in clients}
    acts = [lambda c, m: c.advertise(m), lambda c, m: c.share_keys(m),
            lambda c, m: c.masked_input(m, updates_q[c.index]), lambda c, m: c.unmask(m)]
    for k, act in enumerate(acts):
        for i, m in inbox.items():
            try:
                reply = tamper(k, i, act(clients[i], tamper(-k - 1, i, m)))
            except fl.ProtocolError:
                continue
            try:
                server.receive(i, reply)
            except fl.ProtocolError:
                pass
        inbox = server.advance() if k < 3 else {}
    return server, server.finish()


def _quantized(p, seed=0):
    q = fl.Quantizer(1.0, p.n_clients, p.mod_bits)
    ups = _updates(seed, p.n_clients, p.dim)
    return q, ups, [q.encode(u) for u in ups]


def test_wrong_length_masked_input_rejects_client():
    p = fl.SecAggParams(6, 16, 4)
    q, ups, uq = _quantized(p)

    def tamper(step, i, m):
        return m[:-4] if (step, i) == (2, 3) else m

    server, total = _round(p, uq, tamper)
    assert 3 in server.rejected and "length" in server.rejected[3] or "truncated" in server.rejected[3]
    assert np.abs(q.decode(total) - np.sum([ups[i] for i in range(6) if i != 3], axis=0)).max() < 1e-5


def test_replayed_message_rejected():
    p = fl.SecAggParams(6, 16, 4)
    _, _, uq = _quantized(p)
    old = {}

    def record(step, i, m):
        if step >= 0:
            old[(step, i)] = m
        return m

    _round(p, uq, record)

    def replay(step, i, m):  # client 2 replays its last round's masked input
        return old[(2, 2)] if (step, i) == (2, 2) else m

    server, _ = _round(p, uq, replay)
    assert "replayed" in server.rejected[2]
    # the same message twice in one round
    server = fl.SecAggServer(p)
    c = fl.SecAggClient(0, p)
    m = c.advertise(server.start())
    server.receive(0, m)
    with pytest.raises(fl.ProtocolError, match="second message"):
        server.receive(0, m)


def test_client_refuses_old_round_and_reordering():
    p = fl.SecAggParams(4, 8, 3)
    c = fl.SecAggClient(0, p, last_round=5)
    with pytest.raises(fl.ProtocolError, match="old round"):
        c.advertise(fl.SecAggServer(p, round=5).start())
    c = fl.SecAggClient(0, p)
    s = fl.SecAggServer(p, round=1)
    with pytest.raises(fl.ProtocolError, match="out of order"):
        c.share_keys(s.start())
    with pytest.raises(fl.ProtocolError, match="other parameters"):
        c.advertise(fl.SecAggServer(fl.SecAggParams(4, 9, 3)).start())


def test_forged_keys_detected_with_signatures():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    p = fl.SecAggParams(6, 16, 4)
    _, _, uq = _quantized(p)
    ident = {i: Ed25519PrivateKey.generate() for i in range(6)}
    verify = {i: k.public_key() for i, k in ident.items()}

    def forge(step, i, m):  # the server (or a network attacker) swaps client 1's keys for its own
        if step == 0 and i == 1:
            msg = Message.from_bytes(m, Kind.ADVERTISE)
            fake = fl.SecAggClient(1, p).advertise(fl.SecAggServer(p).start())
            f = Message.from_bytes(fake, Kind.ADVERTISE)
            return Message(msg.kind, msg.sender, msg.round, msg.session, (f.fields[0], f.fields[1], msg.fields[2])
                           ).to_bytes()
        return m

    server, _ = _round(p, uq, forge, verify, ident)
    assert "signature" in server.rejected[1]


def test_forged_share_aborts_client():
    p = fl.SecAggParams(5, 8, 3)
    _, _, uq = _quantized(p)

    def flip(step, i, m):  # corrupt a forwarded ciphertext to client 0
        if step == -3 and i == 0:
            b = bytearray(m)
            b[-5] ^= 1
            return bytes(b)
        return m

    server, total = _round(p, uq, flip)
    assert 0 not in server.survivors[Kind.MASKED]


def test_bad_unmask_shares_never_give_a_wrong_sum():
    p = fl.SecAggParams(5, 8, 5)  # all five shares needed: a single bad one is used
    _, _, uq = _quantized(p)

    def corrupt(step, i, m):
        if step == 3 and i == 2:
            msg = Message.from_bytes(m, Kind.UNMASK)
            sb = bytearray(msg.fields[1])
            sb[0] ^= 0x10  # client 2's share of client 0's self-mask seed
            f = msg.fields
            return Message(msg.kind, msg.sender, msg.round, msg.session, (f[0], bytes(sb), f[2], f[3])).to_bytes()
        return m

    with pytest.raises(fl.ProtocolError, match="bad shares"):
        _round(p, uq, corrupt)


def test_masked_inputs_are_uniform():
    """The server view: each masked input is uniform whatever the update (zero vs
    constant updates), by a chi-square test on bytes with false-failure rate 1e-6."""
    from scipy import stats

    p = fl.SecAggParams(4, 4096, 3)
    for value in (0.0, 1.0):
        q = fl.Quantizer(1.0, 4, 32)
        uq = [q.encode(np.full(p.dim, value)) for _ in range(4)]
        seen = []

        def spy(step, i, m):
            if step == 2:
                seen.append(np.frombuffer(Message.from_bytes(m, Kind.MASKED).fields[0], dtype=np.uint8))
            return m

        _, total = _round(p, uq, spy)
        assert np.allclose(q.decode(total), 4 * value, atol=1e-6)
        for y in seen:
            counts = np.bincount(y, minlength=256)
            assert stats.chisquare(counts).pvalue > 1e-6
        # and masked inputs of different clients are unrelated
        assert not np.array_equal(seen[0], seen[1])


def test_graph_is_regular_and_symmetric():
    g = fl.NeighbourGraph(50, 8, bytes(range(32)))
    for i in range(50):
        nb = g.neighbours(i)
        assert len(nb) == 8 and i not in nb
        assert all(i in g.neighbours(j) for j in nb)


def test_message_framing_rejects_garbage():
    with pytest.raises(fl.ProtocolError):
        Message.from_bytes(b"\x00" * 40, Kind.MASKED)
    m = Message(Kind.MASKED, 1, 1, bytes(16), (b"abc",)).to_bytes()
    with pytest.raises(fl.ProtocolError, match="trailing"):
        Message.from_bytes(m + b"x", Kind.MASKED)
    with pytest.raises(fl.ProtocolError, match="wrong kind"):
        Message.from_bytes(m, Kind.UNMASK)
