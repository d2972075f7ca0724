"""The sums behind a run's summary (``results.summarize``), compiled and without the GIL.

Every figure of a summary is a sum over the intervals of a run: Σ P·dt for each energy flow, the distance
Σ v̄·dt, the wheel work Σ F(v̄, a, θ)·v̄·dt (the same discretisation as ``components/chassis.wheel_energy_j``,
which the tests compare with this one). Done here in one ``nogil`` call, a summary-only batch case spends
its time outside the GIL.
"""

from __future__ import annotations

import math

from . import jit, jit_inline
from .chassis import G


@jit_inline
def _cos_sin_atan(grade):
    """(cos θ, sin θ) of the slope angle θ = atan(grade); on a level road (grade ±0) the values libm gives,
    1 and ±0, without the three calls (a summary's sums run over every sample: most cycles are level)."""
    if grade == 0.0:
        return 1.0, grade  # atan(±0) = ±0, cos(±0) = 1, sin(±0) = ±0: exact in IEEE 754 and in every libm
    th = math.atan(grade)
    return math.cos(th), math.sin(th)


@jit
def run_sums(time_s, speed, speed_cycle, grade, trace_miss, flows, ch, energies_j):
    """Fill ``energies_j[r]`` = Σ_k flows[r][k]·(t_k − t_{k−1}) (index 0 holds the initial state and is
    skipped); return (distance [m], cycle distance [m], wheel work [J], largest trace miss [m/s], samples
    missed by more than 1 mm/s).

    ``flows`` is a 2-D float64 array, one row per flow on ``time_s`` (an array, not a tuple: a tuple's length
    is part of the compiled signature, one compile per architecture); ``ch`` the kernel chassis (``ChassisK``).
    """
    n = time_s.shape[0]
    rows = flows.shape[0]
    r = 0
    while r + 4 <= rows:  # four rows per sweep: four independent sums in flight (each summed in its own order)
        a0 = a1 = a2 = a3 = 0.0
        for k in range(1, n):
            dt = time_s[k] - time_s[k - 1]
            a0 += flows[r, k] * dt
            a1 += flows[r + 1, k] * dt
            a2 += flows[r + 2, k] * dt
            a3 += flows[r + 3, k] * dt
        energies_j[r] = a0
        energies_j[r + 1] = a1
        energies_j[r + 2] = a2
        energies_j[r + 3] = a3
        r += 4
    for q in range(r, rows):
        acc = 0.0
        for k in range(1, n):
            acc += flows[q, k] * (time_s[k] - time_s[k - 1])
        energies_j[q] = acc
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
            cos_th, sin_th = _cos_sin_atan(grade[k])
            f += (ch.c0_n * cos_th + ch.c1_n_per_mps * vbar + ch.c2_n_per_mps2 * vbar * vbar
                  + ch.mass_kg * G * sin_th)
        wheel += f * vbar * dt
    miss_max = trace_miss[0]
    steps = 0
    for k in range(n):
        if trace_miss[k] > miss_max:
            miss_max = trace_miss[k]
        if trace_miss[k] > 1e-3:
            steps += 1
    return dist, dist_cycle, wheel, miss_max, steps


@jit
def _trace_rates(time_s, speed, grade, c0, c1, c2, mass_kg, mass_eff_kg, out, j):
    """Fill out[j..j+3] with (cycle energy [J], positive inertial work [J], distance [m], absolute speed
    change [m/s]) of one trace, as :mod:`hybridsim.drive_quality` defines them."""
    n = time_s.shape[0]
    ce = 0.0
    iwt = 0.0
    dist = 0.0
    asc = 0.0
    for k in range(1, n):
        dt = time_s[k] - time_s[k - 1]
        if k < n - 1:
            a = (speed[k + 1] - speed[k - 1]) / (time_s[k + 1] - time_s[k - 1])
        else:
            a = (speed[k] - speed[k - 1]) / dt
        vbar = 0.5 * (speed[k] + speed[k - 1])
        d = vbar * dt
        f_i = mass_eff_kg * a
        f = f_i
        if vbar > 0.0:
            cos_th, sin_th = _cos_sin_atan(grade[k])
            f += c0 * cos_th + c1 * vbar + c2 * vbar * vbar + mass_kg * G * sin_th
        if f > 0.0:
            ce += f * d
        if f_i > 0.0:
            iwt += f_i * d
        dist += d
        asc += abs(a) * dt
    out[j] = ce
    out[j + 1] = iwt
    out[j + 2] = dist
    out[j + 3] = asc


@jit
def j2951_sums(time_s, speed_target, speed_driven, grade, c0, c1, c2, mass_kg, mass_eff_kg, out):
    """The sums behind the SAE J2951 drive-quality metrics (``hybridsim.drive_quality``), compiled and nogil.

    Fills ``out[0:4]`` with the target trace's (CE, IWT, D, ASC), ``out[4:8]`` with the driven trace's, and
    ``out[8]`` with Σ (v_driven − v_target)² over all samples [m²/s²].
    """
    _trace_rates(time_s, speed_target, grade, c0, c1, c2, mass_kg, mass_eff_kg, out, 0)
    _trace_rates(time_s, speed_driven, grade, c0, c1, c2, mass_kg, mass_eff_kg, out, 4)
    sq = 0.0
    for k in range(time_s.shape[0]):
        e = speed_driven[k] - speed_target[k]
        sq += e * e
    out[8] = sq
