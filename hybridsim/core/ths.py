"""THS-II power-split hybrid (Toyota P410): the plant, one time step at a time (issue 14).

The plant knows physics and limits only; what to do with the engine is a *decision* made elsewhere
(``core/ths_control.py``: rule-based and ECMS; ``core/ths_dp.py``: dynamic programming). One step::

    plant_step(plant, state, decision, v0, v1, dt, grade) -> StepResult

``plant`` is a :class:`ThsPlantK` (chassis, gear set, engine, MG1, MG2, battery, auxiliaries, warm-up model),
``state`` a :class:`ThsState` (SOC, engine and MG1 speeds of the previous step, coolant temperature, previous
engine mode, time since the engine last started or stopped), ``decision`` a :class:`ThsDecision` (engine off /
fuelled at (ω_e, T_e) / spun unfuelled at ω_e). ``plant_step`` = ``split`` (the mechanics and electrics at the
demanded end speed, with the flags of every limit: cheap, what searches call) + ``plant_finish`` (fuel with
warm-up and start cost, battery, coolant, next state).

Per interval (DESIGN.md §3, components.md §4.1 "backward step"): (1) wheel force and speed from the
trace; (2) ring and MG2 speeds from the gearing; (3) the decision: engine off / fuelled / spun unfuelled;
(4) MG1 speed from Willis, MG1 torque from the lever with rotor inertias; (5) MG2 closes the wheel torque
within its envelope, braking beyond MG2 and battery limits goes to the friction brakes; (6) electrical
powers → battery (Rint); (7) limits: MG1 speed and torque, MG2 torque, pinion speed, engine speed, battery
power, each reported as a flag and the first that bound as ``limit``. Nothing here raises.

Cold start (``core/thermal.py``, shared with the conventional kernel): a lumped coolant temperature
``C·dT/dt = f·P_fuel`` (capped at the thermostat temperature) raises engine friction by ``θ^(−t)`` (CO2MPAS,
θ = normalised absolute coolant temperature), turned into extra fuel via the Willans line.

Power balance per step (each term an output)::

    P_fuel + P_batt,chem = P_engine_loss + P_mg1_loss + P_mg2_loss + P_inverter_loss + P_battery_loss
        + P_planetary_loss + P_reduction_loss + P_final_drive_loss + P_rotor + P_accessory
        + P_brake + P_wheel
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit, jit_inline, zeros_rows
from .chassis import wheel_force_n
from .driveline import gear_input_torque, gear_output_torque, regen_fade, rotor_inertia_torque
from .electric import (
    battery_state,
    battery_state_rc,
    battery_step_rc_at,
    battery_window_limits_at,
    battery_window_limits_rc_w,
    inverter_dc_power_w,
    motor_dc_power_w,
    motor_loss_w,
    motor_tmax,
    regen_at_zero_dc_power,
    regen_to_charge_limit,
    terminal_power_w,
)
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
    battery_polarisation_power_w: np.ndarray  # into the 1-RC branch's capacitance (0 without the branch)


def allocate(n: int) -> ThsOut:
    return ThsOut(*zeros_rows(len(ThsOut._fields), n))


class ThsAuxK(NamedTuple):
    """Scalars of the THS kernel not owned by one component."""

    accessory_power_w: float
    engine_start_fuel_kg: float
    engine_min_speed_rad_s: float
    ool_power_max_w: float
    ool_power_step_inv: float
    ool_speed_rad_s: np.ndarray
    friction_fuel_kg_s: np.ndarray  # fuel equivalent of the hot friction loss on the engine speed grid
    regen_fade_speed_mps: float  # regeneration fades out linearly below this speed (brake blending)


class ThsPlantK(NamedTuple):
    """Everything the THS-II plant step needs (built by ``powertrains.ths.plant_args``)."""

    ch: tuple  # ChassisK, MG2's rotor in m_eff
    pg: tuple  # PlanetaryK
    eng: tuple  # EngineK
    mg1: tuple  # MotorK
    mg2: tuple  # MotorK
    bat: tuple  # BatteryK
    aux: ThsAuxK
    th: ThermalK


class ThsState(NamedTuple):
    """State of the plant at the start of a step (the end of the previous one)."""

    soc: float
    engine_speed_rad_s: float
    mg1_speed_rad_s: float
    coolant_temp_c: float
    engine_mode: int  # of the previous step: 0 off, 1 fuelled, 2 spun unfuelled
    time_in_engine_state_s: float  # since the engine last started or stopped
    battery_polarisation_v: float  # voltage over the battery's 1-RC branch (0 without it)


class ThsDecision(NamedTuple):
    """What the controller asks of the plant for one step."""

    engine_mode: int  # OFF, FUELLED or SPUN
    engine_speed_rad_s: float  # fuelled or spun
    engine_torque_nm: float  # fuelled only (spun: the motoring torque, set by the plant)


OFF = 0
FUELLED = 1
SPUN = 2

# which limit bound in a step (StepResult ``limit``), the first found in this order
LIMIT_NONE = 0
LIMIT_SPEED = 1  # MG1, MG2, pinion or engine speed
LIMIT_MG1_TORQUE = 2  # MG1 cannot react the engine torque
LIMIT_MG2_TORQUE = 3  # MG2 cannot close the wheel torque
LIMIT_BATTERY_DISCHARGE = 4
LIMIT_BATTERY_CHARGE = 5  # the engine charges beyond the charge limit, or regeneration was cut to it
LIMIT_WHEEL_TORQUE = 6  # the wheels get less than demanded
LIMIT_REGEN = 7  # regeneration cut by MG2's envelope or the low-speed fade (friction brakes take the rest)


class ThsSplit(NamedTuple):
    """Mechanics and electrics of one step at the demanded end speed (``split``)."""

    feasible: bool  # every limit holds
    ok_traction: bool  # MG2 torque, battery discharge and the wheel torque delivered
    overcharge: bool  # the engine charges beyond the battery's charge limit
    mg1_ok: bool  # MG1 torque envelope and every speed limit
    limit: int  # LIMIT_* of the first limit that bound
    wheel_force_n: float
    wheel_speed_rad_s: float
    axle_torque_nm: float  # demanded
    ring_speed_rad_s: float
    mg2_speed_rad_s: float
    engine_speed_rad_s: float
    engine_torque_nm: float
    mg1_speed_rad_s: float
    mg1_torque_nm: float
    mg2_torque_nm: float
    carrier_torque_nm: float
    sun_torque_nm: float
    ring_torque_delivered_nm: float  # from the gear set, after its mesh loss
    mg2_ring_torque_nm: float  # MG2's torque on the ring shaft, after its reduction
    ring_total_torque_nm: float
    axle_torque_delivered_nm: float  # by the powertrain; the brakes take the rest
    mg1_electric_power_w: float
    mg1_loss_w: float
    mg1_inverter_loss_w: float
    mg2_electric_power_w: float
    mg2_loss_w: float
    mg2_inverter_loss_w: float
    battery_power_w: float  # terminal, discharge > 0
    engine_inertia_torque_nm: float
    mg1_inertia_torque_nm: float
    battery_discharge_max_w: float  # the discharge limit the split was held to (the step's, at its SOC)
    boost_loss_w: float  # the boost converter's, on MG1's and MG2's net DC power (in battery_power_w)
    battery_soc: float  # the SOC of the battery state below (the step context's)
    battery_ocv_v: float  # the step OCV of battery_state_rc at battery_soc (plant_finish steps the battery with it)
    battery_r_dis_ohm: float
    battery_r_chg_ohm: float


class StepResult(NamedTuple):
    """A whole plant step (``plant_step``/``plant_finish``): the split, fuel, battery, losses, next state."""

    split: ThsSplit
    state: ThsState  # at the end of the step
    fuel_kg_s: float
    fuel_power_w: float
    battery_current_a: float
    battery_voltage_v: float
    battery_chemical_power_w: float
    battery_loss_w: float
    battery_power_w: float  # terminal, discharge > 0 (the split's, less an accessory load cut on an empty battery)
    accessory_power_w: float  # drawn (cut where an empty battery cannot supply it)
    engine_loss_w: float
    planetary_loss_w: float
    reduction_loss_w: float
    final_drive_loss_w: float
    rotor_inertia_power_w: float
    brake_power_w: float
    wheel_power_w: float
    mg1_electric_power_w: float  # the split's, plus the rotor recovery (``rotor_recovery``)
    mg1_loss_w: float  # as above
    inverter_loss_w: float  # MG1's and MG2's inverters and the boost converter, with the recovery's
    battery_polarisation_power_w: float  # into the battery's 1-RC branch capacitance


@jit_inline
def initial_state(plant, soc0):
    """Plant state at the start of a run: engine and MG1 at rest, coolant soaked (cold) or warm, the battery
    relaxed."""
    return ThsState(soc0, 0.0, 0.0, coolant_initial_c(plant.th), 0, 1e9, 0.0)


class ThsStepCtx(NamedTuple):
    """What a step's engine choice does not change: road, wheel and MG2 side, battery limits (``step_context``)."""

    wheel_force_n: float
    wheel_speed_rad_s: float
    axle_torque_nm: float
    ring_speed_rad_s: float
    mg2_speed_rad_s: float
    ring_torque_required_nm: float
    mg2_torque_max_nm: float
    mg2_torque_min_nm: float  # regenerative: envelope × low-speed fade
    battery_discharge_max_w: float
    battery_charge_max_w: float
    battery_soc: float  # the SOC of the battery state below (the step's start)
    battery_ocv_v: float  # step OCV of battery_state_rc at battery_soc: plant_finish steps the battery with it
    battery_r_dis_ohm: float
    battery_r_chg_ohm: float


