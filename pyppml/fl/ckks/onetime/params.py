"""What every party of a one-time-key CKKS aggregation agrees on, and the plan that
sizes the ring: the noise of a sum, the scale that decodes it to 2^-precision_bits and
the smallest NTT prime that holds it.

A client's one-time key is the sum of one ternary part per key part of the committee's
replicated sharing (:mod:`pyppml.fl.common.replicated`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import os
import struct

import numpy as np

from pyppml._rlwe import native_context
from pyppml.fl.common import agreement, replicated
from pyppml.fl.common.errors import ParameterError
from pyppml.fl.common.replicated import MAX_PARTS
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
        Clients 0 .. n_clients - 1 (>= 2).
    dim : int
        Length of each update (>= 1).
    members : int
        Committee size k (1..16).
    threshold : int, optional
        Members needed to decrypt, 1..k (default k: n-of-n); fewer than ``threshold``
        colluding members learn nothing about any client's key.
    poly_degree : int
        Ring degree n (power of two, 1024..32768); a ciphertext carries n reals, one per
        coefficient.
    precision_bits : int
        Each decoded sum is within 2^-precision_bits of the true sum (7 standard
        deviations of the decryption noise).
    max_abs_value : float
        Bound on |entry| of every update (clients check it); the ring is sized so a sum of
        n_clients such entries never wraps.
    min_clients : int, optional
        Members refuse to decrypt sums of fewer clients (default ceil(2 n_clients / 3));
        at least 2, since a sum of one is that client's update.
    session : bytes
        16 bytes naming the committee's session; binds keys and the common reference string.
    security : int or None
        Classical security level checked against the 2024 RLWE table (128, 192, 256).
    member_signing_keys : tuple of bytes, optional
        Every member's raw 32-byte Ed25519 public key, in member order. Members sign the
        round's client set with these keys and release shares only against a quorum of
        signatures on one set (:mod:`pyppml.fl.common.agreement`). Required by
        every party when ``threshold < members`` (without them two holders of a key part
        could be asked for shares over different client sets); optional for n-of-n,
        where they make members refuse altered decryption requests.

    Raises
    ------
    ParameterError
        Out-of-range values, or a plan that does not fit the security level at this degree.

    Examples
    --------
    >>> p = OneTimeParams(10, 1000, members=3, threshold=2)
    >>> p.quorum, len(p.parts), p.agreement, len(p.digest)
    (3, 3, False, 32)
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
    member_signing_keys: tuple | None = None

    def __post_init__(self):
        api = "OneTimeParams"

        def need(ok, name, constraint, value):
            if not ok:
                raise ParameterError(f"{api}: {name} is out of range; expected {constraint}, got {value}")

        # A sum of one client is that client's update: never a plan.
        need(isinstance(self.n_clients, (int, np.integer)) and 2 <= self.n_clients < 1 << 31, "n_clients",
             "2 <= n_clients < 2^31", self.n_clients)
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
        need(2 <= self.min_count <= self.n_clients, "min_clients", f"2..{self.n_clients}", self.min_clients)
        need(isinstance(self.session, bytes) and len(self.session) == 16, "session", "16 bytes",
             len(self.session) if isinstance(self.session, bytes) else type(self.session).__name__)
        need(self.modulus_bits <= 60, "precision_bits", "a plan whose modulus fits 60 bits "
             f"(needs {self.modulus_bits}; lower precision_bits or max_abs_value)", self.precision_bits)
        keys = self.member_signing_keys
        if keys is not None:
            ok = (isinstance(keys, (tuple, list)) and len(keys) == self.members
                  and all(isinstance(k, bytes) and len(k) == 32 for k in keys) and len(set(keys)) == len(keys))
            need(ok, "member_signing_keys", f"{self.members} distinct 32-byte Ed25519 public keys",
                 [len(k) if isinstance(k, bytes) else type(k).__name__ for k in keys]
                 if isinstance(keys, (tuple, list)) else type(keys).__name__)
            object.__setattr__(self, "member_signing_keys", tuple(keys))
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
    def agreement(self) -> bool:
        """Whether members certify the client set before releasing shares (the plan names
        their signing keys)."""
        return self.member_signing_keys is not None

    @property
    def quorum(self) -> int:
        """Signatures on one client set a member needs before it releases a share:
        ceil((members + threshold) / 2), so that two quorums share >= threshold members
        (the argument is in :mod:`pyppml.fl.common.agreement`)."""
        return agreement.quorum(self.members, self.t)

    def check_committee(self, api: str) -> None:
        """Raise ParameterError when the plan lets two holders of a key part answer for
        different client sets: threshold < members without the members' signing keys."""
        if self.t < self.members and not self.agreement:
            raise ParameterError(f"{api}: member_signing_keys is missing; expected every member's Ed25519 key when "
                                 f"threshold < members, got threshold {self.t} of {self.members} without keys")

    @functools.cached_property
    def digest(self) -> bytes:
        """SHA-256 of every field of the plan (the members' signing keys included). It
        enters the key derivation and the associated data of the sealed seeds, so seeds
        sealed under one plan do not open under another (a server cannot hand a client a
        weaker plan, e.g. threshold 1, and have the members open its seeds)."""
        return plan_digest(self.n_clients, self.dim, self.members, self.t, self.poly_degree, self.precision_bits,
                           self.max_abs_value, self.min_count, self.session, self.security,
                           b"".join(self.member_signing_keys or ()))

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
        # One real per coefficient (ring.encode_block): a decoded entry is off by its
        # coefficient's noise and by the clients' roundings (half a unit each).
        error = TAIL * self.noise_sigma + self.n_clients / 2
        return math.ceil(math.log2(error) + self.precision_bits)

    @property
    def modulus_bits(self) -> int:
        # |coefficient| <= n_clients * (max_abs * scale + 1/2) plus the noise; a b-bit
        # prime is >= 2^(b-1) and must exceed twice the bound.
        bound = self.n_clients * (self.max_abs_value * 2.0 ** self.scale_bits + 0.5)
        bound += TAIL * self.noise_sigma + 1
        return max(20, math.ceil(math.log2(bound)) + 2)

    def holds_grid(self, step: float) -> bool:
        """Whether multiples of ``step`` (a power of two) encode exactly: scale * step is
        an integer. Distributed DP needs it: its noisy entries lie on such a grid, and an
        exact encoding makes the decrypted sum a function of their sum alone."""
        return self.scale * float(step) >= 1.0

    @property
    def scale(self) -> float:
        return float(2 ** self.scale_bits)

    @functools.cached_property
    def context(self):
        # The ring needs no keys, but the core refuses contexts without a special prime
        # (key generation would index it): carry the smallest NTT prime there, unused,
        # and count it in the security check (conservative).
        special = _smallest_special_bits(int(self.poly_degree), self.modulus_bits)
        try:
            return native_context("ckks", int(self.poly_degree), [self.modulus_bits], [special], 0, self.security,
                                  "2024")
        except ValueError as err:
            raise ParameterError(f"OneTimeParams: the plan is insecure or invalid; expected n = {self.poly_degree} "
                                 f"to allow a {self.modulus_bits}-bit modulus (+ a {special}-bit unused special "
                                 f"prime), got {err}") from None

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


