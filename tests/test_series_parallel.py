"""Series-parallel hybrid (Honda i-MMD, ``insight_2022``): the plant step against a slow reference replay, the
invariants on every shipped cycle hot and cold, the modes used, and the EPA lab figures (simulated vs lab)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from numpy.testing import assert_allclose
from reference_series_parallel import OUTPUTS, replay

import hybridsim as hs
from hybridsim import procedures
from hybridsim.powertrains.series_parallel import plant_args, run_once

VID = "insight_2022"
AIM = 0.05


@functools.cache
def vehicle():
    return hs.load_vehicle(VID)


@functools.cache
def run(cycle_name, cold):
    return hs.simulate(vehicle(), hs.load_cycle(cycle_name), cold_start=cold)


# --- plant step vs the slow reference ------------------------------------------------------------------------

@pytest.mark.parametrize(("cycle_name", "cold"), [("udds", True), ("hwfet", False), ("us06", False),
                                                  ("wltc_class3b", True)])
def test_plant_matches_reference(cycle_name, cold):
    v = vehicle()
    cyc = hs.load_cycle(cycle_name)
    soc0 = v.controller.soc_target
    out = run_once(plant_args(v, cold, 23.0), soc0, cyc)
    ref = replay(v, cyc, out, soc0, cold_start=cold)
    for name in OUTPUTS:
        assert_allclose(getattr(out, name), ref[name], rtol=1e-9, atol=1e-7, err_msg=f"{cycle_name}: {name}")
    # the comparison covers every mode
    if cycle_name in ("us06", "wltc_class3b"):
        assert set(np.unique(out.sp_mode[1:]).astype(int)) == {0, 1, 2}


def test_plant_step_replays_the_kernel():
    """``plant_step`` with the kernel's decisions gives the kernel's next state, step by step."""
    from hybridsim.core.series_parallel import SpDecision, initial_state, plant_step

    v = vehicle()
    cyc = hs.load_cycle("wltc_class3b")
    plant, _ = plant_args(v, False, 23.0)
    out = run_once((plant, v.controller.to_kernel()), 0.55, cyc)
    st = initial_state(plant, 0.55)
    for k in range(1, len(cyc.time_s)):
        d = SpDecision(int(out.sp_mode[k]), out.engine_speed_rad_s[k], out.engine_torque_nm[k])
        res = plant_step(plant, st, d, out.speed_mps[k - 1], out.speed_mps[k], cyc.time_s[k] - cyc.time_s[k - 1],
                         cyc.grade[k])
        assert res.split.feasible or out.trace_miss_mps[k] > 0 or not res.split.feasible  # reported, not raised
        assert abs(res.state.soc - out.soc[k]) < 1e-12
        assert abs(res.fuel_kg_s - out.fuel_kg_s[k]) < 1e-12
        st = res.state


def test_engine_stop_returns_its_kinetic_energy_through_mg1():
    """Where the engine stops (EV after an engine mode), MG1 generates the kinetic energy of engine and generator
    rotors (core/ths.rotor_recovery): in most stops its electric power is below that of its torque-speed point
    (never above it), and the rotor term never gives back more than the kinetic energy released."""
    from hybridsim.core.electric import motor_dc_power_w

    v = vehicle()
    ds = run("udds", True)
    w_e, w_g, t = ds["engine_speed"].values, ds["generator_speed"].values, ds["time"].values
    mg1 = v.motors["mg1"].to_kernel()
    stops = [k for k in range(1, len(w_e)) if w_e[k] == 0.0 and w_e[k - 1] > 0.0]
    assert stops
    recovered = 0
    for k in stops:
        dt = t[k] - t[k - 1]
        released = 0.5 * v.engine.inertia_kgm2 * w_e[k - 1] ** 2 + 0.5 * v.motors["mg1"].inertia_kgm2 * w_g[k - 1] ** 2
        assert float(ds["rotor_inertia_power"].values[k]) * dt >= -released - 1e-9
        p_point = motor_dc_power_w(mg1, float(ds["mg1_torque"].values[k]), float(w_g[k]))[0]
        extra = (float(ds["mg1_electric_power"].values[k]) - p_point) * dt
        assert extra <= 1e-9
        recovered += extra < -1e-9
    assert recovered > len(stops) // 2


def test_one_compiled_signature():
    from hybridsim.core.series_parallel_control import run_series_parallel

    run("udds", False)
    run("udds", True)
    assert len(run_series_parallel.signatures) == 1


# --- invariants on every shipped cycle, hot and cold ---------------------------------------------------------

CYCLES = hs.list_cycles()


@pytest.mark.parametrize("cold", [False, True])
@pytest.mark.parametrize("cycle_name", CYCLES)
def test_invariants(cycle_name, cold):
    ds = run(cycle_name, cold)
    v = vehicle()
    eb = hs.energy_balance(ds)
    assert eb["rel_error"] < 1e-9
    for name in ds.data_vars:
        assert np.all(np.isfinite(ds[name].values)), name
    soc = ds.soc.values
    assert soc.min() >= v.battery.soc_min - 1e-9 and soc.max() <= v.battery.soc_max + 1e-9
    assert abs(ds.attrs["soc_balance_residual"]) < 5e-3
    # limits: machine speeds and torques, engine within WOT, fuel only when fuelled, brakes only dissipate
    mg1, mg2 = v.motors["mg1"], v.motors["mg2"]
    assert np.all(np.abs(ds.generator_speed.values) <= mg1.max_speed_rpm * np.pi / 30 + 1e-6)
    assert np.all(np.abs(ds.mg2_speed.values) <= mg2.max_speed_rpm * np.pi / 30 + 1e-6)
    assert np.all(np.abs(ds.mg2_torque.values) <= mg2.peak_torque_nm + 1e-9)
    assert np.all(ds.brake_power.values >= -1e-9)
    mode = ds.sp_mode.values[1:]
    assert np.all(ds.fuel_rate.values[1:][mode == 0] == 0.0)
    assert np.all(ds.engine_speed.values[1:][mode == 0] == 0.0)
    # engine drive only with the clutch's fixed ratio
    g = v.series_parallel_gearing
    w_w = 0.5 * (ds.speed.values[1:] + ds.speed.values[:-1]) / v.chassis.wheel_radius_m
    assert_allclose(ds.engine_speed.values[1:][mode == 2], (g.engine_to_axle_ratio * w_w)[mode == 2], rtol=1e-12)
    for k in ("generator_gear_loss", "clutch_gear_loss", "reduction_loss", "mg1_loss", "mg2_loss"):
        assert ds[k].values.min() >= -1e-9, k


def test_modes_used_where_the_rules_say():
    """City: mostly EV, no engine drive below the lock-up speed; highway: mostly engine drive."""
    c = vehicle().controller
    city = run("udds", False)
    m = city.sp_mode.values[1:]
    assert (m == 0).mean() > 0.5
    vbar = 0.5 * (city.speed.values[1:] + city.speed.values[:-1]) * 3.6  # the rules read the step's mean speed
    assert np.all(vbar[m == 2] >= c.lockup_speed_off_kmh - 1e-6)
    hwy = run("hwfet", False).sp_mode.values[1:]
    assert (hwy == 2).mean() > 0.5
    assert (hwy == 1).any()


# --- EPA lab figures ------------------------------------------------------------------------------------------

#: gaps outside ±5 % and the component the run's energy flows point at (nothing here is tuned to the figures)
_WHY = ("electric path: the 267 N·m traction motor runs on the 2010 Prius MG2 loss fit scaled by torque and speed "
        "(loss_scale 1.0, an estimate; on a hot UDDS MG2 loses 1.1 MJ against 3.2 MJ of net DC energy), the "
        "ORNL/TM-2006/423 inverter model on the VCU's variable bus with its estimated boost loss (+28.9 / +41.2 % on "
        "the hot UDDS with the flat 0.96 / the inverter model at the fixed 700 V ceiling), and a pack whose "
        "capacity, resistance and limits are all "
        "estimates; the engine is a Willans map on the 40.5 % peak with no Honda data for its part load")
OUTSIDE = {
    "fuel_ftp75_l_per_100km": "+18.9 % (+23.1 % with the loss fit's constant term C, issue 13): " + _WHY,
    "fuel_hot_udds_l_per_100km": "+27.4 % (+32.4 % with C): " + _WHY,
    "fuel_us06_l_per_100km": "+14.5 % (+14.6 % with C): " + _WHY + "; plus the pack's estimated 30 kW limit on "
                             "the US06 peaks",
}
CLAIMS = ("fuel_ftp75_l_per_100km", "fuel_hot_udds_l_per_100km", "fuel_hwfet_l_per_100km", "fuel_us06_l_per_100km")


@functools.cache
def _epa():
    return procedures.epa(vehicle())


@pytest.mark.validation
@pytest.mark.parametrize("quantity", [
    pytest.param(q, marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=OUTSIDE[q])]
                 if q in OUTSIDE else []) for q in CLAIMS])
def test_epa_lab_figure(quantity):
    v = vehicle()
    claim = next(c for c in v.claims if c.procedure == "epa" and c.quantity == quantity)
    r = _epa()
    assert r["test_conditions"].startswith("file: [test_conditions.epa]")
    assert r["energy_balance_rel_error"] < 1e-9
    sim = r[quantity]
    diff = (sim - claim.value) / claim.value
    print(f"\n{v.name}, EPA {quantity}: simulated {sim:.3f}, lab {claim.value:.3f} {claim.unit} ({diff:+.1%}); "
          f"{claim.source}")
    assert abs(diff) <= AIM, f"{diff:+.1%} outside ±{AIM:.0%}"


@pytest.mark.parametrize("quantity", ["fuel_l_per_100km", "co2_g_per_km"])
def test_jazz_wltp_claim(quantity):
    """The series-parallel WLTP claim car (``jazz_ehev_2020``, public specifications, road load from C_d·A and C_rr):
    WLTP combined, simulated vs official (no tuning; measured +3.2 % fuel, +3.0 % CO2)."""
    v = hs.load_vehicle("jazz_ehev_2020")
    claim = next(c for c in v.claims if c.procedure == "wltp" and c.quantity == quantity)
    r = _jazz_wltp()
    assert r["energy_balance_rel_error"] < 1e-9 and r["trace_miss_max_kmh"] == 0.0
    assert r["wltc_class"] == "class3b" and r["cold_start"]
    sim = r[quantity]
    diff = (sim - claim.value) / claim.value
    print(f"\n{v.name}, WLTP {quantity}: simulated {sim:.3f}, official {claim.value} {claim.unit} ({diff:+.1%}); "
          f"{claim.source}")
    assert abs(diff) <= AIM, f"{diff:+.1%} outside ±{AIM:.0%}"


@functools.cache
def _jazz_wltp():
    return procedures.wltp(hs.load_vehicle("jazz_ehev_2020"))


def test_full_load_performance_on_the_plant_step():
    """0-100 km/h and top speed through the registry's full-load model (the plant step at full load)."""
    v = vehicle()
    t = hs.performance.acceleration(v, 0.0, 100.0)
    top = hs.performance.top_speed(v)
    print(f"\n{v.name}: 0-100 km/h {t:.2f} s, top speed {top:.0f} km/h")
    assert 5.0 < t < 15.0  # published 0-60 mph ≈ 7-8 s class (no claim shipped: M, recalled)
    assert 140.0 < top <= hs.performance.max_speed_kmh(v) + 1e-6


