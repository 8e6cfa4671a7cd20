"""Secure aggregation (SecAgg+), with optional distributed DP, inside Flower.

A Flower round of federated averaging becomes four Flower server rounds, one per
protocol step (advertise keys, share keys, masked input, unmask); the protocol messages
of :mod:`pyppml.fl` ride in the FitIns config (``pyppml_msg``, bytes) and in the FitRes
parameters (one bytes tensor). The Flower server only ever sees masked updates.

- :class:`SecAggStrategy`: a ``flwr.server.strategy.Strategy`` running the server side.
- :class:`SecAggNumPyClient`: wraps a ``flwr.client.NumPyClient``; its ``fit`` trains
  with the wrapped client in the masked-input step and sends the masked, clipped and
  quantized model delta instead of the weights.

Requires ``flwr`` (``pip install pyppml[flower]``); tested with Flower 1.42's
``start_server`` / ``start_client`` (gRPC).
"""

from __future__ import annotations

import numpy as np
from flwr.client import Client, NumPyClient
from flwr.common import (Code, EvaluateIns, EvaluateRes, FitIns, FitRes, GetParametersIns, GetParametersRes,
                         Parameters, Status, ndarrays_to_parameters, parameters_to_ndarrays)
from flwr.server.strategy import Strategy

from pyppml.dp import PrivacyAccountant, discrete_gaussian
from pyppml.fl.errors import ProtocolError
from pyppml.fl.messages import Kind
from pyppml.fl.params import SecAggParams
from pyppml.fl.quantize import Quantizer
from pyppml.fl.secagg_client import SecAggClient
from pyppml.fl.secagg_server import SecAggServer

STEPS = ("advertise", "shares", "masked", "unmask")


