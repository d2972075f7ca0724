"""The P2's plant and kernel arguments (shared by ``powertrains/p2.py`` and ``powertrains/p2_dp.py``, which
would otherwise import each other)."""

from __future__ import annotations

import math

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import thermal_args


def plant_args(vehicle: Vehicle, cold_start: bool = False, ambient_c: float = 23.0):
    """(P2PlantK, P2ControlK): the plant step's parameters and the decision layer's."""
    from ..core.p2 import P2AuxK, P2PlantK

    e = vehicle.engine
    m = vehicle.motors["p2"]
    c = vehicle.controller
    th, fric = thermal_args(vehicle, cold_start, ambient_c)
    ctl = c.to_kernel()
    if not vehicle.plugin:
        # a full (not plug-in) hybrid is charge-sustaining throughout: the CD/CS hysteresis never leaves CS
        ctl = ctl._replace(cd_resume_band=math.inf)
    aux = P2AuxK(
        accessory_power_w=float(vehicle.accessories.battery_power_w),
        engine_start_fuel_kg=float(e.start_fuel_g * 1e-3),
        input_inertia_kgm2=float(m.inertia_kgm2 + vehicle.transmission.input_inertia_kgm2),
        friction_fuel_kg_s=fric,
        clutch_close_speed_rad_s=ctl.min_engine_speed_rad_s,
        regen_share=ctl.regen_share,
        regen_fade_speed_mps=ctl.regen_fade_speed_mps,
        crank_time_s=ctl.crank_time_s,
        shift_time_s=ctl.shift_time_s,
        input_drag_torque_nm=0.0,
    )
    gb = vehicle.transmission.to_kernel()
    if vehicle.transmission.kind == "cvt":  # its ratio steps as gears, its input drag (powertrains/_p2_cvt.py)
        from ._p2_cvt import gearbox_kernel

        gb, drag = gearbox_kernel(vehicle)
        aux = aux._replace(input_drag_torque_nm=drag)
    plant = P2PlantK(vehicle.chassis.to_kernel(), e.to_kernel(), gb, m.to_kernel(), vehicle.battery.to_kernel(), aux,
                     th)
    return plant, ctl


STRATEGY_CODES = {"rule_based": 0, "ecms": 1}  # core.p2_control RULE_BASED, ECMS


def run_p2_once(args, soc0: float, cycle: Cycle, charge_sustaining: bool | None = None, strategy: int = 0,
                gear_plan=None):
    """One kernel pass from SOC ``soc0``: ``args`` = ``plant_args(...)``, ``strategy`` a ``core.p2_control``
    code, ``gear_plan`` the prescribed gears of a manual box (:func:`gear_plan`; None: the controller's)."""
    from ..core.p2 import allocate
    from ..core.p2_control import run_p2

    n = cycle.time_s.shape[0]
    out = allocate(n)
    cs_init = -1.0 if charge_sustaining is None else float(bool(charge_sustaining))
    plan = np.full(n, -1.0) if gear_plan is None else np.ascontiguousarray(gear_plan, dtype=np.float64)
    run_p2(*args, int(strategy), float(soc0), cs_init, np.ascontiguousarray(cycle.time_s, dtype=np.float64),
           np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
           np.ascontiguousarray(cycle.grade, dtype=np.float64), plan, out)
    return out


def gear_plan(vehicle: Vehicle, cycle: Cycle, strategy: str = "rule_based"):
    """The gears a procedure prescribes for a manual gearbox on ``cycle`` (``hybridsim/gearshift.py``, the same
    rules as a conventional manual car); for a CVT and the rules, the ratio steps of the engine's operating line
    (``powertrains/_p2_cvt.py``; ECMS and the DP choose them); None for a box the controller shifts."""
    if vehicle.transmission.kind == "cvt":
        if strategy != "rule_based":
            return None
        from ._p2_cvt import ratio_plan

        return ratio_plan(vehicle, cycle)
    if vehicle.transmission.kind != "manual":
        return None
    from ..gearshift import gear_plan as plan

    return plan(vehicle, cycle)
