"""Dual-motor BEV (Porsche Taycan Turbo / Turbo S): vehicle files, kernel vs a slow reference, energy balance,
limits, the axle split, BEV procedures on hand-checkable pieces, and validation against the claims.

The reference model (``reference_bev.py``) imports nothing from ``hybridsim.core``; kernel and reference
must agree to 1e-9.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from reference_bev import OUTPUTS, run_reference

import hybridsim as hs
from hybridsim import performance, procedures
from hybridsim.components.chassis import road_load_force_n
from hybridsim.cycles import Cycle
from hybridsim.results import energy_balance, summarize
from hybridsim.vehicle import read_vehicle, replace_path


@pytest.fixture(scope="module")
def turbo():
    return hs.load_vehicle("taycan_turbo")


@pytest.fixture(scope="module")
def turbo_s():
    return hs.load_vehicle("taycan_turbo_s")


def _cycle(name, t, v_kmh, grade=0.0):
    t = np.asarray(t, float)
    return Cycle(name=name, time_s=t, speed_mps=np.asarray(v_kmh, float) / 3.6,
                 grade=np.broadcast_to(np.asarray(grade, float), t.shape).copy())


def _launch_cycle(dt=1.0):
    """Full launch 0 → 200 km/h in 10 s (beyond the car), cruise, hard stop, a hill: exercises 1st gear,
    trace miss, power and regeneration limits."""
    tk = [0, 10, 25, 31, 40, 41, 60, 80, 90]
    vk = [0, 200, 200, 0, 0, 0, 90, 90, 0]
    t = np.arange(0, 90 + 1e-9, dt)
    g = np.where((t > 60) & (t < 80), 0.08, 0.0)
    return _cycle(f"launch_dt{dt}", t, np.interp(t, tk, vk), g)


def _run(v, cycle, soc0=None):
    from hybridsim.powertrains.bev import run

    out, _ = run(v, cycle, cold_start=False, ambient_temp_c=23.0, soc_init=soc0, soc_balance=False)
    return out


# --- vehicle files and extends --------------------------------------------------------------------

def test_turbo_s_extends_turbo(turbo, turbo_s):
    assert turbo.architecture == turbo_s.architecture == "bev"
    assert turbo_s.battery == turbo.battery  # inherited whole
    assert turbo_s.motors["rear"] == turbo.motors["rear"]
    assert turbo_s.motors["front"].peak_torque_nm == 440 and turbo.motors["front"].peak_torque_nm == 240
    assert turbo_s.drive.overboost_power_kw == 560 and turbo.drive.overboost_power_kw == 500
    assert turbo_s.drive.front_ratio == turbo.drive.front_ratio == 8.05
    assert turbo_s.chassis.mass_kg == 2295 and turbo_s.chassis.wheelbase_m == turbo.chassis.wheelbase_m
    # the claims array is replaced, not merged
    assert {c.value for c in turbo_s.claims if c.quantity == "accel_0_100_s"} == {2.8}
    assert not any(c.procedure == "nedc" for c in turbo_s.claims)
    # system torque and power: overboost sums of the per-axle figures
    for v, p, t in ((turbo, 500, 850), (turbo_s, 560, 1050)):
        assert v.motors["front"].peak_power_kw + v.motors["rear"].peak_power_kw == p
        assert v.motors["front"].peak_torque_nm + v.motors["rear"].peak_torque_nm == t


def test_extends_errors_name_the_child(tmp_path, turbo):
    src = open(turbo.source, encoding="utf-8").read()
    (tmp_path / "base.toml").write_text(src.replace("maps/", str(turbo.source).rsplit("/", 1)[0] + "/maps/"),
                                        encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('[vehicle]\nextends = "base.toml"\nname = "x"\n[chassis]\nmass_kg = -3\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"child\.toml.*chassis\.mass_kg = -3"):
        read_vehicle(child)
    child.write_text('[vehicle]\nextends = "nope.toml"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"child\.toml.*vehicle\.extends = 'nope\.toml': file not found"):
        read_vehicle(child)
    child.write_text('[vehicle]\nextends = "child.toml"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="circular"):
        read_vehicle(child)
    child.write_text('[vehicle]\nextends = "base.toml"\nname = "ok"\n[motors.front]\npeak_torque_nm = 300\n',
                     encoding="utf-8")
    v = read_vehicle(child)
    assert v.name == "ok" and v.motors["front"].peak_torque_nm == 300
    assert v.motors["front"].peak_power_kw == turbo.motors["front"].peak_power_kw  # table merged key by key


def test_usable_energy_and_voltage_range(turbo):
    """The SOC window holds the published 83.7 kWh usable; 198 cells span the published 610–834 V."""
    b = turbo.battery
    grid, ocv, _, _ = b.tables()
    inside = (grid >= b.soc_min) & (grid <= b.soc_max)
    g = np.concatenate(([b.soc_min], grid[inside], [b.soc_max]))
    e_kwh = np.trapezoid(np.interp(g, grid, ocv), g) * b.capacity_ah / 1e3
    assert abs(e_kwh - 83.7) / 83.7 < 0.01
    assert abs(ocv[-1] - 831.6) < 1.0 and 600 < np.interp(0.035, grid, ocv) < 620
    assert abs(b.energy_kwh - 93.4) < 0.05


def test_bad_drive_table_is_one_clear_error(turbo):
    with pytest.raises(ValueError, match=r"drive\.rear_gear_ratios = \[8\.05, 15\.563\]: must be strictly decreasing"):
        replace_path(turbo, "drive.rear_gear_ratios", (8.05, 15.563))
    with pytest.raises(ValueError, match=r"controller\.downshift_speed_kmh = 90"):
        replace_path(turbo, "controller.downshift_speed_kmh", 90.0)


# --- kernel vs reference ------------------------------------------------------------------------------

def test_reference_has_the_kernel_outputs():
    from hybridsim.core.bev import BevOut

    assert tuple(BevOut._fields) == OUTPUTS


@pytest.mark.parametrize("vname, cname, soc0", [
    ("taycan_turbo", "wltc", None),
    pytest.param("taycan_turbo_s", "us06", None, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "since the inverter loss model (issue 13) the axle split's objective has kinks (the phase current's "
        "max of the torque and voltage-limited currents): the kernel's search and the reference's scan take "
        "different minima at 5 of 601 US06 steps (front torque off by up to 2 N·m); energy balance holds in both"))),
    ("taycan_turbo_s", "launch", None),
    ("taycan_turbo", "launch_half_s", 0.08),  # near the bottom of the window: derated power, trace miss
    ("taycan_turbo_s_grip", "hard", 0.6),  # 1st gear with its extra rotor inertia, hard braking at the end
])
def test_kernel_matches_reference(vname, cname, soc0):
    if vname.endswith("_grip"):
        v = replace_path(hs.load_vehicle(vname.removesuffix("_grip")), "chassis.tyre_friction_coefficient", 1.6)
    else:
        v = hs.load_vehicle(vname)
    hard = _cycle("hard", np.arange(0, 12.01, 0.5), np.interp(np.arange(0, 12.01, 0.5), [0, 2, 6, 9], [0, 100, 100, 0]))
    cyc = ({"launch": _launch_cycle(1.0), "launch_half_s": _launch_cycle(0.5), "hard": hard}.get(cname)
           or hs.load_cycle(cname))
    out = _run(v, cyc, soc0)
    ref = run_reference(v, cyc, soc0)
    for k in OUTPUTS:
        assert_allclose(getattr(out, k), ref[k], rtol=1e-9, atol=SPLIT_ATOL.get(k, 1e-6), err_msg=k)


# The axle split is the minimum of the total DC power over the front torque, found by golden section to a
# final bracket of ~1e-5 N·m; where the optimum is interior (a machine in the ramp of its constant loss,
# below T_C) the last comparison of two nearly equal costs can go either way by one rounding, so each
# machine's share is equal to that bracket only. Totals (battery power, SOC, speed) stay at 1e-9.
SPLIT_ATOL = {f"{axle}_motor_{q}": tol for axle in ("front", "rear")
              for q, tol in (("torque_nm", 1e-4), ("electric_power_w", 0.05), ("loss_w", 0.01))}
SPLIT_ATOL["inverter_loss_w"] = 0.01


# --- energy balance and limits --------------------------------------------------------------------------

@pytest.mark.parametrize("cname", ["wltc", "nedc", "udds", "hwfet", "us06", "artemis_motorway_150", "launch",
                                   "launch_dt0.1", "wltc_dt0.5"])
def test_energy_balance_closes(turbo, cname):
    if cname == "launch":
        cyc = _launch_cycle(1.0)
    elif cname == "launch_dt0.1":
        cyc = _launch_cycle(0.1)
    elif cname == "wltc_dt0.5":
        cyc = hs.load_cycle("wltc").resample(0.5)
    else:
        cyc = hs.load_cycle(cname)
    ds = hs.simulate(turbo, cyc)
    bal = energy_balance(ds)
    assert bal["rel_error"] < 1e-9, bal
    s = summarize(ds)
    assert s["soc_start"] == turbo.battery.soc_max
    assert s["soc_end"] < s["soc_start"]
    # the summary's kWh/100 km is the battery terminal energy per distance
    e_term = float(np.sum(ds["battery_power"].values[1:] * np.diff(ds["time"].values)))
    assert_allclose(s["electricity_kwh_per_100km"], e_term / 3.6e6 / s["distance_km"] * 100, rtol=1e-12)


def test_limits_respected(turbo_s):
    from hybridsim.core.electric import battery_limits_w, motor_tmax

    v = turbo_s
    cyc = _launch_cycle(0.5)
    out = _run(v, cyc, soc0=0.6)  # below the top of the window, so that regeneration is not derated
    mf, mr = v.motors["front"].to_kernel(), v.motors["rear"].to_kernel()
    b = v.battery.to_kernel()
    soc_prev = np.concatenate(([out.soc[0]], out.soc[:-1]))
    p_aux = v.accessories.battery_power_w
    for k in range(1, len(out.soc)):
        assert abs(out.front_motor_torque_nm[k]) <= motor_tmax(mf, out.front_motor_speed_rad_s[k]) * (1 + 1e-9)
        assert abs(out.rear_motor_torque_nm[k]) <= motor_tmax(mr, out.rear_motor_speed_rad_s[k]) * (1 + 1e-9)
        assert out.front_motor_speed_rad_s[k] <= mf.max_speed_rad_s * (1 + 1e-12)
        assert out.rear_motor_speed_rad_s[k] <= mr.max_speed_rad_s * (1 + 1e-12)
        p_dis, p_chg = battery_limits_w(b, soc_prev[k])
        p_b = out.battery_power_w[k]
        assert p_b <= p_dis * (1 + 1e-9) + 1e-6 or p_b <= p_aux + 1e-6
        assert p_b >= -p_chg * (1 + 1e-9) - 1e-6
        p_el = out.front_motor_electric_power_w[k] + out.rear_motor_electric_power_w[k]
        assert p_el >= -v.drive.regen_power_kw * 1e3 * (1 + 1e-9)
        shaft = (out.front_motor_torque_nm[k] * out.front_motor_speed_rad_s[k]
                 + out.rear_motor_torque_nm[k] * out.rear_motor_speed_rad_s[k])
        assert shaft <= v.drive.system_power_kw * 1e3 * (1 + 1e-9)
    # every loss is a loss: gearbox (computed per axle from η, not a residual), machines, brakes
    assert out.brake_power_w.min() >= -1e-6
    assert out.gearbox_loss_w.min() >= 0.0
    assert out.front_motor_loss_w.min() >= 0.0 and out.rear_motor_loss_w.min() >= 0.0
    # the gearbox loss equals shaft power − axle power (an independent check of the per-axle formula)
    from hybridsim.powertrains.bev import bev_chassis

    r = v.chassis.wheel_radius_m
    shaft = (out.front_motor_torque_nm * out.front_motor_speed_rad_s
             + out.rear_motor_torque_nm * out.rear_motor_speed_rad_s)
    axle = out.wheel_power_w + out.rear_rotor_inertia_power_w + out.brake_power_w
    drive = out.brake_power_w < 1e-9
    assert_allclose(out.gearbox_loss_w[drive], (shaft - axle)[drive], atol=1e-6 * np.abs(shaft).max())
    # per-axle ground force T/r − M·a within μ·N (weight transfer with the translating mass)
    from hybridsim.powertrains.bev import axle_masses_kg

    c = v.chassis
    m = c.sim_mass_kg
    dk = v.drive.to_kernel()
    t = cyc.time_s
    for k in range(1, len(t)):
        a = (out.speed_mps[k] - out.speed_mps[k - 1]) / (t[k] - t[k - 1])
        if out.front_motor_torque_nm[k] <= 0 or out.rear_motor_torque_nm[k] <= 0:
            continue
        g = int(out.rear_gear[k]) - 1
        m_f, m_r = axle_masses_kg(v, g)
        t_f = out.front_motor_torque_nm[k] * dk.front_ratio * dk.front_efficiency
        t_r = out.rear_motor_torque_nm[k] * dk.rear_ratios[g] * dk.rear_efficiencies[g]
        dn = m * a * c.cg_height_m / c.wheelbase_m
        mu = c.tyre_friction_coefficient
        assert t_f / r - m_f * a <= mu * (m * 9.80665 * c.front_axle_load_share - dn) * (1 + 1e-9)
        assert t_r / r - m_r * a <= mu * (m * 9.80665 * (1 - c.front_axle_load_share) + dn) * (1 + 1e-9)
    assert bev_chassis(v).mass_eff_kg > m
    # the launch is beyond the car: it falls behind and hits the caps
    assert out.trace_miss_mps.max() > 5.0
    assert 2.0 in set(out.rear_gear[1:])
    # a launch harder than 2nd gear can give (0–100 km/h in 2 s) drops to 1st, whose extra rotor inertia is
    # booked; traction-limited (μ = 1.0) 1st brings only that inertia, so with more grip (μ = 1.6) it is used
    hard = _cycle("hard", np.arange(0, 6.01, 0.5), np.minimum(np.arange(0, 6.01, 0.5) * 50.0, 100.0))
    grip = _run(replace_path(v, "chassis.tyre_friction_coefficient", 1.6), hard, soc0=0.6)
    assert 1.0 in set(grip.rear_gear[1:]) and grip.rear_rotor_inertia_power_w.max() > 0
    assert_allclose(energy_balance(hs.simulate(replace_path(v, "chassis.tyre_friction_coefficient", 1.6), hard,
                                               soc_init=0.6))["rel_error"], 0.0, atol=1e-9)
    # at full load the 460 kW system cap on the shaft power binds, below the pack's 501 kW
    shaft = (out.front_motor_torque_nm * out.front_motor_speed_rad_s
             + out.rear_motor_torque_nm * out.rear_motor_speed_rad_s)
    assert shaft.max() == pytest.approx(460e3, rel=1e-6)
    assert out.battery_power_w.max() < v.battery.max_discharge_power_kw * 1e3
    assert min(out.front_motor_electric_power_w + out.rear_motor_electric_power_w) == pytest.approx(-265e3,
                                                                                                     rel=1e-6)
    assert out.soc.min() >= v.battery.soc_min


def test_standstill_draws_only_accessories(turbo):
    cyc = _cycle("idle", np.arange(0, 61.0), np.zeros(61))
    out = _run(turbo, cyc)
    assert_allclose(out.battery_power_w[1:], turbo.accessories.battery_power_w, rtol=1e-12)
    assert np.all(out.front_motor_loss_w == 0) and np.all(out.rear_motor_loss_w == 0)


def test_full_battery_limits_regeneration(turbo):
    """Near soc_max the charge limit is derated towards 0: regeneration is held to that small limit."""
    from hybridsim.core.electric import battery_limits_w

    cyc = _cycle("stop", [0, 1, 2, 10], [100, 100, 100, 0])
    out = _run(turbo, cyc)
    p_chg = battery_limits_w(turbo.battery.to_kernel(), out.soc[2])[1]
    assert p_chg < 5e3
    assert out.battery_power_w[3] == pytest.approx(-p_chg, rel=1e-6)
    out2 = _run(turbo, cyc, soc0=0.6)
    assert out2.battery_power_w[3] < -50e3


# --- the axle split -------------------------------------------------------------------------------------

def _fixed_split_power(v, g, w, t_total, share_front):
    from hybridsim.core.bev import axle_powers

    return axle_powers(v.motors["front"].to_kernel(), v.motors["rear"].to_kernel(), v.drive.to_kernel(), g, w,
                       t_total * share_front, t_total * (1 - share_front))[0]


@pytest.mark.parametrize("vname, cname", [("taycan_turbo", "wltc"), ("taycan_turbo_s", "us06"),
                                          ("taycan_turbo", "hwfet")])
def test_split_never_worse_than_fixed_splits(vname, cname):
    """At the same wheel torque the chosen split never draws more DC power than 50/50 or rear-only (where those
    are within the envelopes), and is within 0.1 % (or 5 W) of a dense brute-force search."""
    from hybridsim.core.bev import axle_limits, axle_powers
    from hybridsim.core.electric import motor_tmax
    from hybridsim.powertrains.bev import bev_aux, bev_chassis

    v = hs.load_vehicle(vname)
    out = _run(v, hs.load_cycle(cname))
    mf, mr, dk = v.motors["front"].to_kernel(), v.motors["rear"].to_kernel(), v.drive.to_kernel()
    aux = bev_aux(v)
    ch = bev_chassis(v)
    r = ch.wheel_radius_m
    t = hs.load_cycle(cname).time_s
    checked = 0
    for k in range(1, len(t), 3):
        w = out.front_motor_speed_rad_s[k] / dk.front_ratio
        g = int(out.rear_gear[k]) - 1
        p_kernel = out.front_motor_electric_power_w[k] + out.rear_motor_electric_power_w[k]
        t_wheel = (out.wheel_power_w[k] + out.rear_rotor_inertia_power_w[k]) / w if w > 0 else 0.0
        if t_wheel <= 0 or out.brake_power_w[k] > 1e-9:
            continue
        checked += 1
        for share in (0.5, 0.0):
            tf, tr = t_wheel * share, t_wheel * (1 - share)
            if (tf / (dk.front_ratio * dk.front_efficiency) <= motor_tmax(mf, w * dk.front_ratio)
                    and tr / (dk.rear_ratios[g] * dk.rear_efficiencies[g]) <= motor_tmax(mr, w * dk.rear_ratios[g])):
                assert p_kernel <= _fixed_split_power(v, g, w, t_wheel, share) + 1e-9
        acc = (out.speed_mps[k] - out.speed_mps[k - 1]) / (t[k] - t[k - 1])
        tf_max, tr_max = axle_limits(mf, mr, dk, aux, g, w, ch.mass_kg, acc, r, False)
        lo, hi = max(0.0, t_wheel - tr_max), min(t_wheel, tf_max)
        brute = min(axle_powers(mf, mr, dk, g, w, x, t_wheel - x)[0] for x in np.linspace(lo, hi, 2001))
        assert p_kernel <= brute + max(5.0, 1e-3 * abs(brute))
    assert checked > 100


# --- procedures -------------------------------------------------------------------------------------------

def test_recharge_energy_by_hand(turbo):
    """With a near-ideal pack (R → 0, η_c = 1) the wall energy is ∫OCV dQ / η_charger."""
    from hybridsim.procedures.bev import recharge_energy_j

    v = replace_path(replace_path(turbo, "battery.resistance_ohm", 1e-5), "battery.coulombic_efficiency", 1.0)
    b = v.battery
    grid, ocv, _, _ = b.tables()
    g = np.linspace(0.3, b.soc_max, 20001)
    chem_j = np.trapezoid(np.interp(g, grid, ocv), g) * b.capacity_ah * 3600
    term, wall = recharge_energy_j(v, 0.3)
    assert_allclose(term, chem_j, rtol=2e-4)
    assert_allclose(wall, term / v.drive.charger_efficiency, rtol=1e-12)
    # the real pack needs more at the terminals: its resistive and coulombic losses
    term_real, _ = recharge_energy_j(turbo, 0.3)
    assert term_real > term * 1.001


def test_wall_consumption_of_a_run(turbo):
    from hybridsim.procedures.bev import recharge_energy_j, wall_kwh_per_100km

    ds = hs.simulate(turbo, hs.load_cycle("wltc"), soc_init=0.6)
    s = summarize(ds)
    wall = wall_kwh_per_100km(turbo, ds)
    term, w = recharge_energy_j(turbo, s["soc_end"], 0.6)
    assert_allclose(wall, w / 3.6e6 / s["distance_km"] * 100, rtol=1e-12)
    # charging needs more at the terminals than the chemical energy drawn, and the charger loses 10 %
    chem = s["energy_kwh"]["battery_chemical_power"] / s["distance_km"] * 100
    assert chem < term / 3.6e6 / s["distance_km"] * 100 < wall
    assert_allclose(w, term / turbo.drive.charger_efficiency, rtol=1e-12)


def test_break_off_rule():
    import xarray as xr

    from hybridsim.procedures.bev import _break_off_index

    t = np.arange(0, 20.0)
    miss = np.zeros(20)
    miss[5:8] = 3.0 / 3.6  # 3 s beyond 2 km/h: not yet
    miss[10:16] = 3.0 / 3.6  # the 4th second after the start of this one breaks off
    ds = xr.Dataset({"trace_miss": ("time", miss)}, coords={"time": t})
    assert _break_off_index(ds) == 14


def test_range_warns_of_a_trace_miss_only_before_the_break_off(turbo):
    """Driving to break-off ends in a trace miss by definition (the empty battery): the range procedure does not warn
    of it, but does warn of a shortfall before it (the car's own: here one sample of 130 km/h in a 60 km/h cruise,
    too short to break the test off) and still counts the range to the break-off."""
    import warnings

    from hybridsim.errors import TraceMissWarning
    from hybridsim.procedures.bev import wltp_bev

    t = np.arange(0, 45000.0 + 1)
    v = np.where(t < 20, t * 3.0, 60.0)
    spiked = np.where(t == 100, 130.0, v)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TraceMissWarning)
        plain = wltp_bev(turbo, _cycle("const60", t, v))
    assert not [w for w in caught if issubclass(w.category, TraceMissWarning)]
    with pytest.warns(TraceMissWarning, match=r"fell behind the trace by up to [3-9]\d\.\d km/h \(1 samples"):
        spike = wltp_bev(turbo, _cycle("spike", t, spiked))
    assert spike["range_km"] == pytest.approx(plain["range_km"], rel=2e-3)


def test_constant_speed_range_by_hand(turbo):
    """Constant 60 km/h: the battery terminal power P is constant (machine DC power does not depend on the
    pack voltage), so by hand (Rint, discharge: I = (OCV − √(OCV² − 4·R·P))/(2R), dSOC/dt = −I/Q) the time
    from soc_max to soc_min is ∫ Q/I(soc) dSOC and the range is 60 km/h × that time (+ the 20 s ramp's
    10 km/h·20 s… counted exactly from the trace). Independent of the procedure's bookkeeping."""
    from scipy.integrate import quad
    from scipy.optimize import brentq

    from hybridsim.procedures.bev import wltp_bev

    t = np.arange(0, 45000.0 + 1)  # longer than the range: one cycle, one ramp, break-off inside it
    cyc = _cycle("const60", t, np.where(t < 20, t * 3.0, 60.0))
    r = wltp_bev(turbo, cyc)
    assert r["full_cycles"] == 0
    ds = hs.simulate(turbo, cyc)
    p = ds["battery_power"].values[100:30000]
    assert np.ptp(p) < 1e-6 * p.mean()
    p = float(p.mean())
    b = turbo.battery
    grid, ocv, rd, _ = b.tables()
    q = b.capacity_ah * 3600.0

    def current(s):
        o, res = np.interp(s, grid, ocv), np.interp(s, grid, rd)
        return (o - math.sqrt(o * o - 4 * res * p)) / (2 * res)

    # the run ends where the pack can no longer give P: its discharge limit (voltage floor
    # V_min·(OCV − V_min)/R, the power cap, derated over the band above soc_min) falls to P
    def p_limit(s):
        o, res = np.interp(s, grid, ocv), np.interp(s, grid, rd)
        lim = min(b.min_voltage_v * (o - b.min_voltage_v) / res, b.max_discharge_power_kw * 1e3)
        return lim * min(max((s - b.soc_min) / b.soc_derate_band, 0.0), 1.0)

    soc_end = brentq(lambda s: p_limit(s) - p, b.soc_min, 0.5)
    # soc at the end of the 20 s ramp, from the trace; then constant power down to soc_end
    soc20 = float(ds["soc"].values[20])
    kinks = grid[(grid > soc_end) & (grid < soc20)]
    t_hand = quad(lambda s: q / current(s), soc_end, soc20, points=kinks, limit=500)[0]
    range_hand = float(np.sum(0.5 * (cyc.speed_mps[1:21] + cyc.speed_mps[:20]))) + 60 / 3.6 * t_hand
    assert_allclose(r["range_km"] * 1e3, range_hand, rtol=2e-3)
    # the terminal energy is P × time, and the wall energy exceeds it by the charger and charging losses
    assert_allclose(r["usable_battery_energy_kwh"] * 3.6e6, float(np.sum(ds["battery_power"].values[1:21]))
                    + p * t_hand, rtol=2e-3)
    assert r["electricity_kwh_per_100km"] > r["electricity_dc_kwh_per_100km"] / turbo.drive.charger_efficiency


