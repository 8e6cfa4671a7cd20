"""Review rev6 L2: what a client reads from the server's round config. Bytes values must
be bytes of a bounded length (an int was read as that many zero bytes), round numbers
fit the u32 the messages carry (refused before training), a pinned one-time client
compares its pin before it builds the plan, the client count is bounded, and a SecAgg+
client whose neighbourhood lost too many members fails its fit instead of raising."""

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from flwr.common import Code, ndarrays_to_parameters  # noqa: E402

pytestmark = pytest.mark.flower

GLOB = ndarrays_to_parameters([np.zeros(3)])


def _never(glob):
    pytest.fail("the client trained")


def _refused(res, *what):
    assert res.status.code != Code.OK, "accepted"
    assert all(w in res.status.message for w in what), res.status.message
    assert not res.parameters.tensors


@pytest.fixture(scope="module")
def onetime():
    """A one-time strategy (3 clients, 2 members) and client 0's genuine config."""
    from pyppml.fl.flower.onetime import OneTimeCkksStrategy

    strategy = OneTimeCkksStrategy([np.zeros(3)], n_clients=3, members=2, poly_degree=2048, weighted=False)
    cfg = strategy._config(strategy._member_keys())
    cfg.update(pyppml_index=0, pyppml_round=1)
    return strategy, cfg


def _secagg_config(n=5, dim=3):
    from pyppml.fl.secagg import SecAggParams, SecAggServer

    p = SecAggParams(n, dim)
    server = SecAggServer(p, round=1)
    cfg = {"pyppml_mode": "secagg", "pyppml_step": "advertise", "pyppml_msg": server.start(), "pyppml_index": 0,
           "pyppml_round": 1, "pyppml_clip": 1.0, "pyppml_noise": 0.0, "pyppml_weighted": False,
           "pyppml_max_examples": 0,
           "pyppml_params": np.array([n, dim, p.threshold, p.neighbours], dtype=np.int64).tobytes()}
    return p, server, cfg


ONETIME_BYTES = ("pyppml_ot_session", "pyppml_ot_keys", "pyppml_ot_signing_keys", "pyppml_ot_client_keys")


@pytest.mark.parametrize("pinned", [False, True], ids=["unpinned", "pinned"])
@pytest.mark.parametrize("key", ONETIME_BYTES)
def test_onetime_bytes_key_holding_an_int_is_refused(onetime, key, pinned):
    """An int where bytes belong (16: bytes(16) was the all-zero session, 2^45 a
    MemoryError) fails the fit, naming the key, before training."""
    from pyppml.fl.flower import ClientState, client_fit

    strategy, cfg = onetime
    state = ClientState(committee_keys=strategy.pin() if pinned else None)
    assert client_fit(state, dict(cfg), GLOB, lambda g: ([np.full(3, 0.1)], 1)).status.code == Code.OK
    for value in (16, 1 << 45):
        _refused(client_fit(ClientState(committee_keys=state.committee_keys), dict(cfg, **{key: value}), GLOB, _never),
                 key, "not bytes")


@pytest.mark.parametrize("key", ["pyppml_msg", "pyppml_params"])
def test_secagg_bytes_key_holding_an_int_is_refused(key):
    from pyppml.fl.flower import ClientState, client_fit

    _, _, cfg = _secagg_config()
    assert client_fit(ClientState(), dict(cfg), ndarrays_to_parameters([]), _never).status.code == Code.OK
    _refused(client_fit(ClientState(), dict(cfg, **{key: 1 << 20}), ndarrays_to_parameters([]), _never),
             key, "not bytes")


def test_ckks_context_holding_an_int_is_refused():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pyppml.fl.flower import ClientPolicy, ClientState
    from pyppml.fl.flower.ckks import ckks_client_fit

    state = ClientState(policy=ClientPolicy(ckks_context_sha256="00" * 32), identity_key=Ed25519PrivateKey.generate())
    cfg = {"pyppml_ckks_ctx": 1 << 40, "pyppml_round": 1}
    _refused(ckks_client_fit(state, cfg, [np.zeros(3)], _never), "pyppml_ckks_ctx", "not bytes")
    _refused(ckks_client_fit(state, dict(cfg, pyppml_round=1 << 63), [np.zeros(3)], _never), "pyppml_round")


