"""A client pins what the server's Flower config may set (issue 12, defects 5 and 10):
the least noise multiplier, the largest clip, the client count its noise share is
computed for, and (CKKS under a collective key) the context. A config that weakens
them is refused before anything is uploaded: no tensors, the local model untouched."""

import hashlib

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from flwr.common import Code, FitIns, ndarrays_to_parameters  # noqa: E402

pytestmark = pytest.mark.flower


class _Spy(flwr.client.NumPyClient):
    def __init__(self):
        self.calls = 0

    def fit(self, parameters, config):
        self.calls += 1
        return [parameters[0] + 0.01], 1, {}


class _Mgr:
    def __init__(self, n):
        self.n = n

    def num_available(self):
        return len(self.all())

    def wait_for(self, *a, **k):
        return True

    def all(self):
        return {str(i): type("P", (), {"cid": str(i)})() for i in range(self.n)}


def _refused(res, what):
    assert res.status.code != Code.OK and what in res.status.message, res.status.message
    assert not res.parameters.tensors


def test_policy_checks():
    from pyppml.fl.flower import ClientPolicy

    pol = ClientPolicy(min_noise_multiplier=1.0, max_clip=1.0, min_clients=4)
    pol.check(1.0, 1.0, 4)
    pol.check(2.0, 0.5, 16)  # 2 sqrt(4 / 16) = 1: four honest shares still carry multiplier 1
    with pytest.raises(ValueError, match="clip is too large"):
        pol.check(1.0, 1.5, 4)
    with pytest.raises(ValueError, match="noise_multiplier is too small"):
        pol.check(0.9, 1.0, 4)
    with pytest.raises(ValueError, match="noise_multiplier is too small"):
        pol.check(1.0, 1.0, 5)  # each client's share sized for 5: four shares carry 1 * sqrt(4 / 5)
    with pytest.raises(ValueError, match="n_clients is too small"):
        pol.check(1.0, 1.0, 3)
    with pytest.raises(ValueError, match="noise_multiplier is too small"):
        pol.check(0.0, 1.0, 4)  # no DP at all
    pol.check(1.0, 1.0, 4, least_clients=4)
    with pytest.raises(ValueError, match=r"decrypts sums of too few clients; expected at least min\(min_clients, "
                                         r"n_clients\) = 4, got 3"):
        pol.check(1.0, 1.0, 4, least_clients=3)
    for bad in ({"min_noise_multiplier": -1.0}, {"max_clip": 0.0}, {"min_clients": 0},
                {"ckks_context_sha256": "abc"}):
        with pytest.raises(ValueError):
            ClientPolicy(**bad)


@pytest.mark.parametrize("server,what", [
    ({"noise_multiplier": 0.5}, "noise_multiplier is too small"),
    ({"clip": 4.0}, "clip is too large"),
    ({"n_clients": 16}, "noise_multiplier is too small"),  # noise share sized for 16, not 4
    # The server may unmask a sum of 3 survivors while the client counts on 4 noise shares
    # (fix review: a threshold of 6 of 10 released 0.76 of a pinned 1.0).
    ({"threshold": 3}, "decrypts sums of too few clients"),
])
def test_secagg_client_refuses_weakened_config_before_advertising(server, what):
    """SecAgg+: the client refuses at the first step (before advertising keys), and at
    every later step too (the server can change the config between steps)."""
    from pyppml.fl.flower import ClientPolicy, SecAggNumPyClient, SecAggStrategy

    args = {"noise_multiplier": 1.0, "clip": 1.0, "n_clients": 4} | server
    strategy = SecAggStrategy([np.zeros(8)], weighted=False, **args)
    ins = strategy.configure_fit(1, None, _Mgr(args["n_clients"]))
    spy = _Spy()
    client = SecAggNumPyClient(spy, policy=ClientPolicy(min_noise_multiplier=1.0, max_clip=1.0, min_clients=4))
    _refused(client.fit(ins[0][1]), what)
    # A config that passes at advertise and is weakened at the masked step is refused there.
    good = SecAggStrategy([np.zeros(8)], n_clients=4, threshold=4, noise_multiplier=1.0, weighted=False)
    ins = good.configure_fit(1, None, _Mgr(4))
    honest = SecAggNumPyClient(spy, policy=ClientPolicy(min_noise_multiplier=1.0, max_clip=1.0, min_clients=4))
    assert honest.fit(ins[0][1]).status.code == Code.OK
    cfg = dict(ins[0][1].config) | {"pyppml_step": "masked", "pyppml_noise": 0.1}
    _refused(honest.fit(FitIns(ins[0][1].parameters, cfg)), "noise_multiplier is too small")
    assert spy.calls == 0  # never trained, nothing masked


