"""Toyota THS-II power split: the Python side of ``core/ths`` (kernel arguments, operating line, SOC balance)."""

from __future__ import annotations

from ..cycles import Cycle
from ..results import chassis_attrs
from ..vehicle import Vehicle
from ._common import common_attrs, energies, soc_balance
from ._ths_plant import _ool, _run_ths_once, _ths_args, _ths_chassis  # noqa: F401  (_ool: for the tests)

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
