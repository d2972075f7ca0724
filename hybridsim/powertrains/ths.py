"""Toyota THS-II power split: the Python side of ``core/ths`` (kernel arguments, operating line, SOC balance)."""

from __future__ import annotations

from ..cycles import Cycle
from ..results import chassis_attrs
from ..vehicle import Vehicle
from ._common import (  # noqa: F401  (BalanceReference, REFERENCE_TOL: public here, tests)
    REFERENCE_TOL,
    BalanceReference,
    balance_line,
    common_attrs,
    energies,
    linear_balance,
    soc_balance,
)
from ._ths_plant import _ool, _run_ths_once, _ths_args, _ths_chassis  # noqa: F401  (_ool: for the tests)

STRATEGY_CODES = {"rule_based": 0, "ecms": 1}  # core.ths_control RULE_BASED, ECMS

#: How a charge-balanced result is obtained: "exact" (the initial SOC iterated until the net battery energy
#: vanishes) or "linear" (one pass, corrected along the fuel-vs-battery-energy line).
BALANCE_METHODS = ("exact", "linear")


def balance_reference(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_c: float, soc_init,
                      strategy: str = "rule_based") -> BalanceReference:
    """The charge-balance line of ``vehicle`` over ``cycle`` (``_common.balance_line``), cached per vehicle and
    cycle object: a sweep measures it once, on its base vehicle."""

    def make_once():
        args = _ths_args(vehicle, cold_start, ambient_c)
        code = STRATEGY_CODES[strategy]

        def once(s):
            out = _run_ths_once(args, s, cycle, code)
            return (out, *energies(out, cycle))

        return once

    start = vehicle.controller.soc_target if soc_init is None else soc_init
    key = ("ths", bool(cold_start), float(ambient_c), soc_init, strategy)
    return balance_line(make_once, vehicle, cycle, key, start)


def _run_ths(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_c: float, soc_init, soc_balance_on,
             strategy: str = "rule_based", balance_method: str = "exact",
             balance_ref: BalanceReference | None = None):
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
    if balance_method == "linear":
        if balance_ref is None:
            balance_ref = balance_reference(vehicle, cycle, cold_start=cold_start, ambient_c=ambient_c,
                                            soc_init=soc_init, strategy=strategy)
        return linear_balance(run, balance_ref, soc_init, vehicle.engine.lhv_j_per_kg)
    out, fuel0, resid, nruns, method = soc_balance(run, b.soc_min, b.soc_max, start, vehicle.engine.lhv_j_per_kg)
    return out, {"soc_balance_fuel_kg": fuel0, "soc_balance_residual": resid, "soc_balance_runs": nruns,
                 "soc_balance_method": method}


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool,
        strategy: str = "rule_based", dp_options: dict | None = None, balance_method: str = "exact",
        balance_ref: BalanceReference | None = None):
    """Run the THS-II kernel with the decisions of ``strategy`` (charge-balanced unless ``soc_balance`` is
    False; ``"dp"``: the dynamic-programming optimum, charge-sustaining by construction); returns (output, attrs).

    ``balance_method``: ``"exact"`` (iterated, default) or ``"linear"`` (one pass at the start SOC, its fuel
    corrected to zero net battery energy along the line of :func:`balance_reference`, ``balance_ref`` or measured
    here once per vehicle and cycle; the attrs give the slope and that correction's error against the exact
    balance on the vehicle it was measured on)."""
    if strategy == "dp":
        from .ths_dp import run_dp

        out, extra = run_dp(vehicle, cycle, soc_init=soc_init, **(dp_options or {}))
    else:
        out, extra = _run_ths(vehicle, cycle, cold_start=cold_start, ambient_c=ambient_temp_c, soc_init=soc_init,
                              soc_balance_on=soc_balance, strategy=strategy, balance_method=balance_method,
                              balance_ref=balance_ref)
    return out, run_attrs(vehicle, cycle, ambient_temp_c, extra)


def run_attrs(vehicle: Vehicle, cycle: Cycle, ambient_temp_c: float, extra: dict, ch=None) -> dict:
    """The attributes :func:`run` returns with its output (``ch``: the kernel chassis, if already built)."""
    attrs = common_attrs(vehicle, cycle)
    attrs.update(chassis_attrs(_ths_chassis(vehicle) if ch is None else ch))
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs.update(extra)
    return attrs
