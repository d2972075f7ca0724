"""One-pass charge balance (issue 16): ``soc_balance="linear"`` for the THS-II, P2 and series-parallel full hybrids,
next to the exact iteration. The test's "exact" is the balance iterated 100× tighter than simulate()'s default
(``powertrains.ths.REFERENCE_TOL``), the same for both methods."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import hybridsim as hs
from hybridsim.architectures import _resolve
from hybridsim.architectures import get as architecture
from hybridsim.powertrains.ths import REFERENCE_TOL, balance_reference
from hybridsim.simulate import _run_case, kernel_cycle

THS = [v for v in hs.list_vehicles() if hs.load_vehicle(v).architecture == "ths"]
#: every other shipped charge-sustaining hybrid with a balance line (P2 and series-parallel full hybrids)
OTHER = [v for v in hs.list_vehicles() if hs.load_vehicle(v).architecture in ("p2", "series_parallel")
         and not hs.load_vehicle(v).plugin]
#: a few cycles of every kind for those (THS-II: every cycle): urban with the longest stops, WLTC class 1 (the
#: hardest line: the iteration there needs up to 20 passes), motorway, aggressive
FEW = ("wltc_class1", "udds", "wltc_class3b", "us06")
#: one P2 and one series-parallel full hybrid
ONE_EACH = [next(v for v in OTHER if hs.load_vehicle(v).architecture == a) for a in ("p2", "series_parallel")]


def _reference(v, cyc, strategy="rule_based"):
    return _resolve(architecture(v.architecture).balance_reference)(
        v, kernel_cycle(cyc, v.architecture)[0], cold_start=False, ambient_c=23.0, soc_init=None, strategy=strategy)


#: the linear one-pass balance is outside ±0.5 % for these (strict xfail; the exact iteration, the default, is not
#: affected). Empty since issue 13's machine loss fit without a constant term: the Prius (1-RC NiMH pack) had been
#: −0.96 % on WLTC class 1 with it and is now within ±0.5 % on every cycle.
LINEAR_OUTSIDE: dict[str, str] = {}


@pytest.mark.parametrize("vid", [pytest.param(v, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                                          reason=LINEAR_OUTSIDE[v]))
                                 if v in LINEAR_OUTSIDE else v for v in THS + OTHER])
def test_linear_within_half_a_percent_of_exact(vid):
    v = hs.load_vehicle(vid)
    worst = 0.0
    for name in (hs.list_cycles() if vid in THS else FEW):
        cyc = hs.load_cycle(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = hs.simulate(v, cyc, record=False, soc_balance="linear")
        s = hs.summarize(ds)
        assert s["soc_balance_method"] == "linear" and s["soc_balance_runs"] == 1 and s["charge_balanced"]
        ref = _reference(v, cyc)
        # the exact reference: the net battery energy of its run within REFERENCE_TOL of the fuel energy
        assert ref.runs >= 1 and ref.slope_kg_per_j < 0.0
        fuel_lin = float(ds.attrs["soc_balance_fuel_kg"])
        if ref.fuel_exact_kg == 0.0:  # charge-balanced without the engine (the Ioniq on WLTC class 1 since issue
            print(f"{vid} {name}: exact balance burns no fuel, linear {fuel_lin:.3g} kg")  # 13's C = 0)
            assert abs(fuel_lin) < 1e-3  # kg: no more than a start's worth
            continue
        err = fuel_lin / ref.fuel_exact_kg - 1.0
        assert abs(err) <= 0.005, (name, err)
        assert s["soc_balance_linear_error"] == pytest.approx(err, abs=1e-12)  # the result says its own error
        worst = max(worst, abs(err))
    print(f"{vid}: linear balance worst {worst:.4%} of exact")
    assert worst > 0.0  # a correction that never differs from the iteration would test nothing


def test_reference_balance_is_tight():
    v = hs.load_vehicle("ralink")
    cyc = kernel_cycle(hs.load_cycle("wltc"), "ths")[0]
    ref = balance_reference(v, cyc, cold_start=False, ambient_c=23.0, soc_init=None)
    out, attrs = _run_case(v, cyc, soc_init=ref.soc_start, soc_balance=False)
    dt = np.diff(cyc.time_s)
    eb = float(np.sum(out.battery_chemical_power_w[1:] * dt))
    fuel = float(np.sum(out.fuel_kg_s[1:] * dt))
    assert abs(eb) <= REFERENCE_TOL * fuel * v.engine.lhv_j_per_kg * 1.000001
    # the one pass of soc_balance="linear" is this run, corrected along the line
    lin = _run_case(v, cyc, soc_balance="linear")[1]
    assert lin["soc_balance_fuel_kg"] == pytest.approx(fuel - ref.slope_kg_per_j * eb, rel=1e-15)


def test_sweep_measures_the_line_once_and_runs_each_case_once():
    v = hs.load_vehicle("ralink")
    cyc = hs.load_cycle("wltc")
    masses = [v.chassis.mass_kg - 100.0, v.chassis.mass_kg, v.chassis.mass_kg + 100.0]
    ds = hs.sweep(v, cyc, {"chassis.mass_kg": masses}, summary_only=True, soc_balance="linear", workers=1)
    assert ds.attrs["soc_balance_method"] == "linear"
    assert np.all(ds["soc_balance_runs"].values == 1)
    ref = balance_reference(v, kernel_cycle(cyc, "ths")[0], cold_start=False, ambient_c=23.0, soc_init=None)
    assert ds.attrs["soc_balance_slope_kg_per_j"] == ref.slope_kg_per_j
    for i, m in enumerate(masses):
        vm = hs.replace_path(v, "chassis.mass_kg", m)
        one = hs.summarize(hs.simulate(vm, cyc, record=False, soc_balance="linear"))
        exact_m = balance_reference(vm, kernel_cycle(cyc, "ths")[0], cold_start=False, ambient_c=23.0, soc_init=None)
        fuel_i = float(ds["fuel_l_per_100km"].values[i])
        # the sweep uses the base vehicle's line: within 0.5 % of this variant's exact balance on WLTC
        dens = v.engine.fuel_density_kg_per_l
        exact_l = exact_m.fuel_exact_kg / dens / float(ds["distance_km"].values[i]) * 100.0
        assert abs(fuel_i / exact_l - 1.0) <= 0.005
        if i == 1:  # the base vehicle itself: the same as simulate()
            assert fuel_i == pytest.approx(one["fuel_l_per_100km"], rel=1e-12)


def test_bad_soc_balance_values():
    v = hs.load_vehicle("ralink")
    cyc = hs.load_cycle("udds")
    with pytest.raises(ValueError, match="soc_balance = 'nearly'"):
        hs.simulate(v, cyc, soc_balance="nearly")
    with pytest.raises(ValueError, match="soc_balance = 'linear'"):
        hs.simulate(hs.load_vehicle("xingyue_l"), cyc, soc_balance="linear")
    with pytest.raises(ValueError, match="soc_balance = 'linear'"):
        hs.simulate(v, cyc, soc_balance="linear", strategy="dp")
    plugin = next(x for x in hs.list_vehicles() if getattr(hs.load_vehicle(x), "plugin", False))
    with pytest.raises(ValueError, match="soc_balance = 'linear'.*a plug-in"):
        hs.simulate(hs.load_vehicle(plugin), cyc, soc_balance="linear")
    assert hs.summarize(hs.simulate(v, cyc, record=False, soc_balance="exact")) == \
        hs.summarize(hs.simulate(v, cyc, record=False, soc_balance=True))


@pytest.mark.parametrize("vid", ONE_EACH)
def test_sweep_of_another_architecture_uses_the_base_line(vid):
    """P2 / series-parallel: a linear sweep runs each case once along the base vehicle's line; its base case is
    simulate()'s to 1e-12; the line is the one the runner measures (cached: the same object)."""
    v = hs.load_vehicle(vid)
    cyc = hs.load_cycle("udds")
    masses = [v.chassis.mass_kg, v.chassis.mass_kg + 150.0]
    ds = hs.sweep(v, cyc, {"chassis.mass_kg": masses}, summary_only=True, soc_balance="linear", workers=1)
    assert np.all(ds["soc_balance_runs"].values == 1)
    ref = _reference(v, cyc)
    assert ds.attrs["soc_balance_slope_kg_per_j"] == ref.slope_kg_per_j
    one = hs.summarize(hs.simulate(v, cyc, record=False, soc_balance="linear"))
    assert float(ds["fuel_l_per_100km"].values[0]) == pytest.approx(one["fuel_l_per_100km"], rel=1e-12)
    heavy = hs.replace_path(v, "chassis.mass_kg", masses[1])
    exact = hs.summarize(hs.simulate(heavy, cyc, record=False))["fuel_l_per_100km"]
    assert abs(float(ds["fuel_l_per_100km"].values[1]) / exact - 1.0) <= 0.005


def test_ecms_linear_within_half_a_percent():
    """ECMS (adaptive equivalence): the line through its passes is noisier than the rules' but the one-pass
    correction stays within 0.5 % of the tight iteration (THS-II, P2, series-parallel on WLTC)."""
    for vid in ("ralink", *ONE_EACH):
        v = hs.load_vehicle(vid)
        cyc = hs.load_cycle("wltc")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = hs.simulate(v, cyc, record=False, soc_balance="linear", strategy="ecms")
        ref = _reference(v, cyc, "ecms")
        assert abs(float(ds.attrs["soc_balance_fuel_kg"]) / ref.fuel_exact_kg - 1.0) <= 0.005, vid
