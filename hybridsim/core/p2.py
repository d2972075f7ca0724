"""P2 parallel (plug-in) hybrid: engine — K0 clutch — P2 motor — step-ratio automatic — transfer
case/final drive — wheels. The plant, one time step at a time (issue 14); the decisions are in
``core/p2_control.py`` (rule-based: ``control/p2.py``; ECMS).

One step::

    plant_step(plant, state, decision, v0, v1, dt, grade) -> StepResult
      = plant_finish(plant, state, ctx, split_gear(plant, ctx, gear_context(plant, state, ctx, g, on, dt), T_c), dt)

``plant`` is a :class:`P2PlantK` (chassis, engine, gearbox, P2 motor, battery, auxiliaries, warm-up model),
``state`` a :class:`P2State` (SOC, gear, engine on/off, K0 closed, engine/input/wheel speeds of the previous
step, coolant temperature, time in gear and in the engine state, energies of engine starts and gear changes
still being booked), ``decision`` a :class:`P2Decision` (engine on/off, gear, the clutch torque the engine is
asked to put into the input shaft). ``step_context`` is what no decision changes (road, battery limits,
pending powers), ``gear_context`` what the gear and the engine state fix (speeds, inertia, shift and crank
energies), ``split_gear`` the engine and motor torques with every limit (``P2Split.feasible``, ``.limit``),
``plant_finish`` fuel, battery, coolant, losses and the next state. Numbered steps below: which of these
does what; the decisions of steps 2–4 (engine request, load-following torque, gear ranking, trace miss)
are ``core/p2_control.py``'s.

Per interval (DESIGN.md §3, quasi-static backward step with a forward feasibility check):

1. Wheel force from the trace (``chassis.wheel_force_n``), wheel speed ω_w = v̄/r, torque T_w = F·r.
2. (Decisions, ``core/p2_control.py``:) the controller's mode (CD/CS by SOC with hysteresis) and its engine
   request (``control/p2.py``).
3. A gear (``gear_context``, ``split_gear``) with the engine ON (K0 closed, or slipping in 1st gear
   below the lowest clutch-closed engine speed) or OFF (K0 open, EV). Gearbox input (= P2 motor)
   speed ω_in = ω_w·i_g·i_fd; input torque T_in = T_w/(i·η) in traction, T_w·η/i on overrun, plus a CVT's
   input drag T_drag while ω_in > 0 (``components/gearbox.py``; a CVT's gears are ratios across its range,
   ``powertrains/_p2_cvt.py``).
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
   ON: the clutch torque asked (the rules': T_clutch = T_req − min(T_sh, 0) + P_chg/ω_e, load-following), clipped
   by the plant to ≤ WOT − T_je (on overrun
   down to the fuel-cut drag with K0 closed, 0 while slipping), P_chg = clamp(K·(soc_target − SOC),
   ±P_chg,max) in CS (symmetric: charging below the target, assist above it), 0 in CD; the motor closes
   T_m = T_req − T_clutch within its envelope and the battery's limits (``core/electric.py``); if the
   engine, already at its drag torque, still gives more than the motor/battery can absorb, the mode is
   infeasible in traction and the friction brakes take the surplus when braking.
   OFF: T_m = T_req (traction) or the regenerative share of the braking torque, limited by the motor
   envelope and the charge limit; the friction brakes take the rest.
   (Rules:) the gear with the least equivalent power P_fuel + s·P_dc is taken, with hysteresis and dwell; above 1st
   the input speed must be ≥ ``min_input_speed`` while driving, an upshift must leave ≥ 1.1 × the target
   gear's lowest speed (``UPSHIFT_SPEED_MARGIN``), a change moves at most ``max_gear_step`` gears (a larger
   skip only if no gear within it can drive the step).
4. (Rules:) if EV is infeasible in every gear the engine is started; if no gear can deliver even with the
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

import math
from typing import NamedTuple

import numpy as np

from . import jit, jit_inline, zeros_rows
from .chassis import wheel_force_n
from .driveline import gear_input_torque, gear_output_torque, regen_fade
from .electric import (
    battery_step,
    battery_window_limits_w,
    dc_power_torque_is_below,
    motor_dc_power_w,
    motor_tmax,
    motor_torque_for_dc_power,
)
from .engine import engine_point
from .thermal import (
    ThermalK,  # noqa: F401  (re-exported for the type of P2PlantK.th)
    cold_extra_fuel_kg_s,
    coolant_initial_c,
    coolant_step_c,
)

INF = np.inf


class P2AuxK(NamedTuple):
    """Scalars of the P2 plant not owned by one component (built by ``powertrains.p2.plant_args``)."""

    accessory_power_w: float  # drawn from the traction battery (DC/DC input)
    engine_start_fuel_kg: float  # extra fuel per engine start
    input_inertia_kgm2: float  # P2 rotor + gearbox input side
    friction_fuel_kg_s: np.ndarray  # fuel equivalent of the hot friction loss on the engine speed grid
    clutch_close_speed_rad_s: float  # lowest engine speed with K0 closed; below it (1st gear only) K0 slips
    regen_share: float  # share of the braking torque asked of the P2 motor (series blend)
    regen_fade_speed_mps: float  # regeneration fades out linearly below this speed
    crank_time_s: float  # an engine start's crank energy is drawn over this time
    shift_time_s: float  # a gear change's inertia energy is booked over this time
    input_drag_torque_nm: float  # a CVT's drag at the gearbox input while it turns (pump, clamping); 0 step-ratio


class P2PlantK(NamedTuple):
    """Everything the P2 plant step needs."""

    ch: tuple  # ChassisK
    eng: tuple  # EngineK
    gb: tuple  # GearboxK
    mot: tuple  # MotorK (P2)
    bat: tuple  # BatteryK
    aux: P2AuxK
    th: ThermalK


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
    return P2Out(*zeros_rows(len(P2Out._fields), n))


class P2State(NamedTuple):
    """State of the plant at the start of a step (the end of the previous one)."""

    soc: float
    gear: int  # 0-based
    engine_on: bool
    clutch_closed: bool  # K0 closed at the end of the previous step
    engine_speed_rad_s: float
    input_speed_rad_s: float
    wheel_speed_rad_s: float
    coolant_temp_c: float
    time_in_gear_s: float
    time_in_engine_state_s: float  # since the engine last started or stopped (1e9 at the start of a run)
    crank_energy_j: float  # engine kinetic energy of starts still being booked (battery → engine)
    crank_slip_energy_j: float  # K0 slip loss of starts still being booked
    crank_time_left_s: float
    shift_energy_input_j: float  # input-side kinetic-energy step of gear changes still being booked
    shift_energy_engine_j: float  # the engine's share (K0 closed before and after)
    shift_time_left_s: float


class P2Decision(NamedTuple):
    """What the controller asks of the plant for one step."""

    engine_on: bool  # K0 closed (or slipping in 1st below the clutch-closing speed) and the engine turning
    gear: int  # 0-based
    clutch_torque_nm: float  # engine on: torque the engine is asked to put through K0 (engine torque less its
    # inertia torque); the plant clips it to WOT and, on overrun, to the fuel-cut drag (0 while K0 slips)


# which limit bound in a step (P2Split ``limit``), the last found
LIMIT_NONE = 0
LIMIT_SPEED = 1  # P2 motor or engine speed, or K0 cannot close in this gear
LIMIT_MOTOR_TORQUE = 2  # the P2 motor cannot close the input torque
LIMIT_BATTERY_DISCHARGE = 3
LIMIT_BATTERY_CHARGE = 4  # the motor's generating torque was cut to the battery's charge limit
LIMIT_ENGINE_TORQUE = 5  # the clutch torque asked was cut to WOT
LIMIT_ENGINE_DRAG = 6  # the engine at its fuel-cut drag still gives more than motor and battery can absorb
LIMIT_REGEN = 7  # regeneration cut by the motor's envelope, the blend share or the low-speed fade


class P2Ctx(NamedTuple):
    """What no decision of a step changes (``step_context``): road, battery limits, pending start/shift powers."""

    wheel_force_n: float
    mean_speed_mps: float
    wheel_speed_rad_s: float
    wheel_torque_nm: float
    battery_discharge_max_w: float
    battery_charge_max_w: float
    crank_power_w: float  # this step's share of earlier starts' energies, if no new start happens
    crank_slip_power_w: float
    shift_power_input_w: float  # this step's share of earlier shifts' energies, if no new shift happens
    shift_power_engine_w: float


class P2Gear(NamedTuple):
    """What a gear and the engine state fix in a step, before any torque is chosen (``gear_context``)."""

    ok: bool  # speeds within limits; engine on: K0 can close (or slip, 1st gear)
    gear: int
    engine_on: bool
    input_speed_rad_s: float
    input_torque_nm: float  # the driveline needs (gear efficiency by power direction)
    input_inertia_torque_nm: float  # within the gear
    shift_torque_nm: float  # books this step's share of gear-change energies
    required_torque_nm: float  # input torque + inertia + shift: what engine and motor must give together
    shift_time_s: float  # max(shift_time, dt)
    shift_energy_input_j: float  # a new change's kinetic-energy step (input side)
    shift_energy_engine_j: float  # (engine, K0 closed before and after)
    shift_power_input_w: float
    shift_power_engine_w: float
    engine_speed_rad_s: float
    clutch_state: float  # 0 open, 1 slipping, 2 closed
    engine_inertia_torque_nm: float
    crank_energy_j: float  # a new start's
    crank_slip_energy_j: float
    crank_power_w: float  # booked in this step (earlier starts and a new one)
    crank_slip_power_w: float
    motor_torque_max_nm: float
    motor_torque_min_charge_nm: float  # most negative motor torque the battery's charge limit allows (≤ 0); NaN:
    # not solved yet (``gear_context`` leaves it to the first split that needs it, :func:`charge_limit_torque`)
    fixed_power_w: float  # battery power drawn whatever the motor does: accessories and cranking
    engine_torque_max_nm: float  # WOT at the engine speed
    engine_drag_nm: float  # motoring torque at the engine speed (fuel cut)


class P2Split(NamedTuple):
    """Torques and electrics of one step for a decision (``split_gear``), as booked.

    An infeasible decision is booked as the kernel's last resort (the decision layer avoids it; it happens
    at standstill with a force no mode can hold): engine off, K0 open, motor torque 0, pending starts and
    shifts still booked, the brakes take the wheel torque."""

    feasible: bool
    limit: int  # LIMIT_*
    gear: int
    engine_on: bool  # as booked (False if infeasible)
    clutch_state: float
    input_speed_rad_s: float
    engine_speed_rad_s: float
    engine_torque_nm: float
    engine_torque_max_nm: float  # WOT at the engine speed (0 with the engine off)
    clutch_torque_nm: float
    motor_torque_nm: float
    fuel_map_kg_s: float  # the hot map's fuel rate (no warm-up or start fuel)
    input_torque_delivered_nm: float  # into the gearbox
    input_inertia_torque_nm: float
    engine_inertia_torque_nm: float
    motor_electric_power_w: float  # DC
    shift_time_s: float
    shift_energy_input_j: float
    shift_energy_engine_j: float
    shift_power_input_w: float
    shift_power_engine_w: float
    crank_energy_j: float
    crank_slip_energy_j: float
    crank_power_w: float
    crank_slip_power_w: float


class StepResult(NamedTuple):
    """A whole plant step (``plant_step``/``plant_finish``): the split, fuel, battery, losses, next state."""

    split: P2Split
    state: P2State  # at the end of the step
    fuel_kg_s: float  # map + warm-up + start
    fuel_power_w: float
    engine_mode: float  # 0 off, 1 fuelled, 2 turning unfuelled
    motor_loss_w: float
    inverter_loss_w: float
    battery_current_a: float
    battery_voltage_v: float
    battery_power_w: float  # terminal, discharge > 0
    battery_chemical_power_w: float
    battery_loss_w: float
    accessory_power_w: float  # drawn (cut where an empty battery cannot supply it)
    engine_loss_w: float
    engine_inertia_power_w: float
    clutch_loss_w: float
    input_inertia_power_w: float
    gearbox_loss_w: float
    brake_power_w: float
    wheel_power_w: float


@jit_inline
def initial_state(plant, soc0):
    """Plant state at the start of a run: at rest in 1st, engine off, coolant soaked (cold) or warm."""
    return P2State(soc0, 0, False, False, 0.0, 0.0, 0.0, coolant_initial_c(plant.th), 0.0, 1e9, 0.0, 0.0, 0.0,
                   0.0, 0.0, 0.0)


@jit
def _spread(e_pend, tau, dt):
    """Power [W] that books this step's share of an energy ``e_pend`` still spread over ``tau`` seconds."""
    if e_pend == 0.0:
        return 0.0
    if tau > dt:
        return e_pend / tau
    return e_pend / dt


