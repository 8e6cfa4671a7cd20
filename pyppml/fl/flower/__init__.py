"""The three aggregation protocols inside Flower, with optional distributed DP: one
strategy base and client Mod in :mod:`.common`, a thin strategy and client step per
protocol in :mod:`.secagg`, :mod:`.ckks` and :mod:`.onetime` (whose client step is in
:mod:`.onetime_client`; one Flower round per averaging round each; SecAgg+ runs its
four exchanges inside it), the inner-strategy composition in :mod:`.compose`,
client-side clipping in :mod:`.clipping`, and an in-process ServerApp/ClientApp runner
in :mod:`.inprocess`.

Server side (``flwr.server.strategy.Strategy``):

- :class:`SecAggStrategy`: SecAgg+ rounds (:mod:`.secagg`).
- :class:`CkksStrategy`: clients encrypt under a committee key, the server adds
  ciphertexts, the committee decrypts the sum (trust model in :mod:`pyppml.fl.flower.ckks`).
- :class:`OneTimeCkksStrategy`: clients encrypt under one-time keys whose seeds they seal
  to a committee, which decrypts only the sum (trust model in :mod:`pyppml.fl.flower.onetime`).

Client side (either one serves every strategy; the FitIns config says which):

- :class:`SecAggNumPyClient`: wraps a ``flwr.client.NumPyClient``; its ``fit`` trains
  with the wrapped client and sends the masked (or encrypted), clipped model delta
  instead of the weights.
- :func:`pyppml_mod`: a Flower client Mod, ``ClientApp(client_fn, mods=[pyppml_mod])``;
  it answers the protocol steps itself and calls the wrapped app (``call_next``) only
  for the training step, whose weights it turns into a masked or encrypted delta. Other
  messages (evaluate, train messages without pyppml config) pass through unchanged.

Requires ``flwr`` (``pip install "pyppml[flower]"``; without it importing this package
raises :class:`FlowerMissingError`, a ``ModuleNotFoundError``, saying so); tested with
Flower 1.42 over the gRPC server of ``start_server``, clients through ``start_client``
(NumPyClient wrapper) and through a ``ClientApp`` with the mod, and with a
``ServerApp`` / ``ClientApp`` pair run in process (:func:`run_apps`). Guide:
``docs/flower.md``.

Composition: every strategy wraps an ``inner`` Flower strategy (default ``FedAvg``
without federated evaluation): the secure aggregate replaces the clients' results in the
inner strategy's ``aggregate_fit``, so its server optimizer (FedAdam, FedYogi, FedAvgM),
``on_fit_config_fn``, ``evaluate_fn``, federated evaluation and metrics aggregation keep
working (:mod:`.compose`). One Flower round is one averaging round for every protocol
(SecAgg+ runs its four steps inside it).

DP (``noise_multiplier > 0``): each client clips its delta to L2 norm ``clip`` and adds
its share of the noise (discrete Gaussian on the quantization grid for SecAgg+, on a
power-of-two grid for CKKS), so the sum carries noise of standard deviation
``noise_multiplier * clip``.

Weighting (``weighted=True``, the default of every strategy): FedAvg weighted by the
clients' ``num_examples`` inside the secure sum -- each client sends
``(w * delta, w * clip)`` with ``w = num_examples / max_examples`` in (0, 1], the server
learns only ``sum w delta`` and ``sum w`` and applies their ratio; with DP only
``w * delta`` and the server divides by a public ``denominator``. ``max_examples`` is a
public bound (strategy argument) and a client outside ``1..max_examples`` refuses the
round (a failed FitRes). ``weighted=False``: the plain mean over the survivors. The
clients' FitRes never carry their real ``num_examples`` (always 1). Bounds, precision
and the interplay with DP: :mod:`pyppml.fl.flower.updates`.
"""

from pyppml.fl.flower.requirement import FlowerMissingError, require_flower

require_flower()  # before any submodule imports flwr: name the extra to install

from pyppml.fl.flower.common import (ClientPolicy, ClientState, SecAggNumPyClient, client_fit,  # noqa: E402
                                     pyppml_mod)
from pyppml.fl.flower.compose import INNER_REFUSED, wrap_inner  # noqa: E402
from pyppml.fl.flower.secagg import SecAggStrategy  # noqa: E402
from pyppml.fl.flower.ckks import CkksStrategy  # noqa: E402
from pyppml.fl.flower.onetime import OneTimeCkksStrategy  # noqa: E402
from pyppml.fl.flower.updates import UpdateClippedWarning  # noqa: E402
from pyppml.fl.flower.inprocess import InProcessGrid, run_apps  # noqa: E402

__all__ = ["INNER_REFUSED", "CkksStrategy", "ClientPolicy", "ClientState", "FlowerMissingError", "InProcessGrid",
           "OneTimeCkksStrategy", "SecAggNumPyClient", "SecAggStrategy", "UpdateClippedWarning", "client_fit",
           "pyppml_mod", "require_flower", "run_apps", "wrap_inner"]
