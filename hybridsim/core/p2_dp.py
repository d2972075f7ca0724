"""Dynamic programming for the P2 plant: the least fuel over a whole cycle in charge-sustaining operation.

Problem (as ``core/ths_dp.py``: Bellman 1957; Lin, Peng, Grizzle & Kang, IEEE TCST 11(6), 2003; Sundström &
Guzzella, IEEE CCA 2009)::

    minimise  Σ_k ṁ_fuel,k·Δt_k + φ(SOC_N),   φ(SOC) = λ_T·|SOC − SOC_0|

over the decisions d_k = (gear g, engine off | engine on with torque T_e = j/N·WOT(ω_e), j = 0…N | engine on in
fuel cut), the trace followed exactly, the plant step of ``core/p2.py`` deciding feasibility, fuel and the SOC
at the end of the step. The decisions allowed are those of ECMS: above 1st gear the input speed at least
``min_input_speed``; at rest 1st gear with the engine off (no shift dwell, no gear-step limit: the optimum may
shift at will). Engine warm (``simulate`` refuses ``strategy="dp"`` with a cold start).

State: the SOC on a uniform grid (J interpolated linearly; beyond the grid infeasible) × (gear, engine on) of
the previous step. With the trace followed, these fix the rest of the plant's state exactly: the previous
input speed ω_w,prev·i_g, the engine speed (the input speed with K0 closed, the clutch-closing speed while it
slips in 1st, 0 when off), hence the inertia, shift and start terms. Energies of starts and shifts are booked
within a step when Δt ≥ crank and shift times (the runner checks it), so none is pending at a step's start.

Per step and previous state, each decision's split is computed once with the battery's limits wide open
(``OPEN_LIMIT_W``); per SOC grid point it is reused where the motor drives (then only the discharge limit
there decides, ``split_gear``'s own test) or where the charge limit there does not bind (the battery power
above it by 1 W), and recomputed with that SOC's limits otherwise. Work: steps ×
reachable states × decisions × grid points battery steps. Memory: J is steps × 2·gears × grid points float64,
preallocated by the caller (WLTC, 9 gears, 201 points: 1,801 × 18 × 201 × 8 B ≈ 52 MB). Nothing here raises or
allocates.
"""

from __future__ import annotations

from . import jit, jit_inline
from .dp_grid import INFEASIBLE_KG, grid_battery_states, grid_window_limits, interp_feasible, soc_after, terminal
from .electric import battery_step, battery_step_at
from .p2 import (
    P2Ctx,
    P2Decision,
    P2State,
    coolant_initial_c,
    gear_context,
    initial_state,
    plant_finish,
    record,
    record_initial,
    split_gear,
    step_context,
    step_fuel_kg_s,
    terminal_power_w,
    with_charge_limit,
)
from .p2_control import rule_decide

OPEN_LIMIT_W = 1e12  # battery limits "wide open" for the SOC-independent split


@jit_inline
def cost_to_go(jk, soc0_grid, dsoc, soc, slope):
    """J at ``soc`` by linear interpolation on the uniform grid, an infeasible grid point never blended with a
    feasible one (``dp_grid.interp_feasible``) [kg]. Below the grid (the battery's SOC floor) INFEASIBLE_KG; above
    it (regeneration beyond the top of the charge-sustaining band, which the battery takes) the top value plus
    ``slope`` × the excess (λ_T, the terminal penalty's slope: a soft ceiling)."""
    n = jk.shape[0]
    u = (soc - soc0_grid) / dsoc
    if u < -1e-9:
        return INFEASIBLE_KG
    if u >= n - 1:
        a = jk[n - 1]
        if a >= INFEASIBLE_KG:
            return a
        return a + slope * (soc - (soc0_grid + (n - 1) * dsoc))
    return interp_feasible(jk, u)


@jit_inline
def allowed(plant, ctl, w_wheel, g, on):
    """Whether (gear g, engine on/off) may be chosen at wheel speed ``w_wheel`` (module docstring)."""
    if w_wheel <= 0.0:
        return g == 0 and not on
    if g > 0 and w_wheel * (plant.gb.ratios[g] * plant.gb.final_drive_ratio) < ctl.min_input_speed_rad_s:
        return False
    return True


@jit_inline
def layer_state(plant, soc, g, on, w_wheel_prev):
    """The plant state after a step in gear g with the engine on/off at wheel speed ``w_wheel_prev`` (warm, nothing
    pending); ``ok`` False if that state cannot be (engine on with K0 neither closed nor slipping in 1st)."""
    gb = plant.gb
    w_in = w_wheel_prev * (gb.ratios[g] * gb.final_drive_ratio)
    w_e = 0.0
    closed = False
    ok = True
    if on:
        if w_in >= plant.aux.clutch_close_speed_rad_s:
            w_e = w_in
            closed = True
        elif g == 0:
            w_e = plant.aux.clutch_close_speed_rad_s
        else:
            ok = False
    st = P2State(soc, g, on, closed, w_e, w_in, w_wheel_prev, coolant_initial_c(plant.th), 1e9, 1e9, 0.0, 0.0, 0.0,
                 0.0, 0.0, 0.0)
    return ok, st


