"""THS-II plug-in hybrid with an optional rear motor (E-Four): the Python side of ``core/ths_plugin`` (kernel
arguments, initial SOC and controller mode).

Plug-in conventions (as ``powertrains/p2.py``): ``soc_init=None`` starts from full charge (``battery.soc_max``) and
the run is charge-depleting until the controller's ``soc_cs_enter``; ``soc_balance`` is ignored (the plug-in
procedures, ``procedures/phev.py`` and ``procedures/j1711.py``, combine charge-depleting and charge-sustaining
runs instead). The controller's initial mode is the keyword ``charge_sustaining`` of :func:`run` (True/False, or
None: CS when the start SOC lies below ``soc_cs_enter + cd_resume_band``, CD otherwise).
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import common_attrs
from ._ths_plugin_plant import plant_args, plugin_chassis, run_once  # noqa: F401  (public here: tests, DP)

STRATEGY_CODES = {"rule_based": 0, "ecms": 1}  # core.ths_plugin_control RULE_BASED, ECMS (and "dp": run_dp)


def initial_mode(vehicle: Vehicle, soc0: float, charge_sustaining) -> int:
    """The controller's initial mode: 1 CS, 0 CD (``charge_sustaining`` None: by the SOC, see the module)."""
    if charge_sustaining is not None:
        return int(bool(charge_sustaining))
    c = vehicle.controller
    return int(soc0 < c.cs_enter + c.cd_resume_band)


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool,
        charge_sustaining: bool | None = None, strategy: str = "rule_based", dp_options: dict | None = None):
    """Run the THS-II plug-in kernel from ``soc_init`` (default: full charge) in the initial controller mode
    ``charge_sustaining`` (True CS, False CD, None by the SOC); returns (output, attrs). ``soc_balance`` is
    ignored (a plug-in; see the module docstring). ``strategy``: ``"rule_based"`` or ``"ecms"`` (ECMS in
    charge-sustaining mode, the rules in charge-depleting mode); ``"dp"``: the dynamic-programming optimum in
    charge-sustaining operation (``powertrains/ths_plugin_dp.py``; initial SOC default ``soc_target``, final =
    initial; ``dp_options``: ``soc_grid``, ``power_points``; ``charge_sustaining=False`` refused)."""
    from ..results import chassis_attrs

    if charge_sustaining is not None and not isinstance(charge_sustaining, bool | np.bool_):
        raise ValueError(f"charge_sustaining = {charge_sustaining!r}: allowed True, False or None")
    args = plant_args(vehicle, cold_start, ambient_temp_c)
    extra = {}
    if strategy == "dp":
        if charge_sustaining is not None and not charge_sustaining:
            raise ValueError(f"strategy = 'dp' with charge_sustaining = False (vehicle {vehicle.id!r}): the "
                             "dynamic-programming optimum is of charge-sustaining operation, allowed: True or None")
        from .ths_plugin_dp import run_dp

        out, extra = run_dp(vehicle, cycle, soc_init=soc_init, **(dp_options or {}))
        soc0, cs0 = float(out.soc[0]), 1
    else:
        soc0 = vehicle.battery.soc_max if soc_init is None else float(soc_init)
        cs0 = initial_mode(vehicle, soc0, charge_sustaining)
        out = run_once(args, soc0, cs0, cycle, STRATEGY_CODES[strategy])
    attrs = common_attrs(vehicle, cycle)
    attrs.update(extra)
    attrs.update(chassis_attrs(args[0].ths.ch))
    attrs["soc_init"] = soc0
    attrs["charge_sustaining_init"] = int(cs0)
    attrs["ambient_temp_c"] = float(ambient_temp_c)
    attrs["engine_hot_coolant_c"] = float(vehicle.engine.hot_coolant_c)
    return out, attrs


# --- full-load model (performance) ------------------------------------------------------------------------------

