"""The bootstrapping plan of one context: where each step sits in the modulus chain,
the merged DFT levels, the rotations they need, and the pipeline itself.

Chain (from q_0 up): q_0 (scale_bits + 9 bits) | ``levels_after`` user primes | SlotsToCoeffs |
EvalMod | CoeffsToSlots. A ciphertext at any user level is dropped to level 0, switched to
the sparse ephemeral secret, raised to the top (ModRaise), switched back, and then:

- sparse slots (s < n/2): summed over rotations by s, 2s, ... (the trace onto
  Z[X^(n/2s)], which keeps the s-periodic part),
- CoeffsToSlots (``cts_levels`` levels), the real and imaginary parts split with one
  conjugation (full slots: two ciphertexts; sparse: one, real parts then imaginary parts),
- EvalMod on each, SlotsToCoeffs (``stc_levels`` levels),

and comes out at level ``levels_after`` with its scale set back to the standard one.

SlotsToCoeffs first (``stc_first``, OpenFHE's faster mode): the same primes, SlotsToCoeffs'
at the bottom (q_0 | StC | user | EvalMod | CtS). The input, at a level >= ``stc_levels``,
goes through SlotsToCoeffs there, on a handful of limbs instead of ``levels_after`` more,
then ModRaise, CoeffsToSlots and EvalMod as above; the slots EvalMod leaves are the
input's values (the coefficients SlotsToCoeffs wrote), so nothing follows it. EvalMod's
last steps absorb the 1 / (2 pi) and the scale: the output is at level
``levels_after + stc_levels`` with the standard scale, ``levels_after`` of them the user's.
Sparse slots then take two EvalMods like full ones (the single-EvalMod packing of real and
imaginary parts would need a rotation and a masking level to unpack).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from pyppml._core import ParameterError
from pyppml.ckks.bootstrap import dft
from pyppml.ckks.bootstrap.eval_mod import EvalModShape, eval_mod
from pyppml.ckks.bootstrap.linear_transform import LinearTransform

# q_0 / scale = 2^MESSAGE_RATIO_BITS: the errors of CoeffsToSlots and EvalMod are relative
# to |m + q_0 I| ~ K q_0, so a smaller ratio keeps more of m's bits; the sine's own error
# (after the arcsine step 3/40 (2 pi 2^-9)^4 = 2^-29 relative at |value| = 1) bounds it.
MESSAGE_RATIO_BITS = 9
EVAL_BITS = 60
CTS_BITS = 60
# EvalMod works at this scale (the primes' size), whatever q_0 is.
EVAL_SCALE = 2.0 ** EVAL_BITS


@dataclass(frozen=True)
class BootstrapConfig:
    levels_after: int
    slots: int
    cts_levels: int
    stc_levels: int
    scale_bits: int = 40
    ephemeral_weight: int = 32
    eval_mod: EvalModShape = EvalModShape()
    stc_first: bool = False

    def data_bits(self) -> list[int]:
        """Data-prime sizes, q_0 first."""
        return ([self.scale_bits + MESSAGE_RATIO_BITS] + [self.scale_bits] * self.levels_after + [self.scale_bits] * self.stc_levels
                + [EVAL_BITS] * self.eval_mod.depth + [CTS_BITS] * self.cts_levels)

    def __post_init__(self):
        for name, low, high in (("levels_after", 0, 256), ("slots", 1, 1 << 16), ("cts_levels", 0, 64),
                                ("stc_levels", 0, 64), ("scale_bits", 20, 60), ("ephemeral_weight", 1, 1 << 17)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
                raise ValueError(f"BootstrapConfig: {name} is out of range; expected an integer in [{low}, {high}], got {value!r}")
        if (self.ephemeral_weight + 1) // 2 > self.eval_mod.k:
            # |I| <= (h + 1) / 2 must lie within the interval EvalMod approximates.
            raise ValueError(f"BootstrapConfig: ephemeral_weight is too large for EvalMod's interval; expected "
                             f"(h + 1) // 2 <= k = {self.eval_mod.k}, got h = {self.ephemeral_weight}")
        if self.stc_first and not self.eval_mod.arcsine:
            # The arcsine step's two terms are where the output scale is set.
            raise ValueError("stc_first needs EvalMod's arcsine step")

    @property
    def depth(self) -> int:
        return self.cts_levels + self.eval_mod.depth + self.stc_levels

    @property
    def output_level(self) -> int:
        """Level of a bootstrap's result (fresh encryptions start there too)."""
        return self.levels_after + (self.stc_levels if self.stc_first else 0)

    @property
    def min_input_level(self) -> int:
        """Lowest level a ciphertext may be bootstrapped from."""
        return self.stc_levels if self.stc_first else 0

    def to_tuple(self) -> tuple[int, ...]:
        m = self.eval_mod
        return (self.levels_after, self.slots, self.cts_levels, self.stc_levels, self.scale_bits,
                self.ephemeral_weight, m.k, m.degree, m.double_angle, int(m.arcsine), int(self.stc_first))

    @classmethod
    def from_tuple(cls, t) -> BootstrapConfig:
        la, s, c, st, sb, h, k, d, r, asin, stc_first = (int(v) for v in t)
        if asin not in (0, 1) or stc_first not in (0, 1):
            raise ValueError(f"flags must be 0 or 1, got arcsine={asin}, stc_first={stc_first}")
        return cls(la, s, c, st, sb, h, EvalModShape(k, d, r, bool(asin)), bool(stc_first))


