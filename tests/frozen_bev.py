"""FROZEN COPY of ``hybridsim/core/bev.py`` as it was on main (commit b9d8cc1) before issue 14 split it into a
plant step (``core/bev.py``) and decisions (``core/bev_control.py``). Used only by ``test_plant_split.py`` to show
that the rule-based results of the split kernel are bit-identical to the old one's. Do not edit: it is the
yardstick; delete it when the comparison is no longer wanted. (It imports the shared component functions of
``hybridsim.core``, so that a later change to those changes both sides alike; so too the freewheeling machines'
torques and powers, since the empty-battery fix that books them at zero DC power, ``core.bev.freewheel_*``.)

Time-loop kernel of a dual-motor battery-electric car: front machine → single reduction → front axle,
rear machine → 2-speed gearbox → rear axle, one battery (``components/drive_unit.py``, ``control/bev.py``).

Quasi-static backward step with a forward feasibility check, as ``core/conventional.py``. Per interval:

1. demanded wheel torque ``T = F·r`` (``chassis.wheel_force_n``; the chassis's effective mass holds the
   wheels and both rotors with the rear unit in top gear), wheel speed ω = v̄/r;
2. rear gear from the controller rule (1st for hard launches, 2nd otherwise, with hysteresis); the
   other gear if the chosen one cannot deliver. In a lower gear g the rear rotor turns faster: the rear
   axle must also give it ``ΔM_g·a`` with ``ΔM_g = J_r·(i_g² − i_top²)/r²``, so ``T = (F + ΔM_g·a)·r``;
   that power ``ΔM_g·a·v̄`` is booked as ``rear_rotor_inertia_power`` (a sink: the rotor's kinetic energy
   above its top-gear share, which the clutch pack dissipates at the upshift; the spin-up at a downshift
   under way is neglected);
3. axle split: ``T = T_f + T_r`` chosen to minimise the machines' total DC power
   ``P = P_dc,f(T_f) + P_dc,r(T_r)`` over the feasible interval (motor envelopes through the reduction:
   ``|T_axle| ≤ T_max·i·η`` driving, ``≤ T_max·i/η`` braking, see ``motor_torque_from_wheel``; per-axle
   traction on the ground force ``T_axle/r − M_axle·a`` (M_axle: that axle's wheels and rotor, which the
   machine spins up, not the tyre): ``T_axle ≤ (μ·N_axle + M_axle·a)·r`` driving and
   ``−T_axle ≤ (μ·N_axle − M_axle·a)·r`` braking, weight transfer ``ΔN = m·a·h/L`` with the translating
   mass m), by a grid of
   ``N_GRID`` points that always contains the interval's ends (single-axle drive) and the 50/50
   split, refined by golden-section search around the best grid point; candidates breaking the
   system power cap (Σ shaft power) or the battery discharge limit are rejected;
4. braking: the machines take the demand (faded out below ``regen_fade_speed``) with the split that
   recovers the most, reduced by bisection until the DC power respects the regeneration cap and the
   battery's charge limit; zero regeneration is taken instead if it costs less; friction brakes take
   the rest;
5. if no gear can deliver, the end speed is lowered by bisection (trace miss); nothing raises.

Power balance per step (every term is an output; checked outside)::

    P_chem = P_battery_loss + P_aux + P_inverter_loss + P_front_loss + P_rear_loss + P_gearbox_loss
             + P_rear_rotor_inertia + P_wheel + P_brake

The gearbox loss is computed per axle from the machine's shaft power and η in the direction of power
flow (``reduction_loss_w``), not as a residual; the friction brake power is the one balancing term
(axle torque demand minus what the machines deliver) and is ≥ 0 (tested).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hybridsim.core import jit
from hybridsim.core.bev import braking_wheel_torques, freewheel_axle_powers, freewheel_torques
from hybridsim.core.chassis import G, wheel_force_n
from hybridsim.core.driveline import TRACE_MISS_BISECTIONS, gear_input_torque, regen_fade
from hybridsim.core.electric import (
    battery_step,
    battery_window_limits_w,
    motor_dc_power_w,
    motor_tmax,
)

N_GRID = 24  # grid intervals of the split search
N_GOLDEN = 24  # golden-section iterations of the refinement
INVPHI = 0.6180339887498949


class BevAuxK(NamedTuple):
    accessory_power_w: float  # battery-side accessory load (through the DC/DC converter)
    tyre_mu: float  # peak friction coefficient; 0 = no traction limit
    front_static_share: float  # static share of the weight on the front axle
    cg_over_wheelbase: float  # h/L for the static weight transfer
    wheel_mass_per_axle_kg: float  # one axle's wheels, J_w/2/r²
    front_rotor_inertia_kgm2: float  # J_f
    rear_rotor_inertia_kgm2: float  # J_r


class BevOut(NamedTuple):
    speed_mps: np.ndarray
    rear_gear: np.ndarray
    front_motor_speed_rad_s: np.ndarray
    front_motor_torque_nm: np.ndarray
    front_motor_electric_power_w: np.ndarray
    front_motor_loss_w: np.ndarray
    rear_motor_speed_rad_s: np.ndarray
    rear_motor_torque_nm: np.ndarray
    rear_motor_electric_power_w: np.ndarray
    rear_motor_loss_w: np.ndarray
    inverter_loss_w: np.ndarray
    gearbox_loss_w: np.ndarray
    rear_rotor_inertia_power_w: np.ndarray
    battery_current_a: np.ndarray
    battery_voltage_v: np.ndarray
    battery_power_w: np.ndarray
    battery_chemical_power_w: np.ndarray
    battery_loss_w: np.ndarray
    soc: np.ndarray
    accessory_power_w: np.ndarray
    wheel_power_w: np.ndarray
    brake_power_w: np.ndarray
    trace_miss_mps: np.ndarray


def allocate(n: int) -> BevOut:
    return BevOut(*(np.zeros(n) for _ in BevOut._fields))


@jit
def motor_torque_from_wheel(t_wheel, i, eta):
    """Machine torque for a wheel torque through a reduction i with efficiency η (power-flow dependent)."""
    return gear_input_torque(t_wheel, i, eta)


@jit
def reduction_loss_w(t_motor, w_motor, eta):
    """Loss of a reduction with efficiency η in the direction of power flow: (1 − η)·P_m when the machine
    drives (P_m = T_m·ω_m ≥ 0), (1/η − 1)·|P_m| when the wheels drive it (the wheel side carries |P_m|/η)."""
    p = t_motor * w_motor
    if p >= 0.0:
        return (1.0 - eta) * p
    return -p * (1.0 / eta - 1.0)


@jit
def rear_rotor_extra_mass(dr, aux, g, r):
    """ΔM_g = J_r·(i_g² − i_top²)/r²: the rear rotor's reflected inertia in gear g beyond the chassis's. [kg]"""
    i_top = dr.rear_ratios[dr.rear_ratios.shape[0] - 1]
    return aux.rear_rotor_inertia_kgm2 * (dr.rear_ratios[g] ** 2 - i_top**2) / (r * r)


@jit
def axle_powers(mf, mr, dr, g, w_wheel, t_front, t_rear):
    """(P_dc total, shaft power total, t_mf, t_mr, P_dc,f, P_dc,r, loss_f, loss_r, inverter loss) for wheel
    torques t_front, t_rear with the rear unit in gear g."""
    i_f = dr.front_ratio
    i_r = dr.rear_ratios[g]
    t_mf = motor_torque_from_wheel(t_front, i_f, dr.front_efficiency)
    t_mr = motor_torque_from_wheel(t_rear, i_r, dr.rear_efficiencies[g])
    w_mf = w_wheel * i_f
    w_mr = w_wheel * i_r
    p_f, l_f, inv_f = motor_dc_power_w(mf, t_mf, w_mf)
    p_r, l_r, inv_r = motor_dc_power_w(mr, t_mr, w_mr)
    return p_f + p_r, t_mf * w_mf + t_mr * w_mr, t_mf, t_mr, p_f, p_r, l_f, l_r, inv_f + inv_r


@jit
def axle_limits(mf, mr, dr, aux, g, w_wheel, mass, acc, r, braking):
    """Largest |wheel torque| per axle: motor envelope through the reduction (T_max·i·η driving, T_max·i/η
    braking: on overrun T_motor = T_wheel·η/i), and traction on the ground force (see module docstring)."""
    i_f = dr.front_ratio
    i_r = dr.rear_ratios[g]
    if braking:
        tf = motor_tmax(mf, w_wheel * i_f) * i_f / dr.front_efficiency
        tr = motor_tmax(mr, w_wheel * i_r) * i_r / dr.rear_efficiencies[g]
    else:
        tf = motor_tmax(mf, w_wheel * i_f) * i_f * dr.front_efficiency
        tr = motor_tmax(mr, w_wheel * i_r) * i_r * dr.rear_efficiencies[g]
    if aux.tyre_mu > 0.0:
        dn = mass * acc * aux.cg_over_wheelbase
        n_f = mass * G * aux.front_static_share - dn
        n_r = mass * G * (1.0 - aux.front_static_share) + dn
        if n_f < 0.0:
            n_f = 0.0
        if n_r < 0.0:
            n_r = 0.0
        m_f = aux.wheel_mass_per_axle_kg + aux.front_rotor_inertia_kgm2 * i_f * i_f / (r * r)
        m_r = aux.wheel_mass_per_axle_kg + aux.rear_rotor_inertia_kgm2 * i_r * i_r / (r * r)
        sgn = -1.0 if braking else 1.0
        cf = (aux.tyre_mu * n_f + sgn * m_f * acc) * r
        cr = (aux.tyre_mu * n_r + sgn * m_r * acc) * r
        tf = min(tf, max(cf, 0.0))
        tr = min(tr, max(cr, 0.0))
    return tf, tr


@jit
def _cost(mf, mr, dr, g, w_wheel, t_total, t_front, p_dis, p_sys, p_aux):
    """DC power of a split, or +inf when it breaks the system power cap or the battery discharge limit."""
    res = axle_powers(mf, mr, dr, g, w_wheel, t_front, t_total - t_front)
    p = res[0]
    if t_total > 0.0 and (res[1] > p_sys * (1.0 + 1e-12) or p + p_aux > p_dis * (1.0 + 1e-12)):
        return np.inf
    return p


@jit
def best_split(mf, mr, dr, g, w_wheel, t_total, tf_max, tr_max, p_dis, p_sys, p_aux):
    """Front wheel torque minimising total DC power for total wheel torque t_total (both axles same sign).

    Returns (ok, t_front, P_dc). ok is False if no split satisfies the envelopes/traction (t_total beyond
    tf_max + tr_max) or, when driving, the system power cap and battery discharge limit.
    """
    if t_total >= 0.0:
        lo = max(0.0, t_total - tr_max)
        hi = min(t_total, tf_max)
    else:
        lo = max(t_total, -tf_max)
        hi = min(0.0, t_total + tr_max)
    if lo > hi + 1e-9 * (1.0 + abs(t_total)):
        return False, 0.0, np.inf
    if lo > hi:
        hi = lo
    best_t = lo
    best_p = _cost(mf, mr, dr, g, w_wheel, t_total, lo, p_dis, p_sys, p_aux)
    best_k = 0
    span = hi - lo
    if span > 0.0:
        for k in range(1, N_GRID + 1):
            tf = hi if k == N_GRID else lo + span * k / N_GRID
            p = _cost(mf, mr, dr, g, w_wheel, t_total, tf, p_dis, p_sys, p_aux)
            if p < best_p:
                best_p = p
                best_t = tf
                best_k = k
        half = 0.5 * t_total
        if lo <= half <= hi:
            p = _cost(mf, mr, dr, g, w_wheel, t_total, half, p_dis, p_sys, p_aux)
            if p < best_p:
                best_p = p
                best_t = half
                best_k = -1
        if best_k >= 0 and best_p < np.inf:
            # golden-section refinement inside the neighbouring grid cells (interior only: the ends carry
            # the constant-loss step of a machine at zero torque and are grid points already)
            a = lo + span * max(best_k - 1, 0) / N_GRID
            b = lo + span * min(best_k + 1, N_GRID) / N_GRID
            c = b - INVPHI * (b - a)
            d = a + INVPHI * (b - a)
            pc = _cost(mf, mr, dr, g, w_wheel, t_total, c, p_dis, p_sys, p_aux)
            pd = _cost(mf, mr, dr, g, w_wheel, t_total, d, p_dis, p_sys, p_aux)
            for _ in range(N_GOLDEN):
                if pc < pd:
                    b = d
                    d = c
                    pd = pc
                    c = b - INVPHI * (b - a)
                    pc = _cost(mf, mr, dr, g, w_wheel, t_total, c, p_dis, p_sys, p_aux)
                else:
                    a = c
                    c = d
                    pc = pd
                    d = a + INVPHI * (b - a)
                    pd = _cost(mf, mr, dr, g, w_wheel, t_total, d, p_dis, p_sys, p_aux)
            if pc < best_p:
                best_p = pc
                best_t = c
            if pd < best_p:
                best_p = pd
                best_t = d
    return best_p < np.inf, best_t, best_p


@jit
def choose_gear(mf, mr, dr, ctl, g_prev, v, w_wheel, t_total):
    """Controller rule for the rear gear (0 = 1st, 1 = 2nd); see control/bev.py."""
    if dr.rear_ratios.shape[0] < 2:
        return 0
    if w_wheel * dr.rear_ratios[0] > mr.max_speed_rad_s:
        return 1
    t2 = (motor_tmax(mf, w_wheel * dr.front_ratio) * dr.front_ratio * dr.front_efficiency
          + motor_tmax(mr, w_wheel * dr.rear_ratios[1]) * dr.rear_ratios[1] * dr.rear_efficiencies[1])
    if g_prev == 0:
        if v < ctl.first_gear_max_speed_mps and t_total > ctl.release_demand_fraction * t2:
            return 0
        return 1
    if v < ctl.downshift_speed_mps and t_total > ctl.launch_demand_fraction * t2:
        return 0
    return 1


@jit
def drive_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade, g_prev, p_dis, p_sys):
    """Traction or coasting step: (ok, gear, t_front, t_total, f). ok False if no gear can deliver.

    f is the chassis force (top-gear rotor inertia); t_total = (f + ΔM_g·a)·r the axle torque demand in the
    gear used."""
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    w = vbar / r
    acc = (v1 - v0) / dt
    g = choose_gear(mf, mr, dr, ctl, g_prev, vbar, w, f * r)
    ng = dr.rear_ratios.shape[0]
    for attempt in range(ng):
        gg = (g + attempt) % ng
        if w * dr.rear_ratios[gg] > mr.max_speed_rad_s or w * dr.front_ratio > mf.max_speed_rad_s:
            continue
        t_total = (f + rear_rotor_extra_mass(dr, aux, gg, r) * acc) * r
        tf_max, tr_max = axle_limits(mf, mr, dr, aux, gg, w, ch.mass_kg, acc, r, False)
        ok, tf, p = best_split(mf, mr, dr, gg, w, t_total, tf_max, tr_max, p_dis, p_sys, aux.accessory_power_w)
        if ok:
            return True, gg, tf, t_total, f
    return False, g, 0.0, f * r, f


@jit
def regen_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade, g_prev, p_chg):
    """Braking step: (gear, t_front, t_electric, f) with t_electric ≥ the axle demand (f + ΔM_g·a)·r (friction
    takes the rest)."""
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    w = vbar / r
    acc = (v1 - v0) / dt
    g = choose_gear(mf, mr, dr, ctl, g_prev, vbar, w, 0.0)
    if w * dr.rear_ratios[g] > mr.max_speed_rad_s:
        g = dr.rear_ratios.shape[0] - 1
    t_dem = (f + rear_rotor_extra_mass(dr, aux, g, r) * acc) * r
    fade = regen_fade(vbar, ctl.regen_fade_speed_mps)
    tf_max, tr_max = axle_limits(mf, mr, dr, aux, g, w, ch.mass_kg, acc, r, True)
    t_req = t_dem * fade
    if t_req < -(tf_max + tr_max):
        t_req = -(tf_max + tr_max)
    p_lo = -p_chg - aux.accessory_power_w
    if p_lo < -dr.regen_power_w:
        p_lo = -dr.regen_power_w
    ok, tf, p = best_split(mf, mr, dr, g, w, t_req, tf_max, tr_max, np.inf, np.inf, 0.0)
    if ok and p < p_lo:
        lo = 0.0
        hi = 1.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            okm, tfm, pm = best_split(mf, mr, dr, g, w, t_req * mid, tf_max, tr_max, np.inf, np.inf, 0.0)
            if okm and pm >= p_lo:
                lo = mid
            else:
                hi = mid
        t_req = t_req * lo
        ok, tf, p = best_split(mf, mr, dr, g, w, t_req, tf_max, tr_max, np.inf, np.inf, 0.0)
    p0 = axle_powers(mf, mr, dr, g, w, 0.0, 0.0)[0]
    if not ok or p0 <= p:
        return g, 0.0, 0.0, f
    return g, tf, t_req, f


@jit
def _freewheel_ok(ch, mf, mr, dr, aux, v0, v1, dt, grade, g, r):
    """The freewheeling machines' drag is no more than the road force asks for at end speed v1."""
    w = 0.5 * (v0 + v1) / r
    tf, tr = freewheel_torques(mf, mr, dr, g, w)
    f = wheel_force_n(ch, v0, v1, dt, grade)
    p_rotor = rear_rotor_extra_mass(dr, aux, g, r) * (v1 - v0) / dt * w * r
    return (tf + tr) * w - f * r * w - p_rotor >= 0.0


