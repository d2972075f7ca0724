"""Battery-electric car, one or two drive units: front machine → single reduction → front axle, rear machine →
one- or two-speed gearbox → rear axle, one battery (``components/drive_unit.py``). The plant, one time step at a
time (issue 14); the decisions (rear gear, axle split, regeneration, trace miss, the freewheeling of an empty
battery) are in ``core/bev_control.py`` (rules of ``control/bev.py``). A car with one drive unit has the zero
machine on the other axle (``powertrains/bev.motor_kernel``).

One step::

    plant_step(plant, state, decision, v0, v1, dt, grade) -> StepResult
      = plant_finish(plant, state, ctx, split(plant, ctx, decision), dt)
    ctx = step_context(plant, state, v0, v1, dt, grade)

``plant`` is a :class:`BevPlantK` (chassis, front and rear machines, drive units, auxiliaries, battery),
``state`` a :class:`BevState` (SOC, rear gear), ``decision`` a :class:`BevDecision` (rear gear, front and total
wheel torque the machines give, or freewheeling machines). :func:`split` gives the machines' torques, powers
and losses with ``feasible`` and the ``limit`` that bound (:class:`BevSplit`), :func:`plant_finish` the battery
step and the next state.

Quasi-static backward step with a forward feasibility check, as ``core/conventional.py``. Per interval:

1. demanded wheel torque ``T = F·r`` (``chassis.wheel_force_n``; the chassis's effective mass holds the
   wheels and both rotors with the rear unit in top gear), wheel speed ω = v̄/r;
2. in a lower rear gear g the rear rotor turns faster: the rear axle must also give it ``ΔM_g·a`` with
   ``ΔM_g = J_r·(i_g² − i_top²)/r²``, so ``T = (F + ΔM_g·a)·r``; that power ``ΔM_g·a·v̄`` is booked as
   ``rear_rotor_inertia_power`` (a sink: the rotor's kinetic energy above its top-gear share, which the clutch
   pack dissipates at the upshift; the spin-up at a downshift under way is neglected);
3. axle split ``T = T_f + T_r``: each machine's torque through its reduction with the efficiency in the
   direction of power flow (``motor_torque_from_wheel``), its DC power and losses (``core/electric.py``);
   limits (:func:`axle_limits`): motor envelopes through the reduction (``|T_axle| ≤ T_max·i·η`` driving,
   ``≤ T_max·i/η`` braking) and per-axle traction on the ground force ``T_axle/r − M_axle·a`` (M_axle: that
   axle's wheels and rotor, which the machine spins up, not the tyre): ``T_axle ≤ (μ·N_axle + M_axle·a)·r``
   driving and ``−T_axle ≤ (μ·N_axle − M_axle·a)·r`` braking, weight transfer ``ΔN = m·a·h/L`` with the
   translating mass m; the system power cap (Σ shaft power) and the battery discharge limit
   (:func:`split_dc_power`);
4. the battery (Rint, ``core/electric.battery_step``) gives the machines' DC power and the accessories; an
   empty battery cannot feed the accessories (their load is cut to what it can give) and, if it cannot even
   feed the spinning machines, the inverters draw nothing and each machine generates its own losses
   (``freewheel``: :func:`freewheel_torques`); friction brakes take the rest of the demand.

Power balance per step (every term is an output; checked outside)::

    P_chem = P_battery_loss + P_aux + P_inverter_loss + P_front_loss + P_rear_loss + P_gearbox_loss
             + P_rear_rotor_inertia + P_wheel + P_brake

The gearbox loss is computed per axle from the machine's shaft power and η in the direction of power
flow (``reduction_loss_w``), not as a residual; the friction brake power is the one balancing term
(axle torque demand minus what the machines deliver) and is ≥ 0 when the decisions respect the limits.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import jit, jit_inline, zeros_rows
from .chassis import G, wheel_force_n
from .driveline import gear_input_torque
from .electric import battery_step, battery_window_limits_w, motor_dc_power_w, motor_tmax, regen_at_zero_dc_power


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
    return BevOut(*zeros_rows(len(BevOut._fields), n))


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
        cf, cr = axle_traction(aux, i_f, i_r, mass, acc, r, braking)
        tf = min(tf, cf)
        tr = min(tr, cr)
    return tf, tr


@jit_inline
def axle_traction(aux, i_f, i_r, mass, acc, r, braking):
    """Largest |wheel torque| per axle the tyres pass (``aux.tyre_mu`` > 0), driving or ``braking``, at reductions
    ``i_f``, ``i_r``: ``(μ·N_axle ± M_axle·a)·r`` ≥ 0 with the weight transfer ``ΔN = m·a·h/L`` (module docstring).
    [N·m]"""
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
    return max(cf, 0.0), max(cr, 0.0)


@jit_inline
def beyond_traction(plant, g, acc, t_front, t_rear):
    """An axle's wheel torque (front ``t_front``, rear ``t_rear``, rear gear g) is beyond what its tyres pass at
    acceleration ``acc`` (:func:`axle_traction`, each axle in its own direction of torque); never without a tyre
    friction coefficient."""
    aux = plant.aux
    if aux.tyre_mu <= 0.0:
        return False
    dr = plant.dr
    i_f = dr.front_ratio
    i_r = dr.rear_ratios[g]
    r = plant.ch.wheel_radius_m
    m = plant.ch.mass_kg
    cf, cr = axle_traction(aux, i_f, i_r, m, acc, r, t_front < 0.0)
    if t_rear < 0.0 and t_front >= 0.0 or t_rear >= 0.0 and t_front < 0.0:
        cr = axle_traction(aux, i_f, i_r, m, acc, r, t_rear < 0.0)[1]
    return abs(t_front) > cf * (1.0 + 1e-9) + 1e-9 or abs(t_rear) > cr * (1.0 + 1e-9) + 1e-9


@jit
def split_dc_power(mf, mr, dr, g, w_wheel, t_total, t_front, p_dis, p_sys, p_aux):
    """DC power of the machines for a front wheel torque ``t_front`` of a total ``t_total`` (rear gear g), or +inf
    when, driving, it breaks the system power cap ``p_sys`` (Σ shaft power) or the discharge limit ``p_dis``
    (with the accessories ``p_aux``)."""
    res = axle_powers(mf, mr, dr, g, w_wheel, t_front, t_total - t_front)
    p = res[0]
    if t_total > 0.0 and (res[1] > p_sys * (1.0 + 1e-12) or p + p_aux > p_dis * (1.0 + 1e-12)):
        return np.inf
    return p


@jit
def freewheel_axle_powers(mf, mr, dr, g, w_wheel):
    """:func:`axle_powers` of freewheeling machines, whose inverters draw nothing from an empty battery: each
    generates exactly its own losses (DC power 0) or, where even that would draw power (at low speed the loss
    exceeds what it recovers), its inverter is off and its rotor's zero-torque loss is taken from the shaft
    (:func:`core.electric.regen_at_zero_dc_power` with no bound on the braking)."""
    i_f = dr.front_ratio
    i_r = dr.rear_ratios[g]
    w_mf = w_wheel * i_f
    w_mr = w_wheel * i_r
    t_mf, p_f, l_f, inv_f = regen_at_zero_dc_power(mf, -np.inf, w_mf)
    t_mr, p_r, l_r, inv_r = regen_at_zero_dc_power(mr, -np.inf, w_mr)
    return p_f + p_r, t_mf * w_mf + t_mr * w_mr, t_mf, t_mr, p_f, p_r, l_f, l_r, inv_f + inv_r


@jit
def freewheel_torques(mf, mr, dr, g, w_wheel):
    """Wheel torques (≤ 0) of freewheeling machines (:func:`freewheel_axle_powers`): the drag of machines
    whose inverters draw nothing from an empty battery."""
    res = freewheel_axle_powers(mf, mr, dr, g, w_wheel)
    return braking_wheel_torques(dr, g, res[2], res[3])


@jit_inline
def braking_wheel_torques(dr, g, t_mf, t_mr):
    """Wheel torques of machines braking the car with torques t_mf, t_mr ≤ 0 (the wheels drive the reductions:
    T_wheel = T_motor·i/η)."""
    return t_mf * dr.front_ratio / dr.front_efficiency, t_mr * dr.rear_ratios[g] / dr.rear_efficiencies[g]


class BevPlantK(NamedTuple):
    """Everything the BEV plant step needs."""

    ch: tuple  # ChassisK (rotors in the effective mass, rear unit in top gear)
    mf: tuple  # MotorK, front (the zero machine without one)
    mr: tuple  # MotorK, rear
    dr: tuple  # DriveK: reductions, rear gears, system and regeneration power caps
    aux: BevAuxK
    bat: tuple  # BatteryK


class BevState(NamedTuple):
    """State of the plant at the start of a step."""

    soc: float
    rear_gear: int  # 0-based


class BevDecision(NamedTuple):
    """What the controller asks of the plant for one step."""

    rear_gear: int  # 0-based
    front_torque_nm: float  # wheel torque of the front machine (the rear gives total − front)
    total_torque_nm: float  # wheel torque of both machines (the friction brakes give the rest of the demand)
    freewheel: bool  # the inverters draw nothing (empty battery): each machine generates its own losses


class BevCtx(NamedTuple):
    """What no decision of a step changes (``step_context``)."""

    start_speed_mps: float
    end_speed_mps: float
    dt_s: float
    wheel_force_n: float
    wheel_speed_rad_s: float
    battery_discharge_max_w: float  # the battery's limits at the state's SOC
    battery_charge_max_w: float
    accessory_power_w: float  # cut to what an empty battery can give
    drive_discharge_max_w: float  # the discharge limit the drive may plan with (the nominal accessory load in it)
    regen_charge_max_w: float  # the charge limit regeneration may plan with


# which limit bound in a step (BevSplit ``limit``)
LIMIT_NONE = 0
LIMIT_SPEED = 1  # a machine beyond its speed limit
LIMIT_MOTOR_TORQUE = 2  # a machine's torque beyond its envelope
LIMIT_SYSTEM_POWER = 3  # Σ shaft power beyond the system power cap
LIMIT_BATTERY_DISCHARGE = 4  # the battery cannot feed the machines (with ``freewheel``: it did not)
LIMIT_TRACTION = 5  # an axle's wheel torque beyond what its tyres pass (``axle_traction``)


class BevSplit(NamedTuple):
    """The machines' torques, powers and losses for a decision (``split``)."""

    feasible: bool
    limit: int  # LIMIT_*
    rear_gear: int
    freewheel: bool
    wheel_speed_rad_s: float
    electric_torque_nm: float  # wheel torque of both machines
    front_motor_speed_rad_s: float
    front_motor_torque_nm: float
    front_motor_electric_power_w: float
    front_motor_loss_w: float
    rear_motor_speed_rad_s: float
    rear_motor_torque_nm: float
    rear_motor_electric_power_w: float
    rear_motor_loss_w: float
    inverter_loss_w: float
    gearbox_loss_w: float
    rear_rotor_inertia_power_w: float
    machines_power_w: float  # DC, both machines
    accessory_power_w: float  # drawn


