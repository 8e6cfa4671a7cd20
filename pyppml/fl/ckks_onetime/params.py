"""What every party of a one-time-key CKKS aggregation agrees on, and the plan that
sizes the ring: the noise of a sum, the scale that decodes it to 2^-precision_bits and
the smallest NTT prime that holds it.

A client's one-time key is the sum of one ternary part per key part of the committee's
replicated sharing (:mod:`pyppml.fl.replicated`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os

import numpy as np

from pyppml._rlwe import native_context
from pyppml.fl import replicated
from pyppml.fl.errors import ParameterError
from pyppml.fl.replicated import MAX_PARTS
# Fresh encryption noise and each member's decryption noise: the discrete Gaussian of
# variance 21 (sigma 4.58, above the smoothing parameter of Z). Conditioned on the
# revealed noise of the sum, one client's noise keeps variance >= 21 / 2 = 10.5
# (sigma 3.24), the RLWE error of the standard HE parameters.
NOISE_VARIANCE = 21.0
TAIL = 7.0  # a coefficient beyond 7 standard deviations: probability < 2^-38


@dataclasses.dataclass(frozen=True)
class OneTimeParams:
    """Public parameters of a committee and its aggregation rounds.

    Parameters
    ----------
    n_clients : int
        Clients 0 .. n_clients - 1 (>= 1).
    dim : int
        Length of each update (>= 1).
    members : int
        Committee size k (1..16).
    threshold : int, optional
        Members needed to decrypt, 1..k (default k: n-of-n); fewer than ``threshold``
        colluding members learn nothing about any client's key.
    poly_degree : int
        Ring degree n (power of two, 1024..32768); a ciphertext carries n reals, two per
        complex slot.
    precision_bits : int
        Each decoded sum is within 2^-precision_bits of the true sum (7 standard
        deviations of the decryption noise).
    max_abs_value : float
        Bound on |entry| of every update (clients check it); the ring is sized so a sum of
        n_clients such entries never wraps.
    min_clients : int, optional
        Members refuse to decrypt sums of fewer clients (default ceil(2 n_clients / 3)).
    session : bytes
        16 bytes naming the committee's session; binds keys and the common reference string.
    security : int or None
        Classical security level checked against the 2024 RLWE table (128, 192, 256).

    Raises
    ------
    ParameterError
        Out-of-range values, or a plan that does not fit the security level at this degree.
    """

    n_clients: int
    dim: int
    members: int = 3
    threshold: int | None = None
    poly_degree: int = 4096
    precision_bits: int = 20
    max_abs_value: float = 1.0
    min_clients: int | None = None
    session: bytes = dataclasses.field(default_factory=lambda: os.urandom(16))
    security: int | None = 128

    def __post_init__(self):
        api = "OneTimeParams"

        def need(ok, name, constraint, value):
            if not ok:
                raise ParameterError(f"{api}: {name} is out of range; expected {constraint}, got {value}")

        need(isinstance(self.n_clients, (int, np.integer)) and 1 <= self.n_clients < 1 << 31, "n_clients",
             "1 <= n_clients < 2^31", self.n_clients)
        need(isinstance(self.dim, (int, np.integer)) and 1 <= self.dim < 1 << 40, "dim", "1 <= dim < 2^40", self.dim)
        need(isinstance(self.members, (int, np.integer)) and 1 <= self.members <= 16, "members", "1..16", self.members)
        need(1 <= self.t <= self.members, "threshold", f"1..{self.members}", self.threshold)
        need(len(self.parts) <= MAX_PARTS, "threshold", f"C(members, threshold - 1) <= {MAX_PARTS} key parts",
             self.threshold)
        n = self.poly_degree
        need(isinstance(n, (int, np.integer)) and 1024 <= n <= 32768 and n & (n - 1) == 0, "poly_degree",
             "a power of two in 1024..32768", n)
        need(8 <= self.precision_bits <= 40, "precision_bits", "8..40", self.precision_bits)
        need(math.isfinite(self.max_abs_value) and self.max_abs_value > 0, "max_abs_value", "finite > 0",
             self.max_abs_value)
        need(1 <= self.min_count <= self.n_clients, "min_clients", f"1..{self.n_clients}", self.min_clients)
        need(isinstance(self.session, bytes) and len(self.session) == 16, "session", "16 bytes",
             len(self.session) if isinstance(self.session, bytes) else type(self.session).__name__)
        need(self.modulus_bits <= 60, "precision_bits", "a plan whose modulus fits 60 bits "
             f"(needs {self.modulus_bits}; lower precision_bits or max_abs_value)", self.precision_bits)
        self.context  # noqa: B018 - builds the ring now so insecure plans fail at construction

    # ------------------------------------------------------------------ committee
    @property
    def t(self) -> int:
        return self.members if self.threshold is None else int(self.threshold)

    @functools.cached_property
    def parts(self) -> tuple[tuple[int, ...], ...]:
        """Key parts, each named by the t - 1 members that do not hold it."""
        return replicated.key_parts(self.members, self.t)

    def holders(self, part: int) -> tuple[int, ...]:
        return replicated.holders(self.parts, part, self.members)

    def held_by(self, member: int) -> tuple[int, ...]:
        """Indices of the parts ``member`` holds, ascending."""
        return replicated.held_by(self.parts, member)

    @property
    def min_count(self) -> int:
        return -(-2 * self.n_clients // 3) if self.min_clients is None else int(self.min_clients)

    # ------------------------------------------------------------------ plan
    @property
    def noise_sigma(self) -> float:
        """Standard deviation of one coefficient of the decrypted sum's noise: n_clients
        encryptions plus one decryption share per part (at most)."""
        return math.sqrt(NOISE_VARIANCE * (self.n_clients + len(self.parts)))

    @property
    def scale_bits(self) -> int:
        # A slot's real part sums n / 2 coefficient noises with unit-modulus weights.
        slot_sigma = self.noise_sigma * math.sqrt(self.poly_degree / 2)
        return math.ceil(math.log2(TAIL * slot_sigma) + self.precision_bits)

    @property
    def modulus_bits(self) -> int:
        # |coefficient| <= |slot value| * scale <= sqrt(2) * n_clients * max_abs * scale,
        # plus the noise; a b-bit prime is >= 2^(b-1) and must exceed twice the bound.
        bound = math.sqrt(2) * self.n_clients * self.max_abs_value * 2.0 ** self.scale_bits
        bound += TAIL * self.noise_sigma + 1
        return max(20, math.ceil(math.log2(bound)) + 2)

    @property
    def scale(self) -> float:
        return float(2 ** self.scale_bits)

    @functools.cached_property
    def context(self):
        try:
            return native_context("ckks", int(self.poly_degree), [self.modulus_bits], [], 0, self.security, "2024")
        except ValueError as err:
            raise ParameterError(f"OneTimeParams: the plan is insecure or invalid; expected n = {self.poly_degree} "
                                 f"to allow a {self.modulus_bits}-bit modulus, got {err}") from None

    @functools.cached_property
    def base(self):
        return self.context.q_base(0)

    @property
    def modulus(self) -> int:
        return int(self.base.moduli[0])

    @property
    def blocks(self) -> int:
        """Ciphertexts per update: n reals each."""
        return -(-self.dim // self.poly_degree)

    @property
    def block_bytes(self) -> int:
        return -(-self.poly_degree * self.modulus_bits // 8)

    def blob_bytes(self, member: int) -> int:
        """Size of the encrypted seed bundle a client sends ``member``: 32 bytes per held
        part plus the 16-byte Poly1305 tag."""
        return 32 * len(self.held_by(member)) + 16

    def upload_bytes_estimate(self) -> int:
        return self.blocks * self.block_bytes + 32 + sum(self.blob_bytes(j) for j in range(self.members))
