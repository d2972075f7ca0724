"""FROZEN COPY of ``hybridsim/core/p2.py`` as it was on main before issue 14 split it into a plant step
(``core/p2.py``) and decisions (``core/p2_control.py``), commit 8f045a5. Used only by ``test_p2_split.py`` to
show that the rule-based results of the split kernel are bit-identical to the old one's. Do not edit: it is
the yardstick; delete it when the comparison is no longer wanted. (It imports the shared component functions
of ``hybridsim.core``, so that a later change to those changes both sides alike.)

Time-loop kernel of a P2 parallel (plug-in) hybrid: engine — K0 clutch — P2 motor — step-ratio
automatic — transfer case/final drive — wheels. Rule-based control (``control/p2.py``).

Per interval (DESIGN.md §3, quasi-static backward step with a forward feasibility check):

1. Wheel force from the trace (``chassis.wheel_force_n``), wheel speed ω_w = v̄/r, torque T_w = F·r.
2. The controller's mode (CD/CS by SOC with hysteresis) and its engine request (``control/p2.py``).
3. Every gear is evaluated (``gear_eval``) with the engine ON (K0 closed, or slipping in 1st gear
   below the lowest clutch-closed engine speed) or OFF (K0 open, EV). Gearbox input (= P2 motor)
   speed ω_in = ω_w·i_g·i_fd; input torque T_in = T_w/(i·η) in traction, T_w·η/i on overrun.
   Rotating inertia (P2 rotor + gearbox input J_in; the engine J_e while K0 stays closed) in two parts:
   (a) within the gear, T_jm = J_in·(ω_in − ω_ref)/dt with ω_ref = ω_w,prev·i_g·i_fd, the speed the input
   had a step ago in THIS gear; (b) a gear change moves the input from its ACTUAL previous speed
   ω_in,prev to ω_ref: the kinetic-energy step ΔE = ½·J·(ω_ref² − ω_in,prev²) (J_in, plus J_e with K0
   closed before and after) is taken from (downshift) or returned to (upshift) the input shaft, spread
   evenly over ``shift_time_s`` (the shift's inertia phase; all in one step if dt is longer) as a torque
   P_sh/ω_in, so it is in every feasibility check. Booked as P2 (engine) inertia power, the per-run sum of
   (a) + (b) is ½·J·(ω_end² − ω_0²) + Σ½·J·(ω_in − ω_ref)² ≥ 0: the inertia never creates energy. The
   upshift's released energy is taken by the P2 motor (motor-synchronised shift), a downshift's demand by
   the load-following below; in the gear ranking a downshift costs its energy, an upshift gets no credit.
   ON: T_clutch = T_req − min(T_sh, 0) + P_chg/ω_e (load-following, clipped to ≤ WOT − T_je; on overrun
   down to the fuel-cut drag with K0 closed, 0 while slipping), P_chg = clamp(K·(soc_target − SOC),
   ±P_chg,max) in CS (symmetric: charging below the target, assist above it), 0 in CD; the motor closes
   T_m = T_req − T_clutch within its envelope and the battery's limits (``core/electric.py``); if the
   engine, already at its drag torque, still gives more than the motor/battery can absorb, the mode is
   infeasible in traction and the friction brakes take the surplus when braking.
   OFF: T_m = T_req (traction) or the regenerative share of the braking torque, limited by the motor
   envelope and the charge limit; the friction brakes take the rest.
   The gear with the least equivalent power P_fuel + s·P_dc is taken, with hysteresis and dwell; above 1st
   the input speed must be ≥ ``min_input_speed`` while driving, an upshift must leave ≥ 1.1 × the target
   gear's lowest speed (``UPSHIFT_SPEED_MARGIN``), a change moves at most ``max_gear_step`` gears (a larger
   skip only if no gear within it can drive the step).
4. If EV is infeasible in every gear the engine is started; if no gear can deliver even with the
   engine, the end speed is lowered by bisection (trace miss), as in ``core/conventional.py``.
5. Cold start (as ``core/ths.py``): a lumped coolant temperature ``C·dT/dt = f·P_fuel`` (capped at the
   thermostat temperature) raises engine friction by ``θ^(−t)`` (CO2MPAS; θ the normalised absolute
   coolant temperature), turned into extra fuel via the Willans friction line while the engine is
   fuelled. Unlike THS, the P2 controller does not force the engine on to warm up (a plug-in drives
   electrically when cold; the extra fuel arrives whenever the engine is needed).
6. Engine start events: ``start_fuel`` extra fuel (its energy in the engine loss); the P2 motor cranks
   the engine through the slipping K0 up to min(ω_e, ω_in) (the engine fires and runs itself up if ω_e is
   higher): the battery supplies ½·J_e·ω_e² (booked as engine inertia power) plus the K0 slip loss
   ½·J_e·min(ω_e, ω_in)² (booked as clutch loss), spread evenly over ``crank_time_s`` (all in one step if
   dt is longer) and included in the battery-limit check of every gear and mode (the motor's own losses
   while cranking are neglected). A start or shift still being booked when another comes adds to it.
7. The initial controller mode is an argument (``cs_init``: CS, CD, or by the SOC).

Power balance per step (each term an output)::

    P_fuel + P_batt,chem = P_engine_loss + P_engine_inertia + P_clutch_loss + P_p2_loss + P_inverter_loss
        + P_p2_inertia + P_gearbox_loss + P_battery_loss + P_accessory + P_brake + P_wheel

Nothing here raises; nothing allocates in the time loop; any dt works.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hybridsim.core import jit
from hybridsim.core.chassis import wheel_force_n
from hybridsim.core.driveline import TRACE_MISS_BISECTIONS, gear_input_torque, gear_output_torque, regen_fade
from hybridsim.core.electric import (
    battery_step,
    battery_window_limits_w,
    motor_dc_power_w,
    motor_tmax,
    motor_torque_for_dc_power,
)
from hybridsim.core.engine import engine_point
from hybridsim.core.thermal import cold_extra_fuel_kg_s, coolant_initial_c, coolant_step_c

INF = np.inf
# an upshift must leave the input speed at least this factor above the lowest speed of the target gear
# (min_input_speed, and min_engine_speed with the engine on), so that it is not undone within the dwell (E)
UPSHIFT_SPEED_MARGIN = 1.1


class P2AuxK(NamedTuple):
    accessory_power_w: float  # drawn from the traction battery (DC/DC input)
    engine_start_fuel_kg: float  # extra fuel per engine start
    input_inertia_kgm2: float  # P2 rotor + gearbox input side
    friction_fuel_kg_s: np.ndarray  # fuel equivalent of the hot friction loss on the engine speed grid


class P2Out(NamedTuple):
    speed_mps: np.ndarray
    trace_miss_mps: np.ndarray
    gear: np.ndarray
    charge_sustaining: np.ndarray  # controller mode: 1 CS, 0 CD
    engine_mode: np.ndarray  # 0 off, 1 fuelled, 2 turning unfuelled (fuel cut)
    clutch_state: np.ndarray  # K0: 0 open, 1 slipping, 2 closed
    engine_speed_rad_s: np.ndarray
    engine_torque_nm: np.ndarray
    fuel_kg_s: np.ndarray
    p2_speed_rad_s: np.ndarray
    p2_torque_nm: np.ndarray
    p2_electric_power_w: np.ndarray
    battery_current_a: np.ndarray
    battery_voltage_v: np.ndarray
    battery_power_w: np.ndarray  # terminal, discharge > 0
    soc: np.ndarray
    coolant_temp_c: np.ndarray
    fuel_power_w: np.ndarray
    battery_chemical_power_w: np.ndarray
    engine_loss_w: np.ndarray
    engine_inertia_power_w: np.ndarray
    clutch_loss_w: np.ndarray
    p2_loss_w: np.ndarray
    inverter_loss_w: np.ndarray
    p2_inertia_power_w: np.ndarray
    gearbox_loss_w: np.ndarray
    battery_loss_w: np.ndarray
    accessory_power_w: np.ndarray
    brake_power_w: np.ndarray
    wheel_power_w: np.ndarray


def allocate(n: int) -> P2Out:
    return P2Out(*(np.zeros(n) for _ in P2Out._fields))


@jit
def _engine_at(eng, w_e, t_c, t_je):
    """Engine torque, clutch torque and fuel for a wanted clutch torque; fuel cut below motoring."""
    t_e = t_c + t_je
    t_max, t_mot, fuel = engine_point(eng, w_e, t_e)
    if t_e <= t_mot:
        t_e = t_mot
        t_c = t_e - t_je
        fuel = 0.0
    return t_e, t_c, t_max, fuel


@jit
def _spread(e_pend, tau, dt):
    """Power [W] that books this step's share of an energy ``e_pend`` still spread over ``tau`` seconds."""
    if e_pend == 0.0:
        return 0.0
    if tau > dt:
        return e_pend / tau
    return e_pend / dt