def _ckks(n=2, noise=1.0, clip=1.0):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pyppml.fl import CkksCommittee
    from pyppml.fl.flower import CkksStrategy

    keys = [Ed25519PrivateKey.generate() for _ in range(n)]
    com = CkksCommittee(members=1, poly_degree=8192, max_clients=16, client_keys=[k.public_key() for k in keys],
                        max_abs_value=4.0)
    strategy = CkksStrategy([np.zeros(8)], n_clients=n, committee=com, clip=clip, noise_multiplier=noise,
                            weighted=False)
    return com, keys, strategy


def test_ckks_client_refuses_weakened_config():
    from pyppml.fl.flower import ClientPolicy, SecAggNumPyClient

    com, keys, strategy = _ckks(noise=0.5)
    (_, fitins), _ = strategy.configure_fit(1, None, _Mgr(2))
    pin = hashlib.sha256(com.public_bytes()).hexdigest()
    spy = _Spy()
    client = SecAggNumPyClient(spy, policy=ClientPolicy(min_noise_multiplier=1.0, ckks_context_sha256=pin),
                               identity_key=keys[0])
    _refused(client.fit(fitins), "noise_multiplier is too small")
    assert spy.calls == 0
    ok = SecAggNumPyClient(spy, policy=ClientPolicy(min_noise_multiplier=0.5, min_clients=2, ckks_context_sha256=pin),
                           identity_key=keys[0])
    assert ok.fit(fitins).status.code == Code.OK


def test_ckks_client_pins_the_context(monkeypatch):
    """Defect 10 (Flower): the client encrypts only under the context whose hash it
    pinned; another context (e.g. a server-made key it could decrypt) or no pin at all
    is refused before the bytes are even parsed."""
    from pyppml.ckks import Context
    from pyppml.fl.flower import ClientPolicy, SecAggNumPyClient

    com, keys, strategy = _ckks()
    other, _, other_strategy = _ckks()
    pin = hashlib.sha256(com.public_bytes()).hexdigest()
    (_, fitins), _ = strategy.configure_fit(1, None, _Mgr(2))
    (_, evil), _ = other_strategy.configure_fit(1, None, _Mgr(2))
    evil.config["pyppml_key_id"] = fitins.config["pyppml_key_id"]
    parsed = []
    real = Context.from_bytes
    monkeypatch.setattr(Context, "from_bytes", classmethod(lambda cls, data, *a, **k: parsed.append(1) or
                                                           real.__func__(cls, data, *a, **k)))
    spy = _Spy()
    pinned = SecAggNumPyClient(spy, policy=ClientPolicy(ckks_context_sha256=pin), identity_key=keys[0])
    _refused(pinned.fit(evil), "not the pinned one")
    _refused(SecAggNumPyClient(spy, identity_key=keys[0]).fit(fitins), "not pinned")
    assert parsed == [] and spy.calls == 0
    assert pinned.fit(fitins).status.code == Code.OK


def test_mod_reads_policy_from_node_config():
    """The Mod takes the same policy from the node config."""
    import time

    from flwr.app import Context, Message, Metadata, RecordDict
    from flwr.compat.common import recorddict_compat as compat

    from pyppml.fl.flower import SecAggStrategy, pyppml_mod

    strategy = SecAggStrategy([np.zeros(8)], n_clients=4, threshold=3, noise_multiplier=0.5, weighted=False)
    ins = strategy.configure_fit(1, None, _Mgr(4))
    content = compat.fitins_to_recorddict(ins[0][1], True)
    meta = Metadata(run_id=1, message_id="m", src_node_id=0, dst_node_id=1, reply_to_message_id="", group_id="1",
                    created_at=time.time(), ttl=60.0, message_type="train")
    ctx = Context(run_id=1, node_id=1, node_config={"pyppml-min-noise-multiplier": 1.0, "pyppml-min-clients": 4},
                  state=RecordDict(), run_config={})
    out = pyppml_mod(Message(content, metadata=meta), ctx, lambda m, c: pytest.fail("the app must not run"))
    res = compat.recorddict_to_fitres(out.content, keep_input=True)
    _refused(res, "noise_multiplier is too small")


