"""The pyppml strategies wrap an inner Flower strategy (issue 18): the inner strategy
receives the secure mean as one result and keeps its server optimizer, fit config,
centralised and federated evaluation and metrics aggregation; strategies that need
per-client results are refused; SecAgg+ takes one Flower round per averaging round."""

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays  # noqa: E402
from flwr.server.strategy import FedAdam, FedAvg, FedAvgM, FedProx  # noqa: E402

from flower_harness import drive_round, local_manager, run_flower  # noqa: E402

pytestmark = pytest.mark.flower

TARGET = np.array([1.0, -2.0, 0.5, 0.25])


class _Pull(flwr.client.NumPyClient):
    """Training = a step of size config["lr"] towards a client-specific target; records
    the fit and evaluate configs it saw."""

    def __init__(self, k, num_examples):
        self.k, self.num_examples, self.fit_configs, self.evaluated = k, num_examples, [], []

    def target(self):
        return TARGET + 0.1 * self.k

    def step(self, w, lr):
        return w + lr * (self.target() - w)

    def fit(self, parameters, config):
        self.fit_configs.append(dict(config))
        return [self.step(parameters[0], float(config["lr"]))], self.num_examples, {"secret_loss": 1.0}

    def evaluate(self, parameters, config):
        self.evaluated.append(dict(config))
        return float(np.sum((parameters[0] - self.target()) ** 2)), self.num_examples, {"acc": 0.5}


def _reference(make_inner, clients, rounds, lr):
    """Flower's own strategy on the clients' plain results (no secure aggregation): the
    model the wrapped strategy must reproduce."""
    inner = make_inner()
    w = parameters_to_ndarrays(inner.initial_parameters) if inner.initial_parameters else [np.zeros(TARGET.size)]
    proxy = object()
    for rnd in range(1, rounds + 1):
        results = [(proxy, FitRes(Status(Code.OK, ""), ndarrays_to_parameters([c.step(w[0], lr)]), c.num_examples,
                                  {})) for c in clients]
        w = parameters_to_ndarrays(inner.aggregate_fit(rnd, results, [])[0])
    return w[0]


def _fedadam(**kw):
    return FedAdam(initial_parameters=ndarrays_to_parameters([np.zeros(TARGET.size)]), eta=0.2, beta_1=0.5,
                   tau=1e-3, **kw)


def test_secagg_serverapp_wraps_fedadam_with_config_evaluation_and_metrics():
    """A ServerApp whose strategy is SecAggStrategy(inner=FedAdam(...)) against
    ClientApps with pyppml_mod, run in process through Flower's ServerApp machinery
    (start_grid, GridClientProxy, ClientApp + Mods, protobuf on every message): three
    Flower rounds are three SecAgg+ rounds; the model equals Flower's FedAdam on the
    clients' plain weighted results (within quantization); the inner strategy's
    on_fit_config_fn reaches the training code, evaluate_fn runs on rounds 0..3, federated
    evaluation on every round, fit_metrics_aggregation_fn sees the secure round's
    metrics (the clients' own fit metrics never leave them); each node gets four fit
    messages and one evaluate message per round."""
    from flwr.clientapp import ClientApp
    from flwr.server import ServerApp, ServerAppComponents, ServerConfig

    from pyppml.fl.flower import SecAggStrategy, pyppml_mod, run_apps

    counts = [10, 20, 30, 40]
    clients = {k + 1: _Pull(k, counts[k]) for k in range(4)}
    central, fed, fit_metrics = [], [], []

    def evaluate_fn(rnd, params, cfg):
        central.append(rnd)
        return float(np.sum((params[0] - TARGET) ** 2)), {"rnd": rnd}

    def fed_metrics(pairs):
        fed.append(sorted(n for n, _ in pairs))
        return {"acc": float(np.mean([m["acc"] for _, m in pairs]))}

    def make_inner(**kw):
        return _fedadam(on_fit_config_fn=lambda rnd: {"lr": 0.5, "rnd": rnd}, **kw)

    inner = make_inner(evaluate_fn=evaluate_fn, fraction_evaluate=1.0, min_evaluate_clients=4, min_available_clients=4,
                       evaluate_metrics_aggregation_fn=fed_metrics,
                       fit_metrics_aggregation_fn=lambda pairs: fit_metrics.append(pairs) or {"agg": len(pairs)})
    strategy = SecAggStrategy(None, n_clients=4, threshold=3, max_examples=100, inner=inner)
    server_app = ServerApp(server_fn=lambda ctx: ServerAppComponents(strategy=strategy,
                                                                     config=ServerConfig(num_rounds=3)))
    client_app = ClientApp(client_fn=lambda ctx: clients[ctx.node_id].to_client(), mods=[pyppml_mod])
    grid = run_apps(server_app, client_app, num_nodes=4)

    assert [h["round"] for h in strategy.history] == [1, 2, 3]
    assert all(h["survivors"] == [0, 1, 2, 3] for h in strategy.history)
    expected = _reference(make_inner, clients.values(), 3, 0.5)
    assert np.abs(strategy.parameters[0] - expected).max() < 1e-5
    assert np.abs(expected - _reference(lambda: FedAvg(), clients.values(), 3, 0.5)).max() > 1e-2  # Adam matters
    for c in clients.values():
        assert c.fit_configs == [{"lr": 0.5, "rnd": r} for r in (1, 2, 3)]  # the inner config, no pyppml_ keys
        assert len(c.evaluated) == 3  # federated evaluation every round, on the global model
    assert central == [0, 1, 2, 3]
    assert fed == [counts] * 3
    assert [[(n, m["round"], m["examples"]) for n, m in pairs] for pairs in fit_metrics] == \
        [[(100, r, 100)] for r in (1, 2, 3)]
    assert all("secret_loss" not in m for pairs in fit_metrics for _, m in pairs)
    assert all(t["messages"] == 3 * (4 + 1) for t in grid.traffic.values())