def _rear_full_load(vehicle: Vehicle, spd: float) -> tuple[float, float]:
    """(rear axle force at full load [N], the rear motor's DC power for it [W]): the rear machine's envelope
    through its reduction (0 beyond its speed limit or without a rear motor)."""
    from ..components.engine import RPM

    rear = vehicle.motors.get("rear")
    if rear is None:
        return 0.0, 0.0
    pg = vehicle.planetary
    r = vehicle.chassis.wheel_radius_m
    w = spd / r * pg.rear_motor_ratio
    if w > rear.max_speed_rpm * RPM:
        return 0.0, 0.0
    t = rear.peak_torque_nm if w * rear.peak_torque_nm <= rear.peak_power_kw * 1e3 else rear.peak_power_kw * 1e3 / w
    from ..core.electric import motor_dc_power_w

    p_dc = float(motor_dc_power_w(rear.to_kernel(), t, w)[0])
    return t * pg.rear_motor_ratio * pg.rear_drive_efficiency / r, p_dc


def _rear_peak_dc_w(vehicle: Vehicle) -> float:
    """DC power of the rear machine at its peak torque and power (base speed), 0 without one. [W]"""
    from ..core.electric import motor_dc_power_w

    rear = vehicle.motors.get("rear")
    if rear is None:
        return 0.0
    w = rear.peak_power_kw * 1e3 / rear.peak_torque_nm
    return float(motor_dc_power_w(rear.to_kernel(), rear.peak_torque_nm, w)[0])


def _full_load_force(v: Vehicle, spd: float, st, rl: float, continuous: bool = False):
    """THS-II front axle (``performance._ths_options``: the plant step at full load, the battery's discharge limit
    less the rear machine's DC power at its peak, E: the pack's power shared, the rear first, at every speed) plus
    the rear machine's envelope, each axle within its tyres' traction (``performance.solve_acceleration``);
    continuous (top speed): no net battery discharge, so the rear machine gives nothing."""
    import dataclasses
    import math

    from .. import performance as perf

    f_r = 0.0 if continuous else _rear_full_load(v, spd)[0]
    key = "ths_plugin_front"
    if key not in st.cache:
        b = v.battery
        dis = max(b.max_discharge_power_kw - _rear_peak_dc_w(v) / 1e3, 0.1)
        st.cache[key] = dataclasses.replace(v, battery=dataclasses.replace(b, max_discharge_power_kw=dis))
    vf = st.cache[key]
    opts = perf._ths_options(vf, spd, st, continuous)
    m_eff = plugin_chassis(v).mass_eff_kg
    if not opts:
        return 0.0, m_eff, -rl / m_eff
    f_f = opts[0][1]
    n_f, n_r = perf._axle_loads(v, st.acc)
    mu = perf.tyre_mu(v)
    m_w = perf._wheel_mass_per_axle(v)
    m_mg2 = opts[0][3] - m_w
    m_rear = m_eff - opts[0][2]  # the rear rotor
    if continuous:
        return min(f_f, mu * n_f) + min(f_r, mu * n_r), m_eff, 0.0
    m = v.chassis.sim_mass_kg
    a = perf.solve_acceleration(m, rl, [(f_f, m_w + m_mg2, mu * n_f), (f_r, m_w + m_rear, mu * n_r),
                                        (0.0, max(m_eff - m - 2 * m_w - m_mg2 - m_rear, 0.0), math.inf)])
    return rl + m_eff * a, m_eff, a


def _speed_cap_mps(vehicle: Vehicle, governed: bool = True) -> float:
    """THS-II's cap (MG2 at its maximum speed); the rear motor's maximum speed caps it too (it turns with the
    wheels)."""
    from .. import performance as perf
    from ..components.engine import RPM

    cap = perf._ths_cap_mps(vehicle, governed)
    rear = vehicle.motors.get("rear")
    if rear is not None:
        cap = min(cap, rear.max_speed_rpm * RPM / vehicle.planetary.rear_motor_ratio * vehicle.chassis.wheel_radius_m)
    return cap


def _model():
    from ..performance import FullLoadModel

    return FullLoadModel(_full_load_force, _speed_cap_mps)


def __getattr__(name):  # FULL_LOAD built on first use (performance imports this package's vehicle layer)
    if name == "FULL_LOAD":
        return _model()
    raise AttributeError(name)
