"""Pieces every test procedure shares: the test vehicle at a test mass, rated power, per-phase results.

Status tags as in the reference files: S sourced, S* secondary source, M regulation text as recalled
(not re-verified offline), E our estimate or choice.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..architectures import View
from ..architectures import get as architecture
from ..cycles import Cycle
from ..units import J_PER_KWH, M_PER_KM
from ..vehicle import Vehicle

#: Mass of the driver that EU/UN "mass in running order" includes and our ``chassis.mass_kg`` (curb,
#: DIN, without driver) does not (EU 2017/1151 Art. 2; UN R83 §2.2; M).
DRIVER_MASS_KG = 75.0

#: Architectures charged from the grid and those with no engine (the plug-in and BEV branches): views of the
#: registry's ``plugin`` and ``electric`` (:mod:`hybridsim.architectures`).
PLUGIN_ARCHITECTURES = View(lambda a: a, where=lambda a: a.plugin)
ELECTRIC_ARCHITECTURES = View(lambda a: a, where=lambda a: a.electric)


def is_plugin(vehicle: Vehicle) -> bool:
    """OVC-HEV (off-vehicle charging hybrid, "plug-in"): the vehicle's ``plugin`` (its file's ``[vehicle] plugin``,
    by default the architecture's registry entry: :attr:`hybridsim.Vehicle.plugin`)."""
    return bool(vehicle.plugin)


def is_electric(vehicle: Vehicle) -> bool:
    """Pure electric vehicle (PEV / BEV): a battery and no engine (the registry entry's ``electric``)."""
    return architecture(vehicle.architecture).electric


def with_test_mass(vehicle: Vehicle, test_mass_kg: float, road_load_mass_kg: float | None = None) -> Vehicle:
    """A copy of ``vehicle`` whose simulated (dynamometer inertia) mass is ``test_mass_kg`` and whose road load
    is the one at ``road_load_mass_kg`` (default: the test mass).

    Which mass the road load belongs to is the regulation's rule: GTR 15 (WLTP) determines the road load of
    the vehicle at its test mass, and EPA's coast-down target coefficients belong to the vehicle at its test
    weight (both: the default); R83 (NEDC) determines it at the reference mass and sets the inertia class
    on the dynamometer (:func:`hybridsim.procedures.nedc` passes ``road_load_mass_kg`` = reference mass).

    How the road load follows the mass (E, our rule):

    * physical estimate in the file (C_rr, C_d, A): ``F0 = m·g·C_rr`` at the road-load mass, F2 unchanged
      (:meth:`~hybridsim.components.chassis.Chassis.road_load_coefficients`);
    * coefficients F0, F1, F2 in the file: the file cannot say whether they were measured or estimated, nor
      at which mass, so they are taken as the road load of the vehicle as the file describes it (curb +
      payload, ``chassis.sim_mass_kg``) and F0 — the rolling-resistance term, proportional to the normal
      load — is scaled by road-load mass / that mass; F1 and F2 (speed-dependent, mostly aerodynamic) are
      kept. For a coast-down measured at the procedure's own mass the factor is 1.

    Normally only ``chassis.payload_kg`` changes. A test mass below the curb mass (R83's top inertia class,
    2,270 kg, for heavy vehicles) lowers ``chassis.mass_kg`` to the test mass.
    """
    ch = vehicle.chassis
    test_mass_kg = float(test_mass_kg)
    if test_mass_kg <= 0:
        raise ValueError(f"test mass = {test_mass_kg}: out of range, allowed > 0 kg")
    rl_mass = test_mass_kg if road_load_mass_kg is None else float(road_load_mass_kg)
    if rl_mass <= 0:
        raise ValueError(f"road-load mass = {rl_mass}: out of range, allowed > 0 kg")
    if ch.has_coastdown:
        f0 = ch.road_load_f0_n * rl_mass / ch.sim_mass_kg
        ch = dataclasses.replace(ch, road_load_f0_n=float(f0))
    elif rl_mass != test_mass_kg or test_mass_kg < ch.mass_kg:
        at = dataclasses.replace(ch, mass_kg=min(ch.mass_kg, rl_mass), payload_kg=max(rl_mass - ch.mass_kg, 0.0))
        ch = ch.with_road_load(*at.road_load_coefficients())
    curb = min(ch.mass_kg, test_mass_kg)
    ch = dataclasses.replace(ch, mass_kg=curb, payload_kg=test_mass_kg - curb)
    return dataclasses.replace(vehicle, chassis=ch)


