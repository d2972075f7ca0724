"""Batch runs (``hybridsim.batch``) and summary-level results (``simulate(..., record=False)``).

Every batch case must be exactly what a single :func:`hybridsim.simulate` call gives (bit-identical time
series and summaries), for every architecture registered in ``RUNNERS`` that has a shipped vehicle;
summary-only batches keep no time series; bad parameter paths fail before anything runs; the progress
bar stays off when stderr is not a terminal; a Dask cluster of 2 workers gives the same result, also
when one worker is killed in the middle of the sweep.
"""

from __future__ import annotations

import functools
import math
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest
import xarray as xr

import hybridsim as hs
from hybridsim import batch
from hybridsim.batch import case_dataset, simulate_many, sweep
from hybridsim.powertrains import RUNNERS
from hybridsim.results import SUMMARY_VARIABLES, VARIABLES, energy_balance

PARAMS = {"chassis.mass_kg": [-150.0, 120.0], "accessories.electrical_power_w": [150.0, 600.0]}


@functools.cache
def vehicle_ids_by_architecture() -> dict[str, str]:
    """One shipped vehicle per registered architecture (the first by name)."""
    out: dict[str, str] = {}
    for vid in hs.list_vehicles():
        arch = hs.load_vehicle(vid).architecture
        if arch in RUNNERS:
            out.setdefault(arch, vid)
    return out


ARCHS = sorted(vehicle_ids_by_architecture())


def arch_vehicle(arch: str) -> hs.Vehicle:
    return hs.load_vehicle(vehicle_ids_by_architecture()[arch])


@functools.cache
def short_cycle() -> hs.Cycle:
    """The first 400 s of WLTC class 3b (low and part of the medium phase): fast, with stops and a trace
    every car follows."""
    c = hs.load_cycle("wltc")
    k = int(np.searchsorted(c.time_s, 400.0)) + 1
    return hs.Cycle(name="wltc_first_400s", time_s=c.time_s[:k], speed_mps=c.speed_mps[:k], grade=c.grade[:k])