@jit
def step_context(plant, soc, pol_v, v0, v1, dt, grade):
    """The engine-independent part of a step: wheel force (chassis), ring and MG2 speeds, the ring torque the
    axle needs, MG2's envelope with the regeneration fade, the battery's power limits at ``soc`` and polarisation
    voltage ``pol_v`` (the state's)."""
    ch = plant.ch
    pg = plant.pg
    r = ch.wheel_radius_m
    f = wheel_force_n(ch, v0, v1, dt, grade)
    w_wh = 0.5 * (v0 + v1) / r
    t_axle = f * r
    w_r = w_wh * pg.ring_ratio
    w_m2 = w_r * pg.mg2_ratio
    t_ring_req = gear_input_torque(t_axle, pg.ring_ratio, pg.final_drive_efficiency)
    t2max = motor_tmax(plant.mg2, w_m2)
    tmin = -t2max * regen_fade(0.5 * (v0 + v1), plant.aux.regen_fade_speed_mps)
    # once per step: the limits here, the battery step in plant_finish (step OCV and resistances)
    ocv, ocv_s, rd, rc = battery_state_rc(plant.bat, soc, pol_v, dt)
    p_dis_max, p_chg_max = battery_window_limits_at(plant.bat, soc, ocv_s, rd, rc, dt)
    return ThsStepCtx(f, w_wh, t_axle, w_r, w_m2, t_ring_req, t2max, tmin, p_dis_max, p_chg_max, soc, ocv_s, rd, rc)


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
def split(plant, state, mode, w_e, t_e, v0, v1, dt, grade):
    """Mechanics and electrics of one step for an engine choice: a :class:`ThsSplit` (``split_in`` after
    ``step_context``)."""
    ctx = step_context(plant, state.soc, state.battery_polarisation_v, v0, v1, dt, grade)
    return split_in(plant, state, ctx, mode, w_e, t_e, dt)


