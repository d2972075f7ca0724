"""The sums behind a run's summary (``results.summarize``), compiled and without the GIL.

Every figure of a summary is a sum over the intervals of a run: Σ P·dt for each energy flow, the distance
Σ v̄·dt, the wheel work Σ F(v̄, a, θ)·v̄·dt (the same discretisation as ``components/chassis.wheel_energy_j``,
which the tests compare with this one). Done here in one ``nogil`` call, a summary-only batch case spends
its time outside the GIL.
"""

from __future__ import annotations

import math

from . import jit
from .chassis import G


@jit
def run_sums(time_s, speed, speed_cycle, grade, trace_miss, flows, ch, energies_j):
    """Fill ``energies_j[r]`` = Σ_k flows[r][k]·(t_k − t_{k−1}) (index 0 holds the initial state and is
    skipped); return (distance [m], cycle distance [m], wheel work [J], largest trace miss [m/s], samples
    missed by more than 1 mm/s).

    ``flows`` is a 2-D float64 array, one row per flow on ``time_s`` (an array, not a tuple: a tuple's length
    is part of the compiled signature, one compile per architecture); ``ch`` the kernel chassis (``ChassisK``).
    """
    n = time_s.shape[0]
    for r in range(flows.shape[0]):
        x = flows[r]
        acc = 0.0
        for k in range(1, n):
            acc += x[k] * (time_s[k] - time_s[k - 1])
        energies_j[r] = acc
    dist = 0.0
    dist_cycle = 0.0
    wheel = 0.0
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        vbar = 0.5 * (speed[k] + speed[k - 1])
        dist += vbar * dt
        dist_cycle += 0.5 * (speed_cycle[k] + speed_cycle[k - 1]) * dt
        f = ch.mass_eff_kg * (speed[k] - speed[k - 1]) / dt
        if vbar > 0.0:
            th = math.atan(grade[k])
            f += (ch.c0_n * math.cos(th) + ch.c1_n_per_mps * vbar + ch.c2_n_per_mps2 * vbar * vbar
                  + ch.mass_kg * G * math.sin(th))
        wheel += f * vbar * dt
    miss_max = trace_miss[0]
    steps = 0
    for k in range(n):
        if trace_miss[k] > miss_max:
            miss_max = trace_miss[k]
        if trace_miss[k] > 1e-3:
            steps += 1
    return dist, dist_cycle, wheel, miss_max, steps
