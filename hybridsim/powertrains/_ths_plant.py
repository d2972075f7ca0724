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


_ARGS: dict = {}  # (id(vehicle), cold_start, ambient_c) → (vehicle, args); small, by identity (vehicles are immutable)


def _ths_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
    """(ThsPlantK, controller NamedTuple): the plant step's parameters and the decision layer's (built once per
    vehicle object and conditions: a charge-balanced run and its balance line reuse them; the kernels only read
    them)."""
    key = (id(vehicle), bool(cold_start), float(ambient_c))
    hit = _ARGS.get(key)
    if hit is not None and hit[0] is vehicle:
        return hit[1]
    args = _build_ths_args(vehicle, cold_start, ambient_c)
    if len(_ARGS) >= 32:
        _ARGS.pop(next(iter(_ARGS)))
    _ARGS[key] = (vehicle, args)
    return args


def _build_ths_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
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


def _run_ths_once(args, soc0: float, cycle: Cycle, strategy: int = 0, entry=None):
    """One kernel pass from SOC ``soc0`` with the decisions of ``strategy`` (``core.ths_control`` code).

    ``entry``: the strategy kernel's compiled entry point (:func:`_entry`), for a further pass with the same
    ``args`` and ``cycle`` as an earlier one: it skips the dispatcher's typing of the nested argument tuples
    (≈60 µs a call; the types are those the earlier pass was compiled for)."""
    from ..core.ths import allocate
    from ..core.ths_control import KERNELS

    out = allocate(cycle.time_s.shape[0])
    (entry or KERNELS[int(strategy)])(*args, float(soc0), np.ascontiguousarray(cycle.time_s, dtype=np.float64),
                                      np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
                                      np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    return out


def _entry(strategy: int):
    """The compiled entry point of the strategy's kernel if it has exactly one signature (the design: one), else
    None (then the dispatcher is called)."""
    from ..core.ths_control import KERNELS

    # the dispatcher's overloads (signature → compiled code), not its ``signatures`` (a list built per call, ≈30 µs)
    overloads = getattr(KERNELS[int(strategy)], "overloads", None)
    if overloads is None or len(overloads) != 1:
        return None
    return getattr(next(iter(overloads.values())), "entry_point", None)
