"""Many THS-II cases in one compiled call: the kernel of a summary-only batch (``hybridsim.batch``, issue 16).

``run_cases`` runs up to ``CHUNK`` cases (a homogeneous tuple of plants and controllers, padded by repeating
the last) through the strategy's kernel (``ths_control.run_ths_rule`` / ``run_ths_ecms``), each from its own
initial SOC, into ONE reused output buffer, and after each case writes what its summary needs into a row of
``sums`` (the same compiled sums ``results.summarize`` uses: ``summary.run_sums``, ``summary.j2951_sums``) and
copies the fuel rate and battery chemical power into ``energy_rows`` (the charge balance takes their sums with
numpy, exactly as a single run does). One dispatch per chunk, no per-case allocation, no GIL.

Row layout of ``sums[i]`` (``N_FIXED`` numbers, then one energy per entry of ``rows``): distance [m], cycle
distance [m], wheel work [J], largest trace miss [m/s], samples missed, SOC start, SOC end, accessory cut [s],
the nine J2951 sums; then Σ_k out[rows[r]][k]·Δt_k for each row.
"""

from __future__ import annotations

from . import jit
from .summary import j2951_sums, run_sums
from .ths_control import ECMS, run_ths_ecms, run_ths_rule

CHUNK = 8  # cases per compiled call (the tuple length is part of the compiled signature: fixed)
N_FIXED = 17


@jit
def run_cases(plants, ctls, strategy, n_cases, soc0, time_s, speed_mps, grade, time_w, speed_w, grade_w, no_flows,
              no_sums, j9, out, rows, acc_cut_w, sums, energy_rows):
    """Run cases 0..n_cases−1 of the chunk (see the module docstring); nothing allocated, nothing raised.

    ``time_s``, ``speed_mps``, ``grade``: the trace as the single-run kernels get it; ``time_w``, ``speed_w``,
    ``grade_w``: the same values as the summary sums get them (writeable copies: one compiled signature each);
    ``no_flows`` (0 × n), ``no_sums`` (0), ``j9`` (9): scratch arrays."""
    n = time_s.shape[0]
    for i in range(n_cases):
        plant = plants[i]
        if strategy == ECMS:
            run_ths_ecms(plant, ctls[i], soc0[i], time_s, speed_mps, grade, out)
        else:
            run_ths_rule(plant, ctls[i], soc0[i], time_s, speed_mps, grade, out)
        row = sums[i]
        d, dc, wh, mm, st = run_sums(time_w, out.speed_mps, speed_w, grade_w, out.trace_miss_mps, no_flows,
                                     plant.ch, no_sums)
        row[0] = d
        row[1] = dc
        row[2] = wh
        row[3] = mm
        row[4] = st
        row[5] = out.soc[0]
        row[6] = out.soc[n - 1]
        cut = 0.0
        for k in range(1, n):
            if out.accessory_power_w[k] < acc_cut_w[i]:
                cut += time_s[k] - time_s[k - 1]
        row[7] = cut
        ch = plant.ch
        j2951_sums(time_w, speed_w, out.speed_mps, grade_w, ch.c0_n, ch.c1_n_per_mps, ch.c2_n_per_mps2, ch.mass_kg,
                   ch.mass_eff_kg, j9)
        for r in range(9):
            row[8 + r] = j9[r]
        for r in range(rows.shape[0]):
            x = out[rows[r]]
            acc = 0.0
            for k in range(1, n):
                acc += x[k] * (time_s[k] - time_s[k - 1])
            row[N_FIXED + r] = acc
        for k in range(n):
            energy_rows[i, 0, k] = out.fuel_kg_s[k]
            energy_rows[i, 1, k] = out.battery_chemical_power_w[k]
