"""Dynamic programming for the THS-II plant: the least fuel over a whole cycle (issue 14).

Problem (Bellman 1957; for hybrids Lin, Peng, Grizzle & Kang, IEEE TCST 11(6), 2003; Sundström & Guzzella,
"A generic dynamic programming Matlab function", IEEE CCA 2009, for the grid and the terminal penalty)::

    minimise  Σ_k ṁ_fuel,k·Δt_k + φ(SOC_N),   φ(SOC) = λ_T·|SOC − SOC_0|

over the decisions d_k ∈ {engine off, spun unfuelled at the spin speed, fuelled on the operating line at
P_j = j/N·P_max, j = 1…N}, the trace followed exactly (v_{k−1} → v_k), the plant step of ``core/ths.py``
deciding feasibility (every limit), fuel and the SOC at the end of the step. λ_T is far above any fuel value
of stored energy, so the optimum ends at SOC_0 (to the grid's resolution). The engine warm: a cold start's
coolant temperature would be a further state (``simulate`` refuses ``strategy="dp"`` with ``cold_start``).

State of the DP: the SOC on a uniform grid (the cost-to-go J_k is interpolated linearly between grid points, an
infeasible point never blended with a feasible one: ``core/dp_grid.py``; beyond the grid a state is infeasible) ×
the decision taken in the previous step. The previous decision fixes the rest of the plant's state exactly (engine
mode, so the start fuel; engine and MG1 speeds, so the rotor inertia torques: they depend on the trace, not on the
SOC), so the backward pass runs the exact plant step of a warm engine that follows the trace. The step is split once
per (previous decision, decision) into its battery-independent mechanics (``split_mech``) and its battery side
(``split_elec``) with the limits open; per SOC grid point the battery step, and ``split_elec`` again only where that
point's limits bind and differ from the last ones it was taken at (``relax_layers``). A battery with a 1-RC branch
(``components/battery.py``) has its polarisation voltage as a further state, which the grid does not hold: the
backward pass steps the battery with R0 alone (a step from a relaxed branch, V1 = 0, adds only R1·(1 − g), g =
(τ/Δt)·(1 − e^(−Δt/τ)): 4 % of R1 for τ = 12.5 s, Δt = 1 s), an approximation of the cost-to-go only. The forward
pass then runs the plant from the exact state (the polarisation voltage included), choosing each step the decision
with the least fuel + J_{k+1}(SOC_{k+1}); where no decision is feasible (a trace the vehicle cannot follow) it falls
back to the rules' best effort (``ths_control.fallback``).

Work: steps × (N + 2)² × grid points battery steps, plus a split at binding limits per distinct limit (a
regeneration cut to the charge limit is three root solves: ``electric.regen_to_charge_limit``; in the charge-derate
band every grid point has its own limit, and these solves are most of the time). Memory: J is steps × (N + 2) × grid
points float64, preallocated by the caller (WLTC, N = 12, 201 points: 1,801 × 14 × 201 × 8 B ≈ 41 MB). Nothing here
raises or allocates.
"""

from __future__ import annotations

import math

from . import jit, jit_inline
from .dp_grid import INFEASIBLE_KG, cost_to_go, grid_battery_states, grid_window_limits, terminal
from .driveline import record_initial
from .electric import battery_step_at
from .ths import (
    FUELLED,
    OFF,
    SPUN,
    ThsState,
    clamp_engine_speed,
    coolant_initial_c,
    engine_speed_for_power,
    initial_state,
    plant_finish,
    record,
    recovery_dc_w,
    split_elec,
    split_in,
    split_mech,
    step_context,
    step_fuel_kg_s,
    torque_for_power,
)
from .ths_control import fallback


@jit
def decisions(plant, ctl, n_power, w_r, dec_mode, dec_w, dec_p):
    """Fill the candidate decisions of a step (ring speed w_r): 0 OFF, 1 SPUN, 2… FUELLED at P_j (mode, engine
    speed, engine power; the torque depends on the previous speeds too: ``decision_torque``); returns their
    number."""
    dec_mode[0] = OFF
    dec_w[0] = 0.0
    dec_p[0] = 0.0
    dec_mode[1] = SPUN
    dec_w[1] = clamp_engine_speed(plant, ctl.spin_speed_rad_s, w_r)
    dec_p[1] = 0.0
    p_max = plant.aux.ool_power_max_w
    for j in range(1, n_power + 1):
        p = p_max * j / n_power
        w = engine_speed_for_power(plant, p, w_r)
        dec_mode[1 + j] = FUELLED
        dec_w[1 + j] = w
        dec_p[1 + j] = p
    return n_power + 2


