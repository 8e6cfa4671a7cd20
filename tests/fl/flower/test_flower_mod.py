"""The client Mod and the CKKS strategy in a real Flower run on loopback: Flower's gRPC
server (``start_server``) and clients that run a ``ClientApp(mods=[pyppml_mod])``
(through Flower's own client loop, ``flwr.compat.client.app.start_client_internal``,
which ``start_client`` wraps), or the NumPyClient wrapper. Weighted rounds: the model
moves by the num_examples-weighted mean delta (Flower's FedAvg) computed inside the
secure sum; a client with num_examples outside 1..max_examples refuses the round."""

import time

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from flower_harness import drive_round, local_manager, shifted  # noqa: E402
from flower_harness import flat as _flat, mod_app as _mod_app, run_flower as _run  # noqa: E402

pytestmark = pytest.mark.flower

SHAPES = [(2, 3), (4,)]  # two tensors, dim 10


class _Shift(flwr.client.NumPyClient):
    """Training = adding a fixed delta on ``num_examples`` examples; records the config
    its fit saw."""

    def __init__(self, delta, num_examples=1):
        self.delta, self.num_examples, self.configs = delta, num_examples, []

    def get_parameters(self, config):
        return [np.zeros(s) for s in SHAPES]

    def fit(self, parameters, config):
        self.configs.append(dict(config))
        return shifted(parameters, self.delta), self.num_examples, {}


def _deltas(n, scale=0.5):
    return [np.random.default_rng(10 + i).uniform(-scale, scale, 10) for i in range(n)]


def _ckks_parties(n, **committee_args):
    """A committee pinning n clients' identity keys, the keys, and the clients' policy
    pinning the committee's context (what each client is configured with out of band)."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pyppml.fl import CkksCommittee
    from pyppml.fl.flower import ClientPolicy

    keys = [Ed25519PrivateKey.generate() for _ in range(n)]
    committee = CkksCommittee(client_keys=[k.public_key() for k in keys], **committee_args)
    policy = ClientPolicy(ckks_context_sha256=hashlib.sha256(committee.public_bytes()).hexdigest())
    return committee, keys, policy


def _ckks_client(inner, key, policy):
    from pyppml.fl.flower import SecAggNumPyClient

    return SecAggNumPyClient(inner, policy=policy, identity_key=key)


def _node_config(key, policy):
    return {"pyppml-identity-key": key.private_bytes_raw().hex(),
            "pyppml-ckks-context-sha256": policy.ckks_context_sha256}


def test_mod_secagg_round():
    """SecAgg+ through the Mod, weighted: the wrapped app trains once per aggregation
    (the key rounds never reach it), its num_examples weighs its delta inside the masked
    sum, and the server's model moves by the num_examples-weighted mean delta."""
    from pyppml.fl.flower import SecAggStrategy

    n, counts = 4, [5, 20, 60, 15]
    deltas = _deltas(n)
    inners = [_Shift(d, k) for d, k in zip(deltas, counts)]
    strategy = SecAggStrategy([np.zeros(s) for s in SHAPES], n_clients=n, clip=1.0, threshold=3, max_examples=100)
    _run(strategy, 2, [("app", _mod_app(c)) for c in inners])  # two SecAgg+ rounds, one Flower round each
    assert [h["survivors"] for h in strategy.history] == [list(range(n))] * 2
    assert all(abs(h["examples"] - sum(counts)) < 1e-4 for h in strategy.history)
    assert [p.shape for p in strategy.parameters] == SHAPES
    expected = np.average(deltas, axis=0, weights=counts)
    assert np.abs(_flat(strategy.parameters) - 2 * expected).max() < 1e-6
    assert all(len(c.configs) == 2 for c in inners)


