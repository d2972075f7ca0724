"""Test procedures for battery-electric vehicles: WLTP (UN GTR 15), NEDC (UN R101) and EPA (unadjusted).

The callers (``procedures.wltp/nedc/epa``) apply the regulation's test mass and cycle class first; the
functions here take that ``test_vehicle`` and the class-selected ``cycle``. Status tags: S sourced,
M regulation text as recalled (not re-verified here), E our choice.

Range: the **consecutive-cycle procedure** of GTR 15 Annex 8 §3.4.4.1 (M): from full charge (the battery's
``soc_max``), the cycle is driven again and again until the break-off criterion — the vehicle misses the
trace by more than the speed tolerance (2 km/h) for 4 s or more in a row (M: GTR 15 §3.4.4.1.3; the
same rule stands in for R101 Annex 9's "unable to meet the target curve" for NEDC). The range is the
distance up to the break-off point. Consumption at the wall (GTR 15 Annex 8 §4.3, R101 Annex 7 §4.3,
M): ``EC_AC = E_AC / range``, with E_AC the mains energy that recharges the battery to full after the test;
E_AC comes from the battery model (``recharge_energy_j``) at the on-board charger's power and
efficiency (``drive.charger_efficiency``). The DC figure is the battery terminal energy of the test
(the usable battery energy, UBE) over the range.

EPA (40 CFR 600 / SAE J1634, M): UDDS (the city test for EVs; ``procedures.epa`` passes the UDDS, as the
EPA test car list reports it) and HWFET, each from full charge,
consumption per cycle at the wall (recharge energy ÷ distance), combined 55 % city / 45 % highway on
energy per distance; unadjusted (raw lab) values, plus EPA's optional 0.7 derating (M: the "derived
5-cycle" adjustment many EVs use) for a label-like figure, and a range from the usable battery energy.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..architectures import get as architecture
from ..architectures import names
from ..cycles import Cycle
from ..errors import TraceMissWarning
from ..results import summarize
from ..simulate import _warn_trace_miss, recharge, simulate
from ..units import J_PER_KWH, KMH_PER_MPS, M_PER_KM
from ..vehicle import Vehicle

BREAK_OFF_SPEED_TOL_KMH = 2.0  # M: GTR 15 speed-trace tolerance
BREAK_OFF_TIME_S = 4.0  # M: GTR 15 Annex 8 §3.4.4.1.3, tolerance exceeded for ≥ 4 consecutive seconds
EPA_CITY_WEIGHT = 0.55  # S/M: EPA combined = 55 % city, 45 % highway
EPA_DERATING = 0.7  # M: EPA "derived 5-cycle" adjustment factor for EVs (optional method)
MAX_CYCLES = 500


def _check_bev(v: Vehicle) -> None:
    if not architecture(v.architecture).electric:
        raise ValueError(f"vehicle.architecture = {v.architecture!r}: BEV procedures need a pure electric "
                         f"architecture, allowed: {', '.join(names(lambda a: a.electric))}")


def recharge_energy_j(vehicle: Vehicle, soc_from: float, soc_to: float | None = None, *,
                      dt_s: float = 60.0) -> tuple[float, float]:
    """(battery terminal energy, wall energy) to charge from ``soc_from`` to ``soc_to`` (default soc_max): the
    charger run of :func:`hybridsim.simulate.recharge` (constant power at the on-board charger, battery by its
    Rint step). [J]"""
    return recharge(vehicle, soc_from, soc_to, dt_s=dt_s)


def wall_kwh_per_100km(vehicle: Vehicle, ds) -> float:
    """Consumption at the wall of a simulated BEV run: the mains energy that recharges the battery from the
    run's end SOC to its start SOC (``recharge_energy_j``) per 100 km. [kWh/100 km]"""
    _check_bev(vehicle)
    s = summarize(ds)
    _, wall_j = recharge_energy_j(vehicle, s["soc_end"], s["soc_start"])
    return wall_j / J_PER_KWH / s["distance_km"] * 100.0 if s["distance_km"] > 0 else math.nan


