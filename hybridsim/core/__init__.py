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

Unreadable cache entries: numba unpickles a cache index (the signatures compiled, which name the NamedTuple
classes of components/ and control/ by module and name) *before* it compares the source stamp, so once such a
class was renamed or removed every later import of a cached kernel raised ``AttributeError`` (and a truncated
or corrupt index or data file raised too) instead of recompiling. For this package's cache directories an
index or data file that cannot be read is a cache miss: the kernel is compiled afresh and its index rewritten
(``_load_index_or_miss``, ``_load_data_or_miss``); other packages' caches behave as numba wrote them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.abc
import importlib.util
import os
import re
import sys
import weakref
from pathlib import Path

from numba import config, njit, types
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


_WRITABLE_DIRS: set[str] = set()


@functools.cache
def _in_core(py_file: str) -> bool:
    return Path(py_file).resolve().parent == _CORE_DIR


class _CoreSourceStamp:
    """Cache-locator mixin: the source stamp of a kernel in hybridsim/core is the stamp of the whole core."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _in_core(py_file):
            return None
        return super().from_function(py_func, py_file)

    def ensure_cache_path(self):
        # numba checks that the cache directory is writable by creating a temporary file in it, for every kernel
        # at import (≈125 files); once per directory and process is enough (the directory is still re-created)
        path = self.get_cache_path()
        if path in _WRITABLE_DIRS:
            os.makedirs(path, exist_ok=True)
            return
        super().ensure_cache_path()
        _WRITABLE_DIRS.add(path)

    def get_source_stamp(self):
        # numba asks for the stamp once per kernel, when it opens that kernel's cache files (Cache.__init__)
        _CORE_CACHE_PATHS.add(self.get_cache_path())
        return core_source_stamp(self._py_file)


#: The cache directories of this package's kernels (where an unreadable cache file is a miss, not an error).
_CORE_CACHE_PATHS: set[str] = set()


def _load_index_or_miss(self):
    """numba's ``IndexDataCacheFile._load_index``; for a kernel of this package an index that cannot be unpickled
    (a class its signatures name was renamed or removed; a truncated or corrupt file) is empty: a cache miss."""
    try:
        return _numba_load_index(self)
    except Exception:
        if self._cache_path not in _CORE_CACHE_PATHS:
            raise
        return {}


def _load_data_or_miss(self, name):
    """numba's ``IndexDataCacheFile._load_data``; for a kernel of this package a data file that cannot be
    unpickled is a miss (``None``: numba then compiles and overwrites it)."""
    try:
        return _numba_load_data(self, name)
    except Exception:
        if self._cache_path not in _CORE_CACHE_PATHS:
            raise
        return None


def _numba_name(name: str):
    """A class of numba.core.caching by its public name (numba >= 0.61) or its older private one."""
    return getattr(caching, name, None) or getattr(caching, "_" + name)


_INDEX_FILE = _numba_name("IndexDataCacheFile")
# numba's own methods (``__wrapped__`` when this module is imported again, e.g. by importlib.reload)
_numba_load_index = getattr(_INDEX_FILE._load_index, "__wrapped__", _INDEX_FILE._load_index)
_numba_load_data = getattr(_INDEX_FILE._load_data, "__wrapped__", _INDEX_FILE._load_data)
_load_index_or_miss.__wrapped__, _load_data_or_miss.__wrapped__ = _numba_load_index, _numba_load_data
_INDEX_FILE._load_index, _INDEX_FILE._load_data = _load_index_or_miss, _load_data_or_miss

_LOCATORS = _numba_name("CacheImpl")._locator_classes
if not any(issubclass(c, _CoreSourceStamp) for c in _LOCATORS):
    _LOCATORS[:0] = [type("Core" + b.__name__.lstrip("_"), (_CoreSourceStamp, b), {})
                     for b in map(_numba_name, ("UserProvidedCacheLocator", "InTreeCacheLocator",
                                                "UserWideCacheLocator"))]


def _blas_probe_deferred() -> None:
    """Stand-in for numba's import-time BLAS probe (see ``_DeferBlasProbe``): scipy is a dependency of hybridsim."""
    if importlib.util.find_spec("scipy") is None:  # finds the package without importing it
        raise ImportError("scipy 0.16+ is required for linear algebra")


class _DeferBlasProbe(importlib.abc.MetaPathFinder):
    """Cold start: numba's first compile (numba's cache load too, but not this package's: see
    ``_load_overload_unrefreshed``) imports ``numba.np.arraymath``, whose module body calls
    ``numba.np.linalg.ensure_blas()``, which imports ``scipy.linalg`` (≈0.2 s of a 1.2 s cold start; scipy.linalg
    clones numpy for its array API and imports numpy.f2py, numpy.testing, numpy.ma on the way). No hybridsim kernel
    uses BLAS. This finder runs arraymath's module body, at its own place in numba's import order, with a probe
    that only checks that scipy is installed, and puts numba's probe back afterwards: numba's BLAS functions
    (``np.dot`` …) still call the real ``ensure_blas`` when they are compiled. The finder removes itself at its
    first use; it does nothing if numba's layout differs (the import then runs as numba wrote it)."""

    def find_spec(self, name, path=None, target=None):
        if name != "numba.np.arraymath":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        linalg = sys.modules.get("numba.np.linalg")
        spec = importlib.util.find_spec(name)
        if spec is None or linalg is None or not callable(getattr(linalg, "ensure_blas", None)) \
                or not hasattr(spec.loader, "exec_module"):
            return spec
        run_body = spec.loader.exec_module

        def exec_module(module):
            probe = linalg.ensure_blas
            linalg.ensure_blas = _blas_probe_deferred
            try:
                run_body(module)
            finally:
                linalg.ensure_blas = probe
                if module.__dict__.get("ensure_blas") is _blas_probe_deferred:
                    module.ensure_blas = probe

        spec.loader.exec_module = exec_module
        return spec