def test_ckks_strategy_mod_and_numpy_client():
    """CKKS committee aggregation, weighted: clients (two through the Mod, two through
    the NumPyClient wrapper) send signed ciphertexts of (w delta, w clip), the server
    only adds them, the committee verifies and decrypts the sum; the result is the
    num_examples-weighted mean delta within CKKS precision. A fifth client
    (num_examples = 0) refuses each round with a clear message; the four others
    (>= min_clients) are averaged."""
    from pyppml.fl.flower import CkksStrategy

    n, counts = 5, [5, 20, 60, 15, 0]
    deltas = _deltas(n)
    committee, keys, policy = _ckks_parties(n, members=3, poly_degree=8192, max_clients=64)
    seen = []

    def decrypt(uploads, rnd):  # the committee is asked only for sums of signed uploads
        seen.append(len(uploads))
        return committee.decrypt_uploads(uploads, rnd)

    strategy = CkksStrategy([np.zeros(s) for s in SHAPES], n_clients=n, min_clients=4, committee=committee,
                            decrypt=decrypt, max_examples=100)
    clients = [("app", _mod_app(_Shift(d, k), _node_config(keys[i], policy)))
               for i, (d, k) in enumerate(zip(deltas[:2], counts[:2]))]
    clients += [("client", _ckks_client(_Shift(d, k), keys[2 + i], policy))
                for i, (d, k) in enumerate(zip(deltas[2:4], counts[2:4]))]
    clients += [("app", _mod_app(_Shift(deltas[4], counts[4]), _node_config(keys[4], policy)))]
    _run(strategy, 2, clients)
    assert [len(h["clients"]) for h in strategy.history] == [n - 1] * 2
    for h in strategy.history:
        (reason,) = h["failed"].values()
        assert "num_examples is out of range" in reason and "1..100" in reason
        assert abs(h["examples"] - sum(counts)) < 0.05
    assert seen == [n - 1] * 2  # one decryption per round, of the four signed uploads
    err = np.abs(_flat(strategy.parameters) - 2 * np.average(deltas[:4], axis=0, weights=counts[:4])).max()
    assert err < 2 ** -9, err


def test_ckks_strategy_unweighted():
    """weighted=False: the plain mean of the summed clients' deltas, whatever their
    num_examples (a Mod client and a NumPyClient, one CKKS round)."""
    from pyppml.fl.flower import CkksStrategy

    deltas = _deltas(2)
    committee, keys, policy = _ckks_parties(2, members=2, poly_degree=8192, max_clients=8)
    strategy = CkksStrategy([np.zeros(s) for s in SHAPES], n_clients=2, committee=committee, weighted=False)
    _run(strategy, 1, [("app", _mod_app(_Shift(deltas[0], 3), _node_config(keys[0], policy))),
                       ("client", _ckks_client(_Shift(deltas[1], 900), keys[1], policy))])
    assert len(strategy.history[0]["clients"]) == 2 and "examples" not in strategy.history[0]
    err = np.abs(_flat(strategy.parameters) - np.mean(deltas, axis=0)).max()
    assert err < 2 ** -10, err


def test_mod_passes_other_messages_through():
    """A train message without pyppml config reaches the wrapped app unchanged."""
    from flwr.app import Context, Message, Metadata, RecordDict
    from flwr.common import FitIns, ndarrays_to_parameters
    from flwr.compat.common import recorddict_compat as compat

    from pyppml.fl.flower import pyppml_mod

    content = compat.fitins_to_recorddict(FitIns(ndarrays_to_parameters([np.zeros(3)]), {"lr": 0.1}), True)
    meta = Metadata(run_id=1, message_id="m", src_node_id=0, dst_node_id=1, reply_to_message_id="", group_id="1",
                    created_at=time.time(), ttl=60.0, message_type="train")
    msg = Message(content, metadata=meta)
    ctx = Context(run_id=1, node_id=1, node_config={}, state=RecordDict(), run_config={})
    calls = []
    out = pyppml_mod(msg, ctx, lambda m, c: calls.append(m) or "reply")
    assert out == "reply" and calls == [msg]


def test_ckks_strategy_dp_adds_noise_and_accounts():
    """DP on the CKKS path without a network: client steps then the server's
    aggregate_fit; the noise has about the calibrated spread and the accountant moves."""
    from pyppml.fl.flower import CkksStrategy

    n = 4
    committee, keys, policy = _ckks_parties(n, members=2, poly_degree=8192, max_clients=64)
    strategy = CkksStrategy([np.zeros(2048)], n_clients=n, committee=committee, clip=1.0, noise_multiplier=0.5,
                            weighted=False)
    ins = strategy.configure_fit(1, None, _Mgr([str(i) for i in range(n)]))
    results = [(proxy, _ckks_client(_ShiftN(np.full(2048, 0.01)), keys[i], policy).fit(fitins))
               for i, (proxy, fitins) in enumerate(ins)]
    strategy.aggregate_fit(1, results, [])
    mean = strategy.parameters[0]
    # sum noise sd = 0.5 * clip; the mean's sd = 0.5 / n = 0.125
    assert abs(np.std(mean) - 0.5 / n) < 0.02 and abs(np.mean(mean) - 0.01) < 0.02
    assert strategy.accountant.steps == 1