def test_onetime_rounds_checked_too():
    """The policy check runs in client_fit before the protocol-specific step, for the
    one-time CKKS mode as well (its config carries pyppml_n, clip and noise)."""
    from pyppml.fl.flower import ClientPolicy, ClientState, client_fit
    from pyppml.fl.flower.onetime import ONETIME_MODE

    state = ClientState()
    state.policy = ClientPolicy(min_noise_multiplier=1.0, min_clients=3)
    cfg = {"pyppml_mode": ONETIME_MODE, "pyppml_n": 12, "pyppml_noise": 1.0, "pyppml_clip": 1.0}
    res = client_fit(state, cfg, ndarrays_to_parameters([np.zeros(3)]), lambda g: pytest.fail("trained"))
    _refused(res, "noise_multiplier is too small")


@pytest.mark.parametrize("t, k", [(1, 2), (2, 9), (4, 4)], ids=["t1_k2", "t2_k9", "k4_below_complete_graph"])
def test_secagg_client_refuses_a_weak_threshold_or_graph(t, k):
    """Review: the Flower SecAgg+ client took threshold and neighbours from the server's
    config, so t = 1 (a share is the secret) or a tiny graph passed even under the strictest
    policy. It now refuses, before sending anything, below the honest-majority threshold
    or a graph sparser than the default."""
    from flwr.common import Code, ndarrays_to_parameters

    from pyppml.fl.flower.common import ClientState, client_fit
    from pyppml.fl.secagg.params import SecAggParams
    from pyppml.fl.secagg.server import SecAggServer

    n, dim = 10, 4
    srv = SecAggServer(SecAggParams(n, dim, threshold=t, neighbours=k, insecure_threshold=True), round=1)
    cfg = {"pyppml_mode": "secagg", "pyppml_step": "advertise", "pyppml_msg": srv.start(), "pyppml_index": 3,
           "pyppml_round": 1, "pyppml_clip": 1.0, "pyppml_noise": 5.0,
           "pyppml_params": np.array([n, dim, t, k], dtype=np.int64).tobytes()}
    res = client_fit(ClientState(), cfg, ndarrays_to_parameters([np.zeros(dim)]), lambda g: (g, 1))
    assert res.status.code != Code.OK and ("threshold" in res.status.message or "neighbours" in res.status.message)
    assert not res.parameters.tensors  # nothing sent


def _wire_params(n, dim=4, threshold=None):
    """The ``pyppml_params`` a SecAggStrategy sends for n clients (default t and k)."""
    from pyppml.fl.secagg.params import SecAggParams

    p = SecAggParams(n, dim)
    return np.array([n, dim, threshold or p.threshold, p.neighbours], dtype=np.int64).tobytes()


def _secagg_to_masked(state, config, n, rnd):
    """A SecAgg+ round of n clients (dim 4) up to the masked-input step: client 0 runs
    client_fit with ``config`` (plus the step and message), the others SecAggClient.
    Returns client 0's FORWARD message."""
    from pyppml.fl.flower import client_fit
    from pyppml.fl.secagg.client import SecAggClient
    from pyppml.fl.secagg.params import SecAggParams
    from pyppml.fl.secagg.server import SecAggServer

    p = SecAggParams(n, 4)
    server = SecAggServer(p, round=rnd)
    others = {j: SecAggClient(j, p, last_round=rnd - 1) for j in range(1, n)}
    start = server.start()
    inbox = {i: start for i in range(n)}
    for step, act in (("advertise", SecAggClient.advertise), ("shares", SecAggClient.share_keys)):
        res = client_fit(state, config | {"pyppml_step": step, "pyppml_msg": inbox[0]},
                         ndarrays_to_parameters([]), lambda g: pytest.fail("trained"))
        assert res.status.code == Code.OK, res.status.message
        server.receive(0, res.parameters.tensors[0])
        for j, c in others.items():
            server.receive(j, act(c, inbox[j]))
        inbox = server.advance()
    return inbox[0]


