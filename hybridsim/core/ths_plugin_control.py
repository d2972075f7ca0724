"""Decisions for the THS-II plug-in plant (``core/ths_plugin.py``) and the time-loop kernels that drive it.

Each step: (1) the controller mode, charge-depleting (CD) or charge-sustaining (CS), by SOC with hysteresis
(``control/ths_plugin.py``): CD → CS when SOC < soc_cs_enter, CS → CD when SOC ≥ soc_cs_enter + cd_resume_band;
(2) the rear axle's force (E-Four; none without a rear motor); (3) the front axle's engine decision by the THS-II
decision functions of ``core/ths_control.py`` on the front plant (``front_plant``), with the THS-II rules of the
mode (``ctl_cd`` / ``ctl_cs``, both :class:`~hybridsim.control.ths.ThsControlK`); (4) ``plant_finish``.

Rear force (``rear_rule``): the share ``rear_drive_share`` of a positive wheel force F, ``rear_regen_share`` of a
braking one, at mean speeds up to ``rear_speed_max``; at any speed at least what the front tyres cannot transmit
(|F − F_r| ≤ μ·N_f). ``rear_step`` cuts it to the rear machine, the rear tyres and the battery power left besides
the accessories (discharge) or the whole charge limit (charge).

Strategies (integer code):

* ``RULE_BASED`` (0): the rules in both modes, ``core.ths_control.rule_decide``.
* ``ECMS`` (1): in CS mode, for each rear-force candidate {0, the rule's, the most the rear axle can give in F's
  direction} (the rule's alone without a rear motor), ``core.ths_control.ecms_decide`` on its front plant, the
  candidate with the least P_fuel + s(SOC)·P_batt,chem (the same ``ecms_cost``) among those that follow the trace;
  in CD mode the rules decide (as the P2 plug-in: the electric range is the rules').

Nothing here raises or allocates.
"""

from __future__ import annotations

from . import jit, jit_inline
from .chassis import wheel_force_n
from .driveline import record_initial
from .ecms import adaptive_equivalence
from .electric import battery_state, battery_window_limits_rc_w
from .ths import initial_state, split_in, step_context
from .ths_control import ecms_cost, ecms_decide, rule_decide
from .ths_plugin import axle_traction_n, front_plant, no_rear, plant_finish, rear_at, rear_step, record

RULE_BASED = 0
ECMS = 1


@jit_inline
def next_mode(pctl, cs, soc):
    """The controller mode for a step starting at ``soc`` after a step in mode ``cs`` (1 CS, 0 CD)."""
    if cs == 0 and soc < pctl.soc_cs_enter:
        return 1
    if cs == 1 and soc >= pctl.soc_cs_enter + pctl.cd_resume_band:
        return 0
    return cs


@jit
def rear_rule(plant, pctl, f, v0, v1, dt):
    """The rear axle's wanted road force for a wheel force ``f`` (module docstring). [N]"""
    if plant.rear.enabled <= 0.0:
        return 0.0
    vbar = 0.5 * (v0 + v1)
    f_f_max = axle_traction_n(plant, (v1 - v0) / dt)[0]
    fr = 0.0
    if vbar <= pctl.rear_speed_max_mps:
        fr = (pctl.rear_drive_share if f > 0.0 else pctl.rear_regen_share) * f
    if f - fr > f_f_max:
        fr = f - f_f_max
    elif f - fr < -f_f_max:
        fr = f + f_f_max
    return fr


@jit_inline
def rear_for(plant, soc, pol_v, f_want, v0, v1, dt):
    """``rear_step`` within the battery power left besides the accessories (discharge) and the charge limit; no rear
    axle (``no_rear``) without a rear machine, before looking up the battery's limits."""
    if plant.rear.enabled <= 0.0:
        return no_rear()
    p_dis, p_chg = battery_window_limits_rc_w(plant.ths.bat, soc, pol_v, dt)
    return rear_step(plant, f_want, v0, v1, dt, p_dis - plant.ths.aux.accessory_power_w, p_chg)


@jit
def ecms_step(plant, ctl, pctl, state, v0, v1, dt, gr):
    """The ECMS decision of a CS step over the rear-force candidates: (front plant, rear, decision, end speed,
    split) of the best."""
    if plant.rear.enabled <= 0.0:  # the THS-II's own ECMS, on the plant without a rear axle
        fp = front_plant(plant, no_rear(), gr)
        d, v1a, sp = ecms_decide(fp, ctl, state, v0, v1, dt, gr)
        return fp, no_rear(), d, v1a, sp
    f = wheel_force_n(plant.ths.ch, v0, v1, dt, gr)
    f_rule = rear_rule(plant, pctl, f, v0, v1, dt)
    rear = rear_for(plant, state.soc, state.battery_polarisation_v, f_rule, v0, v1, dt)
    fp = front_plant(plant, rear, gr)
    d, v1a, sp = ecms_decide(fp, ctl, state, v0, v1, dt, gr)
    s = adaptive_equivalence(fp.bat, fp.ch.mass_eff_kg, ctl.soc_target, ctl.ecms_equivalence_factor,
                             ctl.ecms_soc_gain, state.soc, v0, ctl.ecms_kinetic_share)
    bst = battery_state(plant.ths.bat, state.soc)
    ok, best = False, 0.0
    if v1a == v1:
        ctx = step_context(fp, state.soc, state.battery_polarisation_v, v0, v1, dt, gr)
        ok, best, _ = ecms_cost(fp, state, ctx, d.engine_mode, d.engine_speed_rad_s, d.engine_torque_nm, dt, s, bst)
    rear_r = rear  # the candidates tried: the rule's, then none
    rear_z = rear
    for j in range(2):
        f_c = 0.0 if j == 0 else f  # none, or all of F (the rear axle's limits cut it to the most it can give)
        rear_c = rear_for(plant, state.soc, state.battery_polarisation_v, f_c, v0, v1, dt)
        if rear_c == rear_r or rear_c == rear_z:
            continue  # the same rear axle as a candidate already tried (no rear force in the rule, or the axle's limits
            # reached): the same front decision and cost, which cannot win where it did not
        rear_z = rear_c
        fp_c = front_plant(plant, rear_c, gr)
        d_c, v1c, sp_c = ecms_decide(fp_c, ctl, state, v0, v1, dt, gr)
        if v1c != v1:
            if not ok and v1c > v1a:  # neither follows the trace: the one that comes nearer
                fp, rear, d, v1a, sp = fp_c, rear_c, d_c, v1c, sp_c
            continue
        ctx_c = step_context(fp_c, state.soc, state.battery_polarisation_v, v0, v1, dt, gr)
        ok_c, c, _ = ecms_cost(fp_c, state, ctx_c, d_c.engine_mode, d_c.engine_speed_rad_s, d_c.engine_torque_nm, dt,
                               s, bst)
        if ok_c and (not ok or c < best):
            ok, best = True, c
            fp, rear, d, v1a, sp = fp_c, rear_c, d_c, v1c, sp_c
    fp, rear, sp = settle(plant, state, fp, rear, d, sp, v0, v1, v1a, dt, gr)
    return fp, rear, d, v1a, sp


