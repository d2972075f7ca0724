"""Japan's JC08 mode: cold-start and hot-start tests weighted 25 % / 75 %, for engine cars and hybrids.

Status tags as in the other procedure modules: S sourced, M the regulation as recalled (MLIT TRIAS 5-10
and, for hybrids, TRIAS 5-9; Safety Regulations for Road Vehicles Attachment 42; not read offline),
E our choice.

* Cycle: JC08 (1204 s, 8.171 km, 24.4 km/h mean, 81.6 km/h max; S: DieselNet / TransportPolicy
  "Japan: Light-duty: JC08"). **The trace is not shipped** (drive_cycles/PROVENANCE.md, Gaps: no public
  copy found); pass it as a file (``cycle=read_cycle(path)``): it is checked against those statistics.
* Weighting (S: TransportPolicy, "2011.10: 25 % of JC08 cold start + 75 % of JC08 hot start"): the fuel
  consumed per distance is weighted, ``FC = 0.25·FC_cold + 0.75·FC_hot`` in L/100 km; the label figure in
  km/L is its reciprocal (``100 / FC``), i.e. the harmonic weighting of the two km/L figures.
* Cold start: engine soaked at 25 °C (20–30 °C, M); hot start: the engine at its running temperature (M:
  after the preconditioning drive), simulated as a hot run.
* Test mass: curb mass + 110 kg (two occupants of 55 kg; M); road load at that mass (E: the dynamometer's
  inertia classes are not applied, the test mass is used as it is).
* Hybrids (NOVC-HEV): each test's fuel charge-balanced to zero net battery energy (M: TRIAS 5-9 corrects
  the fuel for the battery's charge balance; here :func:`hybridsim.simulate`'s balance).
* Plug-in hybrids (Japan weights them with its own UF, M) and battery-electric cars (JC08 range, M) are not
  covered here.
"""

from __future__ import annotations

import math

from ..cycles import Cycle
from ..results import summarize
from ..simulate import simulate
from ..vehicle import Vehicle
from ._common import (
    check_published_stats,
    copy_summary,
    is_electric,
    is_plugin,
    phase_results,
    road_load_info,
    standard_cycle,
    with_test_mass,
)

JC08_COLD_WEIGHT = 0.25  # S: TransportPolicy "25 % of JC08 cold start + 75 % of JC08 hot start"
JC08_SOAK_TEMP_C = 25.0  # M: soak at 20–30 °C, the middle of the band
JC08_TEST_MASS_ADDITION_KG = 110.0  # M: curb mass + 2 × 55 kg
#: JC08 published statistics (S: DieselNet, TransportPolicy): a user's trace must match them.
JC08_STATS = {"duration_s": 1204.0, "distance_km": 8.171, "max_speed_kmh": 81.6}


def check_jc08(cycle: Cycle) -> None:
    """Raise ValueError unless ``cycle`` has JC08's published duration, distance and top speed (±0.5 %)."""
    check_published_stats(cycle, JC08_STATS, "JC08")


def jc08_weighted(fuel_cold_l_per_100km: float, fuel_hot_l_per_100km: float,
                  cold_weight: float = JC08_COLD_WEIGHT) -> float:
    """JC08 combined fuel consumption ``w·FC_cold + (1 − w)·FC_hot``. [L/100 km]"""
    if not 0.0 <= cold_weight <= 1.0:
        raise ValueError(f"cold_weight = {cold_weight}: out of range, allowed 0 to 1")
    return cold_weight * fuel_cold_l_per_100km + (1.0 - cold_weight) * fuel_hot_l_per_100km


def jc08(vehicle: Vehicle, *, cycle: Cycle | None = None, cold_weight: float = JC08_COLD_WEIGHT,
         soak_temp_c: float = JC08_SOAK_TEMP_C, validate_cycle: bool = True) -> dict:
    """JC08 combined fuel consumption of an engine car or a (non-plug-in) hybrid (module docstring).

    ``cycle``: the JC08 trace (not shipped); ``validate_cycle=False`` skips the check against the published
    statistics (to run the procedure's arithmetic on another trace). Returns a dict with
    ``fuel_l_per_100km`` (combined), ``fuel_economy_km_per_l``, the cold and hot tests' figures and
    their SAE J2951 drive-quality metrics.
    """
    if is_plugin(vehicle) or is_electric(vehicle):
        raise ValueError(f"vehicle architecture = {vehicle.architecture!r}: the JC08 procedure here covers engine "
                         "cars and non-plug-in hybrids (allowed: conventional, ths)")
    cyc = standard_cycle(cycle, "jc08", "JC08", JC08_STATS, "the JC08 procedure") if validate_cycle else cycle
    if cyc is None:
        raise ValueError("cycle: a JC08 trace is needed when validate_cycle=False")
    tm = vehicle.chassis.mass_kg + JC08_TEST_MASS_ADDITION_KG
    test = with_test_mass(vehicle, tm)
    s_cold = summarize(simulate(test, cyc, cold_start=True, ambient_temp_c=soak_temp_c))
    ds_hot = simulate(test, cyc, cold_start=False)
    s_hot = summarize(ds_hot)
    fc = jc08_weighted(s_cold["fuel_l_per_100km"], s_hot["fuel_l_per_100km"], cold_weight)
    co2 = jc08_weighted(s_cold["co2_g_per_km"], s_hot["co2_g_per_km"], cold_weight)
    return {
        "procedure": "JC08 (Japan, TRIAS 5-10 / 5-9: 25 % cold + 75 % hot)",
        "vehicle": vehicle.id,
        "cycle": cyc.name,
        "test_mass_kg": tm,
        **road_load_info(test, tm),
        "cold_weight": cold_weight,
        "soak_temp_c": soak_temp_c,
        "fuel_l_per_100km": fc,
        "fuel_economy_km_per_l": 100.0 / fc if fc > 0 else math.inf,
        "co2_g_per_km": co2,
        "fuel_cold_l_per_100km": s_cold["fuel_l_per_100km"],
        "fuel_hot_l_per_100km": s_hot["fuel_l_per_100km"],
        "cold": copy_summary(s_cold),
        "hot": copy_summary(s_hot),
        **({"phases_hot": phase_results(ds_hot, cyc)} if cyc.phases else {}),
    }
