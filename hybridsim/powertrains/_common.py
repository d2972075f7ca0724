"""Pieces every powertrain runner shares: result attributes, run energies, the SOC balance."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._version import __version__
from ..cycles import Cycle
from ..results import BALANCE_FAILED, chassis_attrs
from ..vehicle import Vehicle


def common_attrs(vehicle: Vehicle, cycle: Cycle) -> dict:
    ch = vehicle.chassis.to_kernel()
    attrs = {
        "vehicle": vehicle.id,
        "vehicle_name": vehicle.name,
        "architecture": vehicle.architecture,
        "cycle": cycle.name,
        "hybridsim_version": __version__,
    }
    attrs.update(chassis_attrs(ch))
    if vehicle.battery is not None:
        attrs["accessory_battery_power_w"] = float(vehicle.accessories.battery_power_w)
    if vehicle.engine is not None:
        attrs["fuel_density_kg_per_l"] = float(vehicle.engine.fuel_density_kg_per_l)
        attrs["fuel_lhv_j_per_kg"] = float(vehicle.engine.lhv_j_per_kg)
        attrs["co2_per_fuel_kg"] = float(vehicle.engine.co2_per_fuel_mass)
    return attrs


def thermal_args(vehicle: Vehicle, cold_start: bool, ambient_c: float):
    """Kernel arguments of the engine warm-up model (``core/thermal.py``): (ThermalK, ṁ_fric table).

    ``ThermalK`` from the Engine's ``hot_coolant_c``, ``coolant_heat_capacity_kj_per_k``,
    ``coolant_heat_fraction`` and ``cold_friction_exponent`` (a cold start soaks the coolant at
    ``ambient_c``); the table is the fuel that covers the hot friction and pumping loss alone (the Willans
    fit's ``friction_fuel_kg_s``) on the engine map's speed grid. [kg/s]
    """
    from ..core.thermal import ThermalK

    e = vehicle.engine
    m = e.data()
    if m.willans is None:
        if cold_start:
            raise ValueError(f"cold_start=True: engine.map_kind = {e.map_kind!r} has no Willans friction line "
                             "for the warm-up model (allowed: map_kind = 'willans', or cold_start=False)")
        fric = np.zeros_like(m.speed_rad_s)
    else:
        fric = m.willans.friction_fuel_kg_s(m.speed_rad_s, e.lhv_j_per_kg)
    th = ThermalK(1.0 if cold_start else 0.0, float(ambient_c), float(e.hot_coolant_c),
                  float(e.coolant_heat_capacity_kj_per_k * 1e3), float(e.coolant_heat_fraction),
                  float(e.cold_friction_exponent))
    return th, np.ascontiguousarray(fric, dtype=np.float64)


def energies(out, cycle: Cycle) -> tuple[float, float]:
    dt = np.diff(cycle.time_s)
    return (float(np.sum(out.fuel_kg_s[1:] * dt)), float(np.sum(out.battery_chemical_power_w[1:] * dt)))


def soc_balance(run, soc_lo: float, soc_hi: float, soc_start: float, lhv: float, *, tol: float = 1e-3,
                max_runs: int = 12):
    """Charge-balance a hybrid run (SAE J1711 / WLTP RCB idea, components.md §5.6).

    ``run(soc0) -> (out, fuel_kg, battery_chemical_j)``. The initial SOC is iterated (secant, kept in
    [soc_lo, soc_hi]) until the net battery energy is within ``tol`` of the fuel energy. If that does
    not happen within ``max_runs``, the fuel is interpolated to zero net battery energy by a straight
    line through all runs (the K-factor correction); where that line gives none (every run burnt the same
    fuel, or it does not fall), the method is ``BALANCE_FAILED`` and the fuel the raw fuel of the run nearest
    balance (not charge-balanced). Returns (out of the last run, fuel at zero net battery energy [kg],
    residual = ΔE_batt/E_fuel of the last run, runs, method).
    """
    steps = soc_balance_steps(soc_lo, soc_hi, soc_start, lhv, tol=tol, max_runs=max_runs)
    s = next(steps)
    while True:
        out, fuel, eb = run(s)
        try:
            s = steps.send((fuel, eb, float(out.soc[-1]), out))
        except StopIteration as done:
            return done.value


def soc_balance_steps(soc_lo: float, soc_hi: float, soc_start: float, lhv: float, *, tol: float = 1e-3,
                      max_runs: int = 12):
    """:func:`soc_balance` as a generator, for drivers that run many cases in lockstep (``hybridsim.batch``):
    yields the next initial SOC to run, is sent (fuel [kg], net battery energy [J], end SOC, payload) of that
    run, and returns (payload of the chosen run, fuel at zero net battery energy, residual, runs, method)."""
    runs = []

    def call(s):
        fuel, eb, soc_end, payload = yield s
        runs.append((s, fuel, eb, payload, soc_end))
        return eb / max(fuel * lhv, 1.0)

    s0 = soc_start
    r0 = yield from call(s0)
    if abs(r0) <= tol:
        return runs[-1][3], runs[-1][1], r0, 1, "iterated"
    # second guess: start where the first run ended (a charge-sustaining controller ends near the same SOC
    # whatever the start, so this is usually balanced already); a fixed step if that gives no new point
    s1 = min(max(runs[-1][4], soc_lo), soc_hi)
    if abs(s1 - s0) < 1e-6:
        s1 = min(max(s0 + (0.05 if r0 < 0 else -0.05), soc_lo), soc_hi)
    r1 = yield from call(s1)
    while len(runs) < max_runs and abs(r1) > tol:
        if r1 == r0:
            break
        s2 = s1 - r1 * (s1 - s0) / (r1 - r0)
        s2 = min(max(s2, soc_lo), soc_hi)
        if s2 == s1:
            break
        s0, r0 = s1, r1
        s1 = s2
        r1 = yield from call(s1)
    best = min(runs, key=lambda r: abs(r[2]))
    if abs(best[2]) <= tol * max(best[1] * lhv, 1.0):
        return best[3], best[1], best[2] / max(best[1] * lhv, 1.0), len(runs), "iterated"
    eb = np.array([r[2] for r in runs])
    fu = np.array([r[1] for r in runs])
    resid = best[2] / max(best[1] * lhv, 1.0)
    if np.ptp(eb) > 0 and np.ptp(fu) > 0:
        slope, icpt = np.polyfit(eb, fu, 1)
        # the K-factor line: more net battery discharge, less fuel (slope < 0); a line that does not fall gives no
        # fuel at zero battery energy (a negative intercept neither)
        if slope < 0 and icpt >= 0:
            return best[3], float(icpt), resid, len(runs), "interpolated"
    # no fuel at zero net battery energy can be worked out: every run burnt the same fuel (a cycle too short for
    # the engine to start from any initial SOC) or the line through the runs does not fall. Reported as it is: the
    # raw fuel of the run nearest balance, not charge-balanced (results: BALANCE_FAILED); it was the line's
    # intercept, e.g. 0 L/100 km "charge-balanced" with 13 kJ drawn from the battery and no fuel
    return best[3], float(best[1]), resid, len(runs), BALANCE_FAILED


class BalanceReference(NamedTuple):
    """The fuel-vs-net-battery-energy line of one vehicle over one cycle (:func:`balance_line`)."""

    slope_kg_per_j: float  # d(fuel)/d(net battery chemical energy), < 0 for a hybrid
    fuel_exact_kg: float  # the exact balance (iterated)
    fuel_linear_kg: float  # the one-pass correction of the same vehicle (its pass from ``soc_start``)
    rel_error: float  # (linear − exact) / exact
    runs: int  # kernel passes of the measurement
    soc_start: float  # initial SOC of the exact balance's run: where a one-pass run starts


#: Net battery energy / fuel energy to which the reference balance is iterated (100× tighter than simulate()'s
#: default 1e-3, whose uncorrected residual is worth up to ~0.3 % of fuel): the "exact" the error is taken against.
REFERENCE_TOL = 1e-5

_REFERENCES: dict = {}  # (id(vehicle), id(cycle), options) → (vehicle, cycle, BalanceReference); small, by identity


def balance_line(make_once, vehicle: Vehicle, cycle: Cycle, key: tuple, start: float) -> BalanceReference:
    """Measure the charge-balance line of ``vehicle`` over ``cycle`` (SAE J1711 / WLTP RCB correction idea: fuel is
    linear in the net battery energy near zero). ``make_once()`` gives the vehicle's run ``once(soc0) -> (out,
    fuel_kg, battery_chemical_j)`` (called on a cache miss only). The exact balance by iteration (to
    ``REFERENCE_TOL``, from ``start``), whose passes at different initial SOCs give the slope d(fuel)/d(E_batt)
    (least squares through them; one extra pass if they do not span the line), and the one-pass correction of this
    same vehicle against it. Cached per vehicle and cycle object and ``key`` (the run's options): a sweep measures
    it once, on its base vehicle."""
    key = (id(vehicle), id(cycle), *key)
    hit = _REFERENCES.get(key)
    if hit is not None and hit[0] is vehicle and hit[1] is cycle:
        return hit[2]
    b = vehicle.battery
    lhv = vehicle.engine.lhv_j_per_kg
    once = make_once()
    passes = []

    def run(s):
        out, fuel, eb = once(s)
        passes.append((fuel, eb, float(s)))
        return out, fuel, eb

    out_exact, fuel_exact, _, _, _ = soc_balance(run, b.soc_min, b.soc_max, start, lhv, tol=REFERENCE_TOL,
                                                 max_runs=20)
    soc_start = float(out_exact.soc[0])
    fuel0, eb0, _ = next(p for p in passes if p[2] == soc_start)  # the one pass a one-pass run repeats
    eb = np.array([p[1] for p in passes])
    if np.ptp(eb) <= 1e-6 * max(abs(fuel0) * lhv, 1.0):
        # the iteration's passes do not span the line (balanced at once): one more pass 5 % of SOC away
        run(start - 0.05 if start - 0.05 >= b.soc_min else start + 0.05)
        eb = np.array([p[1] for p in passes])
    fu = np.array([p[0] for p in passes])
    slope = float(np.polyfit(eb, fu, 1)[0])
    fuel_lin = fuel0 - slope * eb0
    ref = BalanceReference(slope, float(fuel_exact), float(fuel_lin),
                           float((fuel_lin - fuel_exact) / fuel_exact) if fuel_exact > 0 else 0.0, len(passes),
                           soc_start)
    if len(_REFERENCES) >= 32:
        _REFERENCES.pop(next(iter(_REFERENCES)))
    _REFERENCES[key] = (vehicle, cycle, ref)
    return ref


def linear_balance(once, ref: BalanceReference, soc_init, lhv: float):
    """``soc_balance="linear"``: one pass (from where the reference vehicle balanced, ``ref.soc_start``, unless the
    initial SOC is given: a variant of that vehicle ends near balance too, a small correction), its fuel corrected
    to zero net battery energy along the line ``ref``: (out, attrs of the balance)."""
    out, fuel, eb = once(ref.soc_start if soc_init is None else soc_init)
    return out, {"soc_balance_fuel_kg": fuel - ref.slope_kg_per_j * eb,
                 "soc_balance_residual": eb / max(fuel * lhv, 1.0),
                 "soc_balance_runs": 1, "soc_balance_method": "linear",
                 "soc_balance_slope_kg_per_j": ref.slope_kg_per_j,
                 "soc_balance_linear_error": ref.rel_error}


def recharge_energy_j(vehicle: Vehicle, soc_from: float, soc_to: float | None = None, *,
                      dt_s: float = 60.0) -> tuple[float, float]:
    """(battery terminal energy, wall energy) to charge from ``soc_from`` to ``soc_to`` (default soc_max). [J]

    Constant power at the on-board charger: terminal power ``P_t = P_ac·η_charger`` (E: the charger's
    constant-power phase; the CV taper is neglected), battery by its Rint step (resistive and coulombic
    losses, ``core/electric.battery_step``), wall energy = terminal energy / η_charger.
    """
    from ..core.electric import battery_step
    from ..units import W_PER_KW

    d = vehicle.drive
    b = vehicle.battery.to_kernel()
    target = vehicle.battery.soc_max if soc_to is None else soc_to
    p_t = d.ac_charging_power_kw * W_PER_KW * d.charger_efficiency
    soc = float(soc_from)
    e_t = 0.0
    for _ in range(1_000_000):
        if soc >= target:
            break
        i, vt, p_chem, loss, soc_new = battery_step(b, soc, -p_t, dt_s)
        if soc_new > target:  # last partial step, scaled to end exactly at the target
            frac = (target - soc) / (soc_new - soc)
            e_t += p_t * dt_s * frac
            break
        e_t += p_t * dt_s
        soc = soc_new
    return e_t, e_t / d.charger_efficiency
