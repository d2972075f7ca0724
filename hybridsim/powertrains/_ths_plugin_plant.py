"""The THS-II plug-in's plant and kernel arguments and one kernel pass (shared by ``powertrains/ths_plugin.py`` and
``powertrains/ths_plugin_dp.py``, which would otherwise import each other)."""

from __future__ import annotations

import numpy as np

from ..components.chassis import tyre_mu
from ..components.coastdown import without_machine_drag
from ..cycles import Cycle
from ..vehicle import Vehicle
from ._ths_plant import _ths_args, _ths_chassis


def plugin_chassis(vehicle: Vehicle):
    """The THS-II chassis (MG2's rotor in m_eff, MG1/MG2 drag out of a measured coast-down) with the rear motor's
    rotor in m_eff and its drag out of the coast-down too, as a ``ChassisK``."""
    ch = _ths_chassis(vehicle)
    rear = vehicle.motors.get("rear")
    if rear is not None:
        i = vehicle.planetary.rear_motor_ratio
        ch = ch._replace(mass_eff_kg=ch.mass_eff_kg + rear.inertia_kgm2 * i * i / ch.wheel_radius_m**2)
        ch = without_machine_drag(ch, vehicle.chassis, ((rear, i / ch.wheel_radius_m),))
    return ch._replace(**{f: float(getattr(ch, f)) for f in ch._fields})


def plant_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
    """(ThsPluginPlantK, CS rules, CD rules, mode and rear-axle parameters): the kernel's arguments."""
    from ..core.ths_plugin import RearK, ThsPluginPlantK

    ths, ctl_cs = _ths_args(vehicle, cold_start, ambient_c)
    ths = ths._replace(ch=plugin_chassis(vehicle))
    c = vehicle.chassis
    rear = vehicle.motors.get("rear")
    mu = tyre_mu(c) if c.front_axle_load_share is not None else 0.0  # no axle loads known: no traction limit
    share = 0.5 if c.front_axle_load_share is None else c.front_axle_load_share
    h_over_l = 0.0 if c.cg_height_m is None or c.wheelbase_m is None else c.cg_height_m / c.wheelbase_m
    pg = vehicle.planetary
    rk = RearK(1.0 if rear is not None else 0.0, (rear or vehicle.motors["mg2"]).to_kernel(),
               float(pg.rear_motor_ratio or 1.0), float(pg.rear_drive_efficiency), float(mu), float(share),
               float(h_over_l))
    ctl = vehicle.controller
    return ThsPluginPlantK(ths, rk), ctl_cs, ctl.to_kernel_cd(), ctl.to_kernel_plugin()


def run_once(args, soc0: float, cs0: int, cycle: Cycle, strategy: int = 0):
    """One kernel pass from SOC ``soc0`` in mode ``cs0`` with the decisions of ``strategy``."""
    from ..core.ths_plugin import allocate
    from ..core.ths_plugin_control import KERNELS

    out = allocate(cycle.time_s.shape[0])
    KERNELS[int(strategy)](*args, float(soc0), float(cs0), np.ascontiguousarray(cycle.time_s, dtype=np.float64),
                           np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
                           np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    return out
