"""Decisions for the P2 plant (``core/p2.py``) and the time-loop kernel that drives it.

A decision layer reads the plant state, the controller's mode (charge-depleting or -sustaining, with the
hysteresis of ``control/p2.py``) and the trace, and returns a :class:`~hybridsim.core.p2.P2Decision` (engine
on/off, gear, clutch torque); the plant step does the physics. Strategies, chosen by an integer code inside
the kernel (DESIGN.md §4):

* ``RULE_BASED`` (0): the rules of ``control/p2.py``. Engine request (least on-time, EV speed cap; in CS the
  power thresholds and the forced start below ``soc_engine_force``); with the engine on, load-following:
  T_c = T_req − min(T_sh, 0) + P_chg/ω_e, P_chg = clamp(K·(soc_target − SOC), ±P_chg,max) with K0 closed in CS;
  the gear with the least P_fuel + s·P_dc (s = ``equivalence_factor``; a downshift costs its inertia energy, a
  start its fuel and crank energy), within the torque reserve, with hysteresis, dwell, the least input speed,
  the upshift margin and at most ``max_gear_step`` gears per change. If the requested engine state has no
  feasible gear, the other one; if neither has, the end speed is lowered by bisection (trace miss).
* ``ECMS`` (1), in charge-sustaining mode: the equivalent-consumption minimisation (Paganelli et al. 2002;
  adaptive equivalence factor after Onori, Serrao & Rizzoni, *Hybrid Electric Vehicles: Energy Management
  Strategies*, Springer 2016, §5). Each step, over the candidates {engine off; engine on with clutch torque
  T_c = j/N·(WOT − T_je), j = 0…N, the load-following torque T_req − min(T_sh, 0), and the fuel-cut drag} in
  every gear allowed (input speed ≥ ``min_input_speed`` above 1st; a change at most ``max_gear_step`` gears and
  only after ``min_time_in_gear_s``; at rest: 1st, engine off), the feasible one with the least

      P_fuel + s(SOC)·P_batt,chem,     s(SOC) = s₀ + K_p·(soc_target − SOC)

  with P_fuel the plant's fuel rate (map, warm-up, start) and P_batt,chem the battery's chemical power for the
  step's terminal power (motor, accessories, cranking), both from the plant's own functions. The SOC feedback
  holds the charge near ``soc_target`` without an outer iteration. In charge-depleting mode (a plug-in above
  its CS threshold) ECMS does not apply: the rules decide (EV first, the engine only above the EV speed cap or
  when EV cannot drive), so the CD range is the rule-based one and ECMS only changes the CS phase. No
  feasible candidate: the rules' decision (with their trace-miss search).

Nothing here raises or allocates.
"""

from __future__ import annotations

from . import jit, jit_inline
from .driveline import speed_search, speed_search_next, timer_reached, trial_speed
from .electric import battery_state, battery_step_at
from .p2 import (
    INF,
    P2Decision,
    battery_context,
    gear_context,
    initial_state,
    plant_finish,
    record,
    record_initial,
    road_context,
    split_gear,
    step_fuel_kg_s,
    terminal_power_w,
    with_charge_limit,
)

RULE_BASED = 0
ECMS = 1

# an upshift must leave the input speed at least this factor above the lowest speed of the target gear
# (min_input_speed, and min_engine_speed with the engine on), so that it is not undone within the dwell (E)
UPSHIFT_SPEED_MARGIN = 1.1


@jit_inline
def rule_clutch_torque(ctl, gc, cs, soc):
    """The load-following clutch torque of the rules for the gear context ``gc`` (module docstring)."""
    t_chg = 0.0
    if cs and gc.clutch_state == 2.0:
        # symmetric SOC feedback: charge below soc_target, assist (discharge) above it
        p_c = ctl.charge_gain_w * (ctl.soc_target - soc)
        if p_c > ctl.charge_power_max_w:
            p_c = ctl.charge_power_max_w
        elif p_c < -ctl.charge_power_max_w:
            p_c = -ctl.charge_power_max_w
        t_chg = p_c / gc.engine_speed_rad_s
    # the kinetic energy an upshift releases (t_sh < 0) is taken by the P2 motor (motor-synchronised shift), a
    # downshift's demand by engine and motor together
    return gc.required_torque_nm - min(gc.shift_torque_nm, 0.0) + t_chg


