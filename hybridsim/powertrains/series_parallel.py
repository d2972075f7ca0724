"""Series-parallel hybrid (Honda i-MMD / e:HEV): the Python side of ``core/series_parallel`` (kernel arguments,
operating line, SOC balance) and its full-load model for ``performance``."""

from __future__ import annotations

import numpy as np

from ..components.engine import RPM
from ..cycles import Cycle
from ..results import chassis_attrs
from ..vehicle import Vehicle
from ._common import BalanceReference, balance_line, common_attrs, energies, linear_balance, soc_balance
from ._sp_plant import _ool, plant_args, run_once, sp_chassis  # noqa: F401  (public here: tests, benchmarks)

STRATEGY_CODES = {"rule_based": 0, "ecms": 1}  # core.series_parallel_control RULE_BASED, ECMS (and "dp": run_dp)


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool,
        strategy: str = "rule_based", dp_options: dict | None = None, balance_method: str = "exact",
        balance_ref: BalanceReference | None = None):
    """Run the series-parallel kernel (charge-balanced unless ``soc_balance`` is False; ``"dp"``: the
    dynamic-programming optimum, ``powertrains/series_parallel_dp.py``, charge-sustaining by construction);
    returns (output, attrs). ``balance_method``: ``"exact"`` (iterated, default) or ``"linear"`` (one pass, its fuel
    corrected along the line of :func:`balance_reference`, ``balance_ref`` or measured here once per vehicle and
    cycle)."""
    args = plant_args(vehicle, cold_start, ambient_temp_c)
    if strategy == "dp":
        from .series_parallel_dp import run_dp

        out, extra = run_dp(vehicle, cycle, soc_init=soc_init, **(dp_options or {}))
        attrs = common_attrs(vehicle, cycle)
        attrs.update(chassis_attrs(args[0].ch))
        attrs["ambient_temp_c"] = float(ambient_temp_c)
        attrs.update(extra)
        return out, attrs
    b = vehicle.battery
    start = vehicle.controller.soc_target if soc_init is None else soc_init
    code = STRATEGY_CODES[strategy]

    def once(s):
        out = run_once(args, s, cycle, code)
        fuel, eb = energies(out, cycle)
        return out, fuel, eb

    extra = {}
    if not soc_balance:
        out = once(start)[0]
    elif balance_method == "linear":
        if balance_ref is None:
            balance_ref = balance_reference(vehicle, cycle, cold_start=cold_start, ambient_c=ambient_temp_c,
                                            soc_init=soc_init, strategy=strategy)
        out, extra = linear_balance(once, balance_ref, soc_init, vehicle.engine.lhv_j_per_kg)
    else:
        out, fuel0, resid, nruns, method = _soc_balance(once, b.soc_min, b.soc_max, start, vehicle.engine.lhv_j_per_kg)
        extra = {"soc_balance_fuel_kg": fuel0, "soc_balance_residual": resid, "soc_balance_runs": nruns,
                 "soc_balance_method": method}
    attrs = common_attrs(vehicle, cycle)
    attrs.update(chassis_attrs(args[0].ch))
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs.update(extra)
    return out, attrs


_soc_balance = soc_balance


def balance_reference(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_c: float, soc_init,
                      strategy: str = "rule_based") -> BalanceReference:
    """The charge-balance line of ``vehicle`` over ``cycle`` (``_common.balance_line``), cached per vehicle and
    cycle object: a sweep measures it once, on its base vehicle."""

    def make_once():
        args = plant_args(vehicle, cold_start, ambient_c)
        code = STRATEGY_CODES[strategy]

        def once(s):
            out = run_once(args, s, cycle, code)
            return (out, *energies(out, cycle))

        return once

    start = vehicle.controller.soc_target if soc_init is None else soc_init
    return balance_line(make_once, vehicle, cycle, ("series_parallel", bool(cold_start), float(ambient_c), soc_init,
                                                strategy), start)


# --- full-load model (performance) ----------------------------------------------------------------------------


def _plant(v: Vehicle, st):
    if "sp_plant" not in st.cache:
        st.cache["sp_plant"] = plant_args(v, False, 23.0)[0]
    return st.cache["sp_plant"]


def _force(v: Vehicle, spd: float, st, rl: float, continuous: bool = False):
    """Full load on the plant step (``core/series_parallel.split``, no second copy of its physics): at speed
    ``spd``, series mode with the engine at a few powers on its operating line (steady engine speed: the generator
    must not charge the battery beyond its limit, so full engine power is not always usable) and engine drive at
    full-load torque, MG2 adding what its envelope and the battery allow. For each, the largest end speed one step
    of ``DT_S`` reaches within every limit (a scan, then bisection at the edge) gives the wheel force; the best is
    used. Continuous (top speed): no net battery discharge."""
    from ..core.engine import wot_nm
    from ..core.series_parallel import ENGINE, SERIES, SpState, engine_speed_for_power, split
    from ..performance import DT_S, _driven, traction_limit_n

    plant = _plant(v, st)
    r = plant.ch.wheel_radius_m
    m_eff = plant.ch.mass_eff_kg
    soc = v.controller.soc_target
    p_max = plant.aux.ool_power_max_w
    cands = []
    for frac in (0.25, 0.5, 0.75, 1.0):
        w = engine_speed_for_power(plant, frac * p_max)
        cands.append((SERIES, w, min(frac * p_max / w, wot_nm(plant.eng, w))))
    w_lock = spd / r * plant.gr.engine_ratio
    if plant.aux.engine_min_speed_rad_s <= w_lock <= plant.eng.max_speed_rad_s:
        cands.append((ENGINE, w_lock, wot_nm(plant.eng, w_lock)))
    best = None
    a_grid = np.linspace(0.0, 15.0, 16)
    for mode, w_e, t_e in cands:
        state = SpState(soc, w_e, plant.th.hot_c, mode, 1e9)

        def ok(v1, mode=mode, w_e=w_e, t_e=t_e, state=state):
            sp = split(plant, state, mode, w_e, t_e, spd, v1, DT_S, 0.0)
            if continuous and sp.battery_power_w > plant.aux.accessory_power_w + 1e-6:
                return False, sp
            return sp.feasible, sp

        good = [k for k, a in enumerate(a_grid) if ok(spd + a * DT_S)[0]]
        if not good:
            continue
        k = good[-1]
        lo = spd + a_grid[k] * DT_S
        sp = ok(lo)[1]
        if k + 1 < len(a_grid):
            hi = spd + a_grid[k + 1] * DT_S
            for _ in range(30):
                mid = 0.5 * (lo + hi)
                g, s_ = ok(mid)
                if g:
                    lo, sp = mid, s_
                else:
                    hi = mid
        f = sp.axle_torque_nm / r
        if best is None or f > best:
            best = f
    if best is None:
        return 0.0, m_eff, -rl / m_eff
    f = min(best, traction_limit_n(v, st.acc, _driven(v)))
    if continuous:
        return f, m_eff, 0.0
    return f, m_eff, (f - rl) / m_eff


def _cap_mps(vehicle: Vehicle, governed: bool = True) -> float:
    return (vehicle.motors["mg2"].max_speed_rpm * RPM / vehicle.series_parallel_gearing.motor_to_axle_ratio
            * vehicle.chassis.wheel_radius_m)


def _model():
    from ..performance import FullLoadModel

    return FullLoadModel(_force, _cap_mps)


def __getattr__(name):  # FULL_LOAD built on first use (performance imports the package root)
    if name == "FULL_LOAD":
        return _model()
    raise AttributeError(name)
