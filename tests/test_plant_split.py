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


# --- the pure plant step replays the kernel ---------------------------------------------------------------------

def _short(cname, t_end=600.0):
    cy = _cycle(cname)
    m = cy.time_s <= t_end
    return hs.Cycle(name=cname + "_part", time_s=cy.time_s[m], speed_mps=cy.speed_mps[m], grade=cy.grade[m])


@pytest.mark.parametrize("vid", CONV)
def test_conventional_plant_step_replays_the_kernel(vid):
    """Along a cold run (the first 600 s of US06, with a planned gear for the manual), each step's decision put
    through the pure ``plant_step`` from the kernel's own state gives the kernel's outputs bit for bit."""
    from hybridsim.core.conventional_control import rule_decide, run_conventional
    from hybridsim.powertrains.conventional import plant_args

    v, cy = _vehicle(vid), _short("us06")
    plant, ctl = plant_args(v, True, 5.0)
    plan = _plan(v, cy)
    out = core_conv.allocate(cy.time_s.size)
    run_conventional(plant, ctl, cy.time_s, cy.speed_mps, cy.grade, plan, out)
    state = core_conv.initial_state(plant)
    for k in range(1, cy.time_s.size):
        dt, gr, v0 = float(cy.time_s[k] - cy.time_s[k - 1]), float(cy.grade[k]), float(out.speed_mps[k - 1])
        d, v1, ctx, pt = rule_decide(plant, ctl, state, int(plan[k]), v0, float(cy.speed_mps[k]), dt, gr)
        res = core_conv.plant_step(plant, state, d, v0, v1, dt, gr)
        assert res.point == pt and v1 == out.speed_mps[k]
        assert res.point.feasible or out.trace_miss_mps[k] > 0 or out.speed_mps[k] == 0 or d.neutral, k
        got = core_conv.allocate(1 + k)
        core_conv.record(got, k, res, v1, float(cy.speed_mps[k]))
        for f in core_conv.ConventionalOut._fields:
            assert getattr(got, f)[k] == getattr(out, f)[k], (k, f)
        state = res.state


@pytest.mark.parametrize("vid", BEV)
def test_bev_plant_step_replays_the_kernel(vid):
    """From almost empty (accessory cut, freewheeling machines) over the first 600 s of US06: each step's decision
    through the pure ``plant_step`` gives the kernel's outputs bit for bit; the freewheel steps are met."""
    from hybridsim.core.bev_control import rule_decide, run_bev
    from hybridsim.powertrains.bev import plant_args

    v, cy = _vehicle(vid), _short("us06")
    plant, ctl = plant_args(v)
    soc0 = v.battery.soc_min + 0.01
    out = core_bev.allocate(cy.time_s.size)
    run_bev(plant, ctl, soc0, cy.time_s, cy.speed_mps, cy.grade, out)
    state = core_bev.initial_state(plant, soc0)
    n_free = 0
    for k in range(1, cy.time_s.size):
        dt, gr, v0 = float(cy.time_s[k] - cy.time_s[k - 1]), float(cy.grade[k]), float(out.speed_mps[k - 1])
        d, v1, ctx, sp = rule_decide(plant, ctl, state, v0, float(cy.speed_mps[k]), dt, gr)
        res = core_bev.plant_step(plant, state, d, v0, v1, dt, gr)
        assert res.split == sp and v1 == out.speed_mps[k]
        n_free += d.freewheel
        assert res.split.feasible, (k, res.split.limit)
        got = core_bev.allocate(1 + k)
        core_bev.record(got, k, res, v1, float(cy.speed_mps[k]))
        for f in core_bev.BevOut._fields:
            assert getattr(got, f)[k] == getattr(out, f)[k], (k, f)
        state = res.state
    assert n_free > 0


# --- the plant step against the slow references ------------------------------------------------------------------