def plan_digest(n_clients: int, dim: int, members: int, threshold: int, poly_degree: int, precision_bits: int,
                max_abs_value: float, min_clients: int, session: bytes, security: int | None,
                signing_keys: bytes) -> bytes:
    """:attr:`OneTimeParams.digest` of a plan with these fields (``threshold`` and
    ``min_clients`` resolved, ``signing_keys`` the members' keys joined), computed without
    building the plan's ring: a pinned client compares it before building anything. The
    integers must fit the digest's fields (u32, ``dim`` u64).

    Raises
    ------
    struct.error
        An integer that does not fit its field.
    """
    head = struct.pack("<IQIIIIdII", 1, int(dim), int(n_clients), int(members), int(threshold), int(poly_degree),
                       float(max_abs_value), int(precision_bits), int(min_clients))
    sec = struct.pack("<I", 0 if security is None else int(security))
    return hashlib.sha256(b"pyppml-fl onetime plan" + head + sec + bytes(session)
                          + struct.pack("<I", len(signing_keys)) + bytes(signing_keys)).digest()


@functools.lru_cache(maxsize=None)
def _smallest_special_bits(n: int, modulus_bits: int) -> int:
    """Bit size of the smallest prime = 1 mod 2n the core finds next to the data prime."""
    from pyppml._rlwe import _he

    for bits in range((2 * n).bit_length() + 1, 61):
        try:
            _he.select_primes(n, [modulus_bits, bits])
            return bits
        except ValueError:
            continue
    raise ParameterError(f"OneTimeParams: poly_degree has no special prime; expected an NTT prime below 2^60, "
                         f"got n = {n}")
