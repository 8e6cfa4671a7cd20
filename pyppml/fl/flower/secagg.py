"""SecAgg+ inside Flower: a Flower round of federated averaging becomes four Flower
server rounds, one per protocol step (advertise keys, share keys, masked input, unmask);
the protocol messages of :mod:`pyppml.fl.secagg` ride in the FitIns config
(``pyppml_msg``, bytes) and in the FitRes parameters (one bytes tensor). The Flower
server only ever sees masked updates.

DP (``noise_multiplier > 0``): each client clips its delta to L2 norm ``clip`` and adds
its share of discrete Gaussian noise on the quantization grid
(:func:`pyppml.fl.dp_fedavg.quantized_noise`), so the sum carries noise of standard
deviation ``noise_multiplier * clip``. Weighting: :mod:`pyppml.fl.flower.updates`.
"""

from __future__ import annotations

import math

import numpy as np
from flwr.common import Code, FitIns, FitRes, Parameters, Status, ndarrays_to_parameters

from pyppml.fl.common.errors import ParameterError, ProtocolError
from pyppml.fl.common.messages import Kind
from pyppml.fl.dp_fedavg import quantized_noise
from pyppml.fl.flower.common import AveragingStrategy, ClientProtocol, failed_fit, failure_reasons, register
from pyppml.fl.flower.updates import client_update
from pyppml.fl.secagg.client import SecAggClient
from pyppml.fl.secagg.params import SecAggParams, default_neighbours
from pyppml.fl.secagg.quantize import Quantizer
from pyppml.fl.secagg.server import SecAggServer

SECAGG_MODE = "secagg"
SECAGG_TENSOR_TYPE = "pyppml-secagg"
STEPS = ("advertise", "shares", "masked", "unmask")


class SecAggStrategy(AveragingStrategy):
    """Federated averaging of model deltas through SecAgg+ among ``n_clients`` clients.

    Parameters
    ----------
    initial_parameters : list of numpy arrays
    n_clients : int
        Clients per round (the server waits for them).
    clip : float
        Entry bound of each delta (quantization range); with DP also its L2 bound.
    threshold, neighbours : see :class:`SecAggParams`
    noise_multiplier : float
        > 0: each client adds discrete Gaussian noise so the sum carries noise of
        standard deviation noise_multiplier * clip (distributed DP); the accountant
        ``self.accountant`` records each round. With ``weighted=True`` no weight sum is
        sent and the average divides by ``denominator`` (:mod:`pyppml.fl.flower.updates`).
    weighted, max_examples, denominator :
        Weighting, see :class:`pyppml.fl.flower.common.AveragingStrategy`.

    Attributes
    ----------
    parameters : list of arrays (the global model); ``history``: per round survivors,
    rejected protocol messages, failed clients' messages (``failed``, by index) and,
    weighted without DP, the survivors' total examples (``examples``).

    Raises
    ------
    ParameterError
        ``weighted`` without a valid ``max_examples``, or one so large that a single
        example's weight is below the quantization step.
    """

    def __init__(self, initial_parameters, n_clients: int, clip: float = 1.0, threshold=None, neighbours=None,
                 noise_multiplier: float = 0.0, weighted: bool = True, max_examples: int | None = None,
                 denominator: float | None = None):
        super().__init__("SecAggStrategy", initial_parameters, n_clients, clip, noise_multiplier, weighted,
                         max_examples, denominator)
        self.params = SecAggParams(n_clients, self.vec_dim, threshold, neighbours)
        self.quantizer = Quantizer(clip, n_clients, 32, noise_headroom=0.5 if noise_multiplier > 0 else 0.0)
        if self.params.dim > self.dim and self.clip * self.quantizer.scale < self.max_examples:
            # The weight entry of a 1-example client, clip / max_examples, would round to 0.
            raise ParameterError(f"SecAggStrategy: max_examples is too large for the 32-bit quantizer; expected <= "
                                 f"{math.floor(self.clip * self.quantizer.scale)} (clip * scale), got "
                                 f"{self.max_examples}")
        self._server = None
        self._failed: dict = {}
        self._agg_round = 0

    def _config(self, step: str, msg: bytes, idx: int) -> dict:
        return {**self.common_config(), "pyppml_mode": SECAGG_MODE, "pyppml_step": step, "pyppml_msg": msg,
                "pyppml_index": idx, "pyppml_round": self._agg_round,
                "pyppml_params": np.array([self.params.n_clients, self.params.dim, self.params.threshold,
                                           self.params.neighbours], dtype=np.int64).tobytes()}

    def configure_fit(self, server_round, parameters, client_manager):
        step = STEPS[(server_round - 1) % 4]
        if step == "advertise":
            self._proxies = dict(enumerate(self.select(client_manager)))
            self._agg_round += 1
            self._server = SecAggServer(self.params, round=self._agg_round)
            self._failed = {}
            start = self._server.start()
            outbox = {i: start for i in self._proxies}
        else:
            outbox = self._server.advance()
        params = ndarrays_to_parameters(self.parameters)
        return [(self._proxies[i], FitIns(params, self._config(step, m, i))) for i, m in outbox.items()]

    def aggregate_fit(self, server_round, results, failures):
        step = STEPS[(server_round - 1) % 4]
        index = {p.cid: i for i, p in self._proxies.items()}
        for cid, reason in failure_reasons(failures).items():
            self._failed[index.get(cid, cid)] = f"{step}: {reason}"
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
        entry = {"round": self._agg_round, "survivors": survivors, "rejected": dict(self._server.rejected),
                 "failed": dict(self._failed)}
        self.history.append(entry)
        return self.apply_sum(total, len(survivors), self.params.n_clients, entry, {"survivors": len(survivors)})


