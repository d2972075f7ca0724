"""The dynamic-programming optimum of a P2 hybrid over a cycle in charge-sustaining operation: the Python side
of ``core/p2_dp``.

The SOC grid spans the charge-sustaining band, ``battery.soc_min`` to ``soc_cs_enter + cd_resume_band`` (above
it the car would return to charge-depleting driving; a full hybrid's whole SOC window), 201 points by default;
the initial (= final) SOC is the controller's ``soc_target`` unless given. ``power_points`` is the number N of
engine torque levels T_e = j/N·WOT (j = 0…N) per gear, besides fuel cut and engine off.
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from . import _dp_common
from ._dp_common import cycle_arrays, power_point_count, terminal_penalty_kg, uniform_soc_grid
from ._p2_plant import plant_args, run_p2_once

DEFAULT_SOC_POINTS = 201
DEFAULT_TORQUE_POINTS = 12


def soc_band(vehicle: Vehicle) -> tuple[float, float]:
    """The SOC band of charge-sustaining operation: (battery.soc_min, soc_cs_enter + cd_resume_band) for a plug-in,
    the battery's window for a full hybrid (``[vehicle] plugin = false``: never charge-depleting)."""
    c = vehicle.controller
    if not vehicle.plugin:
        return vehicle.battery.soc_min, vehicle.battery.soc_max
    return vehicle.battery.soc_min, min(c.soc_cs_enter + c.cd_resume_band, vehicle.battery.soc_max)


def soc_grid_array(vehicle: Vehicle, soc_grid) -> np.ndarray:
    """The uniform SOC grid: ``None`` (201 points over the CS band), a count, or an array within the band."""
    lo, hi = soc_band(vehicle)
    return uniform_soc_grid(vehicle, soc_grid, lo, hi, DEFAULT_SOC_POINTS, "its charge-sustaining band, "
                            "battery.soc_min to soc_cs_enter + cd_resume_band")


def solve(vehicle: Vehicle, cycle: Cycle, *, soc_init=None, soc_grid=None,
          power_points: int = DEFAULT_TORQUE_POINTS):
    """Backward induction and forward pass; returns (kernel output, J array, grid, fallbacks)."""
    from ..core.p2 import allocate
    from ..core.p2_dp import backward, forward

    n_torque = power_point_count(power_points)
    grid = soc_grid_array(vehicle, soc_grid)
    soc0 = vehicle.controller.soc_target if soc_init is None else float(soc_init)
    if not grid[0] <= soc0 <= grid[-1]:
        raise ValueError(f"soc_init = {soc0}: outside the DP's SOC grid [{grid[0]}, {grid[-1]}] (the charge-"
                         "sustaining band)")
    c = vehicle.controller
    t, v, g = cycle_arrays(cycle)
    dt_min = float(np.min(np.diff(t)))
    if dt_min < max(c.crank_time_s, c.shift_time_s):
        raise ValueError(f"strategy = 'dp' for a P2 with a time step of {dt_min} s: allowed only with steps of at "
                         f"least controller.crank_time_s = {c.crank_time_s} s and shift_time_s = {c.shift_time_s} s "
                         "(the DP's state holds no start or shift still being booked)")
    plant, ctl = plant_args(vehicle, False, 23.0)
    n = t.shape[0]
    j = np.empty((n, 2 * plant.gb.ratios.size, grid.size))
    lim_dis, lim_chg = np.zeros(grid.size), np.zeros(grid.size)
    dsoc = float(grid[1] - grid[0])
    backward(plant, ctl, n_torque, float(soc0), float(terminal_penalty_kg(vehicle)), float(grid[0]), dsoc, t, v, g,
             j, lim_dis, lim_chg, *(np.zeros(grid.size) for _ in range(5)))
    out = allocate(n)
    fallbacks = forward(plant, ctl, n_torque, float(soc0), float(terminal_penalty_kg(vehicle)), float(grid[0]),
                        dsoc, t, v, g, j, out)
    return out, j, grid, int(fallbacks)


def drivable(vehicle: Vehicle, cycle: Cycle, soc0: float) -> tuple[Cycle, bool]:
    """The trace the DP follows: the cycle if the rule-based controller follows it from ``soc0`` in charge-
    sustaining mode, else the speed it achieved. Returns (cycle, whether it is the original)."""
    ref = run_p2_once(plant_args(vehicle, False, 23.0), soc0, cycle, True, 0)
    if not np.any(ref.trace_miss_mps > 1e-6):
        return cycle, True
    return Cycle(name=cycle.name, time_s=cycle.time_s, speed_mps=np.array(ref.speed_mps), grade=cycle.grade), False


def run_dp(vehicle: Vehicle, cycle: Cycle, *, soc_init=None, soc_grid=None,
           power_points: int = DEFAULT_TORQUE_POINTS):
    """(kernel output, attrs) of the DP optimum over the trace the vehicle can follow (``drivable``); the fuel at
    zero net battery energy corrected with the DP's own marginal fuel value of SOC, as for THS-II
    (``_dp_common.run_dp``)."""
    return _dp_common.run_dp(vehicle, cycle, solve, drivable, soc_init=soc_init, soc_grid=soc_grid,
                             power_points=power_points)