class ThsMech(NamedTuple):
    """The battery-independent part of a step's split (``split_mech``): what the engine choice does to the gear
    set, MG1 and MG2 before the battery's power limits are applied (``split_elec``)."""

    ok_traction: bool  # MG2 torque
    limit: int
    mg1_ok: bool
    speeds_ok: bool
    wheel_force_n: float
    wheel_speed_rad_s: float
    axle_torque_nm: float
    ring_speed_rad_s: float
    mg2_speed_rad_s: float
    engine_speed_rad_s: float
    engine_torque_nm: float
    mg1_speed_rad_s: float
    mg1_torque_nm: float
    mg2_torque_nm: float
    carrier_torque_nm: float
    sun_torque_nm: float
    ring_torque_delivered_nm: float
    mg1_electric_power_w: float
    mg1_loss_w: float
    mg1_inverter_loss_w: float
    mg2_electric_power_w: float
    mg2_loss_w: float
    mg2_inverter_loss_w: float
    engine_inertia_torque_nm: float
    mg1_inertia_torque_nm: float
    battery_soc: float  # the step context's battery state, carried to the split (ThsStepCtx)
    battery_ocv_v: float
    battery_r_dis_ohm: float
    battery_r_chg_ohm: float


@jit
def split_in(plant, state, ctx, mode, w_e, t_e, dt):
    """Mechanics and electrics of one step for an engine choice, given the step's ``ctx``: a :class:`ThsSplit`
    (``split_elec`` of ``split_mech`` with the battery limits of ``ctx``).

    mode: OFF, FUELLED at (w_e, t_e), SPUN unfuelled at w_e (torque: the motoring torque).
    Flags: ok_traction (MG2 torque and battery discharge within limits), overcharge (the engine charges
    beyond the battery's charge limit), mg1_ok (MG1 torque within its envelope; MG1, MG2, pinion and
    engine speeds within their limits).
    """
    m = split_mech(plant, state.engine_speed_rad_s, state.mg1_speed_rad_s, ctx, mode, w_e, t_e, dt)
    return split_elec(plant, m, ctx.battery_discharge_max_w, ctx.battery_charge_max_w)


