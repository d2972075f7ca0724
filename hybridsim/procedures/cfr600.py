"""US EPA fuel economy: FTP-75 (bag-weighted), hot UDDS, HWFET and US06, the 55/45 combined, and the label
adjustment.

Conventional cars and non-plug-in hybrids are simulated here; battery-electric cars go to
:func:`hybridsim.procedures.bev.epa_bev` (with the test vehicle at its equivalent test weight, and the UDDS
and HWFET). The test weight and road load are the file's own when it states them
(``[test_conditions.epa]``: ETW and target coefficients, used unchanged), else derived
(:func:`equivalent_test_weight_kg`, :func:`hybridsim.procedures._common.with_test_mass`).
Status tags: S sourced, M from the regulation as recalled (40 CFR parts 86 and
600; not re-verified against the eCFR text offline), E our choice.
"""

from __future__ import annotations

import dataclasses
import math

from ..cycles import Phase, load_cycle
from ..results import summarize
from ..simulate import simulate
from ..vehicle import Vehicle
from ._common import copy_summary, is_electric, is_plugin, phase_results, procedure_test_vehicle

LB_KG = 0.45359237  # exact
L_PER_100KM_MPG = 100.0 * 3.785411784 / 1.609344  # L/100 km × mpg (US gallon, statute mile) = 235.2146
#: The hot UDDS as the EPA test car list reports it (S: epa_test_car_list.md "How to read them"): bag 3 = UDDS
#: 0–505 s (3.591 mi), bag 4 = 505–1369 s (3.859 mi); result = distance-weighted harmonic mean (total fuel over
#: total distance).
HOT_UDDS_BAGS = (("bag3_hot_transient", 0.0, 505.0), ("bag4_hot_stabilized", 505.0, 1369.0))
FTP_SOAK_TEMP_C = 25.0  # 40 CFR 86.130: soak and test at 20–30 °C (68–86 °F); the middle (E)

#: FTP composite weighting (40 CFR 86.144-94(a)/(b), used for fuel economy by 40 CFR 600.113-12; M):
#: 43 % of the cold-start (bags 1 + 2) and 57 % of the hot-start (bags 3 + 2) per-distance results.
FTP_COLD_WEIGHT = 0.43
FTP_HOT_WEIGHT = 0.57
#: City/highway weighting of the combined figure: MPG_c/h = 1 / (0.55/MPG_c + 0.45/MPG_h) (S: 40 CFR 600
#: Appendix II, sample calculation, law.cornell.edu; used by 600.206/600.208 and the label 600.210-12(c), M),
#: harmonic in mpg, i.e. linear in L/100 km.
CITY_SHARE = 0.55
HIGHWAY_SHARE = 0.45
#: Derived 5-cycle label equations (40 CFR 600.210-08(a)(2) / 600.210-12(a)(2); M):
#: city = 1 / (0.003259 + 1.1805 / FTP mpg), highway = 1 / (0.001376 + 1.3466 / HWFET mpg).
LABEL_CITY = (0.003259, 1.1805)
LABEL_HIGHWAY = (0.001376, 1.3466)
#: BEV label adjustment: the 2-cycle (unadjusted) results × 0.7 for range, ÷ 0.7 for consumption (M: EPA's
#: optional derived adjustment for EVs; the same factor as ``procedures.bev.EPA_DERATING``).
BEV_LABEL_FACTOR = 0.7
#: Headline keys that :func:`epa` reports as label values; the raw 2-cycle figure is under ``<key>_unadjusted``
#: (``fuel_l_per_100km`` → ``fuel_unadjusted_l_per_100km`` and so on, the unit suffix kept last).
BEV_HEADLINE = (("electricity_kwh_per_100km", "electricity_unadjusted_kwh_per_100km", 1.0 / BEV_LABEL_FACTOR),
                ("electricity_dc_kwh_per_100km", "electricity_dc_unadjusted_kwh_per_100km", 1.0 / BEV_LABEL_FACTOR),
                ("range_km", "range_unadjusted_km", BEV_LABEL_FACTOR))


def mpg(l_per_100km: float) -> float:
    """Miles per US gallon from L/100 km."""
    return L_PER_100KM_MPG / l_per_100km if l_per_100km > 0 else math.inf


def l_per_100km(miles_per_gallon: float) -> float:
    """L/100 km from miles per US gallon."""
    return L_PER_100KM_MPG / miles_per_gallon


