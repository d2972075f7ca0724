"""Full-load performance of every architecture: 0–100 km/h, 80–120 km/h, quarter mile, top speed.

A forward simulation with a small time step (``DT_S``; DESIGN.md §3). Per axle k the tyre carries the
**ground force** ``G_k = T_k/r − M_k·a`` (T_k: torque the powertrain puts on that axle's wheels;
M_k = J_k/r²: the rotating inertia spun by that axle — its wheels and whatever turns with them: rotors,
engine, input shaft — which the powertrain torque accelerates, not the tyre), and the car obeys::

    m·a = Σ_k G_k − F_RL(v),      G_k ≤ μ·N_k                        (only the translating mass m)

A non-driven axle has T_k = 0 (its tyre spins its wheels up: G_k = −M_k·a). Without slip this is
``m_eff·a = F − F_RL`` with m_eff = m + Σ M_k and F = Σ T_k/r; when a driven axle reaches μ·N_k its
ground force is capped and the acceleration is the smallest of the candidate solutions (the root of a
monotone piecewise-linear equation, solved exactly per step). Axle loads (rigid body, quasi-static weight
transfer with the translating mass; Wong, *Theory of Ground Vehicles*, ch. 3, M)::

    N_f = m·g·s_f − m·a·h/L ,   N_r = m·g·(1 − s_f) + m·a·h/L

with ``s_f = chassis.front_axle_load_share``, h = ``cg_height_m``, L = ``wheelbase_m`` (no transfer when
either is missing, s_f = 0.5 when unknown), μ = ``chassis.tyre_friction_coefficient`` or
``DEFAULT_TYRE_MU``; the weight transfer uses the previous step's ``a``. The wheel inertia
``chassis.wheel_inertia_kgm2`` is split equally between the axles (E). Driven axles per architecture (or
``chassis.driven_axles``): conventional and THS front, P2 all (full-time 4WD: one torque shared by a
centre differential, limited by μ·(N_f + N_r)), BEV one machine per axle (each axle limited by its own).

Powertrain force, from the component models (no second copy of their equations):

* conventional: on the plant of ``core/conventional.py`` (``full_load_wheel_torques``: engine WOT less the
  accessory drive and a CVT's input drag, through gear × final drive with their efficiencies: the wheel torque at
  which the plant's operating point reaches WOT); below the launch speed the launch element slips and the engine
  runs at its peak-torque speed (E: a launch at the torque peak; the converter's torque multiplication
  is neglected, as in ``gearbox.py``) — while it slips, the input-side inertia (engine, P2 motor, input
  shaft) is held at that speed and is not part of the accelerated mass; the gear giving the most
  acceleration is engaged, upshifts only, each shift interrupting the torque for ``SHIFT_TIME_S[kind]``.
* P2: engine WOT + P2 motor torque (envelope, battery discharge limit less accessories) on the same
  input shaft, × gear × final drive; launch as above; all-wheel drive. Battery at full charge
  (a plug-in, charged: ``battery.soc_max``).
* THS: engine at the operating point along its WOT that gives the most wheel force within MG1's torque
  and speed and the pinion speed limits; MG1's generated power plus the battery's discharge limit feed
  MG2 within its envelope, and when MG1 generates more than MG2 can use, the surplus must not exceed the
  battery's charge limit (P_mg1 + P_mg2 ≥ −P_chg,max; the engine is throttled back until it holds).
  Battery at the controller's working SOC (``controller.soc_target``), not at full charge: a
  charge-sustaining hybrid lives there.
* BEV: on the plant of ``core/bev.py``: both machines' envelopes through their reductions and the per-axle
  traction limits ``T_k ≤ (μ·N_k + M_k·a)·r`` (a of the previous step; ``axle_limits``), the system power cap
  and the battery discharge limit (full charge), with the axle split of ``core/bev_control.best_split`` (the
  most wheel torque that split can deliver, by bisection). From a standstill (launch control) the overboost
  power and battery limit hold for ``drive.overboost_time_s``; the rear unit starts in 1st and shifts to 2nd
  at ``controller.first_gear_max_speed_kmh`` (or at the machine's speed limit), the rear torque
  interrupted for ``BEV_SHIFT_TIME_S``; the rear rotor's reflected inertia is that of the engaged gear.

Speed limits: no engine or machine may exceed its maximum speed, so the car's speed is capped at the
lowest such limit in top gear (and at ``drive.top_speed_limit_kmh``, an electronic governor, when the
vehicle file gives one). A target speed above the cap is unreachable: the time is nan.

Top speed: the highest speed at which the continuous tractive force still equals the road load (for the
hybrids without net battery discharge, which cannot be held), and
every speed limit holds (``top_speed(v, governed=False)``: the physical value); the governed value is
that, capped by the governor.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .architectures import get as _architecture
from .components.chassis import DEFAULT_TYRE_MU, G_MPS2, road_load_force_n  # noqa: F401  (DEFAULT_TYRE_MU: re-exported)
from .components.chassis import tyre_mu as _chassis_tyre_mu
from .components.engine import RPM
from .units import KMH_PER_MPS, MPS_PER_KMH, W_PER_KW
from .vehicle import Vehicle

DT_S = 0.01  # time step of the forward simulation [s]
T_MAX_S = 120.0  # give up after this long [s]
QUARTER_MILE_M = 402.336
#: E: torque interruption per upshift [s]: power-on upshift of a torque-converter automatic ≈ 0.2–0.3 s
#: of reduced torque (taken as a full interruption of 0.15 s), AMT ≈ 0.5 s, DCT ≈ 0 (overlapping clutches).
SHIFT_TIME_S = {"automatic": 0.15, "amt": 0.5, "dct": 0.05, "manual": 0.4, "cvt": 0.0}  # manual: E, a brisk
# driver's clutch-shift-clutch; a CVT changes ratio without interrupting the torque
N_CVT_RATIOS = 41  # a CVT's range as this many evenly spaced ratios (the full-load run picks among them)


def _ratio_steps(tr) -> list[tuple[float, float]]:
    """(ratio, efficiency) of the gears; for a CVT, N_CVT_RATIOS ratios across its range with the efficiency
    linear in the ratio between the two ends (components/gearbox.py)."""
    if tr.kind != "cvt":
        return list(zip(tr.gear_ratios, tr.gear_efficiencies, strict=True))
    (i0, i1), (e0, e1) = tr.gear_ratios, tr.gear_efficiencies
    return [(i0 + (i1 - i0) * k / (N_CVT_RATIOS - 1), e0 + (e1 - e0) * k / (N_CVT_RATIOS - 1))
            for k in range(N_CVT_RATIOS)]
#: E (unsourced): rear-unit shift of the Taycan (dog clutch + wet clutch pack, [Y13]): rear torque
#: interrupted 0.2 s, the front machine keeps pulling. No published figure was found; the validation
#: tests print the sensitivity of the acceleration times to it (0 and 0.4 s).
BEV_SHIFT_TIME_S = 0.2


# --- shared pieces ---------------------------------------------------------------------------------

@dataclasses.dataclass
class _State:
    t: float = 0.0  # time since the start of the run [s]
    gear: int = -1  # engaged gear index (-1: not chosen yet)
    shift_end: float = -1.0  # end of the torque interruption [s]
    acc: float = 0.0  # acceleration of the previous step [m/s²]
    launch: bool = False  # standing start (launch control)
    cache: dict = dataclasses.field(default_factory=dict)  # per-run kernel arguments of a model (built once)


def _axle_loads(v: Vehicle, acc: float) -> tuple[float, float]:
    c = v.chassis
    m = c.sim_mass_kg
    s = 0.5 if c.front_axle_load_share is None else c.front_axle_load_share
    dn = 0.0 if c.cg_height_m is None or c.wheelbase_m is None else m * acc * c.cg_height_m / c.wheelbase_m
    return max(m * G_MPS2 * s - dn, 0.0), max(m * G_MPS2 * (1.0 - s) + dn, 0.0)


def tyre_mu(v: Vehicle) -> float:
    """Friction coefficient used for the traction limit: the chassis's, else DEFAULT_TYRE_MU."""
    return _chassis_tyre_mu(v.chassis)