# --- ECMS ------------------------------------------------------------------------------------------------------

@functools.cache
def run_ecms(cycle_name, cold):
    return hs.simulate(vehicle(), hs.load_cycle(cycle_name), cold_start=cold, strategy="ecms", soc_balance=False)


@pytest.mark.parametrize("cycle_name", CYCLES)
def test_ecms_invariants_and_charge_sustaining_without_iteration(cycle_name):
    """ECMS on every shipped cycle: energy balance, SOC window, every mode feasible; the adaptive factor keeps a
    single run from the target SOC charge-sustaining (|ΔSOC| ≤ 1 % of capacity; measured ≤ 0.59 % on every shipped
    cycle with the kinetic share learnt from the run's stops, ``core/series_parallel_control.py``)."""
    v = vehicle()
    ds = run_ecms(cycle_name, False)
    assert hs.energy_balance(ds)["rel_error"] < 1e-9
    soc = ds.soc.values
    assert soc.min() >= v.battery.soc_min - 1e-9 and soc.max() <= v.battery.soc_max + 1e-9
    assert abs(soc[-1] - soc[0]) <= 0.01, soc[-1] - soc[0]


def test_ecms_plant_matches_reference():
    v = vehicle()
    cyc = hs.load_cycle("wltc_class3b")
    soc0 = v.controller.soc_target
    out = run_once(plant_args(v, True, 23.0), soc0, cyc, 1)
    ref = replay(v, cyc, out, soc0, cold_start=True)
    for name in OUTPUTS:
        assert_allclose(getattr(out, name), ref[name], rtol=1e-9, atol=1e-7, err_msg=name)
    assert set(np.unique(out.sp_mode[1:]).astype(int)) == {0, 1, 2}


def test_ecms_vs_rule_based_printed():
    """Charge-balanced fuel of both strategies on the same plant (reported, not ranked: neither is an optimum)."""
    for c in ("udds", "hwfet", "us06", "wltc_class3b"):
        f = {s: hs.summarize(hs.simulate(vehicle(), hs.load_cycle(c), strategy=s))["fuel_l_per_100km"]
             for s in ("rule_based", "ecms")}
        print(f"\n{c}: rule-based {f['rule_based']:.3f}, ECMS {f['ecms']:.3f} L/100 km")
        assert all(np.isfinite(x) and x > 0 for x in f.values())
