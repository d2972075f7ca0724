"""Gears of a manual gearbox as the test procedure prescribes them: plain numpy at the boundary.

A manual car's gear at each second depends on the cycle and the vehicle only (not on the simulation), so it
is computed here, before the run, and passed to the conventional kernel as an array (``gear_plan``: gear
number per time step, 1 = first, 0 = clutch disengaged / neutral, the engine idling). Three rules:

* **WLTC** (any ``wltc_*`` cycle, downscaled or not): the gear-shift calculation of UN GTR 15 Annex 2 [R0],
  :func:`wltp_gears`; checked against the JRC reference implementation [J4] (``tests/test_gearshift.py``).
* **NEDC**: the fixed shift speeds of UN R83 Annex 4a Appendix 1 [R7] (= R101 [R8] via its Annex 6/7 reference
  to R83), :func:`nedc_gears`.
* **any other cycle** (FTP-75, HWFET, Artemis…): the same Annex 2 calculation applied to that trace
  (:func:`wltp_gears`): an engine-speed and power-reserve rule — the highest gear whose engine speed lies
  between the minimum drive speed ``n_min_drive`` and ``n_max`` and whose full-load power less a 10 % margin
  covers the power the trace asks for; upshift as soon as the next gear qualifies, downshift when the
  current one drops below ``n_min_drive`` or runs out of power. It is a published, vehicle-independent
  driver model, used here as the default for traces that prescribe no gears (a choice, said so).

Time alignment: the GTR gear at second j is the gear engaged for the interval j → j+1 (its power demand uses
``a_j = (v_{j+1} − v_j)/Δt``); the kernel's step k covers the interval k−1 → k, so ``plan[k] = gear[k−1]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .units import KMH_PER_MPS

RPM_PER_RAD_S = 30.0 / math.pi

#: GTR 15 Annex 2 §3.1 (M): kr, the factor on the inertial power for the drivetrain's rotating inertia
#: (1.03 in the consolidated text, Amendment 4 on; the 2014 original used 1.1).
KR = 1.03
#: Annex 2 §3.4 (M): safety margin on the full-load power, P_available = P_wot·(1 − SM). [-]
SAFETY_MARGIN = 0.10
#: Annex 2 §2(k) (M): n_min_drive for gears ≥ 3 = n_idle + 0.125·(n_rated − n_idle).
N_MIN_DRIVE_SHARE = 0.125
#: Annex 2 §2(k)(ii) (M): n_min_drive for 2nd gear in the 2014 text = 0.9·n_idle (the JRC reference code's
#: ``f_n_min_gear2``); the consolidated text has 1.15·n_idle on the 1→2 upshift. The 2014 value is used.
N_MIN_GEAR2_SHARE = 0.9
#: Annex 2 §2(i) (M, 2014 text): n_max = n_idle + 1.2·(n_rated − n_idle), the top gear exempt.
N_MAX_SHARE = 1.2
#: Annex 1 §1 / Annex 2 §4(a) (M): below this speed the vehicle stands still (clutch disengaged). [km/h]
V_STOP_KMH = 1.0


@dataclass(frozen=True)
class GearshiftInputs:
    """What Annex 2 needs of the vehicle (its §2 list), in the regulation's units."""

    ndv_rpm_per_kmh: np.ndarray  # engine speed / vehicle speed in each gear, 1st first [rpm/(km/h)]
    n_idle_rpm: float
    n_rated_rpm: float
    p_rated_kw: float
    wot_speed_rpm: np.ndarray  # full-load power curve [rpm]
    wot_power_kw: np.ndarray  # [kW]
    test_mass_kg: float
    f0_n: float
    f1_n_per_kmh: float
    f2_n_per_kmh2: float


def inputs_from_vehicle(vehicle) -> GearshiftInputs:
    """Annex 2 inputs from a conventional vehicle: ratios through the wheel radius, the engine's full-load
    curve (rated speed = the speed of peak power on it), test mass and road load = the chassis's simulated
    mass and coefficients (a procedure passes its test vehicle)."""
    tr = vehicle.transmission
    ch = vehicle.chassis
    r = ch.wheel_radius_m
    ndv = np.asarray(tr.gear_ratios, float) * tr.final_drive_ratio / r * RPM_PER_RAD_S / KMH_PER_MPS
    m = vehicle.engine.data()
    n = np.asarray(m.speed_rad_s, float) * RPM_PER_RAD_S
    p = np.asarray(m.speed_rad_s, float) * np.asarray(m.wot_nm, float) / 1e3
    k = int(np.argmax(p))
    f0, f1, f2 = ch.road_load_coefficients()
    return GearshiftInputs(ndv, float(vehicle.engine.idle_speed_rpm), float(n[k]), float(p[k]), n, p,
                           float(ch.sim_mass_kg), float(f0), float(f1) / KMH_PER_MPS,
                           float(f2) / KMH_PER_MPS**2)


