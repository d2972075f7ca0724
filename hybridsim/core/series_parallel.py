"""Series-parallel hybrid (Honda i-MMD / e:HEV): the plant, one time step at a time.

The engine turns the generator MG1 through a fixed gear (always coupled); the traction motor MG2 drives the
wheels through a fixed reduction; a lock-up clutch couples the engine to the wheels through its own fixed
ratio. The plant knows physics and limits only; the mode and engine point are a *decision*
(``core/series_parallel_control.py``)::

    plant_step(plant, state, decision, v0, v1, dt, grade) -> SpStepResult

Modes (:class:`SpDecision` ``mode``):

* ``EV`` (0): engine stopped, clutch open; MG2 closes the wheel torque (regenerates when braking).
* ``SERIES`` (1): clutch open; engine fuelled at (ω_e, T_e), MG1 takes its torque through the generator gear
  (and spins the engine and its own rotor up or down); MG2 closes the wheel torque.
* ``ENGINE`` (2): clutch closed, ω_e = ω_wheel · i_engine; engine fuelled at T_e, MG1 carries no
  electromagnetic torque (its rotor is driven by the engine); MG2 closes the wheel torque (assists or generates).

Engine shaft node (speed ω_e): T_e − T_J,e − T_gen,in − T_clutch = 0, with T_J the energy-consistent inertia
torque (``core/driveline.rotor_inertia_torque``). Generator shaft: T_MG1 = T_J,g − T_gen,out. Gears pass torque with the
efficiency taken in the direction of power flow (``core/driveline.py``; the generator gear is a step-up,
ratio 1/i_gen in the driveline convention of input speed over output speed).

Power balance per step (each term an output)::

    P_fuel + P_batt,chem = P_engine_loss + P_mg1_loss + P_mg2_loss + P_inverter_loss + P_battery_loss
        + P_generator_gear_loss + P_clutch_gear_loss + P_reduction_loss + P_rotor + P_accessory
        + P_brake + P_wheel

Nothing here raises.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit, jit_inline, zeros_rows
from .chassis import wheel_force_n
from .driveline import gear_input_torque, gear_output_torque, regen_fade, rotor_inertia_torque
from .electric import (
    battery_step,
    battery_window_limits_w,
    motor_dc_power_w,
    motor_tmax,
    regen_at_zero_dc_power,
    regen_to_charge_limit,
    terminal_power_w,
)
from .engine import engine_point
from .interp import interp1_uniform
from .thermal import cold_extra_fuel_kg_s, coolant_initial_c, coolant_step_c
from .ths import rotor_recovery

EV = 0
SERIES = 1
ENGINE = 2

LIMIT_NONE = 0
LIMIT_SPEED = 1  # MG1, MG2 or engine speed (or the engine below its idle speed with the clutch closed)
LIMIT_MG1_TORQUE = 2
LIMIT_MG2_TORQUE = 3
LIMIT_BATTERY_DISCHARGE = 4
LIMIT_BATTERY_CHARGE = 5
LIMIT_WHEEL_TORQUE = 6
LIMIT_REGEN = 7
LIMIT_ENGINE_TORQUE = 8  # beyond the engine's full-load torque


class SpOut(NamedTuple):
    speed_mps: np.ndarray
    trace_miss_mps: np.ndarray
    engine_mode: np.ndarray  # 0 off, 1 fuelled
    sp_mode: np.ndarray  # 0 EV, 1 series, 2 engine drive
    engine_speed_rad_s: np.ndarray
    engine_torque_nm: np.ndarray
    fuel_kg_s: np.ndarray
    generator_speed_rad_s: np.ndarray
    mg1_torque_nm: np.ndarray
    mg1_electric_power_w: np.ndarray
    mg2_speed_rad_s: np.ndarray
    mg2_torque_nm: np.ndarray
    mg2_electric_power_w: np.ndarray
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
    generator_gear_loss_w: np.ndarray
    clutch_gear_loss_w: np.ndarray
    reduction_loss_w: np.ndarray
    rotor_inertia_power_w: np.ndarray
    accessory_power_w: np.ndarray
    brake_power_w: np.ndarray
    wheel_power_w: np.ndarray


def allocate(n: int) -> SpOut:
    return SpOut(*zeros_rows(len(SpOut._fields), n))


class SpGearK(NamedTuple):
    generator_ratio: float  # MG1 speed / engine speed
    generator_efficiency: float
    motor_ratio: float  # MG2 speed / wheel speed
    motor_efficiency: float
    engine_ratio: float  # engine speed / wheel speed, clutch closed
    engine_efficiency: float


class SpAuxK(NamedTuple):
    accessory_power_w: float
    engine_start_fuel_kg: float
    engine_min_speed_rad_s: float
    ool_power_max_w: float
    ool_power_step_inv: float
    ool_speed_rad_s: np.ndarray
    friction_fuel_kg_s: np.ndarray
    regen_fade_speed_mps: float


class SpPlantK(NamedTuple):
    ch: tuple  # ChassisK, MG2's rotor in m_eff
    gr: SpGearK
    eng: tuple
    mg1: tuple
    mg2: tuple
    bat: tuple
    aux: SpAuxK
    th: tuple


class SpState(NamedTuple):
    soc: float
    engine_speed_rad_s: float
    coolant_temp_c: float
    mode: int  # of the previous step
    time_in_engine_state_s: float  # since the engine last started or stopped


class SpDecision(NamedTuple):
    mode: int  # EV, SERIES or ENGINE
    engine_speed_rad_s: float  # SERIES only (ENGINE: set by the wheels)
    engine_torque_nm: float


class SpSplit(NamedTuple):
    """Mechanics and electrics of one step for a decision."""

    feasible: bool
    limit: int
    wheel_speed_rad_s: float
    axle_torque_nm: float  # demanded
    axle_torque_delivered_nm: float  # by the powertrain; the brakes take the rest
    engine_speed_rad_s: float
    engine_torque_nm: float
    engine_inertia_torque_nm: float
    generator_in_torque_nm: float  # drawn from the engine shaft by the generator gear
    generator_out_torque_nm: float  # delivered to the MG1 shaft
    clutch_torque_nm: float  # engine shaft into the lock-up path
    clutch_axle_torque_nm: float  # delivered at the axle by the lock-up path
    mg1_speed_rad_s: float
    mg1_torque_nm: float
    mg1_inertia_torque_nm: float
    mg1_electric_power_w: float
    mg1_loss_w: float
    mg1_inverter_loss_w: float
    mg2_speed_rad_s: float
    mg2_torque_nm: float
    mg2_axle_torque_nm: float
    mg2_electric_power_w: float
    mg2_loss_w: float
    mg2_inverter_loss_w: float
    battery_power_w: float  # terminal, discharge > 0
    boost_loss_w: float  # the boost converter's (VCU), on MG1's and MG2's net DC power (in battery_power_w)


class SpStepResult(NamedTuple):
    split: SpSplit
    state: SpState
    fuel_kg_s: float
    fuel_power_w: float
    battery_current_a: float
    battery_voltage_v: float
    battery_chemical_power_w: float
    battery_loss_w: float
    battery_power_w: float
    accessory_power_w: float
    engine_loss_w: float
    generator_gear_loss_w: float
    clutch_gear_loss_w: float
    reduction_loss_w: float
    rotor_inertia_power_w: float
    brake_power_w: float
    wheel_power_w: float
    mg1_electric_power_w: float  # the split's, plus the rotor recovery (``core/ths.rotor_recovery``)
    mg1_loss_w: float  # as above
    inverter_loss_w: float  # MG1's and MG2's inverters, with the recovery's


@jit_inline
def initial_state(plant, soc0):
    """Engine at rest, coolant soaked (cold) or warm, EV mode."""
    return SpState(soc0, 0.0, coolant_initial_c(plant.th), EV, 1e9)


class SpMech(NamedTuple):
    """The battery-independent part of a step's split (``split_mech``): engine, gears, MG1 and MG2 for a decision
    before the battery's power limits are applied (``split_elec``)."""

    ok_traction: bool  # MG2 torque within its envelope
    limit: int
    speeds_ok: bool
    eng_ok: bool
    mg1_ok: bool
    wheel_speed_rad_s: float
    axle_torque_nm: float
    engine_speed_rad_s: float
    engine_torque_nm: float
    engine_inertia_torque_nm: float
    generator_in_torque_nm: float
    generator_out_torque_nm: float
    clutch_torque_nm: float
    clutch_axle_torque_nm: float
    mg1_speed_rad_s: float
    mg1_torque_nm: float
    mg1_inertia_torque_nm: float
    mg1_electric_power_w: float
    mg1_loss_w: float
    mg1_inverter_loss_w: float
    mg2_speed_rad_s: float
    mg2_torque_nm: float
    mg2_electric_power_w: float
    mg2_loss_w: float
    mg2_inverter_loss_w: float
    fuel_map_kg_s: float  # the engine map's fuel rate at (ω_e, T_e) (0 in EV)


