"""Decisions for the conventional plant (``core/conventional.py``) and the time-loop kernel that drives it.

The rules of ``control/conventional.py`` (rule-based, the only strategy of this architecture):

* step-ratio box (automatic, AMT, DCT): every gear is evaluated on the plant (``gear_point``) and the
  fuel-optimal one within the torque reserve is taken, with hysteresis and a least time in gear
  (:func:`choose_gear_point`); if no gear keeps the reserve, the feasible one with the lowest share of WOT;
* manual (``gear_plan``, ``hybridsim/gearshift.py``): the procedure's gear when it can deliver, the clutch
  disengaged when the plan says so and the car brakes, coasts or stands; otherwise the rule above;
* CVT: the ratio that puts the engine on its minimum-fuel operating line (:func:`cvt_point`);
* trace miss: if no gear (ratio) can deliver the force, the end speed is lowered by bisection
  (``driveline.speed_search``) until one can; if none can even at standstill (a grade the engine cannot
  hold), the clutch is disengaged and the brakes hold the car (:func:`_stalled`), never a point beyond WOT.

Nothing here raises or allocates.
"""

from __future__ import annotations

import numpy as np

from . import jit, jit_inline
from .conventional import (
    INF,
    ConvDecision,
    ConvPoint,
    cvt_ratio_point,
    gear_point,
    initial_state,
    neutral_point,
    plant_finish,
    record,
    record_initial,
    step_context,
)
from .driveline import speed_search, speed_search_next, trial_speed
from .interp import interp1_uniform

N_CVT_SEARCH = 32  # engine speeds tried above the operating line when the line's point is beyond full load


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
def cvt_point(plant, state, ctx, dt):
    """Ratio and operating point of a CVT for the step of ``ctx`` (see ``components/gearbox.py``): a ConvPoint.

    Traction: the engine speed on its minimum-fuel operating line ω*(P) for the power it must give (wheel power
    over the variator's mean efficiency plus the accessories; then once more with the power of that point's
    own input torque, so that the ratio-dependent efficiency and drag are in it), the ratio clipped to the
    range. Overrun and coasting: the engine held at ``overrun_speed`` (above its fuel cut-off speed), the ratio
    clipped. If that point is beyond full load or the speed limit, the lowest of ``N_CVT_SEARCH`` engine speeds
    from there up to the highest the range and the engine allow that can deliver (none: the operating line's
    point, infeasible). Standing: the launch ratio.
    """
    cvt = plant.cvt
    w_wheel = ctx.wheel_speed_rad_s
    t_wheel = ctx.wheel_torque_nm
    if w_wheel <= 0.0:
        return cvt_ratio_point(plant, state, ctx, cvt.ratio_low, dt)
    if t_wheel > 0.0:
        p = t_wheel * w_wheel / (0.5 * (cvt.eta_low + cvt.eta_high)) + plant.aux.accessory_power_w
        w_t = interp1_uniform(0.0, cvt.ool_power_step_w, cvt.ool_speed_rad_s, p)
        pt = cvt_ratio_point(plant, state, ctx, cvt_ratio_for(cvt, w_t, w_wheel), dt)
        p = pt.input_torque_nm * pt.input_speed_rad_s + plant.aux.accessory_power_w
        w_t = interp1_uniform(0.0, cvt.ool_power_step_w, cvt.ool_speed_rad_s, p)
    else:
        w_t = cvt.overrun_speed_rad_s
    i = cvt_ratio_for(cvt, w_t, w_wheel)
    first = cvt_ratio_point(plant, state, ctx, i, dt)
    if first.feasible:
        return first
    w_from = w_wheel * i
    w_top = w_wheel * cvt.ratio_low
    if w_top > plant.eng.max_speed_rad_s:
        w_top = plant.eng.max_speed_rad_s
    for k in range(1, N_CVT_SEARCH + 1):
        w = w_from + (w_top - w_from) * k / N_CVT_SEARCH
        if w <= 0.0:
            continue
        pt = cvt_ratio_point(plant, state, ctx, cvt_ratio_for(cvt, w, w_wheel), dt)
        if pt.feasible:
            return pt
    return first


@jit_inline
def choose_gear_point(plant, ctl, state, ctx, dt):
    """Fuel-optimal gear with reserve, hysteresis and dwell: (gear, point); gear -1 if no gear can deliver.

    The point is the plant's in the chosen gear as evaluated during the choice (infeasible when the car stands or
    no gear can deliver: then the caller evaluates the gear it keeps).
    """
    eng = plant.eng
    gb = plant.gb
    w_wheel = ctx.wheel_speed_rad_s
    g_prev = state.gear
    ng = gb.ratios.shape[0]
    best = -1
    best_fuel = INF
    fallback = -1
    fallback_res = INF
    prev_ok = False
    prev_fuel = INF
    nan = np.nan
    none = ConvPoint(False, 0, 0, False, nan, nan, nan, nan, nan, nan, nan, nan)
    best_pt = none
    fb_pt = none
    prev_pt = none
    if w_wheel <= 0.0:
        return 0, none
    for g in range(ng - 1, -1, -1):  # from the top, so that ties (e.g. all at fuel cut) keep the higher gear
        w_in = w_wheel * gb.ratios[g] * gb.final_drive_ratio
        if w_in > eng.max_speed_rad_s or (g > 0 and w_in < ctl.min_engine_speed_rad_s):
            continue
        pt = gear_point(plant, state, ctx, g, dt)
        if not pt.feasible:
            continue
        res = pt.load
        if res < fallback_res:
            fallback_res = res
            fallback = g
            fb_pt = pt
        if res > ctl.torque_reserve and ctx.wheel_torque_nm > 0.0:
            continue
        if g == g_prev:
            prev_ok = True
            prev_fuel = pt.fuel_map_kg_s
            prev_pt = pt
        if pt.fuel_map_kg_s < best_fuel - 1e-15:
            best_fuel = pt.fuel_map_kg_s
            best = g
            best_pt = pt
    if best < 0:
        return fallback, fb_pt
    keep = state.time_in_gear_s < ctl.min_time_in_gear_s or prev_fuel <= best_fuel * (1.0 + ctl.shift_hysteresis)
    if prev_ok and keep:
        return g_prev, prev_pt
    return best, best_pt