def test_epa_against_hand_bounds(turbo):
    """EPA figures against independent numbers: the DC energy of each cycle exceeds the road-load work over
    the cycle (computed here from the trace and the coast-down coefficients: no perpetual motion), and
    the combined lies between city and highway; the MPGe conversion reproduces a published pair (EPA Test
    Car List: 105.3 MPGe ↔ 19.9 kWh/100 km, vehicles.md §3.4) within its rounding."""
    from hybridsim.procedures.bev import epa_bev

    udds, hwfet = hs.load_cycle("udds"), hs.load_cycle("hwfet")
    r = epa_bev(turbo, udds, hwfet)
    ch = turbo.chassis.to_kernel()
    for cyc, key in ((udds, "city_dc_kwh_per_100km"), (hwfet, "highway_dc_kwh_per_100km")):
        vbar = 0.5 * (cyc.speed_mps[1:] + cyc.speed_mps[:-1])
        dx = vbar * np.diff(cyc.time_s)
        rl_kwh_100 = float(np.sum(road_load_force_n(ch, vbar) * dx)) / 3.6e6 / (dx.sum() / 1e5)
        assert rl_kwh_100 < r[key] < 2 * rl_kwh_100, (key, rl_kwh_100, r[key])
    lo, hi = sorted((r["city_kwh_per_100km"], r["highway_kwh_per_100km"]))
    assert lo < r["electricity_kwh_per_100km"] < hi
    k = r["mpge_combined_unadjusted"] * r["electricity_kwh_per_100km"]
    assert k == pytest.approx(105.3 * 19.9, rel=2e-3)


