"""SecAgg+ (Bell et al. 2020; Bonawitz et al. 2017): clients mask their quantized
updates with pairwise masks agreed with their neighbours and a self mask, secret-share
the mask seeds, and the server unmasks only the survivors' sum.

- :mod:`.params` (the round's parameters and neighbour graph), :mod:`.quantize`
  (floats to Z_2^b and back), :mod:`.client` and :mod:`.server` (the state machines,
  bytes in and bytes out);
- drivers: :mod:`.simulator` (in process, :class:`SecureAggregator`) and
  :mod:`.loopback` (processes over TCP, :func:`run_loopback`); the Flower strategy is
  :mod:`pyppml.fl.flower.secagg`.
"""

from pyppml.fl.secagg.params import (NeighbourGraph, SecAggParams, default_neighbours, honest_majority_threshold,
                                     signed_threshold)
from pyppml.fl.secagg.quantize import Quantizer
from pyppml.fl.secagg.client import SecAggClient
from pyppml.fl.secagg.server import SecAggServer
from pyppml.fl.secagg.simulator import SecureAggregator
from pyppml.fl.secagg.loopback import run_loopback

__all__ = ["NeighbourGraph", "Quantizer", "SecAggClient", "SecAggParams", "SecAggServer", "SecureAggregator",
           "default_neighbours", "honest_majority_threshold", "run_loopback", "signed_threshold"]
