"""SecAgg / SecAgg+: exact sums under dropouts at every step, uniform server view,
and rejection of bad, replayed and forged messages."""

import hashlib
import itertools

import numpy as np
import pytest

from pyppml import ParameterError, fl
from pyppml.fl.common.messages import SERVER, Kind, Message, ids_array, pack_ids
from pyppml.fl.secagg.client import check_payload

N, DIM, T = 13, 257, 9  # up to 4 = N - T clients may drop; T is the signed-round minimum for 13 clients


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


def _round(p, updates_q, tamper=None, verify=None, identity=None, keep=None):
    """Drive server and clients by hand; ``tamper(step, i, msg) -> msg`` (step k >= 0:
    client i's reply at step k, -k - 1: the server's message to it). Steps: advertise,
    shares, masked, unmask; with identity keys advertise, shares, masked, check, unmask.
    ``keep``: a dict that receives the clients (for tests that look inside them)."""
    server = fl.SecAggServer(p, verify_keys=verify)
    clients = {i: fl.SecAggClient(i, p, identity and identity[i], verify) for i in range(p.n_clients)}
    if keep is not None:
        keep.update(clients)
    tamper = tamper or (lambda s, i, m: m)
    inbox = {i: server.start() for i in clients}
    acts = [lambda c, m: c.advertise(m), lambda c, m: c.share_keys(m),
            lambda c, m: c.masked_input(m, updates_q[c.index])]
    if verify is not None:
        acts.append(lambda c, m: c.check(m))
    acts.append(lambda c, m: c.unmask(m))
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
        inbox = server.advance() if k < len(acts) - 1 else {}
    return server, server.finish()


def _quantized(p, seed=0):
    q = fl.Quantizer(1.0, p.n_clients, p.mod_bits)
    ups = _updates(seed, p.n_clients, p.dim)
    return q, ups, [q.encode(u) for u in ups]


def test_wrong_length_masked_input_rejects_client():
    p = fl.SecAggParams(6, 16, 4)
    q, ups, uq = _quantized(p)

    def tamper(step, i, m):  # a well-formed message whose masked input lacks a word
        if (step, i) != (2, 3):
            return m
        msg = Message.from_bytes(m, Kind.MASKED)
        return Message(msg.kind, msg.sender, msg.round, msg.session, (msg.fields[0][:-4],)).to_bytes()

    server, total = _round(p, uq, tamper)
    assert 3 in server.rejected and "masked input has the wrong length" in server.rejected[3]
    assert np.abs(q.decode(total) - np.sum([ups[i] for i in range(6) if i != 3], axis=0)).max() < 1e-5


def test_unmask_shares_outside_the_field_reject_the_client():
    # A share >= 2^61 - 1 passed receive() and made finish() raise a core ParameterError
    # (fix review): it is now a ProtocolError that rejects the client at once.
    from pyppml.fl.common.messages import Kind, Message

    p = fl.SecAggParams(6, 16, 4)
    q, ups, uq = _quantized(p)

    def tamper(step, i, m):
        if (step, i) != (3, 2):
            return m
        msg = Message.from_bytes(m, Kind.UNMASK)
        shares = bytearray(msg.fields[1])
        shares[:8] = (2**64 - 1).to_bytes(8, "little")
        return Message(msg.kind, msg.sender, msg.round, msg.session,
                       (msg.fields[0], bytes(shares), *msg.fields[2:])).to_bytes()

    server, total = _round(p, uq, tamper)
    assert 2 in server.rejected and "field elements" in server.rejected[2]
    assert np.abs(q.decode(total) - np.sum(ups, axis=0)).max() < 1e-5  # client 2's input still counts


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

    p = fl.SecAggParams(6, 16, signed=True)
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
    with pytest.raises(fl.ProtocolError, match="check does not match"):
        Message.from_bytes(m + b"x", Kind.MASKED)
    body = m[:-8] + b"x"  # a byte after the fields, under a valid check
    with pytest.raises(fl.ProtocolError, match="trailing"):
        Message.from_bytes(body + hashlib.sha256(body).digest()[:8], Kind.MASKED)
    with pytest.raises(fl.ProtocolError, match="wrong kind"):
        Message.from_bytes(m, Kind.UNMASK)


# -- consistency check (rounds with identity keys) --------------------------------------

def _identities(n):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    ident = {i: Ed25519PrivateKey.generate() for i in range(n)}
    return ident, {i: k.public_key() for i, k in ident.items()}


def _to_check(p, ident, verify, seed=0):
    """An honest server and signed clients through the masked-input step; returns the
    server, the clients and the server's CHECK_REQ messages."""
    q, ups, uq = _quantized(p, seed)
    server = fl.SecAggServer(p, verify_keys=verify)
    clients = {i: fl.SecAggClient(i, p, ident[i], verify) for i in range(p.n_clients)}
    inbox = {i: server.start() for i in clients}
    for act in (lambda c, m: c.advertise(m), lambda c, m: c.share_keys(m),
                lambda c, m: c.masked_input(m, uq[c.index])):
        for i, m in inbox.items():
            server.receive(i, act(clients[i], m))
        inbox = server.advance()
    return server, clients, inbox


def _check_req(server, u3):
    return Message(Kind.CHECK_REQ, SERVER, server.round, server.session, (pack_ids(u3),)).to_bytes()