@jit
def _engine_at(eng, w_e, t_c, t_je):
    """Engine torque, clutch torque and fuel for a wanted clutch torque; fuel cut at or below motoring (within
    1e-9 N·m: a clutch torque cut to the drag, T_mot − T_je, gives back T_mot only to rounding)."""
    t_e = t_c + t_je
    t_max, t_mot, fuel = engine_point(eng, w_e, t_e)
    if t_e <= t_mot + 1e-9:
        t_e = t_mot
        t_c = t_e - t_je
        fuel = 0.0
    return t_e, t_c, t_max, fuel


@jit_inline
def battery_context(plant, state, dt):
    """The road-independent part of ``step_context``: (discharge, charge) limits at the state's SOC, and the
    powers that book this step's share of earlier starts and shifts."""
    p_dis, p_chg = battery_window_limits_w(plant.bat, state.soc, dt)
    return (p_dis, p_chg, _spread(state.crank_energy_j, state.crank_time_left_s, dt),
            _spread(state.crank_slip_energy_j, state.crank_time_left_s, dt),
            _spread(state.shift_energy_input_j, state.shift_time_left_s, dt),
            _spread(state.shift_energy_engine_j, state.shift_time_left_s, dt))


@jit_inline
def road_context(plant, b, v0, v1, dt, grade):
    """``step_context`` from the battery part ``b`` (``battery_context``) and the end speed ``v1``."""
    r = plant.ch.wheel_radius_m
    f = wheel_force_n(plant.ch, v0, v1, dt, grade)
    vbar = 0.5 * (v0 + v1)
    return P2Ctx(f, vbar, vbar / r, f * r, b[0], b[1], b[2], b[3], b[4], b[5])


