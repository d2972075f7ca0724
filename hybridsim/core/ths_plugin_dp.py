"""Dynamic programming for the THS-II plug-in plant (``core/ths_plugin.py``) in charge-sustaining operation: the
least fuel over a whole cycle, the rear axle's force (E-Four) part of the decision.

The problem of ``core/ths_dp.py`` (Bellman; Lin et al. 2003; Sundström & Guzzella 2009)::

    minimise  Σ_k ṁ_fuel,k·Δt_k + φ(SOC_N),   φ(SOC) = λ_T·|SOC − SOC_0|

over the decisions d_k = (engine decision e, rear force candidate r): e ∈ {engine off, spun unfuelled at the spin
speed, fuelled on the operating line at P_j = j/N·P_max, j = 1…N} (``ths_dp.decisions``) and, with a rear motor,
r ∈ {the least rear force (what the front tyres cannot transmit, else none), the rules' share
(``ths_plugin_control.rear_rule``), all of the wheel force F}, each cut by ``rear_step`` to the rear machine's
envelope (regeneration faded at low speed) and the rear tyres' traction (the same three forces the ECMS weighs,
its "none" raised to the front tyres' floor; a candidate whose rear axle repeats an earlier one's, at rest or
where the limits cut two alike, is skipped: ``repeats``). Three rear forces, not a grid: the rear force's effect
on the fuel is through the battery power of an efficient machine, which the engine candidates already trade; a
finer rear grid multiplies the work (steps × (N + 2)² × R × grid points) for little. Without a rear motor R = 1
(no rear force) and this is the THS-II DP on the plug-in's plant.

The rear candidates are *not* cut by the battery (``rear_step`` with an open power window, so that a candidate is
the same at every SOC grid point): its DC power is in the front plant's battery-side load (``front_plant``), and
the front split's battery limits (``core.ths.split_elec``) act on the whole: a candidate beyond them is infeasible
at that SOC (the rules instead cut the rear force to the power left: ``ths_plugin_control.rear_for``).

State: the SOC grid × the previous engine decision (the rear axle has no state: its rotor turns with the wheels,
its inertia in the chassis's effective mass), which with the trace fixes the rest of the plant's state (engine
mode and speed, MG1 speed), as in ``core/ths_dp.py``: J has (N + 2) layers, each the least over the rear
candidates. The engine warm (a cold start's coolant would be a further state). The controller mode is CS
throughout (recorded as 1). Where no decision is feasible in the forward pass, the rules of CS mode take over
(``ths_plugin_control.rule_step``: their best effort, a trace miss). Nothing here raises or allocates.
"""

from __future__ import annotations

from . import jit
from .chassis import wheel_force_n
from .dp_grid import cost_to_go, grid_battery_states, grid_window_limits, terminal
from .driveline import record_initial
from .electric import battery_step_at
from .ths import (
    OFF,
    coolant_initial_c,
    initial_state,
    recovery_dc_w,
    split_in,
    step_context,
    step_fuel_kg_s,
)
from .ths_dp import decision_torque, decisions, relax_layers
from .ths_plugin import axle_traction_n, front_plant, plant_finish, rear_step, record
from .ths_plugin_control import rear_rule, rule_step

REAR_CANDIDATES = 3  # with a rear motor (module docstring); 1 without
OPEN_W = 1e300  # the rear step's battery power window: open (the front split's battery limits act on the sum)


@jit
def rear_wanted(plant, pctl, f, v0, v1, dt, r):
    """The rear force asked by candidate ``r`` for a wheel force ``f``: 0 the least (what the front tyres cannot
    transmit, else 0), 1 the rules' (``rear_rule``), 2 all of ``f``; 0 without a rear motor. [N]"""
    if plant.rear.enabled <= 0.0:
        return 0.0
    if r == 1:
        return rear_rule(plant, pctl, f, v0, v1, dt)
    if r == 2:
        return f
    f_f_max = axle_traction_n(plant, (v1 - v0) / dt)[0]
    if f > f_f_max:
        return f - f_f_max
    if f < -f_f_max:
        return f + f_f_max
    return 0.0