class StepResult(NamedTuple):
    """A whole plant step: the split, battery, wheel and brake powers, next state."""

    split: BevSplit
    state: BevState
    battery_current_a: float
    battery_voltage_v: float
    battery_power_w: float  # terminal, discharge > 0
    battery_chemical_power_w: float
    battery_loss_w: float
    wheel_power_w: float
    brake_power_w: float


@jit_inline
def initial_state(plant, soc0):
    """Plant state at the start of a run: the rear unit in its top gear."""
    return BevState(soc0, plant.dr.rear_ratios.shape[0] - 1)


@jit_inline
def battery_context(plant, state, dt):
    """The road-independent part of ``step_context``: (battery discharge and charge limits, accessory power drawn,
    the discharge and charge limits the decisions plan with). An empty battery cannot feed the accessories
    either: their load is cut to what it can supply (the decisions budget the nominal load, so their limits are
    shifted by the cut)."""
    aux = plant.aux
    p_dis, p_chg = battery_window_limits_w(plant.bat, state.soc, dt)
    p_dis_batt = p_dis
    p_aux = aux.accessory_power_w if aux.accessory_power_w <= p_dis + 1e-6 else p_dis
    p_dis = p_dis + (aux.accessory_power_w - p_aux)
    p_chg_plan = max(p_chg - (aux.accessory_power_w - p_aux), 0.0)
    return p_dis_batt, p_chg, p_aux, p_dis, p_chg_plan


