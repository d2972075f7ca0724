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
