"""WLTP as UN GTR 15 runs it: vehicle class, downscaling, test mass, per-phase and combined results.

Conventional cars and non-plug-in hybrids (NOVC-HEV) are simulated here; plug-in hybrids go to
:func:`hybridsim.procedures.phev.wltp_ovc` and battery-electric cars to
:func:`hybridsim.procedures.bev.wltp_bev`, both with the test vehicle (at the test mass) and the class
cycle (downscaled where the GTR requires it) built here.

Status tags: S sourced, S* secondary source (here the JRC ``wltp`` package, JRCSTU/wltp @ 09bc9935 /
0300eeaa, which implements GTR 15 and carries its tables), M from the regulation as recalled (not
re-verified against the GTR text offline), E our choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..cycles import Cycle, load_cycle
from ..results import summarize
from ..simulate import simulate
from ..units import KMH_PER_MPS, W_PER_KW
from ..vehicle import Vehicle
from ._common import (
    DRIVER_MASS_KG,
    copy_summary,
    is_electric,
    is_plugin,
    phase_results,
    procedure_test_vehicle,
    rated_power_kw,
    road_load_kmh,
)

WLTP_SOAK_TEMP_C = 23.0  # GTR 15 Annex 6 §1.2.2: soak and test at 23 °C (M)

# ------------------------------------------------------------------ vehicle class (GTR 15 Annex 1 §2)

#: PMR class limits [W/kg] (S*: JRC wltp ``pmr_limits``; M: GTR 15 Annex 1 §2):
#: class 1 PMR ≤ 22, class 2 22 < PMR ≤ 34, class 3 PMR > 34.
PMR_CLASS1_MAX = 22.0
PMR_CLASS2_MAX = 34.0
#: Class 3 is split by the maximum vehicle speed: 3a v_max < 120 km/h, 3b v_max ≥ 120 km/h (S*, M).
VMAX_CLASS3B_MIN_KMH = 120.0


def power_to_mass_ratio(rated_power_kw: float, unladen_mass_kg: float) -> float:
    """PMR = rated power / unladen mass. [W/kg]

    GTR 15 Annex 1 §2 (S*: JRC wltp glossary "PMR: the rated_power / unladen_mass", unladen mass = "the
    weight of the vehicle in running order minus the mass of the driver", i.e. our curb mass
    ``chassis.mass_kg``). Later texts (EU 2017/1151 Sub-Annex 1; M) divide by the mass in running order
    (with the 75 kg driver) instead; the two differ by ≈ 4–5 % and only matter within that distance of the
    22 and 34 W/kg limits, which no shipped vehicle is near.
    """
    if unladen_mass_kg <= 0:
        raise ValueError(f"unladen mass = {unladen_mass_kg}: out of range, allowed > 0 kg")
    return rated_power_kw * W_PER_KW / unladen_mass_kg


def wltc_class(pmr_w_per_kg: float, v_max_kmh: float) -> str:
    """WLTC class ``"class1"``, ``"class2"``, ``"class3a"`` or ``"class3b"`` (GTR 15 Annex 1 §2)."""
    if pmr_w_per_kg <= PMR_CLASS1_MAX:
        return "class1"
    if pmr_w_per_kg <= PMR_CLASS2_MAX:
        return "class2"
    return "class3b" if v_max_kmh >= VMAX_CLASS3B_MIN_KMH else "class3a"


# ------------------------------------------------------------------ downscaling (GTR 15 Annex 1 §8)


@dataclass(frozen=True)
class Downscale:
    """Downscaling data of one class (GTR 15 Annex 1 §8; values S*: JRC wltp ``class_data``)."""

    t_start_s: int  # start of the downscaled acceleration
    t_tip_s: int  # speed peak: end of acceleration, start of deceleration
    t_end_s: int  # end of the downscaled deceleration (speed unchanged there)
    t_ref_s: int  # reference point of the required-power ratio
    v_ref_kmh: float
    a_ref_mps2: float
    r0: float  # f_dsc = a1·r_max + b1 if r_max ≥ r0, else 0
    a1: float
    b1: float


DOWNSCALE: dict[str, Downscale] = {
    "class1": Downscale(651, 848, 907, 764, 61.4, 0.22, 0.978, 0.680, -0.665),
    "class2": Downscale(1520, 1725, 1743, 1574, 109.9, 0.36, 0.866, 0.606, -0.525),
    "class3a": Downscale(1533, 1724, 1762, 1566, 111.9, 0.50, 0.867, 0.588, -0.510),
    "class3b": Downscale(1533, 1724, 1762, 1566, 111.9, 0.50, 0.867, 0.588, -0.510),
}
DOWNSCALE_THRESHOLD = 0.01  # GTR 15 Annex 1 §8.3: f_dsc ≤ 0.01 → no downscaling (S*, M)
ROTATIONAL_MASS_FACTOR = 1.03  # the 1.03·TM inertia term of the required power (S*: JRC f_inertial, M)


def downscale_factor(rated_power_kw: float, test_mass_kg: float, f0_n: float, f1_n_per_kmh: float,
                     f2_n_per_kmh2: float, wclass: str) -> float:
    """Downscaling factor f_dsc of GTR 15 Annex 1 §8.3 (0 = the cycle is driven as it is).

    ``P_req,max = (f0·v + f1·v² + f2·v³ + 1.03·TM·v·a) / 3600`` [kW] at the class's reference point
    (v km/h, a m/s²), ``r_max = P_req,max / P_rated``; ``f_dsc = a1·r_max + b1`` if ``r_max ≥ r0``, else 0;
    rounded to 3 decimals, and set to 0 if ≤ 0.01.
    """
    d = DOWNSCALE[wclass]
    v, a = d.v_ref_kmh, d.a_ref_mps2
    p_req_kw = (f0_n * v + f1_n_per_kmh * v**2 + f2_n_per_kmh2 * v**3
                + ROTATIONAL_MASS_FACTOR * test_mass_kg * v * a) / 3600.0
    r_max = p_req_kw / rated_power_kw
    f = d.a1 * r_max + d.b1 if r_max >= d.r0 else 0.0
    f = round(f, 3)
    return 0.0 if f <= DOWNSCALE_THRESHOLD else f


def downscale_cycle(cycle: Cycle, f_dsc: float, wclass: str) -> Cycle:
    """The class cycle with its downscaling section rescaled by ``f_dsc`` (GTR 15 Annex 1 §8.2).

    Acceleration (t_start … t_tip): ``v_dsc[i+1] = v_dsc[i] + (v[i+1] − v[i])·(1 − f_dsc)``; deceleration
    (t_tip … t_end): ``v_dsc[i] = v_dsc[i−1] + (v[i] − v[i−1])·f_corr`` with
    ``f_corr = (v_dsc[t_tip] − v[t_end]) / (v[t_tip] − v[t_end])``, so the speed at t_end is unchanged.
    Written in closed form (the recursions telescope); speeds rounded to 0.1 km/h as the GTR tables are.
    Needs the 1 Hz class cycle.
    """
    if f_dsc <= 0:
        return cycle
    d = DOWNSCALE[wclass]
    t = cycle.time_s
    if t.size <= d.t_end_s or not np.allclose(t[: d.t_end_s + 1], np.arange(d.t_end_s + 1)):
        raise ValueError(f"cycle {cycle.name!r}: downscaling needs the 1 Hz WLTC {wclass} starting at 0 s")
    v = cycle.speed_mps * KMH_PER_MPS
    w = v.copy()
    up = slice(d.t_start_s, d.t_tip_s + 1)
    w[up] = v[d.t_start_s] + (1.0 - f_dsc) * (v[up] - v[d.t_start_s])
    f_corr = (w[d.t_tip_s] - v[d.t_end_s]) / (v[d.t_tip_s] - v[d.t_end_s])
    dn = slice(d.t_tip_s + 1, d.t_end_s + 1)
    w[dn] = v[d.t_end_s] + f_corr * (v[dn] - v[d.t_end_s])
    w = np.round(w, 1)
    return Cycle(name=f"{cycle.name}_dsc{f_dsc:.3f}", time_s=t, speed_mps=w / KMH_PER_MPS, grade=cycle.grade,
                 phases=cycle.phases, source=f"{cycle.source} (downscaled, f_dsc = {f_dsc:.3f})")


# ------------------------------------------------------------------ test mass (GTR 15 §3.2, Annex 4 §4.2.1)

#: Share of the maximum vehicle load in the test mass (M): 15 % for category 1 (M1, passenger cars),
#: 28 % for category 2 (N1, vans). It depends on the vehicle category, not on the WLTC class.
PAYLOAD_SHARE = {"M1": 0.15, "N1": 0.28}
#: Mass added to the mass in running order for the test (M: GTR 15 Annex 4: MRO + 25 kg + M_opt + load share).
TEST_MASS_ADDITION_KG = 25.0
#: E, used when the vehicle file gives no technically permissible maximum laden mass: laden mass − curb
#: mass ≈ 500 kg (five occupants × 75 kg + ≈ 125 kg luggage; for scale the Tank 300 HEV's GVM − curb is
#: 2,725 − 2,313 = 412 kg, vehicles.md §2.1). Gives a maximum vehicle load of 400 kg, a 60 kg share.
LADEN_MINUS_CURB_ESTIMATE_KG = 500.0


def wltp_test_mass_kg(vehicle: Vehicle, *, category: str = "M1", max_laden_mass_kg: float | None = None) -> dict:
    """WLTP test mass TM = MRO + 25 kg + M_opt + φ·(LM − MRO − 25 kg − M_opt). [kg]

    GTR 15 §3.2 definitions and Annex 4 (M): MRO = mass in running order (with the 75 kg driver; our
    ``chassis.mass_kg`` is the curb mass without driver, so MRO = curb + 75 kg), M_opt = optional equipment
    (0: the files describe one configuration), LM = technically permissible maximum laden mass,
    φ = 0.15 (M1) or 0.28 (N1). LM is, in this order: the ``max_laden_mass_kg`` argument, the vehicle
    file's ``chassis.max_laden_mass_kg`` (the GVM / "maximum authorised mass" of the registration papers,
    with its source in the file), else the estimate LM = curb + 500 kg (E,
    :data:`LADEN_MINUS_CURB_ESTIMATE_KG`).

    Returns a dict: ``test_mass_kg``, ``mass_in_running_order_kg``, ``max_laden_mass_kg``,
    ``max_vehicle_load_kg``, ``payload_share``, ``laden_mass_source`` ("argument", "vehicle file
    (chassis.max_laden_mass_kg)" or "estimate (curb + 500 kg)").
    """
    if category not in PAYLOAD_SHARE:
        raise ValueError(f"category = {category!r}: must be one of {', '.join(PAYLOAD_SHARE)}")
    mro = vehicle.chassis.mass_kg + DRIVER_MASS_KG
    source = "argument"
    if max_laden_mass_kg is None:
        max_laden_mass_kg = vehicle.chassis.max_laden_mass_kg
        source = "vehicle file (chassis.max_laden_mass_kg)"
    if max_laden_mass_kg is None:
        max_laden_mass_kg = vehicle.chassis.mass_kg + LADEN_MINUS_CURB_ESTIMATE_KG
        source = f"estimate (curb + {LADEN_MINUS_CURB_ESTIMATE_KG:.0f} kg)"
    load = float(max_laden_mass_kg) - mro - TEST_MASS_ADDITION_KG
    if load < 0:
        raise ValueError(f"max_laden_mass_kg = {max_laden_mass_kg}: out of range, allowed ≥ mass in running "
                         f"order + 25 kg = {mro + TEST_MASS_ADDITION_KG:.0f} kg ({vehicle.id!r})")
    phi = PAYLOAD_SHARE[category]
    return {
        "test_mass_kg": mro + TEST_MASS_ADDITION_KG + phi * load,
        "mass_in_running_order_kg": mro,
        "max_laden_mass_kg": float(max_laden_mass_kg),
        "max_vehicle_load_kg": load,
        "payload_share": phi,
        "laden_mass_source": source,
    }


# ------------------------------------------------------------------ max speed for the class 3a/3b split


def _max_speed_kmh(vehicle: Vehicle) -> tuple[float, str]:
    """Maximum vehicle speed and where it came from.

    ``hybridsim.performance.top_speed`` when that module is available; otherwise (E) the speed at which
    the road load at the test mass takes 85 % of the rated power (a driveline efficiency of 0.85).
    """
    try:
        from .. import performance

        return float(performance.top_speed(vehicle)), "performance.top_speed"
    except (ImportError, AttributeError):
        pass
    from scipy.optimize import brentq

    f0, f1, f2 = road_load_kmh(vehicle)
    p_w = 0.85 * rated_power_kw(vehicle) * W_PER_KW

    def surplus_w(v_kmh: float) -> float:  # road-load power (increasing in speed) minus the power available
        return (f0 + f1 * v_kmh + f2 * v_kmh * v_kmh) * v_kmh / KMH_PER_MPS - p_w

    lo, hi = 1.0, 500.0
    if surplus_w(lo) >= 0:
        return lo, "road-load estimate (85 % of rated power)"
    if surplus_w(hi) < 0:
        return hi, "road-load estimate (85 % of rated power; beyond 500 km/h, capped)"
    return float(brentq(surplus_w, lo, hi, xtol=1e-9)), "road-load estimate (85 % of rated power)"


# ------------------------------------------------------------------ RCB correction (GTR 15 Annex 8 App. 2)

#: Thresholds of the REESS-energy-change correction criterion ``c = |ΔE_REESS| / E_fuel`` by the cycle driven
#: (M: GTR 15 Annex 8 Appendix 2 Table A8.App2/1 as recalled, not re-verified offline; components.md §5.6
#: gives only "tighter for longer cycles, ≈ 0.5–1.5 %"): low + medium (the class 1 cycle, whose third phase
#: is a repeat of low) 0.015; low + medium + high (class 2/3 without the extra-high phase) 0.01;
#: low + medium + high + extra high (class 2/3) 0.005.
RCB_THRESHOLDS = {"low+medium": 0.015, "low+medium+high": 0.01, "low+medium+high+extra_high": 0.005}


def rcb_threshold(wclass: str, phases: tuple[str, ...] | list[str] = ()) -> float:
    """RCB criterion threshold of a WLTC class (:data:`RCB_THRESHOLDS`); ``phases`` (the cycle's phase
    names) decide for class 2/3 whether the extra-high phase was driven (default: yes)."""
    if wclass == "class1":
        return RCB_THRESHOLDS["low+medium"]
    if wclass in ("class2", "class3a", "class3b"):
        if phases and "extra_high" not in phases:
            return RCB_THRESHOLDS["low+medium+high"]
        return RCB_THRESHOLDS["low+medium+high+extra_high"]
    raise ValueError(f"WLTC class = {wclass!r}: must be one of class1, class2, class3a, class3b")


def rcb_criterion(ds, nominal_voltage_v: float) -> float:
    """c = ΔE_REESS / E_fuel of a run (signed here: > 0 the battery was depleted, < 0 charged). [-]

    GTR 15 Annex 6 Appendix 2 / Annex 8 Appendix 2 (M): ΔE_REESS = ΔAh × U_REESS (the charge balance
    times the *nominal* voltage, not the terminal energy), E_fuel = heating value × fuel consumed. Here
    ΔAh from the battery current of the Dataset and E_fuel from the fuel mass × LHV.
    """
    t = ds["time"].values
    dt = np.diff(t)
    e_batt = float(np.sum(ds["battery_current"].values[1:] * dt)) * nominal_voltage_v
    e_fuel = float(np.sum(ds["fuel_rate"].values[1:] * dt)) * float(ds.attrs["fuel_lhv_j_per_kg"])
    return e_batt / e_fuel if e_fuel > 0 else math.nan


# ------------------------------------------------------------------ the procedure


def wltp_setup(vehicle: Vehicle, *, v_max_kmh: float | None = None, category: str = "M1",
               max_laden_mass_kg: float | None = None) -> tuple[Vehicle, Cycle, dict]:
    """Test vehicle (at the WLTP test mass), class cycle (downscaled if required) and the set-up figures."""
    tm = wltp_test_mass_kg(vehicle, category=category, max_laden_mass_kg=max_laden_mass_kg)
    # GTR 15: the road load of the vehicle at TM; a file's [test_conditions.wltp] (TM_L/TM_H with its road load)
    # is used as it is
    test, rl_info = procedure_test_vehicle(vehicle, "wltp", tm["test_mass_kg"])
    tm["test_mass_kg"] = rl_info["test_mass_kg"]
    p_rated = rated_power_kw(vehicle)
    pmr = power_to_mass_ratio(p_rated, vehicle.chassis.mass_kg)
    if v_max_kmh is None:
        v_max_kmh, v_src = _max_speed_kmh(test)
    else:
        v_src = "argument"
    wclass = wltc_class(pmr, v_max_kmh)
    f0, f1, f2 = road_load_kmh(test)
    f_dsc = downscale_factor(p_rated, tm["test_mass_kg"], f0, f1, f2, wclass)
    cycle = downscale_cycle(load_cycle(f"wltc_{wclass}"), f_dsc, wclass)
    info = {
        **tm,
        "rated_power_kw": p_rated,
        "pmr_w_per_kg": pmr,
        "v_max_kmh": v_max_kmh,
        "v_max_source": v_src,
        "wltc_class": wclass,
        "downscale_factor": f_dsc,
        "cycle": cycle.name,
        **rl_info,
    }
    return test, cycle, info


def wltp(vehicle: Vehicle, *, v_max_kmh: float | None = None, category: str = "M1",
         max_laden_mass_kg: float | None = None, cold_start: bool | None = None,
         soak_temp_c: float = WLTP_SOAK_TEMP_C, uf_table: str = "EU") -> dict:
    """WLTP result (UN GTR 15): class, test mass, per-phase and combined consumption.

    * Class from PMR and v_max (Annex 1 §2; ``v_max_kmh`` overrides the simulated top speed), cycle
      downscaled if required (Annex 1 §8), test mass with the payload share (see :func:`wltp_test_mass_kg`;
      ``max_laden_mass_kg`` overrides the file's value or estimate), the vehicle's road load at the test
      mass (:func:`hybridsim.procedures._common.with_test_mass`).
    * Cold start after a soak at 23 °C for every architecture with an engine (the engine warm-up model,
      ``core/thermal.py``). ``cold_start=False`` runs hot (not the regulation; for comparison); plug-ins
      take it too. ``uf_table``: the plug-ins' utility
      factor table (:data:`hybridsim.procedures.phev.UF_TABLES`).
    * NOVC-HEV: the combined fuel is charge-balanced (the initial SOC is iterated to a balanced run, else
      fuel is interpolated to zero net battery energy — the K-factor method of Annex 8 App. 2). The RCB
      criterion of the reported run, its threshold by class (:func:`rcb_threshold`; the correction is
      required when the battery was depleted by more than the threshold), and the correction applied are
      reported
      (``rcb_criterion``, ``rcb_threshold``, ``rcb_correction_required``, ``rcb_correction_l_per_100km``).
      Per-phase figures are raw (the battery is not balanced within a phase).
    * Plug-ins: :func:`hybridsim.procedures.phev.wltp_ovc`; BEVs: :func:`hybridsim.procedures.bev.wltp_bev`
      (their keys are merged into the result).

    Returns a dict; for conventional cars and NOVC-HEVs it holds ``fuel_l_per_100km`` (combined).
    """
    test, cycle, info = wltp_setup(vehicle, v_max_kmh=v_max_kmh, category=category,
                                   max_laden_mass_kg=max_laden_mass_kg)
    out = {"procedure": "WLTP (UN GTR 15)", "vehicle": vehicle.id, **info}
    if is_plugin(vehicle):
        from . import phev

        out["procedure"] = "WLTP OVC-HEV (UN GTR 15 Annex 8)"
        kw = {} if cold_start is None else {"cold_start": bool(cold_start)}
        out.update(phev.wltp_ovc(test, cycle, uf_table=uf_table, soak_temp_c=soak_temp_c, **kw))
        return out
    if is_electric(vehicle):
        from . import bev

        out["procedure"] = "WLTP PEV (UN GTR 15 Annex 8)"
        out.update(bev.wltp_bev(test, cycle))
        return out
    if cold_start is None:
        cold_start = True  # the regulation's cold start (every engine has the warm-up model)
    ds = simulate(test, cycle, cold_start=cold_start, ambient_temp_c=soak_temp_c)
    s = summarize(ds)
    out.update({"cold_start": bool(cold_start), "soak_temp_c": soak_temp_c if cold_start else None})
    out.update(copy_summary(s))
    out["phases"] = phase_results(ds, cycle)
    if "fuel_raw_l_per_100km" in s:
        c = rcb_criterion(ds, vehicle.battery.nominal_voltage_v)
        threshold = rcb_threshold(info["wltc_class"], [p.name for p in cycle.phases])
        out.update({
            "rcb_criterion": c,
            "rcb_threshold": threshold,
            "rcb_correction_required": bool(c > threshold),
            "rcb_correction_l_per_100km": s["fuel_l_per_100km"] - s["fuel_raw_l_per_100km"],
        })
    return out
