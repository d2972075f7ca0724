"""The P2 kernel split into a plant step and decisions (issue 14): the rule-based results are bit-identical to
the kernel before the split (a frozen copy, ``frozen_p2.py``, run side by side on the same machine) on every
shipped P2 vehicle × every shipped cycle, warm and cold, charge-depleting, charge-sustaining and a run that
crosses from one to the other; the plant step replays the kernel.
"""

from __future__ import annotations

import functools

import frozen_p2
import numpy as np
import pytest

import hybridsim as hs
from hybridsim.core.p2 import P2Decision, P2Out, initial_state, plant_finish, plant_step
from hybridsim.powertrains.p2 import plant_args, run_p2_once

# the plug-in P2s: the frozen kernel's CD/CS modes (a full hybrid, ioniq_hybrid_2022, runs the same rules in CS
# throughout: tests/test_p2_cs.py)
P2_VEHICLES = [vid for vid in hs.list_vehicles() if hs.load_vehicle(vid).architecture == "p2"
               and hs.load_vehicle(vid).plugin]
CASES = [(vid, c, cold, soc) for vid in P2_VEHICLES for c in hs.list_cycles() for cold in (False, True)
         for soc in ("cd", "cs", "cross")]


@functools.cache
def _vehicle(vid):
    return hs.load_vehicle(vid)


def _soc0(v, which):
    c = v.controller
    return {"cd": v.battery.soc_max, "cs": c.soc_cs_enter,
            "cross": c.soc_cs_enter + c.cd_resume_band + 0.004}[which]  # CD, depleting into CS on most cycles


def _frozen_run(v, cycle, cold, soc0):
    plant, ctl = plant_args(v, cold, 10.0)
    a = plant.aux
    aux = frozen_p2.P2AuxK(a.accessory_power_w, a.engine_start_fuel_kg, a.input_inertia_kgm2, a.friction_fuel_kg_s)
    out = frozen_p2.allocate(cycle.time_s.size)
    frozen_p2.run_p2(plant.ch, plant.eng, plant.gb, plant.mot, plant.bat, ctl, aux, plant.th, float(soc0), -1.0,
                     np.ascontiguousarray(cycle.time_s), np.ascontiguousarray(cycle.speed_mps),
                     np.ascontiguousarray(cycle.grade), out)
    return out


def test_cases_cover_the_modes():
    assert P2_VEHICLES == ["tank300_hi4t"] and len(CASES) == len(hs.list_cycles()) * 6


@pytest.mark.parametrize("vid,cname,cold,soc", CASES)
def test_rule_based_is_bit_identical_to_the_kernel_before_the_split(vid, cname, cold, soc):
    v, cy = _vehicle(vid), hs.load_cycle(cname)
    soc0 = _soc0(v, soc)
    new = run_p2_once(plant_args(v, cold, 10.0), soc0, cy)
    old = _frozen_run(v, cy, cold, soc0)
    differ = [f for f in P2Out._fields if not np.array_equal(getattr(new, f), getattr(old, f))]
    assert differ == [], f"{len(differ)} of {len(P2Out._fields)} arrays differ: {differ}"
    if soc == "cross" and cname == "wltc":
        assert new.charge_sustaining[0] == 0 and new.charge_sustaining[-1] == 1