@jit_inline
def rule_eval(plant, ctl, state, ctx, g, eng_on, cs, dt):
    """(split, cost [W], reserve) of the rules' choice for gear ``g`` with the engine on or off: the split at the
    load-following torque, its gear-ranking cost P_fuel + s·(P_dc + downshift energy rate) (+ start fuel and
    crank power on a start), and the engine's share of WOT."""
    gc = gear_context(plant, state, ctx, g, eng_on, dt)
    t_c = rule_clutch_torque(ctl, gc, cs, state.soc) if eng_on else 0.0
    sp = split_gear(plant, state, ctx, gc, t_c, dt)
    if not sp.feasible:
        return sp, INF, INF
    s = ctl.equivalence_factor
    lhv = plant.eng.lhv_j_per_kg
    # gear ranking: a downshift costs its energy, an upshift gets no credit for returning it (staying in gear
    # keeps it stored too; the credit would make the chooser hunt up and down)
    if not eng_on:
        return sp, s * (sp.motor_electric_power_w + max(-sp.shift_energy_input_j / sp.shift_time_s, 0.0)), 0.0
    cost = sp.fuel_map_kg_s * lhv + s * (sp.motor_electric_power_w + max(
        -(sp.shift_energy_input_j + sp.shift_energy_engine_j) / sp.shift_time_s, 0.0))
    if not state.engine_on:
        cost += plant.aux.engine_start_fuel_kg * lhv / dt + s * (sp.crank_power_w + sp.crank_slip_power_w)
    return sp, cost, sp.engine_torque_nm / sp.engine_torque_max_nm


@jit
def choose_gear(plant, ctl, state, ctx, eng_on, cs, dt):
    """Least-cost feasible gear of the rules (engine on: within the torque reserve if possible), with hysteresis
    and dwell; -1 if none.

    While driving, a gear above 1st needs an input speed of at least ``min_input_speed``, and a change moves at
    most ``max_gear_step`` gears from the state's gear; only if no gear within that step can drive the step at
    all is any feasible gear taken (a kickdown/skip shift).
    """
    w_wheel = ctx.wheel_speed_rad_s
    if w_wheel <= 0.0:
        return 0 if not eng_on else -1
    gb = plant.gb
    g_prev = state.gear
    ng = gb.ratios.shape[0]
    step = int(ctl.max_gear_step)
    skipped = False
    for attempt in range(2):
        if attempt == 1 and not skipped:
            break
        best = -1
        best_cost = INF
        fallback = -1
        fallback_res = INF
        prev_ok = False
        prev_cost = INF
        for g in range(ng - 1, -1, -1):
            w_g = w_wheel * (gb.ratios[g] * gb.final_drive_ratio)
            if g > 0 and w_g < ctl.min_input_speed_rad_s:
                continue
            if g > g_prev:
                w_lo = ctl.min_input_speed_rad_s
                if eng_on and ctl.min_engine_speed_rad_s > w_lo:
                    w_lo = ctl.min_engine_speed_rad_s
                if w_g < UPSHIFT_SPEED_MARGIN * w_lo:
                    continue
            if attempt == 0 and abs(g - g_prev) > step:
                skipped = True
                continue
            sp, cost, reserve = rule_eval(plant, ctl, state, ctx, g, eng_on, cs, dt)
            if not sp.feasible:
                continue
            if eng_on:
                if reserve < fallback_res:
                    fallback_res = reserve
                    fallback = g
                if reserve > ctl.torque_reserve and ctx.wheel_torque_nm > 0.0:
                    continue
            if g == g_prev:
                prev_ok = True
                prev_cost = cost
            if cost < best_cost - 1e-9:
                best_cost = cost
                best = g
        if best < 0:
            if fallback >= 0:
                return fallback
            continue
        margin = ctl.shift_hysteresis * max(abs(best_cost), 100.0)
        dwell = not timer_reached(state.time_in_gear_s, ctl.min_time_in_gear_s, dt)
        if prev_ok and (dwell or prev_cost <= best_cost + margin):
            return g_prev
        return best
    return -1