def _unmask_req(server, u3, sigs):
    """A (possibly malicious) server's UNMASK_REQ: U3 and the signatures ``{id: sig}``."""
    ids = sorted(sigs)
    return Message(Kind.UNMASK_REQ, SERVER, server.round, server.session,
                   (pack_ids(u3), pack_ids(ids), b"".join(sigs[i] for i in ids))).to_bytes()


def _sig(reply):
    return bytes(Message.from_bytes(reply, Kind.CHECK).fields[0])


def _sig_of(key, server, u3):
    return key.sign(check_payload(server.session, server.round, u3))


def _assert_aborted(client, server, u3, sigs):
    """The client revealed nothing and refuses even a well-formed request from now on."""
    assert client.held is None
    with pytest.raises(fl.ProtocolError, match="aborted"):
        client.unmask(_unmask_req(server, u3, sigs))


@pytest.mark.parametrize("n,dim,t", [(N, DIM, T), (80, 64, None)])
def test_signed_round_runs_the_check(n, dim, t):
    agg = fl.SecureAggregator(n, dim, threshold=t, signed=True)
    ups = _updates(6, n, dim)
    total = agg.run_round(ups)
    _check(agg, ups, total)
    assert len(agg.report.survivors) == n


def test_check_messages():
    """Every client signs U3; UNMASK_REQ carries that U3 and everyone's signatures."""
    p = fl.SecAggParams(7, 16, 5)
    ident, verify = _identities(7)
    q, ups, uq = _quantized(p, 7)
    seen = {}

    def spy(step, i, m):
        seen.setdefault(step, {})[i] = m
        return m

    server, total = _round(p, uq, spy, verify, ident)
    assert server.steps == (Kind.ADVERTISE, Kind.SHARES, Kind.MASKED, Kind.CHECK, Kind.UNMASK)
    assert server.survivors[Kind.CHECK] == set(range(7))
    assert np.abs(q.decode(total) - np.sum(ups, axis=0)).max() < 1e-5
    u3 = Message.from_bytes(seen[-4][0], Kind.CHECK_REQ).fields[0]
    req = Message.from_bytes(seen[-5][3], Kind.UNMASK_REQ, checked=True)
    assert bytes(req.fields[0]) == bytes(u3) == pack_ids(range(7))
    assert bytes(req.fields[1]) == pack_ids(range(7)) and len(req.fields[2]) == 7 * 64


@pytest.mark.parametrize("signed", [False, True])
def test_third_drop_at_check_step(signed):
    agg = fl.SecureAggregator(N, DIM, threshold=T, signed=signed)
    ups = _updates(8)
    if not signed:  # no such step without identity keys
        with pytest.raises(ParameterError, match="unknown step"):
            agg.run_round(ups, dropouts={"check": {0}})
        return
    total = agg.run_round(ups, dropouts={"check": {0, 5, 7, 11}})
    _check(agg, ups, total)
    assert len(agg.report.survivors) == N  # their masked inputs arrived; self masks come from shares
    with pytest.raises(fl.TooFewSurvivorsError):
        agg.run_round(ups, dropouts={"check": {0, 1, 2, 3, 4}})


def test_drops_at_every_step_signed_secagg_plus():
    n = 80
    agg = fl.SecureAggregator(n, 64, signed=True)
    assert agg.params.neighbours < n - 1
    ups = _updates(9, n, 64)
    # Six dropouts in all: at most (k + 1) - t = 21 - 15 in any neighbourhood, whatever the graph.
    total = agg.run_round(ups, dropouts={"advertise": {3}, "shares": {10}, "masked": {0, 44}, "check": {1},
                                         "unmask": {5}})
    _check(agg, ups, total)
    assert 1 in agg.report.survivors and 0 not in agg.report.survivors


def test_split_survivor_sets_abort_before_unmasking():
    """A malicious server shows client 0 as alive to A = {0, 1, 2, 3} and as dropped to
    B = {4, 5, 6} (to get both its self-mask seed and its mask key); every attempt to
    pass either view off as agreed ends with a ProtocolError before any share leaves."""
    p = fl.SecAggParams(7, 16, 5)
    ident, verify = _identities(7)
    server, clients, reqs = _to_check(p, ident, verify)
    u3 = list(range(7))
    u3b = u3[1:]
    assert reqs[0] == _check_req(server, u3)
    A, B = [0, 1, 2, 3], [4, 5, 6]
    sigs = {i: _sig(clients[i].check(reqs[i])) for i in A}
    sigs_b = {i: _sig(clients[i].check(_check_req(server, u3b))) for i in B}
    with pytest.raises(fl.ProtocolError, match="no valid signature"):
        server.receive(4, Message(Kind.CHECK, 4, server.round, server.session, (sigs_b[4],)).to_bytes())
    # A's view has only four signatures (< t = 5) ...
    with pytest.raises(fl.ProtocolError, match="too few signatures"):
        clients[1].unmask(_unmask_req(server, u3, sigs))
    _assert_aborted(clients[1], server, u3, sigs)
    # ... and B's signatures are on another set
    with pytest.raises(fl.ProtocolError, match="invalid"):
        clients[2].unmask(_unmask_req(server, u3, sigs | sigs_b))
    _assert_aborted(clients[2], server, u3, sigs | sigs_b)
    # B is shown A's set (not the one it signed), or its own with too few signatures
    with pytest.raises(fl.ProtocolError, match="differs from the one this client signed"):
        clients[4].unmask(_unmask_req(server, u3, sigs))
    with pytest.raises(fl.ProtocolError, match="too few signatures"):
        clients[5].unmask(_unmask_req(server, u3b, sigs_b))
    for i in (1, 2, 4, 5):
        assert clients[i].held is None


