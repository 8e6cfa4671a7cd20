"""A real Flower server and clients on loopback (gRPC): the SecAgg+ strategy's
aggregate equals the plain mean of the clients' deltas (``weighted=False``) or their
num_examples-weighted mean (``weighted=True``, Flower's FedAvg), and a client whose
num_examples is outside 1..max_examples refuses the round."""

import threading
import time

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from pyppml.mpc import free_ports  # noqa: E402

pytestmark = pytest.mark.flower


class _Shift(flwr.client.NumPyClient):
    def __init__(self, delta, num_examples=1):
        self.delta, self.num_examples = delta, num_examples

    def get_parameters(self, config):
        return [np.zeros(6)]

    def fit(self, parameters, config):
        return [parameters[0] + self.delta], self.num_examples, {}


def _run(strategy, clients, num_rounds=4):
    port = free_ports(1)[0]
    addr = f"127.0.0.1:{port}"

    def client(c):
        time.sleep(2.0)  # the server comes up in the main thread meanwhile
        flwr.client.start_client(server_address=addr, client=c, insecure=True, max_wait_time=60)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    # Flower's server installs signal handlers: it runs in the main thread.
    flwr.server.start_server(server_address=addr,
                             config=flwr.server.ServerConfig(num_rounds=num_rounds, round_timeout=60),
                             strategy=strategy)
    for t in threads:
        t.join(timeout=30)


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