@jit_inline
def split_torques(plant, w_e_prev, w_g_prev, ctx, mode, w_e, t_e, dt):
    """The torques of ``split_mech`` (before any machine's power): (ω_e, T_e, ω_g, T_J,e, T_J,g, T_c, T_s, T_r delivered
    by the gear set, T_MG1, T_MG2, MG2 within its envelope, limit); for a search that bounds a candidate's battery
    power before its machines' losses (ECMS)."""
    pg = plant.pg
    eng = plant.eng
    mg1 = plant.mg1
    limit = LIMIT_NONE
    w_r = ctx.ring_speed_rad_s
    if mode == OFF:
        w_e = 0.0
        t_e = 0.0
    elif mode == SPUN:
        t_e = engine_point(eng, w_e, 0.0)[1]  # motoring torque: fuel cut
    k = pg.k
    w_g = (1.0 + k) * w_e - k * w_r
    t_je = rotor_inertia_torque(eng.inertia_kgm2, w_e, w_e_prev, dt)
    t_jg = rotor_inertia_torque(mg1.inertia_kgm2, w_g, w_g_prev, dt)
    if mode == OFF and w_e_prev == 0.0:
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
    # MG2 closes the ring torque the axle needs
    x = ctx.ring_torque_required_nm - t_r_del
    t_m2 = gear_input_torque(x, pg.mg2_ratio, pg.mg2_reduction_efficiency)
    t2max = ctx.mg2_torque_max_nm
    ok_traction = t_m2 <= t2max + 1e-9
    if t_m2 > t2max:
        t_m2 = t2max
        limit = LIMIT_MG2_TORQUE
    # regenerative limit: torque envelope and low-speed fade
    if t_m2 < 0.0:
        tmin = ctx.mg2_torque_min_nm
        if t_m2 < tmin:
            t_m2 = tmin
            limit = LIMIT_REGEN
    return w_e, t_e, w_g, t_je, t_jg, t_c, t_s, t_r_del, t_g, t_m2, ok_traction, limit


@jit_inline
def split_mech(plant, w_e_prev, w_g_prev, ctx, mode, w_e, t_e, dt):
    """Gear set, rotor inertias, MG1 and MG2 for an engine choice, from the previous engine and MG1 speeds:
    a :class:`ThsMech` (no battery limit applied yet)."""
    pg = plant.pg
    eng = plant.eng
    mg1 = plant.mg1
    mg2 = plant.mg2
    w_r = ctx.ring_speed_rad_s
    w_m2 = ctx.mg2_speed_rad_s
    w_e, t_e, w_g, t_je, t_jg, t_c, t_s, t_r_del, t_g, t_m2, ok_traction, limit = split_torques(
        plant, w_e_prev, w_g_prev, ctx, mode, w_e, t_e, dt)
    p_g, l_g, li_g = motor_dc_power_w(mg1, t_g, w_g)
    p_m, l_m, li_m = motor_dc_power_w(mg2, t_m2, w_m2)
    if t_m2 < 0.0 and p_m >= 0.0:
        # braking that returns nothing (the machine's and inverter's loss eat the generated power): the friction
        # brakes take it all, MG2 idles
        t_m2 = 0.0
        p_m, l_m, li_m = motor_dc_power_w(mg2, 0.0, w_m2)
        if limit == LIMIT_NONE:
            limit = LIMIT_REGEN
    t1max = motor_tmax(mg1, w_g)
    # MG1 must react the engine torque and accelerate its own rotor within its envelope;
    # MG1, pinion (both directions) and engine speeds within their limits
    speeds_ok = (abs(w_g) <= mg1.max_speed_rad_s + 1e-6
                 and abs((w_r - w_e) * pg.zr_over_zp) <= pg.max_pinion_speed_rad_s + 1e-6
                 and w_e <= eng.max_speed_rad_s + 1e-6 and abs(w_m2) <= mg2.max_speed_rad_s + 1e-6)
    mg1_ok = abs(t_g) <= t1max + 1e-9 and speeds_ok
    return ThsMech(ok_traction, limit, mg1_ok, speeds_ok, ctx.wheel_force_n, ctx.wheel_speed_rad_s,
                   ctx.axle_torque_nm, w_r, w_m2, w_e, t_e, w_g, t_g, t_m2, t_c, t_s, t_r_del, p_g, l_g, li_g,
                   p_m, l_m, li_m, t_je, t_jg, ctx.battery_soc, ctx.battery_ocv_v, ctx.battery_r_dis_ohm,
                   ctx.battery_r_chg_ohm)


