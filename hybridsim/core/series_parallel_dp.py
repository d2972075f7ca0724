"""Dynamic programming for the series-parallel plant (Honda i-MMD): the least fuel over a whole cycle.

Problem (as ``core/ths_dp.py``: Bellman 1957; Lin, Peng, Grizzle & Kang, IEEE TCST 11(6), 2003; Sundström &
Guzzella, IEEE CCA 2009)::

    minimise  Σ_k ṁ_fuel,k·Δt_k + φ(SOC_N),   φ(SOC) = λ_T·|SOC − SOC_0|

over the decisions of ECMS (``core/series_parallel_control.py``): d = 0 EV; d = 1…N series at P_j = j/N·P_max on
the minimum-fuel operating line (engine speed ω_j = ``engine_speed_for_power``(P_j), torque
``series_torque_for_power``); d = N + 1…2N + 1 engine drive (lock-up clutch closed, ω_e = ω_wheel·i_engine) at
T_j = j/N·T_WOT(ω_e), j = 0…N (only where the locked engine speed is within idle and its maximum). The trace is
followed exactly (v_{k−1} → v_k), the plant step of ``core/series_parallel.py`` deciding feasibility (every
limit), fuel and the SOC at the end of the step. Engine warm (``simulate`` refuses ``strategy="dp"`` with a cold
start).

State: the SOC on a uniform grid (J interpolated linearly, an infeasible point never blended with a feasible one:
``core/dp_grid.py``; beyond the grid infeasible) × the *layer* of the previous decision: 0 EV, j = 1…N series at
P_j, N + 1 engine drive. With the trace followed, the layer fixes the rest of the plant's state exactly: the
previous mode (the start fuel) and engine speed (0, ω_j, or the previous step's locked speed: the rotor inertia
torques and the series torque's MG1 reaction limit); every engine-drive torque leaves the same engine speed, so
they share one layer. Per step, (layer, decision) the battery-independent mechanics are computed once
(``split_mech``); per SOC grid point the battery side (``split_elec``, only where one of that SOC's power limits
binds: elsewhere its result is the one with the limits open) and ``battery_step``; a decision infeasible
whatever the battery's limits (speeds, engine or MG1 torque, MG2's envelope) is skipped, as in ``core/p2_dp.py``
(a state from which no sequence is feasible keeps J ≥ INFEASIBLE_KG). The forward pass then runs
the exact plant from the exact state, choosing each step the decision with the least fuel + J_{k+1}(SOC_{k+1});
where no decision is feasible it falls back to the rules' best effort (``series_parallel_control.fallback``).

Work: steps × (N + 2) layers × (2N + 2) decisions × grid points battery steps. Memory: J is steps × (N + 2) ×
grid points float64, preallocated by the caller (WLTC, N = 10, 201 points: 1,801 × 12 × 201 × 8 B ≈ 35 MB).
Nothing here raises or allocates.
"""

from __future__ import annotations

import math

from . import jit, jit_inline
from .dp_grid import INFEASIBLE_KG, cost_to_go, grid_battery_states, grid_window_limits, terminal
from .driveline import record_initial
from .electric import battery_step, battery_step_at, battery_window_limits_w
from .engine import engine_point
from .series_parallel import (
    ENGINE,
    EV,
    SERIES,
    SpState,
    engine_speed_for_power,
    initial_state,
    plant_finish,
    record,
    series_torque_for_power,
    split_elec,
    split_mech,
    step_fuel_kg_s,
)
from .series_parallel_control import fallback
from .thermal import coolant_initial_c
from .ths import recovery_dc_w

OPEN_LIMIT_W = 1e12  # battery limits "wide open" for the SOC-independent split


@jit_inline
def n_decisions(n_power):
    return 2 * n_power + 2


@jit_inline
def layer_of(d, n_power):
    """The layer a decision leaves the plant in: 0 EV, j series at P_j, N + 1 engine drive."""
    return d if d <= n_power else n_power + 1


@jit_inline
def locked_speed(plant, v0, v1):
    """Engine speed with the lock-up clutch closed over a step v0 → v1 [rad/s]."""
    return 0.5 * (v0 + v1) / plant.ch.wheel_radius_m * plant.gr.engine_ratio


