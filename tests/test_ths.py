"""THS-II power split (Levin/Ralink): the numba kernel against a slow obvious reference, invariants on every
shipped cycle, the EV cap, a standstill cycle, charge balancing, cold start, hand checks of the electric
step functions and a plausibility check against the claimed NEDC figure.

The reference model (``reference_ths.py``) is written from the docstrings and imports nothing from
``hybridsim.core``; kernel and reference must agree to 1e-9 on every output (engine mode exactly).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from reference_ths import OUTPUTS, run_reference

import hybridsim as hs
from hybridsim.control.ths import ThsController
from hybridsim.core.electric import (
    battery_state_rc,
    battery_step,
    battery_step_rc_at,
    motor_dc_power_w,
    motor_torque_for_dc_power,
)
from hybridsim.core.ths import ThsOut
from hybridsim.powertrains.ths import _run_ths_once, _ths_args

REPO = Path(__file__).resolve().parent.parent
RPM = math.pi / 30.0
KMH = 1 / 3.6
CYCLES = hs.list_cycles()


# --- vehicles, cycles, runs ------------------------------------------------------------------------

@functools.cache
def ralink():
    return hs.load_vehicle("ralink")


@functools.cache
def weak_battery_ralink():
    """The Ralink with a 6 kW / 3 kW battery: EV drive and engine charging run into the battery limits, so the
    least-power search succeeds, the charge-limit search runs, and the fallbacks of the trace-miss search
    are reached."""
    v = ralink()
    return dataclasses.replace(v, battery=dataclasses.replace(v.battery, max_discharge_power_kw=6.0,
                                                              max_charge_power_kw=3.0))


def head(cycle, n):
    """The first n samples of a cycle."""
    return hs.Cycle(name=f"{cycle.name}_first_{n - 1}s", time_s=cycle.time_s[:n], speed_mps=cycle.speed_mps[:n],
                    grade=cycle.grade[:n])


def hill_launch(grade=0.2):
    """5 s standing, then 1 m/s² to 60 km/h up a constant grade: beyond the car (trace miss at full power)."""
    t = np.arange(0.0, 61.0)
    v = np.minimum(np.maximum(t - 5.0, 0.0), 60 * KMH)
    return hs.Cycle(name=f"hill_{grade:g}", time_s=t, speed_mps=v, grade=np.full_like(t, grade))


def standstill(seconds=600):
    t = np.arange(0.0, seconds + 1.0)
    return hs.Cycle(name="standstill", time_s=t, speed_mps=np.zeros_like(t), grade=np.zeros_like(t))


@functools.cache
def balanced(cycle_name):
    """The SOC-balanced run of the Ralink on a shipped cycle (shared by the invariant tests)."""
    return hs.simulate(ralink(), hs.load_cycle(cycle_name))


# --- kernel vs reference ---------------------------------------------------------------------------

# case id → (vehicle, cycle, initial SOC, cold start)
COMPARISON_CASES = {
    "nedc": (ralink, lambda: hs.load_cycle("nedc"), 0.6, False),
    "us06_first_400s": (ralink, lambda: head(hs.load_cycle("us06"), 401), 0.6, False),
    "nedc_first_300s_cold": (ralink, lambda: head(hs.load_cycle("nedc"), 301), 0.6, True),
    # beyond the brief, for coverage of the search paths the shipped vehicle never takes:
    "weak_battery_nedc": (weak_battery_ralink, lambda: hs.load_cycle("nedc"), 0.5, False),
    "hill_20pct": (ralink, hill_launch, 0.6, False),
}


@functools.cache
def comparison(case):
    make_vehicle, make_cycle, soc0, cold = COMPARISON_CASES[case]
    vehicle, cycle = make_vehicle(), make_cycle()
    out = _run_ths_once(_ths_args(vehicle, cold, 23.0), soc0, cycle)
    branches = {}
    ref = run_reference(vehicle, cycle, soc0, cold_start=cold, ambient_c=23.0, branches=branches)
    return out, ref, branches


def test_reference_outputs_are_the_kernel_outputs():
    assert tuple(ThsOut._fields) == OUTPUTS


def test_reference_does_not_use_the_core():
    code = ("import sys, hybridsim as hs, reference_ths as r; "
            "r.run_reference(hs.load_vehicle('ralink'), hs.load_cycle('nedc'), 0.6); "
            "sys.exit(any(m.startswith('hybridsim.core') for m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=120).returncode == 0


@pytest.mark.parametrize("case", list(COMPARISON_CASES))
def test_kernel_matches_reference(case):
    # The searches (least engine power, end speed on a trace miss, most power within the charge limit)
    # are bisections on feasibility flags, so an evaluation lying within round-off of a limit could send
    # kernel and reference down different halves, and the two then differ by up to one bisection
    # interval (~7e-5 W of engine power): that would show as a single step off by ~1e-8 relative, not a
    # model difference. It does not happen on these cases: everything agrees to 1e-9.
    out, ref, _ = comparison(case)
    assert_array_equal(out.engine_mode, ref["engine_mode"])
    for name in OUTPUTS:
        assert_allclose(getattr(out, name), ref[name], rtol=1e-9, atol=1e-9, err_msg=f"{case}: {name}")


def test_comparison_covers_every_path():
    """Between them, the comparison cases take every path of the step logic."""
    total = {}
    for case in COMPARISON_CASES:
        for name, n in comparison(case)[2].items():
            total[name] = total.get(name, 0) + n
    for name in ("spun", "start", "least_power", "trace_miss", "charge_limit", "rotor_recovery"):
        assert total.get(name, 0) > 0, (name, total)
    assert total["least_power"] > total["trace_miss"]  # some least-power searches succeed
    assert comparison("us06_first_400s")[0].trace_miss_mps.max() > 0.1  # a real trace miss, not round-off
    cold = comparison("nedc_first_300s_cold")[0]
    assert cold.coolant_temp_c[-1] > ralink().controller.warm_coolant_c  # the warm-up rule released the engine


def test_shipped_vehicle_never_ends_a_step_outside_its_limits_on_the_comparison_cycles():
    for case in ("nedc", "us06_first_400s", "nedc_first_300s_cold"):
        assert comparison(case)[2].get("infeasible", 0) == 0


# --- invariants on every shipped cycle -------------------------------------------------------------

@pytest.mark.parametrize("cycle", CYCLES)
def test_willis_relation(cycle):
    ds = balanced(cycle)
    pg = ralink().planetary
    zs, zr = pg.sun_teeth, pg.ring_teeth
    w_g, w_r, w_e = ds["mg1_speed"].values, ds["ring_speed"].values, ds["engine_speed"].values
    lhs = w_g * zs + w_r * zr
    rhs = w_e * (zs + zr)
    scale = np.abs(w_g) * zs + np.abs(w_r) * zr + np.abs(w_e) * (zs + zr)
    assert np.all(np.abs(lhs - rhs) <= 1e-9 * np.maximum(scale, 1.0))
    # the rest of the gearing
    r = ralink().chassis.wheel_radius_m
    v = ds["speed"].values
    w_ring = np.r_[0.0, 0.5 * (v[1:] + v[:-1]) / r * pg.ring_to_axle_ratio]
    assert_allclose(w_r, w_ring, rtol=1e-12, atol=1e-12)
    assert_allclose(ds["mg2_speed"].values, w_r * pg.mg2_reduction_ratio, rtol=1e-12, atol=1e-12)
    assert_allclose(ds["pinion_speed"].values, (w_r - w_e) * zr / pg.pinion_teeth, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("cycle", CYCLES)
def test_energy_balance(cycle):
    assert hs.summarize(balanced(cycle))["energy_balance_rel_error"] < 1e-9


@pytest.mark.parametrize("cycle", CYCLES)
def test_soc_window(cycle):
    b = ralink().battery
    soc = balanced(cycle)["soc"].values
    assert soc.min() >= b.soc_min - 1e-9
    assert soc.max() <= b.soc_max + 1e-9


@pytest.mark.parametrize("cycle", CYCLES)
def test_speed_limits(cycle):
    ds = balanced(cycle)
    assert np.abs(ds["mg1_speed"].values).max() <= 13500 * RPM + 1e-6
    assert ds["mg2_speed"].values.max() <= 13500 * RPM * (1 + 1e-12)
    assert ds["engine_speed"].values.max() <= 5200 * RPM * (1 + 1e-12)
    # the pinion limit binds on the motorway cycles (engine speed raised to keep it): round-off allowed
    assert np.abs(ds["pinion_speed"].values).max() <= 10000 * RPM * (1 + 1e-9)


@pytest.mark.parametrize("cycle", CYCLES)
def test_machine_torque_envelopes(cycle):
    ds = balanced(cycle)
    for name, peak_nm, peak_w in (("mg2", 207.0, 60e3), ("mg1", 80.0, 42e3)):
        w = np.abs(ds[f"{name}_speed"].values)
        with np.errstate(divide="ignore"):
            envelope = np.minimum(peak_nm, np.where(w > 0, peak_w / w, np.inf))
        assert np.all(np.abs(ds[f"{name}_torque"].values) <= envelope + 1e-6), name


@pytest.mark.parametrize("cycle", CYCLES)
def test_battery_power_within_limits(cycle):
    """Terminal power against the limits recomputed from the battery tables at each step's starting SOC and
    polarisation voltage (the 1-RC branch's, rebuilt from the current: V1' = a·V1 + (1 − a)·R1·I, a = e^(−Δt/τ);
    the step OCV V_oc − g·V1 and resistance R0 + R1·(1 − g), g = (τ/Δt)·(1 − a), components/battery.py)."""
    ds = balanced(cycle)
    b = ralink().battery
    grid, ocv_tab, rd_tab, rc_tab = b.tables()
    soc = ds["soc"].values[:-1]  # SOC at the start of step k = 1..n-1
    ocv, rd, rc = (np.interp(soc, grid, tab) for tab in (ocv_tab, rd_tab, rc_tab))
    r1 = 0.5 * (rd + rc) * b.polarisation_fraction
    rd, rc = rd * b.ohmic_fraction, rc * b.ohmic_fraction
    dt = np.diff(ds["time"].values)
    a = np.exp(-dt / b.polarisation_time_constant_s)
    g = b.polarisation_time_constant_s / dt * (1.0 - a)
    i_b = ds["battery_current"].values[1:]
    v1 = np.zeros(soc.size)
    for k in range(soc.size - 1):
        v1[k + 1] = a[k] * v1[k] + (1.0 - a[k]) * r1[k] * i_b[k]
    ocv, rd, rc = ocv - g * v1, rd + r1 * (1.0 - g), rc + r1 * (1.0 - g)
    derate_dis = np.clip((soc - b.soc_min) / b.soc_derate_band, 0.0, 1.0)
    derate_chg = np.clip((b.soc_max - soc) / b.soc_derate_band, 0.0, 1.0)
    p_dis_max = np.minimum(25e3, b.min_voltage_v * (ocv - b.min_voltage_v) / rd) * derate_dis
    p_chg_max = np.minimum(20e3, b.max_voltage_v * (b.max_voltage_v - ocv) / rc) * derate_chg
    p = ds["battery_power"].values[1:]
    # the kernel accepts 1e-6 W beyond a limit (its charge limit is met by a root solve, so battery power
    # sits on the limit to round-off); 1e-5 W covers that and the table look-up's round-off
    assert np.all(p <= p_dis_max + 1e-5)
    assert np.all(p >= -p_chg_max - 1e-5)
    at_chg, at_dis = np.sum(p < -p_chg_max + 1.0), np.sum(p > p_dis_max - 1.0)
    print(f"{cycle}: steps within 1 W of the charge limit {at_chg}, of the discharge limit {at_dis}")
    if cycle == "us06":
        assert at_chg > 0 and at_dis > 0  # both limits bind: the check is not vacuous


@pytest.mark.parametrize("cycle", CYCLES)
def test_engine_torque_within_wot_and_fuel_only_when_fuelled(cycle):
    ds = balanced(cycle)
    m = ralink().engine.data()
    w_e = ds["engine_speed"].values
    assert np.all(ds["engine_torque"].values <= np.interp(w_e, m.speed_rad_s, m.wot_nm) + 1e-9)
    mode = ds["engine_mode"].values
    assert set(np.unique(mode)) <= {0.0, 1.0, 2.0}
    assert np.all(ds["fuel_rate"].values[mode != 1] == 0.0)
    assert np.all(ds["fuel_rate"].values[mode == 1] > 0.0)
    assert np.all(w_e[mode == 0] == 0.0)


@pytest.mark.parametrize("cycle", CYCLES)
def test_friction_brakes_only_dissipate(cycle):
    assert balanced(cycle)["brake_power"].values.min() >= -1e-6


@pytest.mark.parametrize("cycle", CYCLES)
def test_soc_balance_converged(cycle):
    s = hs.summarize(balanced(cycle))
    print(f"{cycle}: method {s['soc_balance_method']}, runs {s['soc_balance_runs']}, "
          f"residual {s['soc_balance_residual']:.2e}, start SOC {s['soc_start']:.4f}")
    assert abs(s["soc_balance_residual"]) <= 1e-3


@pytest.mark.parametrize("cycle", CYCLES)
def test_engine_on_above_ev_speed_cap(cycle):
    assert ralink().controller.ev_speed_max_kmh == ThsController().ev_speed_max_kmh == 50.0
    ds = balanced(cycle)
    v = ds["speed"].values
    v_mean = np.r_[0.0, 0.5 * (v[1:] + v[:-1])]
    fast = v_mean > 50 * KMH
    assert np.all(ds["engine_mode"].values[fast] != 0)


# --- standstill --------------------------------------------------------------------------------------

def test_standstill_burns_no_fuel_and_draws_only_the_accessories():
    v = ralink()
    ds = hs.simulate(v, standstill(600), soc_balance=False)
    assert np.all(ds["engine_mode"].values == 0)
    assert np.all(ds["fuel_rate"].values == 0.0)
    assert ds["soc"].values[0] == v.controller.soc_target
    # hand calculation: 300 W / 0.92 from the battery every second, through the Rint model with its 1-RC branch
    # (components/battery.py: step OCV V_oc − g·V1, step resistance R0 + R1·(1 − g))
    p = 300.0 / 0.92
    assert v.accessories.electrical_power_w == 300.0 and v.accessories.dcdc_efficiency == 0.92
    b = v.battery
    grid, ocv_tab, rd_tab, rc_tab = b.tables()
    tau = b.polarisation_time_constant_s
    a = math.exp(-1.0 / tau)
    g = tau * (1.0 - a)
    soc, v1 = 0.6, 0.0
    for _ in range(600):
        ocv, rd = np.interp(soc, grid, ocv_tab), np.interp(soc, grid, rd_tab)
        r1 = 0.5 * (rd + np.interp(soc, grid, rc_tab)) * b.polarisation_fraction
        ocv, r = ocv - g * v1, b.ohmic_fraction * rd + r1 * (1.0 - g)
        i = (ocv - math.sqrt(ocv**2 - 4 * r * p)) / (2 * r)
        v1 = a * v1 + (1.0 - a) * r1 * i
        soc -= i * 1.0 / (6.5 * 3600.0)
    d_soc = ds["soc"].values[-1] - 0.6
    assert d_soc < -0.03  # ≈ 326 W for 10 min from a 1.3 kWh pack
    assert_allclose(d_soc, soc - 0.6, rtol=1e-6)
    assert_allclose(ds["battery_power"].values[1:], p, rtol=1e-12)


# --- balanced and raw figures --------------------------------------------------------------------------

def test_raw_and_balanced_figures():
    v, nedc = ralink(), hs.load_cycle("nedc")
    raw = hs.simulate(v, nedc, soc_balance=False)
    s_raw = hs.summarize(raw)
    assert "soc_balance_fuel_kg" not in raw.attrs
    assert "fuel_raw_l_per_100km" not in s_raw and "soc_balance_method" not in s_raw
    assert s_raw["soc_start"] == v.controller.soc_target
    s_bal = hs.summarize(balanced("nedc"))
    assert {"fuel_l_per_100km", "fuel_raw_l_per_100km"} <= set(s_bal)
    assert s_bal["fuel_l_per_100km"] == pytest.approx(
        balanced("nedc").attrs["soc_balance_fuel_kg"] / 0.745 / s_bal["distance_km"] * 100, rel=1e-12)
    # the raw figure of the balanced run is its own fuel over its own distance
    assert s_bal["fuel_raw_l_per_100km"] == pytest.approx(s_bal["fuel_l"] / s_bal["distance_km"] * 100, rel=1e-12)


# --- cold start -----------------------------------------------------------------------------------------

@functools.cache
def nedc_cold():
    return hs.simulate(ralink(), hs.load_cycle("nedc"), cold_start=True, ambient_temp_c=25.0)


def test_cold_start():
    v = ralink()
    hot, cold = balanced("nedc"), nedc_cold()
    assert hs.summarize(cold)["fuel_l_per_100km"] > hs.summarize(hot)["fuel_l_per_100km"]
    assert hs.summarize(cold)["fuel_raw_l_per_100km"] > hs.summarize(hot)["fuel_raw_l_per_100km"]
    temp = cold["coolant_temperature"].values
    assert temp[0] == 25.0
    assert np.all(np.diff(temp) >= 0.0)
    assert temp.max() <= v.engine.hot_coolant_c
    assert temp[-1] == v.engine.hot_coolant_c  # NEDC is long enough to warm up
    # the engine runs fuelled through every step that starts below the warm-coolant temperature
    still_cold = temp[:-1] < v.controller.warm_coolant_c
    assert still_cold.sum() > 10
    assert np.all(cold["engine_mode"].values[1:][still_cold] == 1)
    assert np.all(hot["coolant_temperature"].values == v.engine.hot_coolant_c)


# --- the Dataset ------------------------------------------------------------------------------------------

def test_dataset_has_the_issue_variables():
    ds = balanced("nedc")
    names = ("engine_speed", "engine_torque", "engine_mode", "mg1_speed", "mg1_torque", "mg1_electric_power",
             "mg2_speed", "mg2_torque", "mg2_electric_power", "ring_speed", "battery_current", "battery_voltage",
             "battery_power", "soc", "fuel_rate", "brake_power", "speed")
    for name in names:
        assert name in ds, name
        assert ds[name].dims == ("time",)
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name


# --- hand checks of the electric step functions -----------------------------------------------------------

def rint(b):
    """The battery ``b`` without its 1-RC branch (the Rint model on its table)."""
    return dataclasses.replace(b, ohmic_fraction=1.0, polarisation_fraction=0.0)


def test_battery_step_by_hand():
    bk = rint(ralink().battery).to_kernel()
    grid, ocv_tab, rd_tab, rc_tab = ralink().battery.tables()
    soc, dt = 0.6, 1.0
    ocv, rd, rc = (float(np.interp(soc, grid, t)) for t in (ocv_tab, rd_tab, rc_tab))
    q = 6.5 * 3600.0
    # discharge 10 kW
    i, v_t, p_chem, loss, soc_new = battery_step(bk, soc, 10e3, dt)
    i_hand = (ocv - math.sqrt(ocv * ocv - 4 * rd * 10e3)) / (2 * rd)
    assert i == pytest.approx(i_hand, rel=1e-12)
    assert v_t == pytest.approx(ocv - rd * i_hand, rel=1e-12)
    assert v_t * i == pytest.approx(10e3, rel=1e-12)
    assert loss == pytest.approx(rd * i_hand**2, rel=1e-12)
    assert p_chem == pytest.approx(10e3 + loss, rel=1e-12)
    assert soc_new == pytest.approx(soc - i_hand * dt / q, rel=1e-14)
    # charge 8 kW: charge resistance, coulombic efficiency 0.98 on the stored charge
    i, v_t, p_chem, loss, soc_new = battery_step(bk, soc, -8e3, dt)
    i_hand = (ocv - math.sqrt(ocv * ocv + 4 * rc * 8e3)) / (2 * rc)
    assert i == pytest.approx(i_hand, rel=1e-12) and i < 0
    assert v_t == pytest.approx(ocv - rc * i_hand, rel=1e-12)
    assert v_t * i == pytest.approx(-8e3, rel=1e-12)
    assert p_chem == pytest.approx(ocv * 0.98 * i_hand, rel=1e-12)
    assert p_chem == pytest.approx(-8e3 + loss, rel=1e-12)
    assert soc_new == pytest.approx(soc - 0.98 * i_hand * dt / q, rel=1e-14)
    # zero power
    assert battery_step(bk, soc, 0.0, dt) == (0.0, pytest.approx(ocv, rel=1e-15), 0.0, 0.0, soc)


def test_battery_rc_step_by_hand():
    """The 1-RC step (components/battery.py): a constant current held 10 s from rest gives the voltage drop of
    R0 + R1·(1 − e^(−10/τ)) (the table's HPPC pulse resistance, for the Levin's fractions within 0.5 %); every step
    closes chemical = terminal + loss + storage to round-off, its loss is R0·I² plus the mean of V1²/R1 over the
    step (quadrature), the storage sums to ½·C1·V1² and the branch relaxes with τ at zero current."""
    b = ralink().battery
    bk = b.to_kernel()
    grid, ocv_tab, rd_tab, rc_tab = b.tables()
    soc, dt, p = 0.6, 1.0, 10e3
    rd_tab_soc, rc_tab_soc = (float(np.interp(soc, grid, t)) for t in (rd_tab, rc_tab))
    r0, r1, tau = b.ohmic_fraction * rd_tab_soc, 0.5 * (rd_tab_soc + rc_tab_soc) * b.polarisation_fraction, \
        b.polarisation_time_constant_s
    v1 = e_store = 0.0
    ts = np.linspace(0.0, dt, 201)
    for _ in range(10):
        ocv, ocv_s, rd_s, rc_s = battery_state_rc(bk, soc, v1, dt)
        i, v_t, p_chem, loss, soc_new, v1_new, p_store = battery_step_rc_at(bk, soc, v1, ocv, ocv_s, rd_s, rc_s, p,
                                                                            dt)
        assert v_t * i == pytest.approx(p, rel=1e-12)
        assert p_chem - v_t * i - loss - p_store == pytest.approx(0.0, abs=1e-9 * p)
        rd_k, rc_k = (float(np.interp(soc, grid, t)) for t in (rd_tab, rc_tab))
        r1_k = 0.5 * (rd_k + rc_k) * b.polarisation_fraction  # the step's R1, at its SOC
        v1_t = r1_k * i + (v1 - r1_k * i) * np.exp(-ts / tau)  # the branch voltage over the step at constant current
        assert loss == pytest.approx(b.ohmic_fraction * rd_k * i * i + np.trapezoid(v1_t**2 / r1_k, ts) / dt,
                                     rel=1e-7)
        assert v1_new == pytest.approx(v1_t[-1], rel=1e-12)
        e_store += p_store * dt
        soc, v1 = soc_new, v1_new
    assert e_store == pytest.approx(0.5 * tau / r1 * v1**2, rel=5e-3)  # per step C1 = τ/R1 at its SOC (0.3 % off)
    # the drop in the 10th second: OCV − V_t over I is R0 + the mean of R1·(1 − e^(−t/τ)) over t = 9…10 s at a
    # constant current (here constant power: the current rises ≈ 1.5 % over the pulse, the branch lags it)
    g = tau / dt * (1.0 - math.exp(-dt / tau))
    assert (ocv - v_t) / i == pytest.approx(r0 + r1 * (1.0 - g * math.exp(-9.0 / tau)), rel=1e-2)
    # the fractions give back the table's 10-s pulse resistance (R1 on the mean of R_dis and R_chg)
    assert r0 + r1 * (1.0 - math.exp(-10.0 / tau)) == pytest.approx(rd_tab_soc, rel=1e-2)
    # at rest the branch relaxes: V1 · e^(−Δt/τ), the energy it held returned (negative storage power)
    ocv, ocv_s, rd_s, rc_s = battery_state_rc(bk, soc, v1, dt)
    i, v_t, p_chem, loss, _, v1_new, p_store = battery_step_rc_at(bk, soc, v1, ocv, ocv_s, rd_s, rc_s, 0.0, dt)
    assert i == 0.0 and p_chem == 0.0 and v1_new == pytest.approx(v1 * math.exp(-dt / tau), rel=1e-12)
    assert p_store < 0.0 and loss == pytest.approx(-p_store, rel=1e-12) and v_t == pytest.approx(ocv - v1 * (
        tau / dt) * (1.0 - math.exp(-dt / tau)), rel=1e-12)


def fitted_mg2():
    """The 2010 Prius MG2 (the Levin's) with the loss fit instead of its measured map: kc 0.2438, ki 1.554,
    kw 2.68e-7, C 0 (issue 13; the Levin's file uses the map itself, tests/test_motor_maps.py), and the legacy
    constant inverter efficiency 0.95 so that the DC power can be checked by hand (the inverter loss model that the
    Levin's file now uses is checked against ORNL's measurements in tests/test_inverter.py)."""
    return dataclasses.replace(ralink().motors["mg2"], loss_map_file=None, inverter_efficiency=0.95).to_kernel()


def test_motor_dc_power_by_hand():
    mg2 = fitted_mg2()
    # motoring 100 N·m at 300 rad/s
    loss = 0.2438 * 100**2 + 1.554 * 300 + 2.68e-7 * 300**3
    assert loss == pytest.approx(2911.436, rel=1e-12)
    p_dc, l_m, l_inv = motor_dc_power_w(mg2, 100.0, 300.0)
    assert l_m == pytest.approx(loss, rel=1e-12)
    # a constant loss given in the file (loss_c_w) is drawn in full above T_C = 10 N·m
    with_c = dataclasses.replace(ralink().motors["mg2"], loss_map_file=None, loss_c_w=347.0).to_kernel()
    assert motor_dc_power_w(with_c, 100.0, 300.0)[1] == pytest.approx(loss + 347.0, rel=1e-12)
    assert motor_dc_power_w(with_c, 5.0, 300.0)[1] == pytest.approx(
        0.2438 * 25 + (1.554 * 300 + 2.68e-7 * 300**3) * (0.1 + 0.9 * 0.5) + 347.0 * 0.5, rel=1e-12)
    assert p_dc == pytest.approx((100 * 300 + loss) / 0.95, rel=1e-12)
    assert l_inv == pytest.approx(p_dc - (100 * 300 + loss), rel=1e-12)
    # generating −100 N·m at 300 rad/s: the inverter multiplies
    p_dc, l_m, l_inv = motor_dc_power_w(mg2, -100.0, 300.0)
    assert p_dc == pytest.approx((-100 * 300 + loss) * 0.95, rel=1e-12)
    assert l_inv == pytest.approx((-100 * 300 + loss) * (0.95 - 1), rel=1e-12) and l_inv > 0
    # zero torque (inverter off): the idle share f = 0.1 of the iron and windage drags the spinning rotor, no
    # constant loss (components/motor.NO_LOAD_DRAG_FRACTION)
    p_dc, l_m, _ = motor_dc_power_w(mg2, 0.0, 300.0)
    assert l_m == pytest.approx(0.1 * (1.554 * 300 + 2.68e-7 * 300**3), rel=1e-12)
    assert p_dc == pytest.approx(l_m / 0.95, rel=1e-12)
    # MG1: the MG2 fit scaled by torque 80/207 (same top speed): kc·207/80, ki·80/207, kw·80/207
    mg1 = ralink().motors["mg1"].to_kernel()
    s_t = 80 / 207
    loss1 = 0.2438 / s_t * 20**2 + 1.554 * s_t * 500 + 2.68e-7 * s_t * 500**3
    assert motor_dc_power_w(mg1, -20.0, 500.0)[1] == pytest.approx(loss1, rel=1e-12)


@pytest.mark.parametrize("w", [50.0, 300.0, 800.0, 1400.0])
@pytest.mark.parametrize("p_dc", [-500.0, -5e3, -20e3, -45e3])
def test_motor_torque_for_dc_power_inverts_dc_power(w, p_dc):
    mg2 = fitted_mg2()
    t = motor_torque_for_dc_power(mg2, w, p_dc)
    best = -w / (2 * 0.2438)  # the most a generator at w returns: dP/dT = 0
    if t == pytest.approx(best, rel=1e-12):
        assert motor_dc_power_w(mg2, best, w)[0] > p_dc  # p_dc is beyond the machine: its best point
    else:
        assert t < 0.0
        assert motor_dc_power_w(mg2, t, w)[0] == pytest.approx(p_dc, rel=1e-9)
        assert abs(t) < abs(best)  # the root nearest zero (less loss)


@pytest.mark.parametrize("mg2", [fitted_mg2, lambda: ralink().motors["mg2"].to_kernel()], ids=["fit", "map"])
def test_motor_torque_for_dc_power_edge_cases(mg2):
    mg2 = mg2()
    assert motor_torque_for_dc_power(mg2, 0.0, -1e3) == 0.0  # a standing machine returns nothing
    drag_dc = motor_dc_power_w(mg2, 0.0, 300.0)[0]
    assert motor_torque_for_dc_power(mg2, 300.0, drag_dc + 500.0) == 0.0  # more than zero torque draws


# --- validation ---------------------------------------------------------------------------------------------

@pytest.mark.validation
def test_nedc_against_claim():
    hot = hs.summarize(balanced("nedc"))["fuel_l_per_100km"]
    cold = hs.summarize(nedc_cold())["fuel_l_per_100km"]
    claim = next(c.value for c in ralink().claims if c.procedure == "nedc")
    print(f"\nRalink NEDC: hot start {hot:.2f} L/100 km, cold start (25 °C) {cold:.2f} L/100 km, "
          f"claimed {claim} L/100 km (not tuned to)")
    assert 3.0 < hot < 6.0
    assert 3.0 < cold < 6.0


# --- limits in corner cases: hill launch, weak battery, low SOC at standstill ------------------------------

def test_pinion_speed_limit_both_ways_on_a_hill():
    out = comparison("hill_20pct")[0]
    assert np.abs(out.pinion_speed_rad_s).max() <= 10000 * RPM * (1 + 1e-9)


def test_weak_battery_stays_within_its_limits():
    v = weak_battery_ralink()
    ds = hs.simulate(v, hs.load_cycle("udds"), soc_init=0.5, soc_balance=False)
    b = v.battery
    grid, ocv_tab, rd_tab, rc_tab = b.tables()
    soc = ds["soc"].values[:-1]
    ocv, rd, rc = (np.interp(soc, grid, tab) for tab in (ocv_tab, rd_tab, rc_tab))
    p_dis_max = np.minimum(6e3, b.min_voltage_v * (ocv - b.min_voltage_v) / rd)
    p_chg_max = np.minimum(3e3, b.max_voltage_v * (b.max_voltage_v - ocv) / rc)
    p = ds["battery_power"].values[1:]
    assert hs.summarize(ds)["energy_balance_rel_error"] < 1e-9
    assert np.all(p <= p_dis_max + 1e-5)
    assert np.all(p >= -p_chg_max - 1e-5)


def test_low_soc_at_standstill_charges():
    v = ralink()
    ds = hs.simulate(v, standstill(300), soc_init=0.43, soc_balance=False)
    assert ds["soc"].values[-1] > 0.43


def test_engine_start_books_the_rotor_kinetic_energy_once():
    """Starting the engine at standstill spins engine and MG1 from rest: the rotor-inertia energy of that
    step is exactly ½·J_e·ω_e² + ½·J_MG1·ω_MG1² (the plain backward difference would book twice that)."""
    v = ralink()
    ds = hs.simulate(v, standstill(60), soc_init=0.43, soc_balance=False)  # low SOC: the engine starts to charge
    mode = ds["engine_mode"].values
    k = int(np.argmax(mode > 0))
    assert k > 0 and mode[k - 1] == 0
    dt = float(ds["time"].values[k] - ds["time"].values[k - 1])
    w_e, w_g = float(ds["engine_speed"].values[k]), float(ds["mg1_speed"].values[k])
    kinetic = 0.5 * v.engine.inertia_kgm2 * w_e**2 + 0.5 * v.motors["mg1"].inertia_kgm2 * w_g**2
    assert w_e > 0 and float(ds["rotor_inertia_power"].values[k]) * dt == pytest.approx(kinetic, rel=1e-12)


def test_engine_stop_returns_its_kinetic_energy_through_mg1():
    """Where the engine stops, MG1 generates the rotors' kinetic energy (less the engine's spin-down friction,
    booked as engine loss) instead of the step dropping it: in most stops MG1's electric power is below that of
    its torque-speed point (never above it), no more than the kinetic energy released comes back, and the energy
    balance closes."""
    from hybridsim.core.electric import motor_dc_power_w

    v = hs.load_vehicle("prius_2016")
    ds = hs.simulate(v, hs.load_cycle("udds"), soc_balance=False)
    assert hs.summarize(ds)["energy_balance_rel_error"] < 1e-9
    mode, w_e, w_g = ds["engine_mode"].values, ds["engine_speed"].values, ds["mg1_speed"].values
    t = ds["time"].values
    stops = [k for k in range(1, len(mode)) if mode[k] == 0 and w_e[k - 1] > 0.0]
    assert stops
    mg1 = v.motors["mg1"].to_kernel()
    recovered = 0
    for k in stops:
        dt = t[k] - t[k - 1]
        released = 0.5 * v.engine.inertia_kgm2 * w_e[k - 1] ** 2 + 0.5 * v.motors["mg1"].inertia_kgm2 * (
            w_g[k - 1] ** 2 - w_g[k] ** 2)
        rotor = float(ds["rotor_inertia_power"].values[k]) * dt
        assert rotor >= -released - 1e-9  # no more than the kinetic energy comes back
        p_point = motor_dc_power_w(mg1, float(ds["mg1_torque"].values[k]), float(w_g[k]))[0]
        extra = (float(ds["mg1_electric_power"].values[k]) - p_point) * dt
        assert extra <= 1e-9  # MG1 only ever generates more
        recovered += extra < -1e-9
    assert recovered > len(stops) // 2


# --- power-split gear set: losses on the carrier-frame (mesh) power ------------------------------------

def test_planetary_torques_by_hand():
    from hybridsim.core.ths import _planetary_torques
    k, eta = 78 / 30, 0.98
    # engine at 200 rad/s drives, ring at 150 rad/s: the ideal sun torque −100/(1+k) times k·(ω_c − ω_r) < 0,
    # so the ring drives the sun relative to the carrier: e = 1/η
    t_s, t_r = _planetary_torques(k, eta, 100.0, 200.0, 150.0)
    e = 1 / eta
    assert_allclose(t_s, -100.0 / (1 + k * e), rtol=1e-15)
    assert_allclose(t_r, 100.0 + t_s, rtol=1e-15)  # statics: T_c + T_s = T_r
    w_s = (1 + k) * 200.0 - k * 150.0
    loss = 100.0 * 200.0 + t_s * w_s - t_r * 150.0
    mesh = t_s * (w_s - 200.0)
    assert_allclose(loss, (1 - e) * mesh, rtol=1e-12)
    assert 0 < loss < 0.021 * abs(mesh)
    # the old model charged (1 − η) of the whole ring power, 3× more here
    assert loss < 0.5 * (1 - eta) * (100.0 * k / (1 + k)) * 150.0
    # locked gear set (ω_c = ω_r): no mesh power, no loss, the ideal lever
    t_s, t_r = _planetary_torques(k, eta, 100.0, 150.0, 150.0)
    assert_allclose(100.0 * 150.0 + t_s * 150.0 - t_r * 150.0, 0.0, atol=1e-9)
    # the sun drives relative to the carrier (ω_c < ω_r with the engine driving): e = η
    t_s, t_r = _planetary_torques(k, eta, 100.0, 100.0, 150.0)
    assert_allclose(t_s, -100.0 / (1 + k * eta), rtol=1e-15)


def test_mg1_unpowered_while_the_engine_rests():
    """With the engine at rest for a whole step MG1 makes no torque and draws no power: its rotor, tied to
    the ring, is spun through the gear set."""
    out = balanced("wltc_class3b")
    rest = (out.engine_mode.values == 0) & (np.roll(out.engine_speed.values, 1) == 0.0)
    rest[0] = False
    moving = rest & (out.speed.values > 1.0)
    assert moving.sum() > 100
    assert_array_equal(out.mg1_torque.values[moving], 0.0)
    # MG1 still turns with the ring (Willis) and its loss is only the idle (inverter-off) share of its iron and
    # windage drag
    assert (np.abs(out.mg1_speed.values[moving]) > 0).all()
    mg1 = ralink().motors["mg1"]
    kc, ki, kw, c = mg1.loss_coefficients()
    w = np.abs(out.mg1_speed.values[moving])
    assert_allclose(out.mg1_loss.values[moving], mg1.no_load_drag_fraction * (ki * w + kw * w**3), rtol=1e-12)


def test_battery_round_trip_by_cause():
    ds = balanced("udds")
    rt = hs.battery_round_trip(ds)
    dt = np.diff(ds.time.values)
    p = ds.battery_power.values[1:]
    km = hs.summarize(ds)["distance_km"]
    kwh100 = 100 / km / 3.6e6
    # the causes add up to the whole terminal throughput, each way
    assert_allclose(rt["charge_regeneration"] + rt["charge_engine"], -np.minimum(p, 0) @ dt * kwh100, rtol=1e-12)
    assert_allclose(rt["discharge_electric_drive"] + rt["discharge_assist"], np.maximum(p, 0) @ dt * kwh100,
                    rtol=1e-12)
    # regeneration only while the wheels brake, EV discharge only with the engine off
    wheel, mode = ds.wheel_power.values[1:], ds.engine_mode.values[1:]
    assert_allclose(rt["charge_regeneration"], -np.minimum(p, 0)[wheel < 0] @ dt[wheel < 0] * kwh100, rtol=1e-12)
    assert_allclose(rt["discharge_electric_drive"], np.maximum(p, 0)[mode == 0] @ dt[mode == 0] * kwh100, rtol=1e-12)
    assert rt["charge_regeneration"] > 0 and rt["discharge_electric_drive"] > 0
    # a charge-balanced run: what went in came out, less the battery's own loss
    e = hs.summarize(ds)["energy_kwh"]
    assert_allclose(rt["battery_loss"], e["battery_loss"] * 100 / km, rtol=1e-12)
    assert 0 < rt["battery_loss_per_charge"] < 0.3


def test_engine_torque_capped_by_what_mg1_can_react_in_transients():
    """The Prius's MG1 (40 N·m) barely reacts the engine's 142 N·m: the engine torque is capped at what MG1
    can hold besides spinning up its rotor and the engine's, so the car follows US06 (a cap on the static
    reaction alone left every fuelled candidate infeasible in fast engine speed-ups and the car fell 77 km/h
    behind the trace)."""
    v = hs.load_vehicle("prius_2016")
    assert v.motors["mg1"].peak_torque_nm == 40.0
    ds = hs.simulate(v, hs.load_cycle("us06"))
    s = hs.summarize(ds)
    assert s["trace_miss_max_kmh"] < 8.0
    t1max = np.array([motor_tmax_py(v.motors["mg1"], w) for w in ds.mg1_speed.values])
    assert (np.abs(ds.mg1_torque.values) <= t1max + 1e-9).all()


def motor_tmax_py(m, w):
    return min(m.peak_torque_nm, m.peak_power_kw * 1e3 / abs(w)) if w != 0 else m.peak_torque_nm


def test_a_further_pass_calls_the_typed_entry_point():
    """_run_ths_once calls the kernel's compiled entry point once the dispatcher has typed the same arguments
    (the same ``args`` object, cycle arrays as writeable or not): the outputs of every way of calling are the same
    bits (a read-only cycle and rebuilt arguments are typed by the dispatcher again)."""
    from hybridsim.powertrains import _ths_plant

    v = ralink()
    cyc = head(hs.load_cycle("wltc"), 300)
    args = _ths_args(v, False, 23.0)
    first = _run_ths_once(args, 0.6, cyc)
    again = _run_ths_once(args, 0.6, cyc)
    frozen = [np.array(a) for a in (cyc.time_s, cyc.speed_mps, cyc.grade)]
    for a in frozen:
        a.setflags(write=False)
    ro = hs.Cycle(name=cyc.name, time_s=frozen[0], speed_mps=frozen[1], grade=frozen[2])
    rebuilt = _ths_plant._build_ths_args(v, False, 23.0)
    for out in (again, _run_ths_once(args, 0.6, ro), _run_ths_once(rebuilt, 0.6, cyc)):
        for f in ThsOut._fields:
            assert_array_equal(getattr(out, f), getattr(first, f), err_msg=f)
    if os.environ.get("NUMBA_DISABLE_JIT", "0") in ("", "0"):
        keys = [k for k, (a, _) in _ths_plant._TYPED.items() if a is args]
        assert keys and all(_ths_plant._typed_entry(k, args) is not None for k in keys)
        assert _ths_plant._typed_entry((id(rebuilt) + 1, 0, True, True, True), rebuilt) is None