@jit_inline
def settle(plant, state, fp, rear, d, sp, v0, v1, v1a, dt, gr):
    """(front plant, rear, split) of a step that ended at ``v1a``: where the front axle fell behind the demanded
    ``v1``, the rear axle's torque at the speed reached (``rear_at``) and the front's split of the same decision with
    that rear axle's DC power (its road force, hence the front's road load, unchanged)."""
    if v1a == v1 or rear.force_n == 0.0:
        return fp, rear, sp
    rear_a = rear_at(plant, rear, v0, v1a)
    fp_a = front_plant(plant, rear_a, gr)
    sp_a = split_in(fp_a, state, step_context(fp_a, state.soc, state.battery_polarisation_v, v0, v1a, dt, gr),
                    d.engine_mode,
                    d.engine_speed_rad_s, d.engine_torque_nm, dt)
    if not sp_a.feasible:  # (not seen: at the lower speed the rear machine draws less, within the same limits)
        return fp, rear, sp
    return fp_a, rear_a, sp_a


@jit_inline
def rule_step(plant, ctl, pctl, state, v0, v1, dt, gr):
    """The rule-based decision of a step: (front plant, rear, decision, end speed, split)."""
    f = wheel_force_n(plant.ths.ch, v0, v1, dt, gr)
    rear = rear_for(plant, state.soc, state.battery_polarisation_v, rear_rule(plant, pctl, f, v0, v1, dt), v0, v1, dt)
    fp = front_plant(plant, rear, gr)
    d, v1a, sp = rule_decide(fp, ctl, state, v0, v1, dt, gr)
    fp, rear, sp = settle(plant, state, fp, rear, d, sp, v0, v1, v1a, dt, gr)
    return fp, rear, d, v1a, sp


@jit
def run_ths_plugin_rule(plant, ctl_cs, ctl_cd, pctl, soc0, cs0, time_s, speed_mps, grade, out):
    """Simulate a THS-II plug-in over a speed trace from SOC ``soc0`` in controller mode ``cs0`` (1 CS, 0 CD) with
    the rules; fills ``out`` (``core.ths_plugin.ThsPluginOut``)."""
    n = time_s.shape[0]
    state = initial_state(plant.ths, soc0)
    record_initial(out, state, speed_mps[0])
    cs = int(cs0)
    out.charge_sustaining[0] = cs
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        cs = next_mode(pctl, cs, state.soc)
        ctl = ctl_cs if cs == 1 else ctl_cd
        fp, rear, d, v1, sp = rule_step(plant, ctl, pctl, state, v0, speed_mps[k], dt, grade[k])
        res, p_acc = plant_finish(plant, fp, state, d.engine_mode, sp, rear, dt)
        record(out, k, fp, res, p_acc, rear, cs, v1, speed_mps[k])
        state = res.state


@jit
def run_ths_plugin_ecms(plant, ctl_cs, ctl_cd, pctl, soc0, cs0, time_s, speed_mps, grade, out):
    """``run_ths_plugin_rule`` with ECMS in charge-sustaining mode (the rules in charge-depleting mode)."""
    n = time_s.shape[0]
    state = initial_state(plant.ths, soc0)
    record_initial(out, state, speed_mps[0])
    cs = int(cs0)
    out.charge_sustaining[0] = cs
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        v0 = out.speed_mps[k - 1]
        cs = next_mode(pctl, cs, state.soc)
        if cs == 1:
            fp, rear, d, v1, sp = ecms_step(plant, ctl_cs, pctl, state, v0, speed_mps[k], dt, grade[k])
        else:
            fp, rear, d, v1, sp = rule_step(plant, ctl_cd, pctl, state, v0, speed_mps[k], dt, grade[k])
        res, p_acc = plant_finish(plant, fp, state, d.engine_mode, sp, rear, dt)
        record(out, k, fp, res, p_acc, rear, cs, v1, speed_mps[k])
        state = res.state


#: the kernel of each strategy code
KERNELS = {RULE_BASED: run_ths_plugin_rule, ECMS: run_ths_plugin_ecms}