class SpCtx(NamedTuple):
    """What a step asks of the powertrain whatever the decision (``step_context``)."""

    mean_speed_mps: float
    wheel_speed_rad_s: float
    axle_torque_nm: float
    mg2_speed_rad_s: float
    mg2_speed_ok: bool
    mg2_torque_max_nm: float


@jit_inline
def step_context(plant, v0, v1, dt, grade):
    """Road force, wheel and MG2 speeds and MG2's envelope over a step v0 → v1: an :class:`SpCtx`."""
    ch = plant.ch
    mg2 = plant.mg2
    f = wheel_force_n(ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    w_wh = vbar / ch.wheel_radius_m
    w_m2 = w_wh * plant.gr.motor_ratio
    return SpCtx(vbar, w_wh, f * ch.wheel_radius_m, w_m2, abs(w_m2) <= mg2.max_speed_rad_s + 1e-6,
                 motor_tmax(mg2, w_m2))


@jit
def split_mech(plant, w_e_prev, mode, w_e, t_e, v0, v1, dt, grade):
    """Engine, gears, rotor inertias, MG1 and MG2 for (mode, ω_e, T_e) from the previous engine speed
    ``w_e_prev``: an :class:`SpMech` (no battery limit applied yet) = ``split_in`` of the step's ``step_context``.
    ENGINE mode ignores ``w_e`` (ω_e = ω_wheel·i_engine); EV ignores both."""
    return split_in(plant, w_e_prev, step_context(plant, v0, v1, dt, grade), mode, w_e, t_e, dt)


class SpMg2(NamedTuple):
    """MG2 closing the axle torque (``mg2_close``)."""

    ok_traction: bool  # within its envelope
    limit: int  # LIMIT_NONE, LIMIT_MG2_TORQUE or LIMIT_REGEN
    torque_nm: float
    electric_power_w: float
    loss_w: float
    inverter_loss_w: float


@jit_inline
def mg2_torque(plant, ctx, t_cl_ax):
    """(within its envelope, limit, torque [N·m]) of MG2 closing the step's axle torque besides ``t_cl_ax``
    (``mg2_close`` without the machine's power)."""
    gr = plant.gr
    limit = LIMIT_NONE
    x = ctx.axle_torque_nm - t_cl_ax
    t_m2 = gear_input_torque(x, gr.motor_ratio, gr.motor_efficiency)
    t2max = ctx.mg2_torque_max_nm
    ok_traction = True
    if t_m2 > t2max + 1e-9:
        t_m2 = t2max
        ok_traction = False
        limit = LIMIT_MG2_TORQUE
    if t_m2 < 0.0:
        tmin = -t2max * regen_fade(ctx.mean_speed_mps, plant.aux.regen_fade_speed_mps)
        if t_m2 < tmin:
            t_m2 = tmin
            limit = LIMIT_REGEN
    return ok_traction, limit, t_m2


@jit_inline
def mg2_close(plant, ctx, t_cl_ax):
    """MG2 closing the step's axle torque besides ``t_cl_ax`` from the lock-up path (0 with the clutch open: EV and
    series mode), within its envelope and the regeneration fade: an :class:`SpMg2`."""
    ok_traction, limit, t_m2 = mg2_torque(plant, ctx, t_cl_ax)
    p_m, l_m, li_m = motor_dc_power_w(plant.mg2, t_m2, ctx.mg2_speed_rad_s)
    if t_m2 < 0.0 and p_m >= 0.0:
        # braking that returns nothing (the machine's and inverter's loss eat the generated power): the friction
        # brakes take it all, MG2 idles
        t_m2 = 0.0
        p_m, l_m, li_m = motor_dc_power_w(plant.mg2, 0.0, ctx.mg2_speed_rad_s)
        if limit == LIMIT_NONE:
            limit = LIMIT_REGEN
    return SpMg2(ok_traction, limit, t_m2, p_m, l_m, li_m)


@jit_inline
def split_in(plant, w_e_prev, ctx, mode, w_e, t_e, dt):
    """``split_mech`` given the step's context ``ctx`` (``step_context``): what each decision changes."""
    return split_in_given(plant, w_e_prev, ctx, mode, w_e, t_e, dt, SpMg2(False, LIMIT_NONE, 0.0, 0.0, 0.0, 0.0),
                          (0.0, 0.0, 0.0), False)


@jit_inline
def split_in_given(plant, w_e_prev, ctx, mode, w_e, t_e, dt, mg2_open, ep_given, given):
    """``split_in`` with, if ``given``, MG2's part for the clutch open (EV, series) ``mg2_open`` =
    ``mg2_close(plant, ctx, 0.0)``, computed once for the step (the same for every EV and series decision: ECMS),
    and the engine's point ``ep_given`` = ``engine_point(plant.eng, ω_e, T_e)`` (the caller's, for the fuel)."""
    gr = plant.gr
    eng = plant.eng
    mg1 = plant.mg1
    aux = plant.aux
    w_wh = ctx.wheel_speed_rad_s
    t_axle = ctx.axle_torque_nm
    w_m2 = ctx.mg2_speed_rad_s
    speeds_ok = ctx.mg2_speed_ok
    eng_ok = True
    fuel_map = 0.0
    if mode == EV:
        w_e = 0.0
        t_e = 0.0
    elif mode == ENGINE:
        w_e = w_wh * gr.engine_ratio
        if w_e < aux.engine_min_speed_rad_s - 1e-9:
            speeds_ok = False
    if mode != EV:
        if w_e > eng.max_speed_rad_s + 1e-6:
            speeds_ok = False
        ep = ep_given if given else engine_point(eng, w_e, t_e)
        fuel_map = ep[2]
        if t_e > ep[0] + 1e-9:
            eng_ok = False
    w_g = w_e * gr.generator_ratio
    if abs(w_g) > mg1.max_speed_rad_s + 1e-6:
        speeds_ok = False
    t_je = rotor_inertia_torque(eng.inertia_kgm2, w_e, w_e_prev, dt)
    t_jg = rotor_inertia_torque(mg1.inertia_kgm2, w_g, w_e_prev * gr.generator_ratio, dt)
    if mode == EV:
        # engine stopped, clutch open: no inertia torque is booked at zero speed; the kinetic energy the rotors
        # release is generated by MG1 in plant_finish (core/ths.rotor_recovery)
        t_je = 0.0
        t_jg = 0.0
        t_gin = 0.0
        t_gout = 0.0
        t_cl = 0.0
        t_cl_ax = 0.0
        t_g = 0.0
    elif mode == ENGINE:
        # MG1 carries no electromagnetic torque: the engine drives its rotor through the generator gear
        t_gout = t_jg
        t_gin = gear_input_torque(t_gout, 1.0 / gr.generator_ratio, gr.generator_efficiency)
        t_cl = t_e - t_je - t_gin
        t_cl_ax = gear_output_torque(t_cl, gr.engine_ratio, gr.engine_efficiency)
        t_g = 0.0
    else:
        t_gin = t_e - t_je
        t_gout = gear_output_torque(t_gin, 1.0 / gr.generator_ratio, gr.generator_efficiency)
        t_cl = 0.0
        t_cl_ax = 0.0
        t_g = t_jg - t_gout
    mg1_ok = abs(t_g) <= motor_tmax(mg1, w_g) + 1e-9
    # MG2 closes the axle torque
    m2 = mg2_open if given and mode != ENGINE else mg2_close(plant, ctx, t_cl_ax)
    ok_traction = m2.ok_traction
    limit = m2.limit
    t_m2 = m2.torque_nm
    p_g, l_g, li_g = motor_dc_power_w(mg1, t_g, w_g)
    p_m, l_m, li_m = m2.electric_power_w, m2.loss_w, m2.inverter_loss_w
    return SpMech(ok_traction, limit, speeds_ok, eng_ok, mg1_ok, w_wh, t_axle, w_e, t_e, t_je, t_gin, t_gout, t_cl,
                  t_cl_ax, w_g, t_g, t_jg, p_g, l_g, li_g, w_m2, t_m2, p_m, l_m, li_m, fuel_map)


@jit_inline
def split_elec(plant, m, p_dis_max, p_chg_max):
    """The battery side of a split ``m`` (``split_mech``) within the battery's power limits: regeneration cut to
    the charge limit, the charge and discharge flags, the torques delivered: an :class:`SpSplit`."""
    gr = plant.gr
    mg2 = plant.mg2
    aux = plant.aux
    limit = m.limit
    ok_traction = m.ok_traction
    t_m2 = m.mg2_torque_nm
    w_m2 = m.mg2_speed_rad_s
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
    x_del = gear_output_torque(t_m2, gr.motor_ratio, gr.motor_efficiency)
    t_ax_del = m.clutch_axle_torque_nm + x_del
    if t_ax_del < t_axle - 1e-9:
        if ok_traction:
            limit = LIMIT_WHEEL_TORQUE
        ok_traction = False
    if not m.eng_ok:
        limit = LIMIT_ENGINE_TORQUE
    if not m.mg1_ok:
        limit = LIMIT_MG1_TORQUE
    if not m.speeds_ok:
        limit = LIMIT_SPEED
    feasible = ok_traction and m.mg1_ok and m.speeds_ok and m.eng_ok and not overcharge
    return SpSplit(feasible, limit, m.wheel_speed_rad_s, t_axle, t_ax_del, m.engine_speed_rad_s, m.engine_torque_nm,
                   m.engine_inertia_torque_nm, m.generator_in_torque_nm, m.generator_out_torque_nm,
                   m.clutch_torque_nm, m.clutch_axle_torque_nm, m.mg1_speed_rad_s, m.mg1_torque_nm,
                   m.mg1_inertia_torque_nm, p_g, m.mg1_loss_w, m.mg1_inverter_loss_w, w_m2, t_m2, x_del, p_m, l_m,
                   li_m, p_b, l_bst)


@jit
def split(plant, state, mode, w_e, t_e, v0, v1, dt, grade):
    """Mechanics and electrics of one step for (mode, ω_e, T_e): an :class:`SpSplit` with every limit flagged
    (``split_mech`` then ``split_elec`` at the battery's limits at ``state.soc``).

    ENGINE mode ignores ``w_e`` (ω_e = ω_wheel·i_engine); EV ignores both."""
    m = split_mech(plant, state.engine_speed_rad_s, mode, w_e, t_e, v0, v1, dt, grade)
    p_dis_max, p_chg_max = battery_window_limits_w(plant.bat, state.soc, dt)
    return split_elec(plant, m, p_dis_max, p_chg_max)


@jit_inline
def step_fuel_kg_s(plant, state, mode, w_e, t_e, dt):
    """Fuel over a step: the map at (ω_e, T_e), the warm-up friction fuel and, on a start, the start fuel. [kg/s]"""
    if mode == EV:
        return 0.0
    return step_fuel_from_map(plant, state, mode, w_e, engine_point(plant.eng, w_e, t_e)[2], dt)


@jit_inline
def step_fuel_from_map(plant, state, mode, w_e, fuel_map, dt):
    """``step_fuel_kg_s`` given the map's fuel rate at (ω_e, T_e) (``SpMech.fuel_map_kg_s``). [kg/s]"""
    if mode == EV:
        return 0.0
    fuel = fuel_map
    fuel += cold_extra_fuel_kg_s(plant.th, plant.eng, plant.aux.friction_fuel_kg_s, state.coolant_temp_c, w_e)
    if state.mode == EV:
        fuel += plant.aux.engine_start_fuel_kg / dt
    return fuel


@jit_inline
def plant_finish(plant, state, mode, sp, dt):
    """Fuel, battery, coolant, losses and the next state once the split ``sp`` is known: an :class:`SpStepResult`."""
    w_e = sp.engine_speed_rad_s
    t_e = sp.engine_torque_nm
    fuel = step_fuel_kg_s(plant, state, mode, w_e, t_e, dt)
    t_state = state.time_in_engine_state_s
    if (mode != EV) != (state.mode != EV):
        t_state = 0.0
    t_state += dt
    p_acc = plant.aux.accessory_power_w
    p_b = sp.battery_power_w
    p_dis_now = battery_window_limits_w(plant.bat, state.soc, dt)[0]
    if p_b > p_dis_now + 1e-6 and p_acc > 0.0:
        p_acc = max(p_acc - (p_b - p_dis_now), 0.0)
        p_b = sp.mg1_electric_power_w + sp.mg2_electric_power_w + sp.boost_loss_w + p_acc
    w_e0 = state.engine_speed_rad_s
    p_rec_dc, l_rec, li_rec, p_rec, p_fric = rotor_recovery(
        plant.eng, plant.mg1, plant.bat, state.soc, 0.0, mode == EV and w_e0 == 0.0, w_e0, w_e,
        sp.engine_inertia_torque_nm, w_e0 * plant.gr.generator_ratio, sp.mg1_speed_rad_s, sp.mg1_inertia_torque_nm,
        p_b, dt)
    p_b += p_rec_dc
    i_b, v_b, p_chem, l_b, soc_new = battery_step(plant.bat, state.soc, p_b, dt)
    p_fuel = fuel * plant.eng.lhv_j_per_kg
    temp = coolant_step_c(plant.th, state.coolant_temp_c, p_fuel, dt)
    w_g = sp.mg1_speed_rad_s
    w_wh = sp.wheel_speed_rad_s
    nxt = SpState(soc_new, w_e, temp, mode, t_state)
    return SpStepResult(
        sp, nxt, fuel, p_fuel, i_b, v_b, p_chem, l_b, p_b, p_acc,
        p_fuel - t_e * w_e + p_fric,
        sp.generator_in_torque_nm * w_e - sp.generator_out_torque_nm * w_g,
        sp.clutch_torque_nm * w_e - sp.clutch_axle_torque_nm * w_wh,
        sp.mg2_torque_nm * sp.mg2_speed_rad_s - sp.mg2_axle_torque_nm * w_wh,
        sp.engine_inertia_torque_nm * w_e + sp.mg1_inertia_torque_nm * w_g - p_rec - p_fric,
        (sp.axle_torque_delivered_nm - sp.axle_torque_nm) * w_wh,
        sp.axle_torque_nm * w_wh,
        sp.mg1_electric_power_w + p_rec_dc,
        sp.mg1_loss_w + l_rec,
        sp.mg1_inverter_loss_w + sp.mg2_inverter_loss_w + sp.boost_loss_w + li_rec,
    )


@jit
def plant_step(plant, state, decision, v0, v1, dt, grade):
    """One step of the series-parallel plant: pure; check ``result.split.feasible`` / ``.limit``."""
    sp = split(plant, state, decision.mode, decision.engine_speed_rad_s, decision.engine_torque_nm, v0, v1, dt,
               grade)
    return plant_finish(plant, state, decision.mode, sp, dt)


@jit_inline
def record(out, k, res, v1, speed_demanded):
    sp = res.split
    s = res.state
    out.speed_mps[k] = v1
    out.trace_miss_mps[k] = speed_demanded - v1
    out.engine_mode[k] = 0 if s.mode == EV else 1
    out.sp_mode[k] = s.mode
    out.engine_speed_rad_s[k] = sp.engine_speed_rad_s
    out.engine_torque_nm[k] = sp.engine_torque_nm
    out.fuel_kg_s[k] = res.fuel_kg_s
    out.generator_speed_rad_s[k] = sp.mg1_speed_rad_s
    out.mg1_torque_nm[k] = sp.mg1_torque_nm
    out.mg1_electric_power_w[k] = res.mg1_electric_power_w
    out.mg2_speed_rad_s[k] = sp.mg2_speed_rad_s
    out.mg2_torque_nm[k] = sp.mg2_torque_nm
    out.mg2_electric_power_w[k] = sp.mg2_electric_power_w
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
    out.generator_gear_loss_w[k] = res.generator_gear_loss_w
    out.clutch_gear_loss_w[k] = res.clutch_gear_loss_w
    out.reduction_loss_w[k] = res.reduction_loss_w
    out.rotor_inertia_power_w[k] = res.rotor_inertia_power_w
    out.accessory_power_w[k] = res.accessory_power_w
    out.brake_power_w[k] = res.brake_power_w
    out.wheel_power_w[k] = res.wheel_power_w


@jit_inline
def engine_speed_for_power(plant, p):
    """Engine speed on the minimum-fuel operating line at power p (series mode), within idle and MG1's and the
    engine's maximum speeds."""
    aux = plant.aux
    w = interp1_uniform(0.0, 1.0 / aux.ool_power_step_inv, aux.ool_speed_rad_s, p)
    if w < aux.engine_min_speed_rad_s:
        w = aux.engine_min_speed_rad_s
    w_max = plant.mg1.max_speed_rad_s / plant.gr.generator_ratio
    if w > w_max:
        w = w_max
    if w > plant.eng.max_speed_rad_s:
        w = plant.eng.max_speed_rad_s
    return w


@jit_inline
def series_torque_for_power(plant, state, p, w, dt):
    """Engine torque for power p at speed w in series mode, within WOT and what MG1 can absorb besides
    accelerating both rotors (T_MG1 = T_J,g − T_gen,out ≥ −T_MG1,max); never below zero. [N·m]"""
    eng = plant.eng
    gr = plant.gr
    t = p / w
    t_max = engine_point(eng, w, t)[0]
    w_g = w * gr.generator_ratio
    t_je = rotor_inertia_torque(eng.inertia_kgm2, w, state.engine_speed_rad_s, dt)
    t_jg = rotor_inertia_torque(plant.mg1.inertia_kgm2, w_g, state.engine_speed_rad_s * gr.generator_ratio, dt)
    t_gout_max = 0.999 * motor_tmax(plant.mg1, w_g) + t_jg
    t_react = (gear_input_torque(t_gout_max, 1.0 / gr.generator_ratio, gr.generator_efficiency)
               if t_gout_max > 0.0 else 0.0) + t_je
    if t_react < t_max:
        t_max = t_react
    if t_max < 0.0:
        t_max = 0.0
    return t if t < t_max else t_max
