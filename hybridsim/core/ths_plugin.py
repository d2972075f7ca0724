"""THS-II plug-in hybrid with an optional rear motor (E-Four): the plant, one time step at a time.

The front axle is the THS-II plant of ``core/ths.py``, unchanged (a plug-in battery is only a bigger battery to
it); the rear axle may carry a motor of its own that drives the rear wheels through a fixed reduction, with no
mechanical link to the engine (Toyota E-Four). A step::

    rear = rear_step(plant, f_rear_wanted, v0, v1, dt, p_dis_avail, p_chg_avail)    (the rear axle's force)
    fp   = front_plant(plant, rear, grade)                                          (a ThsPlantK for the rest)
    sp   = core.ths.split_in(fp, …) / any decision of core/ths_control.py on fp    (the front axle)
    res  = plant_finish(plant, fp, state, mode, sp, rear, dt)                       (fuel, battery, next state)

``front_plant`` is the THS-II plant whose road load is the vehicle's less the rear axle's force (its chassis
coefficient c0 lowered by F_rear/cos θ: the front axle then sees ``F − F_rear`` at every speed and grade) and
whose battery-side accessory load holds the rear motor's DC power (so the battery limits, the charge-limit cut of
MG2's regeneration and the engine's power demand of the THS-II decisions all see the whole battery load). Every
THS-II decision (rules, ECMS, fallback, trace-miss bisection) works on it unchanged.

Rear axle: T_axle,r = F_r·r; motor torque through the reduction (ratio i_r, efficiency η_r, ``driveline``); the
torque is cut to the motor's envelope (regeneration faded at low speed as MG2's), to the rear tyres' traction
μ·N_r with the static weight transfer N_r = m·g·(1 − s_f) + m·a·h/L, and to the battery power the caller allows;
the rear force is then what the cut torque delivers. The rear rotor's inertia is in the chassis's effective mass.

Power balance per step (each term an output)::

    P_fuel + P_batt,chem = (the THS-II terms of core/ths.py) + P_rear_motor_loss + P_rear_inverter_loss
        + P_rear_drive_loss,    P_wheel = F_front·v̄ + F_rear·v̄

with the rear inverter loss in ``inverter_loss``. Nothing here raises.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..components.chassis import ChassisK
from . import jit, jit_inline, zeros_rows
from .chassis import G
from .driveline import gear_input_torque, gear_output_torque, regen_fade
from .electric import battery_state_rc, battery_step_rc_at, motor_dc_power_w, motor_tmax
from .ths import StepResult, ThsAuxK, ThsPlantK, ThsState
from .ths import plant_finish as ths_plant_finish
from .ths import record as ths_record

RATE_BISECTIONS = 40  # halvings of the rear torque when the battery power allowed to it binds


class ThsPluginOut(NamedTuple):
    """``core.ths.ThsOut``'s fields, the controller mode and the rear axle's."""

    speed_mps: np.ndarray
    trace_miss_mps: np.ndarray
    engine_mode: np.ndarray
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
    battery_power_w: np.ndarray
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
    battery_polarisation_power_w: np.ndarray
    charge_sustaining: np.ndarray  # controller mode: 1 charge-sustaining, 0 charge-depleting
    rear_motor_speed_rad_s: np.ndarray
    rear_motor_torque_nm: np.ndarray
    rear_motor_electric_power_w: np.ndarray
    rear_motor_loss_w: np.ndarray
    rear_drive_loss_w: np.ndarray


def allocate(n: int) -> ThsPluginOut:
    return ThsPluginOut(*zeros_rows(len(ThsPluginOut._fields), n))


class RearK(NamedTuple):
    """The rear axle: motor (a copy of MG2 when the vehicle has none: never used then), reduction, traction."""

    enabled: float  # 1 with a rear motor, 0 without
    motor: tuple  # MotorK
    ratio: float  # rear motor speed / wheel speed
    efficiency: float  # rear reduction and differential
    tyre_mu: float  # 0: no traction limit (axle loads unknown)
    front_static_share: float
    cg_over_wheelbase: float


class ThsPluginPlantK(NamedTuple):
    ths: ThsPlantK  # the front axle's plant (core/ths.py; chassis a ChassisK with the rear rotor in m_eff)
    rear: RearK


class RearStep(NamedTuple):
    """The rear axle over one step (``rear_step``)."""

    force_n: float  # on the road, > 0 driving
    motor_speed_rad_s: float
    motor_torque_nm: float
    electric_power_w: float  # DC, > 0 motoring
    motor_loss_w: float
    inverter_loss_w: float
    drive_loss_w: float  # reduction and differential
    wheel_power_w: float  # force × mean speed


@jit_inline
def no_rear():
    return RearStep(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@jit
def axle_traction_n(plant, acc):
    """(front, rear) traction limits μ·N of the axles at acceleration ``acc`` (static weight transfer
    ΔN = m·a·h/L); (inf, inf) without axle loads. [N]"""
    rk = plant.rear
    if rk.tyre_mu <= 0.0:
        return np.inf, np.inf
    m = plant.ths.ch.mass_kg
    dn = m * acc * rk.cg_over_wheelbase
    n_f = max(m * G * rk.front_static_share - dn, 0.0)
    n_r = max(m * G * (1.0 - rk.front_static_share) + dn, 0.0)
    return rk.tyre_mu * n_f, rk.tyre_mu * n_r


@jit
def rear_step(plant, f_want, v0, v1, dt, p_dis_avail, p_chg_avail):
    """The rear axle giving (as near as its limits allow) the road force ``f_want`` over a step: motor torque
    through the reduction, cut to the envelope (regeneration faded at low speed), the rear tyres' traction and
    the DC power window [−p_chg_avail, p_dis_avail]; a :class:`RearStep` of what it delivers."""
    rk = plant.rear
    vbar = 0.5 * (v0 + v1)
    if rk.enabled <= 0.0 or vbar <= 0.0:  # (a rear machine turning with the wheels at zero torque still has
        return no_rear()                  # its no-load loss, drawn from the battery as MG1's at rest)
    ch = plant.ths.ch
    r = ch.wheel_radius_m
    w_wh = vbar / r
    w_m = w_wh * rk.ratio
    acc = (v1 - v0) / dt
    f_r_max = axle_traction_n(plant, acc)[1]
    if f_want > f_r_max:
        f_want = f_r_max
    if f_want < -f_r_max:
        f_want = -f_r_max
    t_m = gear_input_torque(f_want * r, rk.ratio, rk.efficiency)
    tmax = motor_tmax(rk.motor, w_m)
    if t_m > tmax:
        t_m = tmax
    tmin = -tmax * regen_fade(vbar, plant.ths.aux.regen_fade_speed_mps)
    if t_m < tmin:
        t_m = tmin
    p, l_m, l_i = motor_dc_power_w(rk.motor, t_m, w_m)
    if p > p_dis_avail or p < -p_chg_avail:
        # the most torque (same sign) within the power window, by bisection (DC power is monotonic in |T|
        # from zero torque outward, up to the envelope)
        lo = 0.0
        hi = t_m
        p0 = motor_dc_power_w(rk.motor, 0.0, w_m)[0]
        if p0 > p_dis_avail or p0 < -p_chg_avail:
            hi = 0.0
        for _ in range(RATE_BISECTIONS):
            mid = 0.5 * (lo + hi)
            pm = motor_dc_power_w(rk.motor, mid, w_m)[0]
            if pm <= p_dis_avail and pm >= -p_chg_avail:
                lo = mid
            else:
                hi = mid
        t_m = lo
        p, l_m, l_i = motor_dc_power_w(rk.motor, t_m, w_m)
    t_axle = gear_output_torque(t_m, rk.ratio, rk.efficiency)
    f = t_axle / r
    return RearStep(f, w_m, t_m, p, l_m, l_i, t_m * w_m - t_axle * w_wh, t_axle * w_wh)


@jit
def rear_at(plant, rear, v0, v1):
    """The rear axle of ``rear`` (its motor torque, hence its road force) over a step that ends at ``v1`` instead of
    the speed it was worked out for: the front axle fell behind the trace. Motor speed, DC power, losses and wheel
    power at that step's mean speed, so that the two axles' wheel powers add up to the road load's at the speed the
    car reached (worked out at the demanded speed, the rear's power F_r·v̄ was booked at a mean speed the car did not
    reach: the energy balance missed F_r·Δv̄·Δt, up to 4 % of a short run)."""
    rk = plant.rear
    r = plant.ths.ch.wheel_radius_m
    w_wh = 0.5 * (v0 + v1) / r
    w_m = w_wh * rk.ratio
    t_m = rear.motor_torque_nm
    p, l_m, l_i = motor_dc_power_w(rk.motor, t_m, w_m)
    t_axle = gear_output_torque(t_m, rk.ratio, rk.efficiency)
    return RearStep(t_axle / r, w_m, t_m, p, l_m, l_i, t_m * w_m - t_axle * w_wh, t_axle * w_wh)


@jit_inline
def front_plant(plant, rear, grade):
    """The THS-II plant of the front axle for a step whose rear axle is ``rear``: the road load less the rear
    force (c0 lowered by F_rear/cos θ, so that ``chassis.wheel_force_n`` gives F − F_rear while moving) and the
    rear motor's DC power added to the battery-side accessory load."""
    p = plant.ths
    ch = p.ch
    c0 = ch.c0_n
    if rear.force_n != 0.0:
        c0 = ch.c0_n - rear.force_n
        if grade != 0.0:
            c0 = ch.c0_n - rear.force_n / math.cos(math.atan(grade))
    a = p.aux
    aux = ThsAuxK(a.accessory_power_w + rear.electric_power_w, a.engine_start_fuel_kg, a.engine_min_speed_rad_s,
                  a.ool_power_max_w, a.ool_power_step_inv, a.ool_speed_rad_s, a.friction_fuel_kg_s,
                  a.regen_fade_speed_mps)
    return ThsPlantK(ChassisK(ch.mass_kg, ch.mass_eff_kg, ch.wheel_radius_m, c0, ch.c1_n_per_mps,
                                   ch.c2_n_per_mps2), p.pg, p.eng, p.mg1, p.mg2, p.bat, aux, p.th)