def test_wltp_range_consistent(turbo):
    from hybridsim.procedures.bev import wltp_bev

    r = wltp_bev(turbo, hs.load_cycle("wltc"))
    assert r["full_cycles"] >= 10
    assert r["range_km"] > r["full_cycles"] * r["first_cycle_distance_km"]
    assert r["usable_battery_energy_kwh"] == pytest.approx(83.7, rel=0.03)


def test_bev_rejects_cold_start(turbo):
    with pytest.raises(ValueError, match="cold_start=True"):
        hs.simulate(turbo, hs.load_cycle("nedc"), cold_start=True)


# --- validation -----------------------------------------------------------------------------------------

def _claim(v, quantity, procedure):
    return next(c for c in v.claims if c.quantity == quantity and c.procedure == procedure)


_TURBO_WLTP = (
    "Simulated 20.1 kWh/100 km at the wall (range 463 km) vs the claimed 26.0 (-22.6 %; -20.4 % with the machine "
    "loss fit's constant term C, removed in issue 13; -25.6 % with C and the flat 0.98 inverter; -18.5 % before issue "
    "13, -28.8 % while the coast-down subtraction took the machines' whole loaded zero-torque loss, "
    "components/coastdown.py). The same model is below the EPA raw lab figures of the Turbo too (UDDS 19.9 / HWFET "
    "18.8 kWh/100 km at the wall; simulated 18.5 / 17.6 at the EPA test weight and target road load, "
    "tests/test_validation.py), a gap that behaves as a time-based load (docs/bev_energy_flow.py): the 300 W "
    "accessories and thermal management at test conditions (estimate, no data) and the EPA recharge's overhead; "
    "the WLTP gap adds the test conditions we do not have (EU road load of the worst-case interpolation vehicle, "
    "battery conditioning), not tuned away.")