@jit
def step_context(plant, state, v0, v1, dt, grade):
    """What no decision of the step changes: a :class:`P2Ctx`."""
    return road_context(plant, battery_context(plant, state, dt), v0, v1, dt, grade)


@jit
def gear_context(plant, state, ctx, g, eng_on, dt):
    """What gear ``g`` with the engine on or off fixes (module docstring, steps 3 and 6): a :class:`P2Gear`."""
    gb = plant.gb
    eng = plant.eng
    aux = plant.aux
    w_wheel = ctx.wheel_speed_rad_s
    i = gb.ratios[g] * gb.final_drive_ratio
    eta = gb.efficiencies[g] * gb.final_drive_efficiency
    w_in = w_wheel * i
    t_in = gear_input_torque(ctx.wheel_torque_nm, i, eta)
    if w_in > 0.0:
        t_in += aux.input_drag_torque_nm  # a CVT's pump and clamping drag (components/gearbox.py); 0 step-ratio
    # rotor acceleration within this gear, from the speed it would have had a step ago in this gear
    w_in_ref = state.wheel_speed_rad_s * i
    t_jm = aux.input_inertia_kgm2 * (w_in - w_in_ref) / dt
    # a gear change: the input side goes from its actual previous speed to w_in_ref; that kinetic-energy
    # step is taken from (downshift) or returned to (upshift) the input shaft, spread over the shift time
    new_shift = g != state.gear and w_in > 0.0
    t_sh_time = max(aux.shift_time_s, dt)
    e_sh_m = 0.0
    p_sh_m = 0.0
    p_sh_e = 0.0
    if new_shift:
        e_sh_m = 0.5 * aux.input_inertia_kgm2 * (w_in_ref * w_in_ref - state.input_speed_rad_s
                                                 * state.input_speed_rad_s)
        p_sh_m = (state.shift_energy_input_j + e_sh_m) / t_sh_time
        p_sh_e = state.shift_energy_engine_j / t_sh_time
    elif w_in > 0.0:
        p_sh_m = ctx.shift_power_input_w
        p_sh_e = ctx.shift_power_engine_w
    t_sh = (p_sh_m + p_sh_e) / w_in if w_in > 0.0 else 0.0
    t_req = t_in + t_jm + t_sh
    # engine cranking still under way: battery power committed whatever this gear does
    p_ck = ctx.crank_power_w
    p_cs = ctx.crank_slip_power_w
    t_mmax = motor_tmax(plant.mot, w_in)
    ok = w_in <= plant.mot.max_speed_rad_s
    w_e = 0.0
    clutch = 0.0
    t_je = 0.0
    e_sh_e = 0.0
    e_ck = 0.0
    e_cs = 0.0
    t_max0 = 0.0
    t_mot0 = 0.0
    if eng_on and ok:
        if w_in > eng.max_speed_rad_s:
            ok = False
        elif w_in >= aux.clutch_close_speed_rad_s:
            w_e = w_in
            clutch = 2.0
        elif g == 0:
            w_e = aux.clutch_close_speed_rad_s
            clutch = 1.0
        else:
            ok = False
    if eng_on and ok:
        if state.engine_on:
            if state.clutch_closed and clutch == 2.0:
                # engine on the input shaft before and after: the same split as the rotor's
                t_je = eng.inertia_kgm2 * (w_e - w_in_ref) / dt
                if new_shift:
                    e_sh_e = 0.5 * eng.inertia_kgm2 * (w_in_ref * w_in_ref - state.engine_speed_rad_s
                                                       * state.engine_speed_rad_s)
                    p_sh_e = (state.shift_energy_engine_j + e_sh_e) / t_sh_time
                    t_sh += e_sh_e / t_sh_time / w_in
                    t_req += e_sh_e / t_sh_time / w_in
            else:
                t_je = eng.inertia_kgm2 * (w_e - state.engine_speed_rad_s) / dt
        else:
            # start: the P2 motor cranks the engine through the slipping K0 up to the input speed (the engine
            # fires and runs itself up to w_e if that is higher), spread over the crank time
            w_c = min(w_e, w_in)
            e_ck = 0.5 * eng.inertia_kgm2 * w_e * w_e
            e_cs = 0.5 * eng.inertia_kgm2 * w_c * w_c
            t_ck_time = max(aux.crank_time_s, dt)
            p_ck = (state.crank_energy_j + e_ck) / t_ck_time
            p_cs = (state.crank_slip_energy_j + e_cs) / t_ck_time
        ep = engine_point(eng, w_e, 0.0)
        t_max0 = ep[0]
        t_mot0 = ep[1]
    p_fix = aux.accessory_power_w + p_ck + p_cs
    # most negative motor torque the battery can absorb (charge limit; accessories and cranking included)
    p_min = -ctx.battery_charge_max_w - p_fix
    t_lim = math.nan if p_min < 0.0 and ok else 0.0  # solved when a split regenerates (charge_limit_torque)
    return P2Gear(ok, g, eng_on, w_in, t_in, t_jm, t_sh, t_req, t_sh_time, e_sh_m, e_sh_e, p_sh_m, p_sh_e, w_e, clutch,
                  t_je, e_ck, e_cs, p_ck, p_cs, t_mmax, t_lim, p_fix, t_max0, t_mot0)


