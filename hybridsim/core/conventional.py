"""Time-loop kernel of a conventional powertrain: engine → converter → step-ratio gearbox → wheels.

Quasi-static backward step with a forward feasibility check (DESIGN.md §3). For each interval the
demanded wheel force follows from the trace (``chassis.wheel_force_n``); every gear is evaluated
(``gear_step``) and one is chosen by the fuel-optimal rule of ``control/conventional.py``. If no gear
can deliver the force, the end speed is lowered by bisection until one can: the vehicle falls behind
and the trace miss is recorded. Nothing here raises.

Cold start (``core/thermal.py``, the same model and code as the THS-II kernel's): a lumped coolant
temperature ``C·dT/dt = f·P_fuel`` (capped at the thermostat temperature) raises engine friction by
``θ^(−t)``; the fuelled engine burns ``(θ^(−t) − 1)·ṁ_fric(ω_e)`` more fuel at the same brake torque.
Modelling choice, as in the THS-II kernel: the extra friction is paid in fuel, not in torque, so the
operating point, the gear choice (on the hot map) and the WOT limit are those of a warm engine; the extra
fuel power is all engine loss (P_engine_loss below). An engine at fuel cut gets no extra fuel.

Power balance per step (all terms are outputs, so the energy balance is checked outside)::

    P_fuel = P_engine_loss + P_accessory + P_engine_inertia + P_converter_loss
             + P_gearbox_loss + P_wheel + P_brake
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit, jit_inline
from .chassis import wheel_force_n
from .driveline import (
    TRACE_MISS_BISECTIONS,
    converter_loss_w,
    converter_pump_speed,
    converter_torque_ratio,
    gear_input_torque,
    gear_output_torque,
)
from .engine import engine_point
from .interp import interp1_uniform
from .thermal import cold_extra_fuel_kg_s, coolant_initial_c, coolant_step_c

INF = np.inf


class ConventionalOut(NamedTuple):
    speed_mps: np.ndarray
    gear: np.ndarray
    engine_speed_rad_s: np.ndarray
    engine_torque_nm: np.ndarray
    fuel_kg_s: np.ndarray
    fuel_power_w: np.ndarray
    engine_loss_w: np.ndarray
    accessory_power_w: np.ndarray
    engine_inertia_power_w: np.ndarray
    converter_loss_w: np.ndarray
    gearbox_loss_w: np.ndarray
    wheel_power_w: np.ndarray
    brake_power_w: np.ndarray
    trace_miss_mps: np.ndarray
    coolant_temp_c: np.ndarray
    transmission_ratio: np.ndarray


N_CVT_SEARCH = 32  # engine speeds tried above the operating line when the line's point is beyond full load




def allocate(n: int) -> ConventionalOut:
    return ConventionalOut(*(np.zeros(n) for _ in ConventionalOut._fields))


@jit_inline
def gear_step(eng, gb, g, w_wheel, t_wheel, w_e_prev, dt, p_aux):
    """Engine operating point in gear ``g`` for wheel speed/torque.

    Returns (feasible, w_e, t_e, fuel, t_in, w_in, t_wheel_pt, reserve_ratio): the engine speed and
    torque, fuel rate, gearbox input torque and speed, the wheel torque the powertrain delivers (the
    brakes supply t_wheel − t_wheel_pt) and t_e/WOT.
    """
    return ratio_step(eng, gb, gb.ratios[g] * gb.final_drive_ratio, gb.efficiencies[g] * gb.final_drive_efficiency,
                      0.0, w_wheel, t_wheel, w_e_prev, dt, p_aux)


@jit_inline
def ratio_step(eng, gb, i, eta, t_drag, w_wheel, t_wheel, w_e_prev, dt, p_aux):
    """:func:`gear_step` for an overall ratio ``i`` and efficiency ``eta`` (gear × final drive) and a constant
    drag torque ``t_drag`` at the gearbox input while it turns (a CVT's pump; 0 for a step-ratio box)."""
    w_in = w_wheel * i
    t_in = gear_input_torque(t_wheel, i, eta)
    if t_drag > 0.0 and w_in > 0.0:
        t_in += t_drag
    # converter / launch slip (with torque multiplication where the file declares it: components/gearbox.py)
    w_slip = eng.idle_speed_rad_s
    if t_in > 0.0 and gb.converter_k_rad_s_per_sqrt_nm > 0.0:
        ws = converter_pump_speed(gb, w_in, t_in)
        if ws > w_slip:
            w_slip = ws
    tr = 1.0  # converter torque ratio turbine/pump (1: locked, or no multiplication)
    if w_in >= w_slip:
        w_e = w_in
    else:
        w_e = w_slip
        if t_in < 0.0:
            t_in = 0.0  # an unlocked converter passes no engine braking
        if gb.converter_k_rad_s_per_sqrt_nm > 0.0:
            tr = converter_torque_ratio(gb, w_in, w_e)
    if w_wheel <= 0.0:
        t_in = 0.0  # standing: the brakes hold the car
    t_j = eng.inertia_kgm2 * (w_e - w_e_prev) / dt
    t_aux = p_aux / w_e
    t_e = t_in / tr + t_j + t_aux
    t_max, t_mot, fuel = engine_point(eng, w_e, t_e)
    if t_e < 0.0 and w_e < eng.fuel_cutoff_min_speed_rad_s:
        # no fuel cut near idle: the engine holds idle and does not brake the car
        t_e = t_j + t_aux
        if t_e < 0.0:
            t_e = 0.0
        t_in = (t_e - t_j - t_aux) * tr
        fuel = engine_point(eng, w_e, t_e)[2]
    if t_e < t_mot:
        # overrun beyond the engine's drag: fuel cut, the brakes take the rest
        t_e = t_mot
        t_in = (t_e - t_j - t_aux) * tr
        fuel = 0.0
    # wheel torque actually delivered through the driveline for this t_in
    if t_drag > 0.0 and w_in > 0.0:
        t_wpt = gear_output_torque(t_in - t_drag, i, eta)
    else:
        t_wpt = gear_output_torque(t_in, i, eta)
    feasible = t_e <= t_max + 1e-9 and w_e <= eng.max_speed_rad_s
    return feasible, w_e, t_e, fuel, t_in, w_in, t_wpt, t_e / t_max


@jit_inline
def cvt_eta(cvt, i):
    """Variator × final-drive efficiency at overall ratio i: linear in the ratio between the two ends. [-]"""
    span = cvt.ratio_low - cvt.ratio_high
    if span <= 0.0:
        return cvt.eta_low
    return cvt.eta_high + (cvt.eta_low - cvt.eta_high) * (i - cvt.ratio_high) / span


@jit_inline
def cvt_ratio_for(cvt, w_engine, w_wheel):
    """Overall ratio that turns the input at ``w_engine``, clipped to the variator's range."""
    i = w_engine / w_wheel
    if i > cvt.ratio_low:
        return cvt.ratio_low
    if i < cvt.ratio_high:
        return cvt.ratio_high
    return i


@jit_inline
def cvt_point(eng, gb, cvt, w_wheel, t_wheel, w_e_prev, dt, p_aux):
    """Ratio and operating point of a CVT for wheel speed/torque (see ``components/gearbox.py``).

    Traction: the engine speed on its minimum-fuel operating line ω*(P) for the power it must give (wheel power
    over the variator's mean efficiency plus the accessories; then once more with the power of that point's
    own input torque, so that the ratio-dependent efficiency and drag are in it), the ratio clipped to the
    range. Overrun and coasting: the engine held at ``overrun_speed`` (above its fuel cut-off speed), the ratio
    clipped. If that point is beyond full load or the speed limit, the lowest of ``N_CVT_SEARCH`` engine speeds
    from there up to the highest the range and the engine allow that can deliver. Standing: the launch ratio.

    Returns (feasible, ratio, w_e, t_e, fuel, t_in, w_in, t_wheel_pt).
    """
    if w_wheel <= 0.0:
        i = cvt.ratio_low
        ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = ratio_step(eng, gb, i, cvt_eta(cvt, i), cvt.drag_torque_nm,
                                                                w_wheel, t_wheel, w_e_prev, dt, p_aux)
        return ok, i, w_e, t_e, fuel, t_in, w_in, t_wpt
    if t_wheel > 0.0:
        p = t_wheel * w_wheel / (0.5 * (cvt.eta_low + cvt.eta_high)) + p_aux
        w_t = interp1_uniform(0.0, cvt.ool_power_step_w, cvt.ool_speed_rad_s, p)
        i = cvt_ratio_for(cvt, w_t, w_wheel)
        ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = ratio_step(eng, gb, i, cvt_eta(cvt, i), cvt.drag_torque_nm,
                                                                w_wheel, t_wheel, w_e_prev, dt, p_aux)
        p = t_in * w_in + p_aux
        w_t = interp1_uniform(0.0, cvt.ool_power_step_w, cvt.ool_speed_rad_s, p)
    else:
        w_t = cvt.overrun_speed_rad_s
    i = cvt_ratio_for(cvt, w_t, w_wheel)
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = ratio_step(eng, gb, i, cvt_eta(cvt, i), cvt.drag_torque_nm,
                                                            w_wheel, t_wheel, w_e_prev, dt, p_aux)
    if ok:
        return ok, i, w_e, t_e, fuel, t_in, w_in, t_wpt
    w_from = w_wheel * i
    w_top = w_wheel * cvt.ratio_low
    if w_top > eng.max_speed_rad_s:
        w_top = eng.max_speed_rad_s
    for k in range(1, N_CVT_SEARCH + 1):
        w = w_from + (w_top - w_from) * k / N_CVT_SEARCH
        if w <= 0.0:
            continue
        i2 = cvt_ratio_for(cvt, w, w_wheel)
        ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = ratio_step(eng, gb, i2, cvt_eta(cvt, i2), cvt.drag_torque_nm,
                                                                w_wheel, t_wheel, w_e_prev, dt, p_aux)
        if ok:
            return ok, i2, w_e, t_e, fuel, t_in, w_in, t_wpt
    return False, i, w_e, t_e, fuel, t_in, w_in, t_wpt


@jit_inline
def choose_gear_point(eng, gb, ctl, w_wheel, t_wheel, w_e_prev, dt, p_aux, g_prev, t_in_gear):
    """Fuel-optimal gear with reserve, hysteresis and dwell; -1 if no gear can deliver.

    Returns (gear, evaluated, w_e, t_e, fuel, t_in, w_in, t_wheel_pt): the operating point of
    :func:`gear_step` in the chosen gear as evaluated during the choice (``evaluated`` False when the car
    stands or no gear can deliver), so that the time loop need not evaluate it a second time.
    """
    ng = gb.ratios.shape[0]
    best = -1
    best_fuel = INF
    fallback = -1
    fallback_res = INF
    prev_ok = False
    prev_fuel = INF
    nan6 = (np.nan, np.nan, np.nan, np.nan, np.nan, np.nan)
    best_pt = nan6
    fb_pt = nan6
    prev_pt = nan6
    if w_wheel <= 0.0:
        return 0, False, nan6[0], nan6[1], nan6[2], nan6[3], nan6[4], nan6[5]
    for g in range(ng - 1, -1, -1):  # from the top, so that ties (e.g. all at fuel cut) keep the higher gear
        w_in = w_wheel * gb.ratios[g] * gb.final_drive_ratio
        if w_in > eng.max_speed_rad_s or (g > 0 and w_in < ctl.min_engine_speed_rad_s):
            continue
        ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, g, w_wheel, t_wheel, w_e_prev,
                                                               dt, p_aux)
        if not ok:
            continue
        pt = (w_e, t_e, fuel, t_in, w_in, t_wpt)
        if res < fallback_res:
            fallback_res = res
            fallback = g
            fb_pt = pt
        if res > ctl.torque_reserve and t_wheel > 0.0:
            continue
        if g == g_prev:
            prev_ok = True
            prev_fuel = fuel
            prev_pt = pt
        if fuel < best_fuel - 1e-15:
            best_fuel = fuel
            best = g
            best_pt = pt
    if best < 0:
        return fallback, fallback >= 0, fb_pt[0], fb_pt[1], fb_pt[2], fb_pt[3], fb_pt[4], fb_pt[5]
    keep = t_in_gear < ctl.min_time_in_gear_s or prev_fuel <= best_fuel * (1.0 + ctl.shift_hysteresis)
    if prev_ok and keep:
        return g_prev, True, prev_pt[0], prev_pt[1], prev_pt[2], prev_pt[3], prev_pt[4], prev_pt[5]
    return best, True, best_pt[0], best_pt[1], best_pt[2], best_pt[3], best_pt[4], best_pt[5]


