"""Holding off Python's cycle collector while many objects that form no cycles are made."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def paused():
    """Hold off the cycle collector for the block.

    Records and font tables form trees, never cycles, so a collection finds
    nothing to free; but a thousand sheets make about a million objects (a CJK
    font's tables a hundred thousand), and the collector, run again and again
    as they are made, took as long as making them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