@jit_inline
def charge_limit_torque(plant, ctx, gc, t_m):
    """The motor's charge-limit torque of ``gc`` for comparing with a motor torque t_m: ``gc``'s own if solved,
    else −inf where the limit is certainly below t_m (``core.electric.dc_power_torque_is_below``; every use of
    the limit in ``split_gear`` then reads the same as with the solved value: no cut, and the envelope the tighter
    bound), else solved (``core.electric.motor_torque_for_dc_power`` for the charge limit with accessories and
    cranking): the solve is the costly part of a gear, and only a split whose motor torque is negative needs it.
    [N·m]"""
    t_lim = gc.motor_torque_min_charge_nm
    if t_lim != t_lim:
        w_in = gc.input_speed_rad_s
        p_min = -ctx.battery_charge_max_w - gc.fixed_power_w
        if dc_power_torque_is_below(plant.mot, w_in, p_min, t_m):
            return -INF
        t_lim = motor_torque_for_dc_power(plant.mot, w_in, p_min)
    return t_lim


@jit_inline
def with_charge_limit(plant, ctx, gc):
    """``gc`` with its charge-limit torque settled for every split of it (:func:`charge_limit_torque` at the most
    negative motor torque a split can ask: the envelope with the engine off, the required torque less the engine's
    WOT clutch torque with it on), for a caller that splits the same gear context many times (ECMS candidates, DP
    decisions): decided or solved once."""
    if gc.engine_on:
        t_floor = gc.required_torque_nm - (gc.engine_torque_max_nm - gc.engine_inertia_torque_nm)
        t_floor -= 1e-6 * (abs(t_floor) + 1.0)
    else:
        t_floor = -gc.motor_torque_max_nm
    return P2Gear(gc.ok, gc.gear, gc.engine_on, gc.input_speed_rad_s, gc.input_torque_nm, gc.input_inertia_torque_nm,
                  gc.shift_torque_nm, gc.required_torque_nm, gc.shift_time_s, gc.shift_energy_input_j,
                  gc.shift_energy_engine_j, gc.shift_power_input_w, gc.shift_power_engine_w, gc.engine_speed_rad_s,
                  gc.clutch_state, gc.engine_inertia_torque_nm, gc.crank_energy_j, gc.crank_slip_energy_j,
                  gc.crank_power_w, gc.crank_slip_power_w, gc.motor_torque_max_nm,
                  charge_limit_torque(plant, ctx, gc, t_floor), gc.fixed_power_w, gc.engine_torque_max_nm,
                  gc.engine_drag_nm)