@jit
def _feasible(plant, ctl, state, ctx, cs, dt):
    """Whether the rules find a gear with the engine off or on for the step of ``ctx``."""
    for j in range(2):
        if choose_gear(plant, ctl, state, ctx, j == 1, cs, dt) >= 0:
            return True
    return False


@jit
def engine_request(ctl, cs, soc, vbar, p_wheel, eng_on_prev, t_state, dt):
    """The rules' engine request before the feasibility check (see control/p2.py); ``t_state`` the time since
    the engine last started or stopped (its timers to the nearest step ``dt``: ``driveline.timer_reached``)."""
    if vbar <= 0.0:
        return False
    if eng_on_prev and not timer_reached(t_state, ctl.min_on_time_s, dt):
        return True  # least on-time, also on overrun (fuel cut or light load)
    if p_wheel <= 0.0:
        return False
    if vbar > ctl.ev_speed_max_mps:
        return True
    if cs:
        if soc < ctl.soc_engine_force:
            return True
        if eng_on_prev and p_wheel > ctl.engine_off_power_w:
            return True
        if p_wheel > ctl.engine_on_power_w and (eng_on_prev or timer_reached(t_state, ctl.min_off_time_s, dt)):
            return True
    return False


@jit
def reachable_speed(plant, ctl, state, b, cs, v0, v1, dt, gr):
    """The end speed the rules can reach: ``v1`` if some gear with the engine off or on can drive the step, else
    the highest that can, by bisection (a trace miss). ``b`` is the step's ``battery_context``."""
    if _feasible(plant, ctl, state, road_context(plant, b, v0, v1, dt, gr), cs, dt):
        return v1
    s = speed_search(v1)
    while s.halvings_left > 0:
        s = speed_search_next(s, _feasible(plant, ctl, state, road_context(plant, b, v0, trial_speed(s), dt, gr), cs,
                                           dt))
    return s.reachable_mps


@jit
def rule_decide(plant, ctl, state, cs, v0, v1, dt, gr):
    """The rule-based decision for one step (module docstring): (decision, end speed, context, split)."""
    return rule_decide_planned(plant, ctl, state, cs, v0, v1, dt, gr, -1)


@jit
def rule_decide_planned(plant, ctl, state, cs, v0, v1, dt, gr, g_plan):
    """:func:`rule_decide` with the gear ``g_plan`` (0-based) a procedure prescribes for a manual gearbox
    (``hybridsim/gearshift.py``; −1: none): while the car moves, the planned gear with the requested engine state, or
    with the other one if that cannot drive the step; if neither can, the rules' own choice (kernel rule, as the
    conventional kernel's: a driver would change down). No plan: the rules alone, bit for bit."""
    b = battery_context(plant, state, dt)
    v1 = reachable_speed(plant, ctl, state, b, cs, v0, v1, dt, gr)
    ctx = road_context(plant, b, v0, v1, dt, gr)
    vbar = ctx.mean_speed_mps
    want = engine_request(ctl, cs, state.soc, vbar, ctx.wheel_force_n * vbar, state.engine_on,
                          state.time_in_engine_state_s, dt)
    g = -1
    if g_plan >= 0 and ctx.wheel_speed_rad_s > 0.0:
        for _j in range(2):
            if rule_eval(plant, ctl, state, ctx, g_plan, want, cs, dt)[0].feasible:
                g = g_plan
                break
            want = not want
    if g < 0:
        g = choose_gear(plant, ctl, state, ctx, want, cs, dt)
    if g < 0:
        want = not want
        g = choose_gear(plant, ctl, state, ctx, want, cs, dt)
    if g < 0:
        # only reached at v1 = 0 after bisection with a force no mode can hold: brakes hold the car
        g = 0
        want = False
    gc = gear_context(plant, state, ctx, g, want, dt)
    t_c = rule_clutch_torque(ctl, gc, cs, state.soc) if want else 0.0
    return P2Decision(want, g, t_c), v1, ctx, split_gear(plant, state, ctx, gc, t_c, dt)


