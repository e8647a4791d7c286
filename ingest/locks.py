"""Advisory file locks (``fcntl.flock``), the one home of the lock used by every floor above:
the index build (one ingest per index folder), the page's feedback file and the test site.

It lives on the ground floor because everything above may import it and it imports nothing.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def flocked(handle):
    """Hold an exclusive lock on the open file ``handle`` for the block (other processes wait)."""
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield handle
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def lock_file(path: Path):
    """Hold an exclusive lock on the lock file ``path`` (created, with its folder) for the block."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle, flocked(handle):
        yield