@jit
def choose_gear(eng, gb, ctl, w_wheel, t_wheel, w_e_prev, dt, p_aux, g_prev, t_in_gear):
    """Fuel-optimal gear with reserve, hysteresis and dwell; -1 if no gear can deliver."""
    return choose_gear_point(eng, gb, ctl, w_wheel, t_wheel, w_e_prev, dt, p_aux, g_prev, t_in_gear)[0]


@jit_inline
def can_deliver(eng, gb, cvt, ctl, w_wheel, t_wheel, w_e_prev, dt, p_aux, g_prev, t_in_gear):
    """Some gear (a CVT: some ratio) can deliver wheel torque ``t_wheel`` at ``w_wheel``."""
    if cvt.enabled > 0.0:
        return cvt_point(eng, gb, cvt, w_wheel, t_wheel, w_e_prev, dt, p_aux)[0]
    return choose_gear(eng, gb, ctl, w_wheel, t_wheel, w_e_prev, dt, p_aux, g_prev, t_in_gear) >= 0


@jit_inline
def reachable_end_speed(ch, eng, gb, cvt, ctl, v0, v1, dt, grade, w_e_prev, p_aux, g_prev, t_in_gear):
    """Trace miss: the highest end speed in [0, v1] the powertrain can reach (``TRACE_MISS_BISECTIONS``
    halvings)."""
    r = ch.wheel_radius_m
    lo = 0.0
    hi = v1
    for _ in range(TRACE_MISS_BISECTIONS):
        mid = 0.5 * (lo + hi)
        fm = wheel_force_n(ch, v0, mid, dt, grade)
        if can_deliver(eng, gb, cvt, ctl, 0.5 * (v0 + mid) / r, fm * r, w_e_prev, dt, p_aux, g_prev, t_in_gear):
            lo = mid
        else:
            hi = mid
    return lo