@pytest.mark.validation
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=_TURBO_WLTP)
def test_validation_turbo_wltp(turbo):
    r = procedures.wltp(turbo)
    c = _claim(turbo, "electricity_kwh_per_100km", "wltp")
    print(f"\nTaycan Turbo WLTP: simulated {r['electricity_kwh_per_100km']:.2f} kWh/100 km at the wall "
          f"({r['electricity_dc_kwh_per_100km']:.2f} DC), range {r['range_km']:.0f} km; claimed {c.value} kWh/100 km,"
          f" range 381–450 km")
    if f"Simulated {r['electricity_kwh_per_100km']:.1f} kWh/100 km" not in _TURBO_WLTP:
        # a reason quoting an earlier session's physics fails (not an AssertionError: the strict xfail lets it out)
        raise ValueError(f"stale xfail reason: simulated {r['electricity_kwh_per_100km']:.1f} kWh/100 km")
    assert abs(r["electricity_kwh_per_100km"] - c.value) / c.value < 0.15


@pytest.mark.validation
def test_validation_turbo_nedc_range(turbo):
    r = procedures.nedc(turbo)
    c = _claim(turbo, "range_km", "nedc")
    print(f"\nTaycan Turbo NEDC range: simulated {r['range_km']:.0f} km ({r['electricity_kwh_per_100km']:.2f} "
          f"kWh/100 km at the wall); claimed > {c.value_min:.0f} km")
    assert r["range_km"] > c.value_min * 0.85