@jit_inline
def plant_finish(plant, fp, state, mode, sp, rear, dt):
    """``core.ths.plant_finish`` on the front plant ``fp``; where an empty battery cut the accessory load there,
    the cut is taken from the accessories alone (never from the rear motor, whose force is already on the road)
    and the battery step is redone. Returns (StepResult, accessory power drawn)."""
    res = ths_plant_finish(fp, state, mode, sp, dt)
    acc = plant.ths.aux.accessory_power_w
    if res.accessory_power_w == fp.aux.accessory_power_w:
        return res, acc
    excess = sp.battery_power_w - sp.battery_discharge_max_w
    p_acc = acc - excess if excess > 0.0 else acc
    if p_acc < 0.0:
        p_acc = 0.0
    # with MG1's recovery and the boost converter's loss (on the front machines' net DC power, as split_elec)
    p_b = res.mg1_electric_power_w + sp.mg2_electric_power_w + sp.boost_loss_w + rear.electric_power_w + p_acc
    bat = plant.ths.bat
    pol_v = state.battery_polarisation_v
    ocv, ocv_s, rd_s, rc_s = battery_state_rc(bat, state.soc, pol_v, dt)
    i_b, v_b, p_chem, l_b, soc_new, pol_v_new, p_pol = battery_step_rc_at(bat, state.soc, pol_v, ocv, ocv_s, rd_s,
                                                                          rc_s, p_b, dt)
    s = res.state
    nxt = ThsState(soc_new, s.engine_speed_rad_s, s.mg1_speed_rad_s, s.coolant_temp_c, s.engine_mode,
                   s.time_in_engine_state_s, pol_v_new)
    return StepResult(sp, nxt, res.fuel_kg_s, res.fuel_power_w, i_b, v_b, p_chem, l_b, p_b, p_acc,
                      res.engine_loss_w, res.planetary_loss_w, res.reduction_loss_w, res.final_drive_loss_w,
                      res.rotor_inertia_power_w, res.brake_power_w, res.wheel_power_w, res.mg1_electric_power_w,
                      res.mg1_loss_w, res.inverter_loss_w, p_pol), p_acc


@jit_inline
def record(out, k, fp, res, p_acc, rear, cs, v1, speed_demanded):
    """Write step ``k``: the front plant's outputs (``core.ths.record``), then the whole car's accessory load,
    inverter loss and wheel power, the controller mode and the rear axle."""
    ths_record(out, k, fp, res, v1, speed_demanded)
    out.accessory_power_w[k] = p_acc
    out.inverter_loss_w[k] += rear.inverter_loss_w
    out.wheel_power_w[k] += rear.wheel_power_w
    out.charge_sustaining[k] = cs
    out.rear_motor_speed_rad_s[k] = rear.motor_speed_rad_s
    out.rear_motor_torque_nm[k] = rear.motor_torque_nm
    out.rear_motor_electric_power_w[k] = rear.electric_power_w
    out.rear_motor_loss_w[k] = rear.motor_loss_w
    out.rear_drive_loss_w[k] = rear.drive_loss_w
