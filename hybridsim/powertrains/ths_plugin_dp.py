"""The dynamic-programming optimum of a THS-II plug-in (Prius Prime; E-Four RAV4 Prime) over a cycle in
charge-sustaining operation: the Python side of ``core/ths_plugin_dp``.

The SOC grid spans the charge-sustaining band, ``battery.soc_min`` to ``soc_cs_enter + cd_resume_band`` (above it the
car would return to charge-depleting driving), 201 points by default; the initial (= final) SOC is the
controller's ``soc_target`` unless given. ``power_points`` is N: engine powers P_j = j/N·P_max on the operating line
(besides engine off and spun), as for THS-II; with a rear motor each is combined with three rear forces
(``core/ths_plugin_dp.py``).
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from . import _dp_common
from ._dp_common import cycle_arrays, power_point_count, terminal_penalty_kg, uniform_soc_grid
from ._ths_plugin_plant import plant_args, run_once

DEFAULT_SOC_POINTS = 201
DEFAULT_POWER_POINTS = 12


def soc_band(vehicle: Vehicle) -> tuple[float, float]:
    """The SOC band of charge-sustaining operation: (battery.soc_min, soc_cs_enter + cd_resume_band)."""
    c = vehicle.controller
    return vehicle.battery.soc_min, min(c.cs_enter + c.cd_resume_band, vehicle.battery.soc_max)


def soc_grid_array(vehicle: Vehicle, soc_grid) -> np.ndarray:
    """The uniform SOC grid: ``None`` (201 points over the CS band), a count, or an array within the band."""
    lo, hi = soc_band(vehicle)
    return uniform_soc_grid(vehicle, soc_grid, lo, hi, DEFAULT_SOC_POINTS, "its charge-sustaining band, "
                            "battery.soc_min to soc_cs_enter + cd_resume_band")


def _args(vehicle: Vehicle):
    plant, ctl_cs, _, pctl = plant_args(vehicle, False, 23.0)
    return plant, ctl_cs, pctl


def solve(vehicle: Vehicle, cycle: Cycle, *, soc_init=None, soc_grid=None, power_points: int = DEFAULT_POWER_POINTS):
    """Backward induction and forward pass; returns (kernel output, J array, grid, fallbacks)."""
    from ..core.ths_plugin import allocate
    from ..core.ths_plugin_dp import backward, forward

    n_power = power_point_count(power_points)
    grid = soc_grid_array(vehicle, soc_grid)
    soc0 = vehicle.controller.soc_target if soc_init is None else float(soc_init)
    if not grid[0] <= soc0 <= grid[-1]:
        raise ValueError(f"soc_init = {soc0}: outside the DP's SOC grid [{grid[0]}, {grid[-1]}] (the charge-"
                         f"sustaining band of vehicle {vehicle.id!r})")
    plant, ctl, pctl = _args(vehicle)
    t, v, g = cycle_arrays(cycle)
    n = t.shape[0]
    nd = n_power + 2
    j = np.empty((n, nd, grid.size))
    dm, dw, dp = np.zeros(nd, dtype=np.int64), np.zeros(nd), np.zeros(nd)
    pm, pw, pp = np.zeros(nd, dtype=np.int64), np.zeros(nd), np.zeros(nd)
    dsoc = float(grid[1] - grid[0])
    backward(plant, ctl, pctl, n_power, float(soc0), float(terminal_penalty_kg(vehicle)), float(grid[0]), dsoc,
             t, v, g, j, dm, dw, dp, pm, pw, pp, *(np.zeros(grid.size) for _ in range(5)))
    out = allocate(n)
    fallbacks = forward(plant, ctl, pctl, n_power, float(soc0), float(grid[0]), dsoc, t, v, g, j, dm, dw, dp, out)
    return out, j, grid, int(fallbacks)


def drivable(vehicle: Vehicle, cycle: Cycle, soc0: float) -> tuple[Cycle, bool]:
    """The trace the DP follows: the cycle if the rule-based controller follows it from ``soc0`` in charge-
    sustaining mode, else the speed it achieved. Returns (cycle, whether it is the original)."""
    ref = run_once(plant_args(vehicle, False, 23.0), soc0, 1, cycle, 0)
    if not np.any(ref.trace_miss_mps > 1e-6):
        return cycle, True
    return Cycle(name=cycle.name, time_s=cycle.time_s, speed_mps=np.array(ref.speed_mps), grade=cycle.grade), False


def run_dp(vehicle: Vehicle, cycle: Cycle, *, soc_init=None, soc_grid=None, power_points: int = DEFAULT_POWER_POINTS):
    """(kernel output, attrs) of the DP optimum over the trace the vehicle can follow (``drivable``); the fuel at
    zero net battery energy corrected with the DP's own marginal fuel value of SOC (``_dp_common.run_dp``)."""
    return _dp_common.run_dp(vehicle, cycle, solve, drivable, soc_init=soc_init, soc_grid=soc_grid,
                             power_points=power_points)
