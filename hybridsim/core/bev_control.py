"""Decisions for the BEV plant (``core/bev.py``) and the time-loop kernel that drives it: the rules of
``control/bev.py`` (rule-based, the only strategy of this architecture).

Per step:

1. rear gear from the controller rule (1st for hard launches, 2nd otherwise, with hysteresis; :func:`choose_gear`);
   the other gear if the chosen one cannot deliver;
2. axle split (:func:`best_split`): ``T = T_f + T_r`` chosen to minimise the machines' total DC power over the
   feasible interval (the plant's envelopes and traction limits, ``core/bev.axle_limits``), by a grid of
   ``N_GRID`` points that always contains the interval's ends (single-axle drive) and the 50/50 split, refined by
   golden-section search around the best grid point; candidates breaking the system power cap or the battery
   discharge limit (``core/bev.split_dc_power``) are rejected;
3. braking (:func:`regen_step`): the machines take the demand (faded out below ``regen_fade_speed``,
   ``driveline.regen_fade``) with the split that recovers the most, reduced by bisection until the DC power
   respects the regeneration cap and the battery's charge limit; zero regeneration is taken instead if it costs
   less; friction brakes take the rest;
4. if no gear can deliver, the end speed is lowered by bisection (``driveline.speed_search``, a trace miss); if
   the battery cannot even feed the spinning machines, they freewheel and the end speed is the highest whose
   road force leaves their drag no less to do.

Nothing here raises or allocates.
"""

from __future__ import annotations

import numpy as np

from . import jit, jit_inline
from .bev import (
    LIMIT_BATTERY_DISCHARGE,
    BevDecision,
    axle_limits,
    axle_powers,
    battery_context,
    freewheel_torques,
    initial_state,
    plant_finish,
    rear_rotor_extra_mass,
    record,
    record_initial,
    road_context,
    split,
    split_dc_power,
)
from .chassis import wheel_force_n
from .driveline import regen_fade, speed_search, speed_search_next, trial_speed
from .electric import motor_tmax

N_GRID = 24  # grid intervals of the split search
N_GOLDEN = 24  # golden-section iterations of the refinement
INVPHI = 0.6180339887498949


@jit
def best_split(mf, mr, dr, g, w_wheel, t_total, tf_max, tr_max, p_dis, p_sys, p_aux):
    """Front wheel torque minimising total DC power for total wheel torque t_total (both axles same sign).

    Returns (ok, t_front, P_dc). ok is False if no split satisfies the envelopes/traction (t_total beyond
    tf_max + tr_max) or, when driving, the system power cap and battery discharge limit.
    """
    if t_total >= 0.0:
        lo = max(0.0, t_total - tr_max)
        hi = min(t_total, tf_max)
    else:
        lo = max(t_total, -tf_max)
        hi = min(0.0, t_total + tr_max)
    if lo > hi + 1e-9 * (1.0 + abs(t_total)):
        return False, 0.0, np.inf
    if lo > hi:
        hi = lo
    best_t = lo
    best_p = split_dc_power(mf, mr, dr, g, w_wheel, t_total, lo, p_dis, p_sys, p_aux)
    best_k = 0
    span = hi - lo
    if span > 0.0:
        for k in range(1, N_GRID + 1):
            tf = hi if k == N_GRID else lo + span * k / N_GRID
            p = split_dc_power(mf, mr, dr, g, w_wheel, t_total, tf, p_dis, p_sys, p_aux)
            if p < best_p:
                best_p = p
                best_t = tf
                best_k = k
        half = 0.5 * t_total
        if lo <= half <= hi:
            p = split_dc_power(mf, mr, dr, g, w_wheel, t_total, half, p_dis, p_sys, p_aux)
            if p < best_p:
                best_p = p
                best_t = half
                best_k = -1
        if best_k >= 0 and best_p < np.inf:
            # golden-section refinement inside the neighbouring grid cells (interior only: the ends carry
            # the constant-loss step of a machine at zero torque and are grid points already)
            a = lo + span * max(best_k - 1, 0) / N_GRID
            b = lo + span * min(best_k + 1, N_GRID) / N_GRID
            c = b - INVPHI * (b - a)
            d = a + INVPHI * (b - a)
            pc = split_dc_power(mf, mr, dr, g, w_wheel, t_total, c, p_dis, p_sys, p_aux)
            pd = split_dc_power(mf, mr, dr, g, w_wheel, t_total, d, p_dis, p_sys, p_aux)
            for _ in range(N_GOLDEN):
                if pc < pd:
                    b = d
                    d = c
                    pd = pc
                    c = b - INVPHI * (b - a)
                    pc = split_dc_power(mf, mr, dr, g, w_wheel, t_total, c, p_dis, p_sys, p_aux)
                else:
                    a = c
                    c = d
                    pc = pd
                    d = a + INVPHI * (b - a)
                    pd = split_dc_power(mf, mr, dr, g, w_wheel, t_total, d, p_dis, p_sys, p_aux)
            if pc < best_p:
                best_p = pc
                best_t = c
            if pd < best_p:
                best_p = pd
                best_t = d
    return best_p < np.inf, best_t, best_p


