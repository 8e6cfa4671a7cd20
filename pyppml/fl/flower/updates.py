"""What a client does to its model delta before the secure sum, and how the server
turns the sum into an average: model vectors, clipping, the num_examples weighting inside
the secure sum, the client's DP noise share on the CKKS paths, and the weighted average.

Weighted federated averaging (``weighted=True``, both strategies)
-----------------------------------------------------------------
Like Flower's FedAvg, the new model is ``glob + sum_i n_i delta_i / sum_i n_i`` with
``n_i`` the clients' ``num_examples``, but the server learns neither an ``n_i`` nor a
``delta_i``. Each client computes its weight ``w_i = n_i / max_examples`` (``max_examples``:
a public bound, a strategy argument sent in the config; a client with ``n_i`` outside
``1..max_examples`` refuses the round with a failed FitRes instead of clipping its
weight) and sends, through SecAgg+ or CKKS, the vector of ``dim + 1`` entries::

    (w_i * d_i, w_i * clip)        d_i: the clipped delta (as without weighting)

The server only obtains the sums ``S = sum_i w_i d_i`` and ``clip * W`` with
``W = sum_i w_i``, and moves the model by ``S / W`` (the max_examples cancel out).

Why this normalisation: ``w_i`` is in ``(0, 1]``, so every entry of the vector, the extra
one included, stays in ``[-clip, clip]`` -- the range the SecAgg+ quantizer (``n_clients``
updates of entries ``|x| <= clip``, no wrap-around) and the CKKS committee
(``max_abs_value >= clip``) are sized for -- and ``||w_i d_i||_2 <= w_i clip <= clip``, so the
DP sensitivity is unchanged. Sending the raw ``n_i`` instead would multiply these bounds
by ``max_examples``. The extra entry is ``w_i * clip`` rather than ``w_i`` so that it is in
the same range as the others for any ``clip`` (the quantizer clips entries to ``clip``).
The price: the aggregation error (quantization, CKKS decoding) is absolute on ``S`` and
``clip * W``, so the error of the average grows like ``1 / W``; keep ``max_examples`` a
tight bound (``W`` is the survivors' total examples divided by ``max_examples``). Per
entry, with ``e`` the error bound of a decoded sum (SecAgg+: ``n_clients / (2 scale)``,
scale about ``2^31 (1 - headroom) / (n_clients clip)``; CKKS: ``2^-precision_bits`` of the
committee), the average is within about ``e (1 + |average| / clip) / W``.

What the server learns beyond the unweighted protocol (without DP): ``W``, i.e. the
survivors' total number of examples (exactly). Individual counts stay hidden as far as
the secure sum hides them, but an adversary knowing all but one survivor's count, or
comparing rounds whose survivor sets differ by one client, learns that client's count.
The client's refusal message does not include its ``num_examples``.

Weighting and DP (``noise_multiplier > 0``): the weight entry is not sent at all. Each
client sends ``w_i d_i`` plus its noise share (never multiplied by ``w_i``), whose
per-client L2 sensitivity is ``<= clip`` as before, so the noise calibration and the
accountant are the unweighted ones, and the server divides the noisy sum by a fixed
public ``denominator`` (the fixed-denominator estimator of McMahan et al. 2018, as in
:class:`pyppml.fl.DPFedAvg`; default ``n_clients``, i.e. every client at the maximum
weight; set it to the expected ``sum_i w_i`` for an unbiased average). The epsilon then
covers everything the server sees: no exact weight sum, which would reveal a client's
count by comparing two rounds. The noise on the average has standard deviation
``noise_multiplier * clip / denominator``.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from pyppml.fl.common.errors import ParameterError
from pyppml.fl.dp_fedavg import grid_gaussian
from pyppml.fl.flower.clipping import UpdateClippedWarning, clip_delta
from pyppml.fl.flower.config import config_int


def flatten(arrays) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def unflatten(vec: np.ndarray, like) -> list[np.ndarray]:
    out, k = [], 0
    for a in like:
        out.append(vec[k:k + a.size].reshape(a.shape).astype(a.dtype))
        k += a.size
    return out


def prepare_delta(delta: np.ndarray, clip: float, noise_multiplier: float) -> np.ndarray:
    """Client-side clipping: L2 norm <= clip when DP is on (sensitivity), and every entry
    in [-clip, clip] (the range the aggregation is sized for); warns when it changed the
    delta (:func:`pyppml.fl.flower.clipping.clip_delta`, which also returns the report)."""
    return clip_delta(delta, clip, noise_multiplier)[0]


def add_client_noise(vec: np.ndarray, dim: int, noise_multiplier: float, clip: float, n_clients: int) -> np.ndarray:
    """A client's share of the distributed DP noise on a float update (CKKS modes): the
    first ``dim`` entries (the weighted numerator; never the weight entry, which is
    exact) rounded to the power-of-two grid and noised by
    :func:`pyppml.fl.dp_fedavg_noise.grid_gaussian` with ``shares=n_clients``, so that the sum
    of ``n_clients`` shares has noise multiplier ``noise_multiplier``. Returns a copy."""
    out = np.array(vec, dtype=np.float64)
    out[:dim] = grid_gaussian(out[:dim], noise_multiplier, clip, shares=n_clients)
    return out


def check_weighting(where: str, weighted: bool, max_examples) -> int:
    """A strategy's weighting arguments: ``max_examples`` (an int >= 1) is required when
    ``weighted``; returns it (0 when unweighted and not given)."""
    if not weighted:
        return 0 if max_examples is None else check_weighting(where, True, max_examples)
    if max_examples is None:
        raise ParameterError(f"{where}: max_examples is missing; expected a public bound on the clients' num_examples "
                             f"(weighted=True), or weighted=False for the unweighted mean")
    if (isinstance(max_examples, bool) or not isinstance(max_examples, (int, float, np.integer, np.floating))
            or not float(max_examples).is_integer() or max_examples < 1):
        raise ParameterError(f"{where}: max_examples is out of range; expected an integer >= 1, got {max_examples}")
    return int(max_examples)


def max_examples(cfg) -> int:
    """A weighted round's ``pyppml_max_examples``: an integer in 1..2^63 - 1, else
    ProtocolError (a ValueError), read before training (review 2026-12-07: a missing or
    infinite value raised KeyError or OverflowError out of the client after training)."""
    return config_int(cfg, "pyppml_max_examples", 1, (1 << 63) - 1)


def example_weight(cfg, num_examples) -> float | None:
    """The client's weight ``num_examples / max_examples`` in (0, 1] when the round is
    weighted (``cfg["pyppml_weighted"]``), else None.

    Raises ValueError (the round fails for this client) for a ``num_examples`` outside
    ``1..max_examples``: clipping it would bias the average silently. The message, which
    goes to the server, leaves the value out; it is logged locally.
    """
    if not cfg.get("pyppml_weighted", False):
        return None
    m = max_examples(cfg)
    ok = (num_examples is not None and not isinstance(num_examples, (bool, np.bool_))
          and isinstance(num_examples, (int, float, np.integer, np.floating))
          and math.isfinite(num_examples) and float(num_examples).is_integer() and 1 <= num_examples <= m)
    if not ok:
        logging.getLogger(__name__).warning("pyppml client: num_examples = %r is outside 1..%d (max_examples); "
                                            "refusing the weighted round", num_examples, m)
        raise ValueError(f"pyppml client: num_examples is out of range; expected an integer in 1..{m} (the "
                         f"strategy's max_examples), refusing the weighted round")
    return float(num_examples) / m


def weighted_update(delta: np.ndarray, weight: float | None, clip: float,
                    noise_multiplier: float = 0.0) -> np.ndarray:
    """``(weight * delta, weight * clip)``: every entry within [-clip, clip] when delta's
    are and weight <= 1 (see the module's note on weighting); ``delta`` unchanged when
    weight is None; with DP (``noise_multiplier > 0``) ``weight * delta`` alone (the
    server divides by a public denominator). DP noise, if any, goes on the result's first
    ``len(delta)`` entries (adding it to ``delta`` before weighting would scale it down by
    the weight)."""
    if weight is None:
        return np.asarray(delta, dtype=np.float64)
    scaled = weight * np.asarray(delta, dtype=np.float64)
    return scaled if noise_multiplier > 0 else np.concatenate([scaled, [weight * clip]])


def sum_width(dim: int, weighted: bool, noise_multiplier: float) -> int:
    """Entries each client sends: the model delta, plus the weight entry when weighted
    without DP (:func:`weighted_update`)."""
    return int(dim) + (1 if weighted and not noise_multiplier > 0 else 0)


def check_denominator(where: str, denominator, n_clients: int) -> float:
    """The public denominator of a weighted DP average (default ``n_clients``)."""
    value = float(n_clients if denominator is None else denominator)
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"{where}: denominator is out of range; expected a finite value > 0, got {denominator}")
    return value


def weighted_average(total: np.ndarray, dim: int, clip: float, max_examples: int) -> tuple[np.ndarray, float]:
    """The server's step: from the aggregate ``(S, clip * W)`` of :func:`weighted_update`
    vectors, ``S / W`` and the survivors' total examples ``W * max_examples``.

    Raises ValueError when the total weight is below one example (no honest survivor)."""
    weight = float(total[dim]) / clip
    examples = weight * max_examples
    if not examples >= 0.5:
        raise ValueError(f"total weight is out of range; expected at least one example, got {examples:.3g}")
    return np.asarray(total[:dim]) / weight, examples


def client_update(cfg, glob: list[np.ndarray], new: list[np.ndarray], num_examples, width: int,
                  reports: list | None = None) -> np.ndarray:
    """A client's vector for the secure sum, before any DP noise: its delta ``new - glob``
    clipped (:func:`pyppml.fl.flower.clipping.clip_delta`, which warns
    :class:`UpdateClippedWarning` when the delta changed) and weighted
    (:func:`weighted_update`) as the round config says; ``width`` entries (what the
    protocol's plan sums). The round's :class:`~pyppml.fl.flower.clipping.ClipReport` is
    appended to ``reports`` (kept on the client, never sent).

    Raises
    ------
    ValueError
        A delta of the wrong size (for ``width``) or not finite, a ``num_examples`` out
        of range in a weighted round (:func:`example_weight`).
    """
    delta = flatten(new) - flatten(glob)
    weight = example_weight(cfg, num_examples)  # None when unweighted; ValueError out of range
    clip, nm = float(cfg["pyppml_clip"]), float(cfg["pyppml_noise"])
    if sum_width(delta.size, weight is not None, nm) != width or not np.all(np.isfinite(delta)):
        raise ValueError(f"pyppml client: local update has the wrong size or is not finite; expected "
                         f"{sum_width(delta.size, weight is not None, nm)} entries to match the plan's {width}")
    # (w * clipped delta[, w * clip]): every entry in [-clip, clip], the range the plans are sized for.
    clipped, report = clip_delta(delta, clip, nm, int(cfg.get("pyppml_round", 0)))
    if reports is not None:
        reports.append(report)
        del reports[:-MAX_REPORTS]
    return weighted_update(clipped, weight, clip, nm)


MAX_REPORTS = 100  # clip reports a client keeps (the latest rounds)

__all__ = ["UpdateClippedWarning", "add_client_noise", "check_denominator", "check_weighting", "client_update",
           "example_weight", "flatten", "prepare_delta", "sum_width", "unflatten", "weighted_average",
           "weighted_update"]