def test_onetime_loopback_wraps_fedavgm_and_federated_evaluation():
    """One-time CKKS over Flower's gRPC server on loopback, wrapping FedAvgM (server
    momentum), with NumPyClient wrappers: two rounds reproduce FedAvgM on the plain
    weighted results within CKKS precision; SecAggNumPyClient.evaluate runs the wrapped
    client's evaluate (federated evaluation) and FedProx-style config reaches fit."""
    from pyppml.fl.flower import OneTimeCkksStrategy, SecAggNumPyClient

    counts = [5, 15, 25]
    clients = [_Pull(k, counts[k]) for k in range(3)]

    def make_inner(**kw):
        return FedAvgM(initial_parameters=ndarrays_to_parameters([np.zeros(TARGET.size)]), server_momentum=0.7,
                       server_learning_rate=1.0, on_fit_config_fn=lambda rnd: {"lr": 0.25}, **kw)

    inner = make_inner(fraction_evaluate=1.0, min_evaluate_clients=3, min_available_clients=3)
    strategy = OneTimeCkksStrategy(None, n_clients=3, members=3, threshold=2, poly_degree=2048, precision_bits=20,
                                   clip=2.0, max_examples=50, inner=inner)
    run_flower(strategy, 2, [("client", SecAggNumPyClient(c)) for c in clients])
    assert [h["accepted"] for h in strategy.history] == [[0, 1, 2]] * 2
    expected = _reference(make_inner, clients, 2, 0.25)
    assert np.abs(strategy.parameters[0] - expected).max() < 2 ** -8
    assert np.abs(expected - _reference(lambda: FedAvg(), clients, 2, 0.25)).max() > 0.05  # momentum matters
    assert all(len(c.evaluated) == 2 for c in clients)


def test_inner_fedprox_config_and_accept_failures():
    """FedProx's proximal_mu reaches the training config; FedAvg(accept_failures=False)
    keeps the model when a client fails, and the round records why."""
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy

    clients = {str(k): SecAggNumPyClient(_Pull(k, 10)) for k in range(4)}
    prox = FedProx(proximal_mu=0.3, on_fit_config_fn=lambda rnd: {"lr": 0.5})
    strategy = SecAggStrategy([np.zeros(4)], n_clients=4, threshold=3, max_examples=10, inner=prox)
    drive_round(strategy, 1, local_manager(clients))
    assert all(c.inner.fit_configs[-1]["proximal_mu"] == 0.3 for c in clients.values())
    assert not any(k.startswith("pyppml_") for c in clients.values() for k in c.inner.fit_configs[-1])
    mean_target = np.mean([c.inner.target() for c in clients.values()], 0)
    assert np.abs(strategy.parameters[0] - 0.5 * mean_target).max() < 1e-6

    strict = SecAggStrategy([np.zeros(4)], n_clients=4, threshold=3, max_examples=10,
                            inner=FedAvg(accept_failures=False, on_fit_config_fn=lambda rnd: {"lr": 0.5}))
    fresh = {str(k): SecAggNumPyClient(_Pull(k, 10)) for k in range(4)}  # SecAgg+ clients refuse replayed rounds
    drive_round(strict, 1, local_manager(fresh, drop_at={"3": "masked"}))
    assert strict.history[0]["survivors"] == [0, 1, 2] and "masked" in strict.history[0]["failed"][3]
    assert strict.history[0]["error"] == "the inner strategy kept the model"
    assert np.all(strict.parameters[0] == 0)


def test_inner_strategy_arguments():
    """Refused inner strategies (they need per-client results), wrong types, nested
    pyppml strategies, and one initial model (given once, or equal)."""
    from flwr.server.strategy import DifferentialPrivacyServerSideFixedClipping, FedMedian, Krum

    from pyppml.fl.flower import SecAggStrategy

    def make(**kw):
        return SecAggStrategy(kw.pop("init", [np.zeros(3)]), n_clients=4, threshold=3, weighted=False, **kw)

    for inner, what in [(Krum(), "Krum: robust aggregation"), (FedMedian(), "FedMedian: a coordinate-wise median"),
                        (DifferentialPrivacyServerSideFixedClipping(FedAvg(), 1.0, 1.0, 4), "use noise_multiplier="),
                        ("FedAvg", "expected a flwr.server.strategy.Strategy"), (make(), "is a pyppml strategy")]:
        with pytest.raises(ValueError, match="inner") as err:
            make(inner=inner)
        assert what in str(err.value)
    with pytest.raises(ValueError, match="initial_parameters is missing"):
        make(init=None)
    with pytest.raises(ValueError, match="differs from the inner strategy's"):
        make(init=[np.ones(3)], inner=FedAdam(initial_parameters=ndarrays_to_parameters([np.zeros(3)])))
    s = make(init=None, inner=FedAdam(initial_parameters=ndarrays_to_parameters([np.full(3, 2.0)])))
    assert s.dim == 3 and np.all(s.parameters[0] == 2.0) and s.flower_rounds_per_round == 1
    assert type(make().inner).__name__ == "FedAvg" and make().inner.fraction_evaluate == 0.0
    with pytest.raises(ValueError, match="reserved key"):
        drive_round(make(inner=FedAvg(on_fit_config_fn=lambda r: {"pyppml_clip": 9.0})), 1,
                    local_manager({str(k): None for k in range(4)}))