def required_power_kw(v_kmh: np.ndarray, dt_s: np.ndarray | float, g: GearshiftInputs, kr: float = KR) -> np.ndarray:
    """Annex 2 §3.1: P_req,j = (f0·v + f1·v² + f2·v³)/3600 + kr·a_j·v·TM/3600, a_j = (v_{j+1} − v_j)/(3.6·Δt_j),
    v in km/h, forces in N; the last second has a = 0. ``dt_s``: a scalar or Δt_j = t_{j+1} − t_j per sample. [kW]"""
    v = np.asarray(v_kmh, float)
    a = np.zeros_like(v)
    dt = np.broadcast_to(np.asarray(dt_s, float), v.shape)
    a[:-1] = np.diff(v) / KMH_PER_MPS / dt[:-1]
    return (g.f0_n * v + g.f1_n_per_kmh * v**2 + g.f2_n_per_kmh2 * v**3 + kr * a * v * g.test_mass_kg) / 3600.0


def initial_gears(v_kmh, dt_s, g: GearshiftInputs, *, kr: float = KR, safety_margin: float = SAFETY_MARGIN,
                  n_min_share: float = N_MIN_DRIVE_SHARE, n_min_gear2_share: float = N_MIN_GEAR2_SHARE,
                  n_max_share: float = N_MAX_SHARE) -> np.ndarray:
    """Annex 2 §3.2–3.5: the highest possible gear at each second (0 when standing, v < 1 km/h).

    Gear i is possible when n_i = ndv_i·v lies in [n_min_drive,i, n_max] (1st gear: any speed, the clutch
    slips below idle; 2nd: n ≥ n_min_gear2_share·n_idle; ≥ 3rd: n ≥ n_idle + n_min_share·(n_rated − n_idle);
    n_max = n_idle + n_max_share·(n_rated − n_idle), the top gear exempt) and the available power
    P_wot(max(n_i, n_idle))·(1 − SM) covers P_req. If no gear qualifies, the lowest gear within n_max.
    """
    v = np.asarray(v_kmh, float)
    p_req = required_power_kw(v, dt_s, g, kr)
    ng = g.ndv_rpm_per_kmh.size
    n = g.ndv_rpm_per_kmh[:, None] * v[None, :]
    rng = g.n_rated_rpm - g.n_idle_rpm
    n_min = np.full(ng, g.n_idle_rpm + n_min_share * rng)
    n_min[0] = -np.inf
    if ng > 1:
        n_min[1] = n_min_gear2_share * g.n_idle_rpm
    n_max = np.full(ng, g.n_idle_rpm + n_max_share * rng)
    n_max[-1] = np.inf
    p_av = np.interp(np.maximum(n, g.n_idle_rpm), g.wot_speed_rpm, g.wot_power_kw) * (1.0 - safety_margin)
    ok = (n >= n_min[:, None]) & (n <= n_max[:, None]) & (p_av >= p_req[None, :])
    gear = np.zeros(v.size, dtype=np.int64)
    for i in range(ng):
        gear[ok[i]] = i + 1
    none = gear == 0
    if none.any():  # no gear has the power: the lowest gear the speed allows
        within = n <= n_max[:, None]
        first = np.argmax(within, axis=0) + 1
        gear[none] = first[none]
    gear[v < V_STOP_KMH] = 0
    return gear


def apply_corrections(gear: np.ndarray, v_kmh) -> np.ndarray:
    """Annex 2 §4 corrections (a subset, each a rule of the regulation's text; the rest is left out):

    * (a) 1st gear in the last standing second before moving off;
    * (b) no gear skipped during an acceleration (one upshift per second at most);
    * (c) on a deceleration to standstill, 1st gear is not used: the clutch is disengaged (gear 0);
    * (e) an upshift followed by a downshift back within 5 s is cancelled (the lower gear is kept).
    """
    g = np.asarray(gear, dtype=np.int64).copy()
    v = np.asarray(v_kmh, float)
    n = g.size
    a = np.zeros(n)
    a[:-1] = np.diff(v)
    for _ in range(2):
        # (b) during an acceleration upshift by one gear at a time
        for t in range(1, n):
            if a[t - 1] > 0 and g[t - 1] > 0 and g[t] > g[t - 1] + 1:
                g[t] = g[t - 1] + 1
        # (e) short upshift episodes
        t = 1
        while t < n:
            if g[t] > g[t - 1] > 0:
                lo = g[t - 1]
                e = t
                while e < n and g[e] > lo and e - t < 5:
                    e += 1
                if e < n and e - t <= 5 and 0 < g[e] <= lo and e > t:
                    g[t:e] = lo
                t = e if e > t else t + 1
            else:
                t += 1
    # (c) decelerating to a stop: 1st gear replaced by a disengaged clutch
    for t in range(n - 2, -1, -1):
        if g[t] == 1 and a[t] < 0 and g[t + 1] == 0:
            g[t] = 0
    # (a) 1st gear in the second before moving off
    for t in range(n - 1):
        if g[t] == 0 and g[t + 1] > 0 and v[t] < V_STOP_KMH:
            g[t] = 1
    return g