@jit
def n_rear(plant):
    """The number of rear candidates: REAR_CANDIDATES with a rear motor, 1 without."""
    return REAR_CANDIDATES if plant.rear.enabled > 0.0 else 1


@jit
def rear_candidate(plant, pctl, f, v0, v1, dt, r):
    """The rear axle of candidate ``r`` (``rear_step`` with the battery window open: module docstring)."""
    return rear_step(plant, rear_wanted(plant, pctl, f, v0, v1, dt, r), v0, v1, dt, OPEN_W, OPEN_W)


@jit
def repeats(plant, pctl, f, v0, v1, dt, rc, rear):
    """Candidate ``rc``'s rear axle ``rear`` is an earlier candidate's (the same force and DC power: at rest, above the
    rules' speed, where the rear axle's limits cut two alike): the same step, skipped."""
    for q in range(rc):
        e = rear_candidate(plant, pctl, f, v0, v1, dt, q)
        if e.force_n == rear.force_n and e.electric_power_w == rear.electric_power_w:
            return True
    return False


@jit
def backward(plant, ctl, pctl, n_power, soc_target, penalty_kg, soc0_grid, dsoc, time_s, speed_mps, grade, j,
             dec_mode, dec_w, dec_p, prev_mode, prev_w, prev_p, lim_dis, lim_chg, ocv, r_dis, r_chg):
    """Backward induction: J[k, e, i], the least fuel from sample k to the end with SOC grid point i after engine
    decision e of the step that ended at sample k; J[n−1] = φ. ``dec_*``, ``prev_*`` (n_power + 2), ``lim_*`` and
    ``ocv``, ``r_dis``, ``r_chg`` (grid points) are work arrays. ``ctl`` is the CS rules' ``ThsControlK`` (its spin
    speed), ``pctl`` the plug-in's (the rear rule)."""
    n = time_s.shape[0]
    ns = j.shape[2]
    ths = plant.ths
    r_wh = ths.ch.wheel_radius_m
    ir = ths.pg.ring_ratio
    k = ths.pg.k
    bat = ths.bat
    temp = coolant_initial_c(ths.th)
    nr = n_rear(plant)
    grid_battery_states(bat, soc0_grid, dsoc, ocv, r_dis, r_chg)
    for layer in range(j.shape[1]):
        terminal(soc0_grid, dsoc, soc_target, penalty_kg, j[n - 1, layer])
    for kk in range(n - 1, 0, -1):  # interval kk: samples kk−1 → kk; fills J[kk − 1]
        dt = time_s[kk] - time_s[kk - 1]
        v0 = speed_mps[kk - 1]
        v1 = speed_mps[kk]
        gr = grade[kk]
        w_r = 0.5 * (v0 + v1) / r_wh * ir
        nd = decisions(ths, ctl, n_power, w_r, dec_mode, dec_w, dec_p)
        w_r_prev = 0.0
        if kk >= 2:
            w_r_prev = 0.5 * (speed_mps[kk - 2] + v0) / r_wh * ir
            n_prev = decisions(ths, ctl, n_power, w_r_prev, prev_mode, prev_w, prev_p)
        else:
            n_prev = 1  # the run starts with the engine off and at rest: decision 0 (OFF)
            prev_mode[0] = OFF
            prev_w[0] = 0.0
        grid_window_limits(bat, soc0_grid, dsoc, ocv, r_dis, r_chg, dt, lim_dis, lim_chg)
        jk = j[kk - 1]
        for layer in range(j.shape[1]):
            for i in range(ns):
                jk[layer, i] = 1e300
        f = wheel_force_n(ths.ch, v0, v1, dt, gr)
        for rc in range(nr):
            rear = rear_candidate(plant, pctl, f, v0, v1, dt, rc)
            if repeats(plant, pctl, f, v0, v1, dt, rc, rear):
                continue
            fp = front_plant(plant, rear, gr)
            ctx = step_context(fp, soc_target, 0.0, v0, v1, dt, gr)  # its battery limits are not used
            relax_layers(fp, ctx, soc_target, temp, k, w_r, w_r_prev, prev_mode, prev_w, n_prev, dec_mode, dec_w,
                         dec_p, nd, j[kk], lim_dis, lim_chg, ocv, r_dis, r_chg, soc0_grid, dsoc, dt, jk)