def test_split_survivor_sets_with_colluding_clients():
    """Clients 5 and 6 collude with the server and sign both views; A = {0, 1, 2} is
    shown client 0 alive, B = {3, 4} dropped. A's view gets t = 5 signatures (so the
    server may get client 0's self-mask seed), B's only 4: B reveals nothing, and the
    colluders' 2 shares of client 0's mask key stay below t (2 t > n + colluders)."""
    p = fl.SecAggParams(7, 16, 5)
    ident, verify = _identities(7)
    server, clients, reqs = _to_check(p, ident, verify)
    u3, u3b = list(range(7)), list(range(1, 7))
    sigs = {i: _sig(clients[i].check(reqs[i])) for i in (0, 1, 2)}
    sigs_b = {i: _sig(clients[i].check(_check_req(server, u3b))) for i in (3, 4)}
    for c in (5, 6):
        sigs[c] = _sig_of(ident[c], server, u3)
        sigs_b[c] = _sig_of(ident[c], server, u3b)
    for i in (0, 1, 2):
        reply = Message.from_bytes(clients[i].unmask(_unmask_req(server, u3, sigs)), Kind.UNMASK)
        assert ids_array(reply.fields[0], "test", 7).tolist() == u3  # self-mask seed shares only
        assert len(reply.fields[2]) == 0
    for i in (3, 4):
        with pytest.raises(fl.ProtocolError, match="too few signatures"):
            clients[i].unmask(_unmask_req(server, u3b, sigs_b))
        assert clients[i].held is None


def test_check_needs_2t_above_n_plus_colluders():
    """The documented bound is tight: with 3 colluders (< t = 5) but 2 t = n + 3, the
    split view gets t signatures on both sets, and the server t shares of both client 0's
    self-mask seed (from 0, 1 and the colluders) and its mask key (from 2, 3 and them)."""
    p = fl.SecAggParams(7, 16, 5)
    ident, verify = _identities(7)
    server, clients, reqs = _to_check(p, ident, verify)
    u3, u3b = list(range(7)), list(range(1, 7))
    sigs = {i: _sig(clients[i].check(reqs[i])) for i in (0, 1)}
    sigs_b = {i: _sig(clients[i].check(_check_req(server, u3b))) for i in (2, 3)}
    for c in (4, 5, 6):
        sigs[c] = _sig_of(ident[c], server, u3)
        sigs_b[c] = _sig_of(ident[c], server, u3b)
    seed_holders = [i for i in (0, 1) if 0 in ids_array(
        Message.from_bytes(clients[i].unmask(_unmask_req(server, u3, sigs)), Kind.UNMASK).fields[0], "t", 7)]
    key_holders = [i for i in (2, 3) if 0 in ids_array(
        Message.from_bytes(clients[i].unmask(_unmask_req(server, u3b, sigs_b)), Kind.UNMASK).fields[2], "t", 7)]
    assert len(seed_holders) + 3 >= p.threshold and len(key_holders) + 3 >= p.threshold


def _split_view_shares(p, shown_alive, shown_dropped, colluders, victim=0):
    """A malicious server shows ``shown_alive`` (the victim among them) every client
    alive and ``shown_dropped`` the victim dropped; the colluders sign both sets and hand
    over their shares. Returns how many shares of the victim's self-mask seed and of its
    mask key the server then holds (t of both unmask its update)."""
    ident, verify = _identities(p.n_clients)
    server, clients, _ = _to_check(p, ident, verify)
    everyone = list(range(p.n_clients))
    seed_shares = key_shares = len(colluders)
    for group, u3 in ((shown_alive, everyone), (shown_dropped, [i for i in everyone if i != victim])):
        sigs = {i: _sig(clients[i].check(_check_req(server, u3))) for i in group}
        sigs |= {c: _sig_of(ident[c], server, u3) for c in colluders}
        for i in group:
            try:
                reply = Message.from_bytes(clients[i].unmask(_unmask_req(server, u3, sigs)), Kind.UNMASK)
            except fl.ProtocolError:
                continue
            seed_shares += victim in ids_array(reply.fields[0], "test", p.n_clients)
            key_shares += victim in ids_array(reply.fields[2], "test", p.n_clients)
    return seed_shares, key_shares


def test_signed_default_threshold_withstands_split_views_with_a_colluder():
    """Review finding 1: at the old default t = floor((k + 1) / 2) + 1 = 3 of 5, a signed
    round fell to one colluding client (split survivor views: t shares of both of client
    0's secrets). The signed default, signed_threshold(k) = 4 here, withstands it for
    every split of the other honest clients; the old threshold, now only reachable with
    insecure_threshold, still falls."""
    p = fl.SecAggParams(5, 8, signed=True)
    assert p.threshold == 4
    others = [1, 2, 3]
    for r in range(len(others) + 1):
        for rest in itertools.combinations(others, r):
            seed, key = _split_view_shares(p, [0, *rest], [i for i in others if i not in rest], colluders=[4])
            assert seed < p.threshold or key < p.threshold, (rest, seed, key)
    weak = fl.SecAggParams(5, 8, threshold=3, signed=True, insecure_threshold=True)
    assert min(_split_view_shares(weak, [0, 1], [2, 3], colluders=[4])) >= weak.threshold


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 8, 11, 12, 20, 30, 63])
def test_signed_default_threshold_tolerates_a_third_of_each_neighbourhood(k):
    """The signed default t satisfies the code's bound 2 t > (k + 1) + c for
    c = floor((k + 1) / 3) colluders per neighbourhood, leaves room for dropouts from
    k + 1 = 4 on, and is the least such t; unsigned rounds keep the honest majority."""
    m = k + 1
    t = fl.SecAggParams(m, 4, neighbours=k, signed=True).threshold
    assert 2 * t > m + m // 3 >= 2 * (t - 1)
    assert t < m or m <= 3
    assert fl.SecAggParams(m, 4, neighbours=k).threshold == m // 2 + 1


