"""The conventional and BEV kernels split into a plant step and decisions (issue 14): the rule-based results are
bit-identical to the kernels before the split (frozen copies, ``frozen_conventional.py`` and ``frozen_bev.py``,
run side by side on the same machine) on every shipped vehicle × every shipped cycle (conventional: warm and
cold; BEV: from full charge and from an almost empty battery); the plant step replays the kernel and matches
the slow references point by point.
"""

from __future__ import annotations

import functools

import frozen_bev
import frozen_conventional
import numpy as np
import pytest

import hybridsim as hs
from hybridsim.core import bev as core_bev
from hybridsim.core import conventional as core_conv

CONV = [v for v in hs.list_vehicles() if hs.load_vehicle(v).architecture == "conventional"]
BEV = [v for v in hs.list_vehicles() if hs.load_vehicle(v).architecture == "bev"]


@functools.cache
def _vehicle(vid):
    return hs.load_vehicle(vid)


@functools.cache
def _cycle(name):
    return hs.load_cycle(name)


def _plan(v, cy):
    if v.transmission.kind == "manual":
        from hybridsim.gearshift import gear_plan

        return np.ascontiguousarray(gear_plan(v, cy), dtype=np.float64)
    return np.full(cy.time_s.size, -1.0)


def _conv_runs(vid, cname, cold):
    from hybridsim.core.conventional_control import run_conventional
    from hybridsim.powertrains.conventional import plant_args

    v, cy = _vehicle(vid), _cycle(cname)
    args = (np.ascontiguousarray(cy.time_s), np.ascontiguousarray(cy.speed_mps), np.ascontiguousarray(cy.grade),
            _plan(v, cy))
    plant, ctl = plant_args(v, cold, 5.0)
    new = core_conv.allocate(cy.time_s.size)
    run_conventional(plant, ctl, *args, new)
    old = frozen_conventional.allocate(cy.time_s.size)
    frozen_conventional.run_conventional(plant.ch, plant.eng, plant.gb, plant.cvt, ctl, plant.aux.accessory_power_w,
                                         plant.th, plant.aux.friction_fuel_kg_s, *args, old)
    return new, old


def test_cases_cover_every_gearbox_kind():
    kinds = {_vehicle(v).transmission.kind for v in CONV}
    assert {"automatic", "manual", "cvt"} <= kinds and len(BEV) >= 2
    assert {len(_vehicle(v).motors) for v in BEV} == {1, 2}


@pytest.mark.parametrize("vid", CONV)
def test_conventional_rule_based_is_bit_identical_to_the_kernel_before_the_split(vid):
    """Every shipped cycle, warm and cold (coolant soaked at 5 °C): all 16 output arrays equal, bit for bit."""
    n = 0
    for cname in hs.list_cycles():
        for cold in (False, True):
            new, old = _conv_runs(vid, cname, cold)
            differ = [f for f in core_conv.ConventionalOut._fields
                      if not np.array_equal(getattr(new, f), getattr(old, f))]
            assert differ == [], (cname, cold, f"{len(differ)} arrays differ: {differ}")
            n += 1
    assert n == 2 * len(hs.list_cycles())


def _bev_runs(vid, cname, soc0):
    from hybridsim.core.bev_control import run_bev
    from hybridsim.powertrains.bev import bev_args, plant_args

    v, cy = _vehicle(vid), _cycle(cname)
    args = (float(soc0), np.ascontiguousarray(cy.time_s), np.ascontiguousarray(cy.speed_mps),
            np.ascontiguousarray(cy.grade))
    plant, ctl = plant_args(v)
    new = core_bev.allocate(cy.time_s.size)
    run_bev(plant, ctl, *args, new)
    old = frozen_bev.allocate(cy.time_s.size)
    ch, mf, mr, dk, ctl_, aux, b = bev_args(v)
    frozen_bev.run_bev(ch, mf, mr, dk, ctl_, frozen_bev.BevAuxK(*aux), b, *args, old)
    return new, old


@pytest.mark.parametrize("vid", BEV)
def test_bev_rule_based_is_bit_identical_to_the_kernel_before_the_split(vid):
    """Every shipped cycle from full charge and from 1 % above the bottom of the window (the battery runs empty:
    the accessory cut and the freewheeling machines): all 23 output arrays equal, bit for bit."""
    v = _vehicle(vid)
    n = 0
    for cname in hs.list_cycles():
        for soc0 in (v.battery.soc_max, v.battery.soc_min + 0.01):
            new, old = _bev_runs(vid, cname, soc0)
            differ = [f for f in core_bev.BevOut._fields if not np.array_equal(getattr(new, f), getattr(old, f))]
            assert differ == [], (cname, soc0, f"{len(differ)} arrays differ: {differ}")
            n += 1
    assert n == 2 * len(hs.list_cycles())
