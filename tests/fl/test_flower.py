"""A real Flower server and clients on loopback (gRPC): the SecAgg+ strategy's
aggregate equals the plain mean of the clients' deltas."""

import threading
import time

import numpy as np
import pytest

flwr = pytest.importorskip("flwr")

from pyppml.mpc import free_ports  # noqa: E402

pytestmark = pytest.mark.flower


class _Shift(flwr.client.NumPyClient):
    def __init__(self, delta):
        self.delta = delta

    def get_parameters(self, config):
        return [np.zeros(6)]

    def fit(self, parameters, config):
        return [parameters[0] + self.delta], 1, {}


def test_flower_secagg_round():
    from pyppml.fl.flower import SecAggNumPyClient, SecAggStrategy

    n = 4
    deltas = [np.random.default_rng(i).uniform(-0.5, 0.5, 6) for i in range(n)]
    strategy = SecAggStrategy([np.zeros(6)], n_clients=n, clip=1.0, threshold=3)
    port = free_ports(1)[0]
    addr = f"127.0.0.1:{port}"
    def client(d):
        time.sleep(2.0)  # the server comes up in the main thread meanwhile
        flwr.client.start_client(server_address=addr, client=SecAggNumPyClient(_Shift(d)), insecure=True,
                                 max_wait_time=60)

    clients = [threading.Thread(target=client, args=(d,), daemon=True) for d in deltas]
    for c in clients:
        c.start()
    # Flower's server installs signal handlers: it runs in the main thread.
    flwr.server.start_server(server_address=addr, config=flwr.server.ServerConfig(num_rounds=4, round_timeout=60),
                             strategy=strategy)
    for c in clients:
        c.join(timeout=30)
    assert strategy.history and strategy.history[0]["survivors"] == list(range(n))
    assert np.abs(strategy.parameters[0] - np.mean(deltas, axis=0)).max() < 1e-6
