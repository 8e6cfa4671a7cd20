"""In-process secure aggregation: one server and n clients exchanging the protocol's
byte messages in memory, with dropouts injected at any step."""

from __future__ import annotations

import numpy as np

from pyppml.fl.common.errors import ProtocolError
from pyppml.fl.common.rounds import RoundReport, check_updates, normalize_dropouts
from pyppml.fl.common.messages import Kind
from pyppml.fl.secagg.params import SecAggParams
from pyppml.fl.secagg.quantize import Quantizer
from pyppml.fl.secagg.client import SecAggClient
from pyppml.fl.secagg.server import SecAggServer

STEPS = ("advertise", "shares", "masked", "unmask")
CHECKED_STEPS = ("advertise", "shares", "masked", "check", "unmask")  # rounds with identity keys


class SecureAggregator:
    """Secure aggregation of float vectors among ``n_clients`` simulated in one process.

    Updates are clipped to [-clip, clip] per entry, quantized into Z_2^mod_bits and
    masked; the server only ever sees masked vectors and the shares it needs to unmask
    the sum of the survivors.

    Parameters
    ----------
    n_clients, dim : int
    threshold, neighbours, mod_bits :
        See :class:`SecAggParams`.
    clip : float
        Entry bound of the updates.
    signed : bool
        Give the clients Ed25519 identity keys: forged keys are detected and each round
        runs the consistency check (Bonawitz et al. 2017, Fig. 4 round 3; one more step,
        'check', for ``dropouts``). The threshold is then at least
        ``signed_threshold(k)``, about 2 (k + 1) / 3 (its default), and the round keeps
        an honest client v's update hidden from a malicious server colluding with the
        clients C when ``|C & N[v]| < 2 * threshold - (k + 1)`` (N[v]: v's k + 1 share
        holders; floor((k + 1) / 3) colluders or more at the default; see
        :class:`SecAggParams` and :mod:`pyppml.fl.secagg.client`). Without: private
        against a semi-honest server and fewer than ``threshold`` colluding clients.
    insecure_threshold : bool
        Accept a threshold below the least one (see :class:`SecAggParams`; attack
        demonstrations only).

    Examples
    --------
    >>> import numpy as np
    >>> agg = SecureAggregator(n_clients=5, dim=3, threshold=3)
    >>> ups = [np.full(3, 0.1 * i) for i in range(5)]
    >>> np.round(agg.run_round(ups, dropouts={4}), 4).tolist()
    [0.6, 0.6, 0.6]
    """

    def __init__(self, n_clients: int, dim: int, threshold: int | None = None, neighbours: int | None = None,
                 mod_bits: int = 32, clip: float = 1.0, signed: bool = False, noise_headroom: float = 0.0,
                 insecure_threshold: bool = False):
        self.params = SecAggParams(n_clients, dim, threshold, neighbours, mod_bits, signed, insecure_threshold)
        self.quantizer = Quantizer(clip, n_clients, mod_bits, noise_headroom)
        self.round = 0
        self.report: RoundReport | None = None
        self._identity = None
        if signed:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            self._identity = {i: Ed25519PrivateKey.generate() for i in range(n_clients)}
            self._verify = {i: k.public_key() for i, k in self._identity.items()}

    def run_round(self, updates, dropouts=None, noise=None) -> np.ndarray:
        """Sum of the updates of the clients that survive the round.

        Parameters
        ----------
        updates : sequence of n float vectors of length dim (None: client absent)
        dropouts : set of ids, or {step: set of ids}
            See :func:`normalize_dropouts`.
        noise : sequence of n integer vectors, optional
            Integer noise each client adds to its quantized update (distributed DP).

        Returns
        -------
        float64 array of length dim: the sum over ``self.report.survivors``, within
        n_clients / (2 * quantizer.scale) per entry of the exact sum of clipped updates.

        Raises
        ------
        ValueError
            Bad updates (count, length, non-finite).
        TooFewSurvivorsError
            Too few clients survive to unmask; nothing is returned.
        """
        p = self.params
        ups = check_updates(updates, p.n_clients, p.dim, "SecureAggregator.run_round")
        drops = normalize_dropouts(dropouts, CHECKED_STEPS if self._identity else STEPS)
        self.round += 1
        server = SecAggServer(p, self.round, self._verify if self._identity else None)
        clients = {i: SecAggClient(i, p, self._identity[i] if self._identity else None,
                                   self._verify if self._identity else None, self.round - 1)
                   for i in range(p.n_clients) if ups[i] is not None}
        gone: set = set()

        def step(name, inbox, act):
            gone.update(drops.get(name, set()))
            for i in sorted(inbox):
                if i in gone or i not in clients:
                    continue
                try:
                    reply = act(clients[i], inbox[i])
                except ProtocolError:
                    gone.add(i)
                    continue
                try:
                    server.receive(i, reply)
                except ProtocolError:
                    gone.add(i)

        start = server.start()
        step("advertise", {i: start for i in clients}, lambda c, m: c.advertise(m))
        step("shares", server.advance(), lambda c, m: c.share_keys(m))

        def masked(c, m):
            q = self.quantizer.encode(ups[c.index], None if noise is None else noise[c.index])
            return c.masked_input(m, q)

        step("masked", server.advance(), masked)
        if self._identity:
            step("check", server.advance(), lambda c, m: c.check(m))
        step("unmask", server.advance(), lambda c, m: c.unmask(m))
        total = server.finish()
        self.report = RoundReport(sorted(server.survivors[Kind.MASKED]), dict(server.rejected), server.seconds,
                                  {i: c.bytes_sent for i, c in clients.items()}, 4 * p.dim)
        return self.quantizer.decode(total)
