"""The numba core: the only place numba is imported (DESIGN.md §2, §4).

``jit`` is the house decorator: ``njit(cache=True, nogil=True)``, fastmath off. Set the environment
variable ``HYBRIDSIM_NUMBA_CACHE=0`` to compile without the on-disk cache; ``NUMBA_DISABLE_JIT=1``
runs the same code as plain Python (for coverage and debugging). Kernels take NamedTuples of float
scalars and C-contiguous float64 arrays, never raise, never allocate inside their time loops, and
fill preallocated outputs.
"""

from __future__ import annotations

import os

from numba import njit

CACHE = os.environ.get("HYBRIDSIM_NUMBA_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def jit(fn):
    """The house decorator: ``njit(cache=CACHE, nogil=True)``."""
    return njit(cache=CACHE, nogil=True)(fn)