def traction_limit_n(v: Vehicle, acc: float, axles: str) -> float:
    """Largest total ground force the driven axles can transmit at acceleration ``acc``. [N]"""
    n_f, n_r = _axle_loads(v, acc)
    mu = tyre_mu(v)
    return mu * {"front": n_f, "rear": n_r, "all": n_f + n_r}[axles]


def _arch(v: Vehicle):
    return _architecture(v.architecture)


def _driven(v: Vehicle) -> str:
    return v.chassis.driven_axles or _arch(v).driven_axles


def _wheel_mass_per_axle(v: Vehicle) -> float:
    """Reflected mass of one axle's wheels, J_w/2/r² (E: equal split between the axles). [kg]"""
    c = v.chassis
    return 0.5 * c.wheel_inertia_kgm2 / c.wheel_radius_m**2


def solve_acceleration(m: float, f_road: float, axles) -> float:
    """Acceleration a of ``m·a = Σ_k min(F_k − M_k·a, cap_k) − f_road``. [m/s²]

    ``axles``: (F_k [N] = axle torque / r, M_k [kg] rotating inertia of the axle / r², cap_k [N] = μ·N_k,
    inf for no limit). The right-hand side falls and the left rises with a, so the root is unique; every
    choice of capped axles gives a linear equation whose root lies at or above the true one (min ≤ each
    branch), hence the true root is the smallest of them.
    """
    best = math.inf
    for capped in itertools.product((False, True), repeat=len(axles)):
        num = -f_road
        den = m
        for (f, mk, cap), c in zip(axles, capped, strict=True):
            if c:
                if math.isinf(cap):
                    break
                num += cap
            else:
                num += f
                den += mk
        else:
            best = min(best, num / den)
    return best


