"""The conventional and BEV kernels split into a plant step and decisions (issue 14): the rule-based results are
bit-identical to the kernels before the split (frozen copies, ``frozen_conventional.py`` and ``frozen_bev.py``,
run side by side on the same machine) on every shipped vehicle × every shipped cycle (conventional: warm and
cold; BEV: from full charge and from an almost empty battery); the plant step replays the kernel and matches
the slow references point by point.
"""

from __future__ import annotations

import dataclasses
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


@functools.cache
def _vehicle_as_frozen(vid):
    """The vehicle as the frozen kernel can run it: the torque converter's torque multiplication (added after the
    split, issue 17; tests/test_converter.py) turned off where the file declares it."""
    v = _vehicle(vid)
    if v.transmission.converter_stall_torque_ratio > 1.0:
        v = hs.replace_path(v, "transmission.converter_stall_torque_ratio", 1.0)
    return v


def _conv_runs(vid, cname, cold):
    from hybridsim.core.conventional_control import run_conventional
    from hybridsim.powertrains.conventional import plant_args

    v, cy = _vehicle_as_frozen(vid), _cycle(cname)
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


# --- the pure plant step replays the kernel, and matches the slow references --------------------------------------
# (the decisions are rebuilt from the kernel's outputs, so that no decision function is compiled a second time for
# calls from Python: a test's compile time counts in CI)

def _short(cname, t_end):
    cy = _cycle(cname)
    m = cy.time_s <= t_end
    return hs.Cycle(name=cname + "_part", time_s=cy.time_s[m], speed_mps=cy.speed_mps[m], grade=cy.grade[m])


@pytest.mark.parametrize("vid", CONV)
def test_conventional_plant_step_replays_the_kernel_and_matches_the_reference(vid):
    """Along a cold run (the first 400 s of US06, a planned gear for the manual), each step's decision (gear, CVT
    ratio, clutch disengaged: rebuilt from the outputs) put through the pure ``plant_step`` from the plant's own
    state gives the kernel's outputs bit for bit; at every step the plant's operating point in every gear (a CVT:
    nine ratios across its range) equals the slow reference's (``reference_conventional.ReferenceCar``, no
    ``hybridsim.core``) to 1e-9, and so do the step's fuel and coolant."""
    from reference_conventional import ReferenceCar

    from hybridsim.core.conventional_control import run_conventional
    from hybridsim.powertrains.conventional import plant_args

    v, cy = _vehicle(vid), _short("us06", 400.0)
    plant, ctl = plant_args(v, True, 5.0)
    ref = ReferenceCar(v, True, 5.0)
    plan = _plan(v, cy)
    out = core_conv.allocate(cy.time_s.size)
    run_conventional(plant, ctl, cy.time_s, cy.speed_mps, cy.grade, plan, out)
    keys = dict(w_e="engine_speed_rad_s", t_e="engine_torque_nm", fuel="fuel_map_kg_s", t_in="input_torque_nm",
                w_in="input_speed_rad_s", t_wheel="wheel_torque_delivered_nm", load="load")
    state = core_conv.initial_state(plant)
    got = core_conv.allocate(cy.time_s.size)
    n_pts = n_bad = 0
    for k in range(1, cy.time_s.size):
        dt, gr = float(cy.time_s[k] - cy.time_s[k - 1]), float(cy.grade[k])
        v0, v1 = float(out.speed_mps[k - 1]), float(out.speed_mps[k])
        d = (core_conv.ConvDecision(0, 0.0, True) if out.gear[k] == 0 else
             core_conv.ConvDecision(int(out.gear[k]) - 1, float(out.transmission_ratio[k]), False))
        res = core_conv.plant_step(plant, state, d, v0, v1, dt, gr)
        assert res.point.feasible or out.trace_miss_mps[k] > 0 or v1 == 0 or d.neutral, k
        core_conv.record(got, k, res, v1, float(cy.speed_mps[k]))
        ctx = core_conv.ConvCtx(ref.wheel_force(v0, v1, dt, gr), 0.5 * (v0 + v1) / ref.r, 0.0)
        ctx = ctx._replace(wheel_torque_nm=ctx.wheel_force_n * ref.r)
        w_w, t_w, w_prev = ctx.wheel_speed_rad_s, ctx.wheel_torque_nm, state.engine_speed_rad_s
        if ref.cvt:
            cases = [(core_conv.cvt_ratio_point(plant, state, ctx, float(i), dt),
                      ref.in_ratio(float(i), ref.cvt_eta(float(i)), ref.t_drag, w_w, t_w, w_prev, dt))
                     for i in np.linspace(ref.i_high, ref.i_low, 9)]
        else:
            cases = [(core_conv.gear_point(plant, state, ctx, g, dt), ref.in_gear(g, w_w, t_w, w_prev, dt))
                     for g in range(len(ref.ratios))]
        for pt, exp in cases:
            assert pt.feasible == exp["feasible"], k
            n_bad += not pt.feasible
            n_pts += 1
            for key, name in keys.items():
                assert getattr(pt, name) == pytest.approx(exp[key], rel=1e-9, abs=1e-9), (k, key)
        p = res.point
        fuel = p.fuel_map_kg_s + (ref.engine.cold_extra_fuel(p.engine_speed_rad_s, state.coolant_temp_c)
                                  if p.fuel_map_kg_s > 0 else 0.0)
        assert res.fuel_kg_s == pytest.approx(fuel, rel=1e-9, abs=1e-15)
        assert res.state.coolant_temp_c == pytest.approx(
            ref.engine.coolant_after(state.coolant_temp_c, fuel * ref.lhv, dt), abs=1e-9)
        state = res.state
    for f in core_conv.ConventionalOut._fields:
        assert np.array_equal(getattr(got, f)[1:], getattr(out, f)[1:]), f
    assert n_pts > 1000 and n_bad > 0


