"""SecAgg+ inside Flower: one Flower round is one SecAgg+ averaging round. The strategy's
``configure_fit`` sends the first protocol step (advertise keys); its ``aggregate_fit``
runs the three others (share keys, masked input, unmask) itself, each as one more
``fit`` exchange with the round's clients through their Flower client proxies, in
parallel as Flower's server does, and returns the new model. So ``ServerConfig(num_rounds=R)``
is R averaging rounds, ``evaluate_fn`` and federated evaluation run once per averaging
round and the inner strategy sees round numbers 1..R. Each client gets four fit
messages per round (only the masked-input one carries the model and trains); its
protocol messages ride in the FitIns config (``pyppml_msg``, bytes) and in the FitRes
parameters (one bytes tensor) (:mod:`pyppml.fl.secagg`). The Flower server only ever
sees masked updates.

DP (``noise_multiplier > 0``): each client clips its delta to L2 norm ``clip`` and adds
its share of discrete Gaussian noise on the quantization grid
(:func:`pyppml.fl.dp_fedavg_noise.quantized_noise`), so the sum carries noise of standard
deviation ``noise_multiplier * clip``. Weighting: :mod:`pyppml.fl.flower.updates`.
"""

from __future__ import annotations

import concurrent.futures
import math

import numpy as np
from flwr.common import Code, FitIns, FitRes, Parameters, Status, ndarrays_to_parameters

from pyppml.fl.common.errors import ParameterError, ProtocolError, TooFewSurvivorsError
from pyppml.fl.common.messages import Kind
from pyppml.fl.dp_fedavg import quantized_noise
from pyppml.fl.dp_fedavg_noise import check_noise_shares
from pyppml.fl.flower.common import AveragingStrategy, ClientProtocol, failed_fit, failure_reasons, register
from pyppml.fl.flower.config import MAX_CLIENTS, config_bytes, config_float, config_int
from pyppml.fl.flower.updates import client_update
from pyppml.fl.secagg.client import SecAggClient
from pyppml.fl.secagg.params import SecAggParams, default_neighbours
from pyppml.fl.secagg.quantize import Quantizer, noise_headroom
from pyppml.fl.secagg.server import SecAggServer

SECAGG_MODE = "secagg"
SECAGG_TENSOR_TYPE = "pyppml-secagg"
STEPS = ("advertise", "shares", "masked", "unmask")
_STEP_OF = {Kind.SHARES: "shares", Kind.MASKED: "masked", Kind.UNMASK: "unmask"}  # server step -> client step


def exchange(instructions, timeout: float | None, group_id: int):
    """One protocol step with the round's clients: ``proxy.fit(ins)`` for each
    ``(proxy, ins)`` in parallel (as Flower's server runs a round); returns Flower's
    ``(results, failures)`` -- an exception, or a FitRes whose status is not OK, is a
    failure -- and ``{cid: reason}`` of the clients whose call raised (Flower's failure
    list drops who they were)."""
    results, failures, lost = [], [], {}
    if not instructions:
        return results, failures, lost
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(instructions)) as pool:
        futures = [pool.submit(proxy.fit, ins, timeout, group_id) for proxy, ins in instructions]
        for (proxy, _), fut in zip(instructions, futures):
            try:
                res = fut.result()
            except Exception as err:  # noqa: BLE001 - a client that failed or timed out drops out
                failures.append(err)
                lost[proxy.cid] = f"{type(err).__name__}: {err}"
                continue
            (results if res.status.code == Code.OK else failures).append((proxy, res))
    return results, failures, lost


