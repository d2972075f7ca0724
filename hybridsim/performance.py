"""Full-load performance of every architecture: 0–100 km/h, 80–120 km/h, quarter mile, top speed.

A forward simulation with a small time step (``DT_S``; DESIGN.md §3): at each step the largest tractive
force the powertrain can put on the road at the present speed, minus the road load, accelerates the
effective mass (chassis mass + wheel inertia + rotors tied to the wheels in the engaged gear)::

    m_eff·dv/dt = min(F_powertrain(v), F_traction) − (c0 + c1·v + c2·v²)

Traction limit (rigid body, quasi-static weight transfer; Wong, *Theory of Ground Vehicles*, ch. 3, M)::

    N_f = m·g·s_f − m·a·h/L ,   N_r = m·g·(1 − s_f) + m·a·h/L ,   F_axle ≤ μ·N_axle

with ``s_f = chassis.front_axle_load_share``, h = ``cg_height_m``, L = ``wheelbase_m`` (no transfer when
either is missing, s_f = 0.5 when unknown), μ = ``chassis.tyre_friction_coefficient`` or
``DEFAULT_TYRE_MU``; ``a`` is taken from the previous step. Driven axles per architecture (or
``chassis.driven_axles``): conventional and THS front, P2 all (full-time 4WD: one torque shared by a
centre differential, limited by μ·(N_f + N_r)), BEV one machine per axle (each axle limited by its own).

Powertrain force, from the component models (no second copy of their equations):

* conventional: engine WOT (``Engine.data()``) less the accessory drive, × gear × final drive and their
  efficiencies (``Transmission``); below the launch speed the launch element slips and the engine
  runs at its peak-torque speed (E: a launch at the torque peak; the converter's torque multiplication
  is neglected, as in ``gearbox.py``); the gear with the most force is engaged, upshifts only, each
  shift interrupting the torque for ``SHIFT_TIME_S[kind]``.
* P2: engine WOT + P2 motor torque (envelope, battery discharge limit less accessories) on the same
  input shaft, × gear × final drive; launch as above; all-wheel drive.
* THS: engine at the operating point along its WOT that gives the most wheel force within MG1's torque
  and speed and the pinion speed limits; MG1's generated power plus the battery's discharge limit feed
  MG2 within its envelope; front-wheel drive.
* BEV: both machines' envelopes through their reductions, the per-axle traction limits, the system power
  cap and the battery discharge limit, with the axle split of ``core/bev.best_split`` (the most wheel
  torque that split can deliver, by bisection). From a standstill (launch control) the overboost power
  and battery limit hold for ``drive.overboost_time_s``; the rear unit starts in 1st and shifts to 2nd
  at ``controller.first_gear_max_speed_kmh`` (or at the machine's speed limit), the rear torque
  interrupted for ``BEV_SHIFT_TIME_S``.

Top speed: the highest speed at which the continuous tractive force still equals the road load, and
every speed limit (engine, machines) holds. Batteries are at full charge (``battery.soc_max``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .components.chassis import G_MPS2, road_load_force_n
from .components.engine import RPM
from .vehicle import Vehicle

DT_S = 0.01  # time step of the forward simulation [s]
T_MAX_S = 120.0  # give up after this long [s]
QUARTER_MILE_M = 402.336
#: E: peak tyre–road friction on dry asphalt with ordinary road tyres, 0.8–1.0 (Wong, ch. 1, M).
DEFAULT_TYRE_MU = 0.9
#: E: torque interruption per upshift [s]: power-on upshift of a torque-converter automatic ≈ 0.2–0.3 s
#: of reduced torque (taken as a full interruption of 0.15 s), AMT ≈ 0.5 s, DCT ≈ 0 (overlapping clutches).
SHIFT_TIME_S = {"automatic": 0.15, "amt": 0.5, "dct": 0.05}
#: E: rear-unit shift of the Taycan (dog clutch + wet clutch pack, [Y13]): rear torque interrupted 0.2 s,
#: the front machine keeps pulling.
BEV_SHIFT_TIME_S = 0.2
_DEFAULT_AXLES = {"conventional": "front", "ths": "front", "p2": "all", "bev": "per_axle"}


# --- shared pieces ---------------------------------------------------------------------------------

@dataclasses.dataclass
class _State:
    t: float = 0.0  # time since the start of the run [s]
    gear: int = -1  # engaged gear index (-1: not chosen yet)
    shift_end: float = -1.0  # end of the torque interruption [s]
    acc: float = 0.0  # acceleration of the previous step [m/s²]
    launch: bool = False  # standing start (launch control)


def _axle_loads(v: Vehicle, acc: float) -> tuple[float, float]:
    c = v.chassis
    m = c.sim_mass_kg
    s = 0.5 if c.front_axle_load_share is None else c.front_axle_load_share
    dn = 0.0 if c.cg_height_m is None or c.wheelbase_m is None else m * acc * c.cg_height_m / c.wheelbase_m
    return max(m * G_MPS2 * s - dn, 0.0), max(m * G_MPS2 * (1.0 - s) + dn, 0.0)


def tyre_mu(v: Vehicle) -> float:
    """Friction coefficient used for the traction limit: the chassis's, else DEFAULT_TYRE_MU."""
    mu = v.chassis.tyre_friction_coefficient
    return DEFAULT_TYRE_MU if mu is None else mu


