"""The series-parallel plant and kernel arguments (shared by ``powertrains/series_parallel.py`` and
``powertrains/series_parallel_dp.py``, which would otherwise import each other)."""

from __future__ import annotations

import functools

import numpy as np

from ..components.coastdown import without_machine_drag
from ..components.engine import RPM
from ..cycles import Cycle
from ..units import KMH_PER_MPS
from ..vehicle import Vehicle
from ._common import thermal_args


def sp_chassis(vehicle: Vehicle):
    """Chassis with MG2's rotor (geared to the wheels) in m_eff and, for a measured coast-down, without the drag of
    MG2 that it holds (the engine and MG1 stand still with the clutch open: components/coastdown.py)."""
    ch = vehicle.chassis.to_kernel()
    i = vehicle.series_parallel_gearing.motor_to_axle_ratio
    mg2 = vehicle.motors["mg2"]
    ch = ch._replace(mass_eff_kg=ch.mass_eff_kg + mg2.inertia_kgm2 * i * i / ch.wheel_radius_m**2)
    return without_machine_drag(ch, vehicle.chassis, ((mg2, i / ch.wheel_radius_m),))


@functools.lru_cache(maxsize=16)
def _ool(engine):
    from ..components.engine_maps import optimal_operating_line

    return optimal_operating_line(engine.data(), engine.idle_speed_rpm * RPM, engine.max_speed_rpm * RPM)


def plant_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
    """(SpPlantK, SpControlK): the plant step's parameters and the decision layer's."""
    from ..core.series_parallel import SpAuxK, SpGearK, SpPlantK

    e = vehicle.engine
    ool = _ool(e)
    th, friction_fuel = thermal_args(vehicle, cold_start, ambient_c)
    aux = SpAuxK(
        accessory_power_w=float(vehicle.accessories.battery_power_w),
        engine_start_fuel_kg=float(e.start_fuel_g * 1e-3),
        engine_min_speed_rad_s=float(e.idle_speed_rpm * RPM),
        ool_power_max_w=float(ool.power_w[-1]),
        ool_power_step_inv=float(1.0 / (ool.power_w[1] - ool.power_w[0])),
        ool_speed_rad_s=np.ascontiguousarray(ool.speed_rad_s, dtype=np.float64),
        friction_fuel_kg_s=friction_fuel,
        regen_fade_speed_mps=float(vehicle.controller.regen_fade_speed_kmh / KMH_PER_MPS),
    )
    plant = SpPlantK(sp_chassis(vehicle), SpGearK(*vehicle.series_parallel_gearing.to_kernel()), e.to_kernel(),
                     vehicle.motors["mg1"].to_kernel(), vehicle.motors["mg2"].to_kernel(), vehicle.battery.to_kernel(),
                     aux, th)
    return plant, vehicle.controller.to_kernel()


def run_once(args, soc0: float, cycle: Cycle, strategy: int = 0):
    """One kernel pass from SOC ``soc0``."""
    from ..core.series_parallel import allocate
    from ..core.series_parallel_control import run_series_parallel

    out = allocate(cycle.time_s.shape[0])
    run_series_parallel(*args, int(strategy), float(soc0), np.ascontiguousarray(cycle.time_s, dtype=np.float64),
                        np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
                        np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    return out