@jit_inline
def _booked_infeasible(plant, state, ctx, gc, limit, dt):
    """The split an infeasible decision is booked as (``P2Split`` docstring): engine off, K0 open, motor
    torque 0, earlier starts and shifts still booked, the brakes take the rest."""
    gb = plant.gb
    aux = plant.aux
    g = gc.gear
    w_in = gc.input_speed_rad_s
    dt_sh = gc.shift_time_s
    w_ref = state.wheel_speed_rad_s * gb.ratios[g] * gb.final_drive_ratio
    t_jm = aux.input_inertia_kgm2 * (w_in - w_ref) / dt
    e_sh_m = 0.0
    p_sh_m = 0.0
    p_sh_e = 0.0
    if g != state.gear and w_in > 0.0:
        e_sh_m = 0.5 * aux.input_inertia_kgm2 * (w_ref * w_ref - state.input_speed_rad_s * state.input_speed_rad_s)
        p_sh_m = (state.shift_energy_input_j + e_sh_m) / dt_sh
        p_sh_e = state.shift_energy_engine_j / dt_sh
    elif w_in > 0.0:
        p_sh_m = ctx.shift_power_input_w
        p_sh_e = ctx.shift_power_engine_w
    t_in_act = 0.0 - t_jm
    if w_in > 0.0:
        t_in_act -= (p_sh_m + p_sh_e) / w_in
    return P2Split(False, limit, g, False, 0.0, w_in, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, t_in_act, t_jm, 0.0, 0.0,
                   dt_sh, e_sh_m, 0.0, p_sh_m, p_sh_e, 0.0, 0.0, ctx.crank_power_w, ctx.crank_slip_power_w)


