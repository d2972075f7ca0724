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
    # P = ki·g·v + kw·g³·v³  →  F = P/v = ki·g + kw·g³·v²
    assert d0 == pytest.approx(ki_a * ga + ki_b * gb, rel=1e-10)
    assert d1 == pytest.approx(0.0, abs=1e-9)
    assert d2 == pytest.approx(kw_a * ga**3 + kw_b * gb**3, rel=1e-9)


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
    big = Motor(peak_power_kw=53, peak_torque_nm=163, max_speed_rpm=17000, loss_ki_w_s_per_rad=10.0)
    with pytest.raises(ValueError, match=r"chassis.road_load_includes_machine_drag = true: the machines' modelled "
                                         r"no-load drag .* allowed"):
        without_machine_drag(ch, v.chassis, [(big, 35.0)])
