"""Clipping and quantization of float updates into Z_2^k, so that masked integers sum
to the (scaled, rounded) sum of the updates without wrapping."""

from __future__ import annotations

import math

import numpy as np

from pyppml.fl.common.errors import ParameterError


# Standard deviations of the summed distributed-DP noise kept inside the ring: a wrap past
# it is a 2^-60 event per entry. (A fixed half of the ring wrapped 42% of the entries of a
# sum of 2 clients at z = 5, silently.)
NOISE_TAIL = 9.0


def noise_headroom(n_clients: int, noise_multiplier: float, dim: int = 1, mod_bits: int = 32) -> float:
    """The ``noise_headroom`` for distributed DP with multiplier z over ``dim`` entries: in
    integer units the summed noise has a std of z (clip scale + ceil(sqrt(dim))) (the grid's
    rounding inflation), so the scale is the largest with
    n clip scale + NOISE_TAIL z (clip scale + ceil(sqrt(dim))) <= 2^(mod_bits - 1) - 1;
    0 without noise.

    Raises
    ------
    ParameterError
        The noise's tail alone fills the ring.
    """
    z = float(noise_multiplier)
    if z <= 0:
        return 0.0
    n, half = int(n_clients), 2.0 ** (int(mod_bits) - 1) - 1
    room = half - NOISE_TAIL * z * math.ceil(math.sqrt(max(1, int(dim))))
    if room <= 0:
        raise ParameterError(f"noise_headroom: mod_bits is too small for the noise; expected room for {NOISE_TAIL} "
                             f"std of noise multiplier {z} over {dim} entries, got mod_bits = {mod_bits}")
    return 1.0 - n * room / (half * (n + NOISE_TAIL * z))


class Quantizer:
    """Maps updates with entries in [-clip, clip] to integers mod 2^mod_bits, with a
    scale chosen so that the sum of ``n_clients`` of them (plus ``noise_headroom``
    integer units of noise per entry) stays inside (-2^(mod_bits-1), 2^(mod_bits-1)).

    Rounding is deterministic (nearest), so a sum is within n_clients / (2 scale) of the
    true sum in each entry.

    Parameters
    ----------
    clip : float
        Entry bound; larger entries are clipped.
    n_clients : int
        Most updates summed.
    mod_bits : int
        Width of the ring.
    noise_headroom : float
        Room left for the integer noise of distributed DP, as a fraction of the range.

    >>> q = Quantizer(1.0, 4, 32)
    >>> s = q.encode(np.array([0.5, -0.25])) + q.encode(np.array([0.25, 0.5]))
    >>> np.round(q.decode(s), 6).tolist()
    [0.75, 0.25]
    """

    def __init__(self, clip: float, n_clients: int, mod_bits: int = 32, noise_headroom: float = 0.0):
        clip = float(clip)
        if not math.isfinite(clip) or clip <= 0:
            raise ParameterError(f"Quantizer: clip is out of range; expected a finite clip > 0, got {clip}")
        if not 0 <= noise_headroom < 1:
            raise ParameterError(f"Quantizer: noise_headroom is out of range; expected [0, 1), got {noise_headroom}")
        self.clip = clip
        self.mod_bits = int(mod_bits)
        self.dtype = np.dtype(np.uint32 if self.mod_bits <= 32 else np.uint64)
        half = 2.0 ** (self.mod_bits - 1) - 1
        self.scale = math.floor(half * (1 - noise_headroom) / (n_clients * clip))
        if self.scale < 1:
            raise ParameterError(f"Quantizer: mod_bits is too small; expected room for {n_clients} updates of "
                                 f"|x| <= {clip}, got mod_bits = {mod_bits}")
        self.mask = (1 << self.mod_bits) - 1

    def encode(self, update: np.ndarray, noise: np.ndarray | None = None) -> np.ndarray:
        """round(clip(update) * scale) (+ integer noise) as two's complement mod 2^mod_bits."""
        x = np.clip(np.asarray(update, dtype=np.float64), -self.clip, self.clip)
        q = np.rint(x * self.scale).astype(np.int64)
        if noise is not None:
            q += np.asarray(noise, dtype=np.int64)
        out = q.astype(self.dtype) if self.dtype == np.uint64 else (q & 0xFFFFFFFF).astype(np.uint32)
        if self.mod_bits not in (32, 64):
            out &= self.dtype.type(self.mask)
        return out

    def decode(self, total: np.ndarray) -> np.ndarray:
        """Signed value of each entry of a sum mod 2^mod_bits, divided by the scale."""
        t = np.asarray(total).astype(np.uint64) & np.uint64(self.mask)
        signed = t.astype(np.int64)
        signed = np.where(signed >= (1 << (self.mod_bits - 1)), signed - (1 << self.mod_bits), signed) \
            if self.mod_bits < 64 else t.view(np.int64)
        return signed.astype(np.float64) / self.scale