@jit_inline
def can_deliver(plant, ctl, state, ctx, dt):
    """Some gear (a CVT: some ratio) can deliver the step of ``ctx``."""
    if plant.cvt.enabled > 0.0:
        return cvt_point(plant, state, ctx, dt).feasible
    return choose_gear_point(plant, ctl, state, ctx, dt)[0] >= 0


@jit
def reachable_end_speed(plant, ctl, state, v0, v1, dt, grade):
    """Trace miss: the highest end speed in [0, v1] the powertrain can reach (``driveline.speed_search``)."""
    s = speed_search(v1)
    while s.halvings_left > 0:
        s = speed_search_next(s, can_deliver(plant, ctl, state, step_context(plant, v0, trial_speed(s), dt, grade), dt))
    return s.reachable_mps


@jit_inline
def _stalled(plant, state, v1, ctx, dt):
    """No gear (ratio) can deliver even the lowest end speed: on a grade the engine cannot hold, the car stops
    short (a trace miss down to ``v1``, 0) with the clutch disengaged, the engine idling and the friction brakes
    holding the car (their term then closes the balance: the work the road asked for and no gear could give)."""
    return ConvDecision(0, 0.0, True), v1, ctx, neutral_point(plant, state, 0, dt)


@jit_inline
def rule_decide(plant, ctl, state, plan, v0, v1, dt, grade):
    """The rule-based decision for one step (module docstring): (decision, end speed, context, point).

    ``plan`` is the procedure's gear of a manual box (≥ 1 that gear, 0 clutch disengaged, < 0 the controller's
    choice). A planned gear that cannot deliver the demand, and a disengaged clutch while the car asks for
    traction, fall back to the controller's choice (a driver would change down or engage)."""
    ctx = step_context(plant, v0, v1, dt, grade)
    if plan == 0 and (ctx.wheel_force_n <= 0.0 or v0 + v1 <= 0.0):
        return ConvDecision(0, 0.0, True), v1, ctx, neutral_point(plant, state, 0, dt)
    if plant.cvt.enabled > 0.0:
        pt = cvt_point(plant, state, ctx, dt)
        if not pt.feasible:
            v1 = reachable_end_speed(plant, ctl, state, v0, v1, dt, grade)
            ctx = step_context(plant, v0, v1, dt, grade)
            pt = cvt_point(plant, state, ctx, dt)
            if not pt.feasible:
                return _stalled(plant, state, v1, ctx, dt)
        return ConvDecision(0, pt.ratio, False), v1, ctx, pt
    if plan > 0:
        pt = gear_point(plant, state, ctx, plan - 1, dt)
        if pt.feasible:
            return ConvDecision(plan - 1, pt.ratio, False), v1, ctx, pt
    g, pt = choose_gear_point(plant, ctl, state, ctx, dt)
    if g < 0:
        # trace miss: the highest end speed some gear can reach (v1 = 0 is always feasible)
        v1 = reachable_end_speed(plant, ctl, state, v0, v1, dt, grade)
        ctx = step_context(plant, v0, v1, dt, grade)
        g, pt = choose_gear_point(plant, ctl, state, ctx, dt)
        if g < 0:
            return _stalled(plant, state, v1, ctx, dt)
    if not pt.feasible:  # standing: the gear kept
        pt = gear_point(plant, state, ctx, g, dt)
    return ConvDecision(g, pt.ratio, False), v1, ctx, pt


@jit
def run_conventional(plant, ctl, time_s, speed_mps, grade, gear_plan, out):
    """Simulate a conventional car over a speed trace; fills ``out`` (see ``core.conventional.ConventionalOut``).

    ``plant`` a ``ConvPlantK`` (``th.enabled`` = 0: a hot run), ``ctl`` the ``control/conventional.py`` kernel
    parameters, ``gear_plan[k]`` the gear of the interval k−1 → k of a manual gearbox (:func:`rule_decide`; an
    array of −1 for the others). With ``cvt.enabled`` the ratio comes from :func:`cvt_point` (``gear`` is 1
    throughout); ``transmission_ratio`` records the overall ratio used (0 in neutral).
    """
    n = time_s.shape[0]
    state = initial_state(plant)
    record_initial(plant, out, state, speed_mps[0])
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        d, v1, ctx, pt = rule_decide(plant, ctl, state, int(gear_plan[k]), v0, speed_mps[k], dt, grade[k])
        res = plant_finish(plant, state, ctx, pt, dt)
        record(out, k, res, v1, speed_mps[k])
        state = res.state