def traction_limit_n(v: Vehicle, acc: float, axles: str) -> float:
    """Largest total tractive force the driven axles can transmit at acceleration ``acc``. [N]"""
    n_f, n_r = _axle_loads(v, acc)
    mu = tyre_mu(v)
    return mu * {"front": n_f, "rear": n_r, "all": n_f + n_r}[axles]


def _driven(v: Vehicle) -> str:
    return v.chassis.driven_axles or _DEFAULT_AXLES[v.architecture]


def _battery_discharge_w(v: Vehicle, p_aux_w: float, override_w: float | None = None) -> float:
    """Battery power available to the machines at full charge (voltage-limited), less accessories. [W]"""
    from .core.electric import battery_limits_w

    b = v.battery.to_kernel()
    if override_w is not None:
        b = b._replace(max_discharge_power_w=float(override_w))
    return battery_limits_w(b, v.battery.soc_max)[0] - p_aux_w


def _motor_torque_for_power(m, w: float, p_dc_w: float) -> float:
    """Largest motoring torque within the envelope whose DC power stays ≤ p_dc_w (bisection). [N·m]"""
    from .core.electric import motor_dc_power_w, motor_tmax

    t_hi = motor_tmax(m, w)
    if p_dc_w <= 0.0:
        return 0.0
    if motor_dc_power_w(m, t_hi, w)[0] <= p_dc_w:
        return t_hi
    lo, hi = 0.0, t_hi
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if motor_dc_power_w(m, mid, w)[0] <= p_dc_w:
            lo = mid
        else:
            hi = mid
    return lo


def _wot(v: Vehicle):
    m = v.engine.data()
    return m.speed_rad_s, m.wot_nm