def _load_overload_unrefreshed(self, sig, target_context):
    """numba's ``Cache.load_overload`` without the preparations for a compile, for a kernel of this package.

    Before it loads a cached kernel numba refreshes the CPU target: it imports and installs every typing and
    lowering registry (``numba.np.arraymath``, ``npyimpl``, ``typed``, ``random`` …; ≈0.25 s of a ≈1.2 s cold
    start), and initialises its runtime (≈0.03 s: registers the runtime's symbols and compiles its atomic
    functions); before that, at a dispatcher's first call, it runs the ``numba_extensions`` entry points of every
    installed distribution (≈0.03 s reading their metadata). Loading a kernel compiled earlier needs none of it:
    the code generator is made with the target context, the C helper symbols when the context is made, and this
    package's kernels run without the runtime (``_nrt=False``, so their code refers to none of its symbols; a kernel
    not made by this module's decorators still initialises it). A compile, here or anywhere else, still refreshes
    the target first (numba's compiler does), and on a cache miss the entry points run here, before the compile
    that follows: nothing is skipped, only deferred to the first compile (issue 16: cold start)."""
    if not isinstance(self._impl.locator, _CoreSourceStamp):
        return _numba_load_overload(self, sig, target_context)
    if self not in _NO_RUNTIME:
        from numba.core.runtime import rtsys

        rtsys.initialize(target_context)
    cres = None
    with self._guard_against_spurious_io_errors():
        cres = self._load_overload(sig, target_context)
    if cres is None:  # numba compiles next: the extensions first, as the dispatcher's first call would have run them
        from numba.core import entrypoints

        entrypoints.init_all()
    return cres


#: The caches of the kernels made by this module's decorators: all compiled without the numba runtime.
_NO_RUNTIME: weakref.WeakSet = weakref.WeakSet()


def _no_init_hook() -> None:
    """A dispatcher's ``_compilation_chain_init_hook`` for a cached kernel: the entry points run on a cache miss
    (``_load_overload_unrefreshed``), not at the first call."""


_CACHE = _numba_name("Cache")
_numba_load_overload = getattr(_CACHE.load_overload, "__wrapped__", _CACHE.load_overload)
_load_overload_unrefreshed.__wrapped__ = _numba_load_overload
_CACHE.load_overload = _load_overload_unrefreshed

if not config.DISABLE_JIT and "numba.np.arraymath" not in sys.modules \
        and not any(isinstance(f, _DeferBlasProbe) for f in sys.meta_path):
    sys.meta_path.insert(0, _DeferBlasProbe())  # for the first compile's refresh (a cache load does not refresh)


def _one_signature(dispatcher):
    """Compile ``dispatcher`` for the plain (non-literal) types of its arguments only.

    Called from another compiled function with a constant argument (``gear_context(…, 0, False, dt)``), numba
    compiles a separate specialisation for ``Literal[int](0)`` / ``Literal[bool](False)``, and another one for
    ``int64`` when Python or another caller passes a variable: one function, several compiles and cache entries
    (issue 14: one signature per kernel). Constant folding of such a literal changes no floating-point result
    (fastmath is off), so every call compiles for the unliteral types, and the literal caller is typed against
    that one signature. Under ``NUMBA_DISABLE_JIT=1`` njit returns the plain function, which is left as it is."""
    compile_ = getattr(dispatcher, "compile", None)
    if compile_ is None:
        return dispatcher

    def compile(sig):  # noqa: A001  (the dispatcher's own method name)
        if isinstance(sig, tuple):
            sig = tuple(types.unliteral(a) for a in sig)
        return compile_(sig)

    dispatcher.compile = compile
    return dispatcher


def zeros_rows(n_rows: int, n: int):
    """``n_rows`` zeroed float64 arrays of length ``n`` for a kernel's output NamedTuple, as C-contiguous rows of ONE
    allocation (one ``np.zeros`` instead of one per field). The row stride is padded so that the rows start in
    different L1 cache sets: an odd number of 64-byte lines (with strides a multiple of 4 KiB, as separately mapped
    large arrays are, the time loop's stores to every row at the same index contend for one set)."""
    import numpy as np

    lines = -(-n // 8)  # 64-byte lines per row
    if lines % 2 == 0:
        lines += 1
    return list(np.zeros((n_rows, 8 * lines))[:, :n])


def _house_njit(fn, **options):
    """``njit(cache=CACHE, nogil=True, _nrt=False, **options)`` compiled for unliteral argument types."""
    dispatcher = njit(cache=CACHE, nogil=True, _nrt=False, **options)(fn)
    if CACHE and hasattr(dispatcher, "_compilation_chain_init_hook"):
        _NO_RUNTIME.add(dispatcher._cache)
        dispatcher._compilation_chain_init_hook = _no_init_hook
    return _one_signature(dispatcher)


def jit(fn):
    """The house decorator: ``njit(cache=CACHE, nogil=True, _nrt=False)``, compiled for unliteral argument types."""
    return _house_njit(fn)


def jit_simd(fn):
    """``jit`` with numpy's error model: no division-by-zero check (x/0 gives ±inf or nan as in numpy instead of
    raising), so that LLVM can vectorise a loop over an array (SIMD); the same IEEE arithmetic otherwise. For the
    few array loops where that matters (``dp_grid.soc_after``); functions it calls are inlined (``jit_inline``) to
    be lowered under the same error model."""
    return _house_njit(fn, error_model="numpy")


def jit_inline(fn):
    """``jit`` plus ``inline="always"`` (numba-level inlining into every caller; use for small hot helpers)."""
    return _house_njit(fn, inline="always")