@jit_inline
def road_context(plant, b, v0, v1, dt, grade):
    """``step_context`` from the battery part ``b`` (``battery_context``) and the end speed ``v1``."""
    f = wheel_force_n(plant.ch, v0, v1, dt, grade)
    return BevCtx(v0, v1, dt, f, 0.5 * (v0 + v1) / plant.ch.wheel_radius_m, b[0], b[1], b[2], b[3], b[4])


@jit
def step_context(plant, state, v0, v1, dt, grade):
    """What no decision of the step changes: a :class:`BevCtx`."""
    return road_context(plant, battery_context(plant, state, dt), v0, v1, dt, grade)


@jit_inline
def split(plant, ctx, d):
    """Torques, powers and losses of the machines for decision ``d`` (:class:`BevSplit`): feasible when the
    machines are within their speed limits and envelopes, the shaft power within the system cap (driving) and
    the battery can feed them (the accessories are then cut first), and each axle's wheel torque within what its
    tyres pass (:func:`axle_traction`, the limit the decisions plan with). A freewheeling decision is always
    feasible (its limit says the battery bound)."""
    mf = plant.mf
    mr = plant.mr
    dr = plant.dr
    g = d.rear_gear
    r = plant.ch.wheel_radius_m
    w = ctx.wheel_speed_rad_s
    dm = rear_rotor_extra_mass(dr, plant.aux, g, r)
    p_rotor = dm * (ctx.end_speed_mps - ctx.start_speed_mps) / ctx.dt_s * w * r
    p_dis_batt = ctx.battery_discharge_max_w
    limit = LIMIT_NONE
    if d.freewheel:
        res = freewheel_axle_powers(mf, mr, dr, g, w)
        tf, t_rear = braking_wheel_torques(dr, g, res[2], res[3])
        t_el = tf + t_rear
        p_aux = 0.0
        limit = LIMIT_BATTERY_DISCHARGE
    else:
        t_el = d.total_torque_nm
        res = axle_powers(mf, mr, dr, g, w, d.front_torque_nm, t_el - d.front_torque_nm)
        p_aux = ctx.accessory_power_w
        if res[0] + p_aux > p_dis_batt + 1e-6 and p_aux > 0.0:  # rotor losses of a coasting car, empty battery
            p_aux = max(p_dis_batt - res[0], 0.0)
    w_f = w * dr.front_ratio
    w_r = w * dr.rear_ratios[g]
    t_mf = res[2]
    t_mr = res[3]
    if not d.freewheel:
        if w_f > mf.max_speed_rad_s or w_r > mr.max_speed_rad_s:
            limit = LIMIT_SPEED
        elif (abs(t_mf) > motor_tmax(mf, w_f) * (1.0 + 1e-9) + 1e-9
              or abs(t_mr) > motor_tmax(mr, w_r) * (1.0 + 1e-9) + 1e-9):
            limit = LIMIT_MOTOR_TORQUE
        elif beyond_traction(plant, g, (ctx.end_speed_mps - ctx.start_speed_mps) / ctx.dt_s, d.front_torque_nm,
                             t_el - d.front_torque_nm):
            limit = LIMIT_TRACTION
        elif t_el > 0.0 and res[1] > dr.system_power_w * (1.0 + 1e-9):
            limit = LIMIT_SYSTEM_POWER
        if res[0] > p_dis_batt + 1e-6:
            limit = LIMIT_BATTERY_DISCHARGE
    feasible = d.freewheel or limit == LIMIT_NONE
    gb_loss = reduction_loss_w(t_mf, w_f, dr.front_efficiency) + reduction_loss_w(t_mr, w_r, dr.rear_efficiencies[g])
    return BevSplit(feasible, limit, g, d.freewheel, w, t_el, w_f, t_mf, res[4], res[6], w_r, t_mr, res[5], res[7],
                    res[8], gb_loss, p_rotor, res[0], p_aux)