@jit_inline
def split_elec(plant, m, p_dis_max, p_chg_max):
    """The battery side of a split ``m`` (``split_mech``) within the battery's power limits: regeneration cut
    to the charge limit, the charge and discharge flags, the torques delivered: a :class:`ThsSplit`."""
    pg = plant.pg
    mg2 = plant.mg2
    aux = plant.aux
    limit = m.limit
    ok_traction = m.ok_traction
    t_m2 = m.mg2_torque_nm
    w_m2 = m.mg2_speed_rad_s
    w_r = m.ring_speed_rad_s
    p_g = m.mg1_electric_power_w
    p_m = m.mg2_electric_power_w
    l_m = m.mg2_loss_w
    li_m = m.mg2_inverter_loss_w
    t_axle = m.axle_torque_nm
    mg1 = plant.mg1
    t_g, w_g, p_fix = m.mg1_torque_nm, m.mg1_speed_rad_s, aux.accessory_power_w
    l_bst, p_b = terminal_power_w(mg1, t_g, w_g, p_g, mg2, t_m2, w_m2, p_m, p_fix)  # boost converter included
    overcharge = False
    if p_b < -p_chg_max:
        if t_m2 < 0.0:
            cut, t2, p2, l2, li2, lb2, pb2 = regen_to_charge_limit(mg1, t_g, w_g, p_g, mg2, t_m2, w_m2, p_fix,
                                                                   p_chg_max)
            if cut:
                t_m2, p_m, l_m, li_m, l_bst, p_b = t2, p2, l2, li2, lb2, pb2
                limit = LIMIT_BATTERY_CHARGE
        if p_b < -p_chg_max - 1e-6:
            overcharge = True
            limit = LIMIT_BATTERY_CHARGE
    if p_b > p_dis_max + 1e-6 and t_m2 < 0.0 and p_m > 0.0:
        # regeneration that draws power beyond what the battery may give: MG2 at zero DC power, the friction brakes
        # take the rest
        t_m2, p_m, l_m, li_m = regen_at_zero_dc_power(mg2, t_m2, w_m2)
        l_bst, p_b = terminal_power_w(mg1, t_g, w_g, p_g, mg2, t_m2, w_m2, p_m, p_fix)
    if p_b > p_dis_max + 1e-6:
        ok_traction = False
        limit = LIMIT_BATTERY_DISCHARGE
    mg1_ok = m.mg1_ok
    # delivered torques and losses
    t_r_del = m.ring_torque_delivered_nm
    x_del = gear_output_torque(t_m2, pg.mg2_ratio, pg.mg2_reduction_efficiency)
    t_ring = t_r_del + x_del
    t_axle_pt = gear_output_torque(t_ring, pg.ring_ratio, pg.final_drive_efficiency)
    if t_axle_pt < t_axle - 1e-9:
        if ok_traction:
            limit = LIMIT_WHEEL_TORQUE
        ok_traction = False
    if not mg1_ok:
        limit = LIMIT_MG1_TORQUE if m.speeds_ok else LIMIT_SPEED
    feasible = ok_traction and mg1_ok and not overcharge
    return ThsSplit(feasible, ok_traction, overcharge, mg1_ok, limit, m.wheel_force_n, m.wheel_speed_rad_s, t_axle,
                    w_r, w_m2, m.engine_speed_rad_s, m.engine_torque_nm, m.mg1_speed_rad_s, m.mg1_torque_nm, t_m2,
                    m.carrier_torque_nm, m.sun_torque_nm, t_r_del, x_del, t_ring, t_axle_pt, p_g,
                    m.mg1_loss_w, m.mg1_inverter_loss_w, p_m, l_m, li_m, p_b, m.engine_inertia_torque_nm,
                    m.mg1_inertia_torque_nm, p_dis_max, l_bst, m.battery_soc, m.battery_ocv_v, m.battery_r_dis_ohm,
                    m.battery_r_chg_ohm)


@jit_inline
def step_fuel_kg_s(plant, state, mode, w_e, t_e, dt):
    """Fuel rate over a step: the map at (w_e, t_e) (0 at or below motoring), the warm-up friction fuel and,
    on a start (fuelled after a step not fuelled), the start fuel spread over the step. [kg/s]"""
    fuel = 0.0
    if mode == FUELLED:
        fuel = engine_point(plant.eng, w_e, t_e)[2]
        fuel += cold_extra_fuel_kg_s(plant.th, plant.eng, plant.aux.friction_fuel_kg_s, state.coolant_temp_c, w_e)
        if state.engine_mode != FUELLED:
            fuel += plant.aux.engine_start_fuel_kg / dt
    return fuel


@jit_inline
def recovery_possible(mg1_idle, w_e0, w_e, w_g0, w_g):
    """Whether ``rotor_recovery`` can recover anything: MG1 energised and a rotor stopping or slowing below half
    its speed in the step (else it returns zeros at once: the plant step skips the call, whose arguments are the
    engine, MG1 and battery by value)."""
    return not mg1_idle and (w_e == 0.0 or abs(w_e) < 0.5 * abs(w_e0) or w_g == 0.0 or abs(w_g) < 0.5 * abs(w_g0))


