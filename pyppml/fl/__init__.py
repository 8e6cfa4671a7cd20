"""Federated aggregation: secure aggregation with dropouts (SecAgg / SecAgg+),
CKKS-encrypted sums under a committee's collective key, and DP federated averaging.

- :class:`SecureAggregator`: in-process SecAgg+ simulator; :class:`SecAggClient` /
  :class:`SecAggServer` are the protocol state machines (bytes in, bytes out) that the
  simulator, :func:`run_loopback` (processes over TCP) and ``pyppml.fl.flower`` drive.
- :class:`OneTimeAggregator`: CKKS aggregation under one-time keys held by a t-of-k
  committee (compact uploads; :mod:`pyppml.fl.ckks_onetime` has the client, member and
  server state machines and a loopback run); :class:`CkksCommittee` /
  :func:`ckks_aggregate`: CKKS under a collective public key.
- :class:`DPFedAvg`: clipping, central or distributed noise, privacy accounting.

>>> import numpy as np
>>> from pyppml import fl
>>> agg = fl.SecureAggregator(n_clients=4, dim=2, threshold=3)
>>> np.round(agg.run_round([np.ones(2) * 0.25] * 4), 4).tolist()
[1.0, 1.0]
"""

from pyppml.fl.errors import ProtocolError, TooFewSurvivorsError
from pyppml.fl.params import NeighbourGraph, SecAggParams, default_neighbours
from pyppml.fl.quantize import Quantizer
from pyppml.fl.secagg_client import SecAggClient
from pyppml.fl.secagg_server import SecAggServer
from pyppml.fl.simulator import RoundReport, SecureAggregator

__all__ = [
    "NeighbourGraph",
    "ProtocolError",
    "Quantizer",
    "RoundReport",
    "SecAggClient",
    "SecAggParams",
    "SecAggServer",
    "SecureAggregator",
    "TooFewSurvivorsError",
    "default_neighbours",
]

from pyppml.fl.ckks_agg import (CkksCommittee, CommitteeMember, add_ciphertexts, ckks_aggregate,  # noqa: E402
                                encrypt_update, sign_upload)
from pyppml.fl.dp_fedavg import DPFedAvg  # noqa: E402
from pyppml.fl.loopback import run_loopback  # noqa: E402
from pyppml.fl.ckks_onetime import (OneTimeAggregator, OneTimeClient, OneTimeMember, OneTimeParams,  # noqa: E402
                                    OneTimeServer)
from pyppml.fl.ckks_onetime.loopback import run_onetime_loopback  # noqa: E402

__all__ += ["CkksCommittee", "CommitteeMember", "DPFedAvg", "add_ciphertexts", "ckks_aggregate", "encrypt_update",
            "sign_upload",
            "run_loopback", "OneTimeAggregator", "OneTimeClient", "OneTimeMember", "OneTimeParams", "OneTimeServer",
            "run_onetime_loopback"]
