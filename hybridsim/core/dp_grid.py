"""The SOC grid of the dynamic-programming cores (``ths_dp``, ``p2_dp``, ``series_parallel_dp``): the terminal cost
and the cost-to-go interpolation they share.

J_k is stored on a uniform SOC grid; a grid point from which no decision sequence is feasible holds
INFEASIBLE_KG or more. Between two grid points J is interpolated linearly, except that an infeasible point is
never blended with a feasible one: a blend f·INFEASIBLE_KG would pass for a (huge but finite) cost, and step by
step backwards it would leak into the whole grid (``tests/test_strategies.py`` shows it on a small array). In a
cell with one infeasible point the nearer point decides: the feasible one's value, or infeasible (making the
whole cell infeasible instead would lose a grid point per step for a state resting near a feasible point, e.g.
an idling car drawing its accessory load). Nothing here raises or allocates.
"""

from __future__ import annotations

from . import jit, jit_inline, jit_simd
from .electric import battery_state, battery_step_at, battery_window_limits_at

INFEASIBLE_KG = 1e6  # cost of an infeasible step or a state off the grid (≫ any cycle's fuel)


@jit
def terminal(soc0_grid, dsoc, soc_target, penalty_kg, jn):
    """φ(SOC) = λ_T·|SOC − SOC_0| on the grid. [kg]"""
    for i in range(jn.shape[0]):
        jn[i] = penalty_kg * abs(soc0_grid + i * dsoc - soc_target)


@jit_inline
def interp_feasible(jk, u):
    """J at grid coordinate ``u`` (0 ≤ u ≤ n − 1; clamped to the end points), a feasible point never blended
    with an infeasible one (module docstring). Infeasible values are passed on as they are (not cut to
    INFEASIBLE_KG), and two infeasible neighbours blend: where no sequence is feasible the DP still ranks the
    sequences by their infeasible steps, then by fuel. [kg]"""
    n = jk.shape[0]
    if u <= 0.0:
        return jk[0]
    if u >= n - 1:
        return jk[n - 1]
    i = int(u)
    f = u - i
    a = jk[i]
    b = jk[i + 1]
    if a >= INFEASIBLE_KG and b < INFEASIBLE_KG:
        return b if f > 0.5 else a
    if b >= INFEASIBLE_KG and a < INFEASIBLE_KG:
        return a if f < 0.5 else b
    return a + f * (b - a)


@jit_inline
def cost_to_go(jk, soc0_grid, dsoc, soc):
    """J at ``soc`` by linear interpolation on the uniform grid, an infeasible grid point never blended with a
    feasible one (``dp_grid.interp_feasible``); INFEASIBLE_KG beyond the grid. [kg]"""
    u = (soc - soc0_grid) / dsoc
    if u < -1e-9 or u > jk.shape[0] - 1 + 1e-9:
        return INFEASIBLE_KG
    return interp_feasible(jk, u)


@jit_simd
def soc_after(bat, soc, ocv, r_dis, r_chg, p_term, dt, out):
    """``out[i]``: the SOC after a step of ``dt`` at terminal power ``p_term`` from grid point i (SOC ``soc[i]``,
    battery state ``ocv[i]``, ``r_dis[i]``, ``r_chg[i]``): ``battery_step_at``'s, one power for the whole grid in a
    loop LLVM vectorises (``jit_simd``)."""
    for i in range(out.shape[0]):
        out[i] = battery_step_at(bat, soc[i], ocv[i], r_dis[i], r_chg[i], p_term, dt)[4]


@jit
def grid_battery_states(bat, soc0_grid, dsoc, ocv, r_dis, r_chg):
    """Fill the battery state (OCV, R_dis, R_chg: ``battery_state``) at every SOC grid point (the arrays' size):
    the backward pass steps every grid point many times a step; its SOC transitions and limits read them here."""
    for i in range(ocv.shape[0]):
        ocv[i], r_dis[i], r_chg[i] = battery_state(bat, soc0_grid + i * dsoc)


@jit
def grid_window_limits(bat, soc0_grid, dsoc, ocv, r_dis, r_chg, dt, lim_dis, lim_chg):
    """The step's (discharge, charge) limits (``battery_window_limits_w``) at every SOC grid point, from the grid's
    battery states (``grid_battery_states``). [W]"""
    for i in range(ocv.shape[0]):
        lim_dis[i], lim_chg[i] = battery_window_limits_at(bat, soc0_grid + i * dsoc, ocv[i], r_dis[i], r_chg[i], dt)