class SecAggStrategy(AveragingStrategy):
    """Federated averaging of model deltas through SecAgg+ among ``n_clients`` clients,
    one Flower round per averaging round (the protocol's four steps run inside it).

    Parameters
    ----------
    initial_parameters : list of numpy arrays or None
        The initial model (None: the inner strategy's ``initial_parameters``).
    n_clients : int
        Clients per round (the server waits for them).
    clip : float
        Entry bound of each delta (quantization range); with DP also its L2 bound.
        Clients warn when they clip (:class:`pyppml.fl.flower.UpdateClippedWarning`).
    threshold, neighbours : see :class:`SecAggParams`
    noise_multiplier : float
        > 0: each client adds discrete Gaussian noise so the sum carries noise of
        standard deviation noise_multiplier * clip (distributed DP); the accountant
        ``self.accountant`` records each round. With ``weighted=True`` no weight sum is
        sent and the average divides by ``denominator`` (:mod:`pyppml.fl.flower.updates`).
    weighted, max_examples, denominator :
        Weighting, see :class:`pyppml.fl.flower.common.AveragingStrategy`.
    inner : flwr.server.strategy.Strategy, optional
        The Flower strategy wrapped (default ``FedAvg(fraction_evaluate=0.0)``): its fit
        config, server optimizer, evaluation and metrics aggregation apply to the
        unmasked average (:mod:`pyppml.fl.flower.compose`).
    step_timeout : float or None
        Seconds each of the three steps run inside ``aggregate_fit`` waits for a client
        (None: as long as the transport does); a client that does not answer drops out.
        The first step is bounded by Flower's ``ServerConfig(round_timeout=...)``.
    colluders : int
        Clients that may pool their DP noise shares with the server (default 0): the
        accountant counts the noise of the other clients in each sum only. Must stay
        below the fewest clients a sum may hold.

    Attributes
    ----------
    parameters : list of arrays (the global model); ``history``: per round survivors,
    rejected protocol messages, failed clients' messages (``failed``, by index) and,
    weighted without DP, the survivors' total examples (``examples``).
    flower_rounds_per_round : 1 (one Flower round per averaging round).

    Raises
    ------
    ParameterError
        ``weighted`` without a valid ``max_examples``, or one so large that a single
        example's weight is below the quantization step; see also
        :class:`~pyppml.fl.flower.common.AveragingStrategy`.

    Examples
    --------
    >>> import numpy as np
    >>> from flwr.server.strategy import FedAdam
    >>> from flwr.common import ndarrays_to_parameters
    >>> init = [np.zeros(3)]
    >>> s = SecAggStrategy(None, n_clients=4, threshold=3, weighted=False,
    ...                    inner=FedAdam(initial_parameters=ndarrays_to_parameters(init), eta=0.1))
    >>> type(s.inner).__name__, s.flower_rounds_per_round, s.dim
    ('FedAdam', 1, 3)
    """

    def __init__(self, initial_parameters, n_clients: int, clip: float = 1.0, threshold=None, neighbours=None,
                 noise_multiplier: float = 0.0, weighted: bool = True, max_examples: int | None = None,
                 denominator: float | None = None, inner=None, step_timeout: float | None = None,
                 colluders: int = 0):
        super().__init__("SecAggStrategy", initial_parameters, n_clients, clip, noise_multiplier, weighted,
                         max_examples, denominator, inner, colluders)
        self.params = SecAggParams(n_clients, self.vec_dim, threshold, neighbours)
        self.check_colluders("SecAggStrategy", self.params.threshold)
        self.quantizer = Quantizer(clip, n_clients, 32,
                                   noise_headroom=noise_headroom(n_clients, noise_multiplier, self.params.dim))
        check_noise_shares("SecAggStrategy", self.noise_multiplier, self.clip, self.params.dim, self.n_clients,
                           self.quantizer.scale)
        if self.params.dim > self.dim and self.clip * self.quantizer.scale < self.max_examples:
            # The weight entry of a 1-example client, clip / max_examples, would round to 0.
            raise ParameterError(f"SecAggStrategy: max_examples is too large for the 32-bit quantizer; expected <= "
                                 f"{math.floor(self.clip * self.quantizer.scale)} (clip * scale), got "
                                 f"{self.max_examples}")
        if step_timeout is not None and not (math.isfinite(step_timeout) and step_timeout > 0):
            raise ParameterError(f"SecAggStrategy: step_timeout is out of range; expected None or a finite value > 0, "
                                 f"got {step_timeout}")
        self.step_timeout = step_timeout
        self._server = None
        self._failed: dict = {}
        self._agg_round = 0
        self._proxies: dict = {}
        self._user: dict = {}

    def _config(self, step: str, msg: bytes, idx: int) -> dict:
        return {**self._user.get(self._proxies[idx].cid, {}), **self.common_config(), "pyppml_mode": SECAGG_MODE,
                "pyppml_step": step, "pyppml_msg": msg, "pyppml_index": idx, "pyppml_round": self._agg_round,
                "pyppml_params": np.array([self.params.n_clients, self.params.dim, self.params.threshold,
                                           self.params.neighbours], dtype=np.int64).tobytes()}

    def _instructions(self, step: str, outbox: dict) -> list:
        # Only the training step needs the model; the key and unmask steps carry none.
        params = ndarrays_to_parameters(self.parameters if step == "masked" else [])
        return [(self._proxies[i], FitIns(params, self._config(step, m, i))) for i, m in outbox.items()]

    def configure_fit(self, server_round, parameters, client_manager):
        proxies = self.select(client_manager)
        self._proxies = dict(enumerate(proxies))
        self._agg_round = server_round
        self._user = self.round_configs(server_round, proxies)
        self._failed = {}
        try:
            self._server = SecAggServer(self.params, round=self._agg_round)
        except ProtocolError as err:  # no round number left (rounds travel as u32): no round
            self._server = None
            self.history.append({"round": self._agg_round, "survivors": [], "rejected": {}, "failed": {},
                                 "error": str(err)})
            return []
        start = self._server.start()
        return self._instructions("advertise", {i: start for i in self._proxies})

    def _receive(self, step: str, results, failures, lost=None) -> None:
        index = {p.cid: i for i, p in self._proxies.items()}
        if lost is not None:  # exceptions named by client (exchange); Flower's own list does not name them
            failures = [f for f in failures if isinstance(f, tuple)]
        for cid, reason in {**failure_reasons(failures), **(lost or {})}.items():
            self._failed[index.get(cid, cid)] = f"{step}: {reason}"
        for proxy, res in results:
            i = index.get(proxy.cid)
            if i is None or not res.parameters.tensors:
                continue
            try:
                self._server.receive(i, res.parameters.tensors[0])
            except ProtocolError:
                pass  # recorded in the server's rejected

    def aggregate_fit(self, server_round, results, failures):
        """Take the advertise replies, run the share, masked-input and unmask steps with
        the survivors, and hand the unmasked average to the inner strategy."""
        all_failures = list(failures)
        self._receive("advertise", results, failures)
        entry = {"round": self._agg_round, "survivors": [], "rejected": {}, "failed": self._failed}
        self.history.append(entry)
        try:
            while True:
                outbox = self._server.advance()  # TooFewSurvivorsError below the threshold
                step = _STEP_OF[self._server.step]
                results, failures, lost = exchange(self._instructions(step, outbox), self.step_timeout,
                                                   server_round)
                all_failures += failures
                self._receive(step, results, failures, lost)
                if step == "unmask":
                    break
            total = self.quantizer.decode(self._server.finish())
        except (TooFewSurvivorsError, ProtocolError) as err:
            entry["error"] = str(err)
            entry["rejected"] = dict(self._server.rejected)
            return self.keep_model(server_round, {"survivors": 0}, all_failures)
        survivors = sorted(self._server.survivors[Kind.MASKED])
        entry.update(survivors=survivors, rejected=dict(self._server.rejected))
        return self.apply_sum(total, len(survivors), self.params.n_clients, entry, {"survivors": len(survivors)},
                              server_round, all_failures)


