"""Fresh randomness in pyppml.mpc (mutation audit 2026-12-08: a fixed-seed generator in
additive_share, or a generator not re-keyed after fork, passed every test before)."""

import multiprocessing

import numpy as np

from pyppml.mpc import _random
from pyppml.mpc.sharing import additive_share


def test_sharing_the_same_secret_twice_gives_fresh_shares():
    secret = np.arange(64, dtype=np.uint64)
    a, b = additive_share(secret, 3), additive_share(secret, 3)
    # Each share word is uniform mod 2^64: two equal words among 128 happen with ~2^-57.
    assert np.count_nonzero(a[:2] == b[:2]) == 0


def _draw(queue):
    queue.put(bytes(_random.prng().random_bytes(32)))


def test_forked_parties_do_not_share_the_parents_keystream():
    _random.prng().random_bytes(32)  # the parent's generator exists before the fork
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    children = [ctx.Process(target=_draw, args=(queue,)) for _ in range(2)]
    for c in children:
        c.start()
    draws = {queue.get(timeout=60) for _ in children} | {bytes(_random.prng().random_bytes(32))}
    for c in children:
        c.join()
    assert len(draws) == 3
