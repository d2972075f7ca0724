"""Conventional car (engine → torque converter → automatic gearbox): the Python side of ``core/conventional``."""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import common_attrs


def _run_conventional(vehicle: Vehicle, cycle: Cycle):
    from ..core.conventional import allocate, run_conventional

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



def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool):
    """Run the conventional kernel; returns (kernel output, Dataset attributes)."""
    if cold_start:
        raise ValueError("cold_start=True: no engine thermal model for architecture 'conventional' "
                         "(allowed: False)")
    return _run_conventional(vehicle, cycle), common_attrs(vehicle, cycle)