@jit
def choose_gear(mf, mr, dr, ctl, g_prev, v, w_wheel, t_total):
    """Controller rule for the rear gear (0 = 1st, 1 = 2nd); see control/bev.py."""
    if dr.rear_ratios.shape[0] < 2:
        return 0
    if w_wheel * dr.rear_ratios[0] > mr.max_speed_rad_s:
        return 1
    t2 = (motor_tmax(mf, w_wheel * dr.front_ratio) * dr.front_ratio * dr.front_efficiency
          + motor_tmax(mr, w_wheel * dr.rear_ratios[1]) * dr.rear_ratios[1] * dr.rear_efficiencies[1])
    if g_prev == 0:
        if v < ctl.first_gear_max_speed_mps and t_total > ctl.release_demand_fraction * t2:
            return 0
        return 1
    if v < ctl.downshift_speed_mps and t_total > ctl.launch_demand_fraction * t2:
        return 0
    return 1


@jit
def drive_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade, g_prev, p_dis, p_sys):
    """Traction or coasting step: (ok, gear, t_front, t_total, f). ok False if no gear can deliver.

    f is the chassis force (top-gear rotor inertia); t_total = (f + ΔM_g·a)·r the axle torque demand in the
    gear used."""
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    w = vbar / r
    acc = (v1 - v0) / dt
    g = choose_gear(mf, mr, dr, ctl, g_prev, vbar, w, f * r)
    ng = dr.rear_ratios.shape[0]
    for attempt in range(ng):
        gg = (g + attempt) % ng
        if w * dr.rear_ratios[gg] > mr.max_speed_rad_s or w * dr.front_ratio > mf.max_speed_rad_s:
            continue
        t_total = (f + rear_rotor_extra_mass(dr, aux, gg, r) * acc) * r
        tf_max, tr_max = axle_limits(mf, mr, dr, aux, gg, w, ch.mass_kg, acc, r, False)
        ok, tf, p = best_split(mf, mr, dr, gg, w, t_total, tf_max, tr_max, p_dis, p_sys, aux.accessory_power_w)
        if ok:
            return True, gg, tf, t_total, f
    return False, g, 0.0, f * r, f


@jit
def regen_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade, g_prev, p_chg):
    """Braking step: (gear, t_front, t_electric, f) with t_electric ≥ the axle demand (f + ΔM_g·a)·r (friction
    takes the rest)."""
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    w = vbar / r
    acc = (v1 - v0) / dt
    g = choose_gear(mf, mr, dr, ctl, g_prev, vbar, w, 0.0)
    if w * dr.rear_ratios[g] > mr.max_speed_rad_s:
        g = dr.rear_ratios.shape[0] - 1
    t_dem = (f + rear_rotor_extra_mass(dr, aux, g, r) * acc) * r
    fade = regen_fade(vbar, ctl.regen_fade_speed_mps)
    tf_max, tr_max = axle_limits(mf, mr, dr, aux, g, w, ch.mass_kg, acc, r, True)
    t_req = t_dem * fade
    if t_req < -(tf_max + tr_max):
        t_req = -(tf_max + tr_max)
    p_lo = -p_chg - aux.accessory_power_w
    if p_lo < -dr.regen_power_w:
        p_lo = -dr.regen_power_w
    ok, tf, p = best_split(mf, mr, dr, g, w, t_req, tf_max, tr_max, np.inf, np.inf, 0.0)
    if ok and p < p_lo:
        lo = 0.0
        hi = 1.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            okm, tfm, pm = best_split(mf, mr, dr, g, w, t_req * mid, tf_max, tr_max, np.inf, np.inf, 0.0)
            if okm and pm >= p_lo:
                lo = mid
            else:
                hi = mid
        t_req = t_req * lo
        ok, tf, p = best_split(mf, mr, dr, g, w, t_req, tf_max, tr_max, np.inf, np.inf, 0.0)
    p0 = axle_powers(mf, mr, dr, g, w, 0.0, 0.0)[0]
    if not ok or p0 <= p:
        return g, 0.0, 0.0, f
    return g, tf, t_req, f


