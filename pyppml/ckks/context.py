"""CKKS context: parameters, keys, encoding and encryption."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from pyppml._core import ParameterError
from pyppml._rlwe import (ReleaseCount, RlweContext, checked_rotations, native_context, release_count, rotation_steps,
                          signed_powers_of_two)
from pyppml.ckks.params import choose_parameters, refine_refusal


class Context(RlweContext):
    """A CKKS parameter set with its keys.

    Parameters
    ----------
    poly_degree : int, optional
        Ring degree n (power of two, 2^10 .. 2^17); n/2 complex slots. ``None``
        (default): the smallest ring whose ``security`` table entry holds the chain
        (``depth`` or ``coeff_mod_bits``), as OpenFHE chooses it; n = 8192 without a
        depth or chain, or with ``security=None``.
    depth : int, optional
        Multiplicative depth; chooses ``[scale_bits + 20] + [scale_bits] * depth`` data
        primes (the first capped at 60 bits: 20 bits of headroom keep |x| < 2^19 after
        the last rescale) and special primes as large as the largest key-switching digit
        (``pyppml.ckks.params``). A product circuit of this depth on values in [-1, 1]
        decrypts with error below 2^-(scale_bits - 20). ``None``: the deepest chain that
        fits (at n = 8192 unless ``poly_degree`` is given).
    scale_bits : int
        log2 of the default scale (20 .. 58).
    coeff_mod_bits, special_mod_bits : list of int, optional
        Explicit chain (data primes, then key-switching primes), as SEAL's
        ``CoeffModulus.Create``; overrides ``depth``. Special primes default to the
        size of the largest key-switching digit.
    dnum : int
        Key-switching digits (0: one per data prime, the SEAL/OpenFHE default).
    security : {128, 192, 256, None}
        Checked against ``security_standard``'s table; ``None`` turns the check off
        and warns.
    security_standard : {"2024", "2018"}
        "2024": ePrint 2024/463 Table 5.2 (default); "2018": the HomomorphicEncryption.org
        standard SEAL and OpenFHE enforce (chains copied from them are sized to it).
    device : {"cpu", "cuda"}
        Where ``encrypt`` puts ciphertexts (``to(device)`` gives a view of the same
        keys on another device; docs/gpu.md).

    Raises
    ------
    DeviceUnavailableError
        ``device="cuda"`` without a usable GPU (a ``ParameterError``; the message says
        why: built without CUDA, no driver, no device).
    ParameterError
        A chain no supported ring holds (the message gives the deepest chain that
        fits), a ``poly_degree`` too small for the depth or chain (the message names
        the smallest ring that holds it, and ``security_standard="2018"`` where that
        table would accept the chain), or any other invalid parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from pyppml import ckks
    >>> ctx = ckks.Context(poly_degree=8192, depth=2)
    >>> ctx.keygen()
    >>> ct = ctx.encrypt([1.0, 2.0, 3.0])
    >>> np.round(ctx.decrypt(ct * ct)[:3], 4).tolist()
    [1.0, 4.0, 9.0]
    >>> ckks.Context(depth=3, scale_bits=30).poly_degree  # 50 + 3 * 30 + 50 bits <= 214
    8192
    """

    def __init__(
        self,
        poly_degree: int | None = None,
        depth: int | None = None,
        scale_bits: int = 40,
        coeff_mod_bits: Sequence[int] | None = None,
        special_mod_bits: Sequence[int] | None = None,
        dnum: int = 0,
        security: int | None = 128,
        security_standard: str = "2024",
        *,
        device: str = "cpu",
        _native=None,
    ):
        from pyppml.gpu.discovery import check_device

        device = check_device("Context", device)
        if _native is None:
            poly_degree, q_bits, p_bits = choose_parameters(poly_degree, depth, scale_bits, coeff_mod_bits,
                                                            special_mod_bits, dnum, security, security_standard)
            try:
                _native = native_context("ckks", poly_degree, q_bits, p_bits, dnum, security, security_standard)
            except ParameterError as e:
                raise refine_refusal(e, poly_degree, q_bits, p_bits, security, security_standard) from None
        super().__init__(_native)
        self.scale = float(2 ** scale_bits)
        self.device = device
        if device != "cpu":
            from pyppml.gpu.evaluator import evaluator_for

            evaluator_for(self)  # the tables go to the GPU now: device errors here, not later

    def to(self, device: str) -> Context:
        """This context's parameters and keys (shared, not copied) with ``encrypt``
        giving ciphertexts on ``device`` ("cpu" or "cuda"); self when already there.
        Raises ``DeviceUnavailableError`` (a ``ParameterError``) when "cuda" is not usable."""
        from pyppml.gpu.ciphertext import context_to

        return context_to(self, device)

    @classmethod
    def bootstrappable(cls, levels_after: int = 10, slots: int | None = None, *, poly_degree: int | None = None,
                       scale_bits: int = 40, level_budget: tuple[int, int] | None = None, security: int | None = 128,
                       security_standard: str = "2024", ephemeral_weight: int = 32,
                       dnum: int | None = None, stc_first: bool = False) -> Context:
        """A context whose ciphertexts can be refreshed with ``ct.bootstrap()``.

        The chain is q_0 (``scale_bits`` + 9 bits), ``levels_after`` primes of ``scale_bits`` for the
        user, then the levels bootstrapping consumes (SlotsToCoeffs, EvalMod,
        CoeffsToSlots). Fresh encryptions start at level ``levels_after``; a bootstrap
        returns there. With ``stc_first`` SlotsToCoeffs runs first, on the lowest
        ``stc_levels`` primes: fresh encryptions and bootstrap results sit at level
        ``levels_after + stc_levels`` and a bootstrap takes any level down to ``stc_levels``
        (same chain and keys, a faster bootstrap). The ring is the smallest that holds the chain at ``security``
        (N = 2^16 for the defaults); see :meth:`bootstrap_info` and docs/bootstrapping.md.

        Parameters
        ----------
        levels_after : int
            Levels left to the user after each bootstrap (>= 1).
        slots : int, optional
            Slots bootstrapped: n/2 (default, full) or a smaller power of two s (sparse:
            ciphertexts must hold s-periodic vectors, ``np.tile(x, ctx.slots // s)`` of
            s values x; ``encode`` zero-pads, and a zero-padded vector comes back from
            a bootstrap divided by n/(2s)).
        level_budget : (int, int), optional
            Levels of CoeffsToSlots and SlotsToCoeffs (default 3 and 3 from 512 slots).
        ephemeral_weight : int
            Hamming weight h of the sparse secret the level-0 ciphertext is switched to
            (32: ModRaise's overflow stays within EvalMod's range |I| <= 16).
        stc_first : bool
            SlotsToCoeffs before ModRaise, on few limbs (OpenFHE's faster mode; default
            False: ModRaise first). ``bootstrap_info()`` gives ``output_level`` and
            ``min_input_level``.

        Examples
        --------
        >>> ctx = Context.bootstrappable(levels_after=2, slots=8, poly_degree=2048, security=None)  # doctest: +SKIP
        """
        from pyppml.ckks.bootstrap import make_context

        return make_context(cls, levels_after, slots, poly_degree, scale_bits, level_budget, security,
                            security_standard, ephemeral_weight, dnum, stc_first)

    @property
    def is_bootstrappable(self) -> bool:
        return getattr(self, "_bootstrap_plan", None) is not None

    def bootstrap_info(self) -> dict:
        """Levels left after a bootstrap, expected precision (bits), the EvalMod input
        range, the rotation keys and their sizes in bytes."""
        from pyppml.ckks.bootstrap import info

        return info(self)

    # ------------------------------------------------------------------ parameters
    @property
    def slots(self) -> int:
        return self._native.slots

    def __repr__(self) -> str:
        return (f"ckks.Context(poly_degree={self.poly_degree}, levels={self.max_level}, log_qp={self.log_qp:.1f}, "
                f"scale=2^{math.log2(self.scale):.0f}, security={self.security}, private={self.is_private})")

    # ------------------------------------------------------------------ keys
    def galois_element(self, steps: int) -> int:
        """Galois element of a left rotation by ``steps`` slots (5^steps mod 2n)."""
        return pow(5, rotation_steps(steps, "galois_element") % self.slots, 2 * self.poly_degree)

    @property
    def conjugation_element(self) -> int:
        return 2 * self.poly_degree - 1

    def keygen(self, rotations: Iterable[int] | None = None, conjugate: bool = True, relin: bool = True, *,
               operations: Iterable[str] | None = None,
               matvec_shapes: Iterable[tuple[int, int]] | None = None, bootstrapping: bool = False,
               compact_keys: bool | None = None) -> None:
        """Generate the secret, public, relinearization and Galois keys.

        Parameters
        ----------
        rotations : iterable of int, optional
            Slot rotations to support directly. Default (with no ``operations``): every
            power of two in both directions, which reach any rotation in at most
            log2(slots) steps.
        conjugate : bool
            Also the conjugation key.
        relin : bool
            The relinearization key (ciphertext products).
        operations : iterable of str, optional
            Make the rotation keys these operations need instead of listing steps:
            ``"sum"``, ``"mean"``, ``"dot"``, ``"sum_slots"`` (left rotations by 1, 2, ...,
            slots / 2), ``"matvec"`` and ``"rotate"`` (every power of two, both
            directions). Added to ``rotations`` when both are given.
        matvec_shapes : iterable of (rows, cols), optional
            Direct keys for matrix-vector products of these shapes (``matrix @ vector``
            with a (rows, cols) matrix; ``vector @ matrix`` is (cols, rows)): fewer
            key switches than composing power-of-two rotations.
        compact_keys : bool, optional
            Keep only the b-halves of the relinearization, Galois and bootstrapping keys
            and regenerate their uniform a-halves from the key seed inside each key switch
            (AES-128-CTR, 256 coefficients at a time): half the key memory, at the cost
            of the regeneration. Default: True with ``bootstrapping=True`` (gigabytes of
            keys at 2^16), else False. A bootstrappable context keeps its
            relinearization key expanded (used 32 times per bootstrap, 1/60 of the keys).

        Examples
        --------
        >>> ctx = Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
        >>> ctx.keygen(operations=["dot"], conjugate=False)
        >>> len(ctx.galois_keys.elements)  # rotations by 1, 2, ..., 1024
        11

        With ``bootstrapping=True`` (a :meth:`bootstrappable` context) also the keys of the
        bootstrap plan: the two ephemeral-secret switching keys and only the rotation keys
        its linear transforms use (``bootstrap_info()["key_bytes"]`` gives their size).
        """
        if bootstrapping and not self.is_bootstrappable:
            raise ParameterError("keygen: bootstrapping is not available; expected a context made by "
                                 "Context.bootstrappable(...), got an ordinary one")
        # Every argument is checked before the keys are replaced: a refused call leaves the
        # keys (and what was encrypted under them) as they were.
        rotations = checked_rotations(rotations, "keygen")
        if operations is not None or matvec_shapes is not None:
            from pyppml.ckks.rotation import rotations_for

            rotations = sorted(set(rotations or ()) | set(rotations_for(self, operations or (), matvec_shapes or ())))
        if bootstrapping:
            # One pass of Galois keys: the caller's and the plan's.
            rotations = sorted(set(rotations or ()) | set(self._bootstrap_plan.rotations()))
            conjugate = True
        self.compact_keys = bool(bootstrapping if compact_keys is None else compact_keys)
        self._generate_keys(relin or bootstrapping)
        self.generate_rotation_keys(rotations, conjugate)
        if self.is_bootstrappable:
            self._bootstrap_keys = None
        if bootstrapping:
            from pyppml.ckks.bootstrap import generate_ephemeral_keys

            generate_ephemeral_keys(self)

    def generate_rotation_keys(self, rotations: Iterable[int] | None = None, conjugate: bool = True, *,
                               operations: Iterable[str] | None = None,
                               matvec_shapes: Iterable[tuple[int, int]] | None = None) -> None:
        """Galois keys for ``rotations`` and ``operations`` (as :meth:`keygen`), added to
        the ones already made (key owner only)."""
        if operations is not None or matvec_shapes is not None:
            from pyppml.ckks.rotation import rotations_for

            rotations = sorted(set(rotations or ()) | set(rotations_for(self, operations or (), matvec_shapes or ())))
        self._rotation_keys(rotations, self.slots, self.conjugation_element if conjugate else None)

    def default_rotations(self) -> list[int]:
        return signed_powers_of_two(self.slots)

    def level_scale(self, level: int) -> float:
        """The standard scale of ``level``: ``scale`` at the top level, and
        s_{l-1} = s_l^2 / q_l below it, the scale a product of two ciphertexts at the
        standard scale of level l has after its rescale (OpenFHE's FLEXIBLEAUTO).

        Operators land their results on these scales whenever they choose one (scalar and
        plaintext products, level alignment), so ``ex2 - mean.square()`` meets equal
        scales whichever way each side was computed.

        Examples
        --------
        >>> ctx = Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
        >>> ctx.level_scale(1) == ctx.scale, round(math.log2(ctx.level_scale(0)), 3)
        (True, 28.0)
        """
        level = int(level)
        if not 0 <= level <= self.max_level:
            raise ParameterError(f"level_scale: level is out of range; expected 0 <= level <= {self.max_level}, got {level}")
        s, q = self.scale, self.coeff_moduli
        top = self.max_level
        if self.is_bootstrappable:
            # The user's chain ends at the bootstrap's output level; above it the
            # bootstrap's own scale.
            from pyppml.ckks.bootstrap.plan import EVAL_SCALE

            top = self._bootstrap_plan.config.output_level
            if level > top:
                return EVAL_SCALE
        for lvl in range(top, level, -1):
            s = s * s / q[lvl]
        return s

    def make_public(self) -> Context:
        """A copy without the secret key, to send to a computing party."""
        pub = super().make_public()
        pub.scale = self.scale
        if self.is_bootstrappable:
            # The plan (its encoded transforms included) and the ephemeral keys are public.
            pub._bootstrap_plan, pub._bootstrap_keys = self._bootstrap_plan, self._bootstrap_keys
        return pub

    # ------------------------------------------------------------------ encoding
    def _level(self, level: int | None) -> int:
        if level is None:
            return self._bootstrap_plan.config.output_level if self.is_bootstrappable else self.max_level
        return int(level)

    def encode(self, values, scale: float | None = None, level: int | None = None):
        """Encode up to n/2 real or complex values into a plaintext; a shorter vector
        is zero-padded (the only place padding happens: ciphertext operators refuse
        vectors of another length). ``scale`` (default ``level_scale(level)``) must be
        >= 2^10 sqrt(n) (``ParameterError``)."""
        from pyppml.ckks.ciphertext import Plaintext
        from pyppml.ckks.scales import min_scale

        level = self._level(level)
        scale = self.level_scale(level) if scale is None else float(scale)
        # Below 2^10 sqrt(n) the rounding of encoding and of rescaling eats the values.
        if not scale >= min_scale(self):
            raise ParameterError(f"encode: scale is too small; expected scale >= 2^{math.log2(min_scale(self)):.1f} "
                                 f"(2^10 sqrt(n)), got {scale!r}")
        arr = np.asarray(values)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1:
            raise ParameterError(f"encode: values has the wrong shape; expected a 1-D array of at most {self.slots} values, got {arr.shape}")
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ParameterError(f"encode: values has the wrong dtype; expected real or complex numbers, got {arr.dtype}")
        if np.iscomplexobj(arr):
            native = self._native.encode(arr.astype(np.complex128), scale, level)
        else:
            native = self._native.encode_real(arr.astype(np.float64), scale, level)
        return Plaintext(self, native)

    def decode(self, plaintext, complex: bool = False) -> np.ndarray:
        out = self._native.decode(plaintext._native)
        return out if complex else out.real.copy()

    # ------------------------------------------------------------------ encryption
    def encrypt(self, values, level: int | None = None, scale: float | None = None, symmetric: bool | None = None):
        """Encrypt values (or a Plaintext). Public-key encryption unless ``symmetric``
        (default: symmetric when the secret key is here, which halves the size as the
        uniform half is stored as a seed)."""
        from pyppml.ckks.ciphertext import Ciphertext, Plaintext
        from pyppml.ckks.scales import check_scale as _check_scale

        pt = values if isinstance(values, Plaintext) else self.encode(values, scale=scale, level=level)
        _check_scale(self, "encrypt", pt.scale, pt.level, "plaintext")
        if symmetric is None:
            symmetric = self.secret_key is not None
        if symmetric:
            self._require_secret("encrypt")
            native = self._native.encrypt_secret(self.secret_key, pt._native)
        else:
            if self.public_key is None:
                raise ParameterError("encrypt: context has no public key; expected keygen() or a received public context, got none")
            native = self._native.encrypt_public(self.public_key, pt._native)
        ct = Ciphertext(self, native)
        ct._history = 0  # fresh: decrypt_for_release's default noise bound applies
        return ct if getattr(self, "device", "cpu") == "cpu" else ct.to(self.device)

    def encrypt_vector(self, values, symmetric: bool | None = None):
        """Encrypt a real vector of any length as a :class:`~pyppml.ckks.Vector`, over
        ceil(len / slots) ciphertexts (TenSEAL's ``ts.ckks_vector``)."""
        from pyppml.ckks.vector import Vector

        return Vector.encrypt(self, values, symmetric=symmetric)

    def decrypt(self, ciphertext, complex: bool = False) -> np.ndarray:
        """Decrypt and decode a Ciphertext (all slots) or a Vector (its values); key
        owner only. The result carries the encryption noise: never release it to another
        party without ``decrypt_for_release``."""
        from pyppml.ckks.vector import Vector

        if isinstance(ciphertext, Vector):
            self._require_secret("decrypt")
            return np.concatenate([self.decrypt(c, complex) for c in ciphertext.ciphertexts])[: ciphertext.size]
        self._require_secret("decrypt")
        self._check(ciphertext, "decrypt")
        ciphertext = ciphertext.to("cpu")  # decryption is a host operation (a no-op for host ciphertexts)
        pt = self._native.decrypt(self.secret_key, ciphertext._native)
        out = self._native.decode(pt)
        return out if complex else out.real.copy()

    def decrypt_for_release(self, ciphertext, bits_of_precision: float = 20.0, complex: bool = False, *,
                            noise_bound: float | None = None, security_bits: int = 40,
                            max_releases: int = 1) -> np.ndarray:
        """Decrypt for sharing the result with others, against IND-CPA^D key recovery
        (Li-Micciancio 2021; SECURITY.md 3).

        The decrypted polynomial is flooded with a discrete Gaussian of width
        sigma >= sqrt(12 tau) 2^(s/2) B (OpenFHE's rule; ``pyppml.ckks.release``) before
        decoding, so the output no longer carries the secret-key-dependent error; each
        released real component carries noise of standard deviation
        2^-bits_of_precision and is rounded to a grid of step 2^-ceil(bits_of_precision).

        B must bound the ciphertext's error, and whoever makes the ciphertext chooses that
        error: release only ciphertexts from a computation you trust (yours, or an agreed
        circuit run by an honest-but-curious server). A crafted ciphertext (say an
        encryption of 0 doubled 52 times) exceeds any B, and one release of it gives the
        secret key. The count of releases is kept per secret key in this process, as a
        guard against accidents: every Context holding the key shares it (a re-import of
        the key included).

        Parameters
        ----------
        ciphertext : Ciphertext
        bits_of_precision : float
            1..50: -log2 of the released noise's standard deviation.
        complex : bool
            Return complex slots (both parts flooded) instead of real parts.
        noise_bound : float, optional
            B: bound on every coefficient of the ciphertext's error, in coefficient
            units. Default ``release.default_noise_bound(self)`` covers a fresh
            public-key ciphertext after one key switch and one rescale; pass a larger
            one for deeper computations. The default is taken only for a ciphertext of
            this session's ``encrypt`` followed by at most one rotation (or
            conjugation), one rescale and level drops; for any other (a product, a sum,
            a bootstrap, bytes or a pickle) ``noise_bound`` is required.
        security_bits : int
            s, statistical security (40..128).
        max_releases : int
            tau, releases allowed under this key. Fixed by the first release: every
            later one must pass the same value, and release number tau + 1 is refused.
            The count is kept per key in this process (``releases_made``) and shared
            by every Context holding the key; keygen() starts a new key and count.

        Raises
        ------
        ParameterError
            No secret key; an argument out of range; no ``noise_bound`` for a
            ciphertext the default does not cover; too much precision asked for this
            ciphertext's scale and noise bound (the message gives the most it can
            release); a release beyond ``max_releases`` or with another
            ``max_releases`` than the first.

        Examples
        --------
        >>> from pyppml import ckks
        >>> ctx = ckks.Context(poly_degree=8192, coeff_mod_bits=[60, 55], special_mod_bits=[60], scale_bits=55)
        >>> ctx.keygen()
        >>> out = ctx.decrypt_for_release(ctx.encrypt([0.25, -1.5]), bits_of_precision=8)
        >>> bool(abs(out[0] - 0.25) < 0.1 and abs(out[1] + 1.5) < 0.1)
        True
        """
        from pyppml.ckks.release import flooded_decrypt, plan_release

        self._require_secret("decrypt_for_release")
        self._check(ciphertext, "decrypt_for_release")
        plan = plan_release(self, ciphertext, bits_of_precision, noise_bound, security_bits, max_releases)
        # Counted under the key in the core, then decrypted (a host operation).
        return flooded_decrypt(self, ciphertext.to("cpu"), bits_of_precision, plan, complex)

    def _releases(self) -> ReleaseCount:
        """The release count of this Context's key (a key is required): one per key in
        this process, shared with its views (``to``) and with every other Context holding
        the key. The C library keeps its own count (docs/capi.md)."""
        return release_count(self._native.fingerprint, self.secret_key.key_id)

    @property
    def releases_made(self) -> int:
        """How many ``decrypt_for_release`` calls were made under this Context's key, by
        it, by any of its views (``to(device)``) or by any other holder of the key in
        this process; 0 without a secret key."""
        return 0 if self.secret_key is None else self._releases().made

    # ------------------------------------------------------------------ serialization
    def to_bytes(self, include_public_keys: bool = True) -> bytes:
        """Parameters and the public, relinearization and Galois keys (never the
        secret key)."""
        from pyppml.ckks.serialization import context_to_bytes

        return context_to_bytes(self, include_public_keys)

    @classmethod
    def from_bytes(cls, data: bytes, *, min_security: int | None = 128, allow_insecure: bool = False,
                   max_poly_degree: int = 32768, max_primes: int = 64, security_standard: str = "2024") -> Context:
        """A context from ``to_bytes`` output, which may come from an untrusted party.

        The security level and table stored in the bytes are the sender's claim: the level
        must be at least ``min_security``, the modulus within ``security_standard``'s
        table, and the ring degree and prime count within the limits; all are checked
        before any table or key is built.

        Parameters
        ----------
        data : bytes
            Output of :meth:`to_bytes`.
        min_security : {128, 192, 256} or None
            Lowest accepted security level (bits, classical). None accepts contexts
            without a security check and needs ``allow_insecure=True``.
        allow_insecure : bool
            Explicit opt-in for ``min_security=None``.
        max_poly_degree : int
            Largest accepted ring degree (default 32768; 65536 or 131072 on request).
        max_primes : int
            Largest accepted number of primes, data and special together (default 64).
        security_standard : {"2024", "2018"}
            Table the parameters must meet, whichever table the bytes name. "2018"
            (explicit opt-in) also accepts contexts made with ``security_standard="2018"``,
            up to 13 bits of log2(Q*P) above the 2024 bound.

        Raises
        ------
        FormatError
            Malformed bytes, or bytes over a limit (security level, security table, ring
            degree, primes).
        ParameterError
            Invalid limits, e.g. ``min_security=None`` without ``allow_insecure=True``.

        Examples
        --------
        >>> ctx = Context(poly_degree=4096, coeff_mod_bits=[38, 28], special_mod_bits=[38], scale_bits=28)
        >>> Context.from_bytes(ctx.to_bytes(), min_security=128).poly_degree
        4096
        """
        from pyppml.ckks.serialization import context_from_bytes

        return context_from_bytes(data, min_security=min_security, allow_insecure=allow_insecure,
                                  max_poly_degree=max_poly_degree, max_primes=max_primes,
                                  security_standard=security_standard)

    def __reduce__(self):
        return _restore_context, (self.to_bytes(), self.scale)


def _restore_context(data: bytes, scale: float) -> Context:
    """Unpickle: pickles are trusted input, so the loading limits are the core's."""
    from pyppml import _rlwe
    from pyppml.ckks.serialization import context_from_bytes

    return context_from_bytes(data, scale, **_rlwe.TRUSTED_LIMITS)