@jit
def gear_eval(eng, gb, mot, ctl, aux, g, eng_on, vbar, w_wheel, t_wheel, w_wheel_prev, w_in_prev, g_prev, w_e_prev,
              prev_closed, was_on, dt, soc, p_dis, p_chg, cs, pend):
    """One gear, engine on or off.

    ``pend`` = (E_crank,kin, E_crank,slip, P_crank,kin, P_crank,slip, E_shift,rotor, E_shift,engine,
    P_shift,rotor, P_shift,engine): energies [J] of earlier engine starts and gear changes still to be booked
    and the powers [W] that book this step's share of them if no new start/shift happens in this step.

    Returns (feasible, cost [W], reserve (T_e/WOT), w_in, w_e, t_e, t_c, clutch, t_m, fuel, t_in_act,
    t_jm, t_je, p_dc, e_sh_m, e_sh_e, p_sh_m, p_sh_e, e_ck, e_cs, p_ck, p_cs): input speed, engine speed and
    torque, clutch torque and state, motor torque, fuel rate, torque actually put into the gearbox, input
    and engine inertia torques within the gear, motor DC power; the kinetic-energy steps [J] of the input
    side and of the engine if this gear is a change from ``g_prev``, and the shift powers booked in this
    step; the crank energies [J] (engine kinetic energy, K0 slip loss) if this is an engine start, and the
    crank powers booked in this step (module docstring, steps 3 and 6).
    """
    i = gb.ratios[g] * gb.final_drive_ratio
    eta = gb.efficiencies[g] * gb.final_drive_efficiency
    w_in = w_wheel * i
    t_in = gear_input_torque(t_wheel, i, eta)
    # rotor acceleration within this gear, from the speed it would have had a step ago in this gear
    w_in_ref = w_wheel_prev * i
    t_jm = aux.input_inertia_kgm2 * (w_in - w_in_ref) / dt
    # a gear change: the input side goes from its actual previous speed to w_in_ref; that kinetic-energy
    # step is taken from (downshift) or returned to (upshift) the input shaft, spread over the shift time
    new_shift = g != g_prev and w_in > 0.0
    t_sh_time = max(ctl.shift_time_s, dt)
    e_sh_m = 0.0
    p_sh_m = 0.0
    p_sh_e = 0.0
    if new_shift:
        e_sh_m = 0.5 * aux.input_inertia_kgm2 * (w_in_ref * w_in_ref - w_in_prev * w_in_prev)
        p_sh_m = (pend[4] + e_sh_m) / t_sh_time
        p_sh_e = pend[5] / t_sh_time
    elif w_in > 0.0:
        p_sh_m = pend[6]
        p_sh_e = pend[7]
    t_sh = (p_sh_m + p_sh_e) / w_in if w_in > 0.0 else 0.0
    t_req = t_in + t_jm + t_sh
    p_aux = aux.accessory_power_w
    # engine cranking still under way: battery power committed whatever this gear does
    p_ck = pend[2]
    p_cs = pend[3]
    t_mmax = motor_tmax(mot, w_in)
    bad = (False, INF, INF, w_in, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t_in, t_jm, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
           0.0, 0.0)
    if w_in > mot.max_speed_rad_s:
        return bad
    if not eng_on:
        p_fix = p_aux + p_ck + p_cs
        # most negative motor torque the battery can absorb (charge limit; accessories and cranking included)
        p_min = -p_chg - p_fix
        t_lim = 0.0
        if p_min < 0.0:
            t_lim = motor_torque_for_dc_power(mot, w_in, p_min)
        if t_in < 0.0:
            t_m = t_jm + t_sh + t_in * ctl.regen_share * regen_fade(vbar, ctl.regen_fade_speed_mps)
        else:
            t_m = t_req
        if t_m > t_mmax + 1e-9:
            return bad
        if t_m < -t_mmax:
            t_m = -t_mmax
        if t_m < 0.0 and t_m < t_lim:
            t_m = t_lim
        p_dc = motor_dc_power_w(mot, t_m, w_in)[0]
        if p_dc > 0.0 and p_dc + p_fix > p_dis + 1e-6:
            return bad
        t_in_act = t_m - t_jm - t_sh
        # gear ranking: a downshift costs its energy, an upshift gets no credit for returning it (staying in
        # gear keeps it stored too; the credit would make the chooser hunt up and down)
        cost = ctl.equivalence_factor * (p_dc + max(-e_sh_m / t_sh_time, 0.0))
        return (True, cost, 0.0, w_in, 0.0, 0.0, 0.0, 0.0, t_m, 0.0, t_in_act, t_jm, 0.0,
                p_dc, e_sh_m, 0.0, p_sh_m, p_sh_e, 0.0, 0.0, p_ck, p_cs)
    # engine on
    if w_in > eng.max_speed_rad_s:
        return bad
    if w_in >= ctl.min_engine_speed_rad_s:
        w_e = w_in
        clutch = 2.0
    elif g == 0:
        w_e = ctl.min_engine_speed_rad_s
        clutch = 1.0
    else:
        return bad
    t_je = 0.0
    e_sh_e = 0.0
    e_ck = 0.0
    e_cs = 0.0
    if was_on:
        if prev_closed and clutch == 2.0:
            # engine on the input shaft before and after: the same split as the rotor's
            t_je = eng.inertia_kgm2 * (w_e - w_in_ref) / dt
            if new_shift:
                e_sh_e = 0.5 * eng.inertia_kgm2 * (w_in_ref * w_in_ref - w_e_prev * w_e_prev)
                p_sh_e = (pend[5] + e_sh_e) / t_sh_time
                t_sh += e_sh_e / t_sh_time / w_in
                t_req += e_sh_e / t_sh_time / w_in
        else:
            t_je = eng.inertia_kgm2 * (w_e - w_e_prev) / dt
    else:
        # start: the P2 motor cranks the engine through the slipping K0 up to the input speed (the engine
        # fires and runs itself up to w_e if that is higher), spread over the crank time
        w_c = min(w_e, w_in)
        e_ck = 0.5 * eng.inertia_kgm2 * w_e * w_e
        e_cs = 0.5 * eng.inertia_kgm2 * w_c * w_c
        t_ck_time = max(ctl.crank_time_s, dt)
        p_ck = (pend[0] + e_ck) / t_ck_time
        p_cs = (pend[1] + e_cs) / t_ck_time
    p_fix = p_aux + p_ck + p_cs
    p_min = -p_chg - p_fix
    t_lim = 0.0
    if p_min < 0.0:
        t_lim = motor_torque_for_dc_power(mot, w_in, p_min)
    t_chg = 0.0
    if cs and clutch == 2.0:
        # symmetric SOC feedback: charge below soc_target, assist (discharge) above it
        p_c = ctl.charge_gain_w * (ctl.soc_target - soc)
        if p_c > ctl.charge_power_max_w:
            p_c = ctl.charge_power_max_w
        elif p_c < -ctl.charge_power_max_w:
            p_c = -ctl.charge_power_max_w
        t_chg = p_c / w_e
    ep = engine_point(eng, w_e, 0.0)
    t_max0 = ep[0]
    # load-following on the torque the driveline needs; the kinetic energy an upshift releases (t_sh < 0) is
    # taken by the P2 motor (motor-synchronised shift), a downshift's demand by engine and motor together
    t_c = t_req - min(t_sh, 0.0) + t_chg
    if t_c > t_max0 - t_je:
        t_c = t_max0 - t_je
    if t_c < 0.0:
        # overrun: with K0 closed the engine takes the negative torque down to its drag in fuel cut (the
        # motor regenerates the rest); with K0 slipping it gives nothing
        t_c = max(t_c, ep[1] - t_je) if clutch == 2.0 else 0.0
    t_e, t_c, t_max, fuel = _engine_at(eng, w_e, t_c, t_je)
    t_m = t_req - t_c
    if t_m > t_mmax + 1e-9:
        return bad
    t_m_lo = max(-t_mmax, t_lim)
    t_in_act = t_in
    if t_m < t_m_lo:
        # the motor or battery cannot absorb all: the engine gives less ...
        t_e, t_c, t_max, fuel = _engine_at(eng, w_e, t_req - t_m_lo, t_je)
        t_m = t_req - t_c
        if t_m < t_m_lo - 1e-9:
            # ... and if it is already at its motoring torque: in traction this mode cannot run (EV can),
            # when braking the friction brakes take the surplus
            if t_in >= 0.0:
                return bad
            t_m = t_m_lo
            t_in_act = t_c + t_m - t_jm - t_sh
    p_dc = motor_dc_power_w(mot, t_m, w_in)[0]
    if p_dc > 0.0 and p_dc + p_fix > p_dis + 1e-6:
        return bad
    if t_e > t_max + 1e-9:
        return bad
    cost = fuel * eng.lhv_j_per_kg + ctl.equivalence_factor * (p_dc + max(-(e_sh_m + e_sh_e) / t_sh_time, 0.0))
    if not was_on:
        cost += aux.engine_start_fuel_kg * eng.lhv_j_per_kg / dt + ctl.equivalence_factor * (p_ck + p_cs)
    return (True, cost, t_e / t_max, w_in, w_e, t_e, t_c, clutch, t_m, fuel, t_in_act, t_jm, t_je, p_dc, e_sh_m,
            e_sh_e, p_sh_m, p_sh_e, e_ck, e_cs, p_ck, p_cs)


