"""P2 parallel plug-in hybrid: the Python side of ``core/p2`` (kernel arguments, initial SOC).

Plug-in conventions (COMMON contract): ``soc_init=None`` starts from full charge, i.e. the battery's
``soc_max``, and the run is charge-depleting until the controller's CS threshold. A plug-in hybrid is
never SOC-balanced: ``soc_balance`` is ignored (the WLTP/NEDC plug-in procedures in
``procedures/phev.py`` combine charge-depleting and charge-sustaining runs instead), so
``simulate(v, cycle)`` with its default ``soc_balance=True`` gives the raw run from full charge.
``cold_start=True`` starts the engine's coolant at ``ambient_temp_c`` (warm-up model of ``core/ths.py``).
The controller's initial mode is the keyword ``charge_sustaining`` of :func:`run` (True/False, or None: by
the SOC, CS when it is below the top of the CD-resume hysteresis band); ``simulate()`` uses None.
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import common_attrs, thermal_args


def plant_args(vehicle: Vehicle, cold_start: bool = False, ambient_c: float = 23.0):
    """(P2PlantK, P2ControlK): the plant step's parameters and the decision layer's."""
    from ..core.p2 import P2AuxK, P2PlantK

    e = vehicle.engine
    m = vehicle.motors["p2"]
    c = vehicle.controller
    th, fric = thermal_args(vehicle, cold_start, ambient_c)
    ctl = c.to_kernel()
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
    )
    plant = P2PlantK(vehicle.chassis.to_kernel(), e.to_kernel(), vehicle.transmission.to_kernel(), m.to_kernel(),
                     vehicle.battery.to_kernel(), aux, th)
    return plant, ctl


STRATEGY_CODES = {"rule_based": 0, "ecms": 1}  # core.p2_control RULE_BASED, ECMS


def run_p2_once(args, soc0: float, cycle: Cycle, charge_sustaining: bool | None = None, strategy: int = 0):
    """One kernel pass from SOC ``soc0``: ``args`` = ``plant_args(...)``, ``strategy`` a ``core.p2_control``
    code."""
    from ..core.p2 import allocate
    from ..core.p2_control import run_p2

    out = allocate(cycle.time_s.shape[0])
    cs_init = -1.0 if charge_sustaining is None else float(bool(charge_sustaining))
    run_p2(*args, int(strategy), float(soc0), cs_init, np.ascontiguousarray(cycle.time_s, dtype=np.float64),
           np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
           np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    return out


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool,
        charge_sustaining: bool | None = None, strategy: str = "rule_based", dp_options: dict | None = None):
    """Run the P2 kernel from ``soc_init`` (default: full charge, ``battery.soc_max``); returns (output, attrs).

    ``soc_balance`` is ignored for this plug-in architecture (see the module docstring).
    ``charge_sustaining`` is the controller's initial mode: True CS, False CD, None (default) by the SOC:
    CS when ``soc_init < soc_cs_enter + cd_resume_band`` (a start inside the hysteresis band is taken as a
    car that has already depleted to the CS threshold), CD otherwise. The procedures set it explicitly.
    ``strategy``: ``"rule_based"`` or ``"ecms"`` (ECMS in charge-sustaining mode, the rules in charge-depleting
    mode: ``core/p2_control.py``); ``"dp"``: the dynamic-programming optimum in charge-sustaining operation
    (``powertrains/p2_dp.py``; initial SOC default ``soc_target``, final = initial; ``dp_options``: ``soc_grid``,
    ``power_points``).
    """
    if charge_sustaining is not None and not isinstance(charge_sustaining, bool | np.bool_):
        raise ValueError(f"charge_sustaining = {charge_sustaining!r}: allowed True, False or None")
    extra = {}
    if strategy == "dp":
        from .p2_dp import run_dp

        out, extra = run_dp(vehicle, cycle, soc_init=soc_init, **(dp_options or {}))
        soc0 = float(out.soc[0])
    else:
        soc0 = vehicle.battery.soc_max if soc_init is None else float(soc_init)
        out = run_p2_once(plant_args(vehicle, cold_start, ambient_temp_c), soc0, cycle, charge_sustaining,
                          STRATEGY_CODES[strategy])
    attrs = common_attrs(vehicle, cycle)
    attrs.update(extra)
    attrs["soc_init"] = soc0
    attrs["charge_sustaining_init"] = int(out.charge_sustaining[0])
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs["engine_hot_coolant_c"] = float(vehicle.engine.hot_coolant_c)
    return out, attrs