def _break_off(ds) -> tuple[int, int] | None:
    """(first, last) sample of the streak of trace misses beyond the tolerance that meets the break-off criterion
    (the last is where it is met), or None."""
    t = ds["time"].values
    miss = ds["trace_miss"].values * KMH_PER_MPS > BREAK_OFF_SPEED_TOL_KMH
    start = None
    for k in range(len(t)):
        if miss[k]:
            if start is None:
                start = k
            if t[k] - t[start] >= BREAK_OFF_TIME_S:
                return start, k
        else:
            start = None
    return None


def _break_off_index(ds) -> int | None:
    """Index of the sample at which the break-off criterion is met, or None."""
    b = _break_off(ds)
    return None if b is None else b[1]


def _distance_m(ds, k_end: int) -> float:
    t = ds["time"].values[: k_end + 1]
    v = ds["speed"].values[: k_end + 1]
    return float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(t)))


def _terminal_j(ds, k_end: int) -> float:
    t = ds["time"].values[: k_end + 1]
    return float(np.sum(ds["battery_power"].values[1: k_end + 1] * np.diff(t)))


def consecutive_cycle_range(test_vehicle: Vehicle, cycle: Cycle) -> dict:
    """Drive ``cycle`` repeatedly from full charge until the break-off criterion (see module docstring)."""
    _check_bev(test_vehicle)
    b = test_vehicle.battery
    soc = b.soc_max
    dist = 0.0
    e_term = 0.0
    first = None
    n_full = 0
    for _ in range(MAX_CYCLES):
        with warnings.catch_warnings():  # the break-off's own trace miss ends the test: warned below, without it
            warnings.simplefilter("ignore", TraceMissWarning)
            ds = simulate(test_vehicle, cycle, soc_init=soc, soc_balance=False)
        s = summarize(ds)
        if first is None:
            first = s
        streak = _break_off(ds)
        k = None if streak is None else streak[1]
        # a shortfall before the break-off's streak is the car's, not the empty battery's
        _warn_trace_miss(test_vehicle, cycle, ds["trace_miss"].values[: None if streak is None else streak[0]])
        if k is not None:
            dist += _distance_m(ds, k)
            e_term += _terminal_j(ds, k)
            soc = float(ds["soc"].values[k])
            break
        n_full += 1
        dist += s["distance_km"] * M_PER_KM
        e_term += _terminal_j(ds, len(ds["time"]) - 1)
        soc = float(ds["soc"].values[-1])
        if soc <= b.soc_min:
            break
    else:
        raise ValueError(f"cycle {cycle.name!r}: no break-off within {MAX_CYCLES} cycles (allowed: a cycle "
                         "that uses energy)")
    return {"distance_m": dist, "terminal_j": e_term, "soc_end": max(soc, b.soc_min), "full_cycles": n_full,
            "first": first}


def _range_result(test_vehicle: Vehicle, cycle: Cycle, procedure: str, method: str) -> dict:
    r = consecutive_cycle_range(test_vehicle, cycle)
    _, wall_j = recharge_energy_j(test_vehicle, r["soc_end"])
    km = r["distance_m"] / M_PER_KM
    first = r["first"]
    return {
        "procedure": procedure,
        "vehicle": test_vehicle.id,
        "cycle": cycle.name,
        "range_method": method,
        "range_km": km,
        "electricity_kwh_per_100km": wall_j / J_PER_KWH / km * 100.0,
        "electricity_dc_kwh_per_100km": r["terminal_j"] / J_PER_KWH / km * 100.0,
        "usable_battery_energy_kwh": r["terminal_j"] / J_PER_KWH,
        "recharge_energy_ac_kwh": wall_j / J_PER_KWH,
        "charger_efficiency": test_vehicle.drive.charger_efficiency,
        "full_cycles": r["full_cycles"],
        "first_cycle_dc_kwh_per_100km": first["electricity_kwh_per_100km"],
        "first_cycle_distance_km": first["distance_km"],
        "test_mass_kg": test_vehicle.chassis.sim_mass_kg,
        "energy_balance_rel_error": first["energy_balance_rel_error"],
        "trace_miss_max_kmh_first_cycle": first["trace_miss_max_kmh"],
    }