def equivalent_test_weight_kg(curb_mass_kg: float) -> float:
    """Equivalent test weight (ETW) from the curb mass. [kg]

    Loaded vehicle weight LVW = curb + 300 lb (40 CFR 86.1803-01; M); ETW is LVW rounded to the inertia
    class of 40 CFR 1066.805 Table 1 (M): steps of 125 lb up to 4,000 lb, 250 lb up to 5,500 lb, 500 lb
    above (nearest class).
    """
    lvw_lb = curb_mass_kg / LB_KG + 300.0
    if lvw_lb <= 4000.0 + 62.5:
        step = 125.0
    elif lvw_lb <= 5500.0 + 125.0:
        step = 250.0
    else:
        step = 500.0
    return round(lvw_lb / step) * step * LB_KG


def ftp_weighted(bags: dict[str, dict]) -> float:
    """FTP-75 composite consumption from the three bags (fuel per distance, any volume unit).

    40 CFR 86.144-94 (M): ``Y_w = 0.43·(Y_ct + Y_s)/(D_ct + D_s) + 0.57·(Y_ht + Y_s)/(D_ht + D_s)``,
    Y fuel, D distance; ct = bag 1 (cold transient), s = bag 2 (stabilised), ht = bag 3 (hot transient).
    ``bags`` maps the three FTP-75 phase names to dicts with ``fuel_l_per_100km`` and ``distance_km``.
    """
    b1, b2, b3 = (bags[k] for k in ("phase1_cold_transient", "phase2_stabilized", "phase3_hot_transient"))

    def fuel(b):
        return b["fuel_l_per_100km"] * b["distance_km"] / 100.0

    cold = (fuel(b1) + fuel(b2)) / (b1["distance_km"] + b2["distance_km"]) * 100.0
    hot = (fuel(b3) + fuel(b2)) / (b3["distance_km"] + b2["distance_km"]) * 100.0
    return FTP_COLD_WEIGHT * cold + FTP_HOT_WEIGHT * hot


def combined(city: float, highway: float) -> float:
    """55/45 combined consumption (L/100 km in, L/100 km out; = the harmonic mpg combination)."""
    return CITY_SHARE * city + HIGHWAY_SHARE * highway


def label_city_mpg(ftp_mpg: float) -> float:
    """Derived 5-cycle city label mpg (40 CFR 600.210-08(a)(2)(i); M)."""
    a, b = LABEL_CITY
    return 1.0 / (a + b / ftp_mpg)


def label_highway_mpg(hwfet_mpg: float) -> float:
    """Derived 5-cycle highway label mpg (40 CFR 600.210-08(a)(2)(ii); M)."""
    a, b = LABEL_HIGHWAY
    return 1.0 / (a + b / hwfet_mpg)