# --- per-architecture force models ---------------------------------------------------------------
# Each returns a list of (gear index, wheel force [N], effective mass [kg]) for the gears possible at
# speed ``spd`` (continuous=True: no overboost, for the top speed).

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
        p_batt = _battery_discharge_w(v, p_aux)
        j_in = e.inertia_kgm2 + mot.inertia_kgm2 + tr.input_inertia_kgm2
        aux_torque = 0.0
    else:
        j_in = e.inertia_kgm2 + tr.input_inertia_kgm2
    out = []
    for g, (ig, eta_g) in enumerate(zip(tr.gear_ratios, tr.gear_efficiencies, strict=True)):
        i = ig * tr.final_drive_ratio
        eta = eta_g * tr.final_drive_efficiency
        w_in = w_wheel * i
        if w_in > w_max:
            continue
        if w_in < w_launch:
            if g > 0 and w_in < e.idle_speed_rpm * RPM:
                continue
            w_e = w_launch if g == 0 else max(w_in, e.idle_speed_rpm * RPM)
        else:
            w_e = w_in
        t_e = float(np.interp(w_e, ws, wot))
        if with_motor:
            t_m = _motor_torque_for_power(mot, w_e, p_batt) if p_batt > 0 else 0.0
            t_m = min(t_m, motor_tmax(mot, w_e))
            t_in = t_e + t_m - aux_torque
        else:
            t_in = t_e - v.accessories.crank_power_w / max(w_e, 1.0)
        f = max(t_in, 0.0) * i * eta / r
        m_eff = ch.mass_eff_kg + j_in * i * i / r**2
        out.append((g, f, m_eff))
    return out


def _ths_options(v: Vehicle, spd: float, st: _State, continuous: bool):
    from .core.electric import motor_dc_power_w, motor_tmax

    c = v.chassis
    pg = v.planetary
    pk = pg.to_kernel()
    r = c.wheel_radius_m
    k = pk.k
    w_r = spd / r * pk.ring_ratio
    mg1 = v.motors["mg1"].to_kernel()
    mg2 = v.motors["mg2"].to_kernel()
    w_m2 = w_r * pk.mg2_ratio
    if w_m2 > mg2.max_speed_rad_s:
        return []
    e = v.engine
    ws, wot = _wot(v)
    p_batt = _battery_discharge_w(v, v.accessories.battery_power_w)
    best = 0.0
    for w_e in np.linspace(e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM, 25):
        w_s = (1.0 + k) * w_e - k * w_r
        if abs(w_s) > mg1.max_speed_rad_s or abs(w_r - w_e) * pk.zr_over_zp > pk.max_pinion_speed_rad_s:
            continue
        t_e = min(float(np.interp(w_e, ws, wot)), motor_tmax(mg1, w_s) * (1.0 + k))
        t_mg1 = -t_e / (1.0 + k)  # reacts the engine torque on the sun
        p_mg1 = motor_dc_power_w(mg1, t_mg1, w_s)[0]
        t_ring_e = t_e * k / (1.0 + k) * pk.planetary_efficiency
        t_mg2 = _motor_torque_for_power(mg2, w_m2, p_batt - p_mg1) if w_m2 > 0 else motor_tmax(mg2, 0.0)
        t_ring = t_ring_e + t_mg2 * pk.mg2_ratio * pk.mg2_reduction_efficiency
        f = t_ring * pk.ring_ratio * pk.final_drive_efficiency / r
        best = max(best, f)
    ch = c.to_kernel()
    m_eff = ch.mass_eff_kg + v.motors["mg2"].inertia_kgm2 * (pk.mg2_ratio * pk.ring_ratio) ** 2 / r**2
    return [(0, best, m_eff)]