class _ShiftN(flwr.client.NumPyClient):
    def __init__(self, delta, num_examples=1):
        self.delta, self.num_examples = delta, num_examples

    def fit(self, parameters, config):
        return [parameters[0] + self.delta], self.num_examples, {}


class _Mgr:
    """A client manager stub for driving a strategy without a network."""

    def __init__(self, cids):
        self.cids = list(cids)

    def num_available(self):
        return len(self.all())

    def wait_for(self, *a, **k):
        return True

    def all(self):
        return {cid: type("P", (), {"cid": cid})() for cid in self.cids}


def test_ckks_strategy_refuses_malformed_updates():
    """A client sending bytes that are no ciphertext (or too few), or an upload signed by
    a key the committee did not pin, is left out; the others are averaged; below
    min_clients the model stays put."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from flwr.common import Code, FitRes, Parameters, Status

    from pyppml.fl.flower import CkksStrategy
    from pyppml.fl.flower.ckks import CKKS_TENSOR_TYPE

    committee, keys, policy = _ckks_parties(3, members=2, poly_degree=8192, max_clients=64)
    strategy = CkksStrategy([np.zeros(8)], n_clients=4, min_clients=2, committee=committee, max_examples=1)
    ins = strategy.configure_fit(1, None, _Mgr([str(i) for i in range(4)]))
    good = [(p, _ckks_client(_ShiftN(np.full(8, 0.25 * (i + 1))), keys[i], policy).fit(f))
            for i, (p, f) in enumerate(ins[:2])]
    bad = (ins[2][0], FitRes(Status(Code.OK, ""), Parameters([b"junk"], CKKS_TENSOR_TYPE), 1, {}))
    rogue = (ins[3][0], _ckks_client(_ShiftN(np.full(8, 9.0)), Ed25519PrivateKey.generate(), policy).fit(ins[3][1]))
    assert rogue[1].status.code == Code.OK
    strategy.aggregate_fit(1, good + [bad, rogue], [])
    h = strategy.history[0]
    assert h["clients"] == ["0", "1"] and "2" in h["rejected"] and "not pinned" in h["rejected"]["3"]
    assert np.abs(strategy.parameters[0] - 0.375).max() < 2 ** -9
    ins = strategy.configure_fit(2, None, _Mgr([str(i) for i in range(4)]))
    one = [(ins[0][0], _ckks_client(_ShiftN(np.full(8, 0.25)), keys[0], policy).fit(ins[0][1]))]
    strategy.aggregate_fit(2, one + [bad], [])
    assert "error" in strategy.history[1] and np.abs(strategy.parameters[0] - 0.375).max() < 2 ** -9
    # Uploads of round 1 replayed in round 2 do not verify.
    strategy.aggregate_fit(2, good, [])
    assert "error" in strategy.history[2] and all("signature" in r for r in strategy.history[2]["rejected"].values())


def test_secagg_strategy_dp_in_process():
    """SecAgg+ with distributed DP, driving the strategy and the clients' fit directly
    (one Flower round, its four protocol steps, without a network): clipped deltas, calibrated noise."""
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy

    n, dim = 4, 2048
    strategy = SecAggStrategy([np.zeros(dim)], n_clients=n, clip=1.0, threshold=3, noise_multiplier=0.5,
                              weighted=False)
    clients = {str(i): SecAggNumPyClient(_ShiftN(np.full(dim, 0.01))) for i in range(n)}
    drive_round(strategy, 1, local_manager(clients))  # the four protocol steps, one Flower round
    mean = strategy.parameters[0]
    assert strategy.history[0]["survivors"] == list(range(n))
    assert abs(np.std(mean) - 0.5 / n) < 0.02 and abs(np.mean(mean) - 0.01) < 0.02
    assert strategy.accountant.steps == 1


COUNTS = [50, 50, 25, 25]  # W = sum num_examples / max_examples = 150 / 100 = 1.5


def test_secagg_strategy_weighted_dp_sends_no_weight_sum(monkeypatch):
    """Weighted SecAgg+ with distributed DP (issue 12, defect 4 on the Flower path): the
    unmasked sum the server obtains has the model's dim entries only (no w * clip entry,
    whose sum would give the survivors' exact total examples), and the model moves by
    sum(w delta) / denominator (public; default n_clients); the accountant steps as
    unweighted."""
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy
    from pyppml.fl.secagg.server import SecAggServer

    n, dim, nm = 4, 2048, 0.01
    seen = []
    finish = SecAggServer.finish
    monkeypatch.setattr(SecAggServer, "finish", lambda self: seen.append(finish(self)) or seen[-1])
    strategy = SecAggStrategy([np.zeros(dim)], n_clients=n, clip=1.0, threshold=3, noise_multiplier=nm,
                              max_examples=100)
    clients = {str(i): SecAggNumPyClient(_ShiftN(np.full(dim, 0.01), COUNTS[i])) for i in range(n)}
    drive_round(strategy, 1, local_manager(clients))
    assert len(seen) == 1 and len(seen[0]) == dim
    assert strategy.history[0]["survivors"] == list(range(n)) and "examples" not in strategy.history[0]
    # mean = 0.01 * W / n = 0.00375; the noise on it has sd nm / n per entry.
    assert abs(np.mean(strategy.parameters[0]) - 0.01 * 1.5 / n) < 5 * nm / n / np.sqrt(dim) + 1e-5
    assert strategy.accountant.steps == 1


def test_ckks_strategy_weighted_dp_sends_no_weight_sum():
    """The same for the CKKS strategy: what the committee decrypts for the server is the
    noisy numerator and zeros (no weight entry at index dim), the model moves by the sum
    over the public denominator."""
    from pyppml.fl.flower import CkksStrategy

    n, dim, nm = 4, 2048, 0.01
    committee, keys, policy = _ckks_parties(n, members=2, poly_degree=8192, max_clients=64)
    seen = []

    def decrypt(uploads, rnd):
        seen.append(committee.decrypt_uploads(uploads, rnd))
        return seen[-1]

    strategy = CkksStrategy([np.zeros(dim)], n_clients=n, committee=committee, clip=1.0, noise_multiplier=nm,
                            max_examples=100, decrypt=decrypt, denominator=1.5)
    ins = strategy.configure_fit(1, None, _Mgr([str(i) for i in range(n)]))
    strategy.aggregate_fit(1, [(p, _ckks_client(_ShiftN(np.full(dim, 0.01), COUNTS[i]), keys[i], policy).fit(f))
                               for i, (p, f) in enumerate(ins)], [])
    assert len(seen) == 1 and strategy.vec_dim == dim
    assert np.abs(seen[0][dim:]).max() < 2 ** -9  # the weight sum 1.5 would sit at index dim
    assert "examples" not in strategy.history[0]
    assert abs(np.mean(strategy.parameters[0]) - 0.01) < 5 * nm / 1.5 / np.sqrt(dim) + 1e-4
    assert strategy.accountant.steps == 1


def test_denominator_out_of_range_refused():
    from pyppml.fl.flower import SecAggStrategy

    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="denominator is out of range"):
            SecAggStrategy([np.zeros(4)], n_clients=4, noise_multiplier=1.0, max_examples=10, denominator=bad)


def test_weighting_arguments_and_client_refusal():
    """max_examples is required (an int >= 1) when weighted; a client refuses a weighted
    round whose num_examples is not an integer in 1..max_examples (failed FitRes, the
    count not in the message) and accepts the bounds themselves."""
    from flwr.common import Code

    from pyppml.fl import CkksCommittee
    from pyppml.fl.common.errors import ParameterError
    from pyppml.fl.flower import CkksStrategy, SecAggNumPyClient, SecAggStrategy
    from pyppml.fl.flower.updates import example_weight

    with pytest.raises(ParameterError, match="max_examples is missing"):
        SecAggStrategy([np.zeros(3)], n_clients=3)
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ParameterError, match="max_examples is out of range"):
            SecAggStrategy([np.zeros(3)], n_clients=3, max_examples=bad)
    assert SecAggStrategy([np.zeros(3)], n_clients=3, weighted=False).params.dim == 3
    assert SecAggStrategy([np.zeros(3)], n_clients=3, max_examples=7).params.dim == 4
    with pytest.raises(ParameterError, match="max_examples is too large for the 32-bit quantizer"):
        SecAggStrategy([np.zeros(3)], n_clients=3, max_examples=10 ** 9)  # 1 example: below one quantization step
    with pytest.raises(ParameterError, match="max_examples is missing"):
        CkksStrategy([np.zeros(3)], n_clients=3, committee=object())
    with pytest.raises(ParameterError, match="committee is missing"):
        CkksStrategy([np.zeros(3)], n_clients=3, weighted=False)

    cfg = {"pyppml_weighted": True, "pyppml_max_examples": 10}
    assert example_weight(cfg, 1) == 0.1 and example_weight(cfg, 10) == 1.0 and example_weight(cfg, 4.0) == 0.4
    assert example_weight({"pyppml_weighted": False, "pyppml_max_examples": 0}, 10 ** 9) is None
    for bad in (0, 11, -3, 2.5, None, True, float("nan"), "5"):
        with pytest.raises(ValueError, match="num_examples is out of range; expected an integer in 1..10"):
            example_weight(cfg, bad)

    committee, keys, policy = _ckks_parties(1, members=1, poly_degree=8192, max_clients=4)
    strategy = CkksStrategy([np.zeros(4)], n_clients=2, committee=committee, max_examples=10)
    (_, fitins), _ = strategy.configure_fit(1, None, _Mgr(["0", "1"]))
    res = _ckks_client(_ShiftN(np.full(4, 0.1), 12345), keys[0], policy).fit(fitins)
    assert res.status.code != Code.OK and "num_examples is out of range" in res.status.message
    assert "12345" not in res.status.message and not res.parameters.tensors
    res = _ckks_client(_ShiftN(np.full(4, 0.1), 10), keys[0], policy).fit(fitins)
    assert res.status.code == Code.OK and res.num_examples == 1  # the count never leaves the client
    with pytest.raises(ParameterError, match="clip is out of range"):
        CkksStrategy([np.zeros(4)], n_clients=2, committee=committee, clip=2.0, weighted=False)
    with pytest.raises(ParameterError, match="n_clients is out of range"):
        CkksStrategy([np.zeros(4)], n_clients=5, committee=committee, weighted=False)


def _reference_epsilon(multipliers, delta=1e-5):
    from pyppml.dp import PrivacyAccountant

    acc = PrivacyAccountant("rdp")
    for m in multipliers:
        acc.step(m, 1.0, 1)
    return acc.get_epsilon(delta)


@pytest.mark.parametrize("dropped", [set(), {2}])
def test_secagg_strategy_accounts_documented_multiplier(dropped):
    """SecAgg+ strategy: per aggregation the accountant is told noise_multiplier *
    sqrt(k / n_clients) for k survivors (each client adds the variance share sigma^2 / n);
    two rounds, with and without a client dropping before its masked input."""
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy

    n, dim, z = 5, 16, 0.9
    strategy = SecAggStrategy([np.zeros(dim)], n_clients=n, clip=1.0, threshold=3, noise_multiplier=z, weighted=False)
    clients = {str(i): SecAggNumPyClient(_ShiftN(np.full(dim, 0.01))) for i in range(n)}
    mgr = local_manager(clients, {str(i): "masked" for i in dropped})
    for rnd in (1, 2):  # two aggregations, one Flower round each
        drive_round(strategy, rnd, mgr)
    k = n - len(dropped)
    assert [len(h["survivors"]) for h in strategy.history] == [k, k]
    expected = _reference_epsilon([z * np.sqrt(k / n)] * 2)
    assert strategy.accountant.get_epsilon(1e-5) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("missing", [set(), {1}])
def test_ckks_strategy_accounts_documented_multiplier(missing):
    """CKKS strategy: noise_multiplier * sqrt(k / n_clients) for the k summed uploads."""
    from pyppml.fl.flower import CkksStrategy

    n, z = 4, 1.2
    committee, keys, policy = _ckks_parties(n, members=1, poly_degree=8192, max_clients=8, max_abs_value=8.0)
    strategy = CkksStrategy([np.zeros(8)], n_clients=n, min_clients=2, committee=committee, clip=1.0,
                            noise_multiplier=z, weighted=False)
    for rnd in (1, 2):
        ins = strategy.configure_fit(rnd, None, _Mgr([str(i) for i in range(n)]))
        strategy.aggregate_fit(rnd, [(p, _ckks_client(_ShiftN(np.full(8, 0.01)), keys[i], policy).fit(f))
                                     for i, (p, f) in enumerate(ins) if i not in missing], [])
    k = n - len(missing)
    expected = _reference_epsilon([z * np.sqrt(k / n)] * 2)
    assert strategy.accountant.get_epsilon(1e-5) == pytest.approx(expected, rel=1e-12)
