"""Decisions for the THS-II plant (``core/ths.py``) and the time-loop kernel that drives it.

A decision layer reads the plant state and the trace and returns a :class:`~hybridsim.core.ths.ThsDecision`
(engine off / fuelled at (ω_e, T_e) / spun unfuelled); the plant step does the physics. Strategies, chosen by
an integer code inside the kernel (DESIGN.md §4):

* ``RULE_BASED`` (0): the Toyota-like rules of ``control/ths.py`` (engine on/off with power hysteresis, minimum
  on/off times, EV speed cap, warm-up; fuelled on the operating line at P_dem + P_chg(SOC)). Where MG1, MG2 or
  the battery cannot deliver, the least engine power that suffices (bisection); where the engine would charge
  beyond the battery's charge limit, the most power that does not; where nothing suffices, the vehicle falls
  behind the trace (``fallback``).
* ``ECMS`` (1): the equivalent-consumption minimisation (Paganelli et al. 2002; adaptive equivalence factor
  after Onori, Serrao & Rizzoni, *Hybrid Electric Vehicles: Energy Management Strategies*, Springer 2016, §5):
  each step, over the candidates {engine off, spun unfuelled, fuelled on the operating line at
  P_j = j/N·P_max, j = 1…N}, the feasible one with the least

      P_fuel + s(SOC)·P_batt,chem,     s(SOC) = s₀ + K_p·(SOC_target − SOC)

  (start fuel included in P_fuel, so a start has its cost). The SOC feedback keeps the run charge-sustaining
  without an outer iteration. No feasible candidate: the same ``fallback`` as the rules.

Nothing here raises or allocates.
"""

from __future__ import annotations

from . import jit, jit_inline
from .driveline import record_initial, speed_search, speed_search_next, trial_speed
from .ecms import adaptive_equivalence, ecms_cannot_win, ecms_terminal_floor
from .electric import battery_state, battery_step_rc_at, battery_window_limits_rc_w, motor_dc_power_floor_w
from .ths import (
    FUELLED,
    OFF,
    SPUN,
    ThsDecision,
    clamp_engine_speed,
    decision_at_power,
    engine_speed_for_power,
    initial_state,
    plant_finish,
    record,
    split,
    split_at_power,
    split_at_power_in,
    split_elec,
    split_in,
    split_mech,
    split_torques,
    step_context,
    step_fuel_kg_s,
    torque_for_power,
)

RULE_BASED = 0
ECMS = 1
POWER_BISECTIONS = 30  # halvings of the engine power in the least-power and charge-limit searches


@jit
def _least_power(plant, state, v0, v1, dt, gr, p_lo):
    """Least engine power ≥ p_lo at which MG1, MG2 and the battery can deliver; −1 if even full power cannot."""
    ctx = step_context(plant, state.soc, state.battery_polarisation_v, v0, v1, dt, gr)
    return _least_power_in(plant, state, ctx, dt, p_lo)


@jit
def _least_power_in(plant, state, ctx, dt, p_lo):
    """``_least_power`` given the step's ``ctx``."""
    p_hi = plant.aux.ool_power_max_w
    rh = split_at_power_in(plant, state, ctx, p_hi, dt)
    if not (rh.ok_traction and rh.mg1_ok):
        return -1.0
    for _ in range(POWER_BISECTIONS):
        p_mid = 0.5 * (p_lo + p_hi)
        rm = split_at_power_in(plant, state, ctx, p_mid, dt)
        if rm.ok_traction and rm.mg1_ok:
            p_hi = p_mid
        else:
            p_lo = p_mid
    return p_hi


@jit
def _best_effort(plant, state, v0, v1, dt, gr):
    """(engine power, mode) that reaches end speed v1 within every limit: fuelled at the least sufficient
    power if there is one, else at the first feasible of a few fixed fractions of full power, else EV
    drive with the engine off (0, 0); (−1, −1) if none is feasible.

    Feasibility is not monotonic in engine power within one step (spinning the engine up from rest
    costs MG1 and battery power), hence the candidates.
    """
    p = _least_power(plant, state, v0, v1, dt, gr, 0.0)
    if p >= 0.0:
        if split_at_power(plant, state, p, v0, v1, dt, gr).feasible:
            return p, FUELLED
    for frac in (0.6, 0.35, 0.15):
        pc = frac * plant.aux.ool_power_max_w
        if split_at_power(plant, state, pc, v0, v1, dt, gr).feasible:
            return pc, FUELLED
    if split(plant, state, OFF, 0.0, 0.0, v0, v1, dt, gr).feasible:
        return 0.0, OFF
    return -1.0, -1


