"""Time-loop kernel of a THS-II power-split hybrid (Toyota P410), rule-based control.

Per interval (DESIGN.md §3, components.md §4.1 "backward step"): (1) wheel force and speed from the
trace; (2) ring and MG2 speeds from the gearing; (3) the controller (``control/ths.py``) picks engine
off / fuelled on the optimal operating line / spun unfuelled; (4) MG1 speed from Willis, MG1 torque
from the lever with rotor inertias; (5) MG2 closes the wheel torque within its envelope, braking beyond
MG2 and battery limits goes to the friction brakes; (6) electrical powers → battery (Rint); (7) limits:
MG1 speed and torque, MG2 torque, pinion speed, engine speed, battery power. Where the battery or MG2
cannot deliver, engine power is raised (bisection for the least that suffices); where nothing
suffices the vehicle falls behind the trace. Nothing here raises.

Cold start (``core/thermal.py``, shared with the conventional kernel): a lumped coolant temperature
``C·dT/dt = f·P_fuel`` (capped at the thermostat temperature) raises engine friction by ``θ^(−t)`` (CO2MPAS,
θ = normalised absolute coolant temperature), turned into extra fuel via the Willans line; the controller
keeps the engine on until the coolant is warm.

Power balance per step (each term an output)::

    P_fuel + P_batt,chem = P_engine_loss + P_mg1_loss + P_mg2_loss + P_inverter_loss + P_battery_loss
        + P_planetary_loss + P_reduction_loss + P_final_drive_loss + P_rotor + P_accessory
        + P_brake + P_wheel
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit
from .chassis import wheel_force_n
from .electric import battery_step, battery_window_limits_w, motor_dc_power_w, motor_tmax, motor_torque_for_dc_power
from .engine import engine_point
from .interp import interp1_uniform
from .thermal import (
    ThermalK,  # noqa: F401  (re-exported: numba cache indexes written before core/thermal.py name it here)
    cold_extra_fuel_kg_s,
    coolant_initial_c,
    coolant_step_c,
)


class ThsOut(NamedTuple):
    speed_mps: np.ndarray
    trace_miss_mps: np.ndarray
    engine_mode: np.ndarray  # 0 off, 1 fuelled, 2 spun unfuelled
    engine_speed_rad_s: np.ndarray
    engine_torque_nm: np.ndarray
    fuel_kg_s: np.ndarray
    mg1_speed_rad_s: np.ndarray
    mg1_torque_nm: np.ndarray
    mg1_electric_power_w: np.ndarray
    mg2_speed_rad_s: np.ndarray
    mg2_torque_nm: np.ndarray
    mg2_electric_power_w: np.ndarray
    ring_speed_rad_s: np.ndarray
    pinion_speed_rad_s: np.ndarray
    battery_current_a: np.ndarray
    battery_voltage_v: np.ndarray
    battery_power_w: np.ndarray  # terminal, discharge > 0
    soc: np.ndarray
    coolant_temp_c: np.ndarray
    fuel_power_w: np.ndarray
    battery_chemical_power_w: np.ndarray
    engine_loss_w: np.ndarray
    mg1_loss_w: np.ndarray
    mg2_loss_w: np.ndarray
    inverter_loss_w: np.ndarray
    battery_loss_w: np.ndarray
    planetary_loss_w: np.ndarray
    reduction_loss_w: np.ndarray
    final_drive_loss_w: np.ndarray
    rotor_inertia_power_w: np.ndarray
    accessory_power_w: np.ndarray
    brake_power_w: np.ndarray
    wheel_power_w: np.ndarray


def allocate(n: int) -> ThsOut:
    return ThsOut(*(np.zeros(n) for _ in ThsOut._fields))


class ThsAuxK(NamedTuple):
    """Scalars of the THS kernel not owned by one component."""

    accessory_power_w: float
    engine_start_fuel_kg: float
    engine_min_speed_rad_s: float
    ool_power_max_w: float
    ool_power_step_inv: float
    ool_speed_rad_s: np.ndarray
    friction_fuel_kg_s: np.ndarray  # fuel equivalent of the hot friction loss on the engine speed grid


@jit
def _inertia_torque(j, w, w_prev, dt):
    """Torque that accelerates a rotor of inertia j from w_prev to w over the step, energy-consistent:
    T = J·(ω − ω₀)/Δt · (ω + ω₀)/(2ω), so that T·ω·Δt = ½J(ω² − ω₀²) exactly, the kinetic-energy change.

    The plain backward difference J·(ω − ω₀)/Δt, with every power taken at the step's speed ω, books
    ½J(ω − ω₀)² too much per step (a start from rest would cost Jω² instead of ½Jω²). Where |ω| < |ω₀|/2
    (a rotor stopping or crossing zero) the energy-consistent torque grows without bound, so the plain
    difference is kept there: an engine that stops books no power (its kinetic energy is dissipated). [N·m]
    """
    dw = (w - w_prev) / dt
    if w != 0.0 and abs(w) >= 0.5 * abs(w_prev):
        return j * dw * 0.5 * (1.0 + w_prev / w)
    return j * dw


@jit
def _planetary_torques(k, eta, t_c, w_c, w_r):
    """(sun, ring) torques of the power-split gear set for the carrier torque ``t_c``, losses on the mesh
    power in the carrier frame.

    Statics of the gear set (massless planets): T_c + T_s = T_r (torques applied at carrier and sun, torque
    delivered at the ring). The meshes see only the power that flows relative to the carrier,
    P_mesh = T_s·(ω_s − ω_c) = T_s·k·(ω_c − ω_r) (Willis), and lose the share 1 − η of it:
    T_r = −k·e·T_s with e = η when P_mesh ≥ 0 (the sun drives the ring relative to the carrier) and 1/η when
    the ring drives the sun. Hence T_s = −T_c/(1 + k·e), T_r = T_c·k·e/(1 + k·e); the loss
    T_c·ω_c + T_s·ω_s − T_r·ω_r = (1 − e)·P_mesh ≥ 0, and it vanishes when the gear set turns as one block
    (ω_c = ω_r). Müller et al., "Efficiency of planetary gear trains" / Pennestrì & Freudenstein (1993),
    J. Mech. Des. 115: the carrier-frame ("latent power") method. [N·m]
    """
    t_s0 = -t_c / (1.0 + k)
    e = eta if t_s0 * k * (w_c - w_r) >= 0.0 else 1.0 / eta
    t_s = -t_c / (1.0 + k * e)
    return t_s, t_c * k * e / (1.0 + k * e)


@jit
def _planetary_ring_torque_from_sun(k, eta, t_s, w_c, w_r):
    """Ring torque delivered when the sun torque ``t_s`` is imposed (the carrier reacts), losses on the
    carrier-frame mesh power as in ``_planetary_torques``: T_r = −k·e·T_s. [N·m]"""
    e = eta if t_s * k * (w_c - w_r) >= 0.0 else 1.0 / eta
    return -k * e * t_s


@jit
def _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, grade, mode, w_e, t_e, w_e_prev, w_g_prev, soc):
    """Evaluate one operating choice. Returns a tuple (see the unpacking in ``run_ths``).

    mode: 0 engine off, 1 fuelled at (w_e, t_e), 2 spun unfuelled at w_e.
    Flags: ok_traction (MG2 torque and battery discharge within limits), overcharge (the engine charges
    beyond the battery's charge limit), mg1_ok (MG1 torque within its envelope; MG1, MG2, pinion and
    engine speeds within their limits).
    """
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    w_wh = 0.5 * (v0 + v1) / r
    t_axle = f * r
    w_r = w_wh * pg.ring_ratio
    w_m2 = w_r * pg.mg2_ratio
    if mode == 0:
        w_e = 0.0
        t_e = 0.0
    elif mode == 2:
        t_e = engine_point(eng, w_e, 0.0)[1]  # motoring torque: fuel cut
    k = pg.k
    w_g = (1.0 + k) * w_e - k * w_r
    t_je = _inertia_torque(eng.inertia_kgm2, w_e, w_e_prev, dt)
    t_jg = _inertia_torque(mg1.inertia_kgm2, w_g, w_g_prev, dt)
    if mode == 0 and w_e_prev == 0.0:
        # engine at rest all step: MG1 is not energised (zero torque); the ring spins its rotor through the
        # gear set and the stopped engine holds the carrier's reaction
        t_g = 0.0
        t_s = -t_jg
        t_r_del = _planetary_ring_torque_from_sun(k, pg.planetary_efficiency, t_s, 0.0, w_r)
        t_c = t_r_del - t_s
    else:
        t_c = t_e - t_je
        t_s, t_r_del = _planetary_torques(k, pg.planetary_efficiency, t_c, w_e, w_r)
        t_g = t_jg + t_s
    # required ring torque for the axle
    if t_axle >= 0.0:
        t_ring_req = t_axle / (pg.ring_ratio * pg.final_drive_efficiency)
    else:
        t_ring_req = t_axle * pg.final_drive_efficiency / pg.ring_ratio
    x = t_ring_req - t_r_del
    if x >= 0.0:
        t_m2 = x / (pg.mg2_ratio * pg.mg2_reduction_efficiency)
    else:
        t_m2 = x * pg.mg2_reduction_efficiency / pg.mg2_ratio
    t2max = motor_tmax(mg2, w_m2)
    ok_traction = t_m2 <= t2max + 1e-9
    if t_m2 > t2max:
        t_m2 = t2max
    # regenerative limit: torque envelope and low-speed fade
    if t_m2 < 0.0:
        vbar = 0.5 * (v0 + v1)
        fade = 1.0
        if ctl.regen_fade_speed_mps > 0.0 and vbar < ctl.regen_fade_speed_mps:
            fade = vbar / ctl.regen_fade_speed_mps
        tmin = -t2max * fade
        if t_m2 < tmin:
            t_m2 = tmin
    p_g, l_g, li_g = motor_dc_power_w(mg1, t_g, w_g)
    p_m, l_m, li_m = motor_dc_power_w(mg2, t_m2, w_m2)
    p_dis_max, p_chg_max = battery_window_limits_w(bat, soc, dt)
    p_b = p_g + p_m + aux.accessory_power_w
    overcharge = False
    if p_b < -p_chg_max:
        if t_m2 < 0.0:
            t_lim = motor_torque_for_dc_power(mg2, w_m2, -p_chg_max - p_g - aux.accessory_power_w)
            if t_lim > t_m2:
                t_m2 = t_lim if t_lim < 0.0 else 0.0
                p_m, l_m, li_m = motor_dc_power_w(mg2, t_m2, w_m2)
                p_b = p_g + p_m + aux.accessory_power_w
        if p_b < -p_chg_max - 1e-6:
            overcharge = True
    if p_b > p_dis_max + 1e-6:
        ok_traction = False
    t1max = motor_tmax(mg1, w_g)
    # MG1 must react the engine torque and accelerate its own rotor within its envelope;
    # MG1, pinion (both directions) and engine speeds within their limits
    mg1_ok = (abs(t_g) <= t1max + 1e-9 and abs(w_g) <= mg1.max_speed_rad_s + 1e-6
              and abs((w_r - w_e) * pg.zr_over_zp) <= pg.max_pinion_speed_rad_s + 1e-6
              and w_e <= eng.max_speed_rad_s + 1e-6 and abs(w_m2) <= mg2.max_speed_rad_s + 1e-6)
    # delivered torques and losses
    if t_m2 >= 0.0:
        x_del = t_m2 * pg.mg2_ratio * pg.mg2_reduction_efficiency
    else:
        x_del = t_m2 * pg.mg2_ratio / pg.mg2_reduction_efficiency
    t_ring = t_r_del + x_del
    if t_ring >= 0.0:
        t_axle_pt = t_ring * pg.ring_ratio * pg.final_drive_efficiency
    else:
        t_axle_pt = t_ring * pg.ring_ratio / pg.final_drive_efficiency
    if t_axle_pt < t_axle - 1e-9:
        ok_traction = False
    return (ok_traction, overcharge, mg1_ok, f, w_wh, t_axle, w_r, w_m2, w_e, t_e, w_g, t_g, t_m2, t_c, t_s,
            t_r_del, x_del, t_ring, t_axle_pt, p_g, l_g, li_g, p_m, l_m, li_m, p_b, t_je, t_jg)


@jit
def _engine_speed_for_power(pg, eng, mg1, aux, p, w_r):
    """Engine speed on the OOL at power p, clamped into the MG1, pinion and engine speed limits."""
    w = interp1_uniform(0.0, 1.0 / aux.ool_power_step_inv, aux.ool_speed_rad_s, p)
    if w < aux.engine_min_speed_rad_s:
        w = aux.engine_min_speed_rad_s
    return _clamp_engine_speed(pg, eng, mg1, w, w_r)


@jit
def _clamp_engine_speed(pg, eng, mg1, w, w_r):
    """Engine speed ``w`` raised for MG1's reverse-speed and the backward pinion limits, then lowered for
    MG1's forward-speed, the forward pinion and the engine speed limits (the later clamp wins a conflict).

    Willis: ω_MG1 = (1+k)·ω_e − k·ω_r; pinion relative to the carrier: (ω_r − ω_e)·Zr/Zp.
    """
    k = pg.k
    dw_p = pg.max_pinion_speed_rad_s / pg.zr_over_zp
    w_lo = (k * w_r - mg1.max_speed_rad_s) / (1.0 + k)  # ω_MG1 ≥ −ω_MG1,max
    if w < w_lo:
        w = w_lo
    if w < w_r - dw_p:  # (ω_r − ω_e)·Zr/Zp ≤ ω_p,max
        w = w_r - dw_p
    w_hi = (mg1.max_speed_rad_s + k * w_r) / (1.0 + k)  # ω_MG1 ≤ ω_MG1,max
    if w > w_hi:
        w = w_hi
    if w > w_r + dw_p:  # (ω_r − ω_e)·Zr/Zp ≥ −ω_p,max
        w = w_r + dw_p
    if w > eng.max_speed_rad_s:
        w = eng.max_speed_rad_s
    return w


@jit
def _spin_speed(pg, eng, mg1, ctl, w_r):
    """Speed of the unfuelled, spun engine: the set speed clamped into the speed limits."""
    return _clamp_engine_speed(pg, eng, mg1, ctl.spin_speed_rad_s, w_r)


@jit
def _torque_for_power(pg, eng, mg1, p, w, w_r, w_e_prev, w_g_prev, dt):
    """Engine torque for power p at speed w, within WOT and within what MG1 can react while it also
    accelerates its own rotor: MG1's torque T_g = T_J,g − (T_e − T_J,e)/(1 + k·e) ≥ −T_MG1,max gives
    T_e ≤ (1 + k·η)·(T_MG1,max + T_J,g) + T_J,e (e = η, the smaller factor, bounds both mesh directions),
    less 0.1 % of T_MG1,max; never below zero."""
    t = p / w
    t_max = engine_point(eng, w, t)[0]
    k = pg.k
    w_g = (1.0 + k) * w - k * w_r
    t_je = _inertia_torque(eng.inertia_kgm2, w, w_e_prev, dt)
    t_jg = _inertia_torque(mg1.inertia_kgm2, w_g, w_g_prev, dt)
    t_react = (1.0 + k * pg.planetary_efficiency) * (0.999 * motor_tmax(mg1, w_g) + t_jg) + t_je
    if t_react < 0.0:
        t_react = 0.0
    if t_react < t_max:
        t_max = t_react
    return t if t < t_max else t_max


@jit
def _split_at_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, p):
    """``_split`` with the engine fuelled at power p on the operating line (speed and torque limits applied)."""
    w_r = 0.5 * (v0 + v1) / ch.wheel_radius_m * pg.ring_ratio
    w = _engine_speed_for_power(pg, eng, mg1, aux, p, w_r)
    t = _torque_for_power(pg, eng, mg1, p, w, w_r, w_e_prev, w_g_prev, dt)
    return _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, 1, w, t, w_e_prev, w_g_prev, soc)


@jit
def _least_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, p_lo):
    """Least engine power ≥ p_lo at which MG1, MG2 and the battery can deliver; −1 if even full power cannot."""
    p_hi = aux.ool_power_max_w
    rh = _split_at_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, p_hi)
    if not (rh[0] and rh[2]):
        return -1.0
    for _ in range(30):
        p_mid = 0.5 * (p_lo + p_hi)
        rm = _split_at_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, p_mid)
        if rm[0] and rm[2]:
            p_hi = p_mid
        else:
            p_lo = p_mid
    return p_hi


@jit
def _feasible(res):
    """MG2, MG1, the speed limits and the battery (discharge and charge) all accept the step ``res``."""
    return res[0] and res[2] and not res[1]


@jit
def _best_effort(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc):
    """(engine power, mode) that reaches end speed v1 within every limit: fuelled at the least sufficient
    power if there is one, else at the first feasible of a few fixed fractions of full power, else EV
    drive with the engine off (0, 0); (−1, −1) if none is feasible.

    Feasibility is not monotonic in engine power within one step (spinning the engine up from rest
    costs MG1 and battery power), hence the candidates.
    """
    p = _least_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, 0.0)
    if p >= 0.0:
        rm = _split_at_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, p)
        if _feasible(rm):
            return p, 1
    for frac in (0.6, 0.35, 0.15):
        pc = frac * aux.ool_power_max_w
        rm = _split_at_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, pc)
        if _feasible(rm):
            return pc, 1
    rm = _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, 0, 0.0, 0.0, w_e_prev, w_g_prev, soc)
    if _feasible(rm):
        return 0.0, 0
    return -1.0, -1


@jit
def _battery_safe(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc):
    """(engine power, mode) of the first of engine off and a few fuelled powers whose battery power lies
    within the charge and discharge limits, the accessory load (which can be cut) aside (MG1/MG2 limits may
    be exceeded: a last resort, reported as a trace miss); engine off if none does."""
    # rm[1]: the engine overcharges; rm[-3]: battery terminal power p_b (see the unpacking in run_ths)
    rm = _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, 0, 0.0, 0.0, w_e_prev, w_g_prev, soc)
    p_dis = battery_window_limits_w(bat, soc, dt)[0] + aux.accessory_power_w
    if not rm[1] and rm[-3] <= p_dis + 1e-6:
        return 0.0, 0
    for frac in (0.05, 0.15, 0.35, 0.6, 1.0):
        pc = frac * aux.ool_power_max_w
        rm = _split_at_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc, pc)
        if not rm[1] and rm[-3] <= p_dis + 1e-6:
            return pc, 1
    return 0.0, 0


@jit
def run_ths(ch, pg, eng, mg1, mg2, bat, ctl, aux, th, soc0, time_s, speed_mps, grade, out):
    """Simulate a THS-II hybrid over a speed trace from SOC ``soc0``; fills ``out`` (see ThsOut)."""
    n = time_s.shape[0]
    soc = soc0
    out.speed_mps[0] = speed_mps[0]
    out.soc[0] = soc
    temp = coolant_initial_c(th)
    out.coolant_temp_c[0] = temp
    w_e_prev = 0.0
    w_g_prev = 0.0
    was_on = False
    t_state = 1e9  # time since the last engine on/off change
    r = ch.wheel_radius_m
    for kk in range(1, n):
        dt = time_s[kk] - time_s[kk - 1]
        v0 = out.speed_mps[kk - 1]
        v1 = speed_mps[kk]
        gr = grade[kk]
        vbar = 0.5 * (v0 + v1)
        f = wheel_force_n(ch, v0, v1, dt, gr)
        p_wheel = f * vbar
        p_dem = (p_wheel / ctl.driveline_efficiency_estimate if p_wheel > 0.0 else 0.0) + aux.accessory_power_w
        w_r = vbar / r * pg.ring_ratio
        cold = th.enabled > 0.0 and temp < ctl.warm_coolant_c
        # --- engine on/off rule
        forced = vbar > ctl.ev_speed_max_mps or soc < ctl.soc_engine_on or cold
        if was_on:
            on = forced or p_dem >= ctl.engine_off_power_w or t_state < ctl.min_on_time_s
        else:
            on = forced or (p_dem > ctl.engine_on_power_w and t_state >= ctl.min_off_time_s)
        p_chg = ctl.charge_gain_w * (ctl.soc_target - soc)
        if p_chg > ctl.charge_power_max_w:
            p_chg = ctl.charge_power_max_w
        if p_chg < -ctl.charge_power_max_w:
            p_chg = -ctl.charge_power_max_w
        p_eng = p_dem + p_chg
        mode = 0
        w_e = 0.0
        t_e = 0.0
        if on:
            if p_wheel <= 0.0 and not cold and soc >= ctl.soc_engine_on:
                mode = 2  # on, but nothing to drive or charge: fuel cut, MG1 holds the spin speed
                w_e = _spin_speed(pg, eng, mg1, ctl, w_r)
            else:
                mode = 1
                if p_eng < ctl.engine_min_power_w:
                    p_eng = ctl.engine_min_power_w
                if p_eng > aux.ool_power_max_w:
                    p_eng = aux.ool_power_max_w
                w_e = _engine_speed_for_power(pg, eng, mg1, aux, p_eng, w_r)
                t_e = _torque_for_power(pg, eng, mg1, p_eng, w_e, w_r, w_e_prev, w_g_prev, dt)
        res = _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, mode, w_e, t_e, w_e_prev,
                     w_g_prev, soc)
        if not (res[0] and res[2]):
            # more engine power: the least that makes MG2, MG1 and the battery feasible
            p_need = _least_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc,
                                  p_eng if mode == 1 else 0.0)
            if p_need >= 0.0:
                mode = 1
                w_e = _engine_speed_for_power(pg, eng, mg1, aux, p_need, w_r)
                t_e = _torque_for_power(pg, eng, mg1, p_need, w_e, w_r, w_e_prev, w_g_prev, dt)
                res = _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, mode, w_e, t_e, w_e_prev,
                             w_g_prev, soc)
        elif res[1] and mode == 1:
            # the engine charges beyond the battery limit: the most engine power that does not
            p_lo = 0.0
            p_hi = p_eng
            for _ in range(30):
                p_mid = 0.5 * (p_lo + p_hi)
                rm = _split_at_power(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev,
                                     soc, p_mid)
                if not _feasible(rm):
                    p_hi = p_mid
                else:
                    p_lo = p_mid
            w_e = _engine_speed_for_power(pg, eng, mg1, aux, p_lo, w_r)
            t_e = _torque_for_power(pg, eng, mg1, p_lo, w_e, w_r, w_e_prev, w_g_prev, dt)
            res = _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, mode, w_e, t_e, w_e_prev,
                         w_g_prev, soc)
        if not _feasible(res):
            # every limit, the charge limit too: the best effort at the demanded speed, else a trace miss
            p_need, m = _best_effort(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev, w_g_prev, soc)
            if m < 0:
                # trace miss: the highest end speed some engine power (or EV drive) reaches
                lo = 0.0
                hi = v1
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    if _best_effort(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, mid, dt, gr, w_e_prev, w_g_prev,
                                    soc)[1] >= 0:
                        lo = mid
                    else:
                        hi = mid
                v1 = lo
                w_r = 0.5 * (v0 + v1) / r * pg.ring_ratio
                p_need, m = _best_effort(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev,
                                         w_g_prev, soc)
                if m < 0:
                    # nothing is feasible even at this speed: the first choice that keeps at least the battery
                    # within its limits (so the SOC stays in its window), else full power
                    p_need, m = _battery_safe(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, w_e_prev,
                                              w_g_prev, soc)
            mode = m
            w_e = 0.0
            t_e = 0.0
            if mode == 1:
                w_e = _engine_speed_for_power(pg, eng, mg1, aux, p_need, w_r)
                t_e = _torque_for_power(pg, eng, mg1, p_need, w_e, w_r, w_e_prev, w_g_prev, dt)
            res = _split(ch, pg, eng, mg1, mg2, bat, ctl, aux, v0, v1, dt, gr, mode, w_e, t_e, w_e_prev,
                         w_g_prev, soc)
        (ok_t, overch, mg1_ok, f, w_wh, t_axle, w_r, w_m2, w_e, t_e, w_g, t_g, t_m2, t_c, t_s, t_r_del,
         x_del, t_ring, t_axle_pt, p_g, l_g, li_g, p_m, l_m, li_m, p_b, t_je, t_jg) = res
        # --- fuel, with warm-up friction and start cost
        fuel = 0.0
        if mode == 1:
            fuel = engine_point(eng, w_e, t_e)[2]
            fuel += cold_extra_fuel_kg_s(th, eng, aux.friction_fuel_kg_s, temp, w_e)
            if not (was_on and out.engine_mode[kk - 1] == 1.0):
                fuel += aux.engine_start_fuel_kg / dt
        is_on = mode != 0
        if is_on != was_on:
            t_state = 0.0
        t_state += dt
        was_on = is_on
        # an empty battery the engine cannot recharge in this step: the accessory load is cut (reported)
        p_acc = aux.accessory_power_w
        p_dis_now = battery_window_limits_w(bat, soc, dt)[0]
        if p_b > p_dis_now + 1e-6 and p_acc > 0.0:  # (the limit tolerance of _split)
            p_acc = max(p_acc - (p_b - p_dis_now), 0.0)
            p_b = p_g + p_m + p_acc
        i_b, v_b, p_chem, l_b, soc_new = battery_step(bat, soc, p_b, dt)
        p_fuel = fuel * eng.lhv_j_per_kg
        temp = coolant_step_c(th, temp, p_fuel, dt)
        # --- outputs
        out.speed_mps[kk] = v1
        out.trace_miss_mps[kk] = speed_mps[kk] - v1
        out.engine_mode[kk] = mode
        out.engine_speed_rad_s[kk] = w_e
        out.engine_torque_nm[kk] = t_e
        out.fuel_kg_s[kk] = fuel
        out.mg1_speed_rad_s[kk] = w_g
        out.mg1_torque_nm[kk] = t_g
        out.mg1_electric_power_w[kk] = p_g
        out.mg2_speed_rad_s[kk] = w_m2
        out.mg2_torque_nm[kk] = t_m2
        out.mg2_electric_power_w[kk] = p_m
        out.ring_speed_rad_s[kk] = w_r
        out.pinion_speed_rad_s[kk] = (w_r - w_e) * pg.zr_over_zp
        out.battery_current_a[kk] = i_b
        out.battery_voltage_v[kk] = v_b
        out.battery_power_w[kk] = p_b
        out.soc[kk] = soc_new
        out.coolant_temp_c[kk] = temp
        out.fuel_power_w[kk] = p_fuel
        out.battery_chemical_power_w[kk] = p_chem
        out.engine_loss_w[kk] = p_fuel - t_e * w_e
        out.mg1_loss_w[kk] = l_g
        out.mg2_loss_w[kk] = l_m
        out.inverter_loss_w[kk] = li_g + li_m
        out.battery_loss_w[kk] = l_b
        out.planetary_loss_w[kk] = t_c * w_e + t_s * w_g - t_r_del * w_r
        out.reduction_loss_w[kk] = t_m2 * w_m2 - x_del * w_r
        out.final_drive_loss_w[kk] = t_ring * w_r - t_axle_pt * w_wh
        out.rotor_inertia_power_w[kk] = t_je * w_e + t_jg * w_g
        out.accessory_power_w[kk] = p_acc
        out.brake_power_w[kk] = (t_axle_pt - t_axle) * w_wh
        out.wheel_power_w[kk] = t_axle * w_wh
        soc = soc_new
        w_e_prev = w_e
        w_g_prev = w_g
