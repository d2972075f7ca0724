"""What the dynamic-programming runners of THS-II (``ths_dp``), P2 (``p2_dp``) and the series-parallel
(``series_parallel_dp``) share: the SOC grid and its checks, the decision count's check, the cycle's arrays,
the terminal penalty and the result of a run (fuel, battery energy, the marginal fuel value of SOC from the
cost-to-go, the fuel at zero net battery energy, the attrs)."""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle


def uniform_soc_grid(vehicle: Vehicle, soc_grid, lo: float, hi: float, n_default: int, where: str) -> np.ndarray:
    """The uniform SOC grid over [lo, hi]: ``None`` (``n_default`` points), a count, or an array within it;
    ``where`` names the range in the error (e.g. "its battery's SOC window")."""
    if soc_grid is None:
        soc_grid = n_default
    if np.isscalar(soc_grid):
        n = int(soc_grid)
        if n != soc_grid or n < 3:
            raise ValueError(f"soc_grid = {soc_grid!r}: a number of grid points must be an integer >= 3")
        return np.linspace(lo, hi, n)
    g = np.ascontiguousarray(soc_grid, dtype=np.float64)
    if g.ndim != 1 or g.size < 3:
        raise ValueError(f"soc_grid: must be a 1-D array of at least 3 SOC values, got shape {g.shape}")
    d = np.diff(g)
    if not (np.all(d > 0) and np.allclose(d, d[0], rtol=1e-9, atol=1e-12)):
        raise ValueError("soc_grid: must be evenly spaced and increasing")
    if g[0] < lo - 1e-12 or g[-1] > hi + 1e-12:
        raise ValueError(f"soc_grid = [{g[0]}, ..., {g[-1]}]: out of range for vehicle {vehicle.id!r}, allowed "
                         f"{lo} to {hi} ({where})")
    return g


def window_soc_grid(vehicle: Vehicle, soc_grid, n_default: int = 201) -> np.ndarray:
    """The uniform SOC grid over the battery's SOC window (:func:`uniform_soc_grid`; 201 points by default)."""
    b = vehicle.battery
    return uniform_soc_grid(vehicle, soc_grid, b.soc_min, b.soc_max, n_default, "its battery's SOC window")


def power_point_count(power_points) -> int:
    """``power_points`` as an int, checked (an integer >= 1)."""
    if int(power_points) != power_points or power_points < 1:
        raise ValueError(f"power_points = {power_points!r}: must be an integer >= 1")
    return int(power_points)


def cycle_arrays(cycle: Cycle) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time, speed, grade) of ``cycle`` as C-contiguous float64 arrays, as the DP kernels take them."""
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (cycle.time_s, cycle.speed_mps, cycle.grade))


def terminal_penalty_kg(vehicle: Vehicle) -> float:
    """λ_T of φ(SOC) = λ_T·|SOC − SOC_0|: the fuel energy of 10× the battery's energy content, as fuel mass
    (no controller values stored energy at 10 J of fuel per J), so the optimum ends at SOC_0. [kg per unit SOC]"""
    b = vehicle.battery
    e_batt_j = b.to_kernel().capacity_as * float(np.mean(b.to_kernel().ocv_v))
    return 10.0 * e_batt_j / vehicle.engine.lhv_j_per_kg


def run_dp(vehicle: Vehicle, cycle: Cycle, solve, drivable, *, soc_init, soc_grid, power_points):
    """(kernel output, attrs) of the DP optimum over the trace the vehicle can follow (``drivable(vehicle, cycle,
    soc0)`` → (cycle, original)), solved by ``solve`` (→ (out, J, grid, fallbacks)). The fuel at zero net battery
    energy is the forward pass's fuel corrected by the DP's own marginal fuel value of SOC (−dJ₀/dSOC at SOC_0,
    from J_0 of layer 0, the initial one, away from the kink of φ) for the small end-SOC residual."""
    soc0 = vehicle.controller.soc_target if soc_init is None else float(soc_init)
    follow, original = drivable(vehicle, cycle, soc0)
    out, j, grid, fallbacks = solve(vehicle, follow, soc_init=soc0, soc_grid=soc_grid, power_points=power_points)
    out.trace_miss_mps[:] = cycle.speed_mps - out.speed_mps
    dt = np.diff(cycle.time_s)
    fuel = float(np.sum(out.fuel_kg_s[1:] * dt))
    eb = float(np.sum(out.battery_chemical_power_w[1:] * dt))
    soc0, soc_end = float(out.soc[0]), float(out.soc[-1])
    j0 = j[0, 0]
    lam = -float(np.gradient(j0, grid)[int(np.clip(np.searchsorted(grid, soc0), 1, grid.size - 2))])
    fuel_bal = fuel + lam * (soc0 - soc_end)
    lhv = vehicle.engine.lhv_j_per_kg
    return out, {"soc_balance_fuel_kg": fuel_bal, "soc_balance_residual": eb / max(fuel * lhv, 1.0),
                 "soc_balance_runs": 1, "soc_balance_method": "dp_terminal_soc", "dp_soc_points": int(grid.size),
                 "dp_power_points": int(power_points), "dp_fuel_kg": fuel, "dp_cost_to_go_kg": float(
                     np.interp(soc0, grid, j0)), "dp_marginal_fuel_kg_per_soc": lam, "dp_fallback_steps": fallbacks,
                 "dp_trace": "cycle" if original else "speed achieved by the rule-based controller"}