@jit
def rotor_recovery(eng, mg1, bat, soc, pol_v, mg1_idle, w_e0, w_e, t_je, w_g0, w_g, t_jg, p_b, dt):
    """Kinetic energy of the engine and MG1 rotors that a step's inertia torques leave unbooked, recovered by MG1:
    (DC power [W, ≤ 0], MG1 loss [W], inverter loss [W], mechanical power recovered [W], engine friction [W]).

    Where a rotor stops or slows below half its speed in one step (an engine stop, MG1 through zero speed),
    ``driveline.rotor_inertia_torque`` keeps the plain difference and the powers at the step's end speed book
    ½J(ω − ω₀)² less than the kinetic energy released (a plant that books no inertia torque at a stop leaves all
    of ½Jω₀²). In
    the car MG1 brakes the stopping engine (and its own rotor) and generates from it. Here that energy, less
    the engine's motoring friction over a spin-down assumed linear over the whole step (an upper bound on the
    friction: the car stops its engine faster), is generated by MG1 at its mean speed over the step with its
    own loss model (the loss above its zero-torque loss at that speed) and its inverter, within its torque
    envelope and the battery's charge headroom at ``soc`` and polarisation voltage ``pol_v`` given the step's
    terminal power ``p_b``. Otherwise it
    stays dissipated: a mean MG1 speed under 1 rad/s, ``mg1_idle`` (MG1 not energised: the engine at rest all
    step), a loss that eats the power, no headroom. Used by the THS-II and series-parallel plants."""
    if mg1_idle:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    # booked − released kinetic energy where the plain difference was kept (½J(ω − ω₀)²), else 0
    e_e = 0.0
    if w_e == 0.0 or abs(w_e) < 0.5 * abs(w_e0):
        e_e = t_je * w_e * dt - 0.5 * eng.inertia_kgm2 * (w_e * w_e - w_e0 * w_e0)
    e_g = 0.0
    if w_g == 0.0 or abs(w_g) < 0.5 * abs(w_g0):
        e_g = t_jg * w_g * dt - 0.5 * mg1.inertia_kgm2 * (w_g * w_g - w_g0 * w_g0)
    if e_e <= 0.0 and e_g <= 0.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    p_fric = 0.0
    if w_e == 0.0 and e_e > 0.0:
        w_mean = 0.5 * w_e0
        p_fric = -engine_point(eng, w_mean, 0.0)[1] * w_mean
        p_fric = min(max(p_fric, 0.0), e_e / dt)
    p_avail = (max(e_e, 0.0) + max(e_g, 0.0)) / dt - p_fric
    w_bar = 0.5 * (w_g0 + w_g)
    if p_avail <= 0.0 or abs(w_bar) < 1.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    t_rec = -p_avail / w_bar
    t_lim = motor_tmax(mg1, w_bar)
    if abs(t_rec) > t_lim:
        t_rec = t_lim if t_rec > 0.0 else -t_lim
    p_mech = -t_rec * w_bar
    dl = motor_loss_w(mg1, t_rec, w_bar) - motor_loss_w(mg1, 0.0, w_bar)
    p_ac = -p_mech + dl
    if p_ac >= 0.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    p_dc = inverter_dc_power_w(mg1, t_rec, w_bar, p_ac)
    if p_dc >= 0.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    if p_b + p_dc < -battery_window_limits_rc_w(bat, soc, pol_v, dt)[1]:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    return p_dc, dl, p_dc - p_ac, p_mech, p_fric


@jit_inline
def recovery_dc_w(plant, soc, pol_v, mg1_idle, w_e0, w_g0, sp, p_b, dt):
    """The DC power [W, ≤ 0] ``rotor_recovery`` adds to the terminal power ``p_b`` of split ``sp`` (THS-II or
    series-parallel) from engine and MG1 speeds ``w_e0``, ``w_g0``: what ``plant_finish`` adds, for the DP's
    SOC transitions."""
    if not recovery_possible(mg1_idle, w_e0, sp.engine_speed_rad_s, w_g0, sp.mg1_speed_rad_s):
        return 0.0
    return rotor_recovery(plant.eng, plant.mg1, plant.bat, soc, pol_v, mg1_idle, w_e0, sp.engine_speed_rad_s,
                          sp.engine_inertia_torque_nm, w_g0, sp.mg1_speed_rad_s, sp.mg1_inertia_torque_nm, p_b, dt)[0]


