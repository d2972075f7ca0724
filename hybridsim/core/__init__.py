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

Set the environment variable ``HYBRIDSIM_NUMBA_CACHE=0`` to compile without the on-disk cache;
``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python (for coverage and debugging).

Cache freshness: numba keys a cached kernel on the content of the file that defines it, so a kernel that
inlines (or calls) a function from another file kept running its old compiled code after that other file
changed. Every kernel here is therefore keyed on the content of its file and of every core module that
file imports, directly or not (this file included, so a change of a decorator option also recompiles):
``_CoreSourceStamp`` below, put in front of numba's cache locators for files of this package only.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from numba import njit
from numba.core import caching

_CORE_DIR = Path(__file__).resolve().parent

CACHE = os.environ.get("HYBRIDSIM_NUMBA_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")

_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(?:\.|hybridsim\.core\.?)(\w*)[ \t]+import[ \t]+\(?([\w, \t]*)", re.M)


@functools.cache
def _core_closure(name: str) -> tuple[str, ...]:
    """``name`` and every core module it imports, directly or not (``from .x import``, ``from . import x``)."""
    seen, todo = set(), [name, "__init__.py"]
    while todo:
        n = todo.pop()
        if n in seen or not (_CORE_DIR / n).is_file():
            continue
        seen.add(n)
        for module, names in _IMPORT.findall((_CORE_DIR / n).read_bytes()):
            todo.extend([module.decode() + ".py"] if module else
                        [x.strip().decode() + ".py" for x in names.split(b",") if x.strip()])
    return tuple(sorted(seen))


@functools.cache
def _stamp(name: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    for n in _core_closure(name):
        h.update(n.encode() + b"\0" + (_CORE_DIR / n).read_bytes() + b"\0")
    return h.hexdigest()


def core_source_stamp(py_file) -> str:
    """SHA-256 over ``py_file`` and every core module it imports, directly or not.

    A kernel's compiled code depends on the functions it inlines or calls from other core files; numba's own
    stamp covers the defining file only. Memoised for the process (on the defining file's mtime and size):
    editing an imported core file *during* a session and re-importing needs ``core_source_stamp.cache_clear()``.
    """
    path = Path(py_file)
    st = path.stat()
    return _stamp(path.name, st.st_mtime_ns, st.st_size)


def _clear_stamps() -> None:
    _core_closure.cache_clear()
    _stamp.cache_clear()


core_source_stamp.cache_clear = _clear_stamps


class _CoreSourceStamp:
    """Cache-locator mixin: the source stamp of a kernel in hybridsim/core is the stamp of the whole core."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if Path(py_file).resolve().parent != _CORE_DIR:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return core_source_stamp(self._py_file)


def _numba_name(name: str):
    """A class of numba.core.caching by its public name (numba >= 0.61) or its older private one."""
    return getattr(caching, name, None) or getattr(caching, "_" + name)


_LOCATORS = _numba_name("CacheImpl")._locator_classes
if not any(issubclass(c, _CoreSourceStamp) for c in _LOCATORS):
    _LOCATORS[:0] = [type("Core" + b.__name__.lstrip("_"), (_CoreSourceStamp, b), {})
                     for b in map(_numba_name, ("UserProvidedCacheLocator", "InTreeCacheLocator",
                                                "UserWideCacheLocator"))]


def jit(fn):
    """The house decorator: ``njit(cache=CACHE, nogil=True, _nrt=False)``."""
    return njit(cache=CACHE, nogil=True, _nrt=False)(fn)


def jit_inline(fn):
    """``jit`` plus ``inline="always"`` (numba-level inlining into every caller; use for small hot helpers)."""
    return njit(cache=CACHE, nogil=True, _nrt=False, inline="always")(fn)