def _perf_check(v, key, simulated, tol=0.15):
    c = next(c for c in v.claims if c.quantity == key)
    print(f"\n{v.name} {key}: simulated {simulated:.2f}, claimed {c.value}")
    assert abs(simulated - c.value) / c.value < tol


@pytest.mark.validation
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "3.22 s vs 2.8 s (+15.1 %, just outside ±15 %; +15.0 % with the flat 0.98 inverter): the per-axle power split "
    "(front 190 kW is an estimate, components.md §2.5) and, since the ORNL/TM-2006/423 inverter loss model, the "
    "2004 Prius Si-IGBT losses at full current on the 723 V pack (the Taycan's own inverters are not measured here)"))
def test_validation_turbo_s_0_100(turbo_s):
    _perf_check(turbo_s, "accel_0_100_s", performance.acceleration(turbo_s, 0, 100))


@pytest.mark.validation
def test_validation_turbo_s_0_200(turbo_s):
    _perf_check(turbo_s, "accel_0_200_s", performance.acceleration(turbo_s, 0, 200))


@pytest.mark.validation
def test_validation_turbo_s_top_speed(turbo_s):
    """The physical top speed (no governor: the governed one is the governor itself). The Turbo S reaches its
    machines' 16,000 rpm at 260.0 km/h on its 21" tyre — a check of the tyre radius and ratio estimates,
    since its 460 kW exceed the road load there."""
    _perf_check(turbo_s, "top_speed_kmh", performance.top_speed(turbo_s, governed=False))


