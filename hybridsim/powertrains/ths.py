"""Toyota THS-II power split: the Python side of ``core/ths`` (kernel arguments, operating line, SOC balance)."""

from __future__ import annotations

import functools

import numpy as np

from ..components.coastdown import without_machine_drag
from ..components.engine import RPM
from ..cycles import Cycle
from ..results import chassis_attrs
from ..units import KMH_PER_MPS
from ..vehicle import Vehicle
from ._common import common_attrs, energies, soc_balance, thermal_args


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


STRATEGY_CODES = {"rule_based": 0, "ecms": 1}  # core.ths_control RULE_BASED, ECMS


def _run_ths(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_c: float, soc_init, soc_balance_on,
             strategy: str = "rule_based"):
    args = _ths_args(vehicle, cold_start, ambient_c)
    b = vehicle.battery
    start = vehicle.controller.soc_target if soc_init is None else soc_init
    code = STRATEGY_CODES[strategy]

    def run(s):
        out = _run_ths_once(args, s, cycle, code)
        fuel, eb = energies(out, cycle)
        return out, fuel, eb

    if not soc_balance_on:
        out, fuel, eb = run(start)
        return out, {}
    out, fuel0, resid, nruns, method = soc_balance(run, b.soc_min, b.soc_max, start, vehicle.engine.lhv_j_per_kg)
    return out, {"soc_balance_fuel_kg": fuel0, "soc_balance_residual": resid, "soc_balance_runs": nruns,
                 "soc_balance_method": method}


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool,
        strategy: str = "rule_based", dp_options: dict | None = None):
    """Run the THS-II kernel with the decisions of ``strategy`` (charge-balanced unless ``soc_balance`` is
    False; ``"dp"``: the dynamic-programming optimum, charge-sustaining by construction); returns (output, attrs)."""
    if strategy == "dp":
        from .ths_dp import run_dp

        out, extra = run_dp(vehicle, cycle, soc_init=soc_init, **(dp_options or {}))
    else:
        out, extra = _run_ths(vehicle, cycle, cold_start=cold_start, ambient_c=ambient_temp_c, soc_init=soc_init,
                              soc_balance_on=soc_balance, strategy=strategy)
    attrs = common_attrs(vehicle, cycle)
    ch = _ths_chassis(vehicle)
    attrs.update(chassis_attrs(ch))
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs.update(extra)
    return out, attrs