@jit_inline
def plant_finish(plant, state, ctx, sp, dt):
    """The battery step, wheel and brake powers and the next state once the split is known (:class:`StepResult`)."""
    p_term = sp.machines_power_w + sp.accessory_power_w
    i_b, v_b, p_chem, l_b, soc_new = battery_step(plant.bat, state.soc, p_term, dt)
    r = plant.ch.wheel_radius_m
    w = sp.wheel_speed_rad_s
    f = ctx.wheel_force_n
    return StepResult(sp, BevState(soc_new, sp.rear_gear), i_b, v_b, p_term, p_chem, l_b, f * r * w,
                      sp.electric_torque_nm * w - f * r * w - sp.rear_rotor_inertia_power_w)


@jit
def plant_step(plant, state, decision, v0, v1, dt, grade):
    """One step of the BEV plant: (plant, state, decision, start speed, end speed, dt, grade) → :class:`StepResult`.
    Pure: the next state is ``result.state``; check ``result.split.feasible`` (and ``.limit``)."""
    ctx = step_context(plant, state, v0, v1, dt, grade)
    return plant_finish(plant, state, ctx, split(plant, ctx, decision), dt)


@jit_inline
def record(out, k, res, v1, speed_demanded):
    """Write step ``k`` of a run into ``out``."""
    sp = res.split
    out.speed_mps[k] = v1
    out.rear_gear[k] = sp.rear_gear + 1.0
    out.front_motor_speed_rad_s[k] = sp.front_motor_speed_rad_s
    out.front_motor_torque_nm[k] = sp.front_motor_torque_nm
    out.front_motor_electric_power_w[k] = sp.front_motor_electric_power_w
    out.front_motor_loss_w[k] = sp.front_motor_loss_w
    out.rear_motor_speed_rad_s[k] = sp.rear_motor_speed_rad_s
    out.rear_motor_torque_nm[k] = sp.rear_motor_torque_nm
    out.rear_motor_electric_power_w[k] = sp.rear_motor_electric_power_w
    out.rear_motor_loss_w[k] = sp.rear_motor_loss_w
    out.inverter_loss_w[k] = sp.inverter_loss_w
    out.gearbox_loss_w[k] = sp.gearbox_loss_w
    out.rear_rotor_inertia_power_w[k] = sp.rear_rotor_inertia_power_w
    out.battery_current_a[k] = res.battery_current_a
    out.battery_voltage_v[k] = res.battery_voltage_v
    out.battery_power_w[k] = res.battery_power_w
    out.battery_chemical_power_w[k] = res.battery_chemical_power_w
    out.battery_loss_w[k] = res.battery_loss_w
    out.soc[k] = res.state.soc
    out.accessory_power_w[k] = sp.accessory_power_w
    out.wheel_power_w[k] = res.wheel_power_w
    out.brake_power_w[k] = res.brake_power_w
    out.trace_miss_mps[k] = speed_demanded - v1


@jit_inline
def record_initial(plant, out, state, v0):
    """Write the initial sample (index 0) of a run."""
    out.speed_mps[0] = v0
    out.soc[0] = state.soc
    out.rear_gear[0] = plant.dr.rear_ratios.shape[0]