@jit
def choose_gear(eng, gb, mot, ctl, aux, eng_on, vbar, w_wheel, t_wheel, w_wheel_prev, w_in_prev, w_e_prev,
                prev_closed, was_on, dt, soc, p_dis, p_chg, cs, g_prev, t_in_gear, pend):
    """Least-cost feasible gear (engine on: within the torque reserve if possible), with hysteresis and
    dwell; -1 if none.

    While driving, a gear above 1st needs an input speed of at least ``min_input_speed``, and a change
    moves at most ``max_gear_step`` gears from ``g_prev``; only if no gear within that step can drive the
    step at all is any feasible gear taken (a kickdown/skip shift).
    """
    if w_wheel <= 0.0:
        return 0 if not eng_on else -1
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
            r = gear_eval(eng, gb, mot, ctl, aux, g, eng_on, vbar, w_wheel, t_wheel, w_wheel_prev, w_in_prev, g_prev,
                          w_e_prev, prev_closed, was_on, dt, soc, p_dis, p_chg, cs, pend)
            if not r[0]:
                continue
            if eng_on:
                if r[2] < fallback_res:
                    fallback_res = r[2]
                    fallback = g
                if r[2] > ctl.torque_reserve and t_wheel > 0.0:
                    continue
            if g == g_prev:
                prev_ok = True
                prev_cost = r[1]
            if r[1] < best_cost - 1e-9:
                best_cost = r[1]
                best = g
        if best < 0:
            if fallback >= 0:
                return fallback
            continue
        margin = ctl.shift_hysteresis * max(abs(best_cost), 100.0)
        if prev_ok and (t_in_gear < ctl.min_time_in_gear_s or prev_cost <= best_cost + margin):
            return g_prev
        return best
    return -1