@pytest.mark.parametrize("cname", ["wltc", "us06"])
def test_plant_step_replays_the_kernel(cname):
    """Feeding the kernel's decisions back through ``plant_step`` from its own states reproduces every output;
    the decisions are rebuilt from the outputs (gear, engine on, clutch torque = engine torque − inertia torque
    recomputed, hence the tolerance on the torques)."""
    v, cy = _vehicle("tank300_hi4t"), hs.load_cycle(cname)
    plant, ctl = plant_args(v, True, 10.0)
    out = run_p2_once((plant, ctl), 0.135, cy)
    state = initial_state(plant, 0.135)
    for k in range(1, cy.time_s.size):
        dt = float(cy.time_s[k] - cy.time_s[k - 1])
        on = out.engine_mode[k] > 0
        g = int(out.gear[k]) - 1
        t_c = 0.0
        if on:
            # clutch torque from the energy books: engine torque less the inertia torque of this step
            from hybridsim.core.p2 import gear_context, step_context
            ctx = step_context(plant, state, float(out.speed_mps[k - 1]), float(out.speed_mps[k]), dt,
                               float(cy.grade[k]))
            gc = gear_context(plant, state, ctx, g, True, dt)
            t_c = float(out.engine_torque_nm[k]) - gc.engine_inertia_torque_nm
        res = plant_step(plant, state, P2Decision(bool(on), g, t_c), float(out.speed_mps[k - 1]),
                         float(out.speed_mps[k]), dt, float(cy.grade[k]))
        assert res.split.feasible or out.trace_miss_mps[k] > 0 or out.speed_mps[k] == 0
        assert res.engine_mode == out.engine_mode[k] and res.split.clutch_state == out.clutch_state[k]
        np.testing.assert_allclose(res.state.soc, out.soc[k], rtol=0, atol=1e-12)
        np.testing.assert_allclose(res.fuel_kg_s, out.fuel_kg_s[k], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(res.split.motor_torque_nm, out.p2_torque_nm[k], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(res.brake_power_w, out.brake_power_w[k], rtol=1e-9, atol=1e-6)
        assert res.state.coolant_temp_c == pytest.approx(out.coolant_temp_c[k], abs=1e-9)
        state = res.state


# --- the plant step against the slow reference -----------------------------------------------------------

_FIELDS = dict(w_in="input_speed_rad_s", w_e="engine_speed_rad_s", t_e="engine_torque_nm", t_c="clutch_torque_nm",
               clutch="clutch_state", t_m="motor_torque_nm", fuel="fuel_map_kg_s",
               t_in_act="input_torque_delivered_nm", t_jm="input_inertia_torque_nm", t_je="engine_inertia_torque_nm",
               e_sh_m="shift_energy_input_j", e_sh_e="shift_energy_engine_j", p_sh_m="shift_power_input_w",
               p_sh_e="shift_power_engine_w", e_ck="crank_energy_j", e_cs="crank_slip_energy_j",
               p_ck="crank_power_w", p_cs="crank_slip_power_w")


def _ref_state(st, cs, dt, bat):
    """The reference's state dict for the plant state ``st``, its battery limits and pending powers its own."""
    from reference_components import window_limits
    from reference_p2 import _spread

    p_dis, p_chg = window_limits(bat, st.soc, dt)
    on = bool(st.engine_on)
    t = st.time_in_engine_state_s
    return dict(soc=st.soc, cs=cs, on=on, t_on=t if on else 0.0, t_off=0.0 if on else t, g=st.gear,
                t_gear=st.time_in_gear_s, w_w=st.wheel_speed_rad_s, w_in=st.input_speed_rad_s,
                w_e=st.engine_speed_rad_s, closed=bool(st.clutch_closed), eck=st.crank_energy_j,
                ecs=st.crank_slip_energy_j, crank_left=st.crank_time_left_s, eshm=st.shift_energy_input_j,
                eshe=st.shift_energy_engine_j, shift_left=st.shift_time_left_s, p_dis=p_dis, p_chg=p_chg,
                p_ck_old=_spread(st.crank_energy_j, st.crank_time_left_s, dt),
                p_cs_old=_spread(st.crank_slip_energy_j, st.crank_time_left_s, dt),
                p_shm_old=_spread(st.shift_energy_input_j, st.shift_time_left_s, dt),
                p_she_old=_spread(st.shift_energy_engine_j, st.shift_time_left_s, dt))


@pytest.mark.parametrize("cname,cold,dt_step", [("us06", True, 1.0), ("wltc", False, 0.5)])
def test_plant_step_matches_the_reference_in_every_gear_and_torque(cname, cold, dt_step):
    """Along an ECMS run (charge-sustaining, so the engine runs at many torques), at every step the plant's split
    for every gear, engine off and on, at the rules' load-following clutch torque, in fuel cut, at 0, half and
    beyond WOT, equals the slow reference's (``reference_p2.RefP2.gear``) to 1e-9, infeasible exactly where the
    reference finds the mode impossible; the rules' gear-ranking cost and torque reserve too."""
    from reference_p2 import RefP2

    from hybridsim.core.p2 import gear_context, split_gear, step_context
    from hybridsim.core.p2_control import ecms_decide, rule_clutch_torque, rule_eval

    v = _vehicle("tank300_hi4t")
    cy = hs.load_cycle(cname)
    m = cy.time_s <= 420
    cy = hs.Cycle(name="part", time_s=cy.time_s[m], speed_mps=cy.speed_mps[m], grade=cy.grade[m]).resample(dt_step)
    plant, ctl = plant_args(v, cold, 10.0)
    ref = RefP2(v, cold, 10.0)
    state = initial_state(plant, 0.135)
    v0 = float(cy.speed_mps[0])
    n_on = n_bad = 0
    for k in range(1, cy.time_s.size):
        dt = float(cy.time_s[k] - cy.time_s[k - 1])
        gr = float(cy.grade[k])
        d, v1, ctx, sp = ecms_decide(plant, ctl, state, True, v0, float(cy.speed_mps[k]), dt, gr)
        s = _ref_state(state, True, dt, ref.bat)
        f = ref.force(v0, v1, dt, gr)
        vbar = 0.5 * (v0 + v1)
        ctx = step_context(plant, state, v0, v1, dt, gr)
        assert ctx.wheel_torque_nm == pytest.approx(f * ref.r, rel=1e-12, abs=1e-9)
        for g in range(plant.gb.ratios.size):
            for on in (False, True):
                gc = gear_context(plant, state, ctx, g, on, dt)
                asks = [None] if not on else [None, -np.inf, 0.0, 0.5 * gc.engine_torque_max_nm, 1e6]
                for ask in asks:
                    t_c = (rule_clutch_torque(ctl, gc, True, state.soc) if on else 0.0) if ask is None else ask
                    got = split_gear(plant, state, ctx, gc, t_c, dt)
                    exp = ref.gear(g, on, s, vbar, vbar / ref.r, f * ref.r, dt, ask)
                    assert got.feasible == (exp is not None), (k, g, on, ask, got.limit)
                    if exp is None:
                        n_bad += 1
                        continue
                    n_on += on
                    for key, name in _FIELDS.items():
                        assert getattr(got, name) == pytest.approx(exp[key], rel=1e-9, abs=1e-9), (k, g, on, ask, key)
                    if ask is None:
                        _, cost, reserve = rule_eval(plant, ctl, state, ctx, g, on, True, dt)
                        assert cost == pytest.approx(exp["cost"], rel=1e-9, abs=1e-6)
                        assert reserve == pytest.approx(exp["res"], rel=1e-9, abs=1e-12)
        state = plant_finish(plant, state, step_context(plant, state, v0, v1, dt, gr), sp, dt).state
        v0 = v1
    assert n_on > 1000 and n_bad > 100  # both feasible engine-on splits and infeasible ones were compared
