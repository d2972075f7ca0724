"""Toyota THS-II power split: the Python side of ``core/ths`` (kernel arguments, operating line, SOC balance)."""

from __future__ import annotations

import functools

import numpy as np

from ..components.engine import RPM
from ..cycles import Cycle
from ..results import chassis_attrs
from ..vehicle import Vehicle
from ._common import common_attrs, energies, soc_balance, thermal_args


def _ths_chassis(vehicle: Vehicle):
    """Chassis with MG2's rotor (tied to the wheels through its reduction and the ring) in m_eff."""
    ch = vehicle.chassis.to_kernel()
    pg = vehicle.planetary
    i = pg.mg2_reduction_ratio * pg.ring_to_axle_ratio
    j = vehicle.motors["mg2"].inertia_kgm2 * i * i
    return ch._replace(mass_eff_kg=ch.mass_eff_kg + j / ch.wheel_radius_m**2)


def _ths_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
    from ..core.ths import ThsAuxK

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
    )
    return (_ths_chassis(vehicle), vehicle.planetary.to_kernel(), eng, vehicle.motors["mg1"].to_kernel(),
            vehicle.motors["mg2"].to_kernel(), vehicle.battery.to_kernel(), vehicle.controller.to_kernel(), aux, th)


@functools.lru_cache(maxsize=16)
def _ool(engine):
    """The engine's minimum-fuel operating line between its lowest fuelled and its maximum speed (cached)."""
    from ..components.engine_maps import optimal_operating_line

    return optimal_operating_line(engine.data(), engine.idle_speed_rpm * RPM, engine.max_speed_rpm * RPM)


def _run_ths_once(args, soc0: float, cycle: Cycle):
    from ..core.ths import allocate, run_ths

    out = allocate(cycle.time_s.shape[0])
    run_ths(*args, float(soc0), np.ascontiguousarray(cycle.time_s, dtype=np.float64),
            np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
            np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    return out


def _run_ths(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_c: float, soc_init, soc_balance_on):
    args = _ths_args(vehicle, cold_start, ambient_c)
    b = vehicle.battery
    start = vehicle.controller.soc_target if soc_init is None else soc_init

    def run(s):
        out = _run_ths_once(args, s, cycle)
        fuel, eb = energies(out, cycle)
        return out, fuel, eb

    if not soc_balance_on:
        out, fuel, eb = run(start)
        return out, {}
    out, fuel0, resid, nruns, method = soc_balance(run, b.soc_min, b.soc_max, start, vehicle.engine.lhv_j_per_kg)
    return out, {"soc_balance_fuel_kg": fuel0, "soc_balance_residual": resid, "soc_balance_runs": nruns,
                 "soc_balance_method": method}


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool):
    """Run the THS-II kernel (charge-balanced unless ``soc_balance`` is False); returns (output, attrs)."""
    out, extra = _run_ths(vehicle, cycle, cold_start=cold_start, ambient_c=ambient_temp_c, soc_init=soc_init,
                          soc_balance_on=soc_balance)
    attrs = common_attrs(vehicle, cycle)
    ch = _ths_chassis(vehicle)
    attrs.update(chassis_attrs(ch))
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs.update(extra)
    return out, attrs
