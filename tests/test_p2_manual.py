"""A P2 hybrid with a manual gearbox (issue 17): its gears are the procedure's (``hybridsim/gearshift.py``, the
code the conventional manual car uses: GTR 15 Annex 2 on the WLTC and other traces, R83 shift speeds on the NEDC),
the controller decides engine, clutch torque and motor (``core/p2_control.rule_decide_planned``). Every shipped
cycle hot and cold with the invariants, kernel vs the slow reference, ECMS, the DP refused, procedures (a P2 with
a CVT: tests/test_p2_cvt.py). No shipped P2 has a manual box: the Ioniq's and the Tank 300's files with
``kind = "manual"`` stand in.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from reference_p2 import OUTPUTS, run_reference

import hybridsim as hs
from hybridsim import procedures
from hybridsim.gearshift import gear_plan as conventional_plan
from hybridsim.powertrains._p2_plant import gear_plan
from hybridsim.results import KERNEL_NAMES, energy_balance


def _manual(vid):
    v = hs.load_vehicle(vid)
    return dataclasses.replace(v, transmission=dataclasses.replace(v.transmission, kind="manual"))


@functools.cache
def ioniq_manual():
    return _manual("ioniq_hybrid_2022")


@functools.cache
def tank_manual():
    return _manual("tank300_hi4t")


def test_the_plan_is_the_conventional_manual_cars():
    v, c = ioniq_manual(), hs.load_cycle("nedc")
    assert_array_equal(gear_plan(v, c), conventional_plan(v, c))  # one code for both architectures
    assert gear_plan(hs.load_vehicle("ioniq_hybrid_2022"), c) is None  # the DCT shifts by the controller


@functools.cache
def run(cname, cold, strategy="rule_based"):
    return hs.simulate(ioniq_manual(), hs.load_cycle(cname), cold_start=cold, strategy=strategy)


@pytest.mark.parametrize("cold", [False, True])
@pytest.mark.parametrize("cname", hs.list_cycles())
def test_every_cycle_follows_the_plan_with_the_invariants(cname, cold):
    v = ioniq_manual()
    ds = run(cname, cold)
    assert energy_balance(ds)["rel_error"] < 1e-9
    for name, var in ds.data_vars.items():
        assert not np.any(np.isnan(var.values)), name
    soc = ds["soc"].values
    assert np.all(soc >= v.battery.soc_min) and np.all(soc <= v.battery.soc_max + 1e-12)
    assert abs(ds.attrs["soc_balance_residual"]) <= 1e-3
    plan = gear_plan(v, hs.load_cycle(cname))
    g = ds["gear"].values
    moving = (plan >= 1) & (ds["speed"].values > 0)
    # the planned gear wherever it can drive the step (the rest: the controller's, as the conventional kernel)
    assert np.mean(g[moving] == plan[moving]) > 0.97, np.mean(g[moving] == plan[moving])


def test_the_gears_differ_from_the_controllers():
    auto = hs.simulate(hs.load_vehicle("ioniq_hybrid_2022"), hs.load_cycle("nedc"))
    man = run("nedc", False)
    assert not np.array_equal(auto["gear"].values, man["gear"].values)
    assert man["gear"].values.max() <= 5  # R83's table has five gears


@pytest.mark.parametrize("vname,cname,soc", [("ioniq", "nedc", 0.5), ("tank", "wltc_class3b", 0.97)])
def test_kernel_matches_reference(vname, cname, soc):
    v = {"ioniq": ioniq_manual, "tank": tank_manual}[vname]()
    c = hs.load_cycle(cname)
    if cname.startswith("wltc"):  # Low and Medium (the reference is slow Python)
        m = c.time_s <= 1000
        c = hs.Cycle(name="wltc_part", time_s=c.time_s[m], speed_mps=c.speed_mps[m], grade=c.grade[m])
    ds = hs.simulate(v, c, soc_init=soc, soc_balance=False)
    ref = run_reference(v, c, soc, gear_plan=gear_plan(v, c))
    for f in ("gear", "clutch_state", "engine_mode", "charge_sustaining"):
        assert_array_equal(ds[KERNEL_NAMES[f]].values, ref[f], err_msg=f)
    for f in OUTPUTS:
        scale = max(float(np.max(np.abs(ref[f]))), 1.0)
        assert_allclose(ds[KERNEL_NAMES[f]].values, ref[f], rtol=1e-9, atol=1e-9 * scale, err_msg=f)


def test_ecms_follows_the_plan_and_the_dp_is_refused():
    ds = run("wltc_class3b", False, "ecms")
    plan = gear_plan(ioniq_manual(), hs.load_cycle("wltc_class3b"))
    moving = (plan >= 1) & (ds["speed"].values > 0)
    assert np.mean(ds["gear"].values[moving] == plan[moving]) > 0.97
    assert energy_balance(ds)["rel_error"] < 1e-9 and abs(ds.attrs["soc_balance_residual"]) <= 1e-3
    with pytest.raises(ValueError, match="strategy = 'dp': not available for vehicle 'ioniq_hybrid_2022' with "
                                         "transmission.kind = 'manual'"):
        hs.optimal(ioniq_manual(), hs.load_cycle("udds"))


def test_a_manual_plug_in_runs_charge_depleting():
    ds = hs.simulate(tank_manual(), hs.load_cycle("wltc_class3b"))
    assert ds["soc"].values[0] == tank_manual().battery.soc_max and energy_balance(ds)["rel_error"] < 1e-9
    plan = gear_plan(tank_manual(), hs.load_cycle("wltc_class3b"))
    moving = (plan >= 1) & (ds["speed"].values > 0)
    assert np.mean(ds["gear"].values[moving] == plan[moving]) > 0.97


@pytest.mark.parametrize("proc", ["wltp", "nedc", "epa"])
def test_procedures(proc):
    r = procedures.PROCEDURES[proc](ioniq_manual())
    assert r["fuel_l_per_100km"] > 0 and r["energy_balance_rel_error"] < 1e-9
