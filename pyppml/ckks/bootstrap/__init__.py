"""CKKS bootstrapping: ModRaise, CoeffsToSlots, EvalMod, SlotsToCoeffs with sparse-secret
encapsulation. Public entry points live on the objects: ``ckks.Context.bootstrappable``,
``Context.keygen(bootstrapping=True)``, ``Ciphertext.bootstrap()`` and
``Context.bootstrap_info()`` (see docs/bootstrapping.md)."""

from __future__ import annotations

import math

from pyppml import _ring_choice
from pyppml._core import MismatchError, ParameterError
from pyppml._core import he as _he
from pyppml.ckks.bootstrap.eval_mod import EvalModShape
from pyppml.ckks.bootstrap.plan import BootstrapConfig, BootstrapPlan, default_level_budget

__all__ = ["BootstrapConfig", "EvalModShape", "choose_ring", "make_context", "generate_keys", "bootstrap", "info",
           "BootstrapKeyError"]


# Largest prime size on the core's IFMA kernels (primes below 2^50; ntt::kIfmaMaxModulus).
IFMA_PRIME_BITS = 50


class BootstrapKeyError(ParameterError):
    """A bootstrap was asked for without the keys it needs."""


def _digits_for(q_bits: list[int]) -> int:
    # Digits of at most 5 primes: P (and with it log2(q_0 P), the modulus of the only key
    # under the sparse secret) stays at most 5 primes of 60 bits.
    return max(1, -(-len(q_bits) // 5))


# The sparse secret's key s -> s' is public and lives modulo q_0 P only: its security is
# that of ternary LWE with Hamming weight h at that modulus. The argument (BTH22, Lattigo's
# level-0 key, OpenFHE's SPARSE_ENCAPSULATED) covers h >= 32 at N >= 2^16 and log2(q_0 P)
# up to ~360 bits; at h = 1 the key gives the main secret away (2n guesses of s').
SECURE_MIN_WEIGHT = 32
SPARSE_KEY_MAX_BITS = 380


# EvalMod approximates the sine on |I| <= k = 16 (EvalModShape), and |I| <= (h + 1) / 2
# deterministically: h <= 32. (Up to 64 used to be accepted: at h = 64 a 2^16 bootstrap
# came out wrong with probability 2^-32, silently; review 2026-12-08.)
MAX_WEIGHT = 32
# The sparse key's argument (the weight and modulus above) is made for 128-bit security:
# at security=256 a bootstrappable context built h = 32 at log2(q_0 P) = 357, where a
# meet-in-the-middle search on the s -> s' key alone costs ~2^229 (review 2026-12-08).
MAX_SECURITY = 128


def _check_weight(api: str, weight) -> None:
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
        raise ParameterError(f"{api}: ephemeral_weight is out of range; expected 1 <= h <= {MAX_WEIGHT} (EvalMod's "
                             f"interval |I| <= 16 holds |I| <= (h + 1) / 2), got {weight!r}")


def check_sparse_key(api: str, security, weight: int, q0_p_bits: float, n: int) -> None:
    """Refuse a sparse-secret key outside the setting its security argument covers, unless
    security is None (explicitly unchecked)."""
    _check_weight(api, weight)
    if security is None:
        return
    if security > MAX_SECURITY:
        raise ParameterError(f"{api}: security is above what the sparse-secret key is argued for; expected "
                             f"security <= {MAX_SECURITY} for a bootstrappable context (or None), got {security}")
    if weight < SECURE_MIN_WEIGHT:
        raise ParameterError(f"{api}: ephemeral_weight is below the secure minimum; expected h >= {SECURE_MIN_WEIGHT} "
                             f"with security={security} (smaller only with security=None), got {weight}")
    if n < 1 << 16 or q0_p_bits > SPARSE_KEY_MAX_BITS:
        raise ParameterError(f"{api}: the sparse-secret key's modulus is outside its security argument; expected "
                             f"N >= 2^16 and log2(q_0 P) <= {SPARSE_KEY_MAX_BITS} (raise dnum), got N = {n} and "
                             f"{q0_p_bits:.0f} bits")


def _check(levels_after, scale_bits, ephemeral_weight) -> None:
    if isinstance(levels_after, bool) or not isinstance(levels_after, int) or levels_after < 1:
        raise ParameterError(f"bootstrappable: levels_after is invalid; expected an integer >= 1, got {levels_after!r}")
    if not 30 <= scale_bits <= 50:
        raise ParameterError(f"bootstrappable: scale_bits is out of range; expected 30 <= scale_bits <= 50, got {scale_bits}")
    _check_weight("bootstrappable", ephemeral_weight)


def choose_ring(levels_after: int, slots: int | None, poly_degree: int | None, scale_bits: int, level_budget,
                security: int | None, security_standard: str, ephemeral_weight: int, dnum: int | None,
                stc_first: bool = False):
    """(poly_degree, config, data-prime bits, special-prime bits, dnum) of a bootstrappable
    chain: the given ring, or the smallest whose security table holds it."""
    _check(levels_after, scale_bits, ephemeral_weight)

    def chain(n: int):
        s = n // 2 if slots is None else int(slots)
        if s < 1 or s & (s - 1) or s > n // 2:
            raise ParameterError(f"bootstrappable: slots is invalid; expected a power of two <= n/2 = {n // 2}, got {slots}")
        cts, stc = level_budget if level_budget is not None else (default_level_budget(s),) * 2
        cfg = BootstrapConfig(levels_after, s, int(cts), int(stc), scale_bits, ephemeral_weight, stc_first=bool(stc_first))
        q = cfg.data_bits()
        d = dnum if dnum is not None else _digits_for(q)
        # Special primes below 2^50 run on the IFMA kernels (NTTs, inner products, base
        # conversions): 7 of 44 bits instead of 6 of 52 at N = 2^16 made a bootstrap ~5%
        # faster (same precision, one more limb in Q P).
        return cfg, q, _ring_choice.special_primes(q, d, max_prime_bits=IFMA_PRIME_BITS, overflow_margin=True), d

    if poly_degree is None:
        if security is None:
            raise ParameterError("bootstrappable: poly_degree is missing; expected a ring degree when security=None, got None")

        def bits_at(n: int) -> float:
            if slots is not None and n // 2 < slots:
                return math.inf
            _, q, p, _ = chain(n)
            return sum(q) + sum(p)

        poly_degree = _ring_choice.smallest_ring(bits_at, security, security_standard)
        if poly_degree is None:
            raise ParameterError(f"bootstrappable: chain does not fit any ring; expected log2(QP) within the "
                                 f"{security}-bit table at n <= 2^17, got {bits_at(1 << 17):.0f} bits (lower levels_after)")
    cfg, q, p, d = chain(int(poly_degree))
    check_sparse_key("bootstrappable", security, ephemeral_weight, q[0] + sum(p), int(poly_degree))
    return int(poly_degree), cfg, q, p, d


def make_context(cls, levels_after: int, slots: int | None, poly_degree: int | None, scale_bits: int,
                 level_budget, security: int | None, security_standard: str, ephemeral_weight: int,
                 dnum: int | None, stc_first: bool = False):
    if not isinstance(stc_first, bool):
        raise ParameterError(f"bootstrappable: stc_first is invalid; expected True or False, got {stc_first!r}")
    n, cfg, q, p, d = choose_ring(levels_after, slots, poly_degree, scale_bits, level_budget, security,
                                  security_standard, ephemeral_weight, dnum, stc_first)
    ctx = cls(poly_degree=n, coeff_mod_bits=q, special_mod_bits=p, dnum=d, scale_bits=scale_bits,
              security=security, security_standard=security_standard)
    attach(ctx, cfg)
    return ctx


def attach(ctx, cfg: BootstrapConfig) -> None:
    ctx._bootstrap_plan = BootstrapPlan(ctx, cfg)
    ctx._bootstrap_keys = None


def plan_of(ctx, api: str) -> BootstrapPlan:
    plan = getattr(ctx, "_bootstrap_plan", None)
    if plan is None:
        raise ParameterError(f"{api}: context is not bootstrappable; expected one made by ckks.Context.bootstrappable(...), got {ctx!r}")
    return plan


def generate_ephemeral_keys(ctx) -> None:
    """The two ephemeral-secret switching keys (key owner only)."""
    plan = plan_of(ctx, "keygen")
    ctx._require_secret("keygen")
    ctx._bootstrap_keys = _he.keygen_ephemeral(ctx._native, ctx.secret_key, plan.config.ephemeral_weight,
                                               compact=ctx.compact_keys)


def generate_keys(ctx) -> None:
    """The ephemeral-secret keys and the rotation keys of the plan, added to a context
    keyed by an ordinary ``keygen()`` (key owner only)."""
    generate_ephemeral_keys(ctx)
    ctx.generate_rotation_keys(plan_of(ctx, "keygen").rotations(), conjugate=True)


def _require_keys(ctx, plan: BootstrapPlan) -> None:
    if ctx._bootstrap_keys is None:
        raise BootstrapKeyError("bootstrap: context has no bootstrapping keys; expected keygen(bootstrapping=True) "
                                "or a context received with them, got none")
    if ctx.relin_key is None:
        raise BootstrapKeyError("bootstrap: context has no relinearization key; expected one for EvalMod, got none")
    have = set(ctx.galois_keys.elements) if ctx.galois_keys is not None else set()
    n = ctx.poly_degree
    missing = [s for s in plan.rotations() if pow(5, s, 2 * n) not in have]
    if 2 * n - 1 not in have:
        missing.append("conjugation")
    if missing:
        raise BootstrapKeyError(f"bootstrap: galois_keys lack rotation keys of the plan; expected keys for steps "
                                f"{missing[:8]}{'...' if len(missing) > 8 else ''}, got none for them "
                                f"(keygen(bootstrapping=True) makes them)")


def bootstrap(ct):
    ctx = ct.context
    plan = plan_of(ctx, "bootstrap")
    if ct.size != 2:
        raise ParameterError(f"bootstrap: ciphertext is not relinearized; expected 2 components, got {ct.size}")
    cfg = plan.config
    if not cfg.min_input_level <= ct.level <= cfg.output_level:
        raise ParameterError(f"bootstrap: ciphertext level is outside the user levels; expected "
                             f"{cfg.min_input_level} <= level <= {cfg.output_level}"
                             f"{' (SlotsToCoeffs first uses the lowest ' + str(cfg.stc_levels) + ')' if cfg.stc_first else ''}, "
                             f"got {ct.level}")
    # The message must stay far below q_0 for the sine to act as the identity on it.
    ratio = ct.scale / float(ctx.coeff_moduli[0])
    if not ratio <= 2.0 ** -8:
        raise ParameterError(f"bootstrap: scale is too large for q_0; expected scale <= q_0 / 2^8 = 2^{math.log2(ctx.coeff_moduli[0]) - 8:.1f}, "
                             f"got 2^{math.log2(ct.scale):.1f}")
    _require_keys(ctx, plan)
    if ctx._bootstrap_keys[0].key_id != ct._native.key_id:
        raise MismatchError("bootstrap: ciphertext belongs to another key set; expected the context's bootstrapping keys' key id, got another")
    return plan.run(ct, ctx._bootstrap_keys)


def info(ctx) -> dict:
    """What a bootstrap gives: levels left, expected precision, input range, key sizes."""
    plan = plan_of(ctx, "bootstrap_info")
    cfg = plan.config
    n, q0 = ctx.poly_degree, float(ctx.coeff_moduli[0])
    ratio = ctx.level_scale(0) / q0
    # Each key: one polynomial over Q*P per digit and half (b), plus a when not compact,
    # kept packed to each prime's bit length (64 bits above 50: rns/packed_poly.hpp).
    poly_bytes = sum(n // 8 * (q.bit_length() if q.bit_length() <= 50 else 64)
                     for q in list(ctx.coeff_moduli) + list(ctx.special_moduli))
    key_bytes = ctx._native.digits * (1 if ctx.compact_keys else 2) * poly_bytes
    relin_bytes = ctx._native.digits * (1 if ctx._relin_compact() else 2) * poly_bytes
    rotations = plan.rotations()
    approx = cfg.eval_mod.approximation_error(ratio)
    # Mean-error precision on uniform [-1, 1] values in all slots: EvalMod's approximation
    # error (in units of q_0, approx * q_0 / scale in the values) beside the noise of the
    # transforms, which a message coefficient (~sqrt(2 / n) of its slot values) feels more
    # as n grows: 32 - 0.65 log2(n) bits fits the measurements from n = 2^11 (25.5) to
    # 2^16 (21.1) within a bit (`pyppml bench boot`); sparse slots do better. SlotsToCoeffs
    # first: EvalMod sees the slot values themselves, and 41 - 0.93 log2(n) fits 30.7 bits
    # at 2^11 to 26.0 at 2^16.
    noise_bits = 41.0 - 0.93 * math.log2(n) if cfg.stc_first else 32.0 - 0.65 * math.log2(n)
    precision = -math.log2(approx / ratio + 2.0 ** -noise_bits)
    if cfg.stc_first:
        # EvalMod sees the real and imaginary parts of the slots, one per coefficient.
        input_range = (f"real and imaginary parts of the slot values up to 1 keep the expected precision; the sine's "
                       f"relative error grows as value^4 beyond (measured at 2^12: 6 bits lost at 4, 14 at 16); scale <= q_0 / 2^8 = "
                       f"2^{math.log2(q0) - 8:.1f}")
    else:
        input_range = (f"message coefficients up to the scale (|value| <= 1 for constant vectors, any |value| <= 16 "
                       f"for vectors of unrelated values) keep the expected precision; the sine's relative error "
                       f"grows as coefficient^4 beyond (21 bits for a constant 4, 13 for 16); scale <= q_0 / 2^8 = "
                       f"2^{math.log2(q0) - 8:.1f} at level 0")
    return {
        "levels_after": cfg.levels_after,
        "output_level": cfg.output_level,
        "min_input_level": cfg.min_input_level,
        "stc_first": cfg.stc_first,
        "slots": cfg.slots,
        "poly_degree": n,
        "levels_used": cfg.depth,
        "level_budget": (cfg.cts_levels, cfg.stc_levels),
        "eval_mod": {"k": cfg.eval_mod.k, "degree": cfg.eval_mod.degree, "double_angle": cfg.eval_mod.double_angle,
                     "arcsine": cfg.eval_mod.arcsine},
        "ephemeral_weight": cfg.ephemeral_weight,
        "input_range": input_range,
        "expected_precision_bits": round(precision, 1),
        "rotation_keys": len(rotations) + 1,
        "compact_keys": ctx.compact_keys,
        "key_bytes": {"rotation": (len(rotations) + 1) * key_bytes, "ephemeral": 2 * key_bytes,
                      "relinearization": relin_bytes},
        "log_qp": ctx.log_qp,
        "log_q0p": math.log2(q0) + sum(math.log2(p) for p in ctx.special_moduli),
    }
