"""A real Flower run on loopback for the tests: Flower's gRPC server in the main thread
(it installs signal handlers), one thread per client, clients either a ``ClientApp``
(with pyppml's Mod) or a ``Client``."""

import ast
import threading
import time

import flwr
import numpy as np

from pyppml.mpc import free_ports


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


def mod_app(inner):
    """``inner`` (a NumPyClient) behind a ClientApp with :func:`pyppml_mod`."""
    from flwr.clientapp import ClientApp

    from pyppml.fl.flower import pyppml_mod

    return ClientApp(client_fn=lambda context: inner.to_client(), mods=[pyppml_mod])


def run_flower(strategy, num_rounds, clients):
    """``clients``: ("app", ClientApp) or ("client", Client) pairs."""
    from flwr.compat.client.app import start_client_internal

    _serialize_ast_parse()
    addr = f"127.0.0.1:{free_ports(1)[0]}"

    def client(kind, obj):
        time.sleep(2.0)  # the server comes up in the main thread meanwhile
        if kind == "app":
            start_client_internal(server_address=addr, node_config={}, load_client_app_fn=lambda *_: obj,
                                  insecure=True, max_wait_time=60)
        else:
            flwr.client.start_client(server_address=addr, client=obj, insecure=True, max_wait_time=60)

    threads = [threading.Thread(target=client, args=c, daemon=True) for c in clients]
    for t in threads:
        t.start()
    flwr.server.start_server(server_address=addr,
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