@jit
def ecms_equivalence(ctl, soc):
    """Adaptive equivalence factor s = s₀ + K_p·(soc_target − SOC). [-]"""
    return ctl.ecms_equivalence_factor + ctl.ecms_soc_gain * (ctl.soc_target - soc)


@jit_inline
def ecms_cost(plant, state, ctx, sp, dt, s, bst):
    """P_fuel + s·P_batt,chem [W] of a feasible split, on the plant's own fuel and battery functions
    (``battery_step_at`` with ``bst`` = ``battery_state`` at the step's SOC, looked up once per step)."""
    fuel = step_fuel_kg_s(plant, state, sp, dt)
    p_term = terminal_power_w(plant, ctx, sp)[0]
    p_chem = battery_step_at(plant.bat, state.soc, bst[0], bst[1], bst[2], p_term, dt)[2]
    return fuel * plant.eng.lhv_j_per_kg + s * p_chem


@jit_inline
def _ecms_gear(plant, ctl, state, ctx, g, dt, s, bst, best, best_sp, best_d):
    """The best of the incumbent (cost ``best``, split, decision) and every ECMS candidate in gear ``g``."""
    gc = gear_context(plant, state, ctx, g, False, dt)
    sp = split_gear(plant, state, ctx, gc, 0.0, dt)
    if sp.feasible:
        c = ecms_cost(plant, state, ctx, sp, dt, s, bst)
        if c < best:
            best, best_sp, best_d = c, sp, P2Decision(False, g, 0.0)
    gc = gear_context(plant, state, ctx, g, True, dt)
    if not gc.ok:
        return best, best_sp, best_d
    gc = with_charge_limit(plant, ctx, gc)  # solved once for every candidate below
    n = int(ctl.ecms_torque_points)
    t_top = gc.engine_torque_max_nm - gc.engine_inertia_torque_nm
    for j in range(-2, n + 1):
        if j == -2:
            t_c = -INF  # fuel cut: the plant clips to the drag (K0 closed) or 0 (slipping)
        elif j == -1:
            t_c = gc.required_torque_nm - min(gc.shift_torque_nm, 0.0)  # load-following, the motor idle
        else:
            t_c = t_top * j / n
        sp = split_gear(plant, state, ctx, gc, t_c, dt)
        if sp.feasible:
            c = ecms_cost(plant, state, ctx, sp, dt, s, bst)
            if c < best:
                best, best_sp, best_d = c, sp, P2Decision(True, g, t_c)
    return best, best_sp, best_d


@jit
def ecms_decide(plant, ctl, state, cs, v0, v1, dt, gr):
    """The ECMS decision for one step (module docstring): (decision, end speed, context, split)."""
    return ecms_decide_planned(plant, ctl, state, cs, v0, v1, dt, gr, -1)