def wltp_gears(v_kmh, dt_s, inputs: GearshiftInputs, **kw) -> np.ndarray:
    """GTR 15 Annex 2 gear per second (0 = clutch disengaged): :func:`initial_gears` then
    :func:`apply_corrections`. ``kw`` are the parameters of :func:`initial_gears`."""
    return apply_corrections(initial_gears(v_kmh, dt_s, inputs, **kw), v_kmh)


#: UN R83 Annex 4a Appendix 1 (= Table 1 of the elementary urban cycle and Table 2 of the extra-urban cycle),
#: manual gearbox with 5 gears (M): accelerations change up at 15, 35 (ECE: 32 km/h is the end of the 2nd
#: gear acceleration), 50 and 70 km/h; steady 70, 100, 120 km/h in 5th, 50 km/h in 4th in the extra-urban
#: part and in 3rd in the urban part; a constant-speed stretch followed by an acceleration (the gear-change
#: seconds, a cruise before speeding up) takes the gear of that acceleration; decelerations keep the gear
#: of the preceding section, except the urban 35 → 10 km/h in 2nd; the clutch is disengaged below 10 km/h
#: in the urban part and from 50 km/h to the stop at the end of the extra-urban part.
NEDC_UPSHIFT_KMH = (15.0, 35.0, 50.0, 70.0)
NEDC_EUDC_START_S = 780.0


def nedc_gears(time_s, v_kmh, n_gears: int) -> np.ndarray:
    """R83 fixed-shift gear per second (0 = clutch disengaged) for a manual gearbox; gears above the box's
    top gear are its top gear, and a box with more than 5 gears uses the table's (5-gear) values (R83: extra
    gears only as the manufacturer recommends, which is not modelled)."""
    t = np.asarray(time_s, float)
    v = np.asarray(v_kmh, float)
    n = v.size
    g = np.zeros(n, dtype=np.int64)
    prev = 0
    for j in range(n):
        v_next = v[j + 1] if j + 1 < n else v[j]
        dv = v_next - v[j]
        eudc = t[j] >= NEDC_EUDC_START_S - 1e-9
        if dv > 0:  # accelerating over j → j+1: the band of the end speed
            gear = _accel_gear(v_next, eudc)
        elif dv == 0:
            nxt = _next_change(v, j)
            if v[j] < V_STOP_KMH:
                gear = 0
            elif nxt >= 0 and v[nxt + 1] > v[nxt]:
                gear = _accel_gear(v[nxt + 1], eudc)  # a gear-change plateau, or steady before an acceleration
            elif eudc and v[j] >= 70.0 - 1e-9:
                gear = 5
            else:
                gear = prev if prev > 0 else 1
        else:  # decelerating
            if (not eudc and v[j] <= 10.0 + 1e-9) or (eudc and v[j] <= 50.0 + 1e-9 and _decel_to_stop(v, j)):
                gear = 0
            elif not eudc and prev == 3 and v[j] <= 35.0 + 1e-9:
                gear = 2
            else:
                gear = prev if prev > 0 else 1
        g[j] = gear
        prev = gear
    return np.minimum(g, n_gears)


def _accel_gear(v_end, eudc):
    """R83 gear of an acceleration ending at v_end: 1st to 15, 2nd to 35, 3rd to 50, 4th to 70, then 5th (the
    urban part never goes above 3rd)."""
    gear = 1 + sum(v_end > s + 1e-9 for s in NEDC_UPSHIFT_KMH)
    return gear if eudc else min(gear, 3)


def _next_change(v, j):
    """First index k ≥ j where the speed changes over k → k+1, −1 if it never does."""
    for k in range(j, v.size - 1):
        if v[k + 1] != v[k]:
            return k
    return -1


def _decel_to_stop(v, j):
    """The deceleration through second j continues without a stop or acceleration down to standstill."""
    for k in range(j, v.size - 1):
        if v[k + 1] >= v[k]:
            return v[k] < V_STOP_KMH
    return True


def gear_plan(vehicle, cycle) -> np.ndarray:
    """Kernel gear plan (float64, one per time step; kernel convention: ``plan[k]`` is the gear of the
    interval k−1 → k, 0 = clutch disengaged) of a manual car on ``cycle``, by the procedure the cycle
    belongs to (module docstring)."""
    t = np.asarray(cycle.time_s, float)
    v = np.asarray(cycle.speed_mps, float) * KMH_PER_MPS
    dt = np.diff(t)
    dt = np.append(dt, dt[-1] if dt.size else 1.0)
    name = cycle.name.lower()
    if name.startswith("nedc"):
        gears = nedc_gears(t, v, vehicle.transmission.n_gears)
    else:
        gears = wltp_gears(v, dt, inputs_from_vehicle(vehicle))
    plan = np.zeros(t.size)
    plan[1:] = gears[:-1]
    return plan