def at_test_conditions(vehicle: Vehicle, test_mass_kg: float, road_load: tuple[float, float, float]) -> Vehicle:
    """A copy of ``vehicle`` at ``test_mass_kg`` with the road load (F0 [N], F1 [N/(km/h)], F2 [N/(km/h)²]) exactly
    as given: the pair a vehicle file states for a procedure (``[test_conditions.<procedure>]``). A test mass
    below the curb mass lowers ``chassis.mass_kg`` to it, as in :func:`with_test_mass`."""
    test_mass_kg = float(test_mass_kg)
    if test_mass_kg <= 0:
        raise ValueError(f"test mass = {test_mass_kg}: out of range, allowed > 0 kg")
    ch = vehicle.chassis.with_road_load(*road_load)
    curb = min(ch.mass_kg, test_mass_kg)
    ch = dataclasses.replace(ch, mass_kg=curb, payload_kg=test_mass_kg - curb)
    return dataclasses.replace(vehicle, chassis=ch)


def procedure_test_vehicle(vehicle: Vehicle, procedure: str, test_mass_kg: float,
                           road_load_mass_kg: float | None = None) -> tuple[Vehicle, dict]:
    """The test vehicle of ``procedure`` and what the procedure reports about its mass and road load.

    If the file states the procedure's test conditions (``vehicle.test_conditions[procedure]``: a test mass
    with the road load that belongs to it, e.g. EPA ETW and target coefficients), both are used unchanged and
    ``test_mass_kg``/``road_load_mass_kg`` (the regulation's rule applied to the file's masses) are not.
    Otherwise :func:`with_test_mass` at the rule's masses (today's behaviour).

    The dict has ``test_mass_kg``, ``test_conditions`` (``"file: [test_conditions.epa] ETW, used as given"``,
    with ``test_conditions_source``, or ``"derived: ..."``) and the :func:`road_load_info` keys.
    """
    tc = vehicle.test_conditions.get(procedure)
    if tc is not None:
        test = at_test_conditions(vehicle, tc.test_mass_kg, tc.coefficients)
        name = f" {tc.test_mass_name}" if tc.test_mass_name else ""
        info = {"test_mass_kg": float(tc.test_mass_kg),
                "test_conditions": f"file: [test_conditions.{procedure}]{name}, used as given",
                "test_conditions_source": tc.source,
                **road_load_info(test, tc.test_mass_kg)}
        return test, info
    rl_mass = test_mass_kg if road_load_mass_kg is None else road_load_mass_kg
    test = with_test_mass(vehicle, test_mass_kg, road_load_mass_kg)
    info = {"test_mass_kg": float(test.chassis.sim_mass_kg),
            "test_conditions": "derived: the rule's test mass, the file's road load at the road-load mass",
            **road_load_info(test, rl_mass)}
    return test, info


def road_load_info(test_vehicle: Vehicle, road_load_mass_kg: float) -> dict:
    """What a procedure reports about the road load it used: the mass it belongs to and F0, F1, F2."""
    f0, f1, f2 = road_load_kmh(test_vehicle)
    return {"road_load_mass_kg": float(road_load_mass_kg), "road_load_f0_n": f0, "road_load_f1_n_per_kmh": f1,
            "road_load_f2_n_per_kmh2": f2}


def rated_power_kw(vehicle: Vehicle) -> float:
    """Rated power used to classify a vehicle and to downscale a cycle. [kW]

    GTR 15 §3 (M): the rated engine power (maximum net power per UN R85) for vehicles with a combustion
    engine, hybrids included; for pure electric vehicles the maximum net power of the traction motor(s).
    """
    if vehicle.engine is not None:
        return float(vehicle.engine.peak_power_kw)
    if vehicle.motors:
        return float(sum(m.peak_power_kw for m in vehicle.motors.values()))
    raise ValueError(f"vehicle {vehicle.id!r}: no engine and no motors, no rated power")


def road_load_kmh(vehicle: Vehicle) -> tuple[float, float, float]:
    """Road-load coefficients f0 [N], f1 [N/(km/h)], f2 [N/(km/h)²] at the vehicle's simulated mass."""
    f0, f1, f2 = vehicle.chassis.road_load_coefficients()
    return float(f0), float(f1), float(f2)