def _battery_limits_w(v: Vehicle, override_dis_w: float | None = None) -> tuple[float, float]:
    """(discharge, charge) battery terminal power limits at the performance SOC. [W]

    SOC: a charge-sustaining hybrid's working SOC (``controller.soc_target``); full charge
    (``battery.soc_max``) for the vehicles that start full (plug-ins, BEV: ``Vehicle.starts_full``).
    """
    from .core.electric import battery_limits_w

    b = v.battery.to_kernel()
    if override_dis_w is not None:
        b = b._replace(max_discharge_power_w=float(override_dis_w))
    soc = v.battery.soc_max if v.starts_full else v.controller.soc_target
    p_dis, p_chg = battery_limits_w(b, soc)
    return float(p_dis), float(p_chg)


def _battery_discharge_w(v: Vehicle, p_aux_w: float, override_w: float | None = None) -> float:
    """Battery power available to the machines at the performance SOC, less accessories. [W]"""
    return _battery_limits_w(v, override_w)[0] - p_aux_w


def _motor_torque_for_power(m, w: float, p_dc_w: float) -> float:
    """Largest motoring torque within the envelope whose DC power stays ≤ p_dc_w. [N·m]
    (``core/electric.motor_torque_for_motoring_dc_power``: one compiled call instead of 31 from Python.)"""
    from .core.electric import motor_torque_for_motoring_dc_power

    return motor_torque_for_motoring_dc_power(m, float(w), float(p_dc_w))


def _wot(v: Vehicle):
    m = v.engine.data()
    return m.speed_rad_s, m.wot_nm


def max_speed_kmh(vehicle: Vehicle, governed: bool = True) -> float:
    """Speed at which the first engine or machine reaches its maximum speed in top gear (and the governor
    ``drive.top_speed_limit_kmh`` when ``governed``): the architecture's ``FullLoadModel.speed_cap_mps``. [km/h]"""
    return _arch(vehicle).full_load_model.speed_cap_mps(vehicle, governed) * KMH_PER_MPS


def _stepped_cap_mps(vehicle: Vehicle, governed: bool = True) -> float:
    tr = vehicle.transmission
    w = vehicle.engine.max_speed_rpm * RPM
    for m in vehicle.motors.values():  # a machine on the gearbox input (P2)
        w = min(w, m.max_speed_rpm * RPM)
    return w / (min(tr.gear_ratios) * tr.final_drive_ratio) * vehicle.chassis.wheel_radius_m


def _ths_cap_mps(vehicle: Vehicle, governed: bool = True) -> float:
    pk = vehicle.planetary.to_kernel()
    return vehicle.motors["mg2"].max_speed_rpm * RPM / (pk.mg2_ratio * pk.ring_ratio) * vehicle.chassis.wheel_radius_m


def _bev_cap_mps(vehicle: Vehicle, governed: bool = True) -> float:
    d = vehicle.drive
    ratio = {"front": d.front_ratio, "rear": (d.rear_gear_ratios or (1.0,))[-1]}  # the units the car has
    lim = min(m.max_speed_rpm * RPM / ratio[a] for a, m in vehicle.motors.items()) * vehicle.chassis.wheel_radius_m
    gov = getattr(d, "top_speed_limit_kmh", None)
    if governed and gov is not None:
        lim = min(lim, gov / KMH_PER_MPS)
    return lim


# --- per-architecture force models ---------------------------------------------------------------
# Each returns a list of (gear index, F = wheel torque / r [N], m_eff [kg], driven-axle inertia M_d [kg]) for
# the gears possible at speed ``spd`` (continuous=True: no overboost, for the top speed).

