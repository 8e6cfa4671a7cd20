"""How a pyppml strategy wraps an inner Flower strategy (FedAvg, FedProx, FedAdam, ...).

The inner strategy keeps everything but the averaging of client updates:

- ``configure_fit``: it is asked for the round's fit config (``on_fit_config_fn``,
  FedProx's ``proximal_mu``, ...) over the clients pyppml selected
  (:class:`SelectedClients`); the config rides next to pyppml's protocol keys and reaches
  the client's training code (keys starting with ``pyppml_`` are reserved).
- ``aggregate_fit``: pyppml computes what the inner strategy would average -- the
  (num_examples-weighted, or plain) mean of the clients' parameters, i.e. the global
  model plus the mean delta -- inside the secure sum, and hands the inner strategy ONE
  synthetic result (:func:`aggregate_with_inner`): a ``FitRes`` carrying that mean, the
  total example count where it is released (else the number of clients summed) and
  pyppml's round metrics, from the stand-in client :data:`AGGREGATE`. FedAvg returns it
  unchanged; FedAdam / FedYogi / FedAdagrad / FedAvgM apply their server optimizer to
  it; ``fit_metrics_aggregation_fn`` sees ``[(examples, pyppml metrics)]``. The
  clients' failures are passed on as Flower reports them (``accept_failures=False``
  keeps the model when any client failed).
- ``evaluate`` (centralised ``evaluate_fn``), ``configure_evaluate`` and
  ``aggregate_evaluate`` (federated evaluation) are the inner strategy's.

What the inner strategy never sees: a single client's update, its num_examples or its
fit metrics (they stay on the client). Strategies that need them are refused
(:data:`INNER_REFUSED`): robust aggregation (Krum, Bulyan, FedMedian, FedTrimmedAvg),
q-FedAvg (per-client losses), FaultTolerantFedAvg (completion rate over per-client
results), the XGBoost strategies and FedAvgAndroid (other update formats), and Flower's
DP wrappers (they clip or noise per-client updates; use the pyppml strategy's
``noise_multiplier``, distributed DP inside the secure sum).

Federated evaluation is plain Flower: each evaluating client sends its loss,
num_examples and metrics in the clear (no secure aggregation). The default inner
strategy therefore does none: ``FedAvg(fraction_evaluate=0.0)``.
"""

from __future__ import annotations

import numpy as np
from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server import strategy as flwr_strategies
from flwr.server.client_manager import ClientManager
from flwr.server.client_proxy import ClientProxy
from flwr.server.strategy import FedAvg, Strategy

from pyppml.fl.common.errors import ParameterError

# Flower strategies that need each client's own result (by class name; those missing
# from the installed Flower are skipped), and why.
INNER_REFUSED = {
    "Krum": "robust aggregation over single updates",
    "Bulyan": "robust aggregation over single updates",
    "FedMedian": "a coordinate-wise median of single updates",
    "FedTrimmedAvg": "a trimmed mean of single updates",
    "QFedAvg": "per-client losses and updates",
    "FaultTolerantFedAvg": "a completion rate over per-client results",
    "FedXgbBagging": "per-client XGBoost trees",
    "FedXgbCyclic": "per-client XGBoost trees",
    "FedXgbNnAvg": "per-client XGBoost trees",
    "FedAvgAndroid": "per-client updates in its own byte format",
    "DPFedAvgFixed": "per-client clipping; use noise_multiplier= (distributed DP in the secure sum)",
    "DPFedAvgAdaptive": "per-client clipping; use noise_multiplier= (distributed DP in the secure sum)",
    "DifferentialPrivacyServerSideFixedClipping": "per-client clipping; use noise_multiplier=",
    "DifferentialPrivacyServerSideAdaptiveClipping": "per-client clipping; use noise_multiplier=",
    "DifferentialPrivacyClientSideFixedClipping": "its own noise and clipping mods; use noise_multiplier=",
    "DifferentialPrivacyClientSideAdaptiveClipping": "its own noise and clipping mods; use noise_multiplier=",
}


def default_inner() -> Strategy:
    """The inner strategy when none is given: FedAvg (the identity on the secure mean),
    without federated evaluation (its results travel in the clear)."""
    return FedAvg(fraction_evaluate=0.0)