def phase_results(ds, cycle: Cycle) -> dict[str, dict]:
    """Distance and raw (uncorrected) consumption of each phase of ``cycle`` in the run ``ds``.

    Per phase: ``distance_km``, ``fuel_l_per_100km`` (fuel burnt in the phase over its driven distance),
    ``electricity_kwh_per_100km`` (net battery terminal energy, > 0 discharge) and ``battery_energy_kwh``.
    The phase sums are exact: energy-flow value k is the mean over (t[k−1], t[k]) (results.to_dataset), so
    an interval belongs to the phase that contains it.
    """
    t = ds["time"].values
    v = ds["speed"].values
    dt = np.diff(t)
    mid = 0.5 * (t[1:] + t[:-1])
    dens = float(ds.attrs.get("fuel_density_kg_per_l", math.nan))
    out = {}
    for p in cycle.phases:
        m = (mid > p.start_s) & (mid < p.end_s)
        dist_km = float(np.sum(0.5 * (v[1:] + v[:-1])[m] * dt[m])) / M_PER_KM
        fuel_kg = float(np.sum(ds["fuel_rate"].values[1:][m] * dt[m])) if "fuel_rate" in ds else 0.0
        batt_j = float(np.sum(ds["battery_power"].values[1:][m] * dt[m])) if "battery_power" in ds else 0.0
        batt_kwh = batt_j / J_PER_KWH
        per100 = 100.0 / dist_km if dist_km > 0 else math.nan
        out[p.name] = {
            "distance_km": dist_km,
            "fuel_l_per_100km": (fuel_kg / dens * per100) if fuel_kg > 0 else 0.0,
            "electricity_kwh_per_100km": batt_kwh * per100,
            "battery_energy_kwh": batt_kwh,
        }
    return out


def copy_summary(s: dict, keys=("distance_km", "fuel_l_per_100km", "co2_g_per_km", "electricity_kwh_per_100km",
                                "trace_miss_max_kmh", "energy_balance_rel_error", "fuel_raw_l_per_100km",
                                "soc_balance_method", "soc_balance_residual", "soc_start", "soc_end",
                                "j2951_er_pct", "j2951_dr_pct", "j2951_eer_pct", "j2951_ascr_pct", "j2951_iwr_pct",
                                "j2951_rmsse_kmh")) -> dict:
    """The headline keys of :func:`hybridsim.summarize` that a procedure passes on (those present; the SAE J2951
    drive-quality metrics included, :mod:`hybridsim.drive_quality`)."""
    return {k: s[k] for k in keys if k in s}


def check_published_stats(cycle: Cycle, published: dict[str, float], label: str, rel_tol: float = 0.005) -> None:
    """Raise ValueError unless ``cycle``'s statistics (:func:`hybridsim.cycle_stats` keys, e.g. ``duration_s``,
    ``distance_km``, ``max_speed_kmh``) match the ``published`` ones within ``rel_tol``.

    For a standard cycle the user supplies as a file (CLTC-P, JC08: not shipped): a trace with the wrong
    duration, distance or top speed is refused before a procedure runs on it.
    """
    s = cycle.stats()
    bad = [f"{k} = {s[k]:.4g} (published {v:g})" for k, v in published.items()
           if not math.isclose(s[k], v, rel_tol=rel_tol)]
    if bad:
        want = ", ".join(f"{k} {v:g}" for k, v in published.items())
        raise ValueError(f"cycle {cycle.name!r} is not {label}: {', '.join(bad)}; allowed: a trace with the "
                         f"published statistics of {label} ({want}, within {rel_tol:.1%})")


def standard_cycle(cycle: Cycle | None, stem: str, label: str, published: dict[str, float], needed_by: str) -> Cycle:
    """``cycle`` (a user's trace) or the shipped cycle ``stem``, checked by :func:`check_published_stats`;
    a clear ValueError when neither is there (the trace is not shipped, drive_cycles/PROVENANCE.md)."""
    if cycle is None:
        from ..cycles import list_cycles, load_cycle

        if stem not in list_cycles():
            raise ValueError(f"{needed_by} runs on {label}, whose trace is not shipped (drive_cycles/PROVENANCE.md, "
                             f"Gaps); allowed: pass the {label} trace as a CSV file (cycle=read_cycle(path); CLI: "
                             "--cycle FILE.csv)")
        cycle = load_cycle(stem)
    check_published_stats(cycle, published, label)
    return cycle
