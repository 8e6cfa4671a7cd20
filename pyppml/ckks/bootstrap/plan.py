"""The bootstrapping plan of one context: where each step sits in the modulus chain,
the merged DFT levels, the rotations they need, and the pipeline itself.

Chain (from q_0 up): q_0 (scale_bits + 14 bits) | ``levels_after`` user primes | SlotsToCoeffs |
EvalMod | CoeffsToSlots. A ciphertext at any user level is dropped to level 0, switched to
the sparse ephemeral secret, raised to the top (ModRaise), switched back, and then:

- sparse slots (s < n/2): summed over rotations by s, 2s, ... (the trace onto
  Z[X^(n/2s)], which keeps the s-periodic part),
- CoeffsToSlots (``cts_levels`` levels), the real and imaginary parts split with one
  conjugation (full slots: two ciphertexts; sparse: one, real parts then imaginary parts),
- EvalMod on each, SlotsToCoeffs (``stc_levels`` levels),

and comes out at level ``levels_after`` with its scale set back to the standard one.
"""

from __future__ import annotations

import math
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

    def data_bits(self) -> list[int]:
        """Data-prime sizes, q_0 first."""
        return ([self.scale_bits + MESSAGE_RATIO_BITS] + [self.scale_bits] * self.levels_after + [self.scale_bits] * self.stc_levels
                + [EVAL_BITS] * self.eval_mod.depth + [CTS_BITS] * self.cts_levels)

    @property
    def depth(self) -> int:
        return self.cts_levels + self.eval_mod.depth + self.stc_levels

    def to_tuple(self) -> tuple[int, ...]:
        m = self.eval_mod
        return (self.levels_after, self.slots, self.cts_levels, self.stc_levels, self.scale_bits,
                self.ephemeral_weight, m.k, m.degree, m.double_angle, int(m.arcsine))

    @classmethod
    def from_tuple(cls, t) -> BootstrapConfig:
        la, s, c, st, sb, h, k, d, r, asin = (int(v) for v in t)
        return cls(la, s, c, st, sb, h, EvalModShape(k, d, r, bool(asin)))


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
        self.full = s == n // 2
        self.period = n // 2 if self.full else 2 * s
        self.gap = n // (2 * s)
        top = context.max_level
        self.cts_levels = list(range(top, top - config.cts_levels, -1))
        eval_out = top - config.cts_levels - config.eval_mod.depth
        self.stc_levels = list(range(eval_out, eval_out - config.stc_levels, -1))
        if self.stc_levels[-1] - 1 != config.levels_after:
            raise ParameterError(f"bootstrappable: chain does not match the plan; expected {config.depth + config.levels_after} levels, got {top}")
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
        if not self.full:
            # Rows s..2s-1 times -i: Re of the result holds the imaginary parts there.
            d = np.where(np.arange(period) < s, 1.0 + 0j, -1j)
            stages[-1] = dft.scale_rows(stages[-1], d)
        ops = dft.group_stages(stages, self.config.cts_levels, period)
        return [dft.tile(op, period, self.context.poly_degree // 2) for op in ops]

    def _stc_operators(self):
        s, period = self.config.slots, self.period
        stages = [self._tile(st) for st in dft.slots_to_coeffs_stages(s)] or [{0: np.ones(period, complex)}]
        if not self.full:
            # out_k = x_(k mod s) + i x_(k mod s + s): the two halves back into complex slots.
            first = np.arange(period) < s
            # (offsets +s and -s coincide modulo the period 2s)
            gather = {0: np.where(first, 1.0 + 0j, 1j), s: np.where(first, 1j, 1.0 + 0j)}
            stages[0] = dft.compose(stages[0], gather, period)
        return stages

    def _stc_transforms(self, correction: float) -> list[LinearTransform]:
        """SlotsToCoeffs with 1/(2 pi) and the scale correction folded into its first
        stage (the offsets, hence the rotations, do not depend on them)."""
        stages = list(self._stc_ops)
        period, slots = self.period, self.context.poly_degree // 2
        stages[0] = dft.scale_rows(stages[0], np.full(period, correction / (2 * math.pi)))
        ops = dft.group_stages(stages, self.config.stc_levels, period)
        return [LinearTransform(dft.tile(op, period, slots), slots) for op in ops]

    def _encode_stc(self, correction: float) -> None:
        self.stc = self._stc_transforms(correction)
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

        def element(d: int) -> int:
            return pow(5, d % (ctx.poly_degree // 2), 2 * ctx.poly_degree)

        self._encode_cts()
        scale_in = ct.scale
        c = native.drop_to_level(ct._native, 0) if ct.level else ct._native
        c = _he.switch_secret(native, c, keys[0])
        c = _he.mod_raise(native, c, ctx.max_level)
        c = _he.switch_secret(native, c, keys[1])
        q0 = float(ctx.coeff_moduli[0])
        c.scale = EVAL_SCALE
        for w in self.trace_steps():
            c = native.add(c, native.apply_galois(c, element(w), gk))
        for lt in self.cts:
            c = lt.evaluate(native, c, gk, element)
        conj = native.apply_galois(c, ctx.conjugation_element, gk)
        parts = [native.add(c, conj)]
        if self.full:
            minus_i = native.encode_constant(-1j, 1.0, c.level)
            parts.append(native.multiply_plain(native.sub(c, conj), minus_i))
        outs = [eval_mod(Ciphertext(ctx, p), self.config.eval_mod, self.eval_coeffs)._native for p in parts]
        c = outs[0]
        if self.full:
            plus_i = native.encode_constant(1j, 1.0, outs[1].level)
            im = native.multiply_plain(outs[1], plus_i)
            im.scale = c.scale
            c = native.add(c, im)
        if self.stc is None:
            # The scale after EvalMod is the same for every input (it starts from q_0): the
            # correction that lands a standard input on the standard output scale is known
            # from the first run.
            self._encode_stc(ctx.level_scale(self.config.levels_after) * q0 / (c.scale * ctx.level_scale(0)))
        for lt in self.stc:
            c = lt.evaluate(native, c, gk, element)
        c.scale = ctx.level_scale(self.config.levels_after) * scale_in / ctx.level_scale(0)
        return Ciphertext(ctx, c)