@jit_inline
def plant_finish(plant, state, mode, sp, dt):
    """The rest of a step once its split ``sp`` is known: fuel (map, warm-up friction, start), battery,
    coolant, losses and the next state: a :class:`StepResult`."""
    eng = plant.eng
    w_e = sp.engine_speed_rad_s
    t_e = sp.engine_torque_nm
    fuel = step_fuel_kg_s(plant, state, mode, w_e, t_e, dt)
    t_state = state.time_in_engine_state_s
    if (mode != OFF) != (state.engine_mode != OFF):
        t_state = 0.0
    t_state += dt
    # an empty battery the engine cannot recharge in this step: the accessory load is cut (reported)
    p_acc = plant.aux.accessory_power_w
    p_b = sp.battery_power_w
    p_dis_now = sp.battery_discharge_max_w  # battery_window_limits_w(plant.bat, state.soc, dt)[0], as split_in had it
    if p_b > p_dis_now + 1e-6 and p_acc > 0.0:  # (the limit tolerance of split_elec)
        p_acc = max(p_acc - (p_b - p_dis_now), 0.0)
        p_b = sp.mg1_electric_power_w + sp.mg2_electric_power_w + sp.boost_loss_w + p_acc
    p_rec_dc = l_rec = li_rec = p_rec = p_fric = 0.0
    if recovery_possible(mode == OFF and state.engine_speed_rad_s == 0.0, state.engine_speed_rad_s, w_e,
                         state.mg1_speed_rad_s, sp.mg1_speed_rad_s):
        p_rec_dc, l_rec, li_rec, p_rec, p_fric = rotor_recovery(
            eng, plant.mg1, plant.bat, state.soc, state.battery_polarisation_v, False, state.engine_speed_rad_s, w_e,
            sp.engine_inertia_torque_nm, state.mg1_speed_rad_s, sp.mg1_speed_rad_s, sp.mg1_inertia_torque_nm, p_b, dt)
    p_b += p_rec_dc
    pol_v = state.battery_polarisation_v
    if sp.battery_soc == state.soc:  # the split's battery state is this SOC's (it always is from step_context)
        ocv_s, rd_s, rc_s = sp.battery_ocv_v, sp.battery_r_dis_ohm, sp.battery_r_chg_ohm
        ocv = ocv_s if pol_v == 0.0 else battery_state(plant.bat, state.soc)[0]  # step OCV = OCV at V1 = 0
    else:
        ocv, ocv_s, rd_s, rc_s = battery_state_rc(plant.bat, state.soc, pol_v, dt)
    i_b, v_b, p_chem, l_b, soc_new, pol_v_new, p_pol = battery_step_rc_at(plant.bat, state.soc, pol_v, ocv, ocv_s,
                                                                          rd_s, rc_s, p_b, dt)
    p_fuel = fuel * eng.lhv_j_per_kg
    temp = coolant_step_c(plant.th, state.coolant_temp_c, p_fuel, dt)
    w_g = sp.mg1_speed_rad_s
    w_r = sp.ring_speed_rad_s
    w_wh = sp.wheel_speed_rad_s
    nxt = ThsState(soc_new, w_e, w_g, temp, mode, t_state, pol_v_new)
    return StepResult(
        sp, nxt, fuel, p_fuel, i_b, v_b, p_chem, l_b, p_b, p_acc,
        p_fuel - t_e * w_e + p_fric,
        sp.carrier_torque_nm * w_e + sp.sun_torque_nm * w_g - sp.ring_torque_delivered_nm * w_r,
        sp.mg2_torque_nm * sp.mg2_speed_rad_s - sp.mg2_ring_torque_nm * w_r,
        sp.ring_total_torque_nm * w_r - sp.axle_torque_delivered_nm * w_wh,
        sp.engine_inertia_torque_nm * w_e + sp.mg1_inertia_torque_nm * w_g - p_rec - p_fric,
        (sp.axle_torque_delivered_nm - sp.axle_torque_nm) * w_wh,
        sp.axle_torque_nm * w_wh,
        sp.mg1_electric_power_w + p_rec_dc,
        sp.mg1_loss_w + l_rec,
        sp.mg1_inverter_loss_w + sp.mg2_inverter_loss_w + sp.boost_loss_w + li_rec,
        p_pol,
    )


@jit
def plant_step(plant, state, decision, v0, v1, dt, grade):
    """One step of the THS-II plant: (plant, state, decision, start speed, end speed, dt, grade) → StepResult.

    Pure: ``state`` is not changed, the next state is ``result.state``. Check ``result.split.feasible``
    (and ``result.split.limit``): an infeasible decision is evaluated as far as the physics goes (MG2
    torque clipped to its envelope, the brakes taking the rest), never raised on.
    """
    sp = split(plant, state, decision.engine_mode, decision.engine_speed_rad_s, decision.engine_torque_nm,
               v0, v1, dt, grade)
    return plant_finish(plant, state, decision.engine_mode, sp, dt)


@jit_inline
def record(out, k, plant, res, v1, speed_demanded):
    """Write step ``k`` of a run into ``out``: ``res`` the StepResult that reached end speed ``v1`` where the
    trace asked for ``speed_demanded``."""
    sp = res.split
    s = res.state
    out.speed_mps[k] = v1
    out.trace_miss_mps[k] = speed_demanded - v1
    out.engine_mode[k] = s.engine_mode
    out.engine_speed_rad_s[k] = sp.engine_speed_rad_s
    out.engine_torque_nm[k] = sp.engine_torque_nm
    out.fuel_kg_s[k] = res.fuel_kg_s
    out.mg1_speed_rad_s[k] = sp.mg1_speed_rad_s
    out.mg1_torque_nm[k] = sp.mg1_torque_nm
    out.mg1_electric_power_w[k] = res.mg1_electric_power_w
    out.mg2_speed_rad_s[k] = sp.mg2_speed_rad_s
    out.mg2_torque_nm[k] = sp.mg2_torque_nm
    out.mg2_electric_power_w[k] = sp.mg2_electric_power_w
    out.ring_speed_rad_s[k] = sp.ring_speed_rad_s
    out.pinion_speed_rad_s[k] = (sp.ring_speed_rad_s - sp.engine_speed_rad_s) * plant.pg.zr_over_zp
    out.battery_current_a[k] = res.battery_current_a
    out.battery_voltage_v[k] = res.battery_voltage_v
    out.battery_power_w[k] = res.battery_power_w
    out.soc[k] = s.soc
    out.coolant_temp_c[k] = s.coolant_temp_c
    out.fuel_power_w[k] = res.fuel_power_w
    out.battery_chemical_power_w[k] = res.battery_chemical_power_w
    out.engine_loss_w[k] = res.engine_loss_w
    out.mg1_loss_w[k] = res.mg1_loss_w
    out.mg2_loss_w[k] = sp.mg2_loss_w
    out.inverter_loss_w[k] = res.inverter_loss_w
    out.battery_loss_w[k] = res.battery_loss_w
    out.planetary_loss_w[k] = res.planetary_loss_w
    out.reduction_loss_w[k] = res.reduction_loss_w
    out.final_drive_loss_w[k] = res.final_drive_loss_w
    out.rotor_inertia_power_w[k] = res.rotor_inertia_power_w
    out.accessory_power_w[k] = res.accessory_power_w
    out.brake_power_w[k] = res.brake_power_w
    out.wheel_power_w[k] = res.wheel_power_w
    out.battery_polarisation_power_w[k] = res.battery_polarisation_power_w