def test_threshold_below_the_floor_needs_the_explicit_opt_in():
    """Review finding 4: every entry point refuses a threshold below the honest majority
    (and, with identity keys, below the signed-round minimum) unless
    insecure_threshold=True. Below the honest majority a signed round falls with no
    colluder at all: t = 3 of 6, holders split 3 / 3."""
    from pyppml.fl.dp_fedavg import DPFedAvg

    with pytest.raises(ParameterError, match="threshold is below the honest majority; expected 6 <= threshold"):
        fl.SecAggParams(10, 4, threshold=1)
    with pytest.raises(ParameterError, match="threshold is below the signed-round minimum"):
        fl.SecAggParams(6, 4, threshold=4, signed=True)
    for make in (lambda: fl.SecureAggregator(6, 4, threshold=3),
                 lambda: fl.SecureAggregator(6, 4, threshold=4, signed=True),
                 lambda: fl.run_loopback([np.zeros(4)] * 6, threshold=3),
                 lambda: DPFedAvg(6, 4, threshold=3, noise_multiplier=1.0)):
        with pytest.raises(ParameterError, match="threshold is below"):
            make()
    ident, verify = _identities(6)
    with pytest.raises(ParameterError, match="SecAggClient: threshold is below the signed-round minimum"):
        fl.SecAggClient(0, fl.SecAggParams(6, 4), ident[0], verify)
    weak = fl.SecAggParams(6, 4, threshold=3, signed=True, insecure_threshold=True)
    assert min(_split_view_shares(weak, [0, 1, 2], [3, 4, 5], colluders=[])) >= 3
    agg = fl.SecureAggregator(6, 4, threshold=3, signed=True, insecure_threshold=True)
    assert agg.run_round([np.full(4, 0.1)] * 6).round(4).tolist() == [0.6] * 4


def test_graph_seed_is_signed():
    """Review finding 5: the graph seed of START is in the signed advertised keys. A
    server that gives client 0 its own graph seed is caught: its own check of client
    0's keys fails, and a server that skips that check has client 0's neighbours refuse
    its keys."""
    p = fl.SecAggParams(5, 8, signed=True)
    ident, verify = _identities(5)
    server = fl.SecAggServer(p, verify_keys=verify)
    clients = {i: fl.SecAggClient(i, p, ident[i], verify) for i in range(5)}
    start = Message.from_bytes(server.start(), Kind.START)
    other = Message(Kind.START, SERVER, start.round, start.session, (bytes(32), start.fields[1])).to_bytes()
    adv = {i: clients[i].advertise(other if i == 0 else server.start()) for i in range(5)}
    for i in range(1, 5):
        server.receive(i, adv[i])
    with pytest.raises(fl.ProtocolError, match="no valid signature"):
        server.receive(0, adv[0])
    fields = Message.from_bytes(adv[0], Kind.ADVERTISE).fields  # a server that takes it anyway
    server.keys[0] = tuple(bytes(f) for f in fields)
    server.survivors[Kind.ADVERTISE].add(0)
    del server.rejected[0]
    keys = server.advance()
    with pytest.raises(fl.ProtocolError, match="keys of client 0 carry no valid signature"):
        clients[1].share_keys(keys[1])


def test_client_refuses_to_sign_a_bad_survivor_set():
    p = fl.SecAggParams(7, 16, 5)
    ident, verify = _identities(7)
    # a client shown a set without itself, or a set naming a client it got no shares from, refuses to sign
    server, clients, reqs = _to_check(p, ident, verify, seed=1)
    with pytest.raises(fl.ProtocolError, match="not listed"):
        clients[0].check(_check_req(server, range(1, 7)))
    with pytest.raises(fl.ProtocolError, match="aborted"):  # no second chance
        clients[0].check(reqs[0])
    with pytest.raises(fl.TooFewSurvivorsError):
        clients[1].check(_check_req(server, range(4)))
    with pytest.raises(fl.ProtocolError, match="duplicate|distinct|not sorted"):
        clients[2].check(Message(Kind.CHECK_REQ, SERVER, server.round, server.session,
                                 (np.array([0, 1, 2, 2, 3, 4], dtype="<u4").tobytes(),)).to_bytes())


