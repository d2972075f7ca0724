"""Conventional car (engine → torque converter → automatic gearbox, or clutch → manual gearbox): the Python
side of ``core/conventional``. A manual car's gears come from ``hybridsim/gearshift.py`` (by the cycle's
procedure) and go to the kernel as an array.

``cold_start=True`` starts the engine's coolant at ``ambient_temp_c`` (warm-up model of ``core/thermal.py``,
the same as the hybrids').
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import common_attrs, thermal_args


def plant_args(vehicle: Vehicle, cold_start: bool = False, ambient_c: float = 23.0):
    """(``core.conventional.ConvPlantK``, controller kernel parameters) of a vehicle."""
    from ..core.conventional import ConvAuxK, ConvPlantK

    th, friction_fuel = thermal_args(vehicle, cold_start, ambient_c)
    plant = ConvPlantK(vehicle.chassis.to_kernel(), vehicle.engine.to_kernel(), vehicle.transmission.to_kernel(),
                       vehicle.transmission.cvt_kernel(vehicle.engine),
                       ConvAuxK(float(vehicle.accessories.crank_power_w), friction_fuel), th)
    return plant, vehicle.controller.to_kernel()


def _run_conventional(vehicle: Vehicle, cycle: Cycle, cold_start: bool = False, ambient_c: float = 23.0):
    from ..core.conventional import allocate
    from ..core.conventional_control import run_conventional

    n = cycle.time_s.shape[0]
    out = allocate(n)
    if vehicle.transmission.kind == "manual":
        from ..gearshift import gear_plan

        plan = np.ascontiguousarray(gear_plan(vehicle, cycle), dtype=np.float64)
    else:
        plan = np.full(n, -1.0)
    run_conventional(
        *plant_args(vehicle, cold_start, ambient_c),
        np.ascontiguousarray(cycle.time_s, dtype=np.float64),
        np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
        np.ascontiguousarray(cycle.grade, dtype=np.float64),
        plan,
        out,
    )
    return out


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool):
    """Run the conventional kernel (cold or hot engine); returns (kernel output, Dataset attributes)."""
    out = _run_conventional(vehicle, cycle, cold_start, ambient_temp_c)
    attrs = common_attrs(vehicle, cycle)
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs["engine_hot_coolant_c"] = float(vehicle.engine.hot_coolant_c)
    return out, attrs
