"""Pause the cyclic garbage collector while building a large acyclic batch.

Checking claims allocates many small acyclic objects (claims, checks,
verdicts); reference counting frees them, but the cyclic collector still scans
the growing heap again and again, which costs about a third of a large batch.
The pause is scoped, restores the previous state, and leaves the collector
alone when someone else already disabled it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable cyclic GC for the block if it is enabled; re-enable it afterwards."""
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