def test_forged_missing_or_duplicate_signatures_abort():
    p = fl.SecAggParams(7, 16, 5)
    ident, verify = _identities(7)
    server, clients, reqs = _to_check(p, ident, verify)
    for i, m in reqs.items():
        server.receive(i, clients[i].check(m))
    honest = server.advance()
    req = Message.from_bytes(honest[0], Kind.UNMASK_REQ, checked=True)
    u3 = ids_array(req.fields[0], "test", 7).tolist()
    sigs = {j: bytes(req.fields[2][64 * n:64 * (n + 1)]) for n, j in enumerate(ids_array(req.fields[1], "test", 7))}
    assert sorted(sigs) == u3
    other_ident, _ = _identities(7)
    flipped = bytearray(sigs[3])
    flipped[10] ^= 1
    cases = {
        "invalid": [sigs | {3: bytes(flipped)},  # a corrupted signature
                    sigs | {3: other_ident[3].sign(check_payload(server.session, server.round, u3))},  # forged key
                    sigs | {3: ident[3].sign(check_payload(bytes(16), server.round, u3))},  # another session
                    sigs | {3: ident[3].sign(check_payload(server.session, server.round + 1, u3))}],  # round
        "too few": [{j: sigs[j] for j in u3[:4]}, {}],
    }
    k = 0
    for match, variants in cases.items():
        for bad in variants:
            with pytest.raises(fl.ProtocolError, match=match):
                clients[k].unmask(_unmask_req(server, u3, bad))
            assert clients[k].held is None
            k += 1
    # a duplicated signer (sorted, distinct ids are required)
    dup = Message(Kind.UNMASK_REQ, SERVER, server.round, server.session,
                  (pack_ids(u3), np.array(u3[:4] + [u3[3]], dtype="<u4").tobytes(),
                   b"".join(sigs[j] for j in u3[:4] + [u3[3]])))
    with pytest.raises(fl.ProtocolError, match="distinct"):
        clients[6].unmask(dup.to_bytes())
    # the unchecked request format (downgrade) is refused too
    server_b, clients_b, reqs_b = _to_check(p, ident, verify, seed=1)
    clients_b[0].check(reqs_b[0])
    plain = Message(Kind.UNMASK_REQ, SERVER, server_b.round, server_b.session, (pack_ids(range(7)),)).to_bytes()
    with pytest.raises(fl.ProtocolError, match="number of fields"):
        clients_b[0].unmask(plain)
    # the untampered request works
    server_c, clients_c, reqs_c = _to_check(p, ident, verify, seed=2)
    for i, m in reqs_c.items():
        server_c.receive(i, clients_c[i].check(m))
    for i, m in server_c.advance().items():
        server_c.receive(i, clients_c[i].unmask(m))
    q, ups, _ = _quantized(p, 2)
    assert np.abs(q.decode(server_c.finish()) - np.sum(ups, axis=0)).max() < 1e-5


def test_secagg_plus_needs_signatures_from_each_share_holder_neighbourhood():
    """Ring of 20, k = 4, t = 4: t signatures from the client's own closed neighbourhood
    are not enough; those of every neighbour's neighbourhood are needed too."""
    p = fl.SecAggParams(20, 8, threshold=4, neighbours=4)
    ident, verify = _identities(20)
    server, clients, reqs = _to_check(p, ident, verify)
    for i, m in reqs.items():
        server.receive(i, clients[i].check(m))
    out = server.advance()
    req = Message.from_bytes(out[0], Kind.UNMASK_REQ, checked=True)
    signers = ids_array(req.fields[1], "test", 20).tolist()
    sigs = {j: bytes(req.fields[2][64 * n:64 * (n + 1)]) for n, j in enumerate(signers)}
    own = set(server.closed_neighbourhood(0))
    two_hop = set().union(*(server.closed_neighbourhood(j) for j in own))
    assert set(signers) == two_hop and len(two_hop) == 9  # only the signatures client 0 needs
    u3 = list(range(20))
    far = {j: _sig_of(ident[j], server, u3) for j in range(20) if j not in two_hop}
    assert len(far) >= p.threshold
    with pytest.raises(fl.ProtocolError, match="holders of client 0's shares"):
        clients[0].unmask(_unmask_req(server, u3, far))
    # neighbours of 0 given t or more signatures from their own closed neighbourhood
    # only: short of t for a client they hold shares of, on the far side
    for i in sorted(own - {0}):
        mine = set(server.closed_neighbourhood(i))
        with pytest.raises(fl.ProtocolError, match="too few signatures") as err:
            clients[i].unmask(_unmask_req(server, u3, {j: sigs[j] for j in mine}))
        assert f"client {i}'s" not in str(err.value)
    # the honest server's request for another client passes
    far_client = next(i for i in range(20) if i not in two_hop)
    server.receive(far_client, clients[far_client].unmask(out[far_client]))


def test_unsigned_round_has_no_check():
    p = fl.SecAggParams(5, 8, 3)
    _, _, uq = _quantized(p)
    kinds = []

    def spy(step, i, m):
        if i == 0:
            kinds.append(m[4])  # the kind byte after the magic
        return m

    server, _ = _round(p, uq, spy)
    assert server.steps == (Kind.ADVERTISE, Kind.SHARES, Kind.MASKED, Kind.UNMASK)
    assert Kind.CHECK not in server.survivors
    assert int(Kind.CHECK_REQ) not in kinds and int(Kind.CHECK) not in kinds
    with pytest.raises(fl.ProtocolError, match="without identity keys"):
        fl.SecAggClient(0, p).check(b"")
    with pytest.raises(ValueError, match="identity_key"):
        fl.SecAggClient(0, p, None, _identities(5)[1])