def _stepped_options(v: Vehicle, spd: float, st: _State, continuous: bool, with_motor: bool):
    c = v.chassis
    tr = v.transmission
    r = c.wheel_radius_m
    w_wheel = spd / r
    ch = c.to_kernel()
    e = v.engine
    ws, wot = _wot(v)
    w_launch = e.peak_torque_speed_rpm * RPM
    w_max = e.max_speed_rpm * RPM
    if with_motor:
        from .core.electric import motor_tmax

        mot = v.motors["p2"].to_kernel()
        w_max = min(w_max, mot.max_speed_rad_s)
        p_aux = v.accessories.battery_power_w
        # a top speed is held indefinitely: no net battery discharge (the accessories stay on the battery)
        p_batt = 0.0 if continuous else _battery_discharge_w(v, p_aux)
        j_in = e.inertia_kgm2 + mot.inertia_kgm2 + tr.input_inertia_kgm2
        aux_torque = 0.0
    else:
        j_in = e.inertia_kgm2 + tr.input_inertia_kgm2
    m_wheels = _wheel_mass_per_axle(v)
    m_drv_wheels = 2 * m_wheels if _driven(v) == "all" else m_wheels
    out = []
    plant_pts = []  # engine-only options: (g, i, w_e, m_eff, M_d), their force from the plant below
    for g, (ig, eta_g) in enumerate(_ratio_steps(tr)):
        i = ig * tr.final_drive_ratio
        eta = eta_g * tr.final_drive_efficiency
        w_in = w_wheel * i
        if w_in > w_max * (1 + 1e-12):
            continue
        slipping = False
        if w_in < w_launch:
            if g > 0 and w_in < e.idle_speed_rpm * RPM:
                continue
            slipping = g == 0
            w_e = w_launch if g == 0 else max(w_in, e.idle_speed_rpm * RPM)
        else:
            w_e = w_in
        # the input side turns with the wheels only once the launch element has locked
        m_in = 0.0 if slipping else j_in * i * i / r**2
        if not with_motor:
            plant_pts.append((g, i, w_e, ch.mass_eff_kg + m_in, m_drv_wheels + m_in))
            continue
        t_e = float(np.interp(w_e, ws, wot))
        t_m = _motor_torque_for_power(mot, w_e, p_batt) if p_batt > 0 else 0.0
        t_m = min(t_m, motor_tmax(mot, w_e))
        t_in = t_e + t_m - aux_torque
        t_in -= tr.cvt_drag_torque_nm  # a CVT's pump (0 for other boxes)
        f = max(t_in, 0.0) * i * eta / r
        out.append((g, f, ch.mass_eff_kg + m_in, m_drv_wheels + m_in))
    if plant_pts:
        from .core.conventional import full_load_wheel_torques

        gs, ratios, w_es, m_effs, m_ds = (np.array(x, dtype=np.float64) for x in zip(*plant_pts, strict=True))
        t_w = np.empty(len(plant_pts))
        full_load_wheel_torques(_conventional_plant(v, st), gs, ratios, w_es, t_w)
        out = [(int(g), float(t) / r, float(m), float(md)) for g, t, m, md in zip(gs, t_w, m_effs, m_ds, strict=True)]
    return out


def _conventional_plant(v: Vehicle, st: _State):
    """The conventional plant step's parameters (``core/conventional.ConvPlantK``, hot engine), built once per run."""
    if "conventional_plant" not in st.cache:
        from .powertrains.conventional import plant_args

        st.cache["conventional_plant"] = plant_args(v, False, 23.0)[0]
    return st.cache["conventional_plant"]


def _ths_plant(v: Vehicle, st: _State):
    """The THS-II plant step's parameters (``core/ths.ThsPlantK``, hot engine), built once per run."""
    if "ths_plant" not in st.cache:
        from .powertrains.ths import _ths_args

        st.cache["ths_plant"] = _ths_args(v, False, 23.0)[0]
    return st.cache["ths_plant"]


