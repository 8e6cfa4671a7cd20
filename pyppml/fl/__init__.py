"""Federated aggregation: three protocols, their drivers, and DP federated averaging.

Layout (one folder per protocol, each with its state machines, an in-process simulator
and a loopback run over TCP; the Flower drivers apart):

- :mod:`pyppml.fl.secagg`: SecAgg+ (pairwise and self masks, Shamir-shared seeds,
  dropouts): :class:`SecureAggregator`, :class:`SecAggClient` / :class:`SecAggServer`
  (bytes in, bytes out), :func:`run_loopback`.
- :mod:`pyppml.fl.ckks.committee`: CKKS under a committee's collective public key
  (:class:`CkksCommittee`, :func:`ckks_aggregate`).
- :mod:`pyppml.fl.ckks.onetime`: CKKS under one-time keys held by a t-of-k committee
  (compact uploads): :class:`OneTimeAggregator`, the client, member and server state
  machines, :func:`run_onetime_loopback`.
- :mod:`pyppml.fl.flower`: a Flower strategy and client step per protocol on one base.
- :mod:`pyppml.fl.common`: errors, messages, key agreement, replicated key sharing, the
  committees' agreement on a client set, process plumbing.
- :class:`DPFedAvg` (:mod:`pyppml.fl.dp_fedavg`): clipping, central or distributed noise,
  privacy accounting, over SecAgg+ or one-time CKKS; :mod:`pyppml.fl.demo`.

>>> import numpy as np
>>> from pyppml import fl
>>> agg = fl.SecureAggregator(n_clients=4, dim=2, threshold=3)
>>> np.round(agg.run_round([np.ones(2) * 0.25] * 4), 4).tolist()
[1.0, 1.0]
"""

from pyppml.fl.common.errors import ProtocolError, TooFewSurvivorsError
from pyppml.fl.common.rounds import RoundReport
from pyppml.fl.secagg import (NeighbourGraph, Quantizer, SecAggClient, SecAggParams, SecAggServer, SecureAggregator,
                              default_neighbours, run_loopback)
from pyppml.fl.ckks import (CkksCommittee, CommitteeMember, OneTimeAggregator, OneTimeClient, OneTimeMember,
                            OneTimeParams, OneTimeServer, add_ciphertexts, ckks_aggregate, encrypt_update,
                            run_onetime_loopback, sign_upload)
from pyppml.fl.dp_fedavg import DPFedAvg

__all__ = ["CkksCommittee", "CommitteeMember", "DPFedAvg", "NeighbourGraph", "OneTimeAggregator", "OneTimeClient",
           "OneTimeMember", "OneTimeParams", "OneTimeServer", "ProtocolError", "Quantizer", "RoundReport",
           "SecAggClient", "SecAggParams", "SecAggServer", "SecureAggregator", "TooFewSurvivorsError",
           "add_ciphertexts", "ckks_aggregate", "default_neighbours", "encrypt_update", "run_loopback",
           "run_onetime_loopback", "sign_upload"]
