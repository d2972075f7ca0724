"""``simulate(vehicle, cycle)``: the one entry point from data to a result Dataset.

Vehicle and cycle are checked here, at the boundary; the numba kernel of the vehicle's architecture
runs on plain arrays and NamedTuples (``to_kernel``), and its outputs become an ``xarray.Dataset``
with units on every variable (``results.py``).
"""

from __future__ import annotations

import functools

import numpy as np
import xarray as xr

from . import __version__
from .components.engine import RPM
from .cycles import Cycle
from .results import to_dataset
from .vehicle import Vehicle


def _common_attrs(vehicle: Vehicle, cycle: Cycle) -> dict:
    ch = vehicle.chassis.to_kernel()
    attrs = {
        "vehicle": vehicle.id,
        "vehicle_name": vehicle.name,
        "architecture": vehicle.architecture,
        "cycle": cycle.name,
        "hybridsim_version": __version__,
    }
    for f in ch._fields:
        attrs[f"chassis_{f}"] = float(getattr(ch, f))
    if vehicle.engine is not None:
        attrs["fuel_density_kg_per_l"] = float(vehicle.engine.fuel_density_kg_per_l)
        attrs["fuel_lhv_j_per_kg"] = float(vehicle.engine.lhv_j_per_kg)
        attrs["co2_per_fuel_kg"] = float(vehicle.engine.co2_per_fuel_mass)
    return attrs


def _run_conventional(vehicle: Vehicle, cycle: Cycle):
    from .core.conventional import allocate, run_conventional

    out = allocate(cycle.time_s.shape[0])
    run_conventional(
        vehicle.chassis.to_kernel(),
        vehicle.engine.to_kernel(),
        vehicle.transmission.to_kernel(),
        vehicle.controller.to_kernel(),
        float(vehicle.accessories.crank_power_w),
        np.ascontiguousarray(cycle.time_s, dtype=np.float64),
        np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
        np.ascontiguousarray(cycle.grade, dtype=np.float64),
        out,
    )
    return out


def simulate(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool = False, ambient_temp_c: float = 23.0,
             soc_init: float | None = None, soc_balance: bool = True) -> xr.Dataset:
    """Simulate ``vehicle`` over ``cycle``; return the time series as an ``xarray.Dataset``.

    Parameters
    ----------
    vehicle : from :func:`hybridsim.load_vehicle` / :func:`hybridsim.read_vehicle`.
    cycle : from :func:`hybridsim.load_cycle` / :func:`hybridsim.read_cycle`.
    cold_start : start with the engine at ``ambient_temp_c`` (type-approval tests: WLTP 23 °C, NEDC
        20–30 °C); hybrids only (the conventional model has no thermal model yet).
    ambient_temp_c : soak temperature for a cold start. [°C]
    soc_init : initial state of charge (hybrids); default the controller's target.
    soc_balance : report a charge-balanced result (hybrids): the initial SOC is iterated until the net
        battery energy is within 0.1 % of the fuel energy, else fuel is interpolated to zero net battery
        energy; raw and corrected figures are both in :func:`summarize`.

    Returns
    -------
    Dataset on ``time`` with every variable's ``units`` and ``long_name``; :func:`summarize` turns it
    into headline figures. A vehicle that cannot follow the trace falls behind (``trace_miss``).
    """
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")
    if not isinstance(cycle, Cycle):
        raise TypeError(f"cycle must be a hybridsim Cycle, got {type(cycle).__name__}")
    extra: dict = {}
    if vehicle.architecture == "conventional":
        if cold_start:
            raise ValueError("cold_start=True: no engine thermal model for architecture 'conventional' "
                             "(allowed: False)")
        out = _run_conventional(vehicle, cycle)
        attrs = _common_attrs(vehicle, cycle)
    else:
        if soc_init is not None and not (vehicle.battery.soc_min <= soc_init <= vehicle.battery.soc_max):
            raise ValueError(f"soc_init = {soc_init}: out of range, allowed {vehicle.battery.soc_min} to "
                             f"{vehicle.battery.soc_max} (the battery's SOC window)")
        if not -40.0 <= ambient_temp_c <= 60.0:
            raise ValueError(f"ambient_temp_c = {ambient_temp_c}: out of range, allowed -40 to 60")
        out, extra = _run_ths(vehicle, cycle, cold_start=cold_start, ambient_c=ambient_temp_c,
                              soc_init=soc_init, soc_balance_on=soc_balance)
        attrs = _common_attrs(vehicle, cycle)
        ch = _ths_chassis(vehicle)
        for f in ch._fields:
            attrs[f"chassis_{f}"] = float(getattr(ch, f))
        attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs["cold_start"] = int(cold_start)
    attrs.update(extra)
    return to_dataset(cycle, out, attrs)


# --- THS-II power split ---------------------------------------------------------------------------

def _ths_chassis(vehicle: Vehicle):
    """Chassis with MG2's rotor (tied to the wheels through its reduction and the ring) in m_eff."""
    ch = vehicle.chassis.to_kernel()
    pg = vehicle.planetary
    i = pg.mg2_reduction_ratio * pg.ring_to_axle_ratio
    j = vehicle.motors["mg2"].inertia_kgm2 * i * i
    return ch._replace(mass_eff_kg=ch.mass_eff_kg + j / ch.wheel_radius_m**2)