def epa(vehicle: Vehicle, *, cold_start: bool | None = None, soak_temp_c: float = FTP_SOAK_TEMP_C) -> dict:
    """EPA city (FTP-75), hot UDDS, highway (HWFET), US06, combined and label figures.

    * Test mass and road load: the file's ``[test_conditions.epa]`` (ETW and target coefficients) used as they
      are; without it the equivalent test weight (:func:`equivalent_test_weight_kg`) and the file's road load
      at it (:func:`hybridsim.procedures._common.with_test_mass`). ``test_conditions`` says which.
    * FTP-75 (40 CFR 86 App. I; 600.111): bag 1 starts cold after a soak at 20–30 °C (``soak_temp_c``,
      default the middle of the band) for every architecture with an engine (the engine warm-up model,
      ``core/thermal.py``); the 10-minute hot soak before bag 3 is not in the trace and the model has no
      coolant heat loss, so bag 3 starts with the coolant as bag 2 left it (warm). Bag-weighted per
      :func:`ftp_weighted`.
    * Hot UDDS (bags 3 + 4 of the four-bag FTP that hybrids run; the EPA test car list reports it): the UDDS
      from a hot start, per bag (``hot_udds_bags``) and as their distance-weighted harmonic mean.
    * HWFET (40 CFR 600 App. I; 600.111): hot start. US06 (40 CFR 86 App. I): hot start.
    * NOVC-HEV: each cycle charge-balanced (SAE J1711 idea, 40 CFR 600.116; M); the FTP and hot-UDDS bag
      figures of the reported run are scaled by the run's balanced/raw fuel ratio (E) so the weighted result is the
      charge-balanced one.
    * Unadjusted combined = 0.55·city + 0.45·highway (L/100 km); label city/highway by the derived
      5-cycle equations, label combined 55/45 of the label values.
    * BEV: :func:`hybridsim.procedures.bev.epa_bev` on the UDDS and HWFET (keys merged into the result; the
      cycles at the wall, unadjusted, as ``udds_kwh_per_100km`` and ``hwfet_kwh_per_100km``); its 2-cycle figures
      are label-adjusted here by :data:`BEV_LABEL_FACTOR` (its own ``*_adjusted`` keys when it gives them).
    * OVC-HEV (plug-in hybrids): :func:`hybridsim.procedures.j1711.epa_phev`: SAE J1711 charge-depleting and
      charge-sustaining tests with the SAE J2841 fleet utility factor; headline = the gasoline-only (CS) label,
      the CS lab results under the keys below, charge-depleting range, electricity and the UF-weighted figures.
    * ``cold_start=False`` runs the FTP hot (not the regulation; for comparison).

    Returns a dict whose headline keys are **label** values for every architecture (what a window sticker
    shows): ``fuel_l_per_100km``; for BEVs ``electricity_kwh_per_100km`` (at the wall),
    ``electricity_dc_kwh_per_100km`` and ``range_km``. The raw (unadjusted) 55/45 test results are under
    the same names with ``_unadjusted`` before the unit (``fuel_unadjusted_l_per_100km``,
    ``electricity_unadjusted_kwh_per_100km``, ``range_unadjusted_km``); ``procedure`` says so. The lab
    figures of each cycle, unadjusted: ``fuel_ftp75_l_per_100km`` (= ``fuel_city_l_per_100km``),
    ``fuel_hot_udds_l_per_100km``, ``fuel_hwfet_l_per_100km`` (= ``fuel_highway_l_per_100km``),
    ``fuel_us06_l_per_100km`` and the same in mpg (``mpg_ftp75`` …).
    """
    ftp_cycle = load_cycle("ftp75")
    hwfet_cycle = load_cycle("hwfet")
    etw = equivalent_test_weight_kg(vehicle.chassis.mass_kg)
    test, info = procedure_test_vehicle(vehicle, "epa", etw)
    out = {"procedure": ("EPA FTP-75, hot UDDS, HWFET, US06 (40 CFR 600); headline = label (derived 5-cycle from "
                        "FTP-75 and HWFET), raw = *_unadjusted"),
           "vehicle": vehicle.id, **info}
    if is_electric(vehicle):
        from . import bev

        r = bev.epa_bev(test, load_cycle("udds"), hwfet_cycle)
        for cycle_key, key in (("udds", "city"), ("hwfet", "highway")):
            for kind in ("", "dc_"):
                if f"{key}_{kind}kwh_per_100km" in r:
                    r[f"{cycle_key}_{kind}kwh_per_100km"] = r[f"{key}_{kind}kwh_per_100km"]
        out.update(_bev_label(r))
        out["procedure"] = (f"EPA BEV UDDS + HWFET (40 CFR 600, SAE J1634); headline = label (range × "
                            f"{BEV_LABEL_FACTOR:g}, consumption ÷ {BEV_LABEL_FACTOR:g}), raw = *_unadjusted; "
                            "udds_/hwfet_kwh_per_100km: each cycle at the wall, unadjusted")
        return out
    if cold_start is None:
        cold_start = True  # the regulation's cold start (every engine has the warm-up model)
    if is_plugin(vehicle):
        import sys

        from .j1711 import epa_phev

        return {**out, **epa_phev(test, info, sys.modules[__name__], cold_start=cold_start, soak_temp_c=soak_temp_c)}
    ds_ftp = simulate(test, ftp_cycle, cold_start=cold_start, ambient_temp_c=soak_temp_c)
    s_ftp = summarize(ds_ftp)
    bags = _balanced_phases(ds_ftp, ftp_cycle, s_ftp)
    city = ftp_weighted(bags)
    udds_cycle = hot_udds_cycle()
    ds_udds = simulate(test, udds_cycle, cold_start=False, ambient_temp_c=soak_temp_c)
    s_udds = summarize(ds_udds)
    udds_bags = _balanced_phases(ds_udds, udds_cycle, s_udds)
    hot_udds = hot_udds_weighted(udds_bags)
    ds_hw = simulate(test, hwfet_cycle, cold_start=False, ambient_temp_c=soak_temp_c)
    s_hw = summarize(ds_hw)
    highway = s_hw["fuel_l_per_100km"]
    ds_us06 = simulate(test, load_cycle("us06"), cold_start=False, ambient_temp_c=soak_temp_c)
    s_us06 = summarize(ds_us06)
    city_label = l_per_100km(label_city_mpg(mpg(city)))
    highway_label = l_per_100km(label_highway_mpg(mpg(highway)))
    label = combined(city_label, highway_label)
    runs = (s_ftp, s_udds, s_hw, s_us06)
    out.update({
        "cold_start": bool(cold_start),
        "soak_temp_c": soak_temp_c if cold_start else None,
        "fuel_l_per_100km": label,
        "fuel_unadjusted_l_per_100km": combined(city, highway),
        "fuel_city_l_per_100km": city,
        "fuel_highway_l_per_100km": highway,
        "fuel_ftp75_l_per_100km": city,
        "fuel_hot_udds_l_per_100km": hot_udds,
        "fuel_hwfet_l_per_100km": highway,
        "fuel_us06_l_per_100km": s_us06["fuel_l_per_100km"],
        "mpg_ftp75": mpg(city),
        "mpg_hot_udds": mpg(hot_udds),
        "mpg_hwfet": mpg(highway),
        "mpg_us06": mpg(s_us06["fuel_l_per_100km"]),
        "fuel_city_label_l_per_100km": city_label,
        "fuel_highway_label_l_per_100km": highway_label,
        "mpg_city_label": mpg(city_label),
        "mpg_highway_label": mpg(highway_label),
        "mpg_combined_label": mpg(label),
        "bags": bags,
        "hot_udds_bags": udds_bags,
        "ftp": copy_summary(s_ftp),
        "hot_udds": copy_summary(s_udds),
        "hwfet": copy_summary(s_hw),
        "us06": copy_summary(s_us06),
        "trace_miss_max_kmh": max(r["trace_miss_max_kmh"] for r in runs),
        "energy_balance_rel_error": max(r["energy_balance_rel_error"] for r in runs),
    })
    return out


