"""Replicated secret sharing of a key among a committee (Ito-Saito-Nishizeki): for k
members and threshold t, the key is the sum of one part per subset T of t - 1 members,
and part T is held by every member outside T. Any t members hold every part between
them; any t - 1 members miss the part indexed by themselves. Parts add, so RLWE keys
shared this way stay RLWE keys (sums of small polynomials) and every decryption share
is linear in its part.
"""

from __future__ import annotations

import itertools

MAX_PARTS = 256


def key_parts(members: int, threshold: int) -> tuple[tuple[int, ...], ...]:
    """The parts, each named by the t - 1 members that do not hold it (C(k, t - 1) of them)."""
    return tuple(itertools.combinations(range(members), threshold - 1))


def holders(parts, part: int, members: int) -> tuple[int, ...]:
    missing = parts[part]
    return tuple(j for j in range(members) if j not in missing)


def held_by(parts, member: int) -> tuple[int, ...]:
    """Indices of the parts ``member`` holds, ascending."""
    return tuple(p for p, missing in enumerate(parts) if member not in missing)


def assign(parts, members: int, live, done=()) -> dict[int, list[int]]:
    """One live holder per part not in ``done``, spreading parts over holders.

    Raises LookupError naming the first part no live member holds."""
    plan: dict[int, list[int]] = {}
    live = set(live)
    for part in range(len(parts)):
        if part in done:
            continue
        options = [j for j in holders(parts, part, members) if j in live]
        if not options:
            raise LookupError(f"key part {part} has no live holder; expected one of members "
                              f"{list(holders(parts, part, members))}, live {sorted(live)}")
        j = min(options, key=lambda m: (len(plan.get(m, ())), m))
        plan.setdefault(j, []).append(part)
    return plan