@pytest.mark.parametrize("vid", BEV)
def test_bev_plant_step_replays_the_kernel_and_matches_the_reference(vid):
    """From almost empty (accessory cut, freewheeling machines) over the first 600 s of US06: each step's decision
    (rear gear, front and total wheel torque from the machines' torques; freewheeling where the battery gave
    nothing, not even to the accessories, or the plant says it cannot feed the machines) through the pure
    ``plant_step`` gives the kernel's outputs to 1e-9; at every step the plant's split in every rear gear for
    five splits of the demand (front only, rear only, half, braking at half; one drive unit: all on it), the
    freewheel torques and the battery step equal the slow reference's (``reference_bev.ReferenceBev``) to 1e-9."""
    from reference_bev import ReferenceBev

    from hybridsim.core.bev_control import run_bev
    from hybridsim.core.driveline import gear_output_torque
    from hybridsim.powertrains.bev import plant_args

    v, cy = _vehicle(vid), _short("us06", 600.0)
    # idle machines that lose their whole zero-torque loss (no_load_drag_fraction = 1; the default 0.1 lets an
    # empty Leaf feed its idle machine and accessories by regenerating, and never freewheel on this trace): the
    # freewheel path is exercised on both cars
    v = dataclasses.replace(v, motors={a: dataclasses.replace(m, no_load_drag_fraction=1.0)
                                       for a, m in v.motors.items()})
    plant, ctl = plant_args(v)
    dr = plant.dr
    ref = ReferenceBev(v)
    soc0 = v.battery.soc_min + 0.01
    out = core_bev.allocate(cy.time_s.size)
    run_bev(plant, ctl, soc0, cy.time_s, cy.speed_mps, cy.grade, out)
    state = core_bev.initial_state(plant, soc0)
    got = core_bev.allocate(cy.time_s.size)
    n_free = n = 0
    for k in range(1, cy.time_s.size):
        dt, gr = float(cy.time_s[k] - cy.time_s[k - 1]), float(cy.grade[k])
        v0, v1 = float(out.speed_mps[k - 1]), float(out.speed_mps[k])
        g = int(out.rear_gear[k]) - 1
        tf = gear_output_torque(float(out.front_motor_torque_nm[k]), dr.front_ratio, dr.front_efficiency)
        tr = gear_output_torque(float(out.rear_motor_torque_nm[k]), dr.rear_ratios[g], dr.rear_efficiencies[g])
        d = core_bev.BevDecision(g, tf, tf + tr, False)
        ctx = core_bev.step_context(plant, state, v0, v1, dt, gr)
        sp = core_bev.split(plant, ctx, d)
        idle_battery = out.accessory_power_w[k] == 0.0 and abs(out.battery_power_w[k]) < 1e-6  # (aux > 0 here)
        if (not sp.feasible and sp.limit == core_bev.LIMIT_BATTERY_DISCHARGE) or idle_battery:
            d = d._replace(freewheel=True)
            n_free += 1
        res = core_bev.plant_step(plant, state, d, v0, v1, dt, gr)
        assert res.split.feasible, (k, res.split.limit)
        core_bev.record(got, k, res, v1, float(cy.speed_mps[k]))
        w = ctx.wheel_speed_rad_s
        assert ctx.wheel_force_n == pytest.approx(ref.force(v0, v1, dt, gr), rel=1e-12, abs=1e-9)
        t = ctx.wheel_force_n * ref.r
        splits = [(t, t), (0.0, t), (0.5 * t, t), (-0.25, -0.5)]
        if len(v.motors) == 1:  # one drive unit: nothing asked of the absent one (the reference's has no model)
            splits = [(tt, tt) if "front" in v.motors else (0.0, tt) for _, tt in splits]
        for gg in range(len(ref.i_r)):
            for tf, tt in splits:
                s = core_bev.split(plant, ctx, core_bev.BevDecision(gg, float(tf), float(tt), False))
                p_el, shaft, t_mf, t_mr, pf, pr, lf, lr, inv = ref.powers(gg, w, tf, tt - tf)
                exp = dict(machines_power_w=p_el, front_motor_torque_nm=t_mf, rear_motor_torque_nm=t_mr,
                           front_motor_electric_power_w=pf, rear_motor_electric_power_w=pr, front_motor_loss_w=lf,
                           rear_motor_loss_w=lr, inverter_loss_w=inv,
                           gearbox_loss_w=ref.gearbox_loss(t_mf, w * ref.i_f, ref.eta_f)
                           + ref.gearbox_loss(t_mr, w * ref.i_r[gg], ref.eta_r[gg]),
                           rear_rotor_inertia_power_w=ref.extra_rotor_mass(gg) * (v1 - v0) / dt * w * ref.r)
                for name, val in exp.items():
                    assert getattr(s, name) == pytest.approx(val, rel=1e-9, abs=1e-9), (k, gg, name)
                n += 1
            fw = core_bev.split(plant, ctx, core_bev.BevDecision(gg, 0.0, 0.0, True))
            assert fw.electric_torque_nm == pytest.approx(sum(ref.freewheel_torques(gg, w)), rel=1e-9, abs=1e-9)
        exp = ref.bat.step(state.soc, res.split.machines_power_w + res.split.accessory_power_w, dt)
        assert res.state.soc == pytest.approx(exp[4], abs=1e-12)
        assert res.battery_chemical_power_w == pytest.approx(exp[2], rel=1e-9, abs=1e-6)
        # the kernel's own state (the rebuilt torques differ from its own in the last bit, which would move an
        # almost empty battery's limit test)
        state = res.state._replace(soc=float(out.soc[k]))
    for f in core_bev.BevOut._fields:
        np.testing.assert_allclose(getattr(got, f)[1:], getattr(out, f)[1:], rtol=1e-9, atol=1e-6, err_msg=f)
    assert n_free > 0 and n > 1000