@jit_inline
def split_gear(plant, state, ctx, gc, t_c, dt):
    """Engine and motor torques of one step for the gear and engine state of ``gc`` (``gear_context``) and the
    clutch torque ``t_c`` asked of the engine (ignored with the engine off): a :class:`P2Split`.

    Engine on: ``t_c`` is cut to WOT less the engine's inertia torque and, on overrun, to the fuel-cut drag with
    K0 closed (0 while it slips); the motor closes T_m = T_req − T_c within its envelope; if the motor or the
    battery cannot absorb what the engine gives, the engine gives less, down to its drag; if that is still
    too much, the step is infeasible in traction and the friction brakes take the surplus when braking.
    Engine off: T_m = T_req in traction, the regenerative share of the braking torque (blend × fade) when
    braking, within the envelope and the charge limit; the brakes take the rest.
    """
    mot = plant.mot
    aux = plant.aux
    if not gc.ok:
        return _booked_infeasible(plant, state, ctx, gc, LIMIT_SPEED, dt)
    limit = LIMIT_NONE
    w_in = gc.input_speed_rad_s
    t_in = gc.input_torque_nm
    t_jm = gc.input_inertia_torque_nm
    t_sh = gc.shift_torque_nm
    t_req = gc.required_torque_nm
    t_mmax = gc.motor_torque_max_nm
    p_dis = ctx.battery_discharge_max_w
    p_ck = gc.crank_power_w
    p_cs = gc.crank_slip_power_w
    p_fix = gc.fixed_power_w
    if not gc.engine_on:
        if t_in < 0.0:
            t_m = t_jm + t_sh + t_in * aux.regen_share * regen_fade(ctx.mean_speed_mps, aux.regen_fade_speed_mps)
            if aux.regen_share < 1.0 or ctx.mean_speed_mps < aux.regen_fade_speed_mps:
                limit = LIMIT_REGEN
        else:
            t_m = t_req
        if t_m > t_mmax + 1e-9:
            return _booked_infeasible(plant, state, ctx, gc, LIMIT_MOTOR_TORQUE, dt)
        if t_m < -t_mmax:
            t_m = -t_mmax
            limit = LIMIT_REGEN
        if t_m < 0.0 or w_in < 0.0:  # only a negative motor torque can fall below it (≤ 0 for ω ≥ 0)
            t_lim = charge_limit_torque(plant, ctx, gc, t_m)
            if t_m < t_lim:
                t_m = t_lim
                limit = LIMIT_BATTERY_CHARGE
        p_dc = motor_dc_power_w(mot, t_m, w_in)[0]
        if p_dc > 0.0 and p_dc + p_fix > p_dis + 1e-6:
            return _booked_infeasible(plant, state, ctx, gc, LIMIT_BATTERY_DISCHARGE, dt)
        return P2Split(True, limit, gc.gear, False, 0.0, w_in, 0.0, 0.0, 0.0, 0.0, t_m, 0.0, t_m - t_jm - t_sh, t_jm,
                       0.0, p_dc, gc.shift_time_s, gc.shift_energy_input_j, 0.0, gc.shift_power_input_w,
                       gc.shift_power_engine_w, 0.0, 0.0, p_ck, p_cs)
    # engine on
    w_e = gc.engine_speed_rad_s
    t_je = gc.engine_inertia_torque_nm
    if t_c > gc.engine_torque_max_nm - t_je:
        t_c = gc.engine_torque_max_nm - t_je
        limit = LIMIT_ENGINE_TORQUE
    if t_c < 0.0:
        # overrun: with K0 closed the engine takes the negative torque down to its drag in fuel cut (the
        # motor regenerates the rest); with K0 slipping it gives nothing
        t_c = max(t_c, gc.engine_drag_nm - t_je) if gc.clutch_state == 2.0 else 0.0
    t_e, t_c, t_max, fuel = _engine_at(plant.eng, w_e, t_c, t_je)
    t_m = t_req - t_c
    if t_m > t_mmax + 1e-9:
        return _booked_infeasible(plant, state, ctx, gc, LIMIT_MOTOR_TORQUE, dt)
    t_in_act = t_in
    t_m_lo = -t_mmax
    t_lim = 0.0
    if t_m < 0.0 or w_in < 0.0:  # only a negative motor torque can fall below the limits (both ≤ 0 for ω ≥ 0)
        t_lim = charge_limit_torque(plant, ctx, gc, t_m)
        t_m_lo = max(-t_mmax, t_lim)
    if t_m < t_m_lo:
        # the motor or battery cannot absorb all: the engine gives less ...
        limit = LIMIT_BATTERY_CHARGE if t_lim > -t_mmax else LIMIT_MOTOR_TORQUE
        t_e, t_c, t_max, fuel = _engine_at(plant.eng, w_e, t_req - t_m_lo, t_je)
        t_m = t_req - t_c
        if t_m < t_m_lo - 1e-9:
            # ... and if it is already at its motoring torque: in traction this cannot run (EV can), when
            # braking the friction brakes take the surplus
            if t_in >= 0.0:
                return _booked_infeasible(plant, state, ctx, gc, LIMIT_ENGINE_DRAG, dt)
            limit = LIMIT_ENGINE_DRAG
            t_m = t_m_lo
            t_in_act = t_c + t_m - t_jm - t_sh
    p_dc = motor_dc_power_w(mot, t_m, w_in)[0]
    if p_dc > 0.0 and p_dc + p_fix > p_dis + 1e-6:
        return _booked_infeasible(plant, state, ctx, gc, LIMIT_BATTERY_DISCHARGE, dt)
    if t_e > t_max + 1e-9:
        return _booked_infeasible(plant, state, ctx, gc, LIMIT_ENGINE_TORQUE, dt)
    return P2Split(True, limit, gc.gear, True, gc.clutch_state, w_in, w_e, t_e, t_max, t_c, t_m, fuel, t_in_act,
                   t_jm, t_je, p_dc, gc.shift_time_s, gc.shift_energy_input_j, gc.shift_energy_engine_j,
                   gc.shift_power_input_w, gc.shift_power_engine_w, gc.crank_energy_j, gc.crank_slip_energy_j, p_ck,
                   p_cs)