@jit
def forward(plant, ctl, pctl, n_power, soc0, soc0_grid, dsoc, time_s, speed_mps, grade, j, dec_mode, dec_w, dec_p,
            out):
    """Forward pass on the exact plant from SOC ``soc0``: each step the feasible (engine, rear) decision with the
    least fuel + J_{k+1}(SOC_{k+1}); fills ``out`` (``core.ths_plugin.ThsPluginOut``, controller mode CS). Returns
    the steps that fell back to the CS rules."""
    n = time_s.shape[0]
    ths = plant.ths
    r_wh = ths.ch.wheel_radius_m
    nr = n_rear(plant)
    state = initial_state(ths, soc0)
    record_initial(out, state, speed_mps[0])
    out.charge_sustaining[0] = 1
    fallbacks = 0
    for kk in range(1, n):
        dt = time_s[kk] - time_s[kk - 1]
        v0 = out.speed_mps[kk - 1]
        v1 = speed_mps[kk]
        gr = grade[kk]
        w_r = 0.5 * (v0 + v1) / r_wh * ths.pg.ring_ratio
        nd = decisions(ths, ctl, n_power, w_r, dec_mode, dec_w, dec_p)
        f = wheel_force_n(ths.ch, v0, v1, dt, gr)
        best = 1e300
        best_d = -1
        best_r = 0
        best_t = 0.0
        for rc in range(nr):
            rear = rear_candidate(plant, pctl, f, v0, v1, dt, rc)
            if repeats(plant, pctl, f, v0, v1, dt, rc, rear):
                continue
            fp = front_plant(plant, rear, gr)
            ctx = step_context(fp, state.soc, state.battery_polarisation_v, v0, v1, dt, gr)
            for d in range(nd):
                mode = dec_mode[d]
                t_e = decision_torque(fp, mode, dec_p[d], dec_w[d], w_r, state.engine_speed_rad_s,
                                      state.mg1_speed_rad_s, dt)
                sp = split_in(fp, state, ctx, mode, dec_w[d], t_e, dt)
                if not sp.feasible:
                    continue
                fuel = step_fuel_kg_s(fp, state, mode, sp.engine_speed_rad_s, sp.engine_torque_nm, dt) * dt
                p_b = sp.battery_power_w + recovery_dc_w(
                    fp, state.soc, state.battery_polarisation_v, mode == OFF and state.engine_speed_rad_s == 0.0,
                    state.engine_speed_rad_s,
                    state.mg1_speed_rad_s, sp, sp.battery_power_w, dt)
                soc_next = battery_step_at(ths.bat, state.soc, ctx.battery_ocv_v, ctx.battery_r_dis_ohm,
                                           ctx.battery_r_chg_ohm, p_b, dt)[4]
                c = fuel + cost_to_go(j[kk, d], soc0_grid, dsoc, soc_next)
                if c < best:
                    best = c
                    best_d = d
                    best_r = rc
                    best_t = t_e
        if best_d >= 0:
            mode = dec_mode[best_d]
            rear = rear_candidate(plant, pctl, f, v0, v1, dt, best_r)
            fp = front_plant(plant, rear, gr)
            ctx = step_context(fp, state.soc, state.battery_polarisation_v, v0, v1, dt, gr)
            sp = split_in(fp, state, ctx, mode, dec_w[best_d], best_t, dt)
        else:
            fp, rear, dcs, v1, sp = rule_step(plant, ctl, pctl, state, v0, v1, dt, gr)
            mode = dcs.engine_mode
            fallbacks += 1
        res, p_acc = plant_finish(plant, fp, state, mode, sp, rear, dt)
        record(out, kk, fp, res, p_acc, rear, 1, v1, speed_mps[kk])
        state = res.state
    return fallbacks
