"""Secret sharing and secure multi-party computation between real processes.

- :func:`shamir_share` / :func:`shamir_reconstruct`: t-of-n sharing over p = 2^61 - 1;
  :func:`shamir_share_at` at chosen points (a subset of many parties).
- :func:`additive_share` / :func:`additive_reconstruct`: n-of-n sharing over Z_2^64.
- :class:`FixedPoint`: fixed-point encoding and SecureML truncation of shares.
- :class:`Party`: one process's TCP channels to its peers (NumPy frames, deadlines,
  never pickle), mutually authenticated TLS with :class:`PartyTls` (plain TCP is
  neither confidential nor authenticated: see ``transport``); :func:`secure_sum` among
  any number of parties.
- :class:`SecureRuntime`: two-party Beaver products, dot and matrix products, secure
  comparison, ReLU and a piecewise-linear sigmoid; triples from a
  :class:`TripleSource` (:class:`DealerTripleSource` + :func:`run_dealer`, or
  :class:`HeTripleSource`: the two parties make them with BFV, no dealer).
- :class:`SecureLogisticRegression`: two-party training on secret-shared rows.

Security model: semi-honest parties, a non-colluding semi-honest dealer (see
``protocols``). Example:

>>> import numpy as np
>>> from pyppml import mpc
>>> sh = mpc.shamir_share(np.array([123], dtype=np.uint64), n=3, t=2)
>>> mpc.shamir_reconstruct({2: sh[1], 3: sh[2]}).tolist()
[123]
"""

from pyppml.mpc.fixed_point import FixedPoint
from pyppml.mpc.logistic import SecureLogisticRegression, train_plaintext
from pyppml.mpc.party import Party, free_ports
from pyppml.mpc.protocols import SecureRuntime, secure_sum
from pyppml.mpc.sharing import (
    SHAMIR_MAX_PARTIES,
    SHAMIR_PRIME,
    additive_reconstruct,
    additive_share,
    shamir_reconstruct,
    shamir_share,
    shamir_share_at,
)
from pyppml.mpc.transport import (
    Channel,
    FrameError,
    MsgType,
    PartyError,
    PeerAuthenticationError,
    PeerClosedError,
    PeerTimeoutError,
)
from pyppml.mpc.tls import PartyTls
from pyppml.mpc.dealer import run_dealer
from pyppml.mpc.triples import DealerTripleSource, TripleSource
from pyppml.mpc.he_triples import HeTripleSource

__all__ = [
    "SHAMIR_MAX_PARTIES",
    "SHAMIR_PRIME",
    "Channel",
    "DealerTripleSource",
    "FixedPoint",
    "FrameError",
    "HeTripleSource",
    "MsgType",
    "Party",
    "PartyError",
    "PartyTls",
    "PeerAuthenticationError",
    "PeerClosedError",
    "PeerTimeoutError",
    "SecureLogisticRegression",
    "SecureRuntime",
    "TripleSource",
    "additive_reconstruct",
    "additive_share",
    "free_ports",
    "run_dealer",
    "secure_sum",
    "shamir_reconstruct",
    "shamir_share",
    "shamir_share_at",
    "train_plaintext",
]
