"""Encrypted training past the depth of one chain: the data owner makes a bootstrappable
context whose sparse slot count is the packing's width W (the model vectors v and w are
W-periodic: every block holds the weights twice), and the server refreshes v and w with
``ct.bootstrap()`` whenever they have too few levels left for another iteration.

Cost (docs/ml.md): one refresh per iteration with the default chain, two sparse
bootstraps (v and w; one for Newton) of W slots each; the data ciphertexts stay at the top
user level and are never refreshed."""

from __future__ import annotations

import warnings

from pyppml import ckks

# Levels a refresh must leave: the iteration (z . v, the polynomial, times z) plus the
# gradient's return to the working scale and Nesterov's mixing of v and w.
EXTRA_LEVELS = 2
SCALE_BITS = 40


def levels_needed(plan) -> int:
    """Levels v and w need at the start of an iteration."""
    return plan.depth_per_iteration + EXTRA_LEVELS


def _context(plan, width: int, poly_degree: int | None, security: int | None) -> ckks.Context:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # security=None warns once, at the owner's request
        return ckks.Context.bootstrappable(levels_after=levels_needed(plan), slots=width, poly_degree=poly_degree,
                                           scale_bits=SCALE_BITS, security=security)


def ring_degree(plan, width: int, poly_degree: int, security: int | None) -> int:
    """The ring the bootstrappable chain needs: the smallest secure one (security set),
    else the requested ``poly_degree`` (sized without building the context)."""
    if security is None:
        return int(poly_degree)
    from pyppml.ckks.bootstrap import choose_ring

    return choose_ring(levels_needed(plan), width, None, SCALE_BITS, None, security, "2024", 32, None)[0]


def bootstrappable_context(plan, width: int, poly_degree: int, security: int | None, rotations) -> ckks.Context:
    ctx = _context(plan, width, poly_degree, security)
    ctx.keygen(rotations=rotations, conjugate=False, bootstrapping=True)
    return ctx


def refresh(context, plan, v, w):
    """(v, w) bootstrapped when either has fewer than ``levels_needed`` levels (w is v for
    Newton's method); the second value says whether a bootstrap ran."""
    if not getattr(context, "is_bootstrappable", False):
        return v, w, False
    # (SlotsToCoeffs-first contexts bootstrap from min_input_level, not from 0.)
    if min(v.level, w.level) >= levels_needed(plan) + context._bootstrap_plan.config.min_input_level:
        return v, w, False
    if v is w:
        v = v.bootstrap()
        return v, v, True
    return v.bootstrap(), w.bootstrap(), True
