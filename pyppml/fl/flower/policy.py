"""What a client accepts from a server's round config (:class:`ClientPolicy`)."""

from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np

from pyppml.fl.common.errors import ParameterError


@dataclasses.dataclass(frozen=True)
class ClientPolicy:
    """What a client accepts from a server's round config, checked before it uploads
    anything (keys, masked or encrypted updates): the server sets ``clip``, the noise
    multiplier and the client count over which the noise is split, so without a policy
    distributed DP is only as strong as the server allows.

    Parameters
    ----------
    min_noise_multiplier : float
        Smallest noise multiplier of the sum the client accepts, counting only the noise
        of ``min_clients`` contributors (itself included): a round with multiplier z and n
        clients, where each adds z clip / sqrt(n), is refused unless
        ``z * sqrt(min(min_clients, n) / n) >= min_noise_multiplier``. 0: DP not required.
    max_clip : float
        Largest clip (L2 / entry bound of the update) the client accepts.
    min_clients : int
        Fewest clients whose noise shares the client counts on (see above); also the
        fewest clients the round must be sized for (n >= min_clients), and the fewest a
        protocol may decrypt a sum of (SecAgg+'s threshold, at most k + 1 for k
        neighbours in graphs of more than 64 clients; the one-time plan's minimum).
    ckks_context_sha256 : str, optional
        Hex SHA-256 of the only CKKS context bytes the client encrypts under (collective
        key mode); another context from the server is refused.
    max_clients : int, optional
        Most clients a round may be sized for. The SecAgg+ client builds the neighbour
        graph over all of them and the one-time client reads a key per client, so a
        server's count sets the client's memory; without it the bound is
        ``pyppml.fl.flower.config.MAX_CLIENTS`` (2^20), which every client applies.
    max_rounds : int, optional
        Most rounds this client trains on its data and uploads an update for (counted
        by the client, per client object). The checks above bound one round; the server
        chooses how many rounds compose, and a server that keeps the global model fixed
        averages the noise of repeated rounds away (200 rounds of one sum at multiplier 1
        gave it to 0.08 of one round's error). Size it from the privacy budget: the
        accountant (``pyppml.dp.PrivacyAccountant``) composes max_rounds rounds at
        ``min_noise_multiplier``. None: no bound (the server decides the composition).

    Raises
    ------
    ParameterError
        Out-of-range fields.

    Examples
    --------
    >>> pol = ClientPolicy(min_noise_multiplier=1.0, max_clip=1.0, min_clients=10)
    >>> pol.check(noise_multiplier=1.0, clip=1.0, n_clients=10)
    >>> try:  # each client's share sized for 40: 10 honest shares carry only 0.5
    ...     pol.check(noise_multiplier=1.0, clip=1.0, n_clients=40)
    ... except ValueError as err:
    ...     print(str(err).split(";")[0])
    pyppml client policy: noise_multiplier is too small for the client count
    """

    min_noise_multiplier: float = 0.0
    max_clip: float = math.inf
    min_clients: int = 1
    ckks_context_sha256: str | None = None
    max_clients: int | None = None
    max_rounds: int | None = None

    def __post_init__(self):
        api = "ClientPolicy"
        if not (math.isfinite(self.min_noise_multiplier) and self.min_noise_multiplier >= 0):
            raise ParameterError(f"{api}: min_noise_multiplier is out of range; expected a finite value >= 0, got "
                                 f"{self.min_noise_multiplier}")
        if not self.max_clip > 0:
            raise ParameterError(f"{api}: max_clip is out of range; expected > 0, got {self.max_clip}")
        if isinstance(self.min_clients, bool) or not isinstance(self.min_clients, (int, np.integer)) \
                or self.min_clients < 1:
            raise ParameterError(f"{api}: min_clients is out of range; expected an integer >= 1, got "
                                 f"{self.min_clients}")
        m = self.max_clients
        if m is not None and (isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < self.min_clients):
            raise ParameterError(f"{api}: max_clients is out of range; expected None or an integer >= min_clients "
                                 f"({self.min_clients}), got {m!r}")
        r = self.max_rounds
        if r is not None and (isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1):
            raise ParameterError(f"{api}: max_rounds is out of range; expected None or an integer >= 1, got {r!r}")
        h = self.ckks_context_sha256
        if h is not None:
            try:
                ok = len(bytes.fromhex(str(h))) == 32
            except ValueError:
                ok = False
            if not ok:
                raise ParameterError(f"{api}: ckks_context_sha256 is malformed; expected 64 hex digits, got "
                                     f"{str(h)[:80]!r}")
            object.__setattr__(self, "ckks_context_sha256", str(h).lower())

    @classmethod
    def from_node_config(cls, node_config) -> "ClientPolicy | None":
        """The policy of a Flower node config (keys ``pyppml-min-noise-multiplier``,
        ``pyppml-max-clip``, ``pyppml-min-clients``, ``pyppml-ckks-context-sha256``,
        ``pyppml-max-clients``, ``pyppml-max-rounds``); None when it sets none of them."""
        cfg = node_config or {}
        keys = ("pyppml-min-noise-multiplier", "pyppml-max-clip", "pyppml-min-clients", "pyppml-ckks-context-sha256",
                "pyppml-max-clients", "pyppml-max-rounds")
        if not any(k in cfg for k in keys):
            return None
        most, rounds = cfg.get(keys[4]), cfg.get(keys[5])
        return cls(float(cfg.get(keys[0], 0.0)), float(cfg.get(keys[1], math.inf)), int(cfg.get(keys[2], 1)),
                   cfg.get(keys[3]), None if most is None else int(most), None if rounds is None else int(rounds))

    def charge_round(self, rounds_trained: int) -> None:
        """Refuse training for another round once ``max_rounds`` were trained."""
        if self.max_rounds is not None and rounds_trained >= self.max_rounds:
            raise ParameterError(f"pyppml client policy: rounds exceed the client's budget; expected at most "
                                 f"max_rounds = {self.max_rounds} rounds trained on this client's data, got round "
                                 f"{rounds_trained + 1}")

    def check(self, noise_multiplier: float, clip: float, n_clients: int, least_clients: int | None = None) -> None:
        """Refuse a round config that weakens the policy. ``least_clients``: the fewest
        contributors whose sum the protocol will decrypt (SecAgg+'s threshold, the
        one-time plan's minimum), when the client can see it; the client counts on
        min(min_clients, n_clients) of them.

        Raises
        ------
        ParameterError
            Naming the weakened setting (clip, noise multiplier or client count).
        """
        api = "pyppml client policy"
        nm, clip, n = float(noise_multiplier), float(clip), int(n_clients)
        if not clip <= self.max_clip:
            raise ParameterError(f"{api}: clip is too large; expected <= {self.max_clip}, got {clip}")
        if n < self.min_clients:
            raise ParameterError(f"{api}: n_clients is too small; expected >= {self.min_clients}, got {n}")
        if self.max_clients is not None and n > self.max_clients:
            raise ParameterError(f"{api}: n_clients is too large; expected <= {self.max_clients}, got {n}")
        if self.min_noise_multiplier > 0:
            effective = nm * math.sqrt(min(self.min_clients, n) / n) if n > 0 and nm > 0 else 0.0
            if not effective >= self.min_noise_multiplier:
                raise ParameterError(f"{api}: noise_multiplier is too small for the client count; expected "
                                     f"noise_multiplier * sqrt(min(min_clients, n_clients) / n_clients) >= "
                                     f"{self.min_noise_multiplier} (n_clients = {n}), got {nm}")
        if least_clients is not None and int(least_clients) < min(self.min_clients, n):
            # The server may call the others dropped: a sum of that many carries that many
            # noise shares (a threshold of 6 of 10 released 0.76 of a pinned 1.0).
            raise ParameterError(f"{api}: the protocol decrypts sums of too few clients; expected at least "
                                 f"min(min_clients, n_clients) = {min(self.min_clients, n)}, got {int(least_clients)}")

    def check_context(self, data: bytes) -> None:
        """Refuse CKKS context bytes other than the pinned ones (when pinned)."""
        got = hashlib.sha256(bytes(data)).hexdigest()
        if self.ckks_context_sha256 is not None and got != self.ckks_context_sha256:
            raise ParameterError("pyppml client policy: the CKKS context is not the pinned one; expected SHA-256 "
                                 f"{self.ckks_context_sha256[:16]}..., got {got[:16]}...")