@jit
def ecms_decide_planned(plant, ctl, state, cs, v0, v1, dt, gr, g_plan):
    """:func:`ecms_decide` with the gear ``g_plan`` a procedure prescribes (−1: none): the candidates of that gear
    only (the shift rules do not apply to it); if none is feasible, every gear. No plan: ECMS alone, bit for bit."""
    if not cs:
        return rule_decide_planned(plant, ctl, state, cs, v0, v1, dt, gr, g_plan)
    s = ecms_equivalence(ctl, state.soc)
    b = battery_context(plant, state, dt)
    ctx = road_context(plant, b, v0, v1, dt, gr)
    gb = plant.gb
    g_prev = state.gear
    best = INF
    best_d = P2Decision(False, 0, 0.0)
    best_sp = split_gear(plant, state, ctx, gear_context(plant, state, ctx, 0, False, dt), 0.0, dt)
    w_wheel = ctx.wheel_speed_rad_s
    if w_wheel <= 0.0:
        if best_sp.feasible:
            return best_d, v1, ctx, best_sp
        return rule_decide_planned(plant, ctl, state, cs, v0, v1, dt, gr, g_plan)
    may_shift = timer_reached(state.time_in_gear_s, ctl.min_time_in_gear_s, dt)
    step = int(ctl.max_gear_step)
    bst = battery_state(plant.bat, state.soc)
    ng = gb.ratios.shape[0]
    # three passes, one call site of the (inlined) gear evaluation: the planned gear; else every gear within the
    # shift rules; if none was feasible, any gear
    for pas in range(3):
        if pas < 2 and (pas == 0) != (g_plan >= 0):
            continue
        if pas == 2 and best != INF:
            break
        g_lo = g_plan if pas == 0 else 0
        g_hi = g_plan + 1 if pas == 0 else ng
        for g in range(g_lo, g_hi):
            if pas > 0 and g > 0 and w_wheel * (gb.ratios[g] * gb.final_drive_ratio) < ctl.min_input_speed_rad_s:
                continue
            if pas == 1 and g != g_prev and (not may_shift or abs(g - g_prev) > step):
                continue
            best, best_sp, best_d = _ecms_gear(plant, ctl, state, ctx, g, dt, s, bst, best, best_sp, best_d)
    if best == INF:
        return rule_decide_planned(plant, ctl, state, cs, v0, v1, dt, gr, g_plan)
    return best_d, v1, ctx, best_sp


@jit
def run_p2(plant, ctl, strategy, soc0, cs_init, time_s, speed_mps, grade, gear_plan, out):
    """Simulate a P2 hybrid over a speed trace from SOC ``soc0`` with the decisions of ``strategy`` (RULE_BASED
    or ECMS); fills ``out`` (see ``core.p2.P2Out``).

    ``gear_plan[k]`` (a manual gearbox, ``hybridsim/gearshift.py``) is the gear of the interval k−1 → k the procedure
    prescribes: ≥ 1 that gear (:func:`rule_decide_planned`, :func:`ecms_decide_planned`), ≤ 0 the controller's own
    choice (automatic, AMT, DCT: an array of −1; a manual's 0, clutch disengaged, too: the P2 motor stays on the
    gearbox input, E).

    ``cs_init`` is the controller's initial mode: 1 charge-sustaining, 0 charge-depleting, < 0 by the SOC (CS
    when soc0 < soc_cs_enter + cd_resume_band, i.e. below the top of the hysteresis band, the state a car in
    that band is in after having depleted to soc_cs_enter). The mode then follows the SOC with hysteresis.
    """
    n = time_s.shape[0]
    if cs_init < 0.0:
        cs = soc0 < ctl.soc_cs_enter + ctl.cd_resume_band
    else:
        cs = cs_init > 0.5
    state = initial_state(plant, soc0)
    record_initial(plant, out, state, speed_mps[0])
    out.charge_sustaining[0] = 1.0 if cs else 0.0
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        soc = state.soc
        if cs and soc > ctl.soc_cs_enter + ctl.cd_resume_band:
            cs = False
        elif not cs and soc < ctl.soc_cs_enter:
            cs = True
        g_plan = int(gear_plan[k]) - 1
        if g_plan < 0:
            g_plan = -1
        if strategy == ECMS:
            d, v1, ctx, sp = ecms_decide_planned(plant, ctl, state, cs, v0, speed_mps[k], dt, grade[k], g_plan)
        else:
            d, v1, ctx, sp = rule_decide_planned(plant, ctl, state, cs, v0, speed_mps[k], dt, grade[k], g_plan)
        res = plant_finish(plant, state, ctx, sp, dt)
        record(out, k, res, v1, speed_mps[k])
        out.charge_sustaining[k] = 1.0 if cs else 0.0
        state = res.state
