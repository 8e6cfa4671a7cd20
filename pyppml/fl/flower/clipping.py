"""A client's clipping of its model delta, and the report it keeps of it.

Why the clip exists even without DP: the secure sums are sized for entries in
``[-clip, clip]`` (SecAgg+'s 32-bit quantizer, the CKKS plans' ``max_abs_value``), so
every entry of a delta is clipped to that range; with DP the delta is first scaled to
L2 norm ``clip`` (the sensitivity). A delta larger than ``clip`` is changed silently by
neither: the client warns (:class:`UpdateClippedWarning`, once per round, from the
client's process) with what it clipped.

The report stays on the client. It is not put in the FitRes metrics: they travel to
the server in the clear next to the masked or encrypted update, and how much a
client's delta was clipped tells the server about that client's update (its L2 norm
relative to ``clip``, how many entries exceed it), which is exactly what secure
aggregation hides; with DP it would also be a release outside the accounted one. A
client that wants its operator to see it reads :attr:`ClientState.clip_reports`
(``SecAggNumPyClient.clip_reports``) or the warning.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from pyppml.dp import clip_l2


class UpdateClippedWarning(UserWarning):
    """A client's model delta was clipped before aggregation (the average moves less
    than the local training asked for). Raise ``clip`` on the strategy, or filter this
    warning once the clipping is intended (``warnings.simplefilter("ignore",
    UpdateClippedWarning)``)."""


@dataclasses.dataclass(frozen=True)
class ClipReport:
    """What clipping did to one client's delta in one round (known to that client only).

    Attributes
    ----------
    round : int
        The aggregation round (the server's round number).
    entries_clipped : int
        Entries of the delta outside ``[-clip, clip]`` after any L2 clipping (set to +-clip).
    fraction_clipped : float
        ``entries_clipped / size``, in [0, 1].
    max_entry_ratio : float
        ``max |entry| / clip`` before entry clipping (> 1 when an entry was clipped).
    l2_ratio : float or None
        With DP: ``||delta||_2 / clip`` before L2 clipping (> 1 when it was scaled down);
        None without DP.
    """

    round: int
    entries_clipped: int
    fraction_clipped: float
    max_entry_ratio: float
    l2_ratio: float | None

    @property
    def clipped(self) -> bool:
        """Whether clipping changed the delta at all."""
        return self.entries_clipped > 0 or (self.l2_ratio is not None and self.l2_ratio > 1.0)


def clip_delta(delta: np.ndarray, clip: float, noise_multiplier: float, rnd: int = 0) -> tuple[np.ndarray, ClipReport]:
    """Client-side clipping: L2 norm <= ``clip`` when DP is on (``noise_multiplier > 0``,
    the sensitivity), then every entry in ``[-clip, clip]`` (the range the aggregation
    is sized for). Warns :class:`UpdateClippedWarning` when the delta changed.

    Returns
    -------
    (numpy.ndarray, ClipReport)
        The clipped delta (float64) and the report of round ``rnd``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     out, rep = clip_delta(np.array([0.5, -3.0, 2.0, 0.1]), 1.0, 0.0, rnd=7)
    >>> out.tolist(), rep.entries_clipped, rep.fraction_clipped, rep.max_entry_ratio
    ([0.5, -1.0, 1.0, 0.1], 2, 0.5, 3.0)
    >>> caught[0].category.__name__
    'UpdateClippedWarning'
    """
    delta = np.asarray(delta, dtype=np.float64)
    l2_ratio = None
    if noise_multiplier > 0:
        l2_ratio = float(np.linalg.norm(delta)) / clip if delta.size else 0.0
        delta = clip_l2(delta[None, :], clip)[0]
    outside = int(np.count_nonzero(np.abs(delta) > clip))
    peak = float(np.max(np.abs(delta))) / clip if delta.size else 0.0
    report = ClipReport(int(rnd), outside, outside / delta.size if delta.size else 0.0, peak, l2_ratio)
    if report.clipped:
        l2 = "" if l2_ratio is None else f"; L2 norm {l2_ratio:.3g} x clip scaled down to clip (DP)"
        warnings.warn(f"pyppml client: round {report.round}: the model delta was clipped to clip = {clip:g}: "
                      f"{outside} of {delta.size} entries ({report.fraction_clipped:.1%}) exceeded it, the largest "
                      f"{peak:.3g} x clip{l2}. The average moves less than local training asked; raise the "
                      f"strategy's clip if this is not intended", UpdateClippedWarning, stacklevel=3)
    return np.clip(delta, -clip, clip), report


__all__ = ["ClipReport", "UpdateClippedWarning", "clip_delta"]