def _bev_force(v: Vehicle, spd: float, g: int, acc: float, overboost: bool, rear_off: bool) -> tuple[float, float]:
    """(largest wheel force [N], effective mass [kg]) of a BEV in rear gear g."""
    from .core.bev import best_split
    from .core.electric import motor_tmax
    from .powertrains.bev import bev_chassis

    d = v.drive
    dk = d.to_kernel()
    mf = v.motors["front"].to_kernel()
    mr = v.motors["rear"].to_kernel()
    r = v.chassis.wheel_radius_m
    w = spd / r
    if w * dk.front_ratio > mf.max_speed_rad_s or w * dk.rear_ratios[g] > mr.max_speed_rad_s:
        return 0.0, 0.0
    tf = motor_tmax(mf, w * dk.front_ratio) * dk.front_ratio * dk.front_efficiency
    tr = 0.0 if rear_off else motor_tmax(mr, w * dk.rear_ratios[g]) * dk.rear_ratios[g] * dk.rear_efficiencies[g]
    mu = tyre_mu(v)
    n_f, n_r = _axle_loads(v, acc)
    axles = _driven(v)
    if axles == "per_axle":
        tf = min(tf, mu * n_f * r)
        tr = min(tr, mu * n_r * r)
    p_aux = v.accessories.battery_power_w
    if overboost and d.overboost_power_kw is not None:
        p_sys = d.overboost_power_kw * 1e3
        p_dis = _battery_discharge_w(v, 0.0, None if d.overboost_battery_power_kw is None
                                     else d.overboost_battery_power_kw * 1e3)
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
        f = min(f, traction_limit_n(v, acc, axles))
    ch = bev_chassis(v)
    j_r = v.motors["rear"].inertia_kgm2
    m_eff = ch.mass_eff_kg + j_r * (dk.rear_ratios[g] ** 2 - dk.rear_ratios[-1] ** 2) / r**2
    return f, m_eff


def _bev_step(v: Vehicle, spd: float, st: _State, continuous: bool) -> tuple[float, float]:
    d = v.drive
    ctl = v.controller
    dk = d.to_kernel()
    mr = v.motors["rear"].to_kernel()
    r = v.chassis.wheel_radius_m
    ng = d.n_rear_gears
    if continuous:
        return max((_bev_force(v, spd, g, 0.0, False, False) for g in range(ng)), key=lambda x: x[0])
    if st.gear < 0:
        st.gear = 0 if spd < ctl.downshift_speed_kmh / 3.6 else ng - 1
    w = spd / r
    if st.gear < ng - 1 and (spd >= ctl.first_gear_max_speed_kmh / 3.6
                             or w * dk.rear_ratios[st.gear] >= mr.max_speed_rad_s * (1 - 1e-9)):
        st.gear += 1
        st.shift_end = st.t + BEV_SHIFT_TIME_S
    overboost = st.launch and st.t < (d.overboost_time_s or 0.0)
    return _bev_force(v, spd, st.gear, st.acc, overboost, st.t < st.shift_end - 1e-9)


def _options(v: Vehicle, spd: float, st: _State, continuous: bool):
    a = v.architecture
    if a == "conventional":
        return _stepped_options(v, spd, st, continuous, with_motor=False)
    if a == "p2":
        return _stepped_options(v, spd, st, continuous, with_motor=True)
    if a == "ths":
        return _ths_options(v, spd, st, continuous)
    raise ValueError(f"vehicle.architecture = {a!r}: no performance model (allowed: conventional, ths, p2, bev)")


def _force(v: Vehicle, spd: float, st: _State, continuous: bool = False) -> tuple[float, float]:
    """(tractive force [N], effective mass [kg]) at speed spd, updating the gear state."""
    if v.architecture == "bev":
        return _bev_step(v, spd, st, continuous)
    opts = _options(v, spd, st, continuous)
    if not opts:
        return 0.0, v.chassis.to_kernel().mass_eff_kg
    axles = _driven(v)
    lim = traction_limit_n(v, st.acc, axles)
    if continuous:
        g, f, m = max(opts, key=lambda o: o[1])
        return min(f, lim), m
    allowed = [o for o in opts if o[0] >= st.gear] or opts  # upshifts only during a full-load run
    g, f, m = max(allowed, key=lambda o: min(o[1], lim))
    if st.gear >= 0 and g != st.gear:
        st.shift_end = st.t + SHIFT_TIME_S.get(v.transmission.kind, 0.15)
    st.gear = g
    if st.t < st.shift_end - 1e-9:
        f = 0.0
    return min(f, lim), m


# --- the forward simulation -----------------------------------------------------------------------

def _check(vehicle: Vehicle) -> None:
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")