@jit
def _battery_safe(plant, state, v0, v1, dt, gr):
    """(engine power, mode) of the first of engine off and a few fuelled powers whose battery power lies
    within the charge and discharge limits, the accessory load (which can be cut) aside (MG1/MG2 limits may
    be exceeded: a last resort, reported as a trace miss); engine off if none does."""
    p_dis = (battery_window_limits_rc_w(plant.bat, state.soc, state.battery_polarisation_v, dt)[0]
             + plant.aux.accessory_power_w)
    rm = split(plant, state, OFF, 0.0, 0.0, v0, v1, dt, gr)
    if not rm.overcharge and rm.battery_power_w <= p_dis + 1e-6:
        return 0.0, OFF
    for frac in (0.05, 0.15, 0.35, 0.6, 1.0):
        pc = frac * plant.aux.ool_power_max_w
        rm = split_at_power(plant, state, pc, v0, v1, dt, gr)
        if not rm.overcharge and rm.battery_power_w <= p_dis + 1e-6:
            return pc, FUELLED
    return 0.0, OFF


@jit
def fallback(plant, state, v0, v1, dt, gr):
    """Every limit, the charge limit too, where a decision was infeasible: the best effort at the demanded
    speed, else a trace miss (the highest end speed some engine power or EV drive reaches, by bisection).
    Returns (decision, end speed, split)."""
    p_need, m = _best_effort(plant, state, v0, v1, dt, gr)
    if m < 0:
        s = speed_search(v1)
        while s.halvings_left > 0:
            s = speed_search_next(s, _best_effort(plant, state, v0, trial_speed(s), dt, gr)[1] >= 0)
        v1 = s.reachable_mps
        p_need, m = _best_effort(plant, state, v0, v1, dt, gr)
        if m < 0:
            # nothing is feasible even at this speed: the first choice that keeps at least the battery within
            # its limits (so the SOC stays in its window)
            p_need, m = _battery_safe(plant, state, v0, v1, dt, gr)
    if m == FUELLED:
        d = decision_at_power(plant, state, p_need, v0, v1, dt)
    else:
        d = ThsDecision(OFF, 0.0, 0.0)
    return d, v1, split(plant, state, d.engine_mode, d.engine_speed_rad_s, d.engine_torque_nm, v0, v1, dt, gr)


@jit_inline
def rule_decide(plant, ctl, state, v0, v1, dt, gr):
    """The rule-based decision for one step (module docstring): (decision, end speed, split)."""
    aux = plant.aux
    soc = state.soc
    vbar = 0.5 * (v0 + v1)
    # road force, gear-set speeds, battery limits: once per step
    ctx = step_context(plant, soc, state.battery_polarisation_v, v0, v1, dt, gr)
    p_wheel = ctx.wheel_force_n * vbar
    p_dem = (p_wheel / ctl.driveline_efficiency_estimate if p_wheel > 0.0 else 0.0) + aux.accessory_power_w
    w_r = ctx.ring_speed_rad_s
    cold = plant.th.enabled > 0.0 and state.coolant_temp_c < ctl.warm_coolant_c
    t_state = state.time_in_engine_state_s
    w_ep = state.engine_speed_rad_s
    w_gp = state.mg1_speed_rad_s
    # --- engine on/off rule
    forced = vbar > ctl.ev_speed_max_mps or soc < ctl.soc_engine_on or cold
    if state.engine_mode != OFF:
        on = forced or p_dem >= ctl.engine_off_power_w or t_state < ctl.min_on_time_s
    else:
        on = forced or (p_dem > ctl.engine_on_power_w and t_state >= ctl.min_off_time_s)
    p_chg = ctl.charge_gain_w * (ctl.soc_target - soc)
    if p_chg > ctl.charge_power_max_w:
        p_chg = ctl.charge_power_max_w
    if p_chg < -ctl.charge_power_max_w:
        p_chg = -ctl.charge_power_max_w
    p_eng = p_dem + p_chg
    mode = OFF
    w_e = 0.0
    t_e = 0.0
    if on:
        if p_wheel <= 0.0 and not cold and soc >= ctl.soc_engine_on:
            mode = SPUN  # on, but nothing to drive or charge: fuel cut, MG1 holds the spin speed
            w_e = clamp_engine_speed(plant, ctl.spin_speed_rad_s, w_r)
        else:
            mode = FUELLED
            if p_eng < ctl.engine_min_power_w:
                p_eng = ctl.engine_min_power_w
            if p_eng > aux.ool_power_max_w:
                p_eng = aux.ool_power_max_w
            w_e = engine_speed_for_power(plant, p_eng, w_r)
            t_e = torque_for_power(plant, p_eng, w_e, w_r, w_ep, w_gp, dt)
    # split_in's body, inlined (the step's one split on its common path: a call passes the whole plant by value)
    res = split_elec(plant, split_mech(plant, w_ep, w_gp, ctx, mode, w_e, t_e, dt), ctx.battery_discharge_max_w,
                     ctx.battery_charge_max_w)
    if not (res.ok_traction and res.mg1_ok):
        # more engine power: the least that makes MG2, MG1 and the battery feasible
        p_need = _least_power_in(plant, state, ctx, dt, p_eng if mode == FUELLED else 0.0)
        if p_need >= 0.0:
            mode = FUELLED
            w_e = engine_speed_for_power(plant, p_need, w_r)
            t_e = torque_for_power(plant, p_need, w_e, w_r, w_ep, w_gp, dt)
            res = split_in(plant, state, ctx, mode, w_e, t_e, dt)
    elif res.overcharge and mode == FUELLED:
        # the engine charges beyond the battery limit: the most engine power that does not
        p_lo = 0.0
        p_hi = p_eng
        for _ in range(POWER_BISECTIONS):
            p_mid = 0.5 * (p_lo + p_hi)
            if not split_at_power_in(plant, state, ctx, p_mid, dt).feasible:
                p_hi = p_mid
            else:
                p_lo = p_mid
        w_e = engine_speed_for_power(plant, p_lo, w_r)
        t_e = torque_for_power(plant, p_lo, w_e, w_r, w_ep, w_gp, dt)
        res = split_in(plant, state, ctx, mode, w_e, t_e, dt)
    if not res.feasible:
        return fallback(plant, state, v0, v1, dt, gr)
    return ThsDecision(mode, w_e, t_e), v1, res