@jit
def decision_torque(plant, mode, p, w, w_r, w_e_prev, w_g_prev, dt):
    """Engine torque of a candidate: ``torque_for_power`` from the previous engine and MG1 speeds if FUELLED,
    else 0 (the plant sets a spun engine's motoring torque). [N·m]"""
    if mode == FUELLED:
        return torque_for_power(plant, p, w, w_r, w_e_prev, w_g_prev, dt)
    return 0.0


@jit_inline
def relax_layers(plant, ctx, soc_target, temp, k, w_r, w_r_prev, prev_mode, prev_w, n_prev, dec_mode, dec_w, dec_p, nd,
                 j_next, lim_dis, lim_chg, ocv, r_dis, r_chg, soc0_grid, dsoc, dt, jk):
    """One interval of the backward induction on ``plant``: for every previous decision (layer: the engine state
    the step starts from), decision d and SOC grid point i, lower ``jk[layer, i]`` to the step's fuel plus the
    cost-to-go ``j_next[d]`` from the SOC it reaches (+ ``INFEASIBLE_KG`` where the split is infeasible). Shared by
    the THS-II DP and its plug-in's (which calls it once per rear-axle force, on the front plant).

    A split's battery side depends on the SOC only where a battery limit binds: it is taken once without limits
    and again only where its terminal power lies outside a grid point's limits (``split_elec``'s own tests) and
    those limits differ from the last ones it was taken at (within the SOC window the power limits are mostly the
    same at every grid point, and a regeneration cut to the charge limit is a root solve), so every grid point
    reads what ``split_elec`` at its limits returns. The SOC transition steps the grid point's battery state
    (``ocv``, ``r_dis``, ``r_chg``: ``grid_battery_states``) as ``battery_step`` would."""
    bat = plant.bat
    ns = jk.shape[1]
    for layer in range(n_prev):
        w_prev = prev_w[layer] if prev_mode[layer] != OFF else 0.0
        st = ThsState(soc_target, w_prev, (1.0 + k) * w_prev - k * w_r_prev, temp, prev_mode[layer], 0.0, 0.0)
        for d in range(nd):
            mode = dec_mode[d]
            t_e = decision_torque(plant, mode, dec_p[d], dec_w[d], w_r, w_prev, st.mg1_speed_rad_s, dt)
            m = split_mech(plant, st.engine_speed_rad_s, st.mg1_speed_rad_s, ctx, mode, dec_w[d], t_e, dt)
            fuel = step_fuel_kg_s(plant, st, mode, m.engine_speed_rad_s, m.engine_torque_nm, dt) * dt
            jn = j_next[d]
            sp0 = split_elec(plant, m, math.inf, math.inf)  # no limit binds
            p_b0 = sp0.battery_power_w
            sp_lim = sp0  # the last split at binding limits, and those limits
            c_dis = c_chg = math.nan
            for i in range(ns):
                sp = sp0
                if not (p_b0 >= -lim_chg[i] and p_b0 <= lim_dis[i] + 1e-6):
                    if lim_dis[i] != c_dis or lim_chg[i] != c_chg:
                        sp_lim = split_elec(plant, m, lim_dis[i], lim_chg[i])
                        c_dis = lim_dis[i]
                        c_chg = lim_chg[i]
                    sp = sp_lim
                soc = soc0_grid + i * dsoc
                p_b = sp.battery_power_w + recovery_dc_w(plant, soc, 0.0, mode == OFF and w_prev == 0.0, w_prev,
                                                          st.mg1_speed_rad_s, sp, sp.battery_power_w, dt)
                soc_next = battery_step_at(bat, soc, ocv[i], r_dis[i], r_chg[i], p_b, dt)[4]
                c = fuel + cost_to_go(jn, soc0_grid, dsoc, soc_next)
                if not sp.feasible:
                    c += INFEASIBLE_KG
                if c < jk[layer, i]:
                    jk[layer, i] = c


