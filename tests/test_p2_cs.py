"""A full (not plug-in) P2 hybrid, charge-sustaining (issue 17): the Hyundai Ioniq Hybrid (``[vehicle] plugin =
false``). Whether a car is a plug-in is its file's (the registry's ``plugin`` by default, ``plugin_optional`` for
``p2``); such a car runs charge-sustaining throughout, ``simulate(..., soc_balance=True)`` balances it as THS-II, and
the procedures treat it as a NOVC-HEV. Every shipped cycle hot and cold with the invariants; kernel vs the slow
reference (``reference_p2.py``); ECMS and the DP on it; epa/wltp/nedc.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from reference_p2 import OUTPUTS, run_reference

import hybridsim as hs
from hybridsim import procedures
from hybridsim.architectures import get as architecture
from hybridsim.results import KERNEL_NAMES, energy_balance

VID = "ioniq_hybrid_2022"


@functools.cache
def ioniq():
    return hs.load_vehicle(VID)


def test_plug_in_or_not_comes_from_the_file_and_the_registry():
    v, tank = ioniq(), hs.load_vehicle("tank300_hi4t")
    assert v.architecture == tank.architecture == "p2"
    assert v.plugin is False and v.charge_sustaining and not v.starts_full
    assert tank.plugin is True and not tank.charge_sustaining and tank.starts_full  # no key: the registry's
    assert architecture("p2").plugin and architecture("p2").plugin_optional
    assert not procedures._common.is_plugin(v) and procedures._common.is_plugin(tank)
    assert hs.load_vehicle("prius_2016").plugin is False  # THS-II: not optional, the registry's


def _write(tmp_path, src, old, new):
    text = hs.load_vehicle(src).source
    body = open(text, encoding="utf-8").read()
    assert old in body
    p = tmp_path / "v.toml"
    p.write_text(body.replace(old, new, 1).replace('"maps/', f'"{hs.vehicle.data_dir("vehicles")}/maps/'),
                 encoding="utf-8")
    return p


@pytest.mark.parametrize("src,old,new,match", [
    ("ioniq_hybrid_2022", "plugin = false", 'plugin = "no"', "vehicle.plugin = 'no': must be true or false"),
    ("prius_2016", 'architecture = "ths"', 'architecture = "ths"\nplugin = true',
     "vehicle.plugin = true: out of range for architecture 'ths', allowed false"),
])
def test_bad_plugin_key_gives_one_clear_error(tmp_path, src, old, new, match):
    p = _write(tmp_path, src, old, new)
    with pytest.raises(ValueError, match=match) as exc:
        hs.read_vehicle(p)
    assert str(p) in str(exc.value)


def test_soc_cs_enter_is_not_checked_for_a_full_hybrid_but_is_for_a_plug_in():
    v = ioniq()
    assert not v.battery.soc_min <= v.controller.soc_cs_enter  # the default 0.135, outside the window: not used
    with pytest.raises(ValueError, match="controller.soc_cs_enter = 0.135: out of range, allowed battery.soc_min"):
        hs.Vehicle(**{**{f: getattr(v, f) for f in ("id", "name", "architecture", "chassis", "engine",
                                                      "transmission", "battery", "motors", "controller",
                                                      "accessories")}, "plugin": True})


# --- every shipped cycle, hot and cold, charge-balanced -----------------------------------------------------

@functools.cache
def balanced(cname, cold):
    return hs.simulate(ioniq(), hs.load_cycle(cname), cold_start=cold)


@pytest.mark.parametrize("cold", [False, True])
@pytest.mark.parametrize("cname", hs.list_cycles())
def test_every_cycle_is_charge_balanced_with_the_invariants(cname, cold):
    v = ioniq()
    ds = balanced(cname, cold)
    s = hs.summarize(ds)
    assert energy_balance(ds)["rel_error"] < 1e-9
    for name, var in ds.data_vars.items():
        assert not np.any(np.isnan(var.values)), name
    assert abs(ds.attrs["soc_balance_residual"]) <= 1e-3 and ds.attrs["soc_balance_method"] == "iterated"
    soc = ds["soc"].values
    assert np.all(soc >= v.battery.soc_min) and np.all(soc <= v.battery.soc_max + 1e-12)
    assert np.all(ds["charge_sustaining"].values == 1)  # never charge-depleting
    assert s["fuel_l_per_100km"] > 0 and s["trace_miss_max_kmh"] < 1.0
    if cold:
        assert ds["coolant_temperature"].values[0] < ds["coolant_temperature"].values[-1]
        assert s["fuel_l_per_100km"] > hs.summarize(balanced(cname, False))["fuel_l_per_100km"]


def test_soc_balance_is_honoured_not_ignored():
    v, c = ioniq(), hs.load_cycle("udds")
    raw = hs.simulate(v, c, soc_balance=False)
    assert raw["soc"].values[0] == v.controller.soc_target  # not soc_max: a full hybrid starts at its target
    assert "soc_balance_fuel_kg" not in raw.attrs
    bal = balanced("udds", False)
    assert bal.attrs["soc_balance_runs"] >= 2 and bal["soc"].values[0] != raw["soc"].values[0]
    s = hs.summarize(bal)
    assert s["soc_balance_method"] == "iterated"
    assert abs(s["soc_end"] - s["soc_start"]) < 0.01


def test_a_full_hybrid_refuses_charge_depleting_mode():
    with pytest.raises(ValueError, match="charge_sustaining = False: vehicle 'ioniq_hybrid_2022' is not a plug-in"):
        hs.simulate(ioniq(), hs.load_cycle("udds"), initial_state={"charge_sustaining": False})


# --- kernel vs the slow reference -----------------------------------------------------------------------------

@pytest.mark.parametrize("cname,cold,soc", [("us06", True, 0.50), ("udds", False, 0.34)])
def test_kernel_matches_reference(cname, cold, soc):
    v, c = ioniq(), hs.load_cycle(cname)
    ds = hs.simulate(v, c, soc_init=soc, soc_balance=False, cold_start=cold)
    ref = run_reference(v, c, soc, cold_start=cold)
    for f in ("gear", "clutch_state", "engine_mode", "charge_sustaining"):
        assert_array_equal(ds[KERNEL_NAMES[f]].values, ref[f], err_msg=f)
    for f in OUTPUTS:
        scale = max(float(np.max(np.abs(ref[f]))), 1.0)
        assert_allclose(ds[KERNEL_NAMES[f]].values, ref[f], rtol=1e-9, atol=1e-9 * scale, err_msg=f)
    # the run exercises EV, engine charging and assist, and (from 0.34, below soc_engine_force) the forced start (the
    # whole UDDS: since the inverter loss model its first bag has no assist from there)
    fuel, t_m = ds["fuel_rate"].values, ds["p2_torque"].values
    assert np.any(fuel == 0) and np.any((t_m < 0) & (fuel > 0)) and np.any((t_m > 0) & (fuel > 0))


# --- strategies ----------------------------------------------------------------------------------------------

def test_ecms_is_charge_balanced_too():
    ds = hs.simulate(ioniq(), hs.load_cycle("hwfet"), strategy="ecms")
    assert ds.attrs["energy_management"] == "ecms" and abs(ds.attrs["soc_balance_residual"]) <= 1e-3
    assert energy_balance(ds)["rel_error"] < 1e-9 and np.all(ds["charge_sustaining"].values == 1)


def test_dp_is_a_lower_bound_over_the_full_soc_window():
    """DP over the battery's whole window (a full hybrid has no CD band), on a slice of the UDDS with a coarse grid
    (the DP's cost; the full cycle is in docs/validation.md's controller table): its balanced fuel is not above the
    rules' or ECMS's."""
    from hybridsim.powertrains.p2_dp import soc_band

    v = ioniq()
    assert soc_band(v) == (v.battery.soc_min, v.battery.soc_max)
    c = hs.load_cycle("udds")
    m = c.time_s <= 300
    part = hs.Cycle(name="udds_0_300", time_s=c.time_s[m], speed_mps=c.speed_mps[m], grade=c.grade[m])
    dp = hs.optimal(v, part, soc_grid=41, power_points=6, record=False)
    fuel = {k: hs.simulate(v, part, strategy=k, record=False).attrs["soc_balance_fuel_kg"]
            for k in ("rule_based", "ecms")}
    assert dp.attrs["dp_fallback_steps"] == 0
    assert dp.attrs["soc_balance_fuel_kg"] <= min(fuel.values()) * (1 + 1e-6), (dp.attrs["soc_balance_fuel_kg"], fuel)


# --- procedures: a not-externally-chargeable hybrid -----------------------------------------------------------

@pytest.mark.parametrize("proc", ["epa", "wltp", "nedc"])
def test_procedures_treat_it_as_a_novc_hybrid(proc):
    r = procedures.PROCEDURES[proc](ioniq())
    assert r["fuel_l_per_100km"] > 0 and r["energy_balance_rel_error"] < 1e-9
    assert "electric_range_km" not in r and "fuel_weighted_l_per_100km" not in r  # not the plug-in branch
    assert not {"REEC break-off 0.04", "R101 OVC weighting"} & set(r["unchecked_rules"])
    if proc == "wltp":
        assert "RCB thresholds" in r["unchecked_rules"]  # the charge-balance rule of a NOVC-HEV applies


def test_a_p2_refuses_a_torque_converter_it_would_not_model():
    import dataclasses

    v = ioniq()
    tr = dataclasses.replace(v.transmission, converter_k_factor_rpm_per_sqrt_nm=120.0)
    with pytest.raises(ValueError, match=r"transmission\.converter_k_factor_rpm_per_sqrt_nm = 120\.0: out of range "
                                         r"for architecture 'p2', allowed 0"):
        dataclasses.replace(v, transmission=tr)