# --- limits of the engine operating point (physics the decisions use) ---------------------------------


@jit_inline
def clamp_engine_speed(plant, w, w_r):
    """Engine speed ``w`` raised for MG1's reverse-speed and the backward pinion limits, then lowered for
    MG1's forward-speed, the forward pinion and the engine speed limits (the later clamp wins a conflict).

    Willis: ω_MG1 = (1+k)·ω_e − k·ω_r; pinion relative to the carrier: (ω_r − ω_e)·Zr/Zp.
    """
    pg = plant.pg
    mg1 = plant.mg1
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
    if w > plant.eng.max_speed_rad_s:
        w = plant.eng.max_speed_rad_s
    return w


@jit_inline
def engine_speed_for_power(plant, p, w_r):
    """Engine speed on the OOL at power p, clamped into the MG1, pinion and engine speed limits."""
    aux = plant.aux
    w = interp1_uniform(0.0, 1.0 / aux.ool_power_step_inv, aux.ool_speed_rad_s, p)
    if w < aux.engine_min_speed_rad_s:
        w = aux.engine_min_speed_rad_s
    return clamp_engine_speed(plant, w, w_r)


@jit_inline
def torque_for_power(plant, p, w, w_r, w_e_prev, w_g_prev, dt):
    """Engine torque for power p at speed w, within WOT and within what MG1 can react while it also
    accelerates its own rotor: MG1's torque T_g = T_J,g − (T_e − T_J,e)/(1 + k·e) ≥ −T_MG1,max gives
    T_e ≤ (1 + k·η)·(T_MG1,max + T_J,g) + T_J,e (e = η, the smaller factor, bounds both mesh directions),
    less 0.1 % of T_MG1,max; never below zero. ``w_e_prev``, ``w_g_prev``: engine and MG1 speeds of the
    previous step (the state)."""
    pg = plant.pg
    eng = plant.eng
    mg1 = plant.mg1
    t = p / w
    t_max = engine_point(eng, w, t)[0]
    k = pg.k
    w_g = (1.0 + k) * w - k * w_r
    t_je = rotor_inertia_torque(eng.inertia_kgm2, w, w_e_prev, dt)
    t_jg = rotor_inertia_torque(mg1.inertia_kgm2, w_g, w_g_prev, dt)
    t_react = (1.0 + k * pg.planetary_efficiency) * (0.999 * motor_tmax(mg1, w_g) + t_jg) + t_je
    if t_react < 0.0:
        t_react = 0.0
    if t_react < t_max:
        t_max = t_react
    return t if t < t_max else t_max


@jit
def split_at_power(plant, state, p, v0, v1, dt, grade):
    """``split`` with the engine fuelled at power p on the operating line (speed and torque limits applied)."""
    ctx = step_context(plant, state.soc, state.battery_polarisation_v, v0, v1, dt, grade)
    return split_at_power_in(plant, state, ctx, p, dt)


@jit
def split_at_power_in(plant, state, ctx, p, dt):
    """``split_at_power`` given the step's ``ctx`` (``step_context``: the same numbers, computed once per step)."""
    w_r = ctx.ring_speed_rad_s
    w = engine_speed_for_power(plant, p, w_r)
    t = torque_for_power(plant, p, w, w_r, state.engine_speed_rad_s, state.mg1_speed_rad_s, dt)
    return split_in(plant, state, ctx, FUELLED, w, t, dt)


@jit
def decision_at_power(plant, state, p, v0, v1, dt):
    """The FUELLED decision at engine power p on the operating line (speed and torque limits applied)."""
    w_r = 0.5 * (v0 + v1) / plant.ch.wheel_radius_m * plant.pg.ring_ratio
    w = engine_speed_for_power(plant, p, w_r)
    return ThsDecision(FUELLED, w, torque_for_power(plant, p, w, w_r, state.engine_speed_rad_s,
                                                    state.mg1_speed_rad_s, dt))