@jit_inline
def lock_allowed(plant, w_lock):
    return w_lock >= plant.aux.engine_min_speed_rad_s and w_lock <= plant.eng.max_speed_rad_s


@jit
def decision(plant, state, d, n_power, w_lock, dt):
    """(mode, ω_e, T_e) of candidate ``d`` from ``state`` at locked engine speed ``w_lock`` (module docstring)."""
    if d == 0:
        return EV, 0.0, 0.0
    if d <= n_power:
        p = plant.aux.ool_power_max_w * d / n_power
        w = engine_speed_for_power(plant, p)
        return SERIES, w, series_torque_for_power(plant, state, p, w, dt)
    j = d - n_power - 1
    return ENGINE, w_lock, engine_point(plant.eng, w_lock, 0.0)[0] * j / n_power


@jit_inline
def layer_state(plant, soc, layer, n_power, w_lock_prev, temp):
    """The plant state after a step whose decision was in ``layer`` (warm engine)."""
    if layer == 0:
        return SpState(soc, 0.0, temp, EV, 1e9)
    if layer <= n_power:
        return SpState(soc, engine_speed_for_power(plant, plant.aux.ool_power_max_w * layer / n_power), temp, SERIES,
                       1e9)
    return SpState(soc, w_lock_prev, temp, ENGINE, 1e9)


@jit
def backward(plant, n_power, soc_target, penalty_kg, soc0_grid, dsoc, time_s, speed_mps, grade, j, lim_dis,
             lim_chg, ocv, r_dis, r_chg):
    """Backward induction: fill J[k, layer, i], the least fuel from sample k to the end with SOC grid point i
    after a step whose decision was in ``layer`` that ended at sample k; J[n−1] = φ. ``lim_*``, ``ocv``, ``r_*``
    (grid points) are work arrays (the battery's limits and state at each grid point)."""
    n = time_s.shape[0]
    ns = j.shape[2]
    nl = j.shape[1]
    nd = n_decisions(n_power)
    bat = plant.bat
    temp = coolant_initial_c(plant.th)
    for layer in range(nl):
        terminal(soc0_grid, dsoc, soc_target, penalty_kg, j[n - 1, layer])
    grid_battery_states(bat, soc0_grid, dsoc, ocv, r_dis, r_chg)
    for kk in range(n - 1, 0, -1):  # interval kk: samples kk−1 → kk; fills J[kk − 1]
        dt = time_s[kk] - time_s[kk - 1]
        v0 = speed_mps[kk - 1]
        v1 = speed_mps[kk]
        w_lock = locked_speed(plant, v0, v1)
        lock_ok = lock_allowed(plant, w_lock)
        w_lock_prev = locked_speed(plant, speed_mps[kk - 2], v0) if kk >= 2 else 0.0
        grid_window_limits(bat, soc0_grid, dsoc, ocv, r_dis, r_chg, dt, lim_dis, lim_chg)
        jk = j[kk - 1]
        for layer in range(nl):
            for i in range(ns):
                jk[layer, i] = 1e300
        for layer in range(nl):
            if kk == 1 and layer != 0:
                continue  # the run starts at rest with the engine off
            if kk >= 2 and layer == nl - 1 and not lock_allowed(plant, w_lock_prev):
                continue  # no engine drive in the previous step
            st = layer_state(plant, soc_target, layer, n_power, w_lock_prev, temp)
            for d in range(nd):
                if d > n_power and not lock_ok:
                    break
                mode, w_e, t_e = decision(plant, st, d, n_power, w_lock, dt)
                m = split_mech(plant, st.engine_speed_rad_s, mode, w_e, t_e, v0, v1, dt, grade[kk])
                if not (m.ok_traction and m.speeds_ok and m.eng_ok and m.mg1_ok):
                    continue  # infeasible whatever the battery's limits
                fuel = step_fuel_kg_s(plant, st, mode, m.engine_speed_rad_s, m.engine_torque_nm, dt) * dt
                sp0 = split_elec(plant, m, OPEN_LIMIT_W, OPEN_LIMIT_W)
                p_b0 = sp0.battery_power_w
                pen0 = 0.0 if sp0.feasible else INFEASIBLE_KG
                jn = j[kk, layer_of(d, n_power)]
                # the split at binding limits, recomputed only where the limits differ from the last ones it was
                # taken at (within the SOC window they are mostly the same at every grid point; a regeneration cut
                # to the charge limit is a root solve)
                p_b_lim = pen_lim = c_dis = c_chg = math.nan
                for i in range(ns):
                    p_b = p_b0
                    pen = pen0
                    if p_b0 < -lim_chg[i] or p_b0 > lim_dis[i] + 1e-6:
                        if lim_dis[i] != c_dis or lim_chg[i] != c_chg:
                            sp = split_elec(plant, m, lim_dis[i], lim_chg[i])
                            p_b_lim = sp.battery_power_w
                            pen_lim = 0.0 if sp.feasible else INFEASIBLE_KG
                            c_dis = lim_dis[i]
                            c_chg = lim_chg[i]
                        p_b = p_b_lim
                        pen = pen_lim
                    p_b += recovery_dc_w(plant, soc0_grid + i * dsoc, 0.0, mode == EV and st.engine_speed_rad_s == 0.0,
                                         st.engine_speed_rad_s, st.engine_speed_rad_s * plant.gr.generator_ratio, sp0,
                                         p_b, dt)
                    soc_next = battery_step_at(bat, soc0_grid + i * dsoc, ocv[i], r_dis[i], r_chg[i], p_b, dt)[4]
                    c = fuel + pen + cost_to_go(jn, soc0_grid, dsoc, soc_next)
                    if c < jk[layer, i]:
                        jk[layer, i] = c


