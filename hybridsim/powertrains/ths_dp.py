"""The dynamic-programming optimum of a THS-II hybrid over a cycle: the Python side of ``core/ths_dp``."""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._ths_plant import _run_ths_once, _ths_args

DEFAULT_SOC_POINTS = 201
DEFAULT_POWER_POINTS = 12


def soc_grid_array(vehicle: Vehicle, soc_grid) -> np.ndarray:
    """The uniform SOC grid: ``None`` (201 points over the battery's SOC window), a count, or an array."""
    b = vehicle.battery
    if soc_grid is None:
        soc_grid = DEFAULT_SOC_POINTS
    if np.isscalar(soc_grid):
        n = int(soc_grid)
        if n != soc_grid or n < 3:
            raise ValueError(f"soc_grid = {soc_grid!r}: a number of grid points must be an integer >= 3")
        return np.linspace(b.soc_min, b.soc_max, n)
    g = np.ascontiguousarray(soc_grid, dtype=np.float64)
    if g.ndim != 1 or g.size < 3:
        raise ValueError(f"soc_grid: must be a 1-D array of at least 3 SOC values, got shape {g.shape}")
    d = np.diff(g)
    if not (np.all(d > 0) and np.allclose(d, d[0], rtol=1e-9, atol=1e-12)):
        raise ValueError("soc_grid: must be evenly spaced and increasing")
    if g[0] < b.soc_min - 1e-12 or g[-1] > b.soc_max + 1e-12:
        raise ValueError(f"soc_grid = [{g[0]}, ..., {g[-1]}]: out of range for vehicle {vehicle.id!r}, allowed "
                         f"{b.soc_min} to {b.soc_max} (its battery's SOC window)")
    return g


def terminal_penalty_kg(vehicle: Vehicle) -> float:
    """λ_T of φ(SOC) = λ_T·|SOC − SOC_0|: the fuel energy of 10× the battery's energy content, as fuel mass
    (no controller values stored energy at 10 J of fuel per J), so the optimum ends at SOC_0. [kg per unit SOC]"""
    b = vehicle.battery
    e_batt_j = b.to_kernel().capacity_as * float(np.mean(b.to_kernel().ocv_v))
    return 10.0 * e_batt_j / vehicle.engine.lhv_j_per_kg


def solve(vehicle: Vehicle, cycle: Cycle, *, soc_init=None, soc_grid=None, power_points: int = DEFAULT_POWER_POINTS):
    """Backward induction and forward pass; returns (kernel output, J array, grid, fallbacks)."""
    from ..core.ths import allocate
    from ..core.ths_dp import backward, forward

    if int(power_points) != power_points or power_points < 1:
        raise ValueError(f"power_points = {power_points!r}: must be an integer >= 1")
    power_points = int(power_points)
    grid = soc_grid_array(vehicle, soc_grid)
    soc0 = vehicle.controller.soc_target if soc_init is None else float(soc_init)
    plant, ctl = _ths_args(vehicle, False, 23.0)
    t = np.ascontiguousarray(cycle.time_s, dtype=np.float64)
    v = np.ascontiguousarray(cycle.speed_mps, dtype=np.float64)
    g = np.ascontiguousarray(cycle.grade, dtype=np.float64)
    n = t.shape[0]
    nd = power_points + 2
    j = np.empty((n, nd, grid.size))
    dm, dw, dt_ = np.zeros(nd, dtype=np.int64), np.zeros(nd), np.zeros(nd)
    pm, pw, pt = np.zeros(nd, dtype=np.int64), np.zeros(nd), np.zeros(nd)
    lim_dis, lim_chg = np.zeros(grid.size), np.zeros(grid.size)
    dsoc = float(grid[1] - grid[0])
    backward(plant, ctl, power_points, float(soc0), float(terminal_penalty_kg(vehicle)), float(grid[0]), dsoc,
             t, v, g, j, dm, dw, dt_, pm, pw, pt, lim_dis, lim_chg)
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
    """(kernel output, attrs) of the DP optimum over the trace the vehicle can follow (``drivable``). The fuel
    at zero net battery energy is the forward pass's fuel corrected by the DP's own marginal fuel value of SOC
    (dJ₀/dSOC at SOC_0) for the small end-SOC residual."""
    soc0 = vehicle.controller.soc_target if soc_init is None else float(soc_init)
    follow, original = drivable(vehicle, cycle, soc0)
    out, j, grid, fallbacks = solve(vehicle, follow, soc_init=soc0, soc_grid=soc_grid, power_points=power_points)
    out.trace_miss_mps[:] = cycle.speed_mps - out.speed_mps
    dt = np.diff(cycle.time_s)
    fuel = float(np.sum(out.fuel_kg_s[1:] * dt))
    eb = float(np.sum(out.battery_chemical_power_w[1:] * dt))
    soc0, soc_end = float(out.soc[0]), float(out.soc[-1])
    # marginal value of SOC at the start, from J_0 of the OFF layer (the initial one), away from the kink of φ
    j0 = j[0, 0]
    lam = -float(np.gradient(j0, grid)[int(np.clip(np.searchsorted(grid, soc0), 1, grid.size - 2))])
    fuel_bal = fuel + lam * (soc0 - soc_end)
    lhv = vehicle.engine.lhv_j_per_kg
    return out, {"soc_balance_fuel_kg": fuel_bal, "soc_balance_residual": eb / max(fuel * lhv, 1.0),
                 "soc_balance_runs": 1, "soc_balance_method": "dp_terminal_soc", "dp_soc_points": int(grid.size),
                 "dp_power_points": int(power_points), "dp_fuel_kg": fuel, "dp_cost_to_go_kg": float(
                     np.interp(soc0, grid, j0)), "dp_marginal_fuel_kg_per_soc": lam, "dp_fallback_steps": fallbacks,
                 "dp_trace": "cycle" if original else "speed achieved by the rule-based controller"}