@jit_inline
def terminal_power_w(plant, ctx, sp):
    """(battery terminal power [W], accessory power drawn [W]) of a split: motor, accessories and cranking; an
    empty battery with the engine flat out cannot feed the accessories, their load is cut (reported)."""
    p_dc = sp.motor_electric_power_w
    p_ck = sp.crank_power_w
    p_cs = sp.crank_slip_power_w
    p_dis = ctx.battery_discharge_max_w
    p_acc = plant.aux.accessory_power_w
    if p_dc + p_acc + p_ck + p_cs > p_dis + 1e-6 and p_acc > 0.0:  # (the limit tolerance of the split)
        p_acc = max(p_dis - p_dc - p_ck - p_cs, 0.0)
    return p_dc + p_acc + p_ck + p_cs, p_acc


@jit_inline
def step_fuel_kg_s(plant, state, sp, dt):
    """Fuel rate over a step: the map's (``sp``), the warm-up friction fuel while fuelled and, on a start
    (engine on after a step with it off), the start fuel spread over the step. [kg/s]"""
    fuel = sp.fuel_map_kg_s
    if fuel > 0.0:
        fuel += cold_extra_fuel_kg_s(plant.th, plant.eng, plant.aux.friction_fuel_kg_s, state.coolant_temp_c,
                                     sp.engine_speed_rad_s)
    if sp.engine_on and not state.engine_on:
        fuel += plant.aux.engine_start_fuel_kg / dt
    return fuel


@jit_inline
def plant_finish(plant, state, ctx, sp, dt):
    """The rest of a step once its split ``sp`` is known: fuel (map, warm-up, start), battery, coolant, losses,
    the bookkeeping of starts and shifts still being booked, and the next state: a :class:`StepResult`."""
    gb = plant.gb
    aux = plant.aux
    g = sp.gear
    want = sp.engine_on
    w_in = sp.input_speed_rad_s
    w_e = sp.engine_speed_rad_s
    t_e = sp.engine_torque_nm
    p_ck = sp.crank_power_w
    p_cs = sp.crank_slip_power_w
    p_sh_m = sp.shift_power_input_w
    p_sh_e = sp.shift_power_engine_w
    # pending start and shift energies: add this step's new ones, take off what this step books
    e_ck_pend = state.crank_energy_j
    e_cs_pend = state.crank_slip_energy_j
    crank_left = state.crank_time_left_s
    e_shm_pend = state.shift_energy_input_j
    e_she_pend = state.shift_energy_engine_j
    shift_left = state.shift_time_left_s
    if sp.crank_energy_j != 0.0 or sp.crank_slip_energy_j != 0.0:
        e_ck_pend += sp.crank_energy_j
        e_cs_pend += sp.crank_slip_energy_j
        crank_left = max(aux.crank_time_s, dt)
    e_ck_pend -= p_ck * dt
    e_cs_pend -= p_cs * dt
    crank_left -= dt
    if crank_left <= 1e-12:
        e_ck_pend = 0.0
        e_cs_pend = 0.0
        crank_left = 0.0
    if g != state.gear and w_in > 0.0:
        e_shm_pend += sp.shift_energy_input_j
        e_she_pend += sp.shift_energy_engine_j
        shift_left = max(aux.shift_time_s, dt)
    if w_in > 0.0:
        e_shm_pend -= p_sh_m * dt
        e_she_pend -= p_sh_e * dt
        shift_left -= dt
        if shift_left <= 1e-12:
            e_shm_pend = 0.0
            e_she_pend = 0.0
            shift_left = 0.0
    t_m = sp.motor_torque_nm
    p_dc, p_loss_m, p_inv = motor_dc_power_w(plant.mot, t_m, w_in)
    fuel = step_fuel_kg_s(plant, state, sp, dt)
    # wheel torque the driveline delivers for the input torque it gets
    w_wheel = ctx.wheel_speed_rad_s
    t_wheel = ctx.wheel_torque_nm
    t_in_act = sp.input_torque_delivered_nm
    i = gb.ratios[g] * gb.final_drive_ratio
    eta = gb.efficiencies[g] * gb.final_drive_efficiency
    t_wpt = gear_output_torque(t_in_act - (aux.input_drag_torque_nm if w_in > 0.0 else 0.0), i, eta)
    if w_wheel <= 0.0:
        t_wpt = t_wheel
    p_term, p_acc = terminal_power_w(plant, ctx, sp)
    i_b, v_b, p_chem, p_bloss, soc_new = battery_step(plant.bat, state.soc, p_term, dt)
    p_fuel = fuel * plant.eng.lhv_j_per_kg
    temp = coolant_step_c(plant.th, state.coolant_temp_c, p_fuel, dt)
    t_in_gear = state.time_in_gear_s
    if g != state.gear:
        t_in_gear = 0.0
    t_in_gear += dt
    t_state = state.time_in_engine_state_s
    if want == state.engine_on:
        t_state = t_state + dt
    else:
        t_state = dt
    clutch = sp.clutch_state
    nxt = P2State(soc_new, g, want, clutch == 2.0, w_e, w_in, w_wheel, temp, t_in_gear, t_state, e_ck_pend,
                  e_cs_pend, crank_left, e_shm_pend, e_she_pend, shift_left)
    t_c = sp.clutch_torque_nm
    return StepResult(
        sp, nxt, fuel, p_fuel, (1.0 if fuel > 0.0 else 2.0) if want else 0.0, p_loss_m, p_inv, i_b, v_b, p_term,
        p_chem, p_bloss, p_acc,
        p_fuel - t_e * w_e,
        sp.engine_inertia_torque_nm * w_e + p_sh_e + p_ck,
        t_c * (w_e - w_in) + p_cs,
        sp.input_inertia_torque_nm * w_in + p_sh_m,
        t_in_act * w_in - t_wpt * w_wheel,
        (t_wpt - t_wheel) * w_wheel,
        t_wheel * w_wheel,
    )


