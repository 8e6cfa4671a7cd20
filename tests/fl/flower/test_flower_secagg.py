"""A real Flower server and clients on loopback (gRPC): the SecAgg+ strategy's
aggregate equals the plain mean of the clients' deltas (``weighted=False``) or their
num_examples-weighted mean (``weighted=True``, Flower's FedAvg), and a client whose
num_examples is outside 1..max_examples refuses the round."""

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from flower_harness import run_flower  # noqa: E402

pytestmark = pytest.mark.flower


class _Shift(flwr.client.NumPyClient):
    def __init__(self, delta, num_examples=1):
        self.delta, self.num_examples = delta, num_examples

    def get_parameters(self, config):
        return [np.zeros(6)]

    def fit(self, parameters, config):
        return [parameters[0] + self.delta], self.num_examples, {}


def _run(strategy, clients, num_rounds=1):
    run_flower(strategy, num_rounds, [("client", c) for c in clients])


def _deltas(n):
    return [np.random.default_rng(i).uniform(-0.5, 0.5, 6) for i in range(n)]


def test_flower_secagg_round():
    """weighted=False: the plain mean over the survivors, whatever their num_examples."""
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy

    n = 4
    deltas = _deltas(n)
    strategy = SecAggStrategy([np.zeros(6)], n_clients=n, clip=1.0, threshold=3, weighted=False)
    _run(strategy, [SecAggNumPyClient(_Shift(d, k)) for d, k in zip(deltas, [3, 50, 7, 10 ** 6])])
    assert strategy.history and strategy.history[0]["survivors"] == list(range(n))
    assert "examples" not in strategy.history[0]
    assert np.abs(strategy.parameters[0] - np.mean(deltas, axis=0)).max() < 1e-6


def test_flower_secagg_weighted_round():
    """weighted=True: the model moves by sum n_i delta_i / sum n_i over the survivors (the
    server only unmasks the two sums); the client with num_examples > max_examples
    refuses the round with a clear message (without its count) and drops out."""
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy

    n, counts = 5, [10, 40, 100, 25, 500]
    deltas = _deltas(n)
    strategy = SecAggStrategy([np.zeros(6)], n_clients=n, clip=1.0, threshold=3, max_examples=200)
    _run(strategy, [SecAggNumPyClient(_Shift(d, k)) for d, k in zip(deltas, counts)])
    h = strategy.history[0]
    assert len(h["survivors"]) == n - 1 and len(h["failed"]) == 1
    (reason,) = h["failed"].values()
    assert "num_examples is out of range" in reason and "1..200" in reason and "500" not in reason
    expected = np.average(deltas[:4], axis=0, weights=counts[:4])
    assert abs(h["examples"] - sum(counts[:4])) < 1e-4
    assert np.abs(strategy.parameters[0] - expected).max() < 1e-6
    assert np.abs(strategy.parameters[0] - np.mean(deltas[:4], axis=0)).max() > 1e-2  # really weighted
