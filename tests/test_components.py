"""Component models and the numba look-ups against hand calculations.

Reference vehicle: vehicles/xingyue_l.toml (m = 1760 + 100 kg, C_rr 0.009, C_d 0.33, A 2.72 m², ρ 1.2,
r 0.353 m, J_w 4.8 kg·m²; 2.0 T engine V_d 1.969 L, S 93.2 mm, 175 kW at 5500 rpm, 350 N·m 1800–4500 rpm,
idle 750, max 6500 rpm, η_pk 0.37, p0 1.1 bar (turbo default), p2 0.004 bar·s²/m², LHV 42.6 MJ/kg;
8AT 4th gear 1.457, η 0.95; final drive 3.2, η 0.96; K-factor 130 rpm/√(N·m)).
The expected numbers are written out; the formulas that give them are in the comments.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose

from hybridsim.components.chassis import road_load_force_n, wheel_energy_j
from hybridsim.components.engine import RPM, fit_willans_to_peak, parametric_wot_nm
from hybridsim.core.chassis import wheel_force_n
from hybridsim.core.conventional import gear_step
from hybridsim.core.engine import engine_point, motoring_nm, wot_nm
from hybridsim.core.interp import interp1_uniform, interp2_uniform

V_D = 1.969e-3  # m³
LHV = 42.6e6  # J/kg

# --- chassis --------------------------------------------------------------------------------------


def test_road_load_coefficients_from_physical_parameters(xingyue):
    f0, f1, f2 = xingyue.chassis.road_load_coefficients()
    # F0 = m·g·C_rr = (1760 + 100)·9.80665·0.009 = 18240.369·0.009
    assert_allclose(f0, 164.163321, rtol=1e-12)
    assert f1 == 0.0
    # F2 = ½·ρ·C_d·A / 3.6² = 0.5·1.2·0.33·2.72 / 12.96 = 0.53856 / 12.96
    assert_allclose(f2, 0.041555555555555554, rtol=1e-12)


def test_to_kernel_si_conversion(xingyue):
    k = xingyue.chassis.to_kernel()
    assert_allclose(k.mass_kg, 1860.0, rtol=0)
    # m_eff = m + J/r² = 1860 + 4.8/0.353² = 1860 + 38.52049209928657
    assert_allclose(k.mass_eff_kg, 1898.5204920992866, rtol=1e-12)
    assert_allclose(k.wheel_radius_m, 0.353, rtol=0)
    assert_allclose(k.c0_n, 164.163321, rtol=1e-12)
    assert k.c1_n_per_mps == 0.0
    assert_allclose(k.c2_n_per_mps2, 0.53856, rtol=1e-12)  # F2·3.6² = ½ρC_dA
    assert all(type(x) is float for x in k)


def test_to_kernel_with_coastdown(xingyue):
    # with_road_load drops C_d, A, C_rr: coast-down coefficients and the physical keys together are refused
    ch = xingyue.chassis.with_road_load(150.0, 0.5, 0.03)
    assert ch.drag_coefficient is None and ch.frontal_area_m2 is None and ch.rolling_resistance_coefficient is None
    assert ch.road_load_coefficients() == (150.0, 0.5, 0.03)
    k = ch.to_kernel()
    assert_allclose(k.c0_n, 150.0, rtol=0)
    assert_allclose(k.c1_n_per_mps, 1.8, rtol=1e-12)  # 0.5 N/(km/h) · 3.6
    assert_allclose(k.c2_n_per_mps2, 0.3888, rtol=1e-12)  # 0.03 N/(km/h)² · 3.6²


def test_road_load_force_flat_and_grade(xingyue):
    k = xingyue.chassis.to_kernel()
    v = 100 / 3.6
    # flat: F0 + F2·100² = 164.163321 + 415.5555556
    assert_allclose(road_load_force_n(k, v), 579.7188765555555, rtol=1e-12)
    # 5 % grade: θ = atan 0.05, cos θ = 0.99875234, sin θ = 0.04993762
    # F = 164.163321·cos θ + 415.5555556 + 1860·9.80665·sin θ = 163.958504 + 415.555556 + 910.880560
    assert_allclose(road_load_force_n(k, v, 0.05), 1490.3946163995065, rtol=1e-12)
    # vectorised, and the numba copy agrees (constant speed over 1 s: no inertia term)
    vs = np.array([5.0, 20.0, v])
    f = road_load_force_n(k, vs, 0.05)
    assert f.shape == (3,)
    for vi, fi in zip(vs, f, strict=True):
        assert_allclose(wheel_force_n(k, vi, vi, 1.0, 0.05), fi, rtol=1e-13)


def test_wheel_energy_constant_speed(xingyue):
    k = xingyue.chassis.to_kernel()
    t = np.arange(101.0)
    v = np.full(101, 20.0)
    # F = 164.163321 + 0.53856·20² = 379.587321 N;  E = F·v·T = 379.587321·20·100
    assert_allclose(wheel_energy_j(k, t, v, np.zeros(101)), 759174.642, rtol=1e-12)


def test_wheel_energy_pure_acceleration_is_kinetic_energy(xingyue):
    ch = xingyue.chassis.with_road_load(0.0, 0.0, 0.0)
    k = ch.to_kernel()
    t = np.arange(11.0)
    v = np.array([0, 1, 3, 6, 8, 9, 12, 15, 16, 18, 20.0])  # uneven acceleration, from rest to 20 m/s
    # ½·m_eff·v² = 0.5·1898.5204920992866·400
    assert_allclose(wheel_energy_j(k, t, v, np.zeros(11)), 379704.09841985727, rtol=1e-12)


# --- engine (Willans map) ------------------------------------------------------------------------


def test_wot_curve_rated_power_and_plateau(xingyue):
    e = xingyue.engine
    # rated: T = P/ω = 175000 / (5500·π/30) = 175000 / 575.9586531581288
    assert_allclose(parametric_wot_nm(e, np.array([5500.0])), [303.84125499361835], rtol=1e-12)
    assert_allclose(parametric_wot_nm(e, np.array([5500.0]))[0] * 5500 * RPM, 175e3, rtol=1e-12)
    # plateau 1800–4500 rpm at 350 N·m; turbo: 0.45·350 = 157.5 at idle and below;
    # max speed: 0.9·175000/(6500·π/30) = 231.38680188
    n = np.array([300.0, 750.0, 1800.0, 3000.0, 4500.0, 6500.0])
    assert_allclose(parametric_wot_nm(e, n), [157.5, 157.5, 350, 350, 350, 231.38680188], rtol=1e-9)
    # the map keeps these values at its nodes (node k at k·6500/120 rpm: 60 → 3250 rpm, 120 → 6500)
    m = e.data()
    assert_allclose(m.speed_rad_s[[60, 120]], [3250 * RPM, 6500 * RPM], rtol=1e-12)
    assert_allclose(m.wot_nm[[60, 120]], [350.0, 231.38680188], rtol=1e-9)


def test_map_peak_efficiency(xingyue):
    m = xingyue.engine.data()
    eta = m.efficiency()
    assert_allclose(np.nanmax(eta), 0.37, atol=1e-6)


# A naturally aspirated 2.0 L (100 kW at 5500 rpm, 200 N·m at 4000 rpm) on the same geometry.
def _na_engine(xingyue):
    return dataclasses.replace(xingyue.engine, aspiration="na", peak_torque_speed_high_rpm=None,
                               peak_torque_nm=200.0, peak_torque_speed_rpm=4000.0, peak_power_kw=100.0)


def test_map_peak_efficiency_na_engine_within_operating_range(xingyue):
    e = _na_engine(xingyue)
    m = e.data()
    eta = m.efficiency()[m.speed_rad_s >= e.idle_speed_rpm * RPM]
    assert_allclose(np.nanmax(eta), 0.37, atol=5e-5)


def test_map_peak_efficiency_na_engine_whole_map(xingyue):
    # the map's grid pads speeds below idle; efficiency() leaves them out, so the whole map peaks at the target
    # (to the difference between the calibration grid and the map grid)
    m = _na_engine(xingyue).data()
    assert_allclose(np.nanmax(m.efficiency()), 0.37, atol=5e-5)


def test_fuel_zero_below_motoring_positive_above(xingyue):
    m = xingyue.engine.data()
    w = m.speed_rad_s[:, None]
    t = m.torque_nm[None, :]
    below = np.broadcast_to(t <= m.motoring_nm[:, None], m.fuel_kg_s.shape)
    above = np.broadcast_to((t > m.motoring_nm[:, None] + 1e-9) & (w > 0), m.fuel_kg_s.shape)
    assert below.sum() > 100 and above.sum() > 1000
    assert np.all(m.fuel_kg_s[below] == 0.0)
    assert np.all(m.fuel_kg_s[above] > 0.0)
    assert np.all(m.motoring_nm[1:] < 0.0)


def test_fuel_monotonic_in_torque_inside_envelope(xingyue):
    m = xingyue.engine.data()
    for i in range(1, m.speed_rad_s.size):
        inside = (m.torque_nm > m.motoring_nm[i]) & (m.torque_nm <= m.wot_nm[i])
        f = m.fuel_kg_s[i, inside]
        assert f.size > 50
        assert np.all(np.diff(f) > 0.0), f"fuel not increasing with torque at node {i}"


def test_motoring_torque_hand_value(xingyue):
    wp = fit_willans_to_peak(xingyue.engine)
    assert (wp.p0_bar, wp.p2_bar) == (1.1, 0.004)
    # 3000 rpm: c_m = S·n/30 = 0.0932·3000/30 = 9.32 m/s; p_loss = 1.1 + 0.004·9.32² = 1.4474496 bar
    # T_mot = −p_loss·V_d/(4π) = −1.4474496e5·1.969e-3/(4π)
    assert_allclose(wp.motoring_nm(3000 * RPM), -22.679804295628266, rtol=1e-12)
    # 2600 rpm = map node 48: c_m = 8.0773333 m/s, p_loss = 1.36097326 bar → −21.3248234 N·m
    m = xingyue.engine.data()
    assert_allclose(m.speed_rad_s[48], 2600 * RPM, rtol=1e-12)
    assert_allclose(m.motoring_nm[48], -21.324823384181506, rtol=1e-12)
    # the kernel look-up at an off-node speed is within the chord error of the quadratic (< 1e-3 N·m)
    assert_allclose(motoring_nm(xingyue.engine.to_kernel(), 3000 * RPM), -22.679804295628266, atol=1e-3)


def test_willans_relation_at_grid_point(xingyue):
    e = xingyue.engine
    wp = fit_willans_to_peak(e)
    m = e.data()
    i = 40  # 2166.67 rpm: below the enrichment region (> 0.7·5500 rpm), so the map is pure Willans
    for j in (120, 150, 180, 200):  # torques from ~7 to ~213 N·m
        w, t, mdot = m.speed_rad_s[i], m.torque_nm[j], m.fuel_kg_s[i, j]
        assert 0 < t <= m.wot_nm[i]
        p_mf = mdot * 4 * math.pi * LHV / (V_D * w) / 1e5  # bar
        p_me = 4 * math.pi * t / V_D / 1e5  # bar
        c_m = 0.0932 * w / math.pi
        rhs = wp.e0 * p_mf - wp.e2 * p_mf**2 - (1.1 + 0.004 * c_m**2)
        assert_allclose(p_me, rhs, rtol=1e-9, atol=1e-9)


def test_fuel_rate_from_fuel_mean_effective_pressure(xingyue):
    wp = fit_willans_to_peak(xingyue.engine)
    # p_mf = 10 bar at 2000 rpm (ω = 209.43951 rad/s):
    # mdot = p_mf·V_d·ω/(4π·LHV) = 1e6·1.969e-3·209.43951/(4π·42.6e6) = 7.7034429e-4 kg/s
    w = 2000 * RPM
    p_loss = 1.1 + 0.004 * (0.0932 * 2000 / 30) ** 2
    p_me = wp.e0 * 10.0 - wp.e2 * 100.0 - p_loss  # the brake pressure this fuel pressure gives
    torque = p_me * 1e5 * V_D / (4 * math.pi)
    assert_allclose(wp.fuel_kg_s(w, torque, LHV), 7.703442879499217e-4, rtol=1e-9)


# --- numba look-ups vs the Python map ----------------------------------------------------------------


def test_engine_point_at_nodes_equals_map(xingyue):
    e = xingyue.engine
    m, k = e.data(), e.to_kernel()
    for i in range(1, m.speed_rad_s.size, 7):
        for j in range(0, m.torque_nm.size, 6):
            t_max, t_mot, fuel = engine_point(k, m.speed_rad_s[i], m.torque_nm[j])
            # u = ω·(1/Δω) is not an exact integer in floating point: equal to ~1e-14, not bitwise
            assert_allclose(t_max, m.wot_nm[i], rtol=1e-12)
            assert_allclose(t_mot, m.motoring_nm[i], rtol=1e-12)
            assert_allclose(fuel, m.fuel_kg_s[i, j], rtol=1e-12, atol=1e-18)


def test_engine_point_between_nodes_within_bilinear_bounds(xingyue):
    e = xingyue.engine
    m, k = e.data(), e.to_kernel()
    rng = np.random.default_rng(1)
    wp = fit_willans_to_peak(e)
    for _ in range(300):
        i = int(rng.integers(14, 110))  # 760–5960 rpm
        j = int(rng.integers(0, 239))
        fu, fv = rng.random(2)
        w = m.speed_rad_s[i] + fu * (m.speed_rad_s[i + 1] - m.speed_rad_s[i])
        t = m.torque_nm[j] + fv * (m.torque_nm[j + 1] - m.torque_nm[j])
        t_max, t_mot, fuel = engine_point(k, w, t)
        assert min(m.wot_nm[i:i + 2]) - 1e-9 <= t_max <= max(m.wot_nm[i:i + 2]) + 1e-9
        assert m.motoring_nm[i + 1] - 1e-9 <= t_mot <= m.motoring_nm[i] + 1e-9  # drag grows with speed
        if t <= t_mot:
            assert fuel == 0.0
            continue
        cell = m.fuel_kg_s[i:i + 2, j:j + 2]
        assert cell.min() - 1e-15 <= fuel <= cell.max() + 1e-15
        if t <= 0.9 * t_max and w < 0.7 * 5500 * RPM and cell.min() > 0:
            # pure Willans region: interpolation error of a smooth surface on a 0.4 %/1.7 N·m grid
            assert_allclose(fuel, wp.fuel_kg_s(w, t, LHV), rtol=2e-3)


def test_engine_point_fuel_cut_at_and_below_motoring(xingyue):
    k = xingyue.engine.to_kernel()
    w = 3000 * RPM
    _, t_mot, _ = engine_point(k, w, 0.0)
    assert engine_point(k, w, t_mot)[2] == 0.0
    assert engine_point(k, w, t_mot - 5.0)[2] == 0.0
    assert engine_point(k, w, t_mot + 1.0)[2] > 0.0
    # clamped beyond the torque axis: no negative, no extrapolation
    assert engine_point(k, w, -1e6)[2] == 0.0
    t_top = xingyue.engine.data().torque_nm[-1]  # 1.02·350 = 357 N·m
    assert_allclose(t_top, 357.0, rtol=1e-12)
    assert_allclose(engine_point(k, w, 1e6)[2], engine_point(k, w, t_top)[2], rtol=1e-12)


def test_interp1_uniform_against_numpy_and_hand_values():
    y = np.array([1.0, 4.0, 2.0, 8.0])  # at x = 10, 10.5, 11, 11.5
    x0, dx = 10.0, 0.5
    hand = {9.0: 1.0, 10.0: 1.0, 10.25: 2.5, 11.2: 4.4, 11.5: 8.0, 20.0: 8.0}  # 11.2: 2 + 0.4·(8−2)
    for x, yy in hand.items():
        assert_allclose(interp1_uniform(x0, dx, y, x), yy, rtol=1e-14)
    xp = x0 + dx * np.arange(4)
    for x in np.linspace(8.0, 13.0, 101):
        assert_allclose(interp1_uniform(x0, dx, y, x), np.interp(x, xp, y), rtol=1e-14, atol=1e-14)


def test_interp2_uniform_reproduces_bilinear_and_clamps():
    def f(x, y):
        return 1 + 2 * x + 3 * y + 0.5 * x * y  # bilinear: reproduced exactly inside each cell

    xs = 0.0 + 1.0 * np.arange(3)  # 0, 1, 2
    ys = 0.0 + 2.0 * np.arange(4)  # 0, 2, 4, 6
    z = np.ascontiguousarray(f(xs[:, None], ys[None, :]))
    hand = {
        (0.5, 1.0): 5.25,  # 1 + 1 + 3 + 0.25
        (2.0, 6.0): 29.0,  # upper corner: 1 + 4 + 18 + 6
        (-1.0, 7.0): 19.0,  # clamped to (0, 6)
        (3.0, -1.0): 5.0,  # clamped to (2, 0)
        (1.5, 9.0): 26.5,  # clamped to (1.5, 6): 1 + 3 + 18 + 4.5
    }
    for (x, y), v in hand.items():
        assert_allclose(interp2_uniform(0.0, 1.0, 0.0, 2.0, z, x, y), v, rtol=1e-14)
    rng = np.random.default_rng(0)
    for x, y in rng.uniform([0, 0], [2, 6], size=(50, 2)):
        assert_allclose(interp2_uniform(0.0, 1.0, 0.0, 2.0, z, x, y), f(x, y), rtol=1e-13)


# --- gearbox / converter step (4th gear: i = 1.457·3.2 = 4.6624, η = 0.95·0.96 = 0.912) ----------------


def _kernels(xingyue, inertia=None):
    eng = xingyue.engine.to_kernel()
    if inertia is not None:
        eng = eng._replace(inertia_kgm2=float(inertia))
    return eng, xingyue.transmission.to_kernel()


def test_gear_step_traction_converter_slipping(xingyue):
    eng, gb = _kernels(xingyue, inertia=0.0)
    assert_allclose(gb.converter_k_rad_s_per_sqrt_nm, 13.613568165555769, rtol=1e-12)  # 130·π/30
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, 3, 30.0, 500.0, 100.0, 1.0, 0.0)
    # T_in = T_w/(i·η) = 500/(4.6624·0.912) = 117.58871 N·m;  ω_in = 30·4.6624 = 139.872 rad/s
    assert_allclose(t_in, 117.58871268769039, rtol=1e-12)
    assert_allclose(w_in, 139.872, rtol=1e-12)
    # K·√T_in = 13.6135682·10.843833 = 147.62326 rad/s > ω_in and > idle (78.54): converter slips
    assert_allclose(w_e, 147.62325881486498, rtol=1e-12)
    assert_allclose(t_e, t_in, rtol=1e-12)  # no inertia, no accessories
    # slip loss T_in·(ω_e − ω_in) = 117.58871·7.75126 = 911.46 W
    assert_allclose(t_in * (w_e - w_in), 911.4605457490843, rtol=1e-10)
    assert_allclose(t_wpt, 500.0, rtol=1e-12)
    assert ok
    t_max, _, f_ref = engine_point(eng, w_e, t_e)
    assert fuel == f_ref and fuel > 0
    # WOT at 1409.698 rpm (linear 750→1800 rpm, 157.5→350 N·m): 157.5 + 659.698/1050·192.5
    assert_allclose(t_max, 278.4446849129197, rtol=1e-9)
    assert_allclose(res, t_e / t_max, rtol=1e-12)


def test_gear_step_traction_locked_with_inertia_and_accessories(xingyue):
    eng, gb = _kernels(xingyue, inertia=0.2)
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, 3, 60.0, 500.0, 270.0, 1.0, 1000.0)
    # ω_in = 60·4.6624 = 279.744 rad/s > K·√T_in = 147.6: locked, ω_e = ω_in, no slip loss
    assert_allclose(w_e, 279.744, rtol=1e-12)
    assert_allclose(w_in, w_e, rtol=0)
    # T_e = T_in + J·Δω/dt + P_aux/ω = 117.58871 + 0.2·9.744 + 1000/279.744 = 117.58871 + 1.9488 + 3.5747
    assert_allclose(t_e, 123.11220955339618, rtol=1e-12)
    assert_allclose(t_in, 117.58871268769039, rtol=1e-12)
    assert_allclose(t_wpt, 500.0, rtol=1e-12)
    assert ok and fuel > 0


def test_gear_step_overrun_engine_braking(xingyue):
    eng, gb = _kernels(xingyue, inertia=0.0)
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, 3, 60.0, -60.0, 0.0, 1.0, 0.0)
    # overrun: T_in = T_w·η/i = −60·0.912/4.6624 = −11.736445 N·m (above the −21.55 N·m drag: fuelled)
    assert_allclose(t_in, -11.73644474948524, rtol=1e-12)
    assert_allclose(w_e, 279.744, rtol=1e-12)  # locked, above the fuel cut-off speed (1000 rpm)
    assert_allclose(t_e, t_in, rtol=1e-12)
    assert_allclose(t_wpt, -60.0, rtol=1e-12)  # T_in·i/η gives back the wheel torque
    assert ok and fuel > 0


def test_gear_step_overrun_fuel_cut(xingyue):
    eng, gb = _kernels(xingyue, inertia=0.0)
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, 3, 60.0, -200.0, 0.0, 1.0, 0.0)
    # T_w·η/i = −39.1215 N·m is below the drag at 279.744 rad/s:
    # c_m = S·ω/π = 8.29902 m/s, p_loss = 1.1 + 0.004·c_m² = 1.3754949 bar, T_mot = −p_loss·V_d/(4π)
    assert fuel == 0.0
    assert_allclose(t_e, -21.552360870252496, atol=1e-3)  # kernel interpolates the quadratic on its grid
    assert_allclose(t_in, t_e, rtol=1e-12)
    # the driveline passes T_mot·i/η = −110.18 N·m to the wheels; the brakes take the rest of −200
    assert_allclose(t_wpt, t_e * 4.6624 / 0.912, rtol=1e-12)
    assert_allclose(t_wpt, -110.18171855423819, atol=6e-3)
    assert ok


def test_wot_lookup_plateau(xingyue):
    k = xingyue.engine.to_kernel()
    for n in (2000.0, 3000.0, 4000.0):  # between nodes on the flat part: exact to rounding
        assert_allclose(wot_nm(k, n * RPM), 350.0, rtol=1e-12)


def test_compiled_run_sums_agree_with_the_numpy_definitions():
    """core/summary.run_sums (what summarize uses) against the plain numpy sums and wheel_energy_j."""
    import pytest

    from hybridsim.components.chassis import ChassisK, wheel_energy_j
    from hybridsim.core.summary import run_sums

    rng = np.random.default_rng(3)
    n = 900
    t = np.cumsum(rng.uniform(0.2, 2.0, n))
    v = np.abs(rng.normal(10.0, 8.0, n))
    v[rng.random(n) < 0.1] = 0.0
    vc = v + np.abs(rng.normal(0.0, 0.3, n))
    grade = rng.normal(0.0, 0.04, n)
    flows = rng.normal(0.0, 1e4, (5, n))  # one row per flow (an array: one compiled signature for any count)
    ch = ChassisK(1500.0, 1540.0, 0.31, 150.0, 2.0, 0.45)
    sums = np.empty(len(flows))
    dist, dist_c, wheel, miss_max, steps = run_sums(t, v, vc, grade, vc - v, flows, ch, sums)
    dt = np.diff(t)
    for x, s in zip(flows, sums, strict=True):
        assert s == pytest.approx(np.sum(x[1:] * dt), rel=1e-12, abs=1e-6)
    assert dist == pytest.approx(np.sum(0.5 * (v[1:] + v[:-1]) * dt), rel=1e-12)
    assert dist_c == pytest.approx(np.sum(0.5 * (vc[1:] + vc[:-1]) * dt), rel=1e-12)
    assert wheel == pytest.approx(wheel_energy_j(ch, t, v, grade), rel=1e-11)
    assert miss_max == np.max(vc - v) and steps == int(np.sum(vc - v > 1e-3))


def test_compiled_run_sums_are_the_sequential_sums_bit_for_bit():
    """run_sums sums four rows per sweep: each row's sum is still its own left-to-right sum, the same bits as the
    row summed alone (the remainder path); a level road's (cos θ, sin θ) are libm's (1, ±0) for grade ±0."""
    import math

    from hybridsim.components.chassis import ChassisK
    from hybridsim.core.summary import _cos_sin_atan, run_sums

    rng = np.random.default_rng(5)
    n = 700
    t = np.cumsum(rng.uniform(0.2, 2.0, n))
    v = np.abs(rng.normal(10.0, 8.0, n))
    grade = np.where(rng.random(n) < 0.5, 0.0, rng.normal(0.0, 0.04, n))
    grade[::7] = -0.0
    flows = rng.normal(0.0, 1e4, (9, n))
    ch = ChassisK(1500.0, 1540.0, 0.31, 150.0, 2.0, 0.45)
    sums = np.empty(9)
    run = run_sums(t, v, v, grade, v * 0.0, flows, ch, sums)
    for r in range(9):
        one = np.empty(1)
        assert run_sums(t, v, v, grade, v * 0.0, np.ascontiguousarray(flows[r:r + 1]), ch, one) == run
        assert one[0] == sums[r], r
    for g in (0.0, -0.0, 0.05, -0.3):
        th = math.atan(g)
        got, ref = getattr(_cos_sin_atan, "py_func", _cos_sin_atan)(g), (math.cos(th), math.sin(th))
        assert got == ref and math.copysign(1.0, got[1]) == math.copysign(1.0, ref[1])


def test_nimh_polarisation_split_from_the_nrel_hppc_fit():
    """The NiMH packs' 1-RC split (``ohmic_fraction``, ``polarisation_fraction``, ``polarisation_time_constant_s``)
    derived from NREL's HPPC fit of the Panasonic prismatic module (vehicles/maps/battery_nimh_module_advisor_ess_
    nimh7_rc.csv, ADVISOR's RC model): its current-step response is R0 = Rt + Re‖Rc at once, R0 + R1 after
    relaxation with τ = (Re + Rc)·Cb·Cc/(Cb + Cc); over each vehicle's SOC window R0 and R1 as shares of the 10-s
    pulse resistance R0 + R1·(1 − e^(−10/τ)) (the HPPC resistance of the pack table), rounded in the files. The
    same fit's 28-module 10-s resistance lies within 5 % of the INL pack table's at mid-window."""
    import hybridsim as hs
    from hybridsim.components.engine_maps import _read_table

    path = Path(__file__).resolve().parent.parent / "vehicles/maps/battery_nimh_module_advisor_ess_nimh7_rc.csv"
    d = _read_table(str(path), ("soc", "re_ohm", "rc_ohm", "rt_ohm", "cb_f", "cc_f"))
    for vid in ("prius_2016", "ralink"):
        b = hs.load_vehicle(vid).battery
        m = (d["soc"] >= b.soc_min) & (d["soc"] <= b.soc_max)
        re, rc, rt, cb, cc = (d[k][m] for k in ("re_ohm", "rc_ohm", "rt_ohm", "cb_f", "cc_f"))
        r0 = rt + re * rc / (re + rc)
        tau = (re + rc) * cb * cc / (cb + cc)
        w = cb / (cb + cc)
        r_inf = rt + re * w - (1.0 - w) * (re * w - rc * (1.0 - w))  # node drop of the two branches, settled
        r10 = r0 + (r_inf - r0) * (1.0 - np.exp(-10.0 / tau))
        assert abs(b.ohmic_fraction - np.mean(r0 / r10)) < 1e-3
        assert abs(b.polarisation_fraction - np.mean((r_inf - r0) / r10)) < 1e-3
        assert abs(b.polarisation_time_constant_s - np.mean(tau)) < 0.1
        grid, _, rd, _ = b.tables()
        mid = 0.5 * (b.soc_min + b.soc_max)
        assert abs(28 * np.mean(r10) / np.interp(mid, grid, rd) - 1.0) < 0.05