def _ths_options(v: Vehicle, spd: float, st: _State, continuous: bool):
    """THS-II at full load, on the plant step of ``core/ths.py`` (no second copy of its physics).

    At speed ``spd`` (steady rotor speeds: the engine and MG1 are not accelerated, as the decision layer would
    choose the engine speed freely; the split is evaluated with Δt → ∞ in its rotor inertia terms) for each
    engine speed of a grid from idle to maximum: the engine at its WOT torque, cut back to what MG1 can react
    (``split_mech``: gear set with its mesh losses, MG1 torque and every speed limit); MG2 at the most torque
    its envelope and the battery allow, the battery giving its discharge limit at the working SOC less what MG1
    generates and the accessories draw (continuous: no net discharge); then ``split_in`` of that demand, which
    must be feasible. Where MG1 would charge the battery beyond its charge limit, the engine torque is lowered
    by bisection until it holds. The best engine speed
    gives the force.
    """
    from .core.driveline import gear_output_torque
    from .core.electric import mg2_torque_for_terminal_power, motor_tmax
    from .core.ths import FUELLED, ThsState, split_in, split_mech, step_context

    plant = _ths_plant(v, st)
    pk, mg1, mg2 = plant.pg, plant.mg1, plant.mg2
    # steady rotors: the plant's rotor inertia torques J·Δω/Δt vanish for an infinite step (its only use of Δt
    # in split_mech/split_in); the battery limits come from step_context at DT_S
    STEADY = math.inf  # noqa: N806
    soc = v.controller.soc_target
    ctx = step_context(plant, soc, 0.0, spd, spd, DT_S, 0.0)
    if ctx.mg2_speed_rad_s > mg2.max_speed_rad_s * (1 + 1e-12):
        return []
    # a top speed is held indefinitely: no net battery discharge (MG2 runs on what MG1 generates)
    p_lim = 0.0 if continuous else ctx.battery_discharge_max_w
    ctx = ctx._replace(battery_discharge_max_w=p_lim)
    envelope = ctx._replace(ring_torque_required_nm=math.inf)  # MG2 asked for all it has
    w_m2 = ctx.mg2_speed_rad_s
    p_aux = plant.aux.accessory_power_w
    e = v.engine
    ws, wot = _wot(v)

    def point(w_e, t_e, m=None):
        """The plant's split with MG2 at the most torque envelope and battery allow (``m``: the envelope's
        ``split_mech`` at this engine point, if already known)."""
        if m is None:
            m = split_mech(plant, w_e, 0.0, envelope, FUELLED, w_e, t_e, STEADY)
        t_m2 = m.mg2_torque_nm
        if w_m2 > 0:
            p_g = m.mg1_electric_power_w
            t_m2 = min(t_m2, _motor_torque_for_power(mg2, w_m2, p_lim - p_aux - p_g))
            # with a boost converter (its loss on the net DC power, core/electric.terminal_power_w) the largest
            # torque whose terminal power stays within the limit (compiled bisection: one call)
            t_m2 = mg2_torque_for_terminal_power(mg1, m.mg1_torque_nm, m.mg1_speed_rad_s, p_g, mg2, t_m2, w_m2,
                                                 p_aux, p_lim)
        ring = m.ring_torque_delivered_nm + gear_output_torque(t_m2, pk.mg2_ratio, pk.mg2_reduction_efficiency)
        axle = gear_output_torque(ring, pk.ring_ratio, pk.final_drive_efficiency)
        state = ThsState(soc, w_e, m.mg1_speed_rad_s, 0.0, FUELLED, 1e9, 0.0)
        return split_in(plant, state, ctx._replace(ring_torque_required_nm=ring, axle_torque_nm=axle), FUELLED,
                        w_e, t_e, STEADY)

    best = 0.0
    for w_e in np.linspace(e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM, 25):
        t_e = float(np.interp(w_e, ws, wot))
        m = split_mech(plant, w_e, 0.0, envelope, FUELLED, w_e, t_e, STEADY)
        if not m.speeds_ok:
            continue
        t1max = motor_tmax(mg1, m.mg1_speed_rad_s)
        if abs(m.mg1_torque_nm) > t1max:  # MG1 reacts the engine torque in proportion (no rotor inertia)
            t_e *= t1max / abs(m.mg1_torque_nm)
            m = None
        sp = point(w_e, t_e, m)
        if sp.overcharge:  # part load: the largest engine torque whose surplus the battery can take (bisection:
            # the result must be on the feasible side, which brentq does not guarantee)
            lo, hi = 0.0, t_e
            for _ in range(20):
                mid = 0.5 * (lo + hi)
                if not point(w_e, mid).overcharge:
                    lo = mid
                else:
                    hi = mid
            sp = point(w_e, lo)
        if sp.feasible:
            best = max(best, sp.axle_torque_delivered_nm / v.chassis.wheel_radius_m)
    m_mg2 = plant.ch.mass_eff_kg - v.chassis.to_kernel().mass_eff_kg  # MG2's rotor (in the plant's chassis)
    return [(0, best, plant.ch.mass_eff_kg, _wheel_mass_per_axle(v) + m_mg2)]