def test_summary_has_bev_variables(turbo):
    ds = hs.simulate(turbo, hs.load_cycle("nedc"))
    for name in ("front_motor_torque", "rear_motor_loss", "rear_gear", "battery_chemical_power", "soc"):
        assert name in ds and ds[name].attrs["units"]
    assert math.isfinite(summarize(ds)["electricity_kwh_per_100km"])
    assert dataclasses.is_dataclass(turbo.drive)


@pytest.mark.validation
def test_validation_turbo_s_wltp(turbo_s):
    """Turbo S WLTP: consumption (26.9 kWh/100 km) and range ('up to 412 km', the best configuration), printed;
    the range within 15 % (458 km, +11 %: +16 % while the coast-down subtraction took the machines' whole loaded
    zero-torque loss; the consumption is 24 % below the claim, for the reasons of test_validation_turbo_wltp)."""
    r = procedures.wltp(turbo_s)
    c_e = _claim(turbo_s, "electricity_kwh_per_100km", "wltp")
    c_r = _claim(turbo_s, "range_km", "wltp")
    print(f"\nTaycan Turbo S WLTP: simulated {r['electricity_kwh_per_100km']:.2f} kWh/100 km at the wall "
          f"({r['electricity_dc_kwh_per_100km']:.2f} DC), range {r['range_km']:.0f} km; claimed {c_e.value} "
          f"kWh/100 km, range up to {c_r.value:.0f} km")
    assert abs(r["range_km"] - c_r.value) / c_r.value < 0.15


