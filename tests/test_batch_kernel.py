"""The compiled batch path of summary-only THS-II sweeps (``hybridsim._ths_batch``, ``core/ths_batch.py``):
every case equals ``simulate(vehicle_i, cycle, record=False)`` to 1e-12 (in practice bit for bit), and the
sweep's Dataset equals the generic path's (``HYBRIDSIM_BATCH_KERNEL=0``)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import xarray as xr

import hybridsim as hs
from hybridsim import _ths_batch


@pytest.fixture
def used(monkeypatch):
    calls = []
    orig = _ths_batch.run_summaries

    def spy(vehicles, *a, **k):
        calls.append(len(vehicles))
        return orig(vehicles, *a, **k)

    monkeypatch.setattr(_ths_batch, "run_summaries", spy)
    return calls


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("balance", [True, False])
@pytest.mark.parametrize("strategy", ["rule_based", "ecms"])
def test_cases_equal_simulate(balance, strategy, used):
    v = hs.replace_path(hs.load_vehicle("ralink"), "controller.strategy", strategy)
    cyc = hs.load_cycle("udds")
    params = {"chassis.mass_kg": [1300.0, 1420.0, 1550.0], "engine.peak_power_kw": [60.0, 73.0, 66.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = hs.sweep(v, cyc, params, summary_only=True, soc_balance=balance, mode="zip", workers=2)
    assert used == [2]  # the compiled path ran every case but the first (which runs as simulate() does)
    for i in range(3):
        vi = hs.replace_path(hs.replace_path(v, "chassis.mass_kg", params["chassis.mass_kg"][i]),
                             "engine.peak_power_kw", params["engine.peak_power_kw"][i])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = hs.summarize(hs.simulate(vi, cyc, record=False, soc_balance=balance))
        got = hs.summarize(hs.batch.case_dataset(ds, i))
        for k, x in one.items():
            if k == "energy_kwh":
                for f, e in x.items():
                    assert _close(got["energy_kwh"][f], e), (i, f)
            elif isinstance(x, float | int) and not isinstance(x, bool):
                assert _close(got[k], x), (i, k, got[k], x)
            else:
                assert got[k] == x, (i, k)


@pytest.mark.parametrize("balance", [True, "linear"])
def test_same_dataset_as_generic_path(monkeypatch, used, balance):
    """Also for soc_balance="linear", where every case uses the base vehicle's line (simulate() of a case's
    vehicle would measure its own): the same Dataset as the generic path."""
    v = hs.load_vehicle("prius_2016")
    cyc = hs.load_cycle("wltc")
    params = {"chassis.mass_kg": list(np.linspace(1300.0, 1600.0, 19))}  # more than two chunks of cases
    ds = hs.sweep(v, cyc, params, summary_only=True, workers=2, soc_balance=balance)
    assert used == [18]
    monkeypatch.setenv(_ths_batch.ENABLED_ENV, "0")
    ref = hs.sweep(v, cyc, params, summary_only=True, workers=2, soc_balance=balance)
    assert used == [18]
    ds.attrs.pop("history")
    ref.attrs.pop("history")
    xr.testing.assert_identical(ds, ref)


def test_generic_path_where_compiled_does_not_apply(used):
    v = hs.load_vehicle("ralink")
    cyc = hs.load_cycle("udds")
    hs.sweep(v, cyc, {"chassis.mass_kg": [1400.0, 1450.0]}, summary_only=False)
    hs.sweep(v, cyc, {"chassis.mass_kg": [1400.0, 1450.0]}, summary_only=True, soc_init=0.55)
    hs.sweep(v, cyc, {"controller.strategy": ["rule_based", "ecms"]}, summary_only=True)
    assert used == []


def test_cold_start_same_as_generic_path(monkeypatch, used):
    v = hs.load_vehicle("ralink")
    cyc = hs.load_cycle("udds")
    params = {"battery.capacity_ah": [5.5, 6.5, 7.5]}
    kw = {"summary_only": True, "cold_start": True, "ambient_temp_c": 10.0, "workers": 1}
    ds = hs.sweep(v, cyc, params, **kw)
    assert used == [2]
    monkeypatch.setenv(_ths_batch.ENABLED_ENV, "0")
    ref = hs.sweep(v, cyc, params, **kw)
    ds.attrs.pop("history")
    ref.attrs.pop("history")
    xr.testing.assert_identical(ds, ref)