@jit
def run_conventional(ch, eng, gb, cvt, ctl, p_aux, th, friction_fuel_kg_s, time_s, speed_mps, grade, gear_plan, out):
    """Simulate a conventional car over a speed trace; fills ``out`` (see ConventionalOut).

    ``th`` (``core.thermal.ThermalK``) and ``friction_fuel_kg_s`` (ṁ_fric on the engine map's speed grid)
    are the warm-up model; a hot run has ``th.enabled`` = 0.

    ``gear_plan[k]`` (manual gearbox, ``hybridsim/gearshift.py``) is the gear of the interval k−1 → k as the
    procedure prescribes it: ≥ 1 that gear, 0 clutch disengaged (the engine idles, the brakes take the whole
    demand), < 0 the controller's choice (automatic, AMT, DCT: an array of −1). A planned gear that cannot
    deliver the demand (beyond WOT or the engine's speed limit), and a disengaged clutch while the car asks
    for traction, fall back to the controller's choice (kernel rule; a driver would change down or engage).

    ``cvt`` (``components.gearbox.CvtK``): with ``cvt.enabled`` the ratio comes from :func:`cvt_point` instead of a gear
    choice (``gear`` is 1 throughout); ``transmission_ratio`` records the overall ratio used (0 in neutral).
    """
    n = time_s.shape[0]
    out.speed_mps[0] = speed_mps[0]
    temp = coolant_initial_c(th)
    out.coolant_temp_c[0] = temp
    w_e_prev = eng.idle_speed_rad_s
    out.engine_speed_rad_s[0] = w_e_prev
    out.transmission_ratio[0] = cvt.ratio_low if cvt.enabled > 0.0 else gb.ratios[0] * gb.final_drive_ratio
    g_prev = 0
    t_in_gear = 0.0
    r = ch.wheel_radius_m
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        v1 = speed_mps[k]
        f = wheel_force_n(ch, v0, v1, dt, grade[k])
        plan = int(gear_plan[k])
        neutral = False
        g = -1
        have = False
        if plan == 0 and (f <= 0.0 or v0 + v1 <= 0.0):
            neutral = True
            g = 0
        elif plan > 0:
            ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, plan - 1, 0.5 * (v0 + v1) / r, f * r,
                                                                   w_e_prev, dt, p_aux)
            if ok:
                g = plan - 1
                have = True
        ratio = 0.0
        if cvt.enabled > 0.0:
            ok, ratio, w_e, t_e, fuel, t_in, w_in, t_wpt = cvt_point(eng, gb, cvt, 0.5 * (v0 + v1) / r, f * r,
                                                                      w_e_prev, dt, p_aux)
            if not ok:
                v1 = reachable_end_speed(ch, eng, gb, cvt, ctl, v0, v1, dt, grade[k], w_e_prev, p_aux, g_prev,
                                         t_in_gear)
                f = wheel_force_n(ch, v0, v1, dt, grade[k])
                ok, ratio, w_e, t_e, fuel, t_in, w_in, t_wpt = cvt_point(eng, gb, cvt, 0.5 * (v0 + v1) / r, f * r,
                                                                          w_e_prev, dt, p_aux)
            g = 0
            have = True
        if g < 0:
            g, have, w_e, t_e, fuel, t_in, w_in, t_wpt = choose_gear_point(
                eng, gb, ctl, 0.5 * (v0 + v1) / r, f * r, w_e_prev, dt, p_aux, g_prev, t_in_gear)
        if g < 0:
            # trace miss: the highest end speed some gear can reach (v1 = 0 is always feasible)
            v1 = reachable_end_speed(ch, eng, gb, cvt, ctl, v0, v1, dt, grade[k], w_e_prev, p_aux, g_prev, t_in_gear)
            f = wheel_force_n(ch, v0, v1, dt, grade[k])
            g, have, w_e, t_e, fuel, t_in, w_in, t_wpt = choose_gear_point(
                eng, gb, ctl, 0.5 * (v0 + v1) / r, f * r, w_e_prev, dt, p_aux, g_prev, t_in_gear)
            if g < 0:
                g = 0
        w_wheel = 0.5 * (v0 + v1) / r
        if cvt.enabled <= 0.0:
            ratio = 0.0 if neutral else gb.ratios[g] * gb.final_drive_ratio
        if neutral:
            # clutch disengaged: the engine idles on its own (as when standing), the wheels get no torque
            ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, g, 0.0, 0.0, w_e_prev, dt, p_aux)
            w_in = 0.0
            t_wpt = 0.0
        elif not have:  # standing, or no gear can deliver: evaluate the gear kept
            ok, w_e, t_e, fuel, t_in, w_in, t_wpt, res = gear_step(eng, gb, g, w_wheel, f * r, w_e_prev, dt,
                                                                   p_aux)
        if g != g_prev:
            t_in_gear = 0.0
        t_in_gear += dt
        if fuel > 0.0:
            fuel += cold_extra_fuel_kg_s(th, eng, friction_fuel_kg_s, temp, w_e)
        p_e = t_e * w_e
        p_fuel = fuel * eng.lhv_j_per_kg
        temp = coolant_step_c(th, temp, p_fuel, dt)
        t_j = eng.inertia_kgm2 * (w_e - w_e_prev) / dt
        out.speed_mps[k] = v1
        out.gear[k] = 0.0 if neutral else g + 1.0
        out.engine_speed_rad_s[k] = w_e
        out.engine_torque_nm[k] = t_e
        out.fuel_kg_s[k] = fuel
        out.fuel_power_w[k] = p_fuel
        out.engine_loss_w[k] = p_fuel - p_e
        out.accessory_power_w[k] = p_aux
        out.engine_inertia_power_w[k] = t_j * w_e
        out.converter_loss_w[k] = converter_loss_w(gb, t_e - t_j - p_aux / w_e, t_in, w_e, w_in)
        out.gearbox_loss_w[k] = t_in * w_in - t_wpt * w_wheel
        out.wheel_power_w[k] = f * r * w_wheel
        out.brake_power_w[k] = (t_wpt - f * r) * w_wheel
        out.trace_miss_mps[k] = speed_mps[k] - v1
        out.coolant_temp_c[k] = temp
        out.transmission_ratio[k] = ratio
        w_e_prev = w_e
        g_prev = g
