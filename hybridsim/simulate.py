"""``simulate(vehicle, cycle)``: the one entry point from data to a result Dataset.

Vehicle and cycle are checked here, at the boundary; the numba kernel of the vehicle's architecture
runs on plain arrays and NamedTuples (``to_kernel``), and its outputs become an ``xarray.Dataset``
with units on every variable (``results.py``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from . import __version__
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


_RUNNERS = {"conventional": _run_conventional}


def simulate(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool = False) -> xr.Dataset:
    """Simulate ``vehicle`` over ``cycle``; return the time series as an ``xarray.Dataset``.

    Parameters
    ----------
    vehicle : from :func:`hybridsim.load_vehicle` / :func:`hybridsim.read_vehicle`.
    cycle : from :func:`hybridsim.load_cycle` / :func:`hybridsim.read_cycle`.
    cold_start : start with a cold engine (type-approval tests). Only architectures with a thermal
        model accept it.

    Returns
    -------
    Dataset on ``time`` with every variable's ``units`` and ``long_name``; :func:`summarize` turns it
    into headline figures. A vehicle that cannot follow the trace falls behind (``trace_miss``).
    """
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")
    if not isinstance(cycle, Cycle):
        raise TypeError(f"cycle must be a hybridsim Cycle, got {type(cycle).__name__}")
    if cold_start:
        raise ValueError(f"cold_start=True: no engine thermal model for architecture "
                         f"{vehicle.architecture!r} (allowed: False)")
    out = _RUNNERS[vehicle.architecture](vehicle, cycle)
    attrs = _common_attrs(vehicle, cycle)
    attrs["cold_start"] = int(cold_start)
    return to_dataset(cycle, out, attrs)