class _RecordingServer(fl.SecAggServer):
    """The server, recording each client's masked input as it arrives."""

    last = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.masked_seen = {}
        _RecordingServer.last = self

    def _take_masked(self, i, msg, api):
        # the update's words; the check words after them are masked zeros
        self.masked_seen[i] = np.frombuffer(msg.fields[0], dtype=self.params.dtype)[:self.params.dim].copy()
        super()._take_masked(i, msg, api)


def _server_view_after_unmasking(server):
    """Each survivor's masked input minus every mask the server can remove: its self mask
    (seed reconstructed from the survivors' shares) and its pairwise masks with the
    dropped clients (their mask keys reconstructed). What is left for survivor i is
    x_i plus its pairwise masks with the other survivors."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from pyppml.fl.common import masks
    from pyppml.fl.secagg.client import MASK_INFO

    p = server.params
    alive = server.survivors[Kind.MASKED]
    dropped = server.survivors[Kind.SHARES] - alive
    b_shares, s_shares = server._collect(0), server._collect(1)
    keys = {j: X25519PrivateKey.from_private_bytes(server._reconstruct(s_shares[j], j, "mask key")) for j in dropped}
    view = {}
    for i in sorted(alive):
        y = server.masked_seen[i] - masks.expand_mask(server._reconstruct(b_shares[i], i, "seed"), p.dim, p.dtype)
        for j in sorted(dropped & server.closed_neighbourhood(i)):
            m = masks.expand_mask(masks.agree(keys[j], server.keys[i][1], MASK_INFO + server.session), p.dim, p.dtype)
            y = y - m if i < j else y + m  # i added +m if i < j
        view[i] = y
    return view


def _uniformity_pvalues(view):
    """Chi-square p-value, per survivor, of its residual words bucketed by their top 6
    bits (64 buckets, ~64 words each at dim 4096)."""
    from scipy import stats

    return {i: stats.chisquare(np.bincount((y >> np.uint32(26)).astype(np.int64), minlength=64)).pvalue
            for i, y in view.items()}


def _round_after_unmasking(monkeypatch, n, dim, neighbours, dropped):
    from pyppml.fl.secagg import simulator

    monkeypatch.setattr(simulator, "SecAggServer", _RecordingServer)
    agg = fl.SecureAggregator(n, dim, neighbours=neighbours)
    # Two very different updates: +clip everywhere for even clients, -clip for odd ones.
    ups = [np.full(dim, 1.0 if i % 2 == 0 else -1.0) for i in range(n)]
    total = agg.run_round(ups, dropouts={"masked": dropped})
    assert np.allclose(total, np.sum([ups[i] for i in agg.report.survivors], axis=0), atol=1e-6)
    return _server_view_after_unmasking(_RecordingServer.last)


@pytest.mark.parametrize("n,neighbours", [(6, None), (10, 4)])
def test_server_view_after_unmasking_is_uniform(monkeypatch, n, neighbours):
    """After the server removes every mask it is entitled to (survivors' self masks, the
    pairwise masks with dropped clients), what remains of each survivor's input is still
    uniform mod 2^32 whatever the update (chi-square per survivor, false-failure rate
    1e-6 each): the survivors' pairwise masks hide it. SecAgg and SecAgg+ (k = 4)."""
    view = _round_after_unmasking(monkeypatch, n, 4096, neighbours, dropped={1, 2})
    assert len(view) == n - 2
    for i, pv in _uniformity_pvalues(view).items():
        assert pv > 1e-6, (i, pv)


def test_server_view_test_detects_missing_pairwise_masks(monkeypatch):
    """The test above has power: with the pairwise masks generated as zero (the masks
    removed, sums still right), the same statistic rejects uniformity for every survivor
    (its residual is its quantized update)."""
    from pyppml.fl.common import masks
    from pyppml.fl.secagg import client as secagg_client, server as secagg_server
    from pyppml.fl.secagg.client import MASK_INFO

    pairwise = set()
    agree, expand = masks.agree, masks.expand_mask

    def agree_spy(sk, peer, info):
        key = agree(sk, peer, info)
        if info.startswith(MASK_INFO):
            pairwise.add(key)
        return key

    def expand_zero(seed, dim, dtype):
        return np.zeros(dim, dtype=dtype) if seed in pairwise else expand(seed, dim, dtype)

    for mod in (masks, secagg_client.masks, secagg_server.masks):
        monkeypatch.setattr(mod, "agree", agree_spy)
        monkeypatch.setattr(mod, "expand_mask", expand_zero)
    view = _round_after_unmasking(monkeypatch, 6, 4096, None, dropped={1, 2})
    assert all(pv < 1e-6 for pv in _uniformity_pvalues(view).values())


def _seeds_known_to(server) -> dict[int, bytes]:
    """The self-mask seeds the server reconstructs from the shares it was sent."""
    return {i: server._reconstruct(sh, i, "seed") for i, sh in server._collect(0).items()}


def test_self_mask_seeds_are_fresh_and_distinct():
    """Review (mutation M04: a constant self-mask seed left every test green). The seeds
    the server reconstructs, over two rounds of six clients, are twelve distinct values
    and none is the all-zero default; each matches the commitment its client sent.
    Deterministic: two independent 256-bit seeds collide with probability 2^-256."""
    from pyppml.fl.secagg.client import commitment

    p = fl.SecAggParams(6, 16, 4)
    seeds = []
    for seed in (0, 1):
        _, _, uq = _quantized(p, seed)
        server, _ = _round(p, uq)
        known = _seeds_known_to(server)
        assert len(known) == 6
        assert all(commitment(server.session, b) == server._commit[i] for i, b in known.items())
        seeds += known.values()
    assert len(set(seeds)) == 12 and bytes(32) not in seeds


