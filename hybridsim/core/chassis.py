"""Longitudinal vehicle dynamics for one time step (mirrors ``components/chassis.py``).

Per interval [t0, t1] with speeds v0, v1: v̄ = (v0+v1)/2, a = (v1−v0)/dt and the force the powertrain
and brakes must put on the road is ``F = m_eff·a + c0·cos θ + c1·v̄ + c2·v̄² + m·g·sin θ`` (road load
only while moving: at v̄ = 0 the brakes hold the car and no power flows).
"""

from __future__ import annotations

import math

from . import jit

G = 9.80665


@jit
def wheel_force_n(ch, v0, v1, dt, grade):
    """Tractive force demanded at the wheels over the interval. [N]"""
    vbar = 0.5 * (v0 + v1)
    acc = (v1 - v0) / dt
    f = ch.mass_eff_kg * acc
    if vbar > 0.0 and grade == 0.0:  # level road: cos θ = 1, sin θ = 0 exactly (the same sum, without atan/sincos)
        f += ch.c0_n + ch.c1_n_per_mps * vbar + ch.c2_n_per_mps2 * vbar * vbar + 0.0
    elif vbar > 0.0:
        th = math.atan(grade)
        f += (ch.c0_n * math.cos(th) + ch.c1_n_per_mps * vbar + ch.c2_n_per_mps2 * vbar * vbar
              + ch.mass_kg * G * math.sin(th))
    return f