def _bev_force(v: Vehicle, spd: float, g: int, acc: float, overboost: bool, rear_off: bool,
               cache: dict | None = None) -> tuple[float, float]:
    """(largest wheel force = Σ axle torque / r [N], effective mass [kg]) of a BEV in rear gear g.

    Per-axle traction: ``T_k ≤ (μ·N_k + M_k·acc)·r`` with ``acc`` the previous step's acceleration (the
    axle's own rotating inertia M_k is spun by the machine, not by the tyre). Above a machine's speed limit
    the force is 0 (the caller caps the speed there); the effective mass is always the real one. ``cache``: a
    run's dict for the kernel arguments, built once per run (the chassis's coast-down drag fit among them).
    """
    from .core.bev import axle_limits
    from .core.bev_control import best_split
    from .powertrains.bev import axle_masses_kg, bev_aux, bev_chassis, motor_kernel, rotor_inertia_kgm2

    cache = {} if cache is None else cache
    if "bev_parts" not in cache:
        cache["bev_parts"] = (v.drive.to_kernel(), motor_kernel(v, "front"), motor_kernel(v, "rear"),
                              bev_chassis(v), rotor_inertia_kgm2(v, "rear"), bev_aux(v))
    dk, mf, mr, ch, j_r, aux = cache["bev_parts"]
    d = v.drive
    r = v.chassis.wheel_radius_m
    w = spd / r
    m_eff = ch.mass_eff_kg + j_r * (dk.rear_ratios[g] ** 2 - dk.rear_ratios[-1] ** 2) / r**2
    if (w * dk.front_ratio > mf.max_speed_rad_s * (1 + 1e-12)
            or w * dk.rear_ratios[g] > mr.max_speed_rad_s * (1 + 1e-12)):
        return 0.0, m_eff
    axles = _driven(v)
    # the plant's limits per axle (core/bev.axle_limits): envelopes through the reductions and, one machine per
    # axle, each axle's traction with the chassis's μ (or DEFAULT_TYRE_MU; an unknown axle-load share is 0.5 here,
    # where the cycle kernel drops the traction limit)
    aux = aux._replace(tyre_mu=tyre_mu(v) if axles == "per_axle" else 0.0)
    tf, tr = axle_limits(mf, mr, dk, aux, g, w, float(v.chassis.sim_mass_kg), float(acc), r, False)
    if rear_off:
        tr = 0.0
    m_f, m_r = axle_masses_kg(v, g)
    p_aux = v.accessories.battery_power_w
    if overboost and d.overboost_power_kw is not None:
        p_sys = d.overboost_power_kw * W_PER_KW
        p_dis = _battery_discharge_w(v, 0.0, None if d.overboost_battery_power_kw is None
                                     else d.overboost_battery_power_kw * W_PER_KW)
    else:
        p_sys = dk.system_power_w
        p_dis = _battery_discharge_w(v, 0.0)
    lo, hi = 0.0, tf + tr
    if best_split(mf, mr, dk, g, w, hi, tf, tr, p_dis, p_sys, p_aux)[0]:
        lo = hi
    else:
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if best_split(mf, mr, dk, g, w, mid, tf, tr, p_dis, p_sys, p_aux)[0]:
                lo = mid
            else:
                hi = mid
    f = lo / r
    if axles != "per_axle":
        m_d = {"front": m_f, "rear": m_r, "all": m_f + m_r}[axles]
        f = min(f, traction_limit_n(v, acc, axles) + m_d * acc)
    return f, m_eff


def _bev_step(v: Vehicle, spd: float, st: _State, continuous: bool) -> tuple[float, float]:
    d = v.drive
    from .powertrains.bev import motor_kernel

    ctl = v.controller
    dk = d.to_kernel()
    mr = motor_kernel(v, "rear")
    r = v.chassis.wheel_radius_m
    ng = d.n_rear_gears
    if continuous:
        return max((_bev_force(v, spd, g, 0.0, False, False, st.cache) for g in range(ng)), key=lambda x: x[0])
    if st.gear < 0:
        st.gear = 0 if spd < ctl.downshift_speed_kmh / KMH_PER_MPS else ng - 1
    w = spd / r
    if st.gear < ng - 1 and (spd >= ctl.first_gear_max_speed_kmh / KMH_PER_MPS
                             or w * dk.rear_ratios[st.gear] >= mr.max_speed_rad_s * (1 - 1e-9)):
        st.gear += 1
        st.shift_end = st.t + BEV_SHIFT_TIME_S
    overboost = st.launch and st.t < (d.overboost_time_s or 0.0)
    return _bev_force(v, spd, st.gear, st.acc, overboost, st.t < st.shift_end - 1e-9, st.cache)


def _acc_option(v: Vehicle, f: float, m_eff: float, m_d: float, cap: float, rl: float) -> float:
    """Acceleration with wheel force f on the driven axle(s) (inertia m_d) capped at μ·N (cap). [m/s²]"""
    return solve_acceleration(v.chassis.sim_mass_kg, rl, [(f, m_d, cap), (0.0, m_eff - v.chassis.sim_mass_kg - m_d,
                                                                         math.inf)])


