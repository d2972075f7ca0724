"""Dynamic programming for the THS-II plug-in in charge-sustaining operation (``core/ths_plugin_dp.py``; Prius Prime
without a rear motor, RAV4 Prime with E-Four, the rear force part of the decision): equals brute force on a tiny
problem, is a lower bound for the rules and ECMS on every shipped cycle at equal net battery energy, converges as
its SOC grid is refined; strategy selection and errors.

Speed is never asserted here.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import hybridsim as hs
from hybridsim.core.chassis import wheel_force_n
from hybridsim.core.dp_grid import INFEASIBLE_KG
from hybridsim.core.ths import ThsDecision, initial_state, split
from hybridsim.core.ths_dp import decision_torque, decisions
from hybridsim.core.ths_plugin import front_plant, plant_finish
from hybridsim.core.ths_plugin_dp import n_rear, rear_candidate
from hybridsim.powertrains._common import energies, soc_balance
from hybridsim.powertrains._dp_common import terminal_penalty_kg
from hybridsim.powertrains.ths_plugin import plant_args, run_once
from hybridsim.powertrains.ths_plugin_dp import soc_band, solve

VEHICLES = ("prius_prime", "rav4_prime")
CYCLES = hs.list_cycles()


@functools.cache
def vehicle(vid):
    return hs.load_vehicle(vid)


def tiny_cycle(n):
    """``n`` seconds accelerating from 29 to 43 km/h and braking (no cruise, where rear forces differ by a hair of
    fuel): engine, rear drive and rear regeneration all matter, small enough for brute force."""
    v = np.array([8.0, 10.5, 12.0, 9.5, 11.0, 8.0])[: n + 1]
    t = np.arange(float(v.size))
    return hs.Cycle(name="tiny", time_s=t, speed_mps=v, grade=np.zeros_like(t))


def _brute_force(vh, cycle, n_power, soc0):
    """Least Σ fuel·Δt + φ(SOC_N) over every sequence of the DP's (engine, rear) candidates, each step on the exact
    plant (rear step, front plant, THS-II split, the plug-in's ``plant_finish``) from the exact state; an infeasible
    step costs ``INFEASIBLE_KG``, as in the DP. Returns (cost, engine modes, rear torques)."""
    plant, ctl, _, pctl = plant_args(vh, False, 23.0)
    lam = terminal_penalty_kg(vh)
    t, v, g = cycle.time_s, cycle.speed_mps, cycle.grade
    nd = n_power + 2
    steps = []
    for k in range(1, t.size):
        dt, v0, v1, gr = float(t[k] - t[k - 1]), float(v[k - 1]), float(v[k]), float(g[k])
        dm, dw, dp = np.zeros(nd, dtype=np.int64), np.zeros(nd), np.zeros(nd)
        w_r = 0.5 * (v0 + v1) / plant.ths.ch.wheel_radius_m * plant.ths.pg.ring_ratio
        decisions(plant.ths, ctl, n_power, w_r, dm, dw, dp)
        f = wheel_force_n(plant.ths.ch, v0, v1, dt, gr)
        rears = [rear_candidate(plant, pctl, f, v0, v1, dt, r) for r in range(n_rear(plant))]
        steps.append((dt, v0, v1, gr, w_r, [(int(dm[i]), float(dw[i]), float(dp[i])) for i in range(nd)],
                      [(r, front_plant(plant, r, gr)) for r in rears]))
    best = [np.inf, None, None]

    def go(k, state, cost, modes, rear_t):
        if k == t.size:
            total = cost + lam * abs(state.soc - soc0)
            if total < best[0]:
                best[:] = [total, list(modes), list(rear_t)]
            return
        dt, v0, v1, gr, w_r, engine, rears = steps[k - 1]
        for rear, fp in rears:
            for mode, w, p in engine:
                te = decision_torque(fp, mode, p, w, w_r, state.engine_speed_rad_s, state.mg1_speed_rad_s, dt)
                sp = split(fp, state, ThsDecision(mode, w, te).engine_mode, w, te, v0, v1, dt, gr)
                res = plant_finish(plant, fp, state, mode, sp, rear, dt)[0]
                c = cost + res.fuel_kg_s * dt + (0.0 if sp.feasible else INFEASIBLE_KG)
                go(k + 1, res.state, c, modes + [res.state.engine_mode], rear_t + [rear.motor_torque_nm])

    go(1, initial_state(plant.ths, soc0), 0.0, [], [])
    return best


@pytest.mark.parametrize(("vid", "n_steps", "n_power", "soc0"), [
    ("rav4_prime", 3, 2, 0.19),  # (4 engine × 3 rear)³ = 1,728 sequences
    ("prius_prime", 4, 2, 0.22),  # 4⁴ = 256
    # near soc_min: the battery's discharge limit is derated (≈ 30 kW at 0.165, 68 kW from ≈ 0.18), so the battery
    # side of each split depends on the grid point (split_elec per SOC), not only on the open-limit split
    ("prius_prime", 4, 2, 0.165),
])
def test_dp_equals_brute_force_on_a_tiny_problem(vid, n_steps, n_power, soc0):
    v, cy = vehicle(vid), tiny_cycle(n_steps)
    bf, modes, rear_t = _brute_force(v, cy, n_power, soc0)
    assert bf < 1.0  # some sequence is feasible
    if vid == "rav4_prime":
        assert any(abs(x) > 1.0 for x in rear_t)  # the optimum uses the rear axle
    # a grid fine enough that the interpolation error of the cost-to-go, at most λ_T·ΔSOC, is below the gap between
    # the best and the second-best sequence
    lo, hi = soc_band(v)
    grid = np.linspace(max(lo, soc0 - 0.004), min(hi, soc0 + 0.004), 40001)  # ΔSOC ≤ 2e-7
    out, j, grid, fallbacks = solve(v, cy, soc_init=soc0, soc_grid=grid, power_points=n_power)
    assert fallbacks == 0
    dt = np.diff(cy.time_s)
    fwd = float(np.sum(out.fuel_kg_s[1:] * dt)) + terminal_penalty_kg(v) * abs(out.soc[-1] - soc0)
    # the forward pass on the exact plant takes the brute-force optimum
    assert_array_equal(out.engine_mode[1:], modes)
    assert_array_equal(out.rear_motor_torque_nm[1:], rear_t)
    assert_allclose(fwd, bf, rtol=1e-12, atol=1e-15)
    # and the backward pass's value at the start agrees to the grid's interpolation error
    j0 = float(np.interp(soc0, grid, j[0, 0]))
    assert abs(j0 - bf) <= terminal_penalty_kg(v) * (grid[1] - grid[0])


# --- a lower bound on every shipped cycle --------------------------------------------------------------------

#: cheap resolutions for the lower-bound check (the defaults are 201 points over the CS band × 12 powers): the
#: Prius Prime over its whole CS band (0.15–0.27; 41 points were too coarse: the DP then lost to the rules on five
#: cycles, its cost-to-go off by up to 40 %), the RAV4 Prime (3 rear forces per engine candidate: 3× the work) over
#: soc_target ± 0.03 (ΔSOC 0.0015, as the Prius Prime's 0.0015; a narrower grid only removes sequences)
LB_GRID = {"prius_prime": (None, 81), "rav4_prime": (0.03, 41)}
LB_POWER_POINTS = 6


def lb_grid(v):
    half, n = LB_GRID[v.id]
    if half is None:
        return n
    t = v.controller.soc_target
    return np.linspace(t - half, t + half, n)


@functools.cache
def _three(vid, cycle_name):
    """Rules and ECMS at zero net battery energy (initial SOC iterated, charge-sustaining mode; for this comparison
    only) and the DP optimum (final SOC = initial, the residual corrected with the DP's own marginal value), fuel
    in kg."""
    v, cy = vehicle(vid), hs.load_cycle(cycle_name)
    c = v.controller
    a = plant_args(v, False, 23.0)
    fuel = []
    lo, hi = soc_band(v)
    for code in (0, 1):
        def run(s, code=code):
            out = run_once(a, s, 1, cy, code)
            f, eb = energies(out, cy)
            return out, f, eb

        fuel.append(soc_balance(run, lo + 0.01, hi - 0.002, c.soc_target, v.engine.lhv_j_per_kg)[1])
    dp = hs.optimal(v, cy, soc_grid=lb_grid(v), power_points=LB_POWER_POINTS, record=False)
    return fuel[0], fuel[1], dp


#: (vehicle, cycle) where the coarse lower-bound DP is not below ECMS (strict xfail)
DP_ABOVE_ECMS: dict[tuple[str, str], str] = {}
# (rav4_prime, hwfet) was one with the machine loss fit without C and a flat inverter (DP 593.6 g vs ECMS 591.5 g);
# with the inverter loss model as well it is DP 588.6 g, ECMS 604.9 g, rules 657.9 g: the DP is below again


@pytest.mark.parametrize("cycle_name", CYCLES)
@pytest.mark.parametrize("vid", VEHICLES)
def test_dp_is_a_lower_bound_on_every_shipped_cycle(vid, cycle_name, request):
    if (vid, cycle_name) in DP_ABOVE_ECMS:
        request.applymarker(pytest.mark.xfail(strict=True, raises=AssertionError,
                                              reason=DP_ABOVE_ECMS[(vid, cycle_name)]))
    rb, ec, dp = _three(vid, cycle_name)
    s = hs.summarize(dp)
    fb = dp.attrs["dp_fallback_steps"]
    print(f"\n{vid} {cycle_name}: rules {rb * 1e3:.1f} g, ECMS {ec * 1e3:.1f} g, DP "
          f"{dp.attrs['soc_balance_fuel_kg'] * 1e3:.1f} g at zero net battery energy ({fb} fallback steps)")
    assert dp.attrs["energy_management"] == "dp" and dp.attrs["charge_sustaining_init"] == 1
    # steps where the forward pass found no feasible decision and the CS rules took over (the coarse grid's
    # interpolated J promised one): measured for the Prius Prime at 81 × 6 at most 4 (of 1,068, Artemis motorway 150,
    # with the inverter model merged from main; 2 before), none for the RAV4 Prime
    assert fb <= 5
    assert abs(s["soc_end"] - s["soc_start"]) < 2e-3
    assert abs(s["energy_balance_rel_error"]) < 1e-9
    assert dp.attrs["soc_balance_fuel_kg"] <= rb and dp.attrs["soc_balance_fuel_kg"] <= ec


def test_strategy_dp_is_optimal_and_refused_where_it_does_not_apply():
    v, cy = vehicle("rav4_prime"), tiny_cycle(5)
    a = hs.simulate(v, cy, strategy="dp")
    b = hs.optimal(v, cy)
    assert_array_equal(a.fuel_rate.values, b.fuel_rate.values)
    assert a.attrs["energy_management"] == "dp" and a.attrs["dp_soc_points"] == 201
    assert a.attrs["soc_init"] == v.controller.soc_target and np.all(a.charge_sustaining.values == 1)
    assert hs.energy_balance(a)["rel_error"] < 1e-9
    assert "dp" in hs.powertrains.STRATEGIES["ths_plugin"]
    with pytest.raises(ValueError, match="cold_start"):
        hs.simulate(v, cy, strategy="dp", cold_start=True)
    with pytest.raises(ValueError, match="charge_sustaining = False"):
        hs.simulate(v, cy, strategy="dp", initial_state={"charge_sustaining": False})
    with pytest.raises(ValueError, match="soc_grid.*charge-sustaining band"):
        hs.optimal(v, cy, soc_grid=np.linspace(0.12, 0.5, 11))
    with pytest.raises(ValueError, match="soc_init"):
        hs.optimal(v, cy, soc_init=0.6)


def test_dp_kernels_have_one_signature():
    from hybridsim.core import ths_plugin_dp

    for vid in VEHICLES:
        hs.optimal(vehicle(vid), tiny_cycle(3), soc_grid=11, power_points=2)
    hs.optimal(vehicle("rav4_prime"), tiny_cycle(3), soc_grid=np.linspace(0.15, 0.2, 6), power_points=3,
               soc_init=0.17)
    for kernel in (ths_plugin_dp.backward, ths_plugin_dp.forward):
        assert len(kernel.signatures) == 1, kernel.signatures


@pytest.mark.slow
def test_dp_converges_as_the_soc_grid_is_refined():
    v = vehicle("rav4_prime")
    c = hs.load_cycle("wltc_class3b")
    cy = hs.Cycle(name="wltc_first_400s", time_s=c.time_s[:401], speed_mps=c.speed_mps[:401], grade=c.grade[:401])
    grids = (26, 51, 101, 201, 401)
    fuel = [hs.optimal(v, cy, soc_grid=n, power_points=4, record=False).attrs["soc_balance_fuel_kg"] for n in grids]
    print("\n" + ", ".join(f"{n}: {f * 1e3:.3f} g" for n, f in zip(grids, fuel, strict=True)))
    # measured (g): 82.396, 83.900, 81.212, 80.450, 80.476: a finer grid finds less fuel, 0.03 % from 201 to 401
    assert fuel[-1] < fuel[0]
    assert abs(fuel[-1] - fuel[-2]) / fuel[-1] < 5e-3
