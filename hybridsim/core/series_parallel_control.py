"""Decisions for the series-parallel plant (``core/series_parallel.py``) and the time-loop kernel.

``RULE_BASED`` (0), Honda-i-MMD-like rules (``control/series_parallel.py``)::

    engine ON  if  P_dem > P_on  or  v > v_EV,max  or  SOC < SOC_on  or  coolant < T_warm
                   or  (on for less than t_min,on)
    engine OFF if  P_dem < P_off, none of the above, and off-time rules; braking: engine off unless forced
    when ON, P_eng = P_dem + P_chg(SOC), P_chg = clamp(K·(SOC_target − SOC), ±P_chg,max):
      ENGINE drive (clutch closed) if v ≥ v_lock,on (stays down to v_lock,off: hysteresis) and the torque
          P_eng/ω_e at the locked engine speed is within [0, share·T_WOT(ω_e)]; MG2 closes the wheel torque
      SERIES otherwise: the engine at P_eng (≥ P_min) on its minimum-fuel operating line, MG1 generating
    infeasible (MG2, MG1, battery): the least series power that suffices, else a trace miss (``fallback``).

``ECMS`` (1): the equivalent-consumption minimisation (Paganelli et al. 2002; adaptive factor after Onori, Serrao
& Rizzoni 2016, as for THS-II): each step, over {EV, series at P_j = j/N·P_max on the operating line, engine drive
at T_j = j/N·T_WOT(ω_lock), j = 0…N}, the feasible candidate with the least P_fuel + s(SOC)·P_batt,chem, with
s(SOC) = s₀ + K_p·(SOC_ref − SOC) and SOC_ref = SOC_target − σ·½·m_eff·v²/E_batt lowered by the share σ of the
car's kinetic energy that braking brings back to the battery. σ is *learnt in the run* (no outer iteration): the
battery energy gained over the braking steps so far over the kinetic energy they shed, started from the prior
``ecms_kinetic_share`` weighted as one stop from ``KINETIC_PRIOR_SPEED_MPS`` (``kinetic_share``). A fixed σ
misjudges the last stop of a cycle, whose recovery sets the end SOC: the Insight brings back 0.58 of its
kinetic energy from 120 km/h on the NEDC where the prior says 0.5, and a fixed 0.5 ended that cycle 1.35 % of
capacity above its start.

Nothing here raises or allocates.
"""

from __future__ import annotations

from . import jit, jit_inline
from .chassis import wheel_force_n
from .driveline import (
    gear_input_torque,
    gear_output_torque,
    record_initial,
    rotor_inertia_torque,
    speed_search,
    speed_search_next,
    trial_speed,
)
from .ecms import adaptive_equivalence, ecms_cannot_win, ecms_terminal_floor
from .electric import battery_state, battery_step_at, battery_window_limits_w, motor_dc_power_floor_w, motor_dc_power_w
from .engine import engine_point
from .series_parallel import (
    ENGINE,
    EV,
    SERIES,
    SpDecision,
    engine_speed_for_power,
    initial_state,
    mg2_close,
    mg2_torque,
    plant_finish,
    record,
    series_torque_for_power,
    split,
    split_elec,
    split_in_given,
    step_context,
    step_fuel_from_map,
)

RULE_BASED = 0
ECMS = 1
POWER_BISECTIONS = 30
#: E: weight of the prior share ``ecms_kinetic_share`` in the learnt one, as the kinetic energy of one stop from
#: this speed (50 km/h: one city stop; after a few stops the run's own braking dominates)
KINETIC_PRIOR_SPEED_MPS = 50.0 / 3.6


@jit
def series_split(plant, state, p, v0, v1, dt, gr):
    """(decision, split) of series mode at engine power p on the operating line."""
    w = engine_speed_for_power(plant, p)
    t = series_torque_for_power(plant, state, p, w, dt)
    return SpDecision(SERIES, w, t), split(plant, state, SERIES, w, t, v0, v1, dt, gr)


