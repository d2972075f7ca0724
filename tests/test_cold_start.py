"""Cold start (issue 16): ``import hybridsim`` and a first THS-II run load no heavy module they do not use,
and the scipy-free pieces that replace scipy on that path give scipy's numbers to the last bit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hybridsim as hs
from hybridsim.components import engine_maps

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("scipy.optimize", "scipy.interpolate", "scipy.linalg", "matplotlib", "dask", "dask.array")


def _loaded_after(code: str, then: str = "") -> list[str]:
    """Heavy modules loaded after ``code`` in a fresh interpreter (which then runs ``then``; its failure fails)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-c", code + f"\nimport sys\nprint(','.join(m for m in {HEAVY!r} "
                          "if m in sys.modules), flush=True)\n" + then], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    last = (res.stdout.splitlines() or [""])[0]
    return [m for m in last.split(",") if m]


def test_import_loads_no_heavy_module():
    assert _loaded_after("import hybridsim") == []


def test_plain_dataset_equals_xarray_constructor():
    import xarray as xr

    from hybridsim.results import _direct_variables, plain_dataset

    assert _direct_variables()  # this xarray's Variables are made by setting their slots (checked against xarray)

    t = np.arange(5.0)
    data = {"a": ("time", t * 2, {"units": "m"}), "b": ((), np.asarray(3.0), {"units": "kg"})}
    coords = {"time": ("time", t, {"units": "s"}), "phase": ("time", np.array(["x", "x", "y", "y", "y"]), {})}
    ref = xr.Dataset(data, coords=coords, attrs={"k": 1})
    got = plain_dataset(data, coords, {"k": 1})
    xr.testing.assert_identical(got, ref)
    assert type(got["time"].variable) is type(ref["time"].variable)
    assert list(got.indexes) == list(ref.indexes) == ["time"]
    got.sel(time=2.0)
    assert list(got.variables) == list(ref.variables) and got.sizes == ref.sizes
    scalars = {"x": ((), np.asarray(1.5), {"units": "kg"}), "n": ((), np.asarray(3), {})}
    xr.testing.assert_identical(plain_dataset(scalars, {}, {"a": "b"}), xr.Dataset(scalars, attrs={"a": "b"}))


def test_bilinear_is_scipy_regular_grid_linear_bit_for_bit():
    from scipy.interpolate import RegularGridInterpolator

    rng = np.random.default_rng(3)
    x = np.cumsum(rng.uniform(0.1, 2.0, 13))
    y = np.linspace(-30.0, 250.0, 41)
    z = rng.normal(size=(13, 41))
    pts = np.column_stack([rng.uniform(x[0], x[-1], 20000), rng.uniform(y[0], y[-1], 20000)])
    pts[:13, 0] = x  # on the nodes, the last included
    pts[13:54, 1] = y
    ref = RegularGridInterpolator((x, y), z, method="linear")(pts)
    assert np.array_equal(engine_maps._Bilinear(x, y, z)(pts), ref)
    with pytest.raises(ValueError, match="out of bounds"):
        engine_maps._Bilinear(x, y, z)(np.array([[x[0] - 1.0, 0.0]]))
    out = np.column_stack([rng.uniform(x[0] - 3, x[-1] + 3, 5000), rng.uniform(-40, 260, 5000)])
    ref = RegularGridInterpolator((x, y), z, method="linear", bounds_error=False, fill_value=np.nan)(out)
    assert np.array_equal(engine_maps._Bilinear(x, y, z, fill_value=np.nan)(out), ref, equal_nan=True)


@pytest.mark.parametrize("vid", [v for v in hs.list_vehicles() if hs.load_vehicle(v).engine is not None])
def test_operating_line_and_measured_map_unchanged(vid, monkeypatch):
    """The engine map and the operating line of every shipped engine are those scipy's interpolator gives."""
    from scipy.interpolate import RegularGridInterpolator

    from hybridsim.components.engine import RPM, _build_map

    e = hs.load_vehicle(vid).engine
    ours_map = _build_map(e)
    ours = engine_maps.optimal_operating_line(ours_map, e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM)
    monkeypatch.setattr(engine_maps, "_Bilinear", lambda x, y, z, fill_value=None: RegularGridInterpolator(
        (x, y), z, method="linear", bounds_error=fill_value is None, fill_value=fill_value))
    ref_map = _build_map(e)
    ref = engine_maps.optimal_operating_line(ref_map, e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM)
    assert np.array_equal(ours_map.fuel_kg_s, ref_map.fuel_kg_s, equal_nan=True)
    for f in ("power_w", "speed_rad_s", "torque_nm", "fuel_kg_s"):
        assert np.array_equal(getattr(ours, f), getattr(ref, f)), f


def test_operating_line_equals_one_power_at_a_time():
    """optimal_operating_line evaluates every (power, speed) pair at once: the same bits as the loop over powers."""
    from hybridsim.components.engine import RPM

    e = hs.load_vehicle("ralink").engine
    m = e.data()
    lo, hi = e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM
    got = engine_maps.optimal_operating_line(m, lo, hi, n_power=51, n_speed=97)
    interp = engine_maps._Bilinear(m.speed_rad_s, m.torque_nm, m.fuel_kg_s)
    w = np.linspace(lo, hi, 97)
    wot = np.interp(w, m.speed_rad_s, m.wot_nm)
    power = np.linspace(0.0, float(np.max(wot * w)), 51)
    speed = np.empty(51)
    for k, p in enumerate(power):
        t = p / w
        f = np.where(t <= wot, interp(np.column_stack([w, np.minimum(t, wot)])), np.inf)
        speed[k] = w[int(np.argmin(f))]
    speed = np.maximum.accumulate(speed)
    assert np.array_equal(got.power_w, power) and np.array_equal(got.speed_rad_s, speed)
    assert np.array_equal(got.torque_nm, power / speed)


_FIRST_RUN = """
import json, sys
import hybridsim as hs
v, c = hs.load_vehicle('ralink'), hs.load_cycle('wltc')
hs.simulate(v, c)
first = hs.simulate(v, c, record=False)
from numba.core import entrypoints
from numba.core.runtime import rtsys
state = {'heavy': [m for m in HEAVY if m in sys.modules],
         'prepared': {'registries': 'numba.np.arraymath' in sys.modules, 'runtime': rtsys._init,
                      'entry points': entrypoints._already_initialized},
         'unused modules': [m for m in ('hybridsim.batch', 'hybridsim.performance', 'hybridsim.procedures')
                            if m in sys.modules]}
if JIT:  # numba's own BLAS probe is back, and a compile after the unprepared loads works (numba prepares it)
    import numpy as np
    from numba import njit
    import numba.np.arraymath as am, numba.np.linalg as la
    assert am._HAVE_BLAS and am.ensure_blas is la.ensure_blas
    assert la.ensure_blas.__module__ == 'numba.np.linalg'
    assert njit(lambda x: np.dot(x, x))(np.arange(6.0)) == 55.0
    assert 'scipy.linalg' in sys.modules
state['first'], state['again'] = hs.summarize(first), hs.summarize(hs.simulate(v, c, record=False))
print(json.dumps(state))
"""


def test_first_ths_run_loads_no_heavy_module():
    """simulate() (time series and record=False) of a THS-II car: no scipy.optimize/interpolate, matplotlib or
    dask (xarray would import dask to check each array's type; results.plain_dataset builds without that), nor
    scipy.linalg (numba's import-time BLAS probe, deferred by hybridsim.core), nor the package's modules a plain
    run does not use. From a warm cache the kernels load without numba's preparations for a compile (the target's
    typing and lowering registries, the runtime, the extensions' entry points: ``core._load_overload_unrefreshed``).
    Then, in the same interpreter: numba's own BLAS probe is back in place, a numba function using BLAS compiled
    afterwards finds scipy's BLAS, and a run after that compile gives the same bits as the first and as this
    process's run."""
    import json

    jit = os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0")
    v, c = hs.load_vehicle("ralink"), hs.load_cycle("wltc")
    ref = json.loads(json.dumps(hs.summarize(hs.simulate(v, c, record=False))))  # also warms the child's cache
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = f"HEAVY = {HEAVY!r}\nJIT = {jit!r}\n" + _FIRST_RUN
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.splitlines()[-1])
    assert out["heavy"] == [] and out["unused modules"] == []
    if jit:
        assert out["prepared"] == {"registries": False, "runtime": False, "entry points": False}
    assert out["first"] == ref and out["again"] == ref


def test_lazy_attributes_of_the_package():
    """``hybridsim.<name>`` of the names imported on first use: the same objects as their modules'."""
    import hybridsim.batch
    import hybridsim.performance
    import hybridsim.procedures

    assert hs.sweep is hybridsim.batch.sweep and hs.simulate_many is hybridsim.batch.simulate_many
    assert hs.performance is hybridsim.performance and hs.procedures is hybridsim.procedures
    assert set(hs.__all__) <= set(dir(hs))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hs.nope  # noqa: B018