def test_round_beyond_u32_is_refused_before_training(onetime):
    """pyppml_round = 2^32 used to train, then raise OverflowError out of client_fit;
    the protocol objects raised it too."""
    from pyppml.fl.ckks.onetime import OneTimeClient, OneTimeServer
    from pyppml.fl.flower import ClientState, client_fit
    from pyppml.fl.secagg import SecAggParams, SecAggServer

    strategy, cfg = onetime
    for rnd in (1 << 32, 0, 2.0, True):
        _refused(client_fit(ClientState(committee_keys=strategy.pin()), dict(cfg, pyppml_round=rnd), GLOB, _never),
                 "pyppml_round", "out of range")
    client = OneTimeClient(0, strategy.params, strategy.committee.public_keys())
    for make in (lambda: client.upload(1 << 32, np.zeros(strategy.params.dim)),
                 lambda: OneTimeServer(strategy.params, 1 << 32), lambda: SecAggServer(SecAggParams(3, 2), 1 << 32)):
        with pytest.raises(ValueError, match="round is out of range"):
            make()


def test_pinned_client_compares_the_pin_before_building_the_plan(onetime, monkeypatch):
    """A pinned client built the plan (its ring, the signing keys the config names)
    before comparing pins: the server's config chose what it built. The pin is now
    computed from the config's checked fields, and a mismatch builds nothing."""
    from pyppml.fl.flower import ClientState, client_fit
    from pyppml.fl.flower import onetime_client as onetime_mod

    strategy, cfg = onetime
    built = []
    real = onetime_mod.params_from_config
    monkeypatch.setattr(onetime_mod, "params_from_config", lambda c: built.append(1) or real(c))
    state = ClientState(committee_keys=strategy.pin())
    for edit in ({"pyppml_ot_poly_degree": 32768}, {"pyppml_ot_signing_keys": bytes(32 * 16)},
                 {"pyppml_ot_members": 16}, {"pyppml_ot_session": bytes(16)}):
        _refused(client_fit(state, dict(cfg, **edit), GLOB, _never), "differs from the pinned one")
    _refused(client_fit(state, dict(cfg, pyppml_ot_signing_keys=bytes(1 << 20)), GLOB, _never), "too long")
    assert built == []
    assert client_fit(state, dict(cfg), GLOB, lambda g: ([np.full(3, 0.1)], 1)).status.code == Code.OK
    assert built == [1]


def test_secagg_client_with_too_few_neighbours_left_fails_its_fit():
    """n = 65 (k = 20, t = 11): 11 of client 0's neighbours drop at advertise while the
    round as a whole goes on; client 0's share step raised TooFewSurvivorsError (not a
    ValueError) out of client_fit. It is now a failed FitRes."""
    from pyppml.fl.flower import ClientState, client_fit
    from pyppml.fl.secagg import SecAggClient

    p, server, cfg = _secagg_config(65)
    state, empty = ClientState(), ndarrays_to_parameters([])
    res = client_fit(state, cfg, empty, _never)
    server.receive(0, res.parameters.tensors[0])
    drop = set(int(j) for j in server.graph.neighbours(0)[:11])
    start = server.start()
    for i in range(1, 65):
        if i not in drop:
            server.receive(i, SecAggClient(i, p).advertise(start))
    keys = server.advance()
    _refused(client_fit(state, dict(cfg, pyppml_step="shares", pyppml_msg=keys[0]), empty, _never),
             "too few neighbours")


def test_secagg_client_count_is_bounded():
    """The SecAgg+ client builds the graph over the server's n_clients (48 GiB at 2^31):
    it refuses more than MAX_CLIENTS = 2^20, and a ClientPolicy(max_clients) (node
    config pyppml-max-clients) lowers the bound."""
    from pyppml.fl.flower import ClientPolicy, ClientState, client_fit
    from pyppml.fl.flower.config import MAX_CLIENTS
    from pyppml.fl.secagg import SecAggParams

    _, _, cfg = _secagg_config(20)
    big = SecAggParams(MAX_CLIENTS + 1, 3)
    params = np.array([MAX_CLIENTS + 1, 3, big.threshold, big.neighbours], dtype=np.int64).tobytes()
    _refused(client_fit(ClientState(), dict(cfg, pyppml_params=params), ndarrays_to_parameters([]), _never),
             "n_clients is too large")
    policy = ClientPolicy(max_clients=10)
    _refused(client_fit(ClientState(policy=policy), cfg, ndarrays_to_parameters([]), _never), "n_clients is too large")
    assert ClientPolicy.from_node_config({"pyppml-max-clients": 10}) == policy
    with pytest.raises(ValueError, match="max_clients"):
        ClientPolicy(min_clients=5, max_clients=4)
