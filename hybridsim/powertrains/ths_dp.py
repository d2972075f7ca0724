"""The dynamic-programming optimum of a THS-II hybrid over a cycle: the Python side of ``core/ths_dp``."""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from . import _dp_common
from ._dp_common import cycle_arrays, power_point_count, terminal_penalty_kg, window_soc_grid
from ._ths_plant import _run_ths_once, _ths_args

DEFAULT_SOC_POINTS = 201
DEFAULT_POWER_POINTS = 12


def soc_grid_array(vehicle: Vehicle, soc_grid) -> np.ndarray:
    """The uniform SOC grid: ``None`` (201 points over the battery's SOC window), a count, or an array."""
    return window_soc_grid(vehicle, soc_grid, DEFAULT_SOC_POINTS)


def solve(vehicle: Vehicle, cycle: Cycle, *, soc_init=None, soc_grid=None, power_points: int = DEFAULT_POWER_POINTS):
    """Backward induction and forward pass; returns (kernel output, J array, grid, fallbacks)."""
    from ..core.ths import allocate
    from ..core.ths_dp import backward, forward

    power_points = power_point_count(power_points)
    grid = soc_grid_array(vehicle, soc_grid)
    soc0 = vehicle.controller.soc_target if soc_init is None else float(soc_init)
    plant, ctl = _ths_args(vehicle, False, 23.0)
    t, v, g = cycle_arrays(cycle)
    n = t.shape[0]
    nd = power_points + 2
    j = np.empty((n, nd, grid.size))
    dm, dw, dt_ = np.zeros(nd, dtype=np.int64), np.zeros(nd), np.zeros(nd)
    pm, pw, pt = np.zeros(nd, dtype=np.int64), np.zeros(nd), np.zeros(nd)
    lim_dis, lim_chg = np.zeros(grid.size), np.zeros(grid.size)
    ocv, r_dis, r_chg = np.zeros(grid.size), np.zeros(grid.size), np.zeros(grid.size)
    dsoc = float(grid[1] - grid[0])
    backward(plant, ctl, power_points, float(soc0), float(terminal_penalty_kg(vehicle)), float(grid[0]), dsoc,
             t, v, g, j, dm, dw, dt_, pm, pw, pt, lim_dis, lim_chg, ocv, r_dis, r_chg)
    out = allocate(n)
    fallbacks = forward(plant, ctl, power_points, float(soc0), float(grid[0]), dsoc, t, v, g, j, dm, dw, dt_, out)
    return out, j, grid, int(fallbacks)


def drivable(vehicle: Vehicle, cycle: Cycle, soc0: float) -> tuple[Cycle, bool]:
    """The trace the DP follows: the cycle if the rule-based controller follows it from ``soc0``, else the speed
    it achieved (a trace the vehicle cannot follow has no optimum: every decision at a missed step is
    infeasible). Returns (cycle, whether it is the original)."""
    ref = _run_ths_once(_ths_args(vehicle, False, 23.0), soc0, cycle, 0)
    if not np.any(ref.trace_miss_mps > 1e-6):
        return cycle, True
    return Cycle(name=cycle.name, time_s=cycle.time_s, speed_mps=np.array(ref.speed_mps), grade=cycle.grade), False


def run_dp(vehicle: Vehicle, cycle: Cycle, *, soc_init=None, soc_grid=None, power_points: int = DEFAULT_POWER_POINTS):
    """(kernel output, attrs) of the DP optimum over the trace the vehicle can follow (``drivable``); the fuel at
    zero net battery energy corrected with the DP's own marginal fuel value of SOC (``_dp_common.run_dp``)."""
    return _dp_common.run_dp(vehicle, cycle, solve, drivable, soc_init=soc_init, soc_grid=soc_grid,
                             power_points=power_points)