@pytest.mark.parametrize("vid", BEV)
def test_bev_split_is_infeasible_beyond_tyre_grip(vid):
    """The BEV plant's ``split.feasible`` holds the traction limit the decisions plan with: one axle asked for 0.1 %
    less than its tyres pass (the slow reference's ``axle_limits``, where grip and not the motor binds) is not
    bound by traction, 0.1 % more is infeasible with ``LIMIT_TRACTION``; in both directions of torque, every rear
    gear, accelerations from hard braking to a hard launch (weight transfer)."""
    from reference_bev import ReferenceBev

    from hybridsim.powertrains.bev import plant_args

    v = _vehicle(vid)
    plant, _ = plant_args(v)
    ref = ReferenceBev(v)
    if ref.mu <= 0.0:
        pytest.skip("no tyre friction coefficient: no traction limit")
    state = core_bev.BevState(0.8, 0)
    n_bound = 0
    axles = [a for a, m in (("front", "front"), ("rear", "rear")) if m in v.motors]
    for acc in (-9.0, -4.0, 0.0, 3.0, 6.0, 9.0):
        v0 = 4.0 if acc >= 0.0 else 4.0 - acc
        v1 = v0 + acc  # dt = 1 s
        for g in range(len(ref.i_r)):
            ctx = core_bev.step_context(plant, state, v0, v1, 1.0, 0.0)
            w = ctx.wheel_speed_rad_s
            for braking in (False, True):
                mu, ref.mu = ref.mu, 0.0
                env = ref.axle_limits(g, w, acc, braking)
                ref.mu = mu
                cap = ref.axle_limits(g, w, acc, braking)
                for axle in axles:
                    j = 0 if axle == "front" else 1
                    if not cap[j] * 1.002 < env[j]:
                        continue  # the motor binds first here
                    for scale, beyond in ((0.999, False), (1.001, True)):
                        t = (-1.0 if braking else 1.0) * scale * cap[j]
                        d = core_bev.BevDecision(g, t if axle == "front" else 0.0, t, False)
                        sp = core_bev.split(plant, ctx, d)
                        assert (sp.limit == core_bev.LIMIT_TRACTION) == beyond, (acc, g, braking, axle, scale)
                        assert sp.feasible == (not beyond) or sp.limit not in (core_bev.LIMIT_NONE,
                                                                               core_bev.LIMIT_TRACTION)
                    n_bound += 1
    assert n_bound >= 4  # grip binds somewhere: the check ran


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