@jit_inline
def clutch_torque(gc, j, n_torque):
    """Decision j of an engine-on gear context: j < 0 fuel cut, else T_e = j/N·WOT, as a clutch torque. [N·m]"""
    if j < 0:
        return -1e300
    return gc.engine_torque_max_nm * j / n_torque - gc.engine_inertia_torque_nm


@jit_inline
def with_limits(ctx, p_dis, p_chg):
    return P2Ctx(ctx.wheel_force_n, ctx.mean_speed_mps, ctx.wheel_speed_rad_s, ctx.wheel_torque_nm, p_dis, p_chg,
                 ctx.crank_power_w, ctx.crank_slip_power_w, ctx.shift_power_input_w, ctx.shift_power_engine_w)


@jit
def backward(plant, ctl, n_torque, soc_target, penalty_kg, soc0_grid, dsoc, time_s, speed_mps, grade, j, lim_dis,
             lim_chg, soc, ocv, r_dis, r_chg, soc_next):
    """Backward induction: fill J[k, 2·g + on, i], the least fuel from sample k to the end with SOC grid point i
    after a step in gear g with the engine on/off that ended at sample k; J[n−1] = φ. ``lim_*``, ``soc``, ``ocv``,
    ``r_*``, ``soc_next`` (grid points) are work arrays (the battery's limits and state at each grid point, the SOC
    a decision reaches from each)."""
    n = time_s.shape[0]
    ns = j.shape[2]
    nl = j.shape[1]
    ng = plant.gb.ratios.shape[0]
    r = plant.ch.wheel_radius_m
    bat = plant.bat
    p_acc = plant.aux.accessory_power_w
    for layer in range(nl):
        terminal(soc0_grid, dsoc, soc_target, penalty_kg, j[n - 1, layer])
    for i in range(ns):
        soc[i] = soc0_grid + i * dsoc
    grid_battery_states(bat, soc0_grid, dsoc, ocv, r_dis, r_chg)
    for kk in range(n - 1, 0, -1):  # interval kk: samples kk−1 → kk; fills J[kk − 1]
        dt = time_s[kk] - time_s[kk - 1]
        v0 = speed_mps[kk - 1]
        v1 = speed_mps[kk]
        w_wp = 0.5 * (speed_mps[kk - 2] + v0) / r if kk >= 2 else 0.0
        grid_window_limits(bat, soc0_grid, dsoc, ocv, r_dis, r_chg, dt, lim_dis, lim_chg)
        jk = j[kk - 1]
        for layer in range(nl):
            for i in range(ns):
                jk[layer, i] = 1e300
        for layer in range(nl):
            g_p = layer // 2
            on_p = layer % 2 == 1
            if kk == 1 and layer != 0:
                continue  # the run starts at rest in 1st with the engine off
            if kk >= 2 and not allowed(plant, ctl, w_wp, g_p, on_p):
                continue
            ok, st = layer_state(plant, soc_target, g_p, on_p, w_wp)
            if not ok:
                continue
            ctx0 = step_context(plant, st, v0, v1, dt, grade[kk])
            ctx = with_limits(ctx0, OPEN_LIMIT_W, OPEN_LIMIT_W)
            w_wheel = ctx.wheel_speed_rad_s
            jl = jk[layer]
            for g in range(ng):
                for on_i in range(2):
                    on = on_i == 1
                    if not allowed(plant, ctl, w_wheel, g, on):
                        continue
                    gc = gear_context(plant, st, ctx, g, on, dt)
                    if not gc.ok:
                        continue
                    gc = with_charge_limit(plant, ctx, gc)  # solved once for every decision below
                    jn = j[kk, 2 * g + on_i]
                    for jt in range(-1 if on else n_torque, n_torque + 1):
                        t_c = clutch_torque(gc, jt, n_torque) if on else 0.0
                        sp = split_gear(plant, st, ctx, gc, t_c, dt)
                        if not sp.feasible:
                            continue
                        fuel = step_fuel_kg_s(plant, st, sp, dt) * dt
                        p_dc = sp.motor_electric_power_w
                        p_b = p_dc + gc.fixed_power_w
                        # the terminal power with the limits open (accessories never cut) and the SOC it leads to
                        # from every grid point, in one vectorised loop; a grid point whose limits change the split
                        # or cut the accessories steps its own power below
                        p_term = terminal_power_w(plant, ctx, sp)[0]
                        soc_after(bat, soc, ocv, r_dis, r_chg, p_term, dt, soc_next)
                        chg_memo = -1.0  # the charge limit the split below was last recomputed for (none yet)
                        sp_chg = sp
                        for i in range(ns):
                            spi = sp
                            own = False  # the split with this grid point's charge limit
                            if p_dc > 0.0:
                                # the motor drives: the charge limit plays no part, the discharge limit decides
                                if p_b > lim_dis[i] + 1e-6:
                                    continue
                            elif p_b < -lim_chg[i] + 1.0:
                                # the charge limit may bind at this SOC: the split with its limits, recomputed
                                # only where the charge limit differs from the last grid point's (the discharge
                                # limit enters the split only through its own test, repeated here)
                                if lim_chg[i] != chg_memo:
                                    ctx_c = with_limits(ctx0, OPEN_LIMIT_W, lim_chg[i])
                                    sp_chg = split_gear(plant, st, ctx_c, gear_context(plant, st, ctx_c, g, on, dt),
                                                        t_c, dt)
                                    chg_memo = lim_chg[i]
                                if not sp_chg.feasible:
                                    continue
                                spi = sp_chg
                                own = True
                                if (spi.motor_electric_power_w > 0.0
                                        and spi.motor_electric_power_w + gc.fixed_power_w > lim_dis[i] + 1e-6):
                                    continue
                            if not own and not (p_term > lim_dis[i] + 1e-6 and p_acc > 0.0):
                                s_next = soc_next[i]
                            else:
                                p_t = terminal_power_w(plant, with_limits(ctx0, lim_dis[i], lim_chg[i]), spi)[0]
                                s_next = battery_step_at(bat, soc[i], ocv[i], r_dis[i], r_chg[i], p_t, dt)[4]
                            c = fuel + cost_to_go(jn, soc0_grid, dsoc, s_next, penalty_kg)
                            jl[i] = c if c < jl[i] else jl[i]


