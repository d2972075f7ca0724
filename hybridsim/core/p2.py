"""Time-loop kernel of a P2 parallel (plug-in) hybrid: engine — K0 clutch — P2 motor — step-ratio
automatic — transfer case/final drive — wheels. Rule-based control (``control/p2.py``).

Per interval (DESIGN.md §3, quasi-static backward step with a forward feasibility check):

1. Wheel force from the trace (``chassis.wheel_force_n``), wheel speed ω_w = v̄/r, torque T_w = F·r.
2. The controller's mode (CD/CS by SOC with hysteresis) and its engine request (``control/p2.py``).
3. Every gear is evaluated (``gear_eval``) with the engine ON (K0 closed, or slipping in 1st gear
   below the lowest clutch-closed engine speed) or OFF (K0 open, EV). Gearbox input (= P2 motor)
   speed ω_in = ω_w·i_g·i_fd; input torque T_in = T_w/(i·η) in traction, T_w·η/i on overrun; the
   P2 rotor and gearbox input inertia add T_jm = J_in·(ω_in − ω_w,prev·i_g·i_fd)/dt, so T_req = T_in + T_jm
   (the same for the engine rotor while K0 stays closed). The speed step of a gear change itself is
   taken by the gearbox's shift elements within the shift and is not booked (about ½·J·Δω² ≈ 1–2 kJ a
   shift); booking it as a torque over one step would make the result depend on dt.
   ON: T_clutch = T_req + P_chg/ω_e (load-following, clipped to [0, WOT − T_je]), the motor closes
   T_m = T_req − T_clutch within its envelope and the battery's limits (``core/electric.py``).
   OFF: T_m = T_req (traction) or the regenerative share of the braking torque, limited by the motor
   envelope and the charge limit; the friction brakes take the rest.
   The gear with the least equivalent power P_fuel + s·P_dc is taken, with hysteresis and dwell.
4. If EV is infeasible in every gear the engine is started; if no gear can deliver even with the
   engine, the end speed is lowered by bisection (trace miss), as in ``core/conventional.py``.
5. Cold start (as ``core/ths.py``): a lumped coolant temperature ``C·dT/dt = f·P_fuel`` (capped at the
   thermostat temperature) raises engine friction by ``θ^(−t)`` (CO2MPAS; θ the normalised absolute
   coolant temperature), turned into extra fuel via the Willans friction line while the engine is
   fuelled. Unlike THS, the P2 controller does not force the engine on to warm up (a plug-in drives
   electrically when cold; the extra fuel arrives whenever the engine is needed).
6. Engine start events: ``start_fuel`` extra fuel (its energy in the engine loss) and the crank
   energy ½·J_e·ω_e² taken from the battery terminals (the P2 motor cranks through K0; the motor and
   clutch losses of cranking are neglected) and booked as engine inertia power.

Power balance per step (each term an output)::

    P_fuel + P_batt,chem = P_engine_loss + P_engine_inertia + P_clutch_loss + P_p2_loss + P_inverter_loss
        + P_p2_inertia + P_gearbox_loss + P_battery_loss + P_accessory + P_brake + P_wheel

Nothing here raises; nothing allocates in the time loop; any dt works.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit
from .chassis import wheel_force_n
from .electric import battery_limits_w, battery_step, motor_dc_power_w, motor_tmax, motor_torque_for_dc_power
from .engine import engine_point
from .interp import interp1_uniform

INF = np.inf


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
def gear_eval(
    eng,
    gb,
    mot,
    ctl,
    aux,
    g,
    eng_on,
    vbar,
    w_wheel,
    t_wheel,
    w_wheel_prev,
    w_e_prev,
    prev_closed,
    was_on,
    dt,
    soc,
    p_dis,
    p_chg,
    cs,
):
    """One gear, engine on or off.

    Returns (feasible, cost [W], reserve (T_e/WOT), w_in, w_e, t_e, t_c, clutch, t_m, fuel, t_in_act,
    t_jm, t_je, p_dc): input speed, engine speed and torque, clutch torque and state, motor torque,
    fuel rate, torque actually put into the gearbox, input and engine inertia torques, motor DC power.
    """
    i = gb.ratios[g] * gb.final_drive_ratio
    eta = gb.efficiencies[g] * gb.final_drive_efficiency
    w_in = w_wheel * i
    if t_wheel >= 0.0:
        t_in = t_wheel / (i * eta)
    else:
        t_in = t_wheel * eta / i
    # rotor acceleration in this gear (a gear change's speed step is taken by the shift elements)
    w_in_ref = w_wheel_prev * i
    t_jm = aux.input_inertia_kgm2 * (w_in - w_in_ref) / dt
    t_req = t_in + t_jm
    p_aux = aux.accessory_power_w
    t_mmax = motor_tmax(mot, w_in)
    bad = (False, INF, INF, w_in, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t_in, t_jm, 0.0, 0.0)
    if w_in > mot.max_speed_rad_s:
        return bad
    # most negative motor torque the battery can absorb (charge limit, accessories included)
    p_min = -p_chg - p_aux
    t_lim = 0.0
    if p_min < 0.0:
        t_lim = motor_torque_for_dc_power(mot, w_in, p_min)
    if not eng_on:
        if t_in < 0.0:
            fade = 1.0
            if ctl.regen_fade_speed_mps > 0.0 and vbar < ctl.regen_fade_speed_mps:
                fade = vbar / ctl.regen_fade_speed_mps
            t_m = t_jm + t_in * ctl.regen_share * fade
        else:
            t_m = t_req
        if t_m > t_mmax + 1e-9:
            return bad
        if t_m < -t_mmax:
            t_m = -t_mmax
        if t_m < 0.0 and t_m < t_lim:
            t_m = t_lim
        p_dc = motor_dc_power_w(mot, t_m, w_in)[0]
        if p_dc > 0.0 and p_dc + p_aux > p_dis + 1e-6:
            return bad
        t_in_act = t_m - t_jm
        return (True, ctl.equivalence_factor * p_dc, 0.0, w_in, 0.0, 0.0, 0.0, 0.0, t_m, 0.0, t_in_act, t_jm, 0.0, p_dc)
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
    if was_on:
        w_e_ref = w_in_ref if (prev_closed and clutch == 2.0) else w_e_prev
        t_je = eng.inertia_kgm2 * (w_e - w_e_ref) / dt
    t_chg = 0.0
    if cs and clutch == 2.0:
        p_c = ctl.charge_gain_w * (ctl.soc_target - soc)
        if p_c > ctl.charge_power_max_w:
            p_c = ctl.charge_power_max_w
        if p_c > 0.0:
            t_chg = p_c / w_e
    t_max0 = engine_point(eng, w_e, 0.0)[0]
    t_c = t_req + t_chg
    if t_c > t_max0 - t_je:
        t_c = t_max0 - t_je
    if t_c < 0.0:
        t_c = 0.0
    t_e, t_c, t_max, fuel = _engine_at(eng, w_e, t_c, t_je)
    t_m = t_req - t_c
    if t_m > t_mmax + 1e-9:
        return bad
    if t_m < -t_mmax or (t_m < 0.0 and t_m < t_lim):
        # the motor or battery cannot absorb all: the engine gives less
        t_m = max(-t_mmax, t_lim)
        t_e, t_c, t_max, fuel = _engine_at(eng, w_e, t_req - t_m, t_je)
        t_m = t_req - t_c
    p_dc = motor_dc_power_w(mot, t_m, w_in)[0]
    if p_dc > 0.0 and p_dc + p_aux > p_dis + 1e-6:
        return bad
    if t_e > t_max + 1e-9:
        return bad
    cost = fuel * eng.lhv_j_per_kg + ctl.equivalence_factor * p_dc
    if not was_on:
        cost += aux.engine_start_fuel_kg * eng.lhv_j_per_kg / dt
    return (True, cost, t_e / t_max, w_in, w_e, t_e, t_c, clutch, t_m, fuel, t_req - t_jm, t_jm, t_je, p_dc)


@jit
def choose_gear(
    eng,
    gb,
    mot,
    ctl,
    aux,
    eng_on,
    vbar,
    w_wheel,
    t_wheel,
    w_wheel_prev,
    w_e_prev,
    prev_closed,
    was_on,
    dt,
    soc,
    p_dis,
    p_chg,
    cs,
    g_prev,
    t_in_gear,
):
    """Least-cost feasible gear (engine on: within the torque reserve if possible), with hysteresis and
    dwell; -1 if none."""
    if w_wheel <= 0.0:
        return 0 if not eng_on else -1
    ng = gb.ratios.shape[0]
    best = -1
    best_cost = INF
    fallback = -1
    fallback_res = INF
    prev_ok = False
    prev_cost = INF
    for g in range(ng - 1, -1, -1):
        r = gear_eval(
            eng,
            gb,
            mot,
            ctl,
            aux,
            g,
            eng_on,
            vbar,
            w_wheel,
            t_wheel,
            w_wheel_prev,
            w_e_prev,
            prev_closed,
            was_on,
            dt,
            soc,
            p_dis,
            p_chg,
            cs,
        )
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
        return fallback
    margin = ctl.shift_hysteresis * max(abs(best_cost), 100.0)
    if prev_ok and (t_in_gear < ctl.min_time_in_gear_s or prev_cost <= best_cost + margin):
        return g_prev
    return best


@jit
def _feasible(
    ch,
    eng,
    gb,
    mot,
    ctl,
    aux,
    v0,
    v1,
    dt,
    grade,
    w_wheel_prev,
    w_e_prev,
    prev_closed,
    was_on,
    soc,
    p_dis,
    p_chg,
    cs,
    g_prev,
    t_in_gear,
):
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    for j in range(2):
        on = j == 1
        g = choose_gear(
            eng,
            gb,
            mot,
            ctl,
            aux,
            on,
            vbar,
            vbar / r,
            f * r,
            w_wheel_prev,
            w_e_prev,
            prev_closed,
            was_on,
            dt,
            soc,
            p_dis,
            p_chg,
            cs,
            g_prev,
            t_in_gear,
        )
        if g >= 0:
            return True
    return False


@jit
def engine_request(ctl, cs, soc, vbar, p_wheel, eng_on_prev, on_time, off_time):
    """The controller's engine request before the feasibility check (see control/p2.py)."""
    if vbar <= 0.0 or p_wheel <= 0.0:
        return False
    if vbar > ctl.ev_speed_max_mps:
        return True
    if cs:
        if soc < ctl.soc_engine_force:
            return True
        if eng_on_prev and (p_wheel > ctl.engine_off_power_w or on_time < ctl.min_on_time_s):
            return True
        if p_wheel > ctl.engine_on_power_w and (eng_on_prev or off_time >= ctl.min_off_time_s):
            return True
        return False
    return eng_on_prev and on_time < ctl.min_on_time_s


