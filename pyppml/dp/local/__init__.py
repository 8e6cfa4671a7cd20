"""Local differential privacy for devices: frequency oracles.

Many devices each hold one item of a categorical domain ``0 .. d - 1`` and randomize it
*before it leaves the device* (``perturb``); the server sees only the reports and
estimates how many devices hold each item (``estimate``, unbiased). Every oracle is
epsilon-locally-DP: for any two items and any report, the probabilities of the report
differ by a factor <= e^epsilon, exactly and in both directions, since every random
choice is a 64-bit CSPRNG word compared with an integer threshold rounded the safe way,
and the own item's probability is kept above the others' (``output_probabilities`` gives
the exact law for small domains). epsilon is taken in [2^-40, 20]: below 2^-40 the
thresholds cannot resolve e^epsilon - 1 (and a report says next to nothing), and an
oracle refuses an epsilon too small for its domain (or g) for the same reason. The
guarantee is per report: k reports of one device's item cost k epsilon in all (no
memoisation; see docs/threat-model.md, local DP). Randomness comes only from pyppml's
ChaCha20 CSPRNG, keyed from the OS for each call.

Which oracle (n devices, eps the local epsilon, Var the variance of one count) [WBLJ17]:

* ``RandomizedResponse``: Var = n (d - 2 + e^eps)/(e^eps - 1)^2; reports of log2 d bits;
  server O(n + d).
* ``OptimizedUnaryEncoding``: Var = n 4 e^eps/(e^eps - 1)^2; reports of d bits; server
  O(n d) bit operations.
* ``OptimizedLocalHashing``: Var = n 4 e^eps/(e^eps - 1)^2 (for e^eps + 1 an integer);
  reports of 160 bits; server O(n d) hash evaluations.
* ``CountMeanSketch``: Var ~ n c^2 pi (1 - pi) (m/(m-1))^2 with c = (e^(eps/2) + 1) /
  (e^(eps/2) - 1), pi ~ 1/(e^(eps/2) + 1), plus a hash-collision error; reports of
  m + log2 k bits; server O(n m + k d).

* Small domains (d < 3 e^eps + 2): ``RandomizedResponse`` has the lowest variance and
  the smallest reports.
* Larger domains: ``OptimizedUnaryEncoding`` and ``OptimizedLocalHashing`` share the
  lowest variance, independent of d. OUE sends d bits per device (too many beyond
  d ~ 2^12); OLH sends 160 bits but the server hashes every report for every item.
* Very large domains (URLs, words, 2^20 and beyond): ``CountMeanSketch``, whose reports
  and server work depend on the sketch size (k, m), not on d; it pays some variance and
  a hash-collision error that shrinks as m grows.

References: [WBLJ17] T. Wang, J. Blocki, N. Li, S. Jha, "Locally Differentially Private
Protocols for Frequency Estimation", USENIX Security 2017. [Apple17] Apple Differential
Privacy Team, "Learning with Privacy at Scale", 2017.

Example
-------
>>> import numpy as np
>>> from pyppml.dp.local import OptimizedLocalHashing
>>> olh = OptimizedLocalHashing(epsilon=2.0, domain_size=50)
>>> est = olh.estimate(olh.perturb(np.arange(50).repeat(100)))
>>> bool(np.all(np.abs(est - 100) < 6 * np.sqrt(olh.variance(5000))))
True
"""

from pyppml.dp.local.count_mean_sketch import CountMeanSketch
from pyppml.dp.local.grr import RandomizedResponse
from pyppml.dp.local.local_hashing import OptimizedLocalHashing
from pyppml.dp.local.reports import Reports
from pyppml.dp.local.unary import OptimizedUnaryEncoding

__all__ = [
    "CountMeanSketch",
    "OptimizedLocalHashing",
    "OptimizedUnaryEncoding",
    "RandomizedResponse",
    "Reports",
]