def hot_udds_cycle():
    """The UDDS with the two bags of the hot-start test (:data:`HOT_UDDS_BAGS`) as phases."""
    udds = load_cycle("udds")
    return dataclasses.replace(udds, name="udds_hot", phases=tuple(Phase(*b) for b in HOT_UDDS_BAGS))


def hot_udds_weighted(bags: dict[str, dict]) -> float:
    """Hot UDDS consumption from bags 3 and 4: the distance-weighted harmonic mean in mpg, i.e. total fuel
    over total distance (any volume per distance unit in, the same out)."""
    b3, b4 = (bags[name] for name, _, _ in HOT_UDDS_BAGS)
    d = b3["distance_km"] + b4["distance_km"]
    return (b3["fuel_l_per_100km"] * b3["distance_km"] + b4["fuel_l_per_100km"] * b4["distance_km"]) / d


def _balanced_phases(ds, cycle, summary: dict) -> dict[str, dict]:
    """Per-phase results of a run; for a NOVC-HEV scaled by the run's charge-balanced/raw fuel ratio (E), so
    that the phases add up to the charge-balanced figure."""
    phases = phase_results(ds, cycle)
    raw = summary.get("fuel_raw_l_per_100km")
    scale = summary["fuel_l_per_100km"] / raw if raw else 1.0
    for b in phases.values():
        b["fuel_l_per_100km"] *= scale
    return phases


def _bev_label(r: dict) -> dict:
    """The BEV result of ``procedures.bev.epa_bev`` with its headline keys made label values (the raw ones
    moved to ``*_unadjusted``). Uses its ``*_adjusted`` keys where present, else :data:`BEV_LABEL_FACTOR`."""
    adjusted = {"electricity_kwh_per_100km": "electricity_adjusted_kwh_per_100km", "range_km": "range_adjusted_km"}
    out = {}
    for key, val in r.items():
        spec = next((h for h in BEV_HEADLINE if h[0] == key), None)
        if spec is None:
            out[key] = val
            continue
        label = r.get(adjusted.get(key, ""))
        out[key] = float(label) if label is not None else val * spec[2]
        out[spec[1]] = val  # the raw figure right after its label value
    r = out
    if "electricity_kwh_per_100km" in r and r["electricity_kwh_per_100km"] > 0:
        # MPGe: 33.705 kWh per US gallon equivalent (40 CFR 600.002, M)
        r["mpge_combined_label"] = 33.705 / (r["electricity_kwh_per_100km"] / 100.0) / 1.609344
    return r