def params_field(cfg) -> tuple[int, int, int, int]:
    """The round's (n_clients, dim, threshold, neighbours) from ``pyppml_params`` (32
    bytes, four int64)."""
    blob = config_bytes(cfg, "pyppml_params", 32, exact=32)
    return tuple(np.frombuffer(blob, dtype="<i8").tolist())


def round_settings(cfg) -> dict:
    """What a client fixes at a round's advertise step, where its policy is checked
    against them, and a later step of the round must repeat: the round's parameters
    (whose n_clients splits the noise), the DP and the weighting settings of the config."""
    return {"pyppml_params": params_field(cfg), "pyppml_clip": config_float(cfg, "pyppml_clip"),
            "pyppml_noise": config_float(cfg, "pyppml_noise"),
            "pyppml_weighted": bool(cfg.get("pyppml_weighted", False)),
            "pyppml_max_examples": cfg.get("pyppml_max_examples")}


class _SecAggState:
    """A client's live SecAgg+ round across its four exchanges (its X25519 secret keys
    stay here, never in a Flower record), the settings fixed at its advertise step and
    the last round it took part in."""

    def __init__(self):
        self.secagg: SecAggClient | None = None
        self.settings: dict | None = None
        self.last_round = 0


def _fail(err: Exception) -> FitRes:
    return failed_fit(err, SECAGG_TENSOR_TYPE)