@jit_inline
def ecms_cost(plant, state, ctx, mode, w_e, t_e, dt, s, bst):
    """(feasible, P_fuel + s·P_batt,chem [W], split) of one ECMS candidate, on the plant's own fuel and battery
    functions (``step_fuel_kg_s``, ``battery_step_rc_at`` with ``bst`` = ``battery_state`` at the step's SOC, looked
    up once per step, for the OCV, and the step OCV and resistances of ``ctx``)."""
    w = w_e
    t = t_e
    if mode == OFF:
        w = 0.0
        t = 0.0
    fuel = step_fuel_kg_s(plant, state, mode, w, t, dt)
    return _ecms_cost_fuelled(plant, state, ctx, mode, w_e, t_e, dt, s, bst, fuel * plant.eng.lhv_j_per_kg)


@jit_inline
def _ecms_cost_fuelled(plant, state, ctx, mode, w_e, t_e, dt, s, bst, p_fuel):
    """``ecms_cost`` given the candidate's fuel power ``p_fuel`` (``step_fuel_kg_s`` at the split's engine point, which
    for OFF and FUELLED is the decision's own: (0, 0) and (w_e, t_e))."""
    # split_in's body, inlined: a call passes the whole plant (every table) by value, as costly as the split itself
    sp = split_elec(plant, split_mech(plant, state.engine_speed_rad_s, state.mg1_speed_rad_s, ctx, mode, w_e, t_e, dt),
                    ctx.battery_discharge_max_w, ctx.battery_charge_max_w)
    if not sp.feasible:
        return False, 0.0, sp
    p_chem = battery_step_rc_at(plant.bat, state.soc, state.battery_polarisation_v, bst[0], ctx.battery_ocv_v,
                                ctx.battery_r_dis_ohm, ctx.battery_r_chg_ohm, sp.battery_power_w, dt)[2]
    return True, p_fuel + s * p_chem, sp