def wrap_inner(api: str, inner) -> Strategy:
    """The inner strategy a pyppml strategy wraps: ``inner``, checked, or
    :func:`default_inner`.

    Raises
    ------
    ParameterError
        ``inner`` is not a ``flwr.server.strategy.Strategy``, or needs per-client results
        (:data:`INNER_REFUSED`, the reason in the message).

    Examples
    --------
    >>> type(wrap_inner("demo", None)).__name__
    'FedAvg'
    >>> try:
    ...     wrap_inner("demo", flwr_strategies.Krum())
    ... except ValueError as err:
    ...     print(str(err).split(";")[0])
    demo: inner needs every client's own update (Krum: robust aggregation over single updates)
    """
    if inner is None:
        return default_inner()
    if not isinstance(inner, Strategy):
        raise ParameterError(f"{api}: inner has the wrong type; expected a flwr.server.strategy.Strategy (FedAvg, "
                             f"FedProx, FedAdam, ...), got {type(inner).__name__}")
    for name, why in INNER_REFUSED.items():
        cls = getattr(flwr_strategies, name, None)
        if cls is not None and isinstance(inner, cls):
            raise ParameterError(f"{api}: inner needs every client's own update ({name}: {why}); expected a "
                                 f"strategy that averages (FedAvg, FedProx, FedAdam, FedYogi, FedAdagrad, FedAvgM): "
                                 f"the inner strategy sees only the secure aggregate, got {type(inner).__name__}")
    return inner


def inner_initial_parameters(inner: Strategy) -> list[np.ndarray] | None:
    """The initial model the inner strategy holds (FedAvg's ``initial_parameters``;
    FedAdam / FedYogi / FedAdagrad / FedAvgM need one), or None."""
    params = getattr(inner, "initial_parameters", None)
    return None if params is None else parameters_to_ndarrays(params)


class SelectedClients(ClientManager):
    """The clients pyppml selected for a round, as a client manager for the inner
    strategy's ``configure_fit`` (which then samples among exactly these): the secure
    sum is planned for this set, so the inner strategy configures it but cannot change it."""

    def __init__(self, proxies):
        self._proxies = {p.cid: p for p in proxies}

    def num_available(self) -> int:
        return len(self._proxies)

    def register(self, client: ClientProxy) -> bool:
        return False  # the set is fixed for the round

    def unregister(self, client: ClientProxy) -> None:
        self._proxies.pop(client.cid, None)

    def all(self) -> dict[str, ClientProxy]:
        return dict(self._proxies)

    def wait_for(self, num_clients: int, timeout: int = 86400) -> bool:
        return len(self._proxies) >= num_clients

    def sample(self, num_clients: int, min_num_clients=None, criterion=None) -> list[ClientProxy]:
        return list(self._proxies.values())


class _Aggregate(ClientProxy):
    """The stand-in client of the synthetic result: the secure aggregate is not a client,
    so every call to it fails loudly (an inner strategy that tries to talk to its results'
    senders needs per-client results, see :data:`INNER_REFUSED`)."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError("pyppml: the secure aggregate is not a client; an inner strategy can read its FitRes "
                           "only (it needs per-client results otherwise)")

    get_properties = get_parameters = fit = evaluate = reconnect = _refuse


AGGREGATE = _Aggregate("pyppml-secure-aggregate")


def inner_fit_configs(inner: Strategy, server_round: int, arrays, proxies) -> dict[str, dict]:
    """The inner strategy's fit config for each selected client (by cid), from its
    ``configure_fit`` over :class:`SelectedClients`; a client it did not configure gets
    the first config it gave (FedAvg and its kin give all the same).

    Raises
    ------
    ParameterError
        A config key starting with ``pyppml_`` (reserved for the protocol).
    """
    out = inner.configure_fit(server_round, ndarrays_to_parameters(arrays), SelectedClients(proxies)) or []
    configs = {proxy.cid: dict(ins.config) for proxy, ins in out}
    first = next(iter(configs.values()), {})
    clash = sorted(k for cfg in configs.values() for k in cfg if str(k).startswith("pyppml_"))
    if clash:
        raise ParameterError(f"pyppml strategy: the inner strategy's fit config uses a reserved key; expected no key "
                             f"starting with pyppml_, got {clash[:4]}")
    return {p.cid: configs.get(p.cid, first) for p in proxies}


def aggregate_with_inner(inner: Strategy, server_round: int, arrays, num_examples, metrics: dict, failures):
    """Hand the secure mean ``arrays`` (the model the clients' average gives, or None
    when the round produced no aggregate) to ``inner.aggregate_fit`` as one synthetic
    result; returns ``(arrays or None, inner's metrics)``, None when the inner strategy
    keeps the model."""
    results = []
    if arrays is not None:
        res = FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), max(1, round(float(num_examples))),
                     dict(metrics))
        results = [(AGGREGATE, res)]
    params, inner_metrics = inner.aggregate_fit(server_round, results, list(failures))
    return (None if params is None else parameters_to_ndarrays(params)), dict(inner_metrics or {})


__all__ = ["AGGREGATE", "INNER_REFUSED", "SelectedClients", "aggregate_with_inner", "default_inner",
           "inner_fit_configs", "inner_initial_parameters", "wrap_inner"]