@jit
def _best_effort(plant, state, v0, v1, dt, gr):
    """A feasible decision reaching v1: EV, else the least sufficient series power (bisection), else a few fixed
    series powers; (decision, split, found)."""
    d = SpDecision(EV, 0.0, 0.0)
    sp = split(plant, state, EV, 0.0, 0.0, v0, v1, dt, gr)
    if sp.feasible:
        return d, sp, True
    p_max = plant.aux.ool_power_max_w
    dh, sh = series_split(plant, state, p_max, v0, v1, dt, gr)
    if sh.feasible:
        lo = 0.0
        hi = p_max
        for _ in range(POWER_BISECTIONS):
            mid = 0.5 * (lo + hi)
            if series_split(plant, state, mid, v0, v1, dt, gr)[1].feasible:
                hi = mid
            else:
                lo = mid
        d, sp = series_split(plant, state, hi, v0, v1, dt, gr)
        if sp.feasible:
            return d, sp, True
        return dh, sh, True
    for frac in (0.6, 0.35, 0.15, 0.05):
        d, sp = series_split(plant, state, frac * p_max, v0, v1, dt, gr)
        if sp.feasible:
            return d, sp, True
    return d, sp, False


@jit
def fallback(plant, state, v0, v1, dt, gr):
    """Where the decision was infeasible: the best effort at the demanded speed, else the highest end speed some
    decision reaches (bisection); (decision, end speed, split)."""
    d, sp, ok = _best_effort(plant, state, v0, v1, dt, gr)
    if ok:
        return d, v1, sp
    s = speed_search(v1)
    while s.halvings_left > 0:
        s = speed_search_next(s, _best_effort(plant, state, v0, trial_speed(s), dt, gr)[2])
    v1 = s.reachable_mps
    d, sp, ok = _best_effort(plant, state, v0, v1, dt, gr)
    return d, v1, sp


@jit_inline
def rule_decide(plant, ctl, state, v0, v1, dt, gr):
    """The rule-based decision for one step (module docstring): (decision, end speed, split)."""
    aux = plant.aux
    soc = state.soc
    vbar = 0.5 * (v0 + v1)
    f = wheel_force_n(plant.ch, v0, v1, dt, gr)
    p_wheel = f * vbar
    p_dem = (p_wheel / ctl.driveline_efficiency_estimate if p_wheel > 0.0 else 0.0) + aux.accessory_power_w
    cold = plant.th.enabled > 0.0 and state.coolant_temp_c < ctl.warm_coolant_c
    t_state = state.time_in_engine_state_s
    forced = vbar > ctl.ev_speed_max_mps or soc < ctl.soc_engine_on or cold
    if state.mode != EV:
        on = forced or p_dem >= ctl.engine_off_power_w or t_state < ctl.min_on_time_s
    else:
        on = forced or (p_dem > ctl.engine_on_power_w and t_state >= ctl.min_off_time_s)
    if p_wheel <= 0.0 and not forced:
        on = False
    p_chg = ctl.charge_gain_w * (ctl.soc_target - soc)
    if p_chg > ctl.charge_power_max_w:
        p_chg = ctl.charge_power_max_w
    if p_chg < -ctl.charge_power_max_w:
        p_chg = -ctl.charge_power_max_w
    p_eng = p_dem + p_chg
    d = SpDecision(EV, 0.0, 0.0)
    if on:
        v_lock = ctl.lockup_speed_off_mps if state.mode == ENGINE else ctl.lockup_speed_on_mps
        w_lock = vbar / plant.ch.wheel_radius_m * plant.gr.engine_ratio
        locked = False
        if vbar >= v_lock and w_lock >= aux.engine_min_speed_rad_s and w_lock <= plant.eng.max_speed_rad_s:
            t_lock = p_eng / w_lock
            if 0.0 <= t_lock <= ctl.lockup_load_max * engine_point(plant.eng, w_lock, t_lock)[0]:
                d = SpDecision(ENGINE, w_lock, t_lock)
                locked = True
        if not locked:
            if p_eng < ctl.engine_min_power_w:
                p_eng = ctl.engine_min_power_w
            if p_eng > aux.ool_power_max_w:
                p_eng = aux.ool_power_max_w
            w = engine_speed_for_power(plant, p_eng)
            d = SpDecision(SERIES, w, series_torque_for_power(plant, state, p_eng, w, dt))
    sp = split(plant, state, d.mode, d.engine_speed_rad_s, d.engine_torque_nm, v0, v1, dt, gr)
    if sp.feasible:
        return d, v1, sp
    if d.mode == SERIES and not (sp.battery_power_w > 0.0):
        # charging beyond the battery's limit: the most series power that does not
        lo = 0.0
        hi = p_eng
        for _ in range(POWER_BISECTIONS):
            mid = 0.5 * (lo + hi)
            if series_split(plant, state, mid, v0, v1, dt, gr)[1].feasible:
                lo = mid
            else:
                hi = mid
        d2, sp2 = series_split(plant, state, lo, v0, v1, dt, gr)
        if sp2.feasible:
            return d2, v1, sp2
    return fallback(plant, state, v0, v1, dt, gr)