@jit
def plant_step(plant, state, decision, v0, v1, dt, grade):
    """One step of the P2 plant: (plant, state, decision, start speed, end speed, dt, grade) → StepResult.

    Pure: ``state`` is not changed, the next state is ``result.state``. Check ``result.split.feasible`` (and
    ``.limit``): an infeasible decision is booked as described in :class:`P2Split`, never raised on.
    """
    ctx = step_context(plant, state, v0, v1, dt, grade)
    gc = gear_context(plant, state, ctx, decision.gear, decision.engine_on, dt)
    sp = split_gear(plant, state, ctx, gc, decision.clutch_torque_nm, dt)
    return plant_finish(plant, state, ctx, sp, dt)


@jit_inline
def record(out, k, res, v1, speed_demanded):
    """Write step ``k`` of a run into ``out`` (all but the controller's mode, ``charge_sustaining``)."""
    sp = res.split
    s = res.state
    out.speed_mps[k] = v1
    out.trace_miss_mps[k] = speed_demanded - v1
    out.gear[k] = sp.gear + 1.0
    out.engine_mode[k] = res.engine_mode
    out.clutch_state[k] = sp.clutch_state
    out.engine_speed_rad_s[k] = sp.engine_speed_rad_s
    out.engine_torque_nm[k] = sp.engine_torque_nm
    out.fuel_kg_s[k] = res.fuel_kg_s
    out.p2_speed_rad_s[k] = sp.input_speed_rad_s
    out.p2_torque_nm[k] = sp.motor_torque_nm
    out.p2_electric_power_w[k] = sp.motor_electric_power_w
    out.battery_current_a[k] = res.battery_current_a
    out.battery_voltage_v[k] = res.battery_voltage_v
    out.battery_power_w[k] = res.battery_power_w
    out.soc[k] = s.soc
    out.coolant_temp_c[k] = s.coolant_temp_c
    out.fuel_power_w[k] = res.fuel_power_w
    out.battery_chemical_power_w[k] = res.battery_chemical_power_w
    out.engine_loss_w[k] = res.engine_loss_w
    out.engine_inertia_power_w[k] = res.engine_inertia_power_w
    out.clutch_loss_w[k] = res.clutch_loss_w
    out.p2_loss_w[k] = res.motor_loss_w
    out.inverter_loss_w[k] = res.inverter_loss_w
    out.p2_inertia_power_w[k] = res.input_inertia_power_w
    out.gearbox_loss_w[k] = res.gearbox_loss_w
    out.battery_loss_w[k] = res.battery_loss_w
    out.accessory_power_w[k] = res.accessory_power_w
    out.brake_power_w[k] = res.brake_power_w
    out.wheel_power_w[k] = res.wheel_power_w


@jit_inline
def record_initial(plant, out, state, v0):
    """Write the initial sample (index 0) of a run (all but ``charge_sustaining``)."""
    out.coolant_temp_c[0] = state.coolant_temp_c
    out.speed_mps[0] = v0
    out.soc[0] = state.soc
    out.gear[0] = state.gear + 1.0
    out.battery_voltage_v[0] = battery_step(plant.bat, state.soc, 0.0, 1.0)[1]
