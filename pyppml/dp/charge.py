"""One record of a ``PrivacyAccountant``: the noise a release really added (``Charge``),
of one of the ``KINDS`` the accountant composes."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("subsampled_gaussian", "gaussian", "discrete_gaussian", "laplace", "discrete_laplace", "epsilon_delta")


@dataclass(frozen=True)
class Charge:
    """One record of a ``PrivacyAccountant``: the noise a release really added.

    Attributes
    ----------
    mechanism : str
        The API that released (``"dp.count"``, ``"dp.laplace_mechanism"``, ``"step"``...).
    kind : str
        One of ``KINDS`` (see :mod:`pyppml.dp.accountant` for how each is composed).
    noise : float or None
        Laplace scale b or Gaussian sigma actually sampled, in the query's units (grid
        steps for the grid mechanisms); None for ``epsilon_delta``.
    sensitivity : float or None
        The query's sensitivity in the same units (L1 for Laplace, L2 for Gaussian),
        grid rounding included; 1 for ``subsampled_gaussian`` (noise is the multiplier).
    epsilon : float or None
        epsilon of a Laplace charge (sensitivity / noise) or of an ``epsilon_delta``
        charge; None for Gaussian kinds (their epsilon depends on delta).
    delta : float
        delta of an ``epsilon_delta`` charge, else 0.
    sample_rate : float
        Batch sampling rate of a ``subsampled_gaussian`` charge, else 1.
    count : int
        How many times the release was repeated (steps).

    Examples
    --------
    >>> Charge("dp.count", "discrete_laplace", noise=2.0, sensitivity=1.0, epsilon=0.5)
    Charge(dp.count: discrete_laplace b=2 on sensitivity 1 (epsilon=0.5))
    """

    mechanism: str
    kind: str
    noise: float | None = None
    sensitivity: float | None = None
    epsilon: float | None = None
    delta: float = 0.0
    sample_rate: float = 1.0
    count: int = 1

    @property
    def noise_multiplier(self) -> float | None:
        """noise / sensitivity (None for ``epsilon_delta``)."""
        return None if self.noise is None else self.noise / self.sensitivity

    def __repr__(self) -> str:
        reps = f", x{self.count}" if self.count != 1 else ""
        if self.kind == "epsilon_delta":
            return f"Charge({self.mechanism}: epsilon={self.epsilon:.6g}, delta={self.delta:.3g}{reps})"
        name = "b" if "laplace" in self.kind else "sigma"
        text = f"Charge({self.mechanism}: {self.kind} {name}={self.noise:.6g} on sensitivity {self.sensitivity:.6g}"
        if self.kind == "subsampled_gaussian":
            text += f" (sample_rate={self.sample_rate:.6g})"
        elif self.epsilon is not None:
            text += f" (epsilon={self.epsilon:.6g})"
        return text + reps + ")"