@pytest.mark.parametrize("vid", CONV)
def test_conventional_plant_matches_the_reference_in_every_gear(vid):
    """Along a cold WLTC run (first 300 s), at every step the plant's operating point in every gear (a CVT: at
    nine ratios across its range and the controller's), and at its end the fuel, coolant and losses of the step,
    equal the slow reference's (``reference_conventional.ReferenceCar``, no ``hybridsim.core``) to 1e-9."""
    from reference_conventional import ReferenceCar

    from hybridsim.core.conventional_control import rule_decide
    from hybridsim.powertrains.conventional import plant_args

    v, cy = _vehicle(vid), _short("wltc", 300.0)
    plant, ctl = plant_args(v, True, 5.0)
    ref = ReferenceCar(v, True, 5.0)
    plan = _plan(v, cy)
    state = core_conv.initial_state(plant)
    v0 = float(cy.speed_mps[0])
    n_pts = n_bad = 0
    keys = dict(w_e="engine_speed_rad_s", t_e="engine_torque_nm", fuel="fuel_map_kg_s", t_in="input_torque_nm",
                w_in="input_speed_rad_s", t_wheel="wheel_torque_delivered_nm", load="load")
    for k in range(1, cy.time_s.size):
        dt, gr = float(cy.time_s[k] - cy.time_s[k - 1]), float(cy.grade[k])
        d, v1, ctx, pt = rule_decide(plant, ctl, state, int(plan[k]), v0, float(cy.speed_mps[k]), dt, gr)
        f = ref.wheel_force(v0, v1, dt, gr)
        assert ctx.wheel_torque_nm == pytest.approx(f * ref.r, rel=1e-12, abs=1e-9)
        w_w, t_w = ctx.wheel_speed_rad_s, ctx.wheel_torque_nm
        if ref.cvt:
            ratios = [*np.linspace(ref.i_high, ref.i_low, 9), pt.ratio]
            cases = [(core_conv.cvt_ratio_point(plant, state, ctx, float(i), dt),
                      ref.in_ratio(float(i), ref.cvt_eta(float(i)), ref.t_drag, w_w, t_w, state.engine_speed_rad_s, dt))
                     for i in ratios]
        else:
            cases = [(core_conv.gear_point(plant, state, ctx, g, dt),
                      ref.in_gear(g, w_w, t_w, state.engine_speed_rad_s, dt)) for g in range(len(ref.ratios))]
        for got, exp in cases:
            assert got.feasible == exp["feasible"], k
            n_bad += not got.feasible
            n_pts += 1
            for key, name in keys.items():
                assert getattr(got, name) == pytest.approx(exp[key], rel=1e-9, abs=1e-9), (k, key)
        res = core_conv.plant_finish(plant, state, ctx, pt, dt)
        fuel = pt.fuel_map_kg_s + (ref.engine.cold_extra_fuel(pt.engine_speed_rad_s, state.coolant_temp_c)
                                   if pt.fuel_map_kg_s > 0 else 0.0)
        assert res.fuel_kg_s == pytest.approx(fuel, rel=1e-9, abs=1e-15)
        assert res.state.coolant_temp_c == pytest.approx(
            ref.engine.coolant_after(state.coolant_temp_c, fuel * ref.lhv, dt), abs=1e-9)
        assert res.gearbox_loss_w == pytest.approx(
            pt.input_torque_nm * pt.input_speed_rad_s - pt.wheel_torque_delivered_nm * w_w, rel=1e-9, abs=1e-6)
        state, v0 = res.state, v1
    assert n_pts > 500 and n_bad > 0


