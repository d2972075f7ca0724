"""NEDC as UN R83 / R101 run it: reference mass, inertia class, cold start, battery balance.

Conventional cars and non-plug-in hybrids (NOVC-HEV) are simulated here; plug-in hybrids go to
:func:`hybridsim.procedures.phev.nedc_ovc` (the R101 Annex 8 formula C = (De·C1 + Dav·C2)/(De + Dav),
Dav = 25 km) and battery-electric cars to :func:`hybridsim.procedures.bev.nedc_bev` (R101 Annex 7),
both given the test vehicle at the inertia class and the NEDC built here. Each formula cites its
regulation; status tags as in the reference files (S sourced, M from the literature/regulation as
recalled, not re-verified here, E our choice).
"""

from __future__ import annotations

from ..cycles import load_cycle
from ..drive_quality import METRICS
from ..results import summarize
from ..simulate import simulate
from ..vehicle import Vehicle
from ._common import is_electric, is_plugin, phase_results, procedure_test_vehicle

# UN R83 Annex 4a: reference-mass bands [kg] → equivalent inertia class [kg] (M; reference/components.md §6.3)
R83_INERTIA_CLASSES: tuple[tuple[float, float, float], ...] = (
    (0, 480, 455), (480, 540, 510), (540, 595, 570), (595, 650, 625), (650, 710, 680), (710, 765, 740),
    (765, 850, 800), (850, 965, 910), (965, 1080, 1020), (1080, 1190, 1130), (1190, 1305, 1250),
    (1305, 1420, 1360), (1420, 1530, 1470), (1530, 1640, 1590), (1640, 1760, 1700), (1760, 1870, 1810),
    (1870, 1980, 1930), (1980, 2100, 2040), (2100, 2210, 2150), (2210, 2380, 2270), (2380, 2610, 2270),
    (2610, float("inf"), 2270),
)
NEDC_SOAK_TEMP_C = 25.0  # R83: soak at 20–30 °C; the middle of the band (E)


def nedc_reference_mass_kg(vehicle: Vehicle) -> float:
    """R83 reference mass: unladen mass (running order without driver) + 100 kg. [kg]

    The vehicle files' ``chassis.mass_kg`` is the curb mass without driver, i.e. R83's unladen mass.
    """
    return vehicle.chassis.mass_kg + 100.0


def nedc_inertia_class_kg(reference_mass_kg: float) -> float:
    """Equivalent inertia of the R83 Annex 4a band containing the reference mass. [kg]

    Bands are ``lower < reference mass ≤ upper``: the upper bound belongs to the band (inclusive), the lower
    bound to the band below (R83 Annex 4a table, "> lower, ≤ upper").
    """
    for lo, hi, inertia in R83_INERTIA_CLASSES:
        if lo < reference_mass_kg <= hi:
            return inertia
    raise ValueError(f"reference mass = {reference_mass_kg}: out of range, allowed > 0 kg")


def nedc(vehicle: Vehicle, *, cold_start: bool | None = None, soak_temp_c: float = NEDC_SOAK_TEMP_C) -> dict:
    """NEDC result as type approval runs it (R83 Annex 4a; R101 Annex 8 for non-plug-in hybrids).

    * Test mass: the equivalent inertia class of the reference mass (R83 Annex 4a table), set on the
      dynamometer; the road load is the vehicle's at the reference mass (R83 Annex 4a §5 / Annex 7; how the
      file's road load follows the mass: :func:`hybridsim.procedures._common.with_test_mass`; reported as
      ``road_load_mass_kg`` and ``road_load_f0_n`` …). A file's ``[test_conditions.nedc]`` (inertia class
      and its road load) is used as it is.
    * Cold start after a soak at 20–30 °C (``soak_temp_c``, default the middle of the band) for every
      architecture with an engine (the engine warm-up model, ``core/thermal.py``). ``cold_start=False`` runs
      hot (not the regulation; for comparison); plug-ins take it too.
    * NOVC-HEV: charge-balanced fuel. R101 Annex 8 §3.3 (M) corrects the result to zero battery energy
      change (or accepts it when the change is below its threshold); here the initial SOC is iterated to
      a balanced run, else the fuel is interpolated to zero net battery energy (the K-factor idea), see
      :func:`hybridsim.simulate`. ``fuel_raw_l_per_100km`` is the last run before that correction.
    * OVC-HEV (plug-in): :func:`hybridsim.procedures.phev.nedc_ovc`; BEV:
      :func:`hybridsim.procedures.bev.nedc_bev` (their keys are merged into the result).
    """
    ref = nedc_reference_mass_kg(vehicle)
    inertia = nedc_inertia_class_kg(ref)
    # a file's [test_conditions.nedc] (inertia class with its road load) is used as it is
    test, info = procedure_test_vehicle(vehicle, "nedc", inertia, ref)
    cycle = load_cycle("nedc")
    out = {
        "procedure": "NEDC (UN R83 Annex 4a; R101 Annex 8 for NOVC-HEV)",
        "vehicle": vehicle.id,
        "reference_mass_kg": ref,
        "inertia_class_kg": info["test_mass_kg"] if "nedc" in vehicle.test_conditions else inertia,
        **info,
    }
    if is_plugin(vehicle):
        from . import phev

        out["procedure"] = "NEDC OVC-HEV (UN R101 Annex 8)"
        kw = {} if cold_start is None else {"cold_start": bool(cold_start)}
        out.update(phev.nedc_ovc(test, cycle, soak_temp_c=soak_temp_c, **kw))
        return out
    if is_electric(vehicle):
        from . import bev

        out["procedure"] = "NEDC PEV (UN R101 Annex 7)"
        out.update(bev.nedc_bev(test, cycle))
        return out
    if cold_start is None:
        cold_start = True  # the regulation's cold start (every engine has the warm-up model)
    ds = simulate(test, cycle, cold_start=cold_start, ambient_temp_c=soak_temp_c)
    s = summarize(ds)
    out.update({
        "cold_start": bool(cold_start),
        "soak_temp_c": soak_temp_c if cold_start else None,
        "distance_km": s["distance_km"],
        "fuel_l_per_100km": s["fuel_l_per_100km"],
        "co2_g_per_km": s["co2_g_per_km"],
        "electricity_kwh_per_100km": s["electricity_kwh_per_100km"],
        "trace_miss_max_kmh": s["trace_miss_max_kmh"],
        "energy_balance_rel_error": s["energy_balance_rel_error"],
    })
    for key in ("fuel_raw_l_per_100km", "soc_balance_method", "soc_balance_residual"):
        if key in s:
            out[key] = s[key]
    out.update({k: s[k] for k in METRICS})  # SAE J2951 drive quality of the run
    out["phases"] = phase_results(ds, cycle)
    return out
