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
HEAVY = ("scipy.optimize", "scipy.interpolate", "matplotlib", "dask", "dask.array")


def _loaded_after(code: str) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-c", code + f"\nimport sys\nprint(','.join(m for m in {HEAVY!r} "
                          "if m in sys.modules))"], capture_output=True, text=True, env=env, check=True)
    last = (res.stdout.splitlines() or [""])[-1]
    return [m for m in last.split(",") if m]


def test_import_loads_no_heavy_module():
    assert _loaded_after("import hybridsim") == []


def test_first_ths_run_loads_no_heavy_module():
    """simulate() (time series and record=False) of a THS-II car: no scipy.optimize/interpolate, matplotlib or
    dask (xarray would import dask to check each array's type; results.plain_dataset builds without that)."""
    code = ("import hybridsim as hs\nv = hs.load_vehicle('ralink')\nc = hs.load_cycle('wltc')\n"
            "hs.simulate(v, c)\nhs.simulate(v, c, record=False)")
    assert _loaded_after(code) == []


def test_plain_dataset_equals_xarray_constructor():
    import xarray as xr

    from hybridsim.results import plain_dataset

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