@pytest.mark.parametrize("vid", BEV)
def test_bev_plant_matches_the_reference_in_every_gear_and_split(vid):
    """Along a WLTC run (first 300 s), at every step the plant's split in every rear gear for five splits of the
    demand (front only, rear only, half, the controller's, and braking at half; one drive unit: all on it), the
    freewheel torques and the battery step equal the slow reference's (``reference_bev.ReferenceBev``) to 1e-9."""
    from reference_bev import ReferenceBev
    from reference_components import window_limits

    from hybridsim.core.bev_control import rule_decide
    from hybridsim.powertrains.bev import plant_args

    v, cy = _vehicle(vid), _short("wltc", 300.0)
    plant, ctl = plant_args(v)
    ref = ReferenceBev(v)
    state = core_bev.initial_state(plant, 0.5)
    v0 = float(cy.speed_mps[0])
    n = 0
    for k in range(1, cy.time_s.size):
        dt, gr = float(cy.time_s[k] - cy.time_s[k - 1]), float(cy.grade[k])
        d, v1, ctx, sp = rule_decide(plant, ctl, state, v0, float(cy.speed_mps[k]), dt, gr)
        p_dis, p_chg = window_limits(ref.bat, state.soc, dt)
        assert ctx.battery_discharge_max_w == pytest.approx(p_dis, rel=1e-9)
        assert ctx.wheel_force_n == pytest.approx(ref.force(v0, v1, dt, gr), rel=1e-12, abs=1e-9)
        w = ctx.wheel_speed_rad_s
        t = ctx.wheel_force_n * ref.r
        splits = [(t, t), (0.0, t), (0.5 * t, t), (d.front_torque_nm, d.total_torque_nm), (-0.25, -0.5)]
        if len(v.motors) == 1:  # one drive unit: nothing asked of the absent one (the reference's has no model)
            splits = [(tt, tt) if "front" in v.motors else (0.0, tt) for _, tt in splits]
        for g in range(len(ref.i_r)):
            for tf, tt in splits:
                got = core_bev.split(plant, ctx, core_bev.BevDecision(g, float(tf), float(tt), False))
                p_el, shaft, t_mf, t_mr, pf, pr, lf, lr, inv = ref.powers(g, w, tf, tt - tf)
                exp = dict(machines_power_w=p_el, front_motor_torque_nm=t_mf, rear_motor_torque_nm=t_mr,
                           front_motor_electric_power_w=pf, rear_motor_electric_power_w=pr, front_motor_loss_w=lf,
                           rear_motor_loss_w=lr, inverter_loss_w=inv,
                           gearbox_loss_w=ref.gearbox_loss(t_mf, w * ref.i_f, ref.eta_f)
                           + ref.gearbox_loss(t_mr, w * ref.i_r[g], ref.eta_r[g]),
                           rear_rotor_inertia_power_w=ref.extra_rotor_mass(g) * (v1 - v0) / dt * w * ref.r)
                for name, val in exp.items():
                    assert getattr(got, name) == pytest.approx(val, rel=1e-9, abs=1e-9), (k, g, name)
                n += 1
            fw = core_bev.split(plant, ctx, core_bev.BevDecision(g, 0.0, 0.0, True))
            assert fw.electric_torque_nm == pytest.approx(sum(ref.freewheel_torques(g, w)), rel=1e-9, abs=1e-9)
        res = core_bev.plant_finish(plant, state, ctx, sp, dt)
        exp = ref.bat.step(state.soc, sp.machines_power_w + sp.accessory_power_w, dt)
        assert res.state.soc == pytest.approx(exp[4], abs=1e-12)
        assert res.battery_chemical_power_w == pytest.approx(exp[2], rel=1e-9, abs=1e-6)
        state, v0 = res.state, v1
    assert n > 500


@pytest.mark.parametrize("vid", CONV)
def test_full_load_torque_is_where_the_plant_point_reaches_wot(vid):
    """``performance.py``'s full-load wheel torque (``core/conventional.full_load_wheel_torques``) is the plant's own:
    asking the plant's operating point (``ratio_step``, steady engine, converter locked) for that wheel torque puts
    the engine exactly at WOT, and 1 % more is infeasible."""
    from hybridsim.core.conventional import cvt_eta, full_load_wheel_torques, ratio_step
    from hybridsim.powertrains.conventional import plant_args

    plant, _ = plant_args(_vehicle(vid))
    gb, cvt, eng = plant.gb, plant.cvt, plant.eng
    if cvt.enabled > 0.0:
        ratios = np.linspace(cvt.ratio_high, cvt.ratio_low, 5)
        opts = [(0, float(i), cvt_eta(cvt, float(i)), cvt.drag_torque_nm) for i in ratios]
    else:
        opts = [(g, gb.ratios[g] * gb.final_drive_ratio, gb.efficiencies[g] * gb.final_drive_efficiency, 0.0)
                for g in range(gb.ratios.size)]
    w_es = np.linspace(0.45, 0.95, 4) * eng.max_speed_rad_s
    for g, i, eta, drag in opts:
        t_w = np.empty(w_es.size)
        full_load_wheel_torques(plant, np.full(w_es.size, float(g)), np.full(w_es.size, i), w_es, t_w)
        for w_e, t in zip(w_es, t_w, strict=True):
            pt = ratio_step(eng, gb, i, eta, drag, w_e / i, t, w_e, 1.0, plant.aux.accessory_power_w)
            assert pt[0] and pt[1] == pytest.approx(w_e, rel=1e-12) and pt[7] == pytest.approx(1.0, abs=1e-9)
            assert not ratio_step(eng, gb, i, eta, drag, w_e / i, 1.01 * t, w_e, 1.0, plant.aux.accessory_power_w)[0]
