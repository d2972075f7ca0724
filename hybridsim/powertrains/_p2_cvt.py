"""A P2 hybrid with a CVT (``transmission.kind = "cvt"``; e.g. the 2014 Nissan Pathfinder / Infiniti QX60 Hybrid:
engine, clutch, one motor, a chain CVT): the conventional car's CVT model on the P2 plant.

The CVT is the conventional car's (``components/gearbox.py``, ``Transmission.cvt_kernel``): the overall ratio range
[i_high, i_low] (the variator's two ends × final drive), the efficiency linear in the ratio between the two ends
(``core.conventional.cvt_eta``), the constant input drag T_drag while the input turns (pump, clamping; the P2 plant
adds it to the input torque: ``core/p2.py``, ``P2AuxK.input_drag_torque_nm``), and the ratio that puts the engine on
its minimum-fuel operating line (the table of ``cvt_kernel``, ``core.conventional_control.cvt_ratio_for``).

The P2 plant and its decisions (rules, ECMS, DP) choose among discrete gears; a CVT's gears are
:data:`CVT_RATIO_STEPS` ratios across its range, evenly spaced in log (each step the same relative change of
engine speed: 13.7 % for a range of 6.9), each with the CVT's efficiency at that ratio. So ECMS chooses the ratio
step too, and the DP's state (previous gear, engine on) holds the previous ratio step exactly.

The rules' ratio (:func:`ratio_plan`): the step nearest (in log) to the conventional CVT rule's ratio for the trace's
wheel power, computed before the run as a manual box's planned gears are (``rule_decide_planned``: the planned
step while the car moves, with the requested engine state or the other one; the rules' own choice only where
the planned step cannot drive the step): traction, the engine speed on the operating line for the wheel power
over the variator's mean efficiency plus the accessories (the first guess of ``conventional_control.cvt_point``,
E: the P2's charging or assist power is not in it), raised to the lowest clutch-closed engine speed
(``min_engine_speed``; below it the P2's engine cannot run with K0 closed); overrun and coasting, the conventional
rule's overrun speed (5 % above the fuel cut-off speed); at rest, the launch ratio (the rules': step 1). ECMS and
the DP choose the step freely within the controller's shift rules (``max_gear_step``, ``min_time_in_gear_s``,
``shift_hysteresis``: a CVT's file sets them for a variator; a ratio change's inertia energy is booked over
``shift_time_s``, 0 for a variator: within the step).
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle

#: ratios a CVT's range is divided into for the P2 plant (E: 16 steps of 13.7 % engine speed over a range of 6.9,
#: finer than any step-ratio box; each step costs the rules, ECMS and the DP one more gear to evaluate)
CVT_RATIO_STEPS = 16


def ratio_steps(cvt) -> np.ndarray:
    """The overall ratios (variator × final drive) of the steps, the underdrive end first: i_k =
    i_low·(i_high/i_low)^(k/(M − 1)), k = 0…M − 1 (``cvt`` a ``CvtK``)."""
    k = np.arange(CVT_RATIO_STEPS) / (CVT_RATIO_STEPS - 1)
    return cvt.ratio_low * (cvt.ratio_high / cvt.ratio_low) ** k


def gearbox_kernel(vehicle: Vehicle):
    """(GearboxK with the CVT's ratio steps as gears, input drag [N·m]) for the P2 plant: each step's ratio over the
    final drive and its efficiency ``cvt_eta`` over the final drive's, so that ratio × final drive and efficiency ×
    final drive's are the CVT's at that overall ratio."""
    from ..core.conventional import cvt_eta

    tr = vehicle.transmission
    cvt = tr.cvt_kernel(vehicle.engine)
    i = ratio_steps(cvt)
    eta = np.array([cvt_eta(cvt, float(x)) for x in i])
    gb = tr.to_kernel()
    gb = gb._replace(ratios=np.ascontiguousarray(i / gb.final_drive_ratio),
                     efficiencies=np.ascontiguousarray(eta / gb.final_drive_efficiency))
    return gb, float(cvt.drag_torque_nm)


def ratio_plan(vehicle: Vehicle, cycle: Cycle) -> np.ndarray:
    """The rules' ratio step per sample (1 = the underdrive end; 0 at rest: the rules choose), for the interval
    ending at it (module docstring)."""
    from ..core.chassis import wheel_force_n
    from ..core.conventional_control import cvt_ratio_for
    from ..core.interp import interp1_uniform
    from ..units import RAD_S_PER_RPM

    tr = vehicle.transmission
    cvt = tr.cvt_kernel(vehicle.engine)
    ch = vehicle.chassis.to_kernel()
    r = ch.wheel_radius_m
    i_steps = ratio_steps(cvt)
    log_span = np.log(cvt.ratio_high / cvt.ratio_low)
    w_floor = vehicle.controller.min_engine_speed_rpm * RAD_S_PER_RPM
    eta_mean = 0.5 * (cvt.eta_low + cvt.eta_high)
    p_acc = float(vehicle.accessories.battery_power_w)
    t, v, g = (np.asarray(a, dtype=np.float64) for a in (cycle.time_s, cycle.speed_mps, cycle.grade))
    plan = np.zeros(t.size)
    for k in range(1, t.size):
        v0, v1 = float(v[k - 1]), float(v[k])
        vbar = 0.5 * (v0 + v1)
        if vbar <= 0.0:
            continue
        w_wheel = vbar / r
        f = wheel_force_n(ch, v0, v1, float(t[k] - t[k - 1]), float(g[k]))
        if f > 0.0:
            w = interp1_uniform(0.0, cvt.ool_power_step_w, cvt.ool_speed_rad_s, f * vbar / eta_mean + p_acc)
        else:
            w = cvt.overrun_speed_rad_s
        i = cvt_ratio_for(cvt, max(w, w_floor), w_wheel)
        step = int(np.clip(np.rint(np.log(i / cvt.ratio_low) / log_span * (CVT_RATIO_STEPS - 1)), 0,
                           CVT_RATIO_STEPS - 1))
        if step > 0 and w_wheel * i_steps[step] < w_floor:  # rounded below the floor: the next lower step
            step -= 1
        plan[k] = step + 1
    return plan