class FullLoadModel(NamedTuple):
    """An architecture's full-load model (its registry entry's ``performance``)."""

    #: ``(vehicle, speed [m/s], state, road load [N], continuous) -> (wheel force used [N], m_eff [kg], a [m/s²])``,
    #: updating the gear state; continuous: top-speed evaluation (a = 0, the largest force the driven axles
    #: can transmit).
    force: Callable
    #: ``(vehicle, governed) -> speed [m/s]`` at which the first engine or machine reaches its maximum speed
    #: (and the governor, when governed).
    speed_cap_mps: Callable


def _force(v: Vehicle, spd: float, st: _State, rl: float, continuous: bool = False) -> tuple[float, float, float]:
    """(wheel force actually used = Σ axle torque / r [N], effective mass [kg], acceleration [m/s²]) at speed
    spd against road load rl, updating the gear state: the architecture's :class:`FullLoadModel`."""
    return _arch(v).full_load_model.force(v, spd, st, rl, continuous)


def _bev_model_force(v: Vehicle, spd: float, st: _State, rl: float, continuous: bool = False):
    f, m_eff = _bev_step(v, spd, st, continuous)
    return f, m_eff, (f - rl) / m_eff


def _options_force(options: Callable, v: Vehicle, spd: float, st: _State, rl: float, continuous: bool = False):
    """Force of the architectures that offer options (gear, F, m_eff, M_d): the best allowed one."""
    opts = options(v, spd, st, continuous)
    if not opts:
        m_eff = v.chassis.to_kernel().mass_eff_kg
        return 0.0, m_eff, -rl / m_eff
    lim = traction_limit_n(v, st.acc, _driven(v))
    if continuous:
        g, f, m, md = max(opts, key=lambda o: o[1])
        return min(f, lim), m, 0.0
    allowed = [o for o in opts if o[0] >= st.gear] or opts  # upshifts only during a full-load run
    g, f, m, md = max(allowed, key=lambda o: _acc_option(v, o[1], o[2], o[3], lim, rl))
    if st.gear >= 0 and g != st.gear:
        st.shift_end = st.t + SHIFT_TIME_S.get(v.transmission.kind, 0.15)
    st.gear = g
    if st.t < st.shift_end - 1e-9:
        f = 0.0
    a = _acc_option(v, f, m, md, lim, rl)
    return rl + m * a, m, a


#: The shipped architectures' full-load models (named by the registry, ``hybridsim/architectures.py``).
CONVENTIONAL = FullLoadModel(
    functools.partial(_options_force, functools.partial(_stepped_options, with_motor=False)), _stepped_cap_mps)
P2 = FullLoadModel(
    functools.partial(_options_force, functools.partial(_stepped_options, with_motor=True)), _stepped_cap_mps)
THS = FullLoadModel(functools.partial(_options_force, _ths_options), _ths_cap_mps)
BEV = FullLoadModel(_bev_model_force, _bev_cap_mps)


# --- the forward simulation -----------------------------------------------------------------------

def _check(vehicle: Vehicle) -> None:
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")


