"""An exclusive lock on a file shared by processes (POSIX ``flock`` on a sidecar file).

The owner file holds the release count that ``max_releases`` guards. Two processes that
had loaded it before either released each read count 0, and both released under tau = 1
(review 2026-12-08). A release now holds this lock, re-reads the count on disk under it,
and writes the new count before the lock is let go.
"""

from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def exclusive(path):
    """Hold an exclusive lock on ``path`` + ".lock" (created with mode 0600) for the
    block; other processes' ``exclusive(path)`` wait until it ends."""
    import fcntl  # POSIX: the owner files live on the machines that run pyppml

    fd = os.open(os.fspath(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