@jit
def run_p2(ch, eng, gb, mot, bat, ctl, aux, th, soc0, time_s, speed_mps, grade, out):
    """Simulate a P2 hybrid over a speed trace from SOC ``soc0``; fills ``out`` (see P2Out).

    ``th`` is the engine warm-up model shared with the THS kernel (``core.ths.ThermalK``).
    """
    n = time_s.shape[0]
    r = ch.wheel_radius_m
    soc = soc0
    cs = soc0 < ctl.soc_cs_enter
    eng_on = False
    on_time = 0.0
    off_time = 1e9
    g_prev = 0
    t_in_gear = 0.0
    w_wheel_prev = 0.0
    w_e_prev = 0.0
    prev_closed = False
    temp = th.initial_c if th.enabled > 0.0 else th.hot_c
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
        p_dis, p_chg = battery_limits_w(bat, soc)
        if not _feasible(
            ch,
            eng,
            gb,
            mot,
            ctl,
            aux,
            v0,
            v1,
            dt,
            grade[k],
            w_wheel_prev,
            w_e_prev,
            prev_closed,
            eng_on,
            soc,
            p_dis,
            p_chg,
            cs,
            g_prev,
            t_in_gear,
        ):
            lo = 0.0
            hi = v1
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if _feasible(
                    ch,
                    eng,
                    gb,
                    mot,
                    ctl,
                    aux,
                    v0,
                    mid,
                    dt,
                    grade[k],
                    w_wheel_prev,
                    w_e_prev,
                    prev_closed,
                    eng_on,
                    soc,
                    p_dis,
                    p_chg,
                    cs,
                    g_prev,
                    t_in_gear,
                ):
                    lo = mid
                else:
                    hi = mid
            v1 = lo
        f = wheel_force_n(ch, v0, v1, dt, grade[k])
        vbar = 0.5 * (v0 + v1)
        w_wheel = vbar / r
        t_wheel = f * r
        want = engine_request(ctl, cs, soc, vbar, f * vbar, eng_on, on_time, off_time)
        g = choose_gear(
            eng,
            gb,
            mot,
            ctl,
            aux,
            want,
            vbar,
            w_wheel,
            t_wheel,
            w_wheel_prev,
            w_e_prev,
            prev_closed,
            eng_on,
            dt,
            soc,
            p_dis,
            p_chg,
            cs,
            g_prev,
            t_in_gear,
        )
        if g < 0:
            want = not want
            g = choose_gear(
                eng,
                gb,
                mot,
                ctl,
                aux,
                want,
                vbar,
                w_wheel,
                t_wheel,
                w_wheel_prev,
                w_e_prev,
                prev_closed,
                eng_on,
                dt,
                soc,
                p_dis,
                p_chg,
                cs,
                g_prev,
                t_in_gear,
            )
        if g < 0:
            # only reached at v1 = 0 after bisection with a force no mode can hold: brakes hold the car
            g = 0
            want = False
        res = gear_eval(
            eng,
            gb,
            mot,
            ctl,
            aux,
            g,
            want,
            vbar,
            w_wheel,
            t_wheel,
            w_wheel_prev,
            w_e_prev,
            prev_closed,
            eng_on,
            dt,
            soc,
            p_dis,
            p_chg,
            cs,
        )
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
        if not res[0]:
            # infeasible leftover (v̄ = 0 handled by gear_eval as EV standstill): pass nothing
            w_e = 0.0
            t_e = 0.0
            t_c = 0.0
            clutch = 0.0
            t_m = 0.0
            fuel = 0.0
            t_je = 0.0
            t_jm = aux.input_inertia_kgm2 * (w_in - w_wheel_prev * gb.ratios[g] * gb.final_drive_ratio) / dt
            t_in_act = t_m - t_jm
            want = False
        p_dc, p_loss_m, p_inv = motor_dc_power_w(mot, t_m, w_in)
        if fuel > 0.0 and th.enabled > 0.0 and temp < th.hot_c:
            theta = (temp + 273.15) / (th.hot_c + 273.15)
            fric = interp1_uniform(eng.speed_min_rad_s, 1.0 / eng.speed_inv_step, aux.friction_fuel_kg_s, w_e)
            fuel += (theta ** (-th.friction_exponent) - 1.0) * fric
        p_crank = 0.0
        if want and not eng_on:
            fuel += aux.engine_start_fuel_kg / dt
            p_crank = 0.5 * eng.inertia_kgm2 * w_e * w_e / dt
        # wheel torque the driveline delivers for the input torque it gets
        i = gb.ratios[g] * gb.final_drive_ratio
        eta = gb.efficiencies[g] * gb.final_drive_efficiency
        if t_in_act >= 0.0:
            t_wpt = t_in_act * i * eta
        else:
            t_wpt = t_in_act * i / eta
        if w_wheel <= 0.0:
            t_wpt = t_wheel
        p_term = p_dc + aux.accessory_power_w + p_crank
        i_b, v_b, p_chem, p_bloss, soc_new = battery_step(bat, soc, p_term, dt)
        p_fuel = fuel * eng.lhv_j_per_kg
        if th.enabled > 0.0:
            temp += dt * th.coolant_heat_fraction * p_fuel / th.heat_capacity_j_per_k
            if temp > th.hot_c:
                temp = th.hot_c
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
        out.engine_inertia_power_w[k] = t_je * w_e + p_crank
        out.clutch_loss_w[k] = t_c * (w_e - w_in)
        out.p2_loss_w[k] = p_loss_m
        out.inverter_loss_w[k] = p_inv
        out.p2_inertia_power_w[k] = t_jm * w_in
        out.gearbox_loss_w[k] = t_in_act * w_in - t_wpt * w_wheel
        out.battery_loss_w[k] = p_bloss
        out.accessory_power_w[k] = aux.accessory_power_w
        out.brake_power_w[k] = (t_wpt - t_wheel) * w_wheel
        out.wheel_power_w[k] = t_wheel * w_wheel
        soc = soc_new
        eng_on = want
        g_prev = g
        w_wheel_prev = w_wheel
        w_e_prev = w_e
        prev_closed = clutch == 2.0