def default_level_budget(slots: int) -> int:
    """DFT levels per transform: 3 from 2^9 slots (5 stages per level at 2^15), fewer
    for tiny slot counts."""
    log_s = max(1, int(slots).bit_length() - 1)
    return 3 if log_s >= 9 else 2 if log_s >= 3 else 1


class BootstrapPlan:
    """Precomputed transforms and the pipeline for one bootstrappable context."""

    def __init__(self, context, config: BootstrapConfig):
        self.context, self.config = context, config
        n = context.poly_degree
        s = config.slots
        if s & (s - 1) or not 1 <= s <= n // 2:
            raise ParameterError(f"bootstrappable: slots is invalid; expected a power of two <= {n // 2}, got {s}")
        config.eval_mod.check_precision(2.0 ** -MESSAGE_RATIO_BITS)
        self.full = s == n // 2
        # Real and imaginary parts through EvalMod as two ciphertexts (full slots, and sparse
        # ones SlotsToCoeffs first) or packed into one (sparse, ModRaise first).
        self.two_parts = self.full or config.stc_first
        self.period = n // 2 if self.full else 2 * s
        self.gap = n // (2 * s)
        top = context.max_level
        self.cts_levels = list(range(top, top - config.cts_levels, -1))
        eval_out = top - config.cts_levels - config.eval_mod.depth
        if eval_out != config.levels_after + config.stc_levels:
            raise ParameterError(f"bootstrappable: chain does not match the plan; expected {config.depth + config.levels_after} levels, got {top}")
        stc_top = config.stc_levels if config.stc_first else eval_out
        self.stc_levels = list(range(stc_top, stc_top - config.stc_levels, -1))
        self.eval_coeffs = config.eval_mod.coefficients()
        self.cts = [LinearTransform(op, n // 2) for op in self._cts_ops()]
        self._stc_ops = self._stc_operators()
        self.stc: list[LinearTransform] | None = None  # encoded on first use (see _encode_stc)
        self._encoded_cts = False
        # Fixed by the plan: computed once (every bootstrap checks the keys against it).
        steps = set(self.trace_steps())
        for lt in self.cts + self._stc_transforms(1.0):
            steps |= lt.rotations()
        self.rotation_steps = sorted(steps)

    # ------------------------------------------------------------ transforms
    def _tile(self, op):
        """An operator on s values written on the period's slots."""
        return dft.tile(op, self.config.slots, self.period)

    def _cts_ops(self):
        s, period = self.config.slots, self.period
        stages = [self._tile(st) for st in dft.coeffs_to_slots_stages(s)] or [{0: np.ones(period, complex)}]
        # 1/2 for the real/imaginary split, 1/K_b for EvalMod's interval, 1/gap for the
        # trace, EVAL_SCALE / q_0 for the scale the raised ciphertext is labelled with.
        q0 = float(self.context.coeff_moduli[0])
        factor = EVAL_SCALE / (q0 * 2.0 * self.config.eval_mod.k_bound * self.gap)
        stages[0] = dft.scale_rows(stages[0], np.full(period, factor))
        if not self.two_parts:
            # Rows s..2s-1 times -i: Re of the result holds the imaginary parts there.
            d = np.where(np.arange(period) < s, 1.0 + 0j, -1j)
            stages[-1] = dft.scale_rows(stages[-1], d)
        ops = dft.group_stages(stages, self.config.cts_levels, period)
        return [dft.tile(op, period, self.context.poly_degree // 2) for op in ops]

    def _stc_operators(self):
        s, period = self.config.slots, self.period
        stages = [self._tile(st) for st in dft.slots_to_coeffs_stages(s)] or [{0: np.ones(period, complex)}]
        if not self.two_parts:
            # out_k = x_(k mod s) + i x_(k mod s + s): the two halves back into complex slots.
            first = np.arange(period) < s
            # (offsets +s and -s coincide modulo the period 2s)
            gather = {0: np.where(first, 1.0 + 0j, 1j), s: np.where(first, 1j, 1.0 + 0j)}
            stages[0] = dft.compose(stages[0], gather, period)
        return stages

    def _stc_transforms(self, factor: float) -> list[LinearTransform]:
        """SlotsToCoeffs times ``factor`` (ModRaise first: 1/(2 pi) and the scale
        correction), folded into its first stage (the offsets, hence the rotations, do not
        depend on it)."""
        stages = list(self._stc_ops)
        period, slots = self.period, self.context.poly_degree // 2
        stages[0] = dft.scale_rows(stages[0], np.full(period, factor))
        ops = dft.group_stages(stages, self.config.stc_levels, period)
        return [LinearTransform(dft.tile(op, period, slots), slots) for op in ops]

    def _encode_stc(self, factor: float) -> None:
        self.stc = self._stc_transforms(factor)
        for lt, level in zip(self.stc, self.stc_levels):
            lt.encode(self.context._native, level)

    def _encode_cts(self) -> None:
        if not self._encoded_cts:
            for lt, level in zip(self.cts, self.cts_levels):
                lt.encode(self.context._native, level)
            self._encoded_cts = True

    # ------------------------------------------------------------ keys
    def trace_steps(self) -> list[int]:
        """Rotations s, 2s, ..., n/4 summing a sparse ciphertext over its periods."""
        steps, w = [], self.config.slots
        while w < self.context.poly_degree // 2:
            steps.append(w)
            w *= 2
        return steps

    def rotations(self) -> list[int]:
        """Rotation steps the plan needs (left rotations, mod n/2)."""
        return self.rotation_steps

    # ------------------------------------------------------------ pipeline
    def run(self, ct, keys):
        """The bootstrap of a (high-level) Ciphertext; `keys` = (to_sparse, to_dense)."""
        from pyppml._core import he as _he
        from pyppml.ckks.ciphertext import Ciphertext

        ctx = ct.context  # a public copy shares this plan (make_public)
        native, gk = ctx._native, ctx.galois_keys
        cfg = self.config

        def element(d: int) -> int:
            return pow(5, d % (ctx.poly_degree // 2), 2 * ctx.poly_degree)

        self._encode_cts()
        scale_in, q0 = ct.scale, float(ctx.coeff_moduli[0])
        c = ct._native
        if cfg.stc_first:
            if self.stc is None:
                self._encode_stc(1.0)
            if c.level > self.stc_levels[0]:
                c = native.drop_to_level(c, self.stc_levels[0])
            for lt in self.stc:
                c = lt.evaluate(native, c, gk, element)
        elif c.level:
            c = native.drop_to_level(c, 0)
        c = _he.switch_secret(native, c, keys[0])
        c = _he.mod_raise(native, c, ctx.max_level)
        c = _he.switch_secret(native, c, keys[1])
        c.scale = EVAL_SCALE
        for w in self.trace_steps():
            c = native.add(c, native.apply_galois(c, element(w), gk))
        for lt in self.cts:
            c = lt.evaluate(native, c, gk, element)
        conj = native.apply_galois(c, ctx.conjugation_element, gk)
        parts = [native.add(c, conj)]
        if self.two_parts:
            minus_i = native.encode_constant(-1j, 1.0, c.level)
            parts.append(native.multiply_plain(native.sub(c, conj), minus_i))
        if cfg.stc_first:
            # EvalMod's slots hold 2 pi m / q_0 for the coefficients m = scale_in * value that
            # SlotsToCoeffs wrote: gain q_0 / (2 pi scale_in), landing on the standard scale.
            gain = q0 / (2 * math.pi * scale_in)
            target = ctx.level_scale(cfg.output_level) * scale_in / ctx.level_scale(ct.level)
            outs = [eval_mod(Ciphertext(ctx, p), cfg.eval_mod, self.eval_coeffs, gain, target)._native for p in parts]
        else:
            outs = [eval_mod(Ciphertext(ctx, p), cfg.eval_mod, self.eval_coeffs)._native for p in parts]
        c = outs[0]
        if self.two_parts:
            plus_i = native.encode_constant(1j, 1.0, outs[1].level)
            im = native.multiply_plain(outs[1], plus_i)
            im.scale = c.scale
            c = native.add(c, im)
        if cfg.stc_first:
            return Ciphertext(ctx, c)
        if self.stc is None:
            # The scale after EvalMod is the same for every input (it starts from q_0): the
            # correction that lands a standard input on the standard output scale is known
            # from the first run.
            correction = ctx.level_scale(cfg.levels_after) * q0 / (c.scale * ctx.level_scale(0))
            self._encode_stc(correction / (2 * math.pi))
        for lt in self.stc:
            c = lt.evaluate(native, c, gk, element)
        c.scale = ctx.level_scale(cfg.levels_after) * scale_in / ctx.level_scale(0)
        return Ciphertext(ctx, c)