@jit
def forward(plant, n_power, soc0, soc0_grid, dsoc, time_s, speed_mps, grade, j, out):
    """Forward pass on the exact plant from SOC ``soc0``: each step the feasible decision with the least
    fuel + J_{k+1}(SOC_{k+1}); fills ``out`` (``core.series_parallel.SpOut``). Returns the steps that fell back to
    the rules' best effort."""
    n = time_s.shape[0]
    nd = n_decisions(n_power)
    state = initial_state(plant, soc0)
    record_initial(out, state, speed_mps[0])
    fallbacks = 0
    for kk in range(1, n):
        dt = time_s[kk] - time_s[kk - 1]
        v0 = out.speed_mps[kk - 1]
        v1 = speed_mps[kk]
        w_lock = locked_speed(plant, v0, v1)
        lock_ok = lock_allowed(plant, w_lock)
        p_dis, p_chg = battery_window_limits_w(plant.bat, state.soc, dt)
        best = 1e300
        best_d = -1
        for d in range(nd):
            if d > n_power and not lock_ok:
                break
            mode, w_e, t_e = decision(plant, state, d, n_power, w_lock, dt)
            m = split_mech(plant, state.engine_speed_rad_s, mode, w_e, t_e, v0, v1, dt, grade[kk])
            sp = split_elec(plant, m, p_dis, p_chg)
            if not sp.feasible:
                continue
            fuel = step_fuel_kg_s(plant, state, mode, sp.engine_speed_rad_s, sp.engine_torque_nm, dt) * dt
            p_b = sp.battery_power_w + recovery_dc_w(
                plant, state.soc, 0.0, mode == EV and state.engine_speed_rad_s == 0.0, state.engine_speed_rad_s,
                state.engine_speed_rad_s * plant.gr.generator_ratio, sp, sp.battery_power_w, dt)
            soc_next = battery_step(plant.bat, state.soc, p_b, dt)[4]
            c = fuel + cost_to_go(j[kk, layer_of(d, n_power)], soc0_grid, dsoc, soc_next)
            if c < best:
                best = c
                best_d = d
        if best_d >= 0:
            mode, w_e, t_e = decision(plant, state, best_d, n_power, w_lock, dt)
            m = split_mech(plant, state.engine_speed_rad_s, mode, w_e, t_e, v0, v1, dt, grade[kk])
            sp = split_elec(plant, m, p_dis, p_chg)
        else:
            dcs, v1, sp = fallback(plant, state, v0, v1, dt, grade[kk])
            mode = dcs.mode
            fallbacks += 1
        res = plant_finish(plant, state, mode, sp, dt)
        record(out, kk, res, v1, speed_mps[kk])
        state = res.state
    return fallbacks