@jit
def backward(plant, ctl, n_power, soc_target, penalty_kg, soc0_grid, dsoc, time_s, speed_mps, grade, j,
             dec_mode, dec_w, dec_p, prev_mode, prev_w, prev_p, lim_dis, lim_chg, ocv, r_dis, r_chg):
    """Backward induction: fill J[k, d, i], the least fuel from sample k to the end with SOC grid point i after
    decision d of the step that ended at sample k (its engine mode and speed are the plant's state); J[n−1] = φ.
    ``dec_*``, ``prev_*`` (n_power + 2), ``lim_*`` and ``ocv``, ``r_dis``, ``r_chg`` (grid points) are work
    arrays."""
    n = time_s.shape[0]
    ns = j.shape[2]
    r = plant.ch.wheel_radius_m
    ir = plant.pg.ring_ratio
    k = plant.pg.k
    bat = plant.bat
    temp = coolant_initial_c(plant.th)
    grid_battery_states(bat, soc0_grid, dsoc, ocv, r_dis, r_chg)
    for layer in range(j.shape[1]):
        terminal(soc0_grid, dsoc, soc_target, penalty_kg, j[n - 1, layer])
    for kk in range(n - 1, 0, -1):  # interval kk: samples kk−1 → kk; fills J[kk − 1]
        dt = time_s[kk] - time_s[kk - 1]
        v0 = speed_mps[kk - 1]
        v1 = speed_mps[kk]
        w_r = 0.5 * (v0 + v1) / r * ir
        nd = decisions(plant, ctl, n_power, w_r, dec_mode, dec_w, dec_p)
        w_r_prev = 0.0
        if kk >= 2:
            w_r_prev = 0.5 * (speed_mps[kk - 2] + v0) / r * ir
            n_prev = decisions(plant, ctl, n_power, w_r_prev, prev_mode, prev_w, prev_p)
        else:
            n_prev = 1  # the run starts with the engine off and at rest: decision 0 (OFF)
            prev_mode[0] = OFF
            prev_w[0] = 0.0
        ctx = step_context(plant, soc_target, 0.0, v0, v1, dt, grade[kk])  # its battery limits are not used
        grid_window_limits(bat, soc0_grid, dsoc, ocv, r_dis, r_chg, dt, lim_dis, lim_chg)
        jk = j[kk - 1]
        for layer in range(j.shape[1]):
            for i in range(ns):
                jk[layer, i] = 1e300
        relax_layers(plant, ctx, soc_target, temp, k, w_r, w_r_prev, prev_mode, prev_w, n_prev, dec_mode, dec_w,
                     dec_p, nd, j[kk], lim_dis, lim_chg, ocv, r_dis, r_chg, soc0_grid, dsoc, dt, jk)

@jit
def forward(plant, ctl, n_power, soc0, soc0_grid, dsoc, time_s, speed_mps, grade, j, dec_mode, dec_w, dec_p, out):
    """Forward pass on the exact plant from SOC ``soc0``: each step the feasible decision with the least
    fuel + J_{k+1}(SOC_{k+1}); fills ``out`` (``core.ths.ThsOut``). Returns the steps that fell back to the
    rules' best effort."""
    n = time_s.shape[0]
    r = plant.ch.wheel_radius_m
    state = initial_state(plant, soc0)
    record_initial(out, state, speed_mps[0])
    fallbacks = 0
    for kk in range(1, n):
        dt = time_s[kk] - time_s[kk - 1]
        v0 = out.speed_mps[kk - 1]
        v1 = speed_mps[kk]
        ctx = step_context(plant, state.soc, state.battery_polarisation_v, v0, v1, dt, grade[kk])
        w_r = 0.5 * (v0 + v1) / r * plant.pg.ring_ratio
        nd = decisions(plant, ctl, n_power, w_r, dec_mode, dec_w, dec_p)
        best = 1e300
        best_d = -1
        best_t = 0.0
        for d in range(nd):
            mode = dec_mode[d]
            t_e = decision_torque(plant, mode, dec_p[d], dec_w[d], w_r, state.engine_speed_rad_s,
                                  state.mg1_speed_rad_s, dt)
            sp = split_in(plant, state, ctx, mode, dec_w[d], t_e, dt)
            if not sp.feasible:
                continue
            fuel = step_fuel_kg_s(plant, state, mode, sp.engine_speed_rad_s, sp.engine_torque_nm, dt) * dt
            p_b = sp.battery_power_w + recovery_dc_w(
                plant, state.soc, state.battery_polarisation_v, mode == OFF and state.engine_speed_rad_s == 0.0,
                state.engine_speed_rad_s,
                state.mg1_speed_rad_s, sp, sp.battery_power_w, dt)
            # the SOC the plant reaches (battery_step_rc_at: the current from the step OCV and resistance)
            soc_next = battery_step_at(plant.bat, state.soc, ctx.battery_ocv_v, ctx.battery_r_dis_ohm,
                                       ctx.battery_r_chg_ohm, p_b, dt)[4]
            c = fuel + cost_to_go(j[kk, d], soc0_grid, dsoc, soc_next)
            if c < best:
                best = c
                best_d = d
                best_t = t_e
        if best_d >= 0:
            mode = dec_mode[best_d]
            sp = split_in(plant, state, ctx, mode, dec_w[best_d], best_t, dt)
        else:
            dcs, v1, sp = fallback(plant, state, v0, v1, dt, grade[kk])
            mode = dcs.engine_mode
            fallbacks += 1
        res = plant_finish(plant, state, mode, sp, dt)
        record(out, kk, plant, res, v1, speed_mps[kk])
        state = res.state
    return fallbacks