def test_straggler_is_still_hidden_by_its_self_mask():
    """The self mask is what protects a client whose masked input reaches the server but
    who is then counted as dropped (a straggler; Bonawitz et al. section 4): the server
    reconstructs its mask key and removes every pairwise mask. What is left, x_v + its
    self mask, must still be uniform (chi-square on the top 6 bits, false-failure rate
    1e-6), and its self mask must not be the expansion of any seed the server holds (the
    survivors' seeds it reconstructed) or of the zero seed. The test, which may look
    inside the client, checks that its own unmasking is right: removing the client's
    real seed gives x_v exactly. With a constant seed (mutation M04) the survivors'
    seeds equal the straggler's and the server reads x_v."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from scipy import stats

    from pyppml.fl.common import masks
    from pyppml.fl.secagg.client import MASK_INFO

    p, v = fl.SecAggParams(6, 4096, 4), 2
    q, ups, uq = _quantized(p, 5)
    late, clients = {}, {}

    def straggle(step, i, m):  # v's masked input is recorded, then the round goes on without it
        if (step, i) == (2, v):
            late["y"] = np.frombuffer(Message.from_bytes(m, Kind.MASKED).fields[0], dtype=p.dtype)[:p.dim].copy()
            return m[:-4]
        return m

    server, total = _round(p, uq, straggle, keep=clients)
    alive = server.survivors[Kind.MASKED]
    assert v not in alive and v in server.survivors[Kind.SHARES]
    assert np.abs(q.decode(total) - np.sum([ups[i] for i in sorted(alive)], axis=0)).max() < 1e-5
    key = X25519PrivateKey.from_private_bytes(server._reconstruct(server._collect(1)[v], v, "mask key"))
    y = late["y"]
    for j in sorted((server.survivors[Kind.SHARES] & server.closed_neighbourhood(v)) - {v}):
        m = masks.expand_mask(masks.agree(key, server.keys[j][1], MASK_INFO + server.session), p.dim, p.dtype)
        y = y - m if v < j else y + m  # v added +m if v < j
    self_mask = y - uq[v]
    assert np.array_equal(self_mask, masks.expand_mask(clients[v]._seed, p.dim, p.dtype))  # the unmasking is right
    assert stats.chisquare(np.bincount((y >> np.uint32(26)).astype(np.int64), minlength=64)).pvalue > 1e-6
    for seed in [*_seeds_known_to(server).values(), bytes(32)]:
        assert not np.array_equal(self_mask, masks.expand_mask(seed, p.dim, p.dtype))


# -- review rev6: integrity, unknown ids, low-order keys --------------------------------

def _rewrite(m, kind, edit):
    """``m`` re-serialized with ``edit(fields) -> fields``: a valid check trailer, as an
    attacker who rewrites a message (not a transit error) leaves it."""
    msg = Message.from_bytes(m, kind)
    return Message(msg.kind, msg.sender, msg.round, msg.session, tuple(edit(list(msg.fields)))).to_bytes()


@pytest.mark.parametrize("mod_bits", [32, 24])
def test_mask_key_rewritten_in_an_unsigned_round_withholds_the_sum(mod_bits):
    """Review rev6 M1: one bit of client 1's mask key, in the KEYS message to client 0,
    rewritten with a valid check (what the trailer cannot see): client 0's mask with
    client 1 no longer cancels. The round used to return a wrong sum; the check words
    (ceil(64 / mod_bits) masked zeros after the update) now make finish refuse it."""
    p = fl.SecAggParams(5, 4, mod_bits=mod_bits)
    assert p.check_words == -(-64 // mod_bits) and p.masked_dim == 4 + p.check_words
    _, _, uq = _quantized(p)

    def flip_key(step, i, m):
        if (step, i) != (-2, 0):  # the server's KEYS message to client 0
            return m

        def edit(fields):
            blob = bytearray(fields[1])
            blob[64 + 32 + 5] ^= 0x10  # client 1's s_pk, one bit
            return [fields[0], bytes(blob)]
        return _rewrite(m, Kind.KEYS, edit)

    with pytest.raises(fl.ProtocolError, match="masks did not cancel"):
        _round(p, uq, flip_key)


def test_masked_input_flipped_in_transit_rejects_its_client():
    """Review rev6 M1: one bit of a masked input flipped on the wire used to change the
    sum silently; the check trailer now rejects the client and the sum over the others
    is right."""
    p = fl.SecAggParams(5, 4)
    q, ups, uq = _quantized(p)

    def flip(step, i, m):
        if (step, i) != (2, 2):
            return m
        b = bytearray(m)
        b[-12] ^= 0x08  # inside the masked vector
        return bytes(b)

    server, total = _round(p, uq, flip)
    assert "check does not match" in server.rejected[2]
    assert np.abs(q.decode(total) - np.sum([ups[i] for i in (0, 1, 3, 4)], axis=0)).max() < 1e-5


def _advertised(p):
    """A server and p.n_clients clients after every client's ADVERTISE."""
    server = fl.SecAggServer(p)
    start = server.start()
    clients = [fl.SecAggClient(i, p) for i in range(p.n_clients)]
    for i, c in enumerate(clients):
        server.receive(i, c.advertise(start))
    return server, start, clients