@jit
def _feasible(ch, eng, gb, mot, ctl, aux, v0, v1, dt, grade, w_wheel_prev, w_in_prev, w_e_prev, prev_closed, was_on,
              soc, p_dis, p_chg, cs, g_prev, t_in_gear, pend):
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    for j in range(2):
        on = j == 1
        g = choose_gear(eng, gb, mot, ctl, aux, on, vbar, vbar / r, f * r, w_wheel_prev, w_in_prev, w_e_prev,
                        prev_closed, was_on, dt, soc, p_dis, p_chg, cs, g_prev, t_in_gear, pend)
        if g >= 0:
            return True
    return False


@jit
def engine_request(ctl, cs, soc, vbar, p_wheel, eng_on_prev, on_time, off_time):
    """The controller's engine request before the feasibility check (see control/p2.py)."""
    if vbar <= 0.0:
        return False
    if eng_on_prev and on_time < ctl.min_on_time_s:
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
        if p_wheel > ctl.engine_on_power_w and (eng_on_prev or off_time >= ctl.min_off_time_s):
            return True
    return False


@jit
def run_p2(ch, eng, gb, mot, bat, ctl, aux, th, soc0, cs_init, time_s, speed_mps, grade, out):
    """Simulate a P2 hybrid over a speed trace from SOC ``soc0``; fills ``out`` (see P2Out).

    ``cs_init`` is the controller's initial mode: 1 charge-sustaining, 0 charge-depleting, < 0 by the
    SOC (CS when soc0 < soc_cs_enter + cd_resume_band, i.e. below the top of the hysteresis band, the
    state a car in that band is in after having depleted to soc_cs_enter).
    ``th`` is the engine warm-up model shared with the other kernels (``core/thermal.py``).
    """
    n = time_s.shape[0]
    r = ch.wheel_radius_m
    soc = soc0
    if cs_init < 0.0:
        cs = soc0 < ctl.soc_cs_enter + ctl.cd_resume_band
    else:
        cs = cs_init > 0.5
    eng_on = False
    on_time = 0.0
    off_time = 1e9
    g_prev = 0
    t_in_gear = 0.0
    w_wheel_prev = 0.0
    w_in_prev = 0.0
    w_e_prev = 0.0
    prev_closed = False
    # energies of engine starts and gear changes still being booked, and the time left to book them
    e_ck_pend = 0.0
    e_cs_pend = 0.0
    crank_left = 0.0
    e_shm_pend = 0.0
    e_she_pend = 0.0
    shift_left = 0.0
    temp = coolant_initial_c(th)
    out.coolant_temp_c[0] = temp
    out.speed_mps[0] = speed_mps[0]
    out.soc[0] = soc0
    out.gear[0] = 1.0
    out.charge_sustaining[0] = 1.0 if cs else 0.0
    ocv0 = battery_step(bat, soc0, 0.0, 1.0)[1]
    out.battery_voltage_v[0] = ocv0
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        v1 = speed_mps[k]
        if cs and soc > ctl.soc_cs_enter + ctl.cd_resume_band:
            cs = False
        elif not cs and soc < ctl.soc_cs_enter:
            cs = True
        p_dis, p_chg = battery_window_limits_w(bat, soc, dt)
        pend = (e_ck_pend, e_cs_pend, _spread(e_ck_pend, crank_left, dt), _spread(e_cs_pend, crank_left, dt),
                e_shm_pend, e_she_pend, _spread(e_shm_pend, shift_left, dt), _spread(e_she_pend, shift_left, dt))
        if not _feasible(ch, eng, gb, mot, ctl, aux, v0, v1, dt, grade[k], w_wheel_prev, w_in_prev, w_e_prev,
                         prev_closed, eng_on, soc, p_dis, p_chg, cs, g_prev, t_in_gear, pend):
            lo = 0.0
            hi = v1
            for _ in range(TRACE_MISS_BISECTIONS):
                mid = 0.5 * (lo + hi)
                if _feasible(ch, eng, gb, mot, ctl, aux, v0, mid, dt, grade[k], w_wheel_prev, w_in_prev, w_e_prev,
                             prev_closed, eng_on, soc, p_dis, p_chg, cs, g_prev, t_in_gear, pend):
                    lo = mid
                else:
                    hi = mid
            v1 = lo
        f = wheel_force_n(ch, v0, v1, dt, grade[k])
        vbar = 0.5 * (v0 + v1)
        w_wheel = vbar / r
        t_wheel = f * r
        want = engine_request(ctl, cs, soc, vbar, f * vbar, eng_on, on_time, off_time)
        g = choose_gear(eng, gb, mot, ctl, aux, want, vbar, w_wheel, t_wheel, w_wheel_prev, w_in_prev, w_e_prev,
                        prev_closed, eng_on, dt, soc, p_dis, p_chg, cs, g_prev, t_in_gear, pend)
        if g < 0:
            want = not want
            g = choose_gear(eng, gb, mot, ctl, aux, want, vbar, w_wheel, t_wheel, w_wheel_prev, w_in_prev, w_e_prev,
                            prev_closed, eng_on, dt, soc, p_dis, p_chg, cs, g_prev, t_in_gear, pend)
        if g < 0:
            # only reached at v1 = 0 after bisection with a force no mode can hold: brakes hold the car
            g = 0
            want = False
        res = gear_eval(eng, gb, mot, ctl, aux, g, want, vbar, w_wheel, t_wheel, w_wheel_prev, w_in_prev, g_prev,
                        w_e_prev, prev_closed, eng_on, dt, soc, p_dis, p_chg, cs, pend)
        w_in = res[3]
        w_e = res[4]
        t_e = res[5]
        t_c = res[6]
        clutch = res[7]
        t_m = res[8]
        fuel = res[9]
        t_in_act = res[10]
        t_jm = res[11]
        t_je = res[12]
        e_sh_m = res[14]
        e_sh_e = res[15]
        p_sh_m = res[16]
        p_sh_e = res[17]
        e_ck = res[18]
        e_cs = res[19]
        p_ck = res[20]
        p_cs = res[21]
        if not res[0]:
            # infeasible leftover (v̄ = 0 handled by gear_eval as EV standstill): pass nothing; earlier
            # starts and shifts are still booked as in EV
            w_e = 0.0
            t_e = 0.0
            t_c = 0.0
            clutch = 0.0
            t_m = 0.0
            fuel = 0.0
            t_je = 0.0
            e_sh_e = 0.0
            e_ck = 0.0
            e_cs = 0.0
            p_ck = pend[2]
            p_cs = pend[3]
            w_ref = w_wheel_prev * gb.ratios[g] * gb.final_drive_ratio
            t_jm = aux.input_inertia_kgm2 * (w_in - w_ref) / dt
            e_sh_m = 0.0
            p_sh_m = 0.0
            p_sh_e = 0.0
            if g != g_prev and w_in > 0.0:
                e_sh_m = 0.5 * aux.input_inertia_kgm2 * (w_ref * w_ref - w_in_prev * w_in_prev)
                p_sh_m = (e_shm_pend + e_sh_m) / max(ctl.shift_time_s, dt)
                p_sh_e = e_she_pend / max(ctl.shift_time_s, dt)
            elif w_in > 0.0:
                p_sh_m = pend[6]
                p_sh_e = pend[7]
            t_in_act = t_m - t_jm
            if w_in > 0.0:
                t_in_act -= (p_sh_m + p_sh_e) / w_in
            want = False
        # pending start and shift energies: add this step's new ones, take off what this step books
        if e_ck != 0.0 or e_cs != 0.0:
            e_ck_pend += e_ck
            e_cs_pend += e_cs
            crank_left = max(ctl.crank_time_s, dt)
        e_ck_pend -= p_ck * dt
        e_cs_pend -= p_cs * dt
        crank_left -= dt
        if crank_left <= 1e-12:
            e_ck_pend = 0.0
            e_cs_pend = 0.0
            crank_left = 0.0
        if g != g_prev and w_in > 0.0:
            e_shm_pend += e_sh_m
            e_she_pend += e_sh_e
            shift_left = max(ctl.shift_time_s, dt)
        if w_in > 0.0:
            e_shm_pend -= p_sh_m * dt
            e_she_pend -= p_sh_e * dt
            shift_left -= dt
            if shift_left <= 1e-12:
                e_shm_pend = 0.0
                e_she_pend = 0.0
                shift_left = 0.0
        p_dc, p_loss_m, p_inv = motor_dc_power_w(mot, t_m, w_in)
        if fuel > 0.0:
            fuel += cold_extra_fuel_kg_s(th, eng, aux.friction_fuel_kg_s, temp, w_e)
        if want and not eng_on:
            fuel += aux.engine_start_fuel_kg / dt
        # wheel torque the driveline delivers for the input torque it gets
        i = gb.ratios[g] * gb.final_drive_ratio
        eta = gb.efficiencies[g] * gb.final_drive_efficiency
        t_wpt = gear_output_torque(t_in_act, i, eta)
        if w_wheel <= 0.0:
            t_wpt = t_wheel
        # an empty battery with the engine flat out cannot feed the accessories: their load is cut (reported)
        p_acc = aux.accessory_power_w
        if p_dc + p_acc + p_ck + p_cs > p_dis + 1e-6 and p_acc > 0.0:  # (the limit tolerance of the steps)
            p_acc = max(p_dis - p_dc - p_ck - p_cs, 0.0)
        p_term = p_dc + p_acc + p_ck + p_cs
        i_b, v_b, p_chem, p_bloss, soc_new = battery_step(bat, soc, p_term, dt)
        p_fuel = fuel * eng.lhv_j_per_kg
        temp = coolant_step_c(th, temp, p_fuel, dt)
        # bookkeeping
        if g != g_prev:
            t_in_gear = 0.0
        t_in_gear += dt
        if want:
            on_time = on_time + dt if eng_on else dt
            off_time = 0.0
        else:
            off_time = off_time + dt if not eng_on else dt
            on_time = 0.0
        out.speed_mps[k] = v1
        out.trace_miss_mps[k] = speed_mps[k] - v1
        out.gear[k] = g + 1.0
        out.charge_sustaining[k] = 1.0 if cs else 0.0
        out.engine_mode[k] = (1.0 if fuel > 0.0 else 2.0) if want else 0.0
        out.clutch_state[k] = clutch
        out.engine_speed_rad_s[k] = w_e
        out.engine_torque_nm[k] = t_e
        out.fuel_kg_s[k] = fuel
        out.p2_speed_rad_s[k] = w_in
        out.p2_torque_nm[k] = t_m
        out.p2_electric_power_w[k] = p_dc
        out.battery_current_a[k] = i_b
        out.battery_voltage_v[k] = v_b
        out.battery_power_w[k] = p_term
        out.soc[k] = soc_new
        out.coolant_temp_c[k] = temp
        out.fuel_power_w[k] = p_fuel
        out.battery_chemical_power_w[k] = p_chem
        out.engine_loss_w[k] = p_fuel - t_e * w_e
        out.engine_inertia_power_w[k] = t_je * w_e + p_sh_e + p_ck
        out.clutch_loss_w[k] = t_c * (w_e - w_in) + p_cs
        out.p2_loss_w[k] = p_loss_m
        out.inverter_loss_w[k] = p_inv
        out.p2_inertia_power_w[k] = t_jm * w_in + p_sh_m
        out.gearbox_loss_w[k] = t_in_act * w_in - t_wpt * w_wheel
        out.battery_loss_w[k] = p_bloss
        out.accessory_power_w[k] = p_acc
        out.brake_power_w[k] = (t_wpt - t_wheel) * w_wheel
        out.wheel_power_w[k] = t_wheel * w_wheel
        soc = soc_new
        eng_on = want
        g_prev = g
        w_wheel_prev = w_wheel
        w_in_prev = w_in
        w_e_prev = w_e
        prev_closed = clutch == 2.0