@pytest.mark.parametrize("change", [
    # the review's bypass: n and z changed together (t = 5: every sum still has the 5 the policy counts on)
    {"pyppml_params": _wire_params(5, threshold=5), "pyppml_noise": 1.0},
    {"pyppml_noise": 4.0},
    {"pyppml_clip": 0.5},
    {"pyppml_weighted": True, "pyppml_max_examples": 10},
], ids=["n_clients_and_noise", "noise", "clip", "weighting"])
def test_secagg_client_refuses_a_step_that_changes_the_advertised_settings(change):
    """Review finding 2: the policy was checked against each step's config, but the
    noise was split over the n_clients of the advertise step. A server advertising
    n = 20, z = 2 (2 sqrt(5 / 20) = 1: accepted) and sending n = 5, z = 1 at the masked
    step (also accepted on its own) had the client add z = 1 split over 20 shares: 5
    honest clients carried 0.5 < 1. Now the client fixes the settings at advertise and
    refuses, before training, a later step that changes any of them; the round ends."""
    from pyppml.fl.flower import ClientPolicy, ClientState, client_fit

    state = ClientState(policy=ClientPolicy(min_noise_multiplier=1.0, max_clip=1.0, min_clients=5))
    config = {"pyppml_mode": "secagg", "pyppml_index": 0, "pyppml_round": 1, "pyppml_params": _wire_params(20),
              "pyppml_clip": 1.0, "pyppml_noise": 2.0, "pyppml_weighted": False, "pyppml_max_examples": 0}
    state.policy.check(config["pyppml_noise"], config["pyppml_clip"], 20)
    changed = config | change
    state.policy.check(changed["pyppml_noise"], changed["pyppml_clip"], 5 if "pyppml_params" in change else 20)
    glob = ndarrays_to_parameters([np.zeros(4)])
    trained = []

    def train(g):
        trained.append(1)
        return [g[0] + 0.3], 1

    forward = _secagg_to_masked(state, config, 20, 1)
    masked = {"pyppml_step": "masked", "pyppml_msg": forward}
    _refused(client_fit(state, changed | masked, glob, train),
             f"{next(iter(change))} of the masked step differs from the advertise step's")
    _refused(client_fit(state, config | masked, glob, train), "without a round in progress")  # the round ended
    assert trained == []
    # The unchanged config goes through: the refusal above is the change's.
    forward = _secagg_to_masked(state, config | {"pyppml_round": 2}, 20, 2)
    assert client_fit(state, config | {"pyppml_step": "masked", "pyppml_msg": forward}, glob,
                      train).status.code == Code.OK
    assert trained == [1]


def test_client_refuses_rounds_beyond_max_rounds():
    """Review 2026-12-07: a client took part in any number of rounds, so a server that
    kept the global model fixed averaged the DP noise away (200 rounds: the sum to 0.08
    of one round's error). ClientPolicy(max_rounds=...) bounds the rounds it trains for;
    the refused round trains nothing and uploads nothing."""
    from pyppml.fl.flower import ClientPolicy, SecAggNumPyClient

    com, keys, strategy = _ckks(noise=0.5)
    pin = hashlib.sha256(com.public_bytes()).hexdigest()
    spy = _Spy()
    policy = ClientPolicy(min_noise_multiplier=0.5, min_clients=2, ckks_context_sha256=pin, max_rounds=2)
    client = SecAggNumPyClient(spy, policy=policy, identity_key=keys[0])
    for rnd in (1, 2):
        (_, fitins), _ = strategy.configure_fit(rnd, None, _Mgr(2))
        assert client.fit(fitins).status.code == Code.OK
    (_, fitins), _ = strategy.configure_fit(3, None, _Mgr(2))
    _refused(client.fit(fitins), "rounds exceed the client's budget; expected at most max_rounds = 2")
    assert spy.calls == 2
    assert ClientPolicy.from_node_config({"pyppml-max-rounds": 7}).max_rounds == 7
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_rounds is out of range"):
            ClientPolicy(max_rounds=bad)


@pytest.mark.parametrize("value", [None, float("inf"), "10", 0], ids=["missing", "inf", "str", "zero"])
def test_weighted_round_checks_max_examples_before_training(value):
    """Review 2026-12-07: pyppml_max_examples was read with int() after training: a
    missing or infinite value raised KeyError or OverflowError out of the client. It is
    now checked with the other settings, before training, and refused as a failed FitRes."""
    from pyppml.fl.flower import ClientState, client_fit
    from pyppml.fl.flower.onetime import OneTimeCkksStrategy

    init = [np.zeros(4)]
    strategy = OneTimeCkksStrategy(init, n_clients=3, members=2, poly_degree=2048, weighted=True, max_examples=10)
    cfg = {**strategy.common_config(), **strategy._config(strategy._member_keys()), "pyppml_round": 1,
           "pyppml_index": 0}
    if value is None:
        del cfg["pyppml_max_examples"]
    else:
        cfg["pyppml_max_examples"] = value
    res = client_fit(ClientState(), cfg, ndarrays_to_parameters(init), lambda g: pytest.fail("trained"))
    _refused(res, "pyppml_max_examples")