# --- one drive unit (issue 17): no phantom motor --------------------------------------------------------

def _single_rear_from_turbo(turbo):
    """The Taycan Turbo with its front unit removed (a rear-drive single-motor car, for the rear-only path)."""
    import dataclasses

    d = dataclasses.replace(turbo.drive, front_ratio=None)
    return dataclasses.replace(turbo, motors={"rear": turbo.motors["rear"]}, drive=d)


@pytest.mark.parametrize("which, cname", [("leaf", "udds"), ("leaf", "us06"), ("rear", "wltc")])
def test_single_unit_kernel_matches_reference(turbo, which, cname):
    v = hs.load_vehicle("leaf_40kwh") if which == "leaf" else _single_rear_from_turbo(turbo)
    cyc = hs.load_cycle(cname)
    out = _run(v, cyc, None)
    ref = run_reference(v, cyc, None)
    for k in OUTPUTS:
        assert_allclose(getattr(out, k), ref[k], rtol=1e-9, atol=SPLIT_ATOL.get(k, 1e-6), err_msg=k)
    absent = "rear" if which == "leaf" else "front"
    for q in ("torque_nm", "electric_power_w", "loss_w"):
        assert np.all(getattr(out, f"{absent}_motor_{q}") == 0.0), q  # the absent unit does exactly nothing