@jit
def ecms_decide(plant, ctl, state, v0, v1, dt, gr):
    """The ECMS decision for one step (module docstring): (decision, end speed, split).

    Every candidate is compared, but a fuelled candidate whose fuel power and a lower bound of its battery power show
    it cannot beat the best so far (``ecms_cannot_win``) skips its split: the same decision as evaluating all. The
    bound: MG1's and MG2's DC power without their losses (``motor_dc_power_floor_w``) at the split's torques
    (``split_torques``), and the charge limit (``ecms_terminal_floor``)."""
    s = adaptive_equivalence(plant.bat, plant.ch.mass_eff_kg, ctl.soc_target, ctl.ecms_equivalence_factor,
                             ctl.ecms_soc_gain, state.soc, v0, ctl.ecms_kinetic_share)
    ctx = step_context(plant, state.soc, state.battery_polarisation_v, v0, v1, dt, gr)
    bst = battery_state(plant.bat, state.soc)
    w_r = ctx.ring_speed_rad_s
    w_ep = state.engine_speed_rad_s
    w_gp = state.mg1_speed_rad_s
    lhv = plant.eng.lhv_j_per_kg
    mg1 = plant.mg1
    mg2 = plant.mg2
    acc = plant.aux.accessory_power_w
    w_m2 = ctx.mg2_speed_rad_s
    chem_per_term = bst[0] / ctx.battery_ocv_v  # OCV / step OCV (ecms_cannot_win): 1 on a Rint pack
    ok, best, best_sp = ecms_cost(plant, state, ctx, OFF, 0.0, 0.0, dt, s, bst)
    best_mode = OFF
    best_w = 0.0
    best_t = 0.0
    w_spin = clamp_engine_speed(plant, ctl.spin_speed_rad_s, w_r)
    ok2, c, sp = ecms_cost(plant, state, ctx, SPUN, w_spin, 0.0, dt, s, bst)
    if ok2 and (not ok or c < best):
        ok, best, best_sp, best_mode, best_w, best_t = True, c, sp, SPUN, w_spin, 0.0
    n = ctl.ecms_power_points
    p_max = plant.aux.ool_power_max_w
    for j in range(1, int(n) + 1):
        p = p_max * j / n
        w = engine_speed_for_power(plant, p, w_r)
        t = torque_for_power(plant, p, w, w_r, w_ep, w_gp, dt)
        p_fuel = step_fuel_kg_s(plant, state, FUELLED, w, t, dt) * lhv
        if ok:
            # the torques of split_mech, both machines' DC power without their losses
            tq = split_torques(plant, w_ep, w_gp, ctx, FUELLED, w, t, dt)
            p_b_floor = motor_dc_power_floor_w(mg1, tq[8], tq[2]) + motor_dc_power_floor_w(mg2, tq[9], w_m2) + acc
            if ecms_cannot_win(p_fuel, s, chem_per_term * ecms_terminal_floor(p_b_floor, ctx.battery_charge_max_w),
                               best):
                continue
        ok2, c, sp = _ecms_cost_fuelled(plant, state, ctx, FUELLED, w, t, dt, s, bst, p_fuel)
        if ok2 and (not ok or c < best):
            ok, best, best_sp, best_mode, best_w, best_t = True, c, sp, FUELLED, w, t
    if not ok:
        return fallback(plant, state, v0, v1, dt, gr)
    return ThsDecision(best_mode, best_w, best_t), v1, best_sp


@jit
def run_ths_rule(plant, ctl, soc0, time_s, speed_mps, grade, out):
    """Simulate a THS-II hybrid over a speed trace from SOC ``soc0`` with the rule-based decisions; fills ``out``
    (see ``core.ths.ThsOut``). One kernel per strategy: a first run compiles only the decisions it uses."""
    n = time_s.shape[0]
    state = initial_state(plant, soc0)
    record_initial(out, state, speed_mps[0])
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        d, v1, sp = rule_decide(plant, ctl, state, v0, speed_mps[k], dt, grade[k])
        res = plant_finish(plant, state, d.engine_mode, sp, dt)
        record(out, k, plant, res, v1, speed_mps[k])
        state = res.state


@jit
def run_ths_ecms(plant, ctl, soc0, time_s, speed_mps, grade, out):
    """``run_ths_rule`` with the ECMS decisions."""
    n = time_s.shape[0]
    state = initial_state(plant, soc0)
    record_initial(out, state, speed_mps[0])
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        d, v1, sp = ecms_decide(plant, ctl, state, v0, speed_mps[k], dt, grade[k])
        res = plant_finish(plant, state, d.engine_mode, sp, dt)
        record(out, k, plant, res, v1, speed_mps[k])
        state = res.state


#: the kernel of each strategy code (``run_ths`` in Python: the runner calls the strategy's own kernel)
KERNELS = {RULE_BASED: run_ths_rule, ECMS: run_ths_ecms}


def run_ths(plant, ctl, strategy, soc0, time_s, speed_mps, grade, out):
    """Simulate a THS-II hybrid over a speed trace from SOC ``soc0`` with the decisions of ``strategy``
    (RULE_BASED or ECMS); fills ``out`` (see ``core.ths.ThsOut``): the strategy's kernel."""
    KERNELS[int(strategy)](plant, ctl, soc0, time_s, speed_mps, grade, out)
