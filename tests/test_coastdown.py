"""Machine drag inside a measured coast-down road load (components/coastdown.py): hand calculations, the
zero-torque invariant (chassis force + machines' no-load drag = the measured coast-down), and the refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import hybridsim as hs
from hybridsim.components.chassis import Chassis
from hybridsim.components.coastdown import machine_drag_coefficients, without_machine_drag
from hybridsim.components.motor import Motor
from hybridsim.powertrains.bev import bev_chassis
from hybridsim.powertrains.ths import _ths_chassis

KMH = 1 / 3.6


def _with_flag(vehicle, flag=True):
    return dataclasses.replace(vehicle, chassis=dataclasses.replace(vehicle.chassis,
                                                                    road_load_includes_machine_drag=flag))


def test_fit_machine_drag_is_exactly_quadratic_by_hand():
    a = Motor(peak_power_kw=53, peak_torque_nm=163, max_speed_rpm=17000)
    b = Motor(peak_power_kw=23, peak_torque_nm=40, max_speed_rpm=17000)
    ga, gb = 35.2, 23.9
    d0, d1, d2 = machine_drag_coefficients([(a, ga), (b, gb)])
    (_, ki_a, kw_a, _), (_, ki_b, kw_b, _) = a.loss_coefficients(), b.loss_coefficients()
    f = a.no_load_drag_fraction
    assert f == b.no_load_drag_fraction == 0.1  # the default idle share (components/motor.NO_LOAD_DRAG_FRACTION)
    # an idle machine loses f·(ki·ω + kw·ω³), ω = g·v  →  F = P/v = f·(ki·g + kw·g³·v²)
    assert d0 == pytest.approx(f * (ki_a * ga + ki_b * gb), rel=1e-10)
    assert d1 == pytest.approx(0.0, abs=1e-9)
    assert d2 == pytest.approx(f * (kw_a * ga**3 + kw_b * gb**3), rel=1e-9)
    # with the whole zero-torque loss as drag (f = 1) the fit's own terms
    d0_all, _, _ = machine_drag_coefficients([(dataclasses.replace(a, no_load_drag_fraction=1.0), ga)])
    assert d0_all == pytest.approx(ki_a * ga, rel=1e-10)


def test_map_machine_drag_fits_the_zero_torque_column():
    ralink = hs.load_vehicle("ralink")
    mg2 = ralink.motors["mg2"]
    assert mg2.loss_map_file is not None
    g = 30.0
    d0, d1, d2 = machine_drag_coefficients([(mg2, g)])
    v = np.linspace(15, 115, 101) * KMH  # the fit's own points
    exact = mg2.no_load_loss_w(g * v) / v
    fit = d0 + d1 * v + d2 * v * v
    print(f"\nmap machine drag, 15-115 km/h: max fit error {np.max(np.abs(fit - exact)):.2f} N "
          f"of {exact.min():.1f}-{exact.max():.1f} N (the map's extrapolated zero-torque column is not smooth)")
    # least squares with an intercept: the residuals sum to zero, and no other quadratic is closer
    assert np.mean(fit - exact) == pytest.approx(0.0, abs=1e-9)
    worse = np.polynomial.polynomial.polyval(v, [d0 * 1.01, d1, d2])
    assert np.sum((fit - exact) ** 2) < np.sum((worse - exact) ** 2)


@pytest.mark.parametrize("vid", ["prius_2016", "taycan_turbo"])
def test_at_zero_torque_the_model_reproduces_the_measured_coastdown(vid):
    """The chassis force plus the machines' no-load drag (what the kernels charge at zero torque) is the
    coast-down force again: the drag is counted once."""
    v = hs.load_vehicle(vid)
    assert v.chassis.road_load_includes_machine_drag
    f0, f1, f2 = v.chassis.road_load_coefficients()
    if v.architecture == "ths":
        ch = _ths_chassis(v)
        pg = v.planetary
        g_ring = pg.ring_to_axle_ratio / ch.wheel_radius_m
        machines = [(v.motors["mg2"], pg.mg2_reduction_ratio * g_ring),
                    (v.motors["mg1"], pg.ring_teeth / pg.sun_teeth * g_ring)]
    else:
        ch = bev_chassis(v)
        machines = [(v.motors["front"], v.drive.front_ratio / ch.wheel_radius_m),
                    (v.motors["rear"], v.drive.rear_gear_ratios[-1] / ch.wheel_radius_m)]
    speeds = np.array([20.0, 50.0, 90.0, 130.0]) * KMH
    coast = f0 + f1 * speeds / KMH + f2 * (speeds / KMH) ** 2
    chassis_force = ch.c0_n + ch.c1_n_per_mps * speeds + ch.c2_n_per_mps2 * speeds**2
    drag = sum(m.no_load_loss_w(g * speeds) for m, g in machines) / speeds
    assert np.all(drag > 0)
    np.testing.assert_allclose(chassis_force + drag, coast, rtol=1e-9)


def test_flag_off_leaves_the_road_load_as_measured():
    v = _with_flag(hs.load_vehicle("prius_2016"), False)
    ch = _ths_chassis(v)
    f0, f1, f2 = v.chassis.road_load_coefficients()
    assert ch.c0_n == f0
    assert ch.c2_n_per_mps2 == pytest.approx(f2 * 3.6**2, rel=1e-15)


def test_drag_changes_the_run_and_the_balance_still_closes():
    v = hs.load_vehicle("prius_2016")
    c = hs.load_cycle("udds")
    on = hs.summarize(hs.simulate(v, c))
    off = hs.summarize(hs.simulate(_with_flag(v, False), c))
    assert on["fuel_l_per_100km"] < off["fuel_l_per_100km"]
    for ds in (hs.simulate(v, c), hs.simulate(_with_flag(v, False), c)):
        assert hs.energy_balance(ds)["rel_error"] < 1e-9


def test_flag_without_coastdown_coefficients_is_refused():
    with pytest.raises(ValueError, match=r"chassis.road_load_includes_machine_drag = true: needs the coast-down"):
        Chassis(mass_kg=1500, wheel_radius_m=0.3, drag_coefficient=0.3, frontal_area_m2=2.2,
                rolling_resistance_coefficient=0.009, road_load_includes_machine_drag=True)


def test_a_drag_larger_than_the_road_load_is_refused():
    v = hs.load_vehicle("prius_2016")
    ch = v.chassis.to_kernel()
    big = Motor(peak_power_kw=53, peak_torque_nm=163, max_speed_rpm=17000, loss_ki_w_s_per_rad=10.0,
                no_load_drag_fraction=1.0)
    with pytest.raises(ValueError, match=r"chassis.road_load_includes_machine_drag = true: the machines' modelled "
                                         r"no-load drag .* allowed"):
        without_machine_drag(ch, v.chassis, [(big, 35.0)])


def test_idle_machine_loses_the_drag_share_and_the_operating_loss_ramps_in_by_hand():
    """core/electric.motor_loss_w: at zero torque (inverter off) f·(ki·ω + kw·ω³); at T_C and above the fit's
    whole loss kc·T² + ki·ω + kw·ω³ + C; in between the iron/windage share and C ramp in linearly. Its inverse
    (motor_torque_for_dc_power) returns the torque of a DC power on the ramp."""
    from hybridsim.core.electric import motor_dc_power_w, motor_loss_w, motor_torque_for_dc_power

    m = Motor(peak_power_kw=130, peak_torque_nm=440, max_speed_rpm=16000, inverter_efficiency=0.98)
    k = m.to_kernel()
    kc, ki, kw, c = m.loss_coefficients()
    f, t_c = m.no_load_drag_fraction, m.c_full_torque_nm()
    w = 3000 * np.pi / 30
    d = ki * w + kw * w**3
    assert motor_loss_w(k, 0.0, w) == pytest.approx(f * d, rel=1e-12)
    assert m.no_load_loss_w(w) == pytest.approx(f * d, rel=1e-12)
    assert motor_loss_w(k, t_c, w) == pytest.approx(kc * t_c**2 + d + c, rel=1e-12)
    assert motor_loss_w(k, 3 * t_c, w) == pytest.approx(kc * 9 * t_c**2 + d + c, rel=1e-12)
    half = kc * (0.5 * t_c) ** 2 + d * (f + 0.5 * (1 - f)) + 0.5 * c
    assert motor_loss_w(k, -0.5 * t_c, w) == pytest.approx(half, rel=1e-12)
    # the inverse on the ramp and above it: DC power of a braking torque, back to that torque
    for t in (-0.3 * t_c, -0.9 * t_c, -2.0 * t_c):
        p_dc, _, _ = motor_dc_power_w(k, t, w)
        assert motor_torque_for_dc_power(k, w, p_dc) == pytest.approx(t, rel=1e-9)
    # an idle machine draws its drag: no braking torque gives more DC power than zero
    assert motor_torque_for_dc_power(k, w, motor_dc_power_w(k, 0.0, w)[0] + 1.0) == 0.0


def test_idle_drag_against_the_epa_drive_unit_pairs():
    """The idle (inverter-off) drag of a permanent-magnet machine against measured coast-downs: the EPA target
    road loads of same-model pairs that differ by one drive unit (tests/data/epa_drive_unit_pairs.csv) differ at
    50 km/h by what that unit drags (its ETW difference taken out with C_rr 0.009, E). The Taycan's front machine
    idling stays inside the largest difference a PMSM unit shows, which its whole zero-torque loss (f = 1) exceeds."""
    import csv
    from pathlib import Path

    path = Path(__file__).parent / "data" / "epa_drive_unit_pairs.csv"
    rows = [r for r in csv.DictReader(line for line in path.open() if not line.startswith("#"))]
    v_mph = 50 / 1.609344
    lbf, lb = 4.448222, 0.45359237

    def force_n(r):
        return (float(r["target_a_lbf"]) + float(r["target_b_lbf_per_mph"]) * v_mph
                + float(r["target_c_lbf_per_mph2"]) * v_mph**2) * lbf

    diffs = {}
    for pair in dict.fromkeys(r["pair"] for r in rows):
        with_unit, without = (r for r in rows if r["pair"] == pair)
        dm = (float(with_unit["etw_lb"]) - float(without["etw_lb"])) * lb
        diffs[pair] = (with_unit["unit"], force_n(with_unit) - force_n(without) - dm * 9.81 * 0.009)
    print("\ndrive-unit drag at 50 km/h from EPA target pairs [N]: "
          + ", ".join(f"{p} ({u}) {d:.1f}" for p, (u, d) in diffs.items()))
    pmsm_max = max(d for u, d in diffs.values() if u == "pmsm")
    assert 5.0 < pmsm_max < 15.0  # the data as read: 11.2 N (Taycan 4S against the Taycan RWD at one ETW)
    front = hs.load_vehicle("taycan_turbo").motors["front"]
    g = 8.05 / 0.357  # the Turbo's front ratio over its wheel radius [rad/s per m/s]
    v = 50 * KMH
    idle = front.no_load_loss_w(g * v) / v
    whole = dataclasses.replace(front, no_load_drag_fraction=1.0).no_load_loss_w(g * v) / v
    print(f"Taycan front machine at 50 km/h: idle drag {idle:.1f} N, the fit's whole zero-torque loss {whole:.1f} N")
    assert idle < pmsm_max < whole