@pytest.mark.parametrize("cname", sorted(hs.list_cycles()))
def test_single_unit_energy_balance_and_window(cname):
    """Every shipped cycle (a BEV has no cold start: ``simulate`` refuses it)."""
    import warnings

    from hybridsim.errors import TraceMissWarning

    v = hs.load_vehicle("leaf_40kwh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceMissWarning)
        ds = hs.simulate(v, hs.load_cycle(cname))
    s = hs.summarize(ds)
    assert abs(s["energy_balance_rel_error"]) < 1e-9
    assert np.all(np.isfinite(ds["soc"].values))
    assert v.battery.soc_min - 1e-12 <= ds["soc"].values.min() <= ds["soc"].values.max() <= v.battery.soc_max
    assert np.all(ds["brake_power"].values >= -1e-6)


def test_single_unit_file_errors(tmp_path):
    src = open(hs.load_vehicle("leaf_40kwh").source, encoding="utf-8").read()
    bad = tmp_path / "leaf_bad.toml"
    # a rear ratio without a rear motor
    bad.write_text(src.replace("front_ratio = 8.193", "front_ratio = 8.193\nrear_gear_ratios = [9.0]"),
                   encoding="utf-8")
    with pytest.raises(ValueError, match=r"leaf_bad\.toml: drive\.rear_gear_ratios = \[9\.0\]: out of range.*"
                                         r"no \[motors\.rear\]"):
        hs.read_vehicle(bad)
    # a front motor without its ratio
    bad.write_text(src.replace("front_ratio = 8.193", ""), encoding="utf-8")
    with pytest.raises(ValueError, match=r"drive\.front_ratio = None"):
        hs.read_vehicle(bad)
    # no motor at all
    bad.write_text(src.replace("[motors.front]", "[unused_motor_table]"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"leaf_bad\.toml: "):
        hs.read_vehicle(bad)


def test_single_unit_performance_runs():
    v = hs.load_vehicle("leaf_40kwh")
    t = hs.performance.acceleration(v, 0, 100)
    assert 5.0 < t < 15.0  # 110 kW / 1.68 t: a plausibility window, not a claim
    assert hs.performance.max_speed_kmh(v) <= 144.0 + 1e-9


def test_energy_flow_rows_add_up_to_the_battery_terminals():
    """docs/bev_energy_flow.py (the per-100-km flow printed for issue 13): the chain's rows add up to the battery
    terminal energy of the drive, and the wall is the recharge's terminal energy plus the charger loss."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "docs" / "bev_energy_flow.py"
    spec = importlib.util.spec_from_file_location("bev_energy_flow", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    f = mod.flows("leaf_40kwh", "hwfet")
    chain = ("wheel, traction", "wheel, recovered", "friction brakes", "gearbox (reductions)",
             "rear rotor inertia (1st gear)", "front machine", "rear machine", "inverters",
             "accessories (battery side)")
    assert sum(f[k] for k in chain) == pytest.approx(f["battery terminals, drive"], rel=1e-9)
    assert f["recharge: battery terminals"] + f["recharge: charger loss"] == pytest.approx(f["wall"], rel=1e-12)
    assert f["rear machine"] == 0.0 and f["front machine"] > 0.0  # the Leaf has one drive unit
