"""The numba core: the only place numba is imported (DESIGN.md §2, §4).

``jit`` is the house decorator: ``njit(cache=True, nogil=True, _nrt=False)``, fastmath off. Kernels take
NamedTuples of float scalars and C-contiguous float64 arrays, never raise, never allocate (inside their
time loops or anywhere: outputs are preallocated by the caller), and fill preallocated outputs.

Why ``_nrt=False``: with the numba runtime on, every call between compiled functions that passes a
NamedTuple holding arrays (engine map, battery tables, operating line) does atomic incref/decref pairs
on each array; that was 3/4 of the THS-II kernel's time (590 → 130 ns per WLTC step without it, outputs
bit-identical) and the atomics on shared arrays stall threads running cases side by side. Since no
kernel allocates, the runtime has nothing to do. ``jit_inline`` additionally inlines a function at numba
level into its callers (for the per-gear step of the conventional kernel).

Set the environment variable ``HYBRIDSIM_NUMBA_CACHE=0`` to compile without the on-disk cache (and
clear ``__pycache__/*.nbi|*.nbc`` after changing a decorator option here: numba keys its cache on the
source file of each function, not on these options); ``NUMBA_DISABLE_JIT=1`` runs the same code as
plain Python (for coverage and debugging).
"""

from __future__ import annotations

import os

from numba import njit

CACHE = os.environ.get("HYBRIDSIM_NUMBA_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def jit(fn):
    """The house decorator: ``njit(cache=CACHE, nogil=True, _nrt=False)``."""
    return njit(cache=CACHE, nogil=True, _nrt=False)(fn)


def jit_inline(fn):
    """``jit`` plus ``inline="always"`` (numba-level inlining into every caller; use for small hot helpers)."""
    return njit(cache=CACHE, nogil=True, _nrt=False, inline="always")(fn)
