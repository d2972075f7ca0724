"""Decisions that do not drift with the kernel's time step (issue 15 follow-up). ``simulate`` runs every kernel on
a ~1 s grid, but a kernel called on a finer one (``benchmarks/time_step.py``) should choose as it does at 1 s
where the physics allows the same choice."""

from __future__ import annotations

import hybridsim as hs
from hybridsim.core.conventional import ConvState, gear_point, step_context
from hybridsim.core.conventional_control import choose_gear_point
from hybridsim.powertrains.conventional import plant_args


def test_gear_choice_does_not_weigh_a_shift_by_the_step():
    """Xingyue L (step-ratio AT): from every gear's engine speed at 15-125 km/h (every 10) and 0 / 0.3 / 0.8 m/s²,
    the gear chosen with a 0.1 s step is the one chosen with 1 s wherever that gear can still deliver in 0.1 s
    (its J·Δω/Δt within full load). The choice compared fuel rates with the shift's inertia torque over the step: at
    0.1 s it weighed the one-off ½J(ω² − ω₀²) ten times more (90 of these 288 cases differed; WLTC fuel +1.6 %)."""
    plant, ctl = plant_args(hs.load_vehicle("xingyue_l"))
    gb = plant.gb
    differ = []
    for v_kmh in range(15, 130, 10):
        v = v_kmh / 3.6
        w_wheel = v / plant.ch.wheel_radius_m
        for a in (0.0, 0.3, 0.8):
            for g_prev in range(gb.ratios.shape[0]):
                state = ConvState(g_prev, w_wheel * gb.ratios[g_prev] * gb.final_drive_ratio, 85.0, 100.0)
                chosen = {}
                for dt in (1.0, 0.1):
                    ctx = step_context(plant, v - 0.5 * a * dt, v + 0.5 * a * dt, dt, 0.0)
                    chosen[dt] = (choose_gear_point(plant, ctl, state, ctx, dt)[0], ctx)
                g1, (g01, ctx01) = chosen[1.0][0], chosen[0.1]
                if g1 != g01 and g1 >= 0 and gear_point(plant, state, ctx01, g1, 0.1).feasible:
                    differ.append((v_kmh, a, g_prev, g1, g01))
    assert not differ, f"(km/h, m/s², previous gear, gear at 1 s, gear at 0.1 s): {differ[:8]}"
