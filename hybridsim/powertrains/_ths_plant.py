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

    The kernel is called through its compiled entry point once the dispatcher has typed the same ``args`` object
    with cycle arrays of the same kind (``_typed_entry``): numba's dispatcher types every nested argument tuple on
    every call (≈25 µs). ``entry``: the strategy kernel's compiled entry point (:func:`_entry`), for a further pass
    with the same ``args`` and ``cycle`` as an earlier one."""
    from ..core.ths import allocate
    from ..core.ths_control import KERNELS

    out = allocate(cycle.time_s.shape[0])
    arrays = (np.ascontiguousarray(cycle.time_s, dtype=np.float64),
              np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
              np.ascontiguousarray(cycle.grade, dtype=np.float64))
    key = (id(args), int(strategy), *(a.flags.writeable for a in arrays))
    if entry is None:
        entry = _typed_entry(key, args)
    if entry is not None:
        entry(*args, float(soc0), *arrays, out)
        return out
    KERNELS[int(strategy)](*args, float(soc0), *arrays, out)
    cres = _only_overload(int(strategy))
    if cres is not None:  # the dispatcher typed these arguments: this is their compiled code
        if len(_TYPED) >= 32:
            _TYPED.pop(next(iter(_TYPED)))
        _TYPED[key] = (args, cres)
    return out


#: (id(args), strategy, the cycle arrays' writeable flags) → (args, the kernel's compiled result the dispatcher chose
#: for them). The types of a call's arguments are fixed by these: ``args`` is a tuple of NamedTuples of floats and
#: arrays (kept here, so its id is not reused), the cycle arrays are C-contiguous float64 (read-only or not), the
#: output comes from ``allocate``, the SOC is a float.
_TYPED: dict = {}


def _only_overload(strategy: int):
    """The strategy kernel's compiled result if it has exactly one signature (the design: one), else None.

    ``dict.values`` of the dispatcher's ``overloads`` (an OrderedDict keyed by signature): OrderedDict's own
    ``values()`` looks every key up again, hashing each signature's nested NamedTuple types (≈40 µs)."""
    from ..core.ths_control import KERNELS

    overloads = getattr(KERNELS[int(strategy)], "overloads", None)
    if overloads is None or len(overloads) != 1:
        return None
    return next(iter(dict.values(overloads)))


def _typed_entry(key: tuple, args):
    """The compiled entry point for a call whose arguments have the types of an earlier dispatched call (``_TYPED``),
    if that compiled result is still the kernel's only one; else None (the dispatcher is called)."""
    hit = _TYPED.get(key)
    if hit is None or hit[0] is not args:
        return None
    cres = _only_overload(key[1])
    return cres.entry_point if cres is hit[1] else None


def _entry(strategy: int):
    """The compiled entry point of the strategy's kernel if it has exactly one signature (the design: one), else
    None (then the dispatcher is called)."""
    cres = _only_overload(strategy)
    return None if cres is None else getattr(cres, "entry_point", None)