@jit
def _freewheel_ok(ch, mf, mr, dr, aux, v0, v1, dt, grade, g, r):
    """The freewheeling machines' drag is no more than the road force asks for at end speed v1."""
    w = 0.5 * (v0 + v1) / r
    tf, tr = freewheel_torques(mf, mr, dr, g, w)
    f = wheel_force_n(ch, v0, v1, dt, grade)
    p_rotor = rear_rotor_extra_mass(dr, aux, g, r) * (v1 - v0) / dt * w * r
    return (tf + tr) * w - f * r * w - p_rotor >= 0.0


@jit_inline
def rule_decide(plant, ctl, state, v0, v1, dt, gr):
    """The rule-based decision for one step (module docstring): (decision, end speed, context, split)."""
    ch = plant.ch
    mf = plant.mf
    mr = plant.mr
    dr = plant.dr
    aux = plant.aux
    g_prev = state.rear_gear
    b = battery_context(plant, state, dt)
    p_dis = b[3]
    p_chg = b[4]
    p_sys = dr.system_power_w
    f = wheel_force_n(ch, v0, v1, dt, gr)
    if f >= 0.0:
        ok, g, tf, t_el, f = drive_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, gr, g_prev, p_dis, p_sys)
        if not ok:
            s = speed_search(v1)
            while s.halvings_left > 0:
                mid = trial_speed(s)
                s = speed_search_next(s, wheel_force_n(ch, v0, mid, dt, gr) < 0.0
                                      or drive_step(ch, mf, mr, dr, ctl, aux, v0, mid, dt, gr, g_prev, p_dis, p_sys)[0])
            v1 = s.reachable_mps
            f = wheel_force_n(ch, v0, v1, dt, gr)
            if f >= 0.0:
                ok, g, tf, t_el, f = drive_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, gr, g_prev, p_dis, p_sys)
                if not ok:
                    tf = 0.0
                    t_el = 0.0
            else:
                g, tf, t_el, f = regen_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, gr, g_prev, p_chg)
    else:
        g, tf, t_el, f = regen_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, gr, g_prev, p_chg)
    ctx = road_context(plant, b, v0, v1, dt, gr)
    d = BevDecision(g, tf, t_el, False)
    sp = split(plant, ctx, d)
    if not sp.feasible and sp.limit == LIMIT_BATTERY_DISCHARGE:
        # the battery cannot even feed the spinning machines: the inverters draw nothing, each machine generates
        # its own losses (DC power 0) and the car slows by that drag: the highest end speed whose road force
        # leaves the drag no less to do (the friction brakes take the rest)
        r = ch.wheel_radius_m
        s = speed_search(v1)
        while s.halvings_left > 0:
            s = speed_search_next(s, _freewheel_ok(ch, mf, mr, dr, aux, v0, trial_speed(s), dt, gr, g, r))
        v1 = s.reachable_mps
        ctx = road_context(plant, b, v0, v1, dt, gr)
        d = BevDecision(g, 0.0, 0.0, True)
        sp = split(plant, ctx, d)
    return d, v1, ctx, sp


@jit
def run_bev(plant, ctl, soc0, time_s, speed_mps, grade, out):
    """Simulate a BEV (one or two drive units) over a speed trace from SOC ``soc0``; fills ``out`` (see
    ``core.bev.BevOut``)."""
    n = time_s.shape[0]
    state = initial_state(plant, soc0)
    record_initial(plant, out, state, speed_mps[0])
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        d, v1, ctx, sp = rule_decide(plant, ctl, state, v0, speed_mps[k], dt, grade[k])
        res = plant_finish(plant, state, ctx, sp, dt)
        record(out, k, res, v1, speed_mps[k])
        state = res.state
