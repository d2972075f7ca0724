"""The numba cache of every kernel is keyed on the whole of hybridsim/core (hybridsim/core/__init__.py)."""

from __future__ import annotations

import os

import pytest

from hybridsim import core


def test_kernels_use_the_core_wide_stamp():
    from hybridsim.core import chassis

    impl = chassis.wheel_force_n._cache._impl  # the cache numba made for this dispatcher
    assert isinstance(impl.locator, core._CoreSourceStamp)
    assert impl.locator.get_source_stamp() == core.core_source_stamp(chassis.__file__)


def test_functions_outside_the_core_keep_numba_s_locator(tmp_path):
    src = tmp_path / "mod.py"
    src.write_text("def f():\n    return 1\n")
    ns: dict = {}
    exec(compile(src.read_text(), str(src), "exec"), ns)
    assert core._CoreSourceStamp.from_function(ns["f"], str(src)) is None


def _touch_later(path):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a distinct mtime even on coarse clocks


@pytest.fixture(autouse=True)
def _fresh_stamps():
    yield
    core.core_source_stamp.cache_clear()


def test_stamp_follows_the_core_imports(tmp_path, monkeypatch):
    files = {"__init__.py": "def jit(f):\n    return f\n", "a.py": "from . import jit\nx = 1\n",
             "b.py": "from .a import x\ny = 2\n", "c.py": "from hybridsim.core.b import y\n",
             "d.py": "from . import jit\nz = 3\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(core, "_CORE_DIR", tmp_path)
    core.core_source_stamp.cache_clear()
    before = {n: core.core_source_stamp(tmp_path / n) for n in files}
    assert before == {n: core.core_source_stamp(tmp_path / n) for n in files}
    (tmp_path / "a.py").write_text("from . import jit\nx = 10\n")
    _touch_later(tmp_path / "a.py")
    core.core_source_stamp.cache_clear()  # a new process
    after = {n: core.core_source_stamp(tmp_path / n) for n in files}
    # a.py changed: a, b (imports a) and c (imports b) are stale; d does not import a
    assert [n for n in files if after[n] != before[n]] == ["a.py", "b.py", "c.py"]
    (tmp_path / "__init__.py").write_text("def jit(f):\n    return f  # option changed\n")
    _touch_later(tmp_path / "__init__.py")
    core.core_source_stamp.cache_clear()
    assert all(core.core_source_stamp(tmp_path / n) != after[n] for n in files)


# --- an unreadable cache file is a miss, not an error ------------------------------------------------------------

_USE_CACHE = """
from typing import NamedTuple
class GearboxK(NamedTuple):
    converter_stall_torque_ratio: float
from hybridsim.core.driveline import converter_loss_w, rotor_inertia_torque
print(converter_loss_w(GearboxK(2.0), 10.0, 12.0, 100.0, 80.0), rotor_inertia_torque(0.2, 100.0, 90.0, 1.0))
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"), reason="needs numba's cache")
def test_an_unreadable_cache_index_recompiles(tmp_path, monkeypatch):
    # numba unpickles a cache index before it checks the source stamp: an index naming a class that no longer
    # exists raised AttributeError at the next import and call (a truncated index UnpicklingError) instead of
    # recompiling. The cache is made here, under NUMBA_CACHE_DIR=tmp_path, with a NamedTuple class of the package
    # that then disappears; a new process imports and runs the kernels from that cache.
    import subprocess
    import sys
    from pathlib import Path
    from typing import NamedTuple

    from numba import config, njit

    import hybridsim.components.gearbox as gearbox
    from hybridsim.core import driveline

    class GoneK(NamedTuple):
        converter_stall_torque_ratio: float

    GoneK.__module__, GoneK.__qualname__ = gearbox.__name__, "GoneK"  # pickled by reference, as a real one
    monkeypatch.setattr(gearbox, "GoneK", GoneK, raising=False)
    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path))
    loss = njit(cache=True)(driveline.converter_loss_w.py_func)(GoneK(2.0), 10.0, 12.0, 100.0, 80.0)
    torque = njit(cache=True)(driveline.rotor_inertia_torque.py_func)(0.2, 100.0, 90.0, 1.0)
    index = {p.name.split("-")[0]: p for p in tmp_path.rglob("*.nbi")}
    assert {"driveline.converter_loss_w", "driveline.rotor_inertia_torque"} <= set(index)
    assert b"GoneK" in index["driveline.converter_loss_w"].read_bytes()
    text = index["driveline.rotor_inertia_torque"].read_bytes()
    index["driveline.rotor_inertia_torque"].write_bytes(text[: len(text) // 2])  # truncated

    root = Path(core.__file__).resolve().parents[2]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "HYBRIDSIM_NUMBA_CACHE": "1",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", _USE_CACHE], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert [float(x) for x in r.stdout.split()] == [loss, torque]  # both recompiled
    assert b"GoneK" not in index["driveline.converter_loss_w"].read_bytes()  # and the index rewritten


def test_other_packages_cache_errors_are_left_to_numba(tmp_path):
    import pickle

    import numba
    from numba.core.caching import IndexDataCacheFile

    f = IndexDataCacheFile(str(tmp_path), "x-1.py311", "stamp")
    (tmp_path / "x-1.py311.nbi").write_bytes(pickle.dumps(numba.__version__) + b"\x80\x05garbage")
    (tmp_path / "x-1.py311.1.nbc").write_bytes(b"\x80\x05garbage")
    with pytest.raises(pickle.UnpicklingError):
        f._load_index()
    with pytest.raises(pickle.UnpicklingError):
        f._load_data("x-1.py311.1.nbc")
    core._CORE_CACHE_PATHS.add(str(tmp_path))  # a directory of this package's kernels: a miss
    try:
        assert f._load_index() == {}
        assert f._load_data("x-1.py311.1.nbc") is None
    finally:
        core._CORE_CACHE_PATHS.discard(str(tmp_path))