class _SecAggState:
    """A client's live SecAgg+ round across its four Flower rounds (its X25519 secret keys
    stay here, never in a Flower record) and the last round it took part in."""

    def __init__(self):
        self.secagg: SecAggClient | None = None
        self.params: SecAggParams | None = None
        self.last_round = 0


def _fail(err: Exception) -> FitRes:
    return failed_fit(err, SECAGG_TENSOR_TYPE)


def check_server_params(params: SecAggParams) -> SecAggParams:
    """What a client accepts from the server's config before it shares anything: the
    honest-majority threshold floor((k + 1) / 2) + 1 at least (below it the server and a
    minority of a neighbourhood rebuild both of a client's secrets) and a neighbourhood of
    at least ``default_neighbours(n)`` (the complete graph up to 64 clients)."""
    k, t = params.neighbours, params.threshold
    if t < (k + 1) // 2 + 1:
        raise ParameterError(f"pyppml flower client: threshold is below the honest majority; expected >= "
                             f"{(k + 1) // 2 + 1} for {k} neighbours, got {t}")
    if k < default_neighbours(params.n_clients):
        raise ParameterError(f"pyppml flower client: neighbours is below the default graph; expected >= "
                             f"{default_neighbours(params.n_clients)} for {params.n_clients} clients, got {k}")
    return params


def secagg_client_fit(state, cfg, glob: list[np.ndarray], train) -> FitRes:
    """A client's answer to one SecAgg+ step (:class:`pyppml.fl.flower.common.ClientProtocol`):
    keys, shares, the masked (clipped, weighted, noised, quantized) delta, or unmasking."""
    live = state.live.setdefault(SECAGG_MODE, _SecAggState())
    try:
        step, msg = str(cfg["pyppml_step"]), bytes(cfg["pyppml_msg"])
        if step == "advertise":
            n, dim, t, k = np.frombuffer(bytes(cfg["pyppml_params"]), dtype=np.int64).tolist()
            live.params = check_server_params(SecAggParams(n, dim, t, k))
            live.secagg = SecAggClient(int(cfg["pyppml_index"]), live.params, last_round=live.last_round)
            reply = live.secagg.advertise(msg)
            live.last_round = live.secagg.round
        elif live.secagg is None:
            raise ProtocolError(f"pyppml flower client: {step} step without a round in progress")
        elif step == "shares":
            reply = live.secagg.share_keys(msg)
        elif step == "masked":
            vec = client_update(cfg, glob, *train(glob), live.params.dim)
            clip, nm = float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"])
            q = Quantizer(clip, live.params.n_clients, 32, noise_headroom=0.5 if nm > 0 else 0.0)
            noise = None
            if nm > 0:
                # Integer noise added to the quantized w * delta (not scaled by w): the
                # numerator's sensitivity is <= clip (+ the rounding, counted in the
                # variance), the unweighted calibration holds.
                noise = quantized_noise(nm, clip, q.scale, vec.size, live.params.n_clients)
            reply = live.secagg.masked_input(msg, q.encode(vec, noise))
        elif step == "unmask":
            reply = live.secagg.unmask(msg)
            live.secagg = None  # the round's keys are no longer needed
        else:
            raise ProtocolError(f"pyppml flower client: unknown step {step[:40]!r}")
    except (KeyError, TypeError) as err:
        return _fail(ProtocolError(f"pyppml flower client: bad round config; {err!r}"))
    except (ProtocolError, ValueError) as err:
        return _fail(err)
    return FitRes(Status(Code.OK, ""), Parameters([reply], SECAGG_TENSOR_TYPE), 1, {})


register(ClientProtocol(SECAGG_MODE, SECAGG_TENSOR_TYPE,
                        lambda cfg: int(np.frombuffer(bytes(cfg["pyppml_params"]), dtype=np.int64)[0]),
                        secagg_client_fit))

__all__ = ["SecAggStrategy", "secagg_client_fit"]