@jit
def forward(plant, ctl, n_torque, soc0, penalty_kg, soc0_grid, dsoc, time_s, speed_mps, grade, j, out):
    """Forward pass on the exact plant from SOC ``soc0``: each step the feasible decision with the least
    fuel + J_{k+1}(SOC_{k+1}); fills ``out`` (``core.p2.P2Out``, charge-sustaining throughout). Returns the steps
    that fell back to the rules (no decision feasible)."""
    n = time_s.shape[0]
    ng = plant.gb.ratios.shape[0]
    state = initial_state(plant, soc0)
    record_initial(plant, out, state, speed_mps[0])
    out.charge_sustaining[0] = 1.0
    fallbacks = 0
    for kk in range(1, n):
        dt = time_s[kk] - time_s[kk - 1]
        v0 = out.speed_mps[kk - 1]
        v1 = speed_mps[kk]
        ctx = step_context(plant, state, v0, v1, dt, grade[kk])
        best = 1e300
        best_sp = split_gear(plant, state, ctx, gear_context(plant, state, ctx, 0, False, dt), 0.0, dt)
        found = False
        for g in range(ng):
            for on_i in range(2):
                on = on_i == 1
                if not allowed(plant, ctl, ctx.wheel_speed_rad_s, g, on):
                    continue
                gc = gear_context(plant, state, ctx, g, on, dt)
                if not gc.ok:
                    continue
                gc = with_charge_limit(plant, ctx, gc)  # solved once for every decision below
                jn = j[kk, 2 * g + on_i]
                for jt in range(-1 if on else n_torque, n_torque + 1):
                    t_c = clutch_torque(gc, jt, n_torque) if on else 0.0
                    sp = split_gear(plant, state, ctx, gc, t_c, dt)
                    if not sp.feasible:
                        continue
                    fuel = step_fuel_kg_s(plant, state, sp, dt) * dt
                    p_term = terminal_power_w(plant, ctx, sp)[0]
                    soc_next = battery_step(plant.bat, state.soc, p_term, dt)[4]
                    c = fuel + cost_to_go(jn, soc0_grid, dsoc, soc_next, penalty_kg)
                    if c < best:
                        best = c
                        best_sp = sp
                        found = True
        if not found:
            d, v1, ctx, best_sp = rule_decide(plant, ctl, state, True, v0, v1, dt, grade[kk])
            fallbacks += 1
        res = plant_finish(plant, state, ctx, best_sp, dt)
        record(out, kk, res, v1, speed_mps[kk])
        out.charge_sustaining[kk] = 1.0
        state = res.state
    return fallbacks


@jit
def decision_of(plant, state, ctx, g, on, jt, n_torque, dt):
    """The :class:`~hybridsim.core.p2.P2Decision` of candidate (g, on, jt) from ``state`` (for tests)."""
    gc = gear_context(plant, state, ctx, g, on, dt)
    return P2Decision(on, g, clutch_torque(gc, jt, n_torque) if on else 0.0)