def wltp_bev(test_vehicle: Vehicle, cycle: Cycle) -> dict:
    """WLTP (GTR 15) range and consumption of a BEV: consecutive WLTCs from full charge to break-off.

    Keys: ``electricity_kwh_per_100km`` (at the wall), ``electricity_dc_kwh_per_100km`` (battery terminals),
    ``range_km``, ``range_method`` and the pieces (UBE, recharge energy, cycles driven).
    """
    return _range_result(test_vehicle, cycle, "WLTP (UN GTR 15 Annex 8, pure electric vehicle)",
                         "consecutive-cycle procedure to break-off (GTR 15 Annex 8 §3.4.4.1, M)")


def nedc_bev(test_vehicle: Vehicle, cycle: Cycle) -> dict:
    """NEDC (UN R101 Annexes 7 and 9) range and consumption of a BEV: same structure as :func:`wltp_bev`."""
    return _range_result(test_vehicle, cycle, "NEDC (UN R101 Annexes 7 and 9, pure electric vehicle)",
                         "consecutive NEDCs to break-off (R101 Annex 9, M; break-off rule as GTR 15)")


def _single_cycle(test_vehicle: Vehicle, cycle: Cycle) -> dict:
    ds = simulate(test_vehicle, cycle, soc_balance=False)
    s = summarize(ds)
    return {"distance_km": s["distance_km"], "dc_kwh_per_100km": s["electricity_kwh_per_100km"],
            "wall_kwh_per_100km": wall_kwh_per_100km(test_vehicle, ds),
            "energy_balance_rel_error": s["energy_balance_rel_error"],
            "trace_miss_max_kmh": s["trace_miss_max_kmh"]}


def epa_bev(test_vehicle: Vehicle, city_cycle: Cycle, hwfet_cycle: Cycle) -> dict:
    """EPA city (``city_cycle``: the UDDS) and highway (HWFET) consumption of a BEV, unadjusted, and the 55/45
    combination. ``city_cycle`` names the cycle run (key ``city_cycle``).

    Each cycle from full charge; wall energy = recharge to the start SOC; combined consumption
    = 0.55·city + 0.45·highway (per distance). Range (unadjusted) = usable battery energy (consecutive city
    cycles to break-off) / combined DC consumption; ``*_adjusted`` apply EPA's 0.7 derating (M).
    """
    _check_bev(test_vehicle)
    city = _single_cycle(test_vehicle, city_cycle)
    hwy = _single_cycle(test_vehicle, hwfet_cycle)
    w = EPA_CITY_WEIGHT
    comb_wall = w * city["wall_kwh_per_100km"] + (1 - w) * hwy["wall_kwh_per_100km"]
    comb_dc = w * city["dc_kwh_per_100km"] + (1 - w) * hwy["dc_kwh_per_100km"]
    ube = consecutive_cycle_range(test_vehicle, city_cycle)["terminal_j"]
    rng = ube / J_PER_KWH / comb_dc * 100.0 if comb_dc > 0 else math.inf
    return {
        "procedure": "EPA city/highway (40 CFR 600, SAE J1634; unadjusted), combined 55/45",
        "vehicle": test_vehicle.id,
        "test_mass_kg": test_vehicle.chassis.sim_mass_kg,
        "city_cycle": city_cycle.name,
        "city_kwh_per_100km": city["wall_kwh_per_100km"],
        "highway_kwh_per_100km": hwy["wall_kwh_per_100km"],
        "city_dc_kwh_per_100km": city["dc_kwh_per_100km"],
        "highway_dc_kwh_per_100km": hwy["dc_kwh_per_100km"],
        "electricity_kwh_per_100km": comb_wall,
        "electricity_dc_kwh_per_100km": comb_dc,
        "electricity_adjusted_kwh_per_100km": comb_wall / EPA_DERATING,
        "usable_battery_energy_kwh": ube / J_PER_KWH,
        "range_km": rng,
        "range_adjusted_km": rng * EPA_DERATING,
        "mpge_combined_unadjusted": 33.705 / (comb_wall / 100.0) / 1.609344 if comb_wall > 0 else math.inf,
        "energy_balance_rel_error": max(city["energy_balance_rel_error"], hwy["energy_balance_rel_error"]),
        "trace_miss_max_kmh": max(city["trace_miss_max_kmh"], hwy["trace_miss_max_kmh"]),
    }
