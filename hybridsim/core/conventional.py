"""Conventional powertrain: engine → converter (or launch clutch) → gearbox (step-ratio automatic, AMT, DCT,
manual, or CVT) → wheels. The plant, one time step at a time (issue 14); the decisions (gear, CVT ratio, trace
miss) are in ``core/conventional_control.py`` (rules of ``control/conventional.py``).

One step::

    plant_step(plant, state, decision, v0, v1, dt, grade) -> StepResult
      = plant_finish(plant, state, ctx, point(plant, state, ctx, decision, dt), dt),  ctx = step_context(…)

``plant`` is a :class:`ConvPlantK` (chassis, engine, gearbox, CVT, accessories and friction-fuel table, warm-up
model), ``state`` a :class:`ConvState` (gear, engine speed of the previous step, coolant temperature, time in
gear), ``decision`` a :class:`ConvDecision` (gear, the overall ratio of a CVT, clutch disengaged).
:func:`point` is the engine operating point for that decision (:class:`ConvPoint`, with ``feasible`` and the
``limit`` that bound), :func:`plant_finish` the fuel, coolant, losses and next state.

Quasi-static backward step with a forward feasibility check (DESIGN.md §3). The demanded wheel force follows
from the trace (``chassis.wheel_force_n``); in a gear (ratio i = i_g·i_fd, η = η_g·η_fd, or a CVT's ratio with
its ratio-dependent efficiency and input drag) the engine gives the input torque, its inertia torque and the
accessories (:func:`ratio_step`); a point beyond WOT or the engine's speed limit is infeasible. Nothing here
raises.

Cold start (``core/thermal.py``, the same model and code as the THS-II kernel's): a lumped coolant
temperature ``C·dT/dt = f·P_fuel`` (capped at the thermostat temperature) raises engine friction by
``θ^(−t)``; the fuelled engine burns ``(θ^(−t) − 1)·ṁ_fric(ω_e)`` more fuel at the same brake torque.
Modelling choice, as in the THS-II kernel: the extra friction is paid in fuel, not in torque, so the
operating point, the gear choice (on the hot map) and the WOT limit are those of a warm engine; the extra
fuel power is all engine loss (P_engine_loss below). An engine at fuel cut gets no extra fuel.

Power balance per step (all terms are outputs, so the energy balance is checked outside)::

    P_fuel = P_engine_loss + P_accessory + P_engine_inertia + P_converter_loss
             + P_gearbox_loss + P_wheel + P_brake
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit, jit_inline, zeros_rows
from .chassis import wheel_force_n
from .driveline import (
    converter_loss_w,
    converter_pump_speed,
    converter_torque_ratio,
    gear_input_torque,
    gear_output_torque,
)
from .engine import engine_point
from .thermal import cold_extra_fuel_kg_s, coolant_initial_c, coolant_step_c

INF = np.inf


class ConventionalOut(NamedTuple):
    speed_mps: np.ndarray
    gear: np.ndarray
    engine_speed_rad_s: np.ndarray
    engine_torque_nm: np.ndarray
    fuel_kg_s: np.ndarray
    fuel_power_w: np.ndarray
    engine_loss_w: np.ndarray
    accessory_power_w: np.ndarray
    engine_inertia_power_w: np.ndarray
    converter_loss_w: np.ndarray
    gearbox_loss_w: np.ndarray
    wheel_power_w: np.ndarray
    brake_power_w: np.ndarray
    trace_miss_mps: np.ndarray
    coolant_temp_c: np.ndarray
    transmission_ratio: np.ndarray



def allocate(n: int) -> ConventionalOut:
    return ConventionalOut(*zeros_rows(len(ConventionalOut._fields), n))


@jit_inline
def gear_step(eng, gb, g, w_wheel, t_wheel, w_e_prev, dt, p_aux):
    """Engine operating point in gear ``g`` for wheel speed/torque.

    Returns (feasible, w_e, t_e, fuel, t_in, w_in, t_wheel_pt, reserve_ratio): the engine speed and
    torque, fuel rate, gearbox input torque and speed, the wheel torque the powertrain delivers (the
    brakes supply t_wheel − t_wheel_pt) and t_e/WOT.
    """
    return ratio_step(eng, gb, gb.ratios[g] * gb.final_drive_ratio, gb.efficiencies[g] * gb.final_drive_efficiency,
                      0.0, w_wheel, t_wheel, w_e_prev, dt, p_aux)


@jit_inline
def ratio_step(eng, gb, i, eta, t_drag, w_wheel, t_wheel, w_e_prev, dt, p_aux):
    """:func:`gear_step` for an overall ratio ``i`` and efficiency ``eta`` (gear × final drive) and a constant
    drag torque ``t_drag`` at the gearbox input while it turns (a CVT's pump; 0 for a step-ratio box)."""
    w_in = w_wheel * i
    t_in = gear_input_torque(t_wheel, i, eta)
    if t_drag > 0.0 and w_in > 0.0:
        t_in += t_drag
    # converter / launch slip (with torque multiplication where the file declares it: components/gearbox.py)
    w_slip = eng.idle_speed_rad_s
    if t_in > 0.0 and gb.converter_k_rad_s_per_sqrt_nm > 0.0:
        ws = converter_pump_speed(gb, w_in, t_in)
        if ws > w_slip:
            w_slip = ws
    tr = 1.0  # converter torque ratio turbine/pump (1: locked, or no multiplication)
    if w_in >= w_slip:
        w_e = w_in
    else:
        w_e = w_slip
        if t_in < 0.0:
            t_in = 0.0  # an unlocked converter passes no engine braking
        if gb.converter_k_rad_s_per_sqrt_nm > 0.0:
            tr = converter_torque_ratio(gb, w_in, w_e)
    if w_wheel <= 0.0:
        t_in = 0.0  # standing: the brakes hold the car
    t_j = eng.inertia_kgm2 * (w_e - w_e_prev) / dt
    t_aux = p_aux / w_e
    t_e = t_in / tr + t_j + t_aux
    t_max, t_mot, fuel = engine_point(eng, w_e, t_e)
    if t_e < 0.0 and w_e < eng.fuel_cutoff_min_speed_rad_s:
        # no fuel cut near idle: the engine holds idle and does not brake the car
        t_e = t_j + t_aux
        if t_e < 0.0:
            t_e = 0.0
        t_in = (t_e - t_j - t_aux) * tr
        fuel = engine_point(eng, w_e, t_e)[2]
    if t_e < t_mot:
        # overrun beyond the engine's drag: fuel cut, the brakes take the rest
        t_e = t_mot
        t_in = (t_e - t_j - t_aux) * tr
        fuel = 0.0
    # wheel torque actually delivered through the driveline for this t_in
    if t_drag > 0.0 and w_in > 0.0:
        t_wpt = gear_output_torque(t_in - t_drag, i, eta)
    else:
        t_wpt = gear_output_torque(t_in, i, eta)
    feasible = t_e <= t_max + 1e-9 and w_e <= eng.max_speed_rad_s
    return feasible, w_e, t_e, fuel, t_in, w_in, t_wpt, t_e / t_max


@jit_inline
def cvt_eta(cvt, i):
    """Variator × final-drive efficiency at overall ratio i: linear in the ratio between the two ends. [-]"""
    span = cvt.ratio_low - cvt.ratio_high
    if span <= 0.0:
        return cvt.eta_low
    return cvt.eta_high + (cvt.eta_low - cvt.eta_high) * (i - cvt.ratio_high) / span




class ConvAuxK(NamedTuple):
    """Scalars and tables of the conventional plant not owned by one component."""

    accessory_power_w: float  # mechanical accessory load on the crankshaft
    friction_fuel_kg_s: np.ndarray  # fuel equivalent of the hot friction loss on the engine speed grid


class ConvPlantK(NamedTuple):
    """Everything the conventional plant step needs."""

    ch: tuple  # ChassisK
    eng: tuple  # EngineK
    gb: tuple  # GearboxK
    cvt: tuple  # CvtK (``enabled`` = 0 for a step-ratio box)
    aux: ConvAuxK
    th: tuple  # ThermalK


class ConvState(NamedTuple):
    """State of the plant at the start of a step (the end of the previous one)."""

    gear: int  # 0-based (0 with the clutch disengaged, and for a CVT)
    engine_speed_rad_s: float
    coolant_temp_c: float
    time_in_gear_s: float


class ConvDecision(NamedTuple):
    """What the controller asks of the plant for one step."""

    gear: int  # 0-based (a CVT: 0)
    ratio: float  # a CVT's overall ratio (variator × final drive); ignored for a step-ratio box
    neutral: bool  # clutch disengaged: the engine idles on its own, the wheels get no torque


class ConvCtx(NamedTuple):
    """What no decision of a step changes (``step_context``)."""

    wheel_force_n: float
    wheel_speed_rad_s: float
    wheel_torque_nm: float


# which limit bound in a step (ConvPoint ``limit``)
LIMIT_NONE = 0
LIMIT_ENGINE_TORQUE = 1  # beyond WOT
LIMIT_ENGINE_SPEED = 2  # beyond the engine's speed limit


class ConvPoint(NamedTuple):
    """The engine operating point of a decision (``point``)."""

    feasible: bool
    limit: int  # LIMIT_*
    gear: int
    neutral: bool
    ratio: float  # overall ratio engine side / wheel (0 with the clutch disengaged)
    engine_speed_rad_s: float
    engine_torque_nm: float
    fuel_map_kg_s: float  # the hot map's fuel rate (no warm-up fuel)
    input_torque_nm: float  # into the gearbox (after the converter)
    input_speed_rad_s: float
    wheel_torque_delivered_nm: float  # the brakes supply the rest of the demand
    load: float  # engine torque / WOT


class StepResult(NamedTuple):
    """A whole plant step (``plant_step``/``plant_finish``): the point, fuel, losses, next state."""

    point: ConvPoint
    state: ConvState  # at the end of the step
    fuel_kg_s: float  # map + warm-up
    fuel_power_w: float
    engine_loss_w: float
    accessory_power_w: float
    engine_inertia_power_w: float
    converter_loss_w: float
    gearbox_loss_w: float
    wheel_power_w: float
    brake_power_w: float


@jit_inline
def initial_state(plant):
    """Plant state at the start of a run: at rest in 1st, engine at idle, coolant soaked (cold) or warm."""
    return ConvState(0, plant.eng.idle_speed_rad_s, coolant_initial_c(plant.th), 0.0)


@jit_inline
def step_context(plant, v0, v1, dt, grade):
    """What no decision of the step changes: a :class:`ConvCtx` (wheel force, speed and torque)."""
    r = plant.ch.wheel_radius_m
    f = wheel_force_n(plant.ch, v0, v1, dt, grade)
    return ConvCtx(f, 0.5 * (v0 + v1) / r, f * r)


@jit_inline
def _as_point(res, g, neutral, ratio, max_speed):
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, load = res
    limit = LIMIT_NONE
    if not ok:
        limit = LIMIT_ENGINE_SPEED if w_e > max_speed else LIMIT_ENGINE_TORQUE
    return ConvPoint(ok, limit, g, neutral, ratio, w_e, t_e, fuel, t_in, w_in, t_wpt, load)


@jit_inline
def gear_point(plant, state, ctx, g, dt):
    """:func:`point` in gear ``g`` of a step-ratio box."""
    gb = plant.gb
    res = gear_step(plant.eng, gb, g, ctx.wheel_speed_rad_s, ctx.wheel_torque_nm, state.engine_speed_rad_s, dt,
                    plant.aux.accessory_power_w)
    return _as_point(res, g, False, gb.ratios[g] * gb.final_drive_ratio, plant.eng.max_speed_rad_s)


@jit_inline
def cvt_ratio_point(plant, state, ctx, i, dt):
    """:func:`point` of a CVT at overall ratio ``i`` (its efficiency linear in the ratio, its input drag)."""
    cvt = plant.cvt
    res = ratio_step(plant.eng, plant.gb, i, cvt_eta(cvt, i), cvt.drag_torque_nm, ctx.wheel_speed_rad_s,
                     ctx.wheel_torque_nm, state.engine_speed_rad_s, dt, plant.aux.accessory_power_w)
    return _as_point(res, 0, False, i, plant.eng.max_speed_rad_s)


@jit_inline
def neutral_point(plant, state, g, dt):
    """:func:`point` with the clutch disengaged in gear ``g``: the engine idles on its own (as when standing), the
    wheels get no torque (the brakes take the whole demand)."""
    res = gear_step(plant.eng, plant.gb, g, 0.0, 0.0, state.engine_speed_rad_s, dt, plant.aux.accessory_power_w)
    ok, w_e, t_e, fuel, t_in, w_in, t_wpt, load = res
    return _as_point((ok, w_e, t_e, fuel, t_in, 0.0, 0.0, load), g, True, 0.0, plant.eng.max_speed_rad_s)


@jit_inline
def point(plant, state, ctx, decision, dt):
    """The engine operating point for ``decision`` (:class:`ConvPoint`)."""
    if decision.neutral:
        return neutral_point(plant, state, decision.gear, dt)
    if plant.cvt.enabled > 0.0:
        return cvt_ratio_point(plant, state, ctx, decision.ratio, dt)
    return gear_point(plant, state, ctx, decision.gear, dt)


@jit_inline
def plant_finish(plant, state, ctx, pt, dt):
    """The rest of a step once its operating point ``pt`` is known: fuel (map and warm-up), coolant, losses and
    the next state (a :class:`StepResult`)."""
    eng = plant.eng
    g = pt.gear
    t_in_gear = state.time_in_gear_s
    if g != state.gear:
        t_in_gear = 0.0
    t_in_gear += dt
    w_e = pt.engine_speed_rad_s
    t_e = pt.engine_torque_nm
    fuel = pt.fuel_map_kg_s
    if fuel > 0.0:
        fuel += cold_extra_fuel_kg_s(plant.th, eng, plant.aux.friction_fuel_kg_s, state.coolant_temp_c, w_e)
    p_e = t_e * w_e
    p_fuel = fuel * eng.lhv_j_per_kg
    temp = coolant_step_c(plant.th, state.coolant_temp_c, p_fuel, dt)
    t_j = eng.inertia_kgm2 * (w_e - state.engine_speed_rad_s) / dt
    t_in = pt.input_torque_nm
    w_in = pt.input_speed_rad_s
    t_wpt = pt.wheel_torque_delivered_nm
    w_wheel = ctx.wheel_speed_rad_s
    t_wheel = ctx.wheel_torque_nm
    return StepResult(pt, ConvState(g, w_e, temp, t_in_gear), fuel, p_fuel, p_fuel - p_e, plant.aux.accessory_power_w,
                      t_j * w_e,
                      converter_loss_w(plant.gb, t_e - t_j - plant.aux.accessory_power_w / w_e, t_in, w_e, w_in),
                      t_in * w_in - t_wpt * w_wheel, t_wheel * w_wheel,
                      (t_wpt - t_wheel) * w_wheel)


@jit
def plant_step(plant, state, decision, v0, v1, dt, grade):
    """One step of the conventional plant: (plant, state, decision, start speed, end speed, dt, grade) →
    :class:`StepResult`. Pure: the next state is ``result.state``; check ``result.point.feasible``."""
    ctx = step_context(plant, v0, v1, dt, grade)
    return plant_finish(plant, state, ctx, point(plant, state, ctx, decision, dt), dt)


@jit
def full_load_wheel_torques(plant, gears, ratios, engine_speed_rad_s, out):
    """Largest steady wheel torque of each option k (``performance.py``'s full-load model): the engine at WOT at
    ``engine_speed_rad_s[k]`` (the launch element's slip, if any, is the caller's: it sets the engine speed), less
    the accessories (and a CVT's input drag), through gear ``gears[k]`` (a CVT: the overall ratio ``ratios[k]``
    with its ratio-dependent efficiency) with the efficiency of :func:`gear_output_torque`; 0 if the engine has
    nothing left. It is the wheel torque at which :func:`ratio_step`'s point with the converter locked and no
    inertia torque (a steady engine) reaches WOT. Fills ``out``. [N·m]"""
    eng = plant.eng
    gb = plant.gb
    cvt = plant.cvt
    for k in range(gears.shape[0]):
        w_e = engine_speed_rad_s[k]
        if cvt.enabled > 0.0:
            i = ratios[k]
            eta = cvt_eta(cvt, i)
            t_drag = cvt.drag_torque_nm
        else:
            g = int(gears[k])
            i = gb.ratios[g] * gb.final_drive_ratio
            eta = gb.efficiencies[g] * gb.final_drive_efficiency
            t_drag = 0.0
        t_in = engine_point(eng, w_e, 0.0)[0] - plant.aux.accessory_power_w / w_e - t_drag
        out[k] = gear_output_torque(t_in, i, eta) if t_in > 0.0 else 0.0


@jit_inline
def record(out, k, res, v1, speed_demanded):
    """Write step ``k`` of a run into ``out``."""
    pt = res.point
    out.speed_mps[k] = v1
    out.gear[k] = 0.0 if pt.neutral else pt.gear + 1.0
    out.engine_speed_rad_s[k] = pt.engine_speed_rad_s
    out.engine_torque_nm[k] = pt.engine_torque_nm
    out.fuel_kg_s[k] = res.fuel_kg_s
    out.fuel_power_w[k] = res.fuel_power_w
    out.engine_loss_w[k] = res.engine_loss_w
    out.accessory_power_w[k] = res.accessory_power_w
    out.engine_inertia_power_w[k] = res.engine_inertia_power_w
    out.converter_loss_w[k] = res.converter_loss_w
    out.gearbox_loss_w[k] = res.gearbox_loss_w
    out.wheel_power_w[k] = res.wheel_power_w
    out.brake_power_w[k] = res.brake_power_w
    out.trace_miss_mps[k] = speed_demanded - v1
    out.coolant_temp_c[k] = res.state.coolant_temp_c
    out.transmission_ratio[k] = pt.ratio


@jit_inline
def record_initial(plant, out, state, v0):
    """Write the initial sample (index 0) of a run."""
    out.speed_mps[0] = v0
    out.coolant_temp_c[0] = state.coolant_temp_c
    out.engine_speed_rad_s[0] = state.engine_speed_rad_s
    gb = plant.gb
    out.transmission_ratio[0] = plant.cvt.ratio_low if plant.cvt.enabled > 0.0 else gb.ratios[0] * gb.final_drive_ratio