@jit_inline
def _ecms_cost(plant, state, mode, w_e, t_e, ctx, m2, ep, dt, s, lim, bst, p_fuel):
    """(feasible, P_fuel + s·P_batt,chem [W], split) of one candidate of fuel power ``p_fuel`` (``_fuel_power``), on
    the plant's own battery (``split`` = ``split_in`` of the step's context ``ctx`` + ``split_elec`` at the step's
    limits ``lim``, both inlined; ``battery_step_at`` with the step's battery state ``bst``; MG2 with the clutch open,
    ``m2``, the same for every EV and series candidate: all looked up once per step; the engine's point ``ep`` at
    (ω_e, T_e), ``_fuel_power``'s)."""
    m = split_in_given(plant, state.engine_speed_rad_s, ctx, mode, w_e, t_e, dt, m2, ep, True)
    sp = split_elec(plant, m, lim[0], lim[1])
    if not sp.feasible:
        return False, 0.0, sp
    p_chem = battery_step_at(plant.bat, state.soc, bst[0], bst[1], bst[2], sp.battery_power_w, dt)[2]
    return True, p_fuel + s * p_chem, sp


@jit_inline
def _fuel_power(plant, state, mode, w_e, ep, dt):
    """Fuel power [W] of a fuelled candidate at (ω_e, T_e) whose engine point is ``ep`` (``engine_point``): what the
    split's ``fuel_map_kg_s`` (the map at the same point) gives through ``step_fuel_from_map``."""
    fuel = step_fuel_from_map(plant, state, mode, w_e, ep[2], dt)
    return fuel * plant.eng.lhv_j_per_kg


@jit_inline
def kinetic_share(ke_shed_j, e_back_j):
    """The learnt share of kinetic energy braking brings back, within [0, 1]. [-]"""
    f = e_back_j / ke_shed_j
    if f < 0.0:
        return 0.0
    return f if f < 1.0 else 1.0