def run(vehicle: Vehicle, v_from_kmh: float, *, v_to_kmh: float | None = None, distance_m: float | None = None,
        dt_s: float = DT_S, t_max_s: float = T_MAX_S) -> dict:
    """Full-load run from ``v_from_kmh`` until ``v_to_kmh`` or ``distance_m``; returns the time and traces.

    A standing start (v_from = 0) uses launch control (BEV overboost). The speed is capped at
    :func:`max_speed_kmh` (speed limits, governor). The result has ``time_s`` (nan if the target is not
    reached: a speed above the cap or beyond what the car can reach, or ``t_max_s`` exceeded) and arrays
    ``t``, ``speed_mps``, ``distance_m``, ``gear`` (samples), ``force_n`` (wheel force = axle torques / r
    over each step) and ``acc_mps2``.
    """
    _check(vehicle)
    ch = vehicle.chassis.to_kernel()
    v_cap = max_speed_kmh(vehicle) / KMH_PER_MPS
    v = min(v_from_kmh / KMH_PER_MPS, v_cap)
    st = _State(launch=v_from_kmh == 0.0)
    x = 0.0
    ts, vs, xs, gs, fs, accs = [0.0], [v], [0.0], [0], [], []
    result = math.nan
    n_steps = int(t_max_s / dt_s)
    if v_to_kmh is not None and v_to_kmh / KMH_PER_MPS > v_cap * (1 + 1e-12):
        n_steps = 0  # above the speed cap: unreachable
    for _ in range(n_steps):
        rl = float(road_load_force_n(ch, v))
        f, m_eff, acc = _force(vehicle, v, st, rl)
        if v <= 0.0 and acc < 0.0:  # standing: static friction holds the car
            f, acc = 0.0, 0.0
        st.acc = acc  # weight transfer of the next step
        fs.append(f)
        accs.append(acc)
        v_new = min(max(v + acc * dt_s, 0.0), v_cap)
        x_new = x + 0.5 * (v + v_new) * dt_s
        t_new = st.t + dt_s
        if v_to_kmh is not None and v_new >= v_to_kmh / KMH_PER_MPS:
            result = st.t + (v_to_kmh / KMH_PER_MPS - v) / (v_new - v) * dt_s
        elif distance_m is not None and x_new >= distance_m:
            result = st.t + (distance_m - x) / (x_new - x) * dt_s
        st.t = t_new
        v, x = v_new, x_new
        ts.append(t_new)
        vs.append(v)
        xs.append(x)
        gs.append(st.gear + 1)
        if not math.isnan(result):
            break
        if distance_m is None and acc <= 0.0 and st.t > st.shift_end + 1.0 and v > 0:
            break  # the car no longer accelerates: the target is out of reach
    return {"time_s": result, "t": np.array(ts), "speed_mps": np.array(vs), "distance_m": np.array(xs),
            "gear": np.array(gs), "force_n": np.array(fs), "acc_mps2": np.array(accs)}


def acceleration(vehicle: Vehicle, v_from_kmh: float, v_to_kmh: float) -> float:
    """Time to accelerate at full load from ``v_from_kmh`` to ``v_to_kmh``; nan if the car cannot reach
    ``v_to_kmh`` (above its speed cap or its top speed). [s]"""
    if not 0.0 <= v_from_kmh < v_to_kmh:
        raise ValueError(f"v_from_kmh = {v_from_kmh}, v_to_kmh = {v_to_kmh}: need 0 <= v_from < v_to")
    return float(run(vehicle, v_from_kmh, v_to_kmh=v_to_kmh)["time_s"])


def top_speed(vehicle: Vehicle, governed: bool = True) -> float:
    """Highest steady speed: continuous tractive force = road load, within every speed limit; with
    ``governed`` also within ``drive.top_speed_limit_kmh`` when the vehicle has one. [km/h]"""
    _check(vehicle)
    ch = vehicle.chassis.to_kernel()
    cap = max_speed_kmh(vehicle, governed=False) / KMH_PER_MPS

    built = _State()  # its cache: the kernel arguments, built once for all speeds

    def surplus(spd: float) -> float:
        rl = float(road_load_force_n(ch, spd))
        f = _force(vehicle, spd, _State(cache=built.cache), rl, continuous=True)[0]
        return f - rl

    step = MPS_PER_KMH
    spd = step
    out = 0.0
    if surplus(spd) > 0:
        out = cap
        while spd < cap:
            hi = min(spd + step, cap)
            if surplus(hi) <= 0:  # the force surplus changes sign in [spd, hi]: its root is the top speed
                from scipy.optimize import brentq  # imported when needed (import time, issue 16)

                out = float(brentq(surplus, spd, hi, xtol=1e-9))
                break
            spd = hi
    vmax = out * KMH_PER_MPS
    if governed:
        vmax = min(vmax, max_speed_kmh(vehicle, governed=True))
    return vmax


def summary(vehicle: Vehicle) -> dict:
    """Headline performance figures (s, km/h): ``accel_0_100_s``, ``accel_80_120_s``, ``quarter_mile_s``,
    ``top_speed_kmh`` (governed), ``top_speed_physical_kmh`` (without the governor), and ``accel_0_200_s``
    only when the car reaches 200 km/h. A figure the car cannot reach is nan; this never raises for a valid
    vehicle."""
    vmax = top_speed(vehicle)
    out = {
        "vehicle": vehicle.id,
        "accel_0_100_s": acceleration(vehicle, 0.0, 100.0) if vmax > 100 else math.nan,
        "accel_80_120_s": acceleration(vehicle, 80.0, 120.0) if vmax > 120 else math.nan,
        "quarter_mile_s": float(run(vehicle, 0.0, distance_m=QUARTER_MILE_M)["time_s"]),
        "top_speed_kmh": vmax,
        "top_speed_physical_kmh": top_speed(vehicle, governed=False),
    }
    if vmax > 200.0:
        out["accel_0_200_s"] = acceleration(vehicle, 0.0, 200.0)
    return out