def _flatten(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _unflatten(vec: np.ndarray, like) -> list[np.ndarray]:
    out, k = [], 0
    for a in like:
        out.append(vec[k:k + a.size].reshape(a.shape).astype(a.dtype))
        k += a.size
    return out


class SecAggStrategy(Strategy):
    """Federated averaging of model deltas through SecAgg+ among ``n_clients`` clients.

    Parameters
    ----------
    initial_parameters : list of numpy arrays
    n_clients : int
        Clients per round (the server waits for them).
    clip : float
        Entry bound of each delta (quantization range).
    threshold, neighbours : see :class:`SecAggParams`
    noise_multiplier : float
        > 0: each client adds discrete Gaussian noise so the sum carries noise of
        standard deviation noise_multiplier * clip (distributed DP); the accountant
        ``self.accountant`` records each round.

    Attributes
    ----------
    parameters : list of arrays (the global model); ``history``: per round survivors.
    """

    def __init__(self, initial_parameters, n_clients: int, clip: float = 1.0, threshold=None, neighbours=None,
                 noise_multiplier: float = 0.0):
        self.parameters = [np.asarray(a) for a in initial_parameters]
        self.dim = int(sum(a.size for a in self.parameters))
        self.params = SecAggParams(n_clients, self.dim, threshold, neighbours)
        self.clip = float(clip)
        self.noise_multiplier = float(noise_multiplier)
        self.accountant = PrivacyAccountant() if noise_multiplier > 0 else None
        self.quantizer = Quantizer(clip, n_clients, 32, noise_headroom=0.5 if noise_multiplier > 0 else 0.0)
        self.history: list[dict] = []
        self._server = None
        self._cids: dict[str, int] = {}
        self._agg_round = 0

    def initialize_parameters(self, client_manager):
        return ndarrays_to_parameters(self.parameters)

    def _config(self, step: str, msg: bytes, idx: int) -> dict:
        return {"pyppml_step": step, "pyppml_msg": msg, "pyppml_index": idx, "pyppml_round": self._agg_round,
                "pyppml_noise": self.noise_multiplier, "pyppml_clip": self.clip,
                "pyppml_params": np.array([self.params.n_clients, self.dim, self.params.threshold,
                                           self.params.neighbours], dtype=np.int64).tobytes()}

    def configure_fit(self, server_round, parameters, client_manager):
        step = STEPS[(server_round - 1) % 4]
        if step == "advertise":
            client_manager.wait_for(self.params.n_clients, timeout=60)
            proxies = sorted(client_manager.all().values(), key=lambda c: c.cid)[: self.params.n_clients]
            self._proxies = {i: p for i, p in enumerate(proxies)}
            self._agg_round += 1
            self._server = SecAggServer(self.params, round=self._agg_round)
            start = self._server.start()
            outbox = {i: start for i in self._proxies}
        else:
            outbox = self._server.advance()
        params = ndarrays_to_parameters(self.parameters)
        return [(self._proxies[i], FitIns(params, self._config(step, m, i))) for i, m in outbox.items()]

    def aggregate_fit(self, server_round, results, failures):
        step = STEPS[(server_round - 1) % 4]
        index = {p.cid: i for i, p in self._proxies.items()}
        for proxy, res in results:
            i = index.get(proxy.cid)
            if i is None or not res.parameters.tensors:
                continue
            try:
                self._server.receive(i, res.parameters.tensors[0])
            except ProtocolError:
                pass
        if step != "unmask":
            return ndarrays_to_parameters(self.parameters), {}
        total = self.quantizer.decode(self._server.finish())
        survivors = sorted(self._server.survivors[Kind.MASKED])
        delta = total / len(survivors)
        self.parameters = _unflatten(_flatten(self.parameters) + delta, self.parameters)
        if self.accountant is not None:
            self.accountant.step(self.noise_multiplier * np.sqrt(len(survivors) / self.params.n_clients), 1.0, 1)
        self.history.append({"round": self._agg_round, "survivors": survivors,
                             "rejected": dict(self._server.rejected)})
        return ndarrays_to_parameters(self.parameters), {"survivors": len(survivors)}

    def configure_evaluate(self, server_round, parameters, client_manager):
        return []

    def aggregate_evaluate(self, server_round, results, failures):
        return None, {}

    def evaluate(self, server_round, parameters):
        return None


class SecAggNumPyClient(Client):
    """A Flower client that takes part in SecAgg+ rounds on behalf of ``inner`` (a
    ``NumPyClient`` whose ``fit`` trains locally). Sends only protocol messages."""

    def __init__(self, inner: NumPyClient):
        self.inner = inner
        self._client = None
        self._last_round = 0

    def get_parameters(self, ins: GetParametersIns) -> GetParametersRes:
        return GetParametersRes(Status(Code.OK, ""), ndarrays_to_parameters(self.inner.get_parameters({})))

    def fit(self, ins: FitIns) -> FitRes:
        cfg = ins.config
        step, msg = str(cfg["pyppml_step"]), bytes(cfg["pyppml_msg"])
        try:
            if step == "advertise":
                n, dim, t, k = np.frombuffer(bytes(cfg["pyppml_params"]), dtype=np.int64).tolist()
                self.params = SecAggParams(n, dim, t, k)
                self._client = SecAggClient(int(cfg["pyppml_index"]), self.params, last_round=self._last_round)
                reply = self._client.advertise(msg)
                self._last_round = self._client.round
            elif step == "shares":
                reply = self._client.share_keys(msg)
            elif step == "masked":
                glob = parameters_to_ndarrays(ins.parameters)
                new, _, _ = self.inner.fit(glob, {})
                delta = _flatten(new) - _flatten(glob)
                if delta.size != self.params.dim or not np.all(np.isfinite(delta)):
                    raise ValueError("SecAggNumPyClient: local update has the wrong size or is not finite")
                clip, nm = float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"])
                q = Quantizer(clip, self.params.n_clients, 32, noise_headroom=0.5 if nm > 0 else 0.0)
                noise = None
                if nm > 0:
                    sigma = max(1, round(nm * clip * q.scale / np.sqrt(self.params.n_clients)))
                    noise = discrete_gaussian(sigma, delta.size)
                reply = self._client.masked_input(msg, q.encode(delta, noise))
            else:
                reply = self._client.unmask(msg)
        except (ProtocolError, ValueError) as err:
            return FitRes(Status(Code.FIT_NOT_IMPLEMENTED, str(err)), Parameters([], "pyppml-secagg"), 0, {})
        return FitRes(Status(Code.OK, ""), Parameters([reply], "pyppml-secagg"), 1, {})

    def evaluate(self, ins: EvaluateIns) -> EvaluateRes:
        return EvaluateRes(Status(Code.OK, ""), 0.0, 0, {})