def run(vehicle: Vehicle, v_from_kmh: float, *, v_to_kmh: float | None = None, distance_m: float | None = None,
        dt_s: float = DT_S, t_max_s: float = T_MAX_S) -> dict:
    """Full-load run from ``v_from_kmh`` until ``v_to_kmh`` or ``distance_m``; returns the time and traces.

    A standing start (v_from = 0) uses launch control (BEV overboost). The result has ``time_s`` (nan if the
    target is not reached) and arrays ``t``, ``speed_mps``, ``distance_m``, ``gear`` (samples) and
    ``force_n`` (the tractive force over each step).
    """
    _check(vehicle)
    ch = vehicle.chassis.to_kernel()
    v = v_from_kmh / 3.6
    st = _State(launch=v_from_kmh == 0.0)
    x = 0.0
    ts, vs, xs, gs, fs = [0.0], [v], [0.0], [0], []
    result = math.nan
    n_steps = int(t_max_s / dt_s)
    for _ in range(n_steps):
        f, m_eff = _force(vehicle, v, st)
        # weight transfer uses the previous step's acceleration (st.acc)
        rl = float(road_load_force_n(ch, v)) if (v > 0 or f > ch.c0_n) else 0.0
        acc = (f - rl) / m_eff
        st.acc = acc
        fs.append(f)
        v_new = max(v + acc * dt_s, 0.0)
        x_new = x + 0.5 * (v + v_new) * dt_s
        t_new = st.t + dt_s
        if v_to_kmh is not None and v_new >= v_to_kmh / 3.6:
            result = st.t + (v_to_kmh / 3.6 - v) / (v_new - v) * dt_s
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
        if acc <= 0.0 and st.t > st.shift_end + 1.0 and v > 0:
            break  # the car no longer accelerates: the target is out of reach
    return {"time_s": result, "t": np.array(ts), "speed_mps": np.array(vs), "distance_m": np.array(xs),
            "gear": np.array(gs), "force_n": np.array(fs)}


def acceleration(vehicle: Vehicle, v_from_kmh: float, v_to_kmh: float) -> float:
    """Time to accelerate at full load from ``v_from_kmh`` to ``v_to_kmh`` (nan if never reached). [s]"""
    if not 0.0 <= v_from_kmh < v_to_kmh:
        raise ValueError(f"v_from_kmh = {v_from_kmh}, v_to_kmh = {v_to_kmh}: need 0 <= v_from < v_to")
    return float(run(vehicle, v_from_kmh, v_to_kmh=v_to_kmh)["time_s"])


def top_speed(vehicle: Vehicle) -> float:
    """Highest steady speed: continuous tractive force = road load, within every speed limit. [km/h]"""
    _check(vehicle)
    ch = vehicle.chassis.to_kernel()

    def surplus(spd: float) -> float:
        f, _ = _force(vehicle, spd, _State(), continuous=True)
        return f - float(road_load_force_n(ch, spd))

    step = 1.0 / 3.6
    spd = step
    if surplus(spd) <= 0:
        return 0.0
    while spd < 500 / 3.6:
        if surplus(spd + step) <= 0:
            lo, hi = spd, spd + step
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if surplus(mid) > 0:
                    lo = mid
                else:
                    hi = mid
            return lo * 3.6
        spd += step
    return spd * 3.6


def summary(vehicle: Vehicle) -> dict:
    """Headline performance figures (s, km/h); ``accel_0_200_s`` only when the car reaches 200 km/h."""
    vmax = top_speed(vehicle)
    out = {
        "vehicle": vehicle.id,
        "accel_0_100_s": acceleration(vehicle, 0.0, 100.0),
        "accel_80_120_s": acceleration(vehicle, 80.0, 120.0) if vmax > 120 else math.nan,
        "quarter_mile_s": float(run(vehicle, 0.0, distance_m=QUARTER_MILE_M)["time_s"]),
        "top_speed_kmh": vmax,
    }
    if vmax > 200.0:
        out["accel_0_200_s"] = acceleration(vehicle, 0.0, 200.0)
    return out
