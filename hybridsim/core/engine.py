"""Engine look-ups (mirrors ``components/engine.py``): fuel rate, WOT and motoring torque.

The speed index into the uniform grid is computed once per operating point and shared by the three
look-ups (``engine_point``), which is what the kernels call in their inner loops.
"""

from __future__ import annotations

import math

from . import jit


@jit
def _speed_index(eng, w):
    n = eng.wot_nm.shape[0]
    u = (w - eng.speed_min_rad_s) * eng.speed_inv_step
    if u < 0.0:
        u = 0.0
    elif u > n - 1:
        u = n - 1.0
    i = int(math.floor(u))
    if i > n - 2:
        i = n - 2
    return i, u - i


@jit
def engine_point(eng, w, t):
    """(WOT torque [N·m], motoring torque [N·m], fuel rate [kg/s]) at speed w [rad/s], torque t [N·m].

    Fuel is 0 at or below the motoring torque (fuel cut-off); bilinear in the map otherwise.
    """
    i, fu = _speed_index(eng, w)
    t_max = eng.wot_nm[i] + fu * (eng.wot_nm[i + 1] - eng.wot_nm[i])
    t_mot = eng.motoring_nm[i] + fu * (eng.motoring_nm[i + 1] - eng.motoring_nm[i])
    if t <= t_mot:
        return t_max, t_mot, 0.0
    m = eng.fuel_kg_s.shape[1]
    v = (t - eng.torque_min_nm) * eng.torque_inv_step
    if v < 0.0:
        v = 0.0
    elif v > m - 1:
        v = m - 1.0
    j = int(math.floor(v))
    if j > m - 2:
        j = m - 2
    fv = v - j
    z = eng.fuel_kg_s
    f = ((z[i, j] * (1.0 - fu) + z[i + 1, j] * fu) * (1.0 - fv)
         + (z[i, j + 1] * (1.0 - fu) + z[i + 1, j + 1] * fu) * fv)
    return t_max, t_mot, (f if f > 0.0 else 0.0)


@jit
def wot_nm(eng, w):
    """Full-load torque at speed w [rad/s]. [N·m]"""
    i, fu = _speed_index(eng, w)
    return eng.wot_nm[i] + fu * (eng.wot_nm[i + 1] - eng.wot_nm[i])


@jit
def motoring_nm(eng, w):
    """Drag torque of the unfuelled engine at speed w (negative). [N·m]"""
    i, fu = _speed_index(eng, w)
    return eng.motoring_nm[i] + fu * (eng.motoring_nm[i + 1] - eng.motoring_nm[i])


@jit
def fuel_kg_s(eng, w, t):
    """Fuel mass flow at speed w [rad/s] and brake torque t [N·m]; 0 at or below motoring. [kg/s]"""
    return engine_point(eng, w, t)[2]
