"""THS-II kernel arguments and one kernel pass: what the cycle runner (``ths.py``) and the dynamic-programming
runner (``ths_dp.py``) share."""

from __future__ import annotations

import functools

import numpy as np

from ..components.coastdown import without_machine_drag
from ..components.engine import RPM
from ..cycles import Cycle
from ..units import KMH_PER_MPS
from ..vehicle import Vehicle
from ._common import thermal_args


def _ths_chassis(vehicle: Vehicle):
    """Chassis with MG2's rotor (tied to the wheels through its reduction and the ring) in m_eff, and, for a
    measured coast-down, without the drag of MG2 and MG1 (engine stopped, as in neutral) that it holds
    (``components/coastdown.py``)."""
    ch = vehicle.chassis.to_kernel()
    pg = vehicle.planetary
    i = pg.mg2_reduction_ratio * pg.ring_to_axle_ratio
    j = vehicle.motors["mg2"].inertia_kgm2 * i * i
    ch = ch._replace(mass_eff_kg=ch.mass_eff_kg + j / ch.wheel_radius_m**2)
    g_ring = pg.ring_to_axle_ratio / ch.wheel_radius_m  # ring speed per road speed [rad/s per m/s]
    machines = ((vehicle.motors["mg2"], pg.mg2_reduction_ratio * g_ring),
                (vehicle.motors["mg1"], pg.ring_teeth / pg.sun_teeth * g_ring))  # ω_MG1 = −k·ω_r, carrier at rest
    return without_machine_drag(ch, vehicle.chassis, machines)


def _ths_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
    """(ThsPlantK, controller NamedTuple): the plant step's parameters and the decision layer's."""
    from ..core.ths import ThsAuxK, ThsPlantK

    e = vehicle.engine
    ool = _ool(e)
    eng = e.to_kernel()
    th, friction_fuel = thermal_args(vehicle, cold_start, ambient_c)
    aux = ThsAuxK(
        accessory_power_w=float(vehicle.accessories.battery_power_w),
        engine_start_fuel_kg=float(e.start_fuel_g * 1e-3),
        engine_min_speed_rad_s=float(e.idle_speed_rpm * RPM),
        ool_power_max_w=float(ool.power_w[-1]),
        ool_power_step_inv=float(1.0 / (ool.power_w[1] - ool.power_w[0])),
        ool_speed_rad_s=np.ascontiguousarray(ool.speed_rad_s, dtype=np.float64),
        friction_fuel_kg_s=friction_fuel,
        regen_fade_speed_mps=float(vehicle.controller.regen_fade_speed_kmh / KMH_PER_MPS),
    )
    plant = ThsPlantK(_ths_chassis(vehicle), vehicle.planetary.to_kernel(), eng, vehicle.motors["mg1"].to_kernel(),
                      vehicle.motors["mg2"].to_kernel(), vehicle.battery.to_kernel(), aux, th)
    return plant, vehicle.controller.to_kernel()


@functools.lru_cache(maxsize=16)
def _ool(engine):
    """The engine's minimum-fuel operating line between its lowest fuelled and its maximum speed (cached)."""
    from ..components.engine_maps import optimal_operating_line

    return optimal_operating_line(engine.data(), engine.idle_speed_rpm * RPM, engine.max_speed_rpm * RPM)


def _run_ths_once(args, soc0: float, cycle: Cycle, strategy: int = 0):
    """One kernel pass from SOC ``soc0`` with the decisions of ``strategy`` (``core.ths_control`` code)."""
    from ..core.ths import allocate
    from ..core.ths_control import run_ths

    out = allocate(cycle.time_s.shape[0])
    run_ths(*args, int(strategy), float(soc0), np.ascontiguousarray(cycle.time_s, dtype=np.float64),
            np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
            np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    return out
