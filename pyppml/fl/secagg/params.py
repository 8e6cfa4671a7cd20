"""Public parameters of a secure-aggregation round and the SecAgg+ neighbour graph
(Bell et al. 2020: each client shares keys and masks with k ~ O(log n) neighbours
instead of all n - 1)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pyppml import _core
from pyppml.fl.common.errors import ParameterError
from pyppml.mpc.sharing import SHAMIR_MAX_PARTIES


def default_neighbours(n_clients: int) -> int:
    """Complete graph up to 64 clients, else an even k = 2 ceil(1.5 log2 n) (30 at n = 1000),
    which keeps each neighbourhood above a 2/3-of-(k+1) threshold with overwhelming
    probability when up to ~10% of the clients drop; raise it for higher dropout rates."""
    if n_clients <= 64:
        return n_clients - 1
    return min(n_clients - 1, 2 * math.ceil(1.5 * math.log2(n_clients)))


def honest_majority_threshold(neighbours: int) -> int:
    """floor((k + 1) / 2) + 1: the fewest shares, out of a neighbourhood's k + 1, that no
    minority of it holds. Below it a server, with no colluding client, gets a client's
    self-mask seed from one half of its neighbourhood and its mask key from the other."""
    return (neighbours + 1) // 2 + 1


def signed_threshold(neighbours: int) -> int:
    """The smallest t with 2 t > (k + 1) + floor((k + 1) / 3), about 2 (k + 1) / 3: the
    default and least threshold of rounds with identity keys, where a malicious server
    colluding with up to floor((k + 1) / 3) clients of a neighbourhood still cannot show
    its honest members two survivor sets that each gather t signatures (see
    :mod:`pyppml.fl.secagg.client`). Up to (k + 1) - t, about (k + 1) / 3, of a
    neighbourhood may drop out: none for k = 2 (t = 3 of 3), so signed rounds of three
    clients survive no dropout."""
    m = neighbours + 1
    return (m + m // 3) // 2 + 1


@dataclasses.dataclass(frozen=True)
class SecAggParams:
    """What every party of a round agrees on.

    Parameters
    ----------
    n_clients : int
        Clients 0 .. n_clients - 1 (>= 2).
    dim : int
        Length of each update.
    threshold : int, optional
        Shares needed to reconstruct a client's secrets, out of its k + 1 holders (its
        neighbours and itself). Default and least value:
        ``honest_majority_threshold(k)`` = floor((k + 1) / 2) + 1 (below it a malicious
        server alone can learn an individual update), or with ``signed``
        ``signed_threshold(k)``, about 2 (k + 1) / 3. A signed round keeps an honest
        client v's update hidden from a malicious server colluding with the clients C
        when ``|C & N[v]| < 2 * threshold - (k + 1)``, N[v] being v's closed
        neighbourhood (floor((k + 1) / 3) colluders or more at the signed default; none,
        or one when k + 1 is even, at the honest majority); the sum the server learns
        then covers at least ``threshold - |C & N[v]|`` honest clients of N[v], v among
        them.
    neighbours : int, optional
        Graph degree k; ``default_neighbours(n_clients)`` if None. k = n - 1 is SecAgg
        (Bonawitz et al. 2017), smaller k is SecAgg+.
    mod_bits : int
        Aggregation in Z_2^mod_bits, 8..64; uint32 vectors up to 32 bits, uint64 above.
    signed : bool
        The round runs with identity keys (the consistency check): raises the default
        and least threshold to ``signed_threshold(k)``.
    insecure_threshold : bool
        Accept a threshold below the least value above (attack demonstrations only).

    Raises
    ------
    ParameterError
        On out-of-range values, a threshold below the least one (without
        ``insecure_threshold``) included.
    """

    n_clients: int
    dim: int
    threshold: int | None = None
    neighbours: int | None = None
    mod_bits: int = 32
    signed: bool = False
    insecure_threshold: bool = False

    def __post_init__(self):
        api = "SecAggParams"
        if not isinstance(self.n_clients, (int, np.integer)) or self.n_clients < 2 or self.n_clients >= 1 << 31:
            raise ParameterError(f"{api}: n_clients is out of range; expected 2 <= n_clients < 2^31, got {self.n_clients}")
        if not isinstance(self.dim, (int, np.integer)) or self.dim < 1:
            raise ParameterError(f"{api}: dim is out of range; expected dim >= 1, got {self.dim}")
        k = default_neighbours(self.n_clients) if self.neighbours is None else int(self.neighbours)
        if k < 1 or k > self.n_clients - 1 or (k < self.n_clients - 1 and k % 2):
            raise ParameterError(f"{api}: neighbours is out of range; expected n_clients - 1 or an even k in "
                                 f"[2, {self.n_clients - 1}], got {self.neighbours}")
        if k + 1 > SHAMIR_MAX_PARTIES:
            raise ParameterError(f"{api}: neighbours is out of range; expected a closed neighbourhood of at most "
                                 f"{SHAMIR_MAX_PARTIES} clients (neighbours <= {SHAMIR_MAX_PARTIES - 1}; a sparse "
                                 f"graph for more clients), got {k}")
        object.__setattr__(self, "neighbours", k)
        least = signed_threshold(k) if self.signed else honest_majority_threshold(k)
        t = least if self.threshold is None else int(self.threshold)
        if t < 1 or t > k + 1:
            raise ParameterError(f"{api}: threshold is out of range; expected 1 <= threshold <= neighbours + 1 = {k + 1},"
                                 f" got {self.threshold}")
        if t < least and not self.insecure_threshold:
            bound = "the signed-round minimum" if self.signed else "the honest majority"
            raise ParameterError(f"{api}: threshold is below {bound}; expected {least} <= threshold <= {k + 1} for "
                                 f"{k} neighbours (insecure_threshold=True allows less), got {t}")
        object.__setattr__(self, "threshold", t)
        if not 8 <= int(self.mod_bits) <= 64:
            raise ParameterError(f"{api}: mod_bits is out of range; expected 8 <= mod_bits <= 64, got {self.mod_bits}")

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint32 if self.mod_bits <= 32 else np.uint64)

    @property
    def check_words(self) -> int:
        """Words of zeros appended to every masked input, ceil(64 / mod_bits): unmasked,
        their sum must be zero. A pairwise or self mask that does not cancel (a mask key
        altered between two clients, a masked input of another round) leaves uniform words
        there, so ``SecAggServer.finish`` refuses a wrong sum except with probability
        <= 2^-64."""
        return -(-64 // int(self.mod_bits))

    @property
    def masked_dim(self) -> int:
        """Words of a masked input: ``dim`` plus ``check_words``."""
        return self.dim + self.check_words

    @property
    def complete(self) -> bool:
        return self.neighbours == self.n_clients - 1

    def reduce(self, v: np.ndarray) -> np.ndarray:
        """``v`` mod 2^mod_bits, in place."""
        if self.mod_bits not in (32, 64):
            v &= self.dtype.type((1 << self.mod_bits) - 1)
        return v


class NeighbourGraph:
    """A k-regular graph on the clients: a random ring order (from ``seed``, public),
    each client joined to the k/2 clients before and after it; the complete graph when
    k = n - 1.

    >>> g = NeighbourGraph(10, 4, bytes(32))
    >>> len(g.neighbours(3))
    4
    """

    def __init__(self, n_clients: int, k: int, seed: bytes):
        self.n = int(n_clients)
        self.k = int(k)
        if self.k >= self.n - 1:
            self._pos = self._order = None
        else:
            keys = _core.Prng(bytes(seed), 7).uint64(self.n)
            self._order = np.argsort(keys, kind="stable")
            self._pos = np.empty(self.n, dtype=np.int64)
            self._pos[self._order] = np.arange(self.n)

    def neighbours(self, i: int) -> np.ndarray:
        """Sorted neighbour ids of client i (i excluded)."""
        if self._order is None:
            return np.delete(np.arange(self.n), i)
        h = self.k // 2
        p = self._pos[i]
        offs = np.concatenate([np.arange(-h, 0), np.arange(1, h + 1)])
        return np.sort(self._order[(p + offs) % self.n])