@jit
def ecms_decide(plant, ctl, state, v0, v1, dt, gr, share):
    """The ECMS decision for one step with kinetic share ``share`` (module docstring): (decision, end speed,
    split).

    A fuelled candidate whose fuel power and a lower bound of its battery power show it cannot beat the best so far
    (``ecms_cannot_win``) skips its split: the same decision as evaluating all. The bound: MG1's (series) or MG2's
    (engine drive) DC power without its loss (``motor_dc_power_floor_w``) at the candidate's torque, the other
    machine's exact power (MG2 with the clutch open, MG1 at zero torque: once per step), and the charge limit
    (``ecms_terminal_floor``); a Rint pack: the chemical power is at least the terminal power."""
    s = adaptive_equivalence(plant.bat, plant.ch.mass_eff_kg, ctl.soc_target, ctl.ecms_equivalence_factor,
                             ctl.ecms_soc_gain, state.soc, v0, share)
    lim = battery_window_limits_w(plant.bat, state.soc, dt)
    bst = battery_state(plant.bat, state.soc)
    ctx = step_context(plant, v0, v1, dt, gr)
    m2 = mg2_close(plant, ctx, 0.0)
    eng = plant.eng
    mg1 = plant.mg1
    gear = plant.gr
    acc = plant.aux.accessory_power_w
    w_e_prev = state.engine_speed_rad_s
    ok, best, best_sp = _ecms_cost(plant, state, EV, 0.0, 0.0, ctx, m2, (0.0, 0.0, 0.0), dt, s, lim, bst, 0.0)
    best_d = SpDecision(EV, 0.0, 0.0)
    n = int(ctl.ecms_power_points)
    p_max = plant.aux.ool_power_max_w
    for j in range(1, n + 1):
        p = p_max * j / n
        w = engine_speed_for_power(plant, p)
        t = series_torque_for_power(plant, state, p, w, dt)
        ep = engine_point(eng, w, t)
        p_fuel = _fuel_power(plant, state, SERIES, w, ep, dt)
        if ok:
            # MG1's torque as split_in_given's (series mode), its DC power without its loss
            w_g = w * gear.generator_ratio
            t_je = rotor_inertia_torque(eng.inertia_kgm2, w, w_e_prev, dt)
            t_jg = rotor_inertia_torque(mg1.inertia_kgm2, w_g, w_e_prev * gear.generator_ratio, dt)
            t_gout = gear_output_torque(t - t_je, 1.0 / gear.generator_ratio, gear.generator_efficiency)
            p_b_floor = motor_dc_power_floor_w(mg1, t_jg - t_gout, w_g) + m2.electric_power_w + acc
            if ecms_cannot_win(p_fuel, s, ecms_terminal_floor(p_b_floor, lim[1]), best):
                continue
        ok2, c, sp = _ecms_cost(plant, state, SERIES, w, t, ctx, m2, ep, dt, s, lim, bst, p_fuel)
        if ok2 and (not ok or c < best):
            ok, best, best_sp, best_d = True, c, sp, SpDecision(SERIES, w, t)
    vbar = 0.5 * (v0 + v1)
    w_lock = vbar / plant.ch.wheel_radius_m * gear.engine_ratio
    if w_lock >= plant.aux.engine_min_speed_rad_s and w_lock <= eng.max_speed_rad_s:
        t_wot = engine_point(eng, w_lock, 0.0)[0]
        # split_in_given's engine drive: MG1 at zero torque, the engine's and MG1's inertia torques (once per step)
        w_g = w_lock * gear.generator_ratio
        t_je = rotor_inertia_torque(eng.inertia_kgm2, w_lock, w_e_prev, dt)
        t_jg = rotor_inertia_torque(mg1.inertia_kgm2, w_g, w_e_prev * gear.generator_ratio, dt)
        t_gin = gear_input_torque(t_jg, 1.0 / gear.generator_ratio, gear.generator_efficiency)
        p_g = motor_dc_power_w(mg1, 0.0, w_g)[0]
        for j in range(0, n + 1):
            t = t_wot * j / n
            ep = engine_point(eng, w_lock, t)
            p_fuel = _fuel_power(plant, state, ENGINE, w_lock, ep, dt)
            if ok:
                t_cl_ax = gear_output_torque(t - t_je - t_gin, gear.engine_ratio, gear.engine_efficiency)
                t_m2 = mg2_torque(plant, ctx, t_cl_ax)[2]
                p_b_floor = p_g + motor_dc_power_floor_w(plant.mg2, t_m2, ctx.mg2_speed_rad_s) + acc
                if ecms_cannot_win(p_fuel, s, ecms_terminal_floor(p_b_floor, lim[1]), best):
                    continue
            ok2, c, sp = _ecms_cost(plant, state, ENGINE, w_lock, t, ctx, m2, ep, dt, s, lim, bst, p_fuel)
            if ok2 and (not ok or c < best):
                ok, best, best_sp, best_d = True, c, sp, SpDecision(ENGINE, w_lock, t)
    if not ok:
        return fallback(plant, state, v0, v1, dt, gr)
    return best_d, v1, best_sp


@jit
def run_series_parallel(plant, ctl, strategy, soc0, time_s, speed_mps, grade, out):
    """Simulate over a speed trace from SOC ``soc0`` with the decisions of ``strategy`` (RULE_BASED); fills
    ``out`` (``core.series_parallel.SpOut``); ``strategy``: RULE_BASED or ECMS."""
    n = time_s.shape[0]
    state = initial_state(plant, soc0)
    record_initial(out, state, speed_mps[0])
    m_eff = plant.ch.mass_eff_kg
    ke_shed = 0.5 * m_eff * KINETIC_PRIOR_SPEED_MPS * KINETIC_PRIOR_SPEED_MPS  # ECMS: the learnt kinetic share
    e_back = ctl.ecms_kinetic_share * ke_shed
    ke_stop = 0.0  # the braking since the car last drove: joins the share if it ends at rest
    e_stop = 0.0
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        if strategy == ECMS:
            d, v1, sp = ecms_decide(plant, ctl, state, v0, speed_mps[k], dt, grade[k], kinetic_share(ke_shed, e_back))
        else:
            d, v1, sp = rule_decide(plant, ctl, state, v0, speed_mps[k], dt, grade[k])
        res = plant_finish(plant, state, d.mode, sp, dt)
        record(out, k, res, v1, speed_mps[k])
        if sp.axle_torque_nm < 0.0 and v1 < v0:  # braking: kinetic energy shed, battery energy gained
            ke_stop += 0.5 * m_eff * (v0 * v0 - v1 * v1)
            e_stop -= res.battery_chemical_power_w * dt
            if v1 <= 0.0:  # a stop: what it brought back joins the learnt share
                ke_shed += ke_stop
                e_back += e_stop
                ke_stop = 0.0
                e_stop = 0.0
        elif v1 > 0.0:  # a slow-down that did not end at rest: not a stop
            ke_stop = 0.0
            e_stop = 0.0
        state = res.state