def _ths_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
    from .core.ths import ThermalK, ThsAuxK

    e = vehicle.engine
    m = e.data()
    ool = _ool(e)
    eng = e.to_kernel()
    aux = ThsAuxK(
        accessory_power_w=float(vehicle.accessories.battery_power_w),
        engine_start_fuel_kg=float(e.start_fuel_g * 1e-3),
        engine_min_speed_rad_s=float(e.idle_speed_rpm * RPM),
        ool_power_max_w=float(ool.power_w[-1]),
        ool_power_step_inv=float(1.0 / (ool.power_w[1] - ool.power_w[0])),
        ool_speed_rad_s=np.ascontiguousarray(ool.speed_rad_s, dtype=np.float64),
        friction_fuel_kg_s=np.ascontiguousarray(m.willans.friction_fuel_kg_s(m.speed_rad_s, e.lhv_j_per_kg),
                                                dtype=np.float64),
    )
    th = ThermalK(1.0 if cold_start else 0.0, float(ambient_c), float(e.hot_coolant_c),
                  float(e.coolant_heat_capacity_kj_per_k * 1e3), float(e.coolant_heat_fraction),
                  float(e.cold_friction_exponent))
    return (_ths_chassis(vehicle), vehicle.planetary.to_kernel(), eng, vehicle.motors["mg1"].to_kernel(),
            vehicle.motors["mg2"].to_kernel(), vehicle.battery.to_kernel(), vehicle.controller.to_kernel(), aux, th)


@functools.lru_cache(maxsize=16)
def _ool(engine):
    """The engine's minimum-fuel operating line between its lowest fuelled and its maximum speed (cached)."""
    from .components.engine_maps import optimal_operating_line

    return optimal_operating_line(engine.data(), engine.idle_speed_rpm * RPM, engine.max_speed_rpm * RPM)


def _run_ths_once(args, soc0: float, cycle: Cycle):
    from .core.ths import allocate, run_ths

    out = allocate(cycle.time_s.shape[0])
    run_ths(*args, float(soc0), np.ascontiguousarray(cycle.time_s, dtype=np.float64),
            np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
            np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    return out


def _energies(out, cycle: Cycle) -> tuple[float, float]:
    dt = np.diff(cycle.time_s)
    return (float(np.sum(out.fuel_kg_s[1:] * dt)), float(np.sum(out.battery_chemical_power_w[1:] * dt)))


def soc_balance(run, soc_lo: float, soc_hi: float, soc_start: float, lhv: float, *, tol: float = 1e-3,
                max_runs: int = 12):
    """Charge-balance a hybrid run (SAE J1711 / WLTP RCB idea, components.md §5.6).

    ``run(soc0) -> (out, fuel_kg, battery_chemical_j)``. The initial SOC is iterated (secant, kept in
    [soc_lo, soc_hi]) until the net battery energy is within ``tol`` of the fuel energy. If that does
    not happen within ``max_runs``, the fuel is interpolated to zero net battery energy by a straight
    line through all runs (the K-factor correction). Returns (out of the last run, fuel at zero net
    battery energy [kg], residual = ΔE_batt/E_fuel of the last run, runs, method).
    """
    runs = []

    def call(s):
        out, fuel, eb = run(s)
        runs.append((s, fuel, eb, out))
        return eb / max(fuel * lhv, 1.0)

    s0 = soc_start
    r0 = call(s0)
    if abs(r0) <= tol:
        return runs[-1][3], runs[-1][1], r0, 1, "iterated"
    s1 = min(max(s0 + (0.05 if r0 < 0 else -0.05), soc_lo), soc_hi)
    r1 = call(s1)
    while len(runs) < max_runs and abs(r1) > tol:
        if r1 == r0:
            break
        s2 = s1 - r1 * (s1 - s0) / (r1 - r0)
        s2 = min(max(s2, soc_lo), soc_hi)
        if s2 == s1:
            break
        s0, r0 = s1, r1
        s1 = s2
        r1 = call(s1)
    best = min(runs, key=lambda r: abs(r[2]))
    if abs(best[2]) <= tol * max(best[1] * lhv, 1.0):
        return best[3], best[1], best[2] / max(best[1] * lhv, 1.0), len(runs), "iterated"
    eb = np.array([r[2] for r in runs])
    fu = np.array([r[1] for r in runs])
    if np.ptp(eb) > 0:
        slope, icpt = np.polyfit(eb, fu, 1)
        fuel0 = float(icpt)
    else:
        fuel0 = float(best[1])
    return best[3], fuel0, best[2] / max(best[1] * lhv, 1.0), len(runs), "interpolated"


def _run_ths(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_c: float, soc_init, soc_balance_on):
    args = _ths_args(vehicle, cold_start, ambient_c)
    b = vehicle.battery
    start = vehicle.controller.soc_target if soc_init is None else soc_init

    def run(s):
        out = _run_ths_once(args, s, cycle)
        fuel, eb = _energies(out, cycle)
        return out, fuel, eb

    if not soc_balance_on:
        out, fuel, eb = run(start)
        return out, {}
    out, fuel0, resid, nruns, method = soc_balance(run, b.soc_min, b.soc_max, start, vehicle.engine.lhv_j_per_kg)
    return out, {"soc_balance_fuel_kg": fuel0, "soc_balance_residual": resid, "soc_balance_runs": nruns,
                 "soc_balance_method": method}