@jit
def run_bev(ch, mf, mr, dr, ctl, aux, b, soc0, time_s, speed_mps, grade, out):
    """Simulate a dual-motor BEV over a speed trace; fills ``out`` (see BevOut)."""
    n = time_s.shape[0]
    out.speed_mps[0] = speed_mps[0]
    out.soc[0] = soc0
    out.rear_gear[0] = dr.rear_ratios.shape[0]
    soc = soc0
    g_prev = dr.rear_ratios.shape[0] - 1
    r = ch.wheel_radius_m
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        v1 = speed_mps[k]
        p_dis, p_chg = battery_window_limits_w(b, soc, dt)
        p_dis_batt = p_dis
        # an empty battery cannot feed the accessories either: their load is cut to what it can supply (the
        # drive and regen steps below budget the nominal load, so their limits are shifted by the cut)
        p_aux = aux.accessory_power_w if aux.accessory_power_w <= p_dis + 1e-6 else p_dis
        p_dis = p_dis + (aux.accessory_power_w - p_aux)
        p_chg = max(p_chg - (aux.accessory_power_w - p_aux), 0.0)
        p_sys = dr.system_power_w
        f = wheel_force_n(ch, v0, v1, dt, grade[k])
        if f >= 0.0:
            ok, g, tf, t_el, f = drive_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade[k], g_prev, p_dis, p_sys)
            if not ok:
                lo = 0.0
                hi = v1
                for _ in range(TRACE_MISS_BISECTIONS):
                    mid = 0.5 * (lo + hi)
                    fm = wheel_force_n(ch, v0, mid, dt, grade[k])
                    if fm < 0.0:
                        lo = mid
                        continue
                    okm = drive_step(ch, mf, mr, dr, ctl, aux, v0, mid, dt, grade[k], g_prev, p_dis, p_sys)[0]
                    if okm:
                        lo = mid
                    else:
                        hi = mid
                v1 = lo
                f = wheel_force_n(ch, v0, v1, dt, grade[k])
                if f >= 0.0:
                    ok, g, tf, t_el, f = drive_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade[k], g_prev,
                                                    p_dis, p_sys)
                    if not ok:
                        tf = 0.0
                        t_el = 0.0
                else:
                    g, tf, t_el, f = regen_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade[k], g_prev, p_chg)
        else:
            g, tf, t_el, f = regen_step(ch, mf, mr, dr, ctl, aux, v0, v1, dt, grade[k], g_prev, p_chg)
        w = 0.5 * (v0 + v1) / r
        dm = rear_rotor_extra_mass(dr, aux, g, r)
        p_rotor = dm * (v1 - v0) / dt * w * r
        res = axle_powers(mf, mr, dr, g, w, tf, t_el - tf)
        p_el = res[0]
        if p_el + p_aux > p_dis_batt + 1e-6 and p_aux > 0.0:  # rotor losses of a coasting car, empty battery
            p_aux = max(p_dis_batt - p_el, 0.0)
        if p_el > p_dis_batt + 1e-6:
            # the battery cannot even feed the spinning machines: the inverters draw nothing, each machine
            # generates its own losses (DC power 0) and the car slows by that drag: the highest end speed
            # whose road force leaves the drag no less to do (the friction brakes take the rest)
            lo = 0.0
            hi = v1
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if _freewheel_ok(ch, mf, mr, dr, aux, v0, mid, dt, grade[k], g, r):
                    lo = mid
                else:
                    hi = mid
            v1 = lo
            w = 0.5 * (v0 + v1) / r
            f = wheel_force_n(ch, v0, v1, dt, grade[k])
            res = freewheel_axle_powers(mf, mr, dr, g, w)
            tf, t_rear = braking_wheel_torques(dr, g, res[2], res[3])
            t_el = tf + t_rear
            p_rotor = dm * (v1 - v0) / dt * w * r
            p_el = res[0]
            p_aux = 0.0
        i_b, v_b, p_chem, l_b, soc_new = battery_step(b, soc, p_el + p_aux, dt)
        out.speed_mps[k] = v1
        out.rear_gear[k] = g + 1.0
        out.front_motor_speed_rad_s[k] = w * dr.front_ratio
        out.front_motor_torque_nm[k] = res[2]
        out.front_motor_electric_power_w[k] = res[4]
        out.front_motor_loss_w[k] = res[6]
        out.rear_motor_speed_rad_s[k] = w * dr.rear_ratios[g]
        out.rear_motor_torque_nm[k] = res[3]
        out.rear_motor_electric_power_w[k] = res[5]
        out.rear_motor_loss_w[k] = res[7]
        out.inverter_loss_w[k] = res[8]
        out.gearbox_loss_w[k] = (reduction_loss_w(res[2], w * dr.front_ratio, dr.front_efficiency)
                                 + reduction_loss_w(res[3], w * dr.rear_ratios[g], dr.rear_efficiencies[g]))
        out.rear_rotor_inertia_power_w[k] = p_rotor
        out.battery_current_a[k] = i_b
        out.battery_voltage_v[k] = v_b
        out.battery_power_w[k] = p_el + p_aux
        out.battery_chemical_power_w[k] = p_chem
        out.battery_loss_w[k] = l_b
        out.soc[k] = soc_new
        out.accessory_power_w[k] = p_aux
        out.wheel_power_w[k] = f * r * w
        out.brake_power_w[k] = t_el * w - f * r * w - p_rotor
        out.trace_miss_mps[k] = speed_mps[k] - v1
        soc = soc_new
        g_prev = g