def check_server_params(params: SecAggParams) -> SecAggParams:
    """What a client accepts from the server's config before it shares anything, beyond
    the honest-majority threshold that ``SecAggParams`` enforces (the server cannot send
    ``insecure_threshold``): at most ``MAX_CLIENTS`` (2^20) clients, whose neighbour
    graph the client builds, and a neighbourhood of at least ``default_neighbours(n)``
    (the complete graph up to 64 clients)."""
    if params.n_clients > MAX_CLIENTS:
        raise ParameterError(f"pyppml flower client: n_clients is too large; expected <= {MAX_CLIENTS} (the client "
                             f"builds the graph over all clients), got {params.n_clients}")
    k = params.neighbours
    if k < default_neighbours(params.n_clients):
        raise ParameterError(f"pyppml flower client: neighbours is below the default graph; expected >= "
                             f"{default_neighbours(params.n_clients)} for {params.n_clients} clients, got {k}")
    return params


def _check_same_settings(live: _SecAggState, cfg, step: str) -> None:
    """Refuse, and end the round, when a later step's config changes what the advertise
    step fixed: the policy was checked there, and the noise is split over that n_clients."""
    got = round_settings(cfg)
    for name, fixed in live.settings.items():
        if got[name] != fixed:
            live.secagg = None
            raise ProtocolError(f"pyppml flower client: {name} of the {step} step differs from the advertise step's; "
                                f"expected {fixed!r}, got {got[name]!r}")


def secagg_client_fit(state, cfg, glob: list[np.ndarray], train) -> FitRes:
    """A client's answer to one SecAgg+ step (:class:`pyppml.fl.flower.common.ClientProtocol`):
    keys, shares, the masked (clipped, weighted, noised, quantized) delta, or unmasking.
    The round's parameters and its DP and weighting settings (:func:`round_settings`)
    are fixed at the advertise step; a later step whose config differs is refused and
    ends the round."""
    live = state.live.setdefault(SECAGG_MODE, _SecAggState())
    try:
        step = str(cfg["pyppml_step"])
        if step == "advertise":
            settings = round_settings(cfg)
            n, dim, t, k = settings["pyppml_params"]
            params = check_server_params(SecAggParams(n, dim, t, k))
            client = SecAggClient(config_int(cfg, "pyppml_index", 0, n - 1), params, last_round=live.last_round)
            reply = client.advertise(config_bytes(cfg, "pyppml_msg", _max_message(params)))
            live.secagg, live.settings, live.last_round = client, settings, client.round
        elif live.secagg is None:
            raise ProtocolError(f"pyppml flower client: {step} step without a round in progress")
        else:
            _check_same_settings(live, cfg, step)
            params = live.secagg.params
            msg = config_bytes(cfg, "pyppml_msg", _max_message(params))
            if step == "shares":
                reply = live.secagg.share_keys(msg)
            elif step == "masked":
                vec = client_update(cfg, glob, *train(glob), params.dim, state.clip_reports)
                clip, nm = live.settings["pyppml_clip"], live.settings["pyppml_noise"]
                q = Quantizer(clip, params.n_clients, 32, noise_headroom=noise_headroom(params.n_clients, nm, params.dim))
                noise = None
                if nm > 0:
                    # Integer noise added to the quantized w * delta (not scaled by w): the
                    # numerator's sensitivity is <= clip (+ the rounding, counted in the
                    # variance), the unweighted calibration holds.
                    noise = quantized_noise(nm, clip, q.scale, vec.size, params.n_clients)
                reply = live.secagg.masked_input(msg, q.encode(vec, noise))
            elif step == "unmask":
                reply = live.secagg.unmask(msg)
                live.secagg = None  # the round's keys are no longer needed
            else:
                raise ProtocolError(f"pyppml flower client: unknown step {step[:40]!r}")
    except (KeyError, TypeError) as err:
        return _fail(ProtocolError(f"pyppml flower client: bad round config; {err!r}"))
    except (ProtocolError, ValueError, TooFewSurvivorsError) as err:
        # TooFewSurvivorsError: too few of this client's neighbours are left (an honest
        # server goes on while the round as a whole has enough); it drops out.
        return _fail(err)
    return FitRes(Status(Code.OK, ""), Parameters([reply], SECAGG_TENSOR_TYPE), 1, {})


def _max_message(params: SecAggParams) -> int:
    """Most bytes of a server message of a round: KEYS, the largest, carries 68 bytes
    (with a signature 132) per member of a closed neighbourhood."""
    return 4096 + 256 * (params.neighbours + 1)


register(ClientProtocol(SECAGG_MODE, SECAGG_TENSOR_TYPE, lambda cfg: params_field(cfg)[0], secagg_client_fit,
                        # the threshold: the server may unmask a sum of that many survivors
                        lambda cfg: params_field(cfg)[2]))

__all__ = ["SecAggStrategy", "secagg_client_fit"]
