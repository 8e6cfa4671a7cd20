"""Public parameters of a secure-aggregation round and the SecAgg+ neighbour graph
(Bell et al. 2020: each client shares keys and masks with k ~ O(log n) neighbours
instead of all n - 1)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pyppml import _core
from pyppml.fl.common.errors import ParameterError


def default_neighbours(n_clients: int) -> int:
    """Complete graph up to 64 clients, else an even k = 2 ceil(1.5 log2 n) (30 at n = 1000),
    which keeps each neighbourhood above a 2/3-of-(k+1) threshold with overwhelming
    probability when up to ~10% of the clients drop; raise it for higher dropout rates."""
    if n_clients <= 64:
        return n_clients - 1
    return min(n_clients - 1, 2 * math.ceil(1.5 * math.log2(n_clients)))


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
        neighbours and itself). Default: floor((k + 1) / 2) + 1, the honest-majority
        bound below which the server could learn an individual update.
    neighbours : int, optional
        Graph degree k; ``default_neighbours(n_clients)`` if None. k = n - 1 is SecAgg
        (Bonawitz et al. 2017), smaller k is SecAgg+.
    mod_bits : int
        Aggregation in Z_2^mod_bits, 8..64; uint32 vectors up to 32 bits, uint64 above.

    Raises
    ------
    ParameterError
        On out-of-range values.
    """

    n_clients: int
    dim: int
    threshold: int | None = None
    neighbours: int | None = None
    mod_bits: int = 32

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
        object.__setattr__(self, "neighbours", k)
        t = (k + 1) // 2 + 1 if self.threshold is None else int(self.threshold)
        if t < 1 or t > k + 1:
            raise ParameterError(f"{api}: threshold is out of range; expected 1 <= threshold <= neighbours + 1 = {k + 1},"
                                 f" got {self.threshold}")
        object.__setattr__(self, "threshold", t)
        if not 8 <= int(self.mod_bits) <= 64:
            raise ParameterError(f"{api}: mod_bits is out of range; expected 8 <= mod_bits <= 64, got {self.mod_bits}")

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint32 if self.mod_bits <= 32 else np.uint64)

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
