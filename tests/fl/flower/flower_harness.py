"""A real Flower run on loopback for the tests: Flower's gRPC server in the main thread
(it installs signal handlers), one thread per client, clients either a ``ClientApp``
(with pyppml's Mod) or a ``Client``."""

import ast
import threading
from unittest import mock

import flwr
import numpy as np


def _serialize_ast_parse() -> None:
    """CPython 3.11 can fail ``ast.parse`` run concurrently in threads ("SystemError: AST
    constructor recursion depth mismatch", gh-106905); NumPy's ``np.load`` (Flower's
    tensor decoding) calls it through ``ast.literal_eval``. The clients here are threads
    of one process, so their parses are serialized."""
    if getattr(ast.parse, "_serialized", False):
        return
    lock, parse = threading.Lock(), ast.parse

    def locked(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    locked._serialized = True
    ast.parse = locked


def mod_app(inner, node_config=None):
    """``inner`` (a NumPyClient) behind a ClientApp with :func:`pyppml_mod`.
    ``node_config``: entries the node's Context carries (Flower's gRPC-bidi client loop
    drops the node config it is given, so a first Mod puts them in, as a SuperNode's
    ``--node-config`` would)."""
    from flwr.clientapp import ClientApp

    from pyppml.fl.flower import pyppml_mod

    def with_node_config(msg, context, call_next):
        context.node_config.update(node_config or {})
        return call_next(msg, context)

    mods = [with_node_config, pyppml_mod] if node_config else [pyppml_mod]
    return ClientApp(client_fn=lambda context: inner.to_client(), mods=mods)


def run_flower(strategy, num_rounds, clients):
    """``clients``: ("app", ClientApp) or ("client", Client) pairs.

    The server binds port 0 (the kernel picks a free port: no reserve-then-rebind race)
    and the clients wait for the port it got, published by a wrapper of Flower's
    ``start_grpc_server`` once the server is bound (an event, no sleep)."""
    from flwr.compat.client.app import start_client_internal
    from flwr.compat.server import app as server_app

    _serialize_ast_parse()
    bound: dict = {}
    ready = threading.Event()
    start_grpc_server = server_app.start_grpc_server

    def publishing_start(*args, **kwargs):
        server = start_grpc_server(*args, **kwargs)
        bound["addr"] = server.bound_address
        ready.set()
        return server

    def client(kind, obj):
        if not ready.wait(timeout=120):
            return  # the server never came up: the test fails on its missing results
        addr = bound["addr"]
        if kind == "app":
            start_client_internal(server_address=addr, node_config={}, load_client_app_fn=lambda *_: obj,
                                  insecure=True, max_wait_time=60)
        else:
            flwr.client.start_client(server_address=addr, client=obj, insecure=True, max_wait_time=60)

    threads = [threading.Thread(target=client, args=c, daemon=True) for c in clients]
    for t in threads:
        t.start()
    with mock.patch.object(server_app, "start_grpc_server", publishing_start):
        flwr.server.start_server(server_address="127.0.0.1:0",
                                 config=flwr.server.ServerConfig(num_rounds=num_rounds, round_timeout=60),
                                 strategy=strategy)
    for t in threads:
        t.join(timeout=30)


def flat(params):
    return np.concatenate([np.asarray(p).ravel() for p in params])


def shifted(parameters, delta):
    """``parameters`` (a list of arrays) moved by the flat vector ``delta``."""
    vec = flat(parameters) + delta
    out, k = [], 0
    for p in parameters:
        out.append(vec[k:k + p.size].reshape(p.shape))
        k += p.size
    return out


class LocalProxy(flwr.server.client_proxy.ClientProxy):
    """A Flower ``Client`` behind a real ``ClientProxy``, in this process (no network), for
    driving a strategy round by round; ``drop_at``: the pyppml step (or "fit" for any
    fit) at which the client stops answering (the call raises, as a lost connection)."""

    def __init__(self, cid, client, drop_at=None):
        super().__init__(str(cid))
        self.client, self.drop_at = client, drop_at

    def fit(self, ins, timeout, group_id):
        if self.drop_at in (ins.config.get("pyppml_step"), "fit"):
            raise ConnectionError(f"client {self.cid} dropped out")
        return self.client.fit(ins)

    def evaluate(self, ins, timeout, group_id):
        return self.client.evaluate(ins)

    def get_properties(self, ins, timeout, group_id):
        return self.client.get_properties(ins)

    def get_parameters(self, ins, timeout, group_id):
        return self.client.get_parameters(ins)

    def reconnect(self, ins, timeout, group_id):
        return flwr.common.DisconnectRes("")


def local_manager(clients, drop_at=None):
    """A Flower ``SimpleClientManager`` holding ``LocalProxy``s of ``clients`` (a dict
    cid -> Client, or a list); ``drop_at``: {cid: step} of clients that drop out."""
    from flwr.server import SimpleClientManager

    items = clients.items() if isinstance(clients, dict) else enumerate(clients)
    mgr = SimpleClientManager()
    for cid, c in items:
        mgr.register(LocalProxy(cid, c, (drop_at or {}).get(str(cid))))
    return mgr


def drive_round(strategy, rnd, mgr):
    """One Flower round without a network, as Flower's ``Server.fit_round`` runs it:
    configure_fit, the clients' fit (failures collected), aggregate_fit; returns its value."""
    from pyppml.fl.flower.secagg import exchange

    ins = strategy.configure_fit(rnd, None, mgr)
    results, failures, _ = exchange(ins, None, rnd)
    return strategy.aggregate_fit(rnd, results, failures)
