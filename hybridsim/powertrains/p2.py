"""P2 parallel hybrid: the Python side of ``core/p2`` (kernel arguments, initial SOC, SOC balance).

Whether the car is a plug-in is the vehicle's (``[vehicle] plugin``, default true for ``p2``: the registry's
``plugin`` with ``plugin_optional``), never guessed from the battery size.

Plug-in (COMMON contract): ``soc_init=None`` starts from full charge, i.e. the battery's ``soc_max``, and the run
is charge-depleting until the controller's CS threshold. A plug-in hybrid is never SOC-balanced: ``soc_balance``
is ignored (the WLTP/NEDC plug-in procedures in ``procedures/phev.py`` combine charge-depleting and
charge-sustaining runs instead), so ``simulate(v, cycle)`` with its default ``soc_balance=True`` gives the raw
run from full charge. The controller's initial mode is the keyword ``charge_sustaining`` of :func:`run`
(True/False, or None: by the SOC, CS when it is below the top of the CD-resume hysteresis band); ``simulate()``
uses None.

Full hybrid (``[vehicle] plugin = false``, e.g. the Hyundai Ioniq Hybrid): charge-sustaining throughout (the
controller never enters CD), ``soc_init=None`` starts at the controller's ``soc_target``, and ``soc_balance``
(default True) iterates the initial SOC to zero net battery energy as for THS-II (``_common.soc_balance``, the
secant of SAE J1711 / WLTP RCB); ``charge_sustaining=False`` is refused.

A manual gearbox (``transmission.kind = "manual"``) takes the gears the procedure prescribes, computed before the
run by ``hybridsim/gearshift.py`` as for a conventional manual car (GTR 15 Annex 2 on the WLTC and other traces, the
R83 shift speeds on the NEDC); the controller decides the engine, the clutch torque and the P2 motor
(``core/p2_control.rule_decide_planned``). The DP (which chooses the gears) is not offered for it.

A CVT (``transmission.kind = "cvt"``) is the conventional car's CVT model with its range as discrete ratio steps,
the P2 plant's gears (``powertrains/_p2_cvt.py``): the rules take the operating line's ratio step (a plan computed
before the run, as a manual's gears), ECMS and the DP choose the step.

``cold_start=True`` starts the engine's coolant at ``ambient_temp_c`` (warm-up model of ``core/thermal.py``).
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import BalanceReference, balance_line, common_attrs, energies, linear_balance, soc_balance
from ._p2_plant import STRATEGY_CODES, gear_plan, plant_args, run_p2_once  # noqa: F401  (re-exported)


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool,
        charge_sustaining: bool | None = None, strategy: str = "rule_based", dp_options: dict | None = None,
        balance_method: str = "exact", balance_ref: BalanceReference | None = None):
    """Run the P2 kernel; returns (output, attrs).

    Plug-in: from ``soc_init`` (default: full charge, ``battery.soc_max``); ``soc_balance`` is ignored (module
    docstring). ``charge_sustaining`` is the controller's initial mode: True CS, False CD, None (default) by the
    SOC: CS when ``soc_init < soc_cs_enter + cd_resume_band`` (a start inside the hysteresis band is taken as a
    car that has already depleted to the CS threshold), CD otherwise. The procedures set it explicitly.
    Full hybrid (``vehicle.plugin`` false): from ``soc_init`` (default ``soc_target``), charge-sustaining, charge-
    balanced unless ``soc_balance`` is False.
    ``strategy``: ``"rule_based"`` or ``"ecms"`` (ECMS in charge-sustaining mode, the rules in charge-depleting
    mode: ``core/p2_control.py``); ``"dp"``: the dynamic-programming optimum in charge-sustaining operation
    (``powertrains/p2_dp.py``; initial SOC default ``soc_target``, final = initial; ``dp_options``: ``soc_grid``,
    ``power_points``).
    ``balance_method`` (full hybrid): ``"exact"`` (iterated, default) or ``"linear"`` (one pass, its fuel corrected
    along the line of :func:`balance_reference`, ``balance_ref`` or measured here once per vehicle and cycle).
    """
    if charge_sustaining is not None and not isinstance(charge_sustaining, bool | np.bool_):
        raise ValueError(f"charge_sustaining = {charge_sustaining!r}: allowed True, False or None")
    if not vehicle.plugin and charge_sustaining is not None and not charge_sustaining:
        raise ValueError(f"charge_sustaining = False: vehicle {vehicle.id!r} is not a plug-in ([vehicle] plugin = "
                         "false), it is charge-sustaining throughout; allowed True or None")
    plan = gear_plan(vehicle, cycle, strategy)
    if plan is not None and strategy == "dp":
        raise ValueError(f"strategy = 'dp': not available for vehicle {vehicle.id!r} with transmission.kind = "
                         "'manual' (the DP chooses the gears; a manual's are the procedure's), allowed: rule_based, "
                         "ecms")
    extra = {}
    if strategy == "dp":
        from .p2_dp import run_dp

        out, extra = run_dp(vehicle, cycle, soc_init=soc_init, **(dp_options or {}))
        soc0 = float(out.soc[0])
    elif vehicle.plugin:
        soc0 = vehicle.battery.soc_max if soc_init is None else float(soc_init)
        out = run_p2_once(plant_args(vehicle, cold_start, ambient_temp_c), soc0, cycle, charge_sustaining,
                          STRATEGY_CODES[strategy], plan)
    else:
        out, extra = _run_charge_sustaining(vehicle, cycle, cold_start, ambient_temp_c, soc_init, soc_balance,
                                            STRATEGY_CODES[strategy], plan, balance_method, balance_ref, strategy)
        soc0 = float(out.soc[0])
    attrs = common_attrs(vehicle, cycle)
    attrs.update(extra)
    attrs["soc_init"] = soc0
    attrs["charge_sustaining_init"] = int(out.charge_sustaining[0])
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs["engine_hot_coolant_c"] = float(vehicle.engine.hot_coolant_c)
    return out, attrs


def _run_charge_sustaining(vehicle: Vehicle, cycle: Cycle, cold_start: bool, ambient_c: float, soc_init,
                           balance: bool, code: int, plan=None, balance_method: str = "exact",
                           balance_ref: BalanceReference | None = None, strategy: str = "rule_based"):
    """A full hybrid's run from ``soc_init`` (default ``soc_target``), charge-balanced if ``balance`` (the secant
    on the initial SOC, ``_common.soc_balance``, or with ``balance_method="linear"`` one pass corrected along the
    fuel-vs-battery-energy line): (out, attrs of the balance)."""
    args = plant_args(vehicle, cold_start, ambient_c)
    b = vehicle.battery
    start = vehicle.controller.soc_target if soc_init is None else float(soc_init)

    def once(s):
        out = run_p2_once(args, s, cycle, True, code, plan)
        fuel, eb = energies(out, cycle)
        return out, fuel, eb

    if not balance:
        return once(start)[0], {}
    if balance_method == "linear":
        if balance_ref is None:
            balance_ref = balance_reference(vehicle, cycle, cold_start=cold_start, ambient_c=ambient_c,
                                            soc_init=soc_init, strategy=strategy)
        return linear_balance(once, balance_ref, soc_init, vehicle.engine.lhv_j_per_kg)
    out, fuel0, resid, nruns, method = soc_balance(once, b.soc_min, b.soc_max, start, vehicle.engine.lhv_j_per_kg)
    return out, {"soc_balance_fuel_kg": fuel0, "soc_balance_residual": resid, "soc_balance_runs": nruns,
                 "soc_balance_method": method}


def balance_reference(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_c: float, soc_init,
                      strategy: str = "rule_based") -> BalanceReference:
    """The charge-balance line of a full (charge-sustaining) P2 hybrid over ``cycle`` (``_common.balance_line``),
    cached per vehicle and cycle object: a sweep measures it once, on its base vehicle."""
    if vehicle.plugin:
        raise ValueError(f"soc_balance = 'linear': vehicle {vehicle.id!r} is a plug-in ([vehicle] plugin = true), "
                         "which is never charge-balanced; allowed for full hybrids only")

    def make_once():
        args = plant_args(vehicle, cold_start, ambient_c)
        code = STRATEGY_CODES[strategy]
        plan = gear_plan(vehicle, cycle)

        def once(s):
            out = run_p2_once(args, s, cycle, True, code, plan)
            return (out, *energies(out, cycle))

        return once

    start = vehicle.controller.soc_target if soc_init is None else float(soc_init)
    key = ("p2", bool(cold_start), float(ambient_c), soc_init, strategy)
    return balance_line(make_once, vehicle, cycle, key, start)