def test_client_id_outside_the_round_is_refused_and_the_round_goes_on():
    """Review rev6 L1: an ADVERTISE under id n_clients was accepted in unsigned rounds and
    advance() then failed the round with IndexError. It is refused (ProtocolError), not
    recorded, and advance() sends KEYS to the real clients."""
    p = fl.SecAggParams(5, 3)
    server, start, clients = _advertised(p)
    stray = fl.SecAggClient(4, p).advertise(start)
    for bad in (5, 1000, -1):
        with pytest.raises(fl.ProtocolError, match="client is out of range"):
            server.receive(bad, stray)
    assert server.rejected == {} and server.survivors[Kind.ADVERTISE] == set(range(5))
    assert sorted(server.advance()) == list(range(5))


@pytest.mark.parametrize("which", [0, 1])
def test_low_order_key_rejects_only_its_client(which):
    """Review rev6 L4: a client advertising the all-zero X25519 key (c_pk, or s_pk) made
    every honest neighbour's key agreement fail and ended the round for all. The server
    rejects it at ADVERTISE, naming the client and the low-order point, and the round
    sums the others."""
    p = fl.SecAggParams(5, 3)
    q, ups, uq = _quantized(p)

    def zero_key(step, i, m):
        if (step, i) != (0, 4):
            return m
        return _rewrite(m, Kind.ADVERTISE, lambda f: [bytes(32) if k == which else f[k] for k in range(3)])

    server, total = _round(p, uq, zero_key)
    assert sorted(server.rejected) == [4]
    assert "client 4" in server.rejected[4] and "low-order point" in server.rejected[4]
    assert np.abs(q.decode(total) - np.sum(ups[:4], axis=0)).max() < 1e-5


def test_client_treats_a_low_order_neighbour_as_dropped():
    """Review rev6 L4: a KEYS message carrying a low-order key (from a server that does not
    reject it) no longer aborts the client: that neighbour gets no share and no mask."""
    p = fl.SecAggParams(5, 3)
    server, start, clients = _advertised(p)
    keys = server.advance()[0]

    def edit(fields):
        blob = bytearray(fields[1])
        blob[64 * 4:64 * 4 + 32] = bytes(32)  # client 4's c_pk
        return [fields[0], bytes(blob)]

    shares = Message.from_bytes(clients[0].share_keys(_rewrite(keys, Kind.KEYS, edit)), Kind.SHARES)
    assert clients[0].low_order == [4] and 4 not in clients[0].peer_keys
    assert ids_array(shares.fields[0], "test", 5).tolist() == [1, 2, 3]


def test_key_agreement_with_a_low_order_point_names_it():
    from pyppml.fl.common import masks

    sk, _ = masks.new_keypair()
    for pk in (bytes(32), bytes([1]) + bytes(31), ((1 << 255) - 20).to_bytes(32, "little")):  # 0, 1, p - 1
        assert masks.is_low_order(pk)
        with pytest.raises(fl.ProtocolError, match="low-order point") as err:
            masks.agree(sk, pk, b"")
        assert not str(err.value).rstrip().endswith("got")
    assert not masks.is_low_order(masks.new_keypair()[1])


def test_a_client_answers_one_unmask_request_per_round():
    """An unsigned round: a client that answered UNMASK_REQ refuses a second one (a
    server asking again with another survivor set would get both secrets of one client,
    its self-mask seed share and its pairwise key share). Mutation audit 2026-12-08: the
    lines that end the round at the client could be deleted with every test passing."""
    p = fl.SecAggParams(6, 16, 4)
    _, _, uq = _quantized(p)
    seen, clients = {}, {}

    def tamper(step, i, m):
        if step == -4:  # the server's UNMASK_REQ to client i
            seen[i] = m
        return m

    _round(p, uq, tamper, keep=clients)
    assert sorted(seen) == list(range(6))
    for i, req in seen.items():
        with pytest.raises(fl.ProtocolError):
            clients[i].unmask(req)


def test_masked_input_needs_shares_from_threshold_neighbours():
    """A client sends its masked input only when at least threshold neighbours hold its
    shares (mutation audit 2026-12-08: the check could go unnoticed)."""
    p = fl.SecAggParams(6, 16, 4)
    _, _, uq = _quantized(p)
    # Run to the shares step, then cut client 0's forward to threshold - 2 senders.
    server = fl.SecAggServer(p)
    cl = {i: fl.SecAggClient(i, p) for i in range(6)}
    inbox = {i: server.start() for i in cl}
    for i, m in inbox.items():
        server.receive(i, cl[i].advertise(m))
    inbox = server.advance()
    for i, m in inbox.items():
        server.receive(i, cl[i].share_keys(m))
    inbox = server.advance()
    fwd = Message.from_bytes(inbox[0], Kind.FORWARD)
    ids = ids_array(fwd.fields[0], "test", 6).tolist()
    keep = ids[:p.threshold - 2]
    blob = bytes(fwd.fields[1])
    width = len(blob) // len(ids)
    cut = b"".join(blob[width * ids.index(j):width * (ids.index(j) + 1)] for j in keep)
    short = Message(fwd.kind, fwd.sender, fwd.round, fwd.session, (pack_ids(keep), cut, *fwd.fields[2:])).to_bytes()
    with pytest.raises(fl.TooFewSurvivorsError, match="too few neighbours sent shares"):
        cl[0].masked_input(short, uq[0])