def _no_history(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    out.attrs.pop("history", None)
    return out


def params_for(v: hs.Vehicle) -> dict:
    return {"chassis.mass_kg": [v.chassis.mass_kg + d for d in PARAMS["chassis.mass_kg"]],
            "accessories.electrical_power_w": PARAMS["accessories.electrical_power_w"]}


def same_summary(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and math.isnan(x):
            if not (isinstance(y, float) and math.isnan(y)):
                return False
        elif x != y:
            return False
    return True


# --- simulate(..., record=False) -----------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHS)
def test_record_false_gives_the_summary_of_the_full_run(arch):
    v = arch_vehicle(arch)
    for cycle in (hs.load_cycle("wltc"), hs.load_cycle("nedc")):
        full = hs.simulate(v, cycle)
        small = hs.simulate(v, cycle, record=False)
        assert "time" not in small.dims and small.sizes == {}
        assert same_summary(hs.summarize(full), hs.summarize(small))
        s = hs.summarize(full)
        assert small["fuel_l_per_100km"].item() == s["fuel_l_per_100km"]
        assert small["distance_km"].item() == s["distance_km"]
        for flow, e in s["energy_kwh"].items():
            assert small[f"energy_{flow}"].item() == e
            assert small[f"energy_{flow}"].attrs["units"] == "kW h"  # UDUNITS (CF)
        for name, var in small.data_vars.items():
            assert var.attrs["units"] and var.attrs["long_name"], name
        assert small["fuel_l_per_100km"].attrs["units"] == "L/(100 km)"
        assert small.attrs["vehicle"] == v.id and small.attrs["architecture"] == arch


@functools.cache
def hill_cycle() -> hs.Cycle:
    """Up and down 6 % grades at speeds from 0 to 100 km/h (the summary's wheel work uses the grade)."""
    t = np.arange(0.0, 400.0)
    v = np.interp(t, [0, 5, 40, 120, 200, 260, 300, 399], [0, 0, 90, 90, 40, 100, 0, 0]) / 3.6
    return hs.Cycle(name="hills", time_s=t, speed_mps=v, grade=0.06 * np.sin(t / 23.0))


@pytest.mark.parametrize("arch", ARCHS)
def test_record_false_is_bit_identical_on_grades(arch):
    v = arch_vehicle(arch)
    assert same_summary(hs.summarize(hs.simulate(v, hill_cycle())),
                        hs.summarize(hs.simulate(v, hill_cycle(), record=False)))


def test_record_false_variables_are_registered():
    small = hs.simulate(arch_vehicle("ths") if "ths" in ARCHS else arch_vehicle(ARCHS[0]), short_cycle(),
                        record=False)
    for name in small.data_vars:
        assert name in SUMMARY_VARIABLES or (name.startswith("energy_") and name[7:] in VARIABLES), name


def test_record_false_checks_arguments_like_simulate():
    v = hs.load_vehicle("xingyue_l")
    with pytest.raises(ValueError, match="ambient_temp_c = 99"):
        hs.simulate(v, short_cycle(), ambient_temp_c=99.0, record=False)


# --- bit-identity with simulate ------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHS)
def test_sweep_cases_are_bit_identical_to_simulate(arch):
    v = arch_vehicle(arch)
    cyc = short_cycle()
    params = params_for(v)
    full = sweep(v, cyc, params, workers=2)
    summ = sweep(v, cyc, params, summary_only=True, workers=2)
    assert full.sizes["case"] == summ.sizes["case"] == 4
    for i in range(4):
        m = float(full["chassis.mass_kg"][i])
        p = float(full["accessories.electrical_power_w"][i])
        vi = hs.replace_path(hs.replace_path(v, "chassis.mass_kg", m), "accessories.electrical_power_w", p)
        ref = hs.simulate(vi, cyc)
        # identical but for the history attribute, which says which call made each (a batch, simulate)
        xr.testing.assert_identical(_no_history(case_dataset(full, i)), _no_history(ref))
        assert energy_balance(case_dataset(full, i))["rel_error"] < 1e-9
        ref_s = hs.simulate(vi, cyc, record=False)
        xr.testing.assert_identical(_no_history(case_dataset(summ, i)), _no_history(ref_s))
        for name in summ.data_vars:
            np.testing.assert_array_equal(summ[name].values[i], full[name].values[i])


def test_simulate_many_grid_and_zip_are_bit_identical_to_simulate():
    vs = [arch_vehicle(a) for a in ARCHS]
    cycles = [short_cycle(), hs.load_cycle("nedc")]  # different lengths: padded with NaN on time
    ds = simulate_many(vs, cycles)
    assert ds.sizes["case"] == len(vs) * 2
    assert ds.sizes["time"] == hs.load_cycle("nedc").time_s.size
    assert list(ds["vehicle"].values) == [v.id for v in vs for _ in cycles]
    assert list(ds["cycle"].values) == [c.name for _ in vs for c in cycles]
    for i in range(ds.sizes["case"]):
        v = vs[int(ds["vehicle_index"][i])]
        c = cycles[int(ds["cycle_index"][i])]
        xr.testing.assert_identical(_no_history(case_dataset(ds, i)), _no_history(hs.simulate(v, c)))
    z = simulate_many(vs, [short_cycle()] * len(vs), mode="zip", summary_only=True)
    assert z.sizes == {"case": len(vs)}
    for i, v in enumerate(vs):
        xr.testing.assert_identical(_no_history(case_dataset(z, i)),
                                    _no_history(hs.simulate(v, short_cycle(), record=False)))


def test_schedulers_give_identical_results():
    v = hs.load_vehicle("xingyue_l")
    params = {"chassis.mass_kg": list(np.linspace(1600.0, 1900.0, 12))}
    ref = sweep(v, short_cycle(), params, summary_only=True, scheduler="serial")
    for kw in ({"workers": 2}, {"workers": 2, "chunk_size": 1}, {"scheduler": "processes", "workers": 2}):
        xr.testing.assert_identical(_no_history(sweep(v, short_cycle(), params, summary_only=True, **kw)),
                                    _no_history(ref))


def test_simulate_keywords_apply_to_every_case():
    if "ths" not in ARCHS:
        pytest.skip("no THS-II vehicle")
    v = arch_vehicle("ths")
    ds = sweep(v, short_cycle(), {"chassis.mass_kg": [1400.0, 1500.0]}, summary_only=True, soc_init=0.55,
               soc_balance=False)
    np.testing.assert_array_equal(ds["soc_start"].values, [0.55, 0.55])
    assert "fuel_raw_l_per_100km" not in ds  # no charge balance asked for
    with pytest.raises(TypeError, match="record"):
        sweep(v, short_cycle(), {"chassis.mass_kg": [1400.0]}, record=True)


# --- shapes and coordinates -----------------------------------------------------------------------------

def test_grid_and_zip_shapes_and_coordinates():
    v = hs.load_vehicle("xingyue_l")
    masses = [1600.0, 1700.0, 1800.0]
    powers = [200.0, 400.0]
    g = sweep(v, short_cycle(), {"chassis.mass_kg": masses, "accessories.electrical_power_w": powers},
              summary_only=True)
    assert g.sizes == {"case": 6}
    np.testing.assert_array_equal(g["chassis.mass_kg"].values, np.repeat(masses, 2))
    np.testing.assert_array_equal(g["accessories.electrical_power_w"].values, np.tile(powers, 3))
    grid = g["fuel_l_per_100km"].set_index(case=["chassis.mass_kg", "accessories.electrical_power_w"])
    assert grid.unstack("case").shape == (3, 2)
    z = sweep(v, short_cycle(), {"chassis.mass_kg": masses, "accessories.electrical_power_w": powers + [300.0]},
              mode="zip", summary_only=True)
    assert z.sizes == {"case": 3}
    np.testing.assert_array_equal(z["accessories.electrical_power_w"].values, [200.0, 400.0, 300.0])
    # heavier car, more fuel (same accessory load): the parameter really reached the kernel
    assert g["fuel_kg"].values[0] < g["fuel_kg"].values[2] < g["fuel_kg"].values[4]
    # varying run attribute → coordinate with units; named unlike the swept file key chassis.mass_kg (curb mass)
    assert g["simulated_mass_kg"].values[0] == masses[0] + v.chassis.payload_kg
    assert g["simulated_mass_kg"].attrs["units"] == "kg" and "payload" in g["simulated_mass_kg"].attrs["long_name"]
    assert g["chassis.mass_kg"].attrs["units"] == "kg" and "Curb mass" in g["chassis.mass_kg"].attrs["long_name"]
    assert g["accessories.electrical_power_w"].attrs["units"] == "W"
    assert "chassis_mass_kg" not in g.coords
    with pytest.raises(ValueError, match="mode = 'zip'"):
        sweep(v, short_cycle(), {"chassis.mass_kg": masses, "accessories.electrical_power_w": powers}, mode="zip")
    with pytest.raises(ValueError, match="mode = 'diagonal'"):
        sweep(v, short_cycle(), {"chassis.mass_kg": masses}, mode="diagonal")


def test_summary_only_keeps_no_time_series():
    v = hs.load_vehicle("xingyue_l")
    ds = sweep(v, short_cycle(), {"chassis.mass_kg": [1600.0, 1700.0]}, summary_only=True)
    assert "time" not in ds.dims and "time" not in ds.coords
    assert all(ds[n].dims == ("case",) for n in ds.data_vars)
    assert ds["fuel_l_per_100km"].attrs["units"] == "L/(100 km)"
    full = sweep(v, short_cycle(), {"chassis.mass_kg": [1600.0, 1700.0]})
    assert full["speed"].dims == ("case", "time")


def test_two_parameters_of_one_component_and_a_motor():
    arch = "ths" if "ths" in ARCHS else ARCHS[0]
    v = arch_vehicle(arch)
    params = {"chassis.mass_kg": [v.chassis.mass_kg, v.chassis.mass_kg + 200.0], "chassis.payload_kg": [0.0, 300.0]}
    motor = next(iter(v.motors), None)
    if motor is not None:
        params[f"motors.{motor}.inertia_kgm2"] = [v.motors[motor].inertia_kgm2 * 1.5]
    ds = sweep(v, short_cycle(), params, summary_only=True)
    assert ds.sizes["case"] == 4
    for i in range(4):
        vi = v
        for p in params:
            x = ds[p].values[i].item()
            vi = hs.replace_path(vi, p, x)
        xr.testing.assert_identical(_no_history(case_dataset(ds, i)),
                                    _no_history(hs.simulate(vi, short_cycle(), record=False)))


def test_sequence_valued_parameter(tmp_path):
    v = hs.load_vehicle("xingyue_l")
    fd = [3.075, 3.2]
    ratios = [list(v.transmission.gear_ratios), [r * 1.05 for r in v.transmission.gear_ratios]]
    ds = sweep(v, short_cycle(), {"transmission.final_drive_ratio": fd, "transmission.gear_ratios": ratios},
               summary_only=True, mode="zip")
    assert ds["transmission.gear_ratios"].values[1] == ", ".join(f"{r:g}" for r in ratios[1])
    ds.to_netcdf(tmp_path / "sweep.nc")  # a list-valued parameter's coordinate is text, writable
    ref = hs.simulate(hs.replace_path(hs.replace_path(v, "transmission.final_drive_ratio", 3.2),
                                      "transmission.gear_ratios", tuple(ratios[1])), short_cycle(), record=False)
    assert ds["fuel_kg"].values[1] == ref["fuel_kg"].item()


# --- bad input --------------------------------------------------------------------------------------------

def test_bad_parameter_path_is_one_clear_value_error():
    v = hs.load_vehicle("xingyue_l")
    with pytest.raises(ValueError, match=r"'chassis\.mass_kgg'") as e:
        sweep(v, short_cycle(), {"chassis.mass_kg": [1600.0], "chassis.mass_kgg": [1.0]})
    assert "not a parameter of Chassis" in str(e.value)
    with pytest.raises(ValueError, match=r"'wings\.span_m'"):
        sweep(v, short_cycle(), {"wings.span_m": [1.0]})
    with pytest.raises(ValueError, match=r"'chassis\.mass_kg' = -5.0.*out of range"):
        sweep(v, short_cycle(), {"chassis.mass_kg": [1600.0, -5.0]})
    with pytest.raises(ValueError, match="must be a list"):
        sweep(v, short_cycle(), {"chassis.mass_kg": 1600.0})
    with pytest.raises(ValueError, match="empty"):
        sweep(v, short_cycle(), {"chassis.mass_kg": []})


def test_bad_path_fails_before_any_case_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(batch, "_run_case", lambda *a, **k: calls.append(1))
    with pytest.raises(ValueError, match="engine.peak_power"):
        sweep(hs.load_vehicle("xingyue_l"), short_cycle(), {"chassis.mass_kg": [1600.0] * 100,
                                                           "engine.peak_power": [100.0]})
    assert calls == []


# --- progress bar -----------------------------------------------------------------------------------------

def test_progress_bar_off_when_not_a_terminal(capsys):
    v = hs.load_vehicle("xingyue_l")
    params = {"chassis.mass_kg": list(np.linspace(1600.0, 1700.0, batch.PROGRESS_MIN_CASES))}
    assert not sys.stderr.isatty()
    sweep(v, short_cycle(), params, summary_only=True)
    assert capsys.readouterr().err == ""
    sweep(v, short_cycle(), params, summary_only=True, progress=True)
    err = capsys.readouterr().err
    assert "hybridsim" in err and f"{batch.PROGRESS_MIN_CASES}/{batch.PROGRESS_MIN_CASES}" in err


def test_progress_bar_on_for_a_terminal(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with batch._progress_bar(batch.PROGRESS_MIN_CASES, None) as bar:
        assert not bar.disable
    with batch._progress_bar(batch.PROGRESS_MIN_CASES - 1, None) as bar:
        assert bar.disable  # a short batch draws no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with batch._progress_bar(10_000, None) as bar:
        assert bar.disable


# --- Dask ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        yield client


def test_dask_local_cluster_gives_the_local_result(dask_client):
    v = hs.load_vehicle("xingyue_l")
    params = {"chassis.mass_kg": list(np.linspace(1600.0, 1900.0, 20)),
              "accessories.electrical_power_w": [200.0, 500.0]}
    ref = sweep(v, short_cycle(), params, summary_only=True, scheduler="serial")
    ds = sweep(v, short_cycle(), params, summary_only=True, scheduler=dask_client, chunk_size=5)
    xr.testing.assert_identical(_no_history(ds), _no_history(ref))
    if "ths" in ARCHS:  # full time series over Dask too, for a hybrid
        t = arch_vehicle("ths")
        p = {"chassis.mass_kg": [1400.0, 1500.0, 1600.0]}
        xr.testing.assert_identical(_no_history(sweep(t, short_cycle(), p, scheduler=dask_client, chunk_size=1)),
                                    _no_history(sweep(t, short_cycle(), p, scheduler="serial")))


def test_dask_worker_killed_mid_sweep_loses_no_result(dask_client):
    v = hs.load_vehicle("xingyue_l")
    w = hs.load_cycle("wltc")
    dur = w.time_s[-1]
    long_cycle = hs.Cycle(name="wltc_x4",
                          time_s=np.concatenate([w.time_s] + [w.time_s[1:] + i * dur for i in (1, 2, 3)]),
                          speed_mps=np.concatenate([w.speed_mps] + [w.speed_mps[1:]] * 3),
                          grade=np.concatenate([w.grade] + [w.grade[1:]] * 3))
    # 4 chunks of 600 runs over 4 × WLTC: each chunk is busy for a good fraction of a second, so the
    # worker killed as soon as it is handed a chunk dies in the middle of it
    params = {"chassis.mass_kg": list(np.linspace(1500.0, 2000.0, 2401))}
    ref = sweep(v, long_cycle, params, summary_only=True)
    pids = dask_client.run(os.getpid)
    result: dict = {}

    def run():
        try:
            result["ds"] = sweep(v, long_cycle, params, summary_only=True, scheduler=dask_client, chunk_size=600)
        except BaseException as exc:  # reported below
            result["error"] = exc

    th = threading.Thread(target=run)
    th.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and th.is_alive():
        busy = [addr for addr, tasks in dask_client.processing().items() if tasks]
        if busy:
            killed = busy[0]
            os.kill(pids[killed], signal.SIGKILL)
        else:
            time.sleep(0.005)
    th.join(180)
    assert killed is not None, "no worker was busy: the sweep ended before a worker could be killed"
    assert not th.is_alive()
    assert "error" not in result, result.get("error")
    xr.testing.assert_identical(_no_history(result["ds"]), _no_history(ref))

    def processing_counts(dask_scheduler):
        counts: dict = {}
        for rec in dask_scheduler.transition_log:
            if str(rec[0]).startswith("_run_chunk") and rec[2] == "processing":
                counts[str(rec[0])] = counts.get(str(rec[0]), 0) + 1
        return counts

    counts = dask_client.run_on_scheduler(processing_counts)
    assert max(counts.values()) >= 2, f"no chunk was run again after the kill: {counts}"
    # the nanny brings the killed worker back; the cluster is whole again for later tests
    dask_client.wait_for_workers(2, timeout=60)
