"""The compiled batch path of a summary-only THS-II sweep (issue 16): ``core.ths_batch.run_cases`` runs the cases
chunk by chunk (one dispatch per chunk, one reused output buffer per thread, the summary sums compiled), the
charge balance advances every case of a chunk in lockstep (``_common.soc_balance_steps``: the same secant as a
single run), and each case's summary is made from its sums by the code :func:`hybridsim.summarize` uses
(``results.summary_from_sums``). Each case equals ``simulate(vehicle_i, cycle, record=False)``
(``tests/test_batch_kernel.py``: to 1e-12; the sums are the same compiled functions in the same order).

Used by :func:`hybridsim.batch.sweep` for ``summary_only=True`` over a THS-II vehicle with the rule-based or
ECMS strategy, ``soc_init`` not given, threads or serial (``HYBRIDSIM_BATCH_KERNEL=0`` turns it off).
"""

from __future__ import annotations

import concurrent.futures as cf
import math

import numpy as np

from .cycles import Cycle
from .results import KERNEL_NAMES, VARIABLES, describe_run, finite_or_none, summary_from_sums

ENABLED_ENV = "HYBRIDSIM_BATCH_KERNEL"  # read by hybridsim.batch (BATCH_KERNEL_ENV)


class _Soc:
    """Stands for a run's output where ``describe_run`` only reads the SOC at the start and the end."""

    def __init__(self, start: float, end: float):
        self.soc = np.array([start, end])


def run_summaries(vehicles: list, kc: Cycle, note: str, sim: dict, nw: int, bar=None) -> list:
    """[(summary dict, attrs)] of every vehicle over the kernel cycle ``kc`` (``kernel_cycle``'s, with its
    ``note``); ``sim``: the simulate keywords (``soc_init`` None), ``nw`` worker threads."""
    from .core.ths import ThsOut, allocate
    from .core.ths_batch import CHUNK, N_FIXED, run_cases
    from .drive_quality import j2951_ratings
    from .powertrains._common import soc_balance_steps
    from .powertrains.ths import STRATEGY_CODES, _ths_args, run_attrs

    cold = bool(sim.get("cold_start", False))
    ambient = float(sim.get("ambient_temp_c", 23.0))
    balance = sim.get("soc_balance", True)
    ref = sim.get("balance_ref")
    strategy = getattr(vehicles[0].controller, "strategy", "rule_based")
    code = STRATEGY_CODES[strategy]
    n = kc.time_s.shape[0]
    # the trace as the single-run kernel gets it (read-only arrays stay read-only: one compiled signature) and as
    # the summary sums get it (writeable copies)
    tk, vk, gk = (np.ascontiguousarray(x, dtype=np.float64) for x in (kc.time_s, kc.speed_mps, kc.grade))
    tw, vw, gw = (np.require(x, np.float64, ["C", "W"]) for x in (kc.time_s, kc.speed_mps, kc.grade))
    dt = np.diff(kc.time_s)
    names = ["speed_cycle", "grade"] + [KERNEL_NAMES[f] for f in ThsOut._fields]
    flows = [m for m in names if m in VARIABLES and VARIABLES[m].role]
    row_names = flows + [m for m in ("fuel_rate", "battery_power") if m in names]
    field_of = {KERNEL_NAMES[f]: j for j, f in enumerate(ThsOut._fields)}
    rows = np.array([field_of[m] for m in row_names], dtype=np.int64)
    width = N_FIXED + rows.size

    def prepare(v):
        args = _ths_args(v, cold, ambient)
        lhv = v.engine.lhv_j_per_kg
        b = v.battery
        if balance is False:
            plan = v.controller.soc_target
        elif balance == "linear":
            plan = ref.soc_start
        else:
            plan = soc_balance_steps(b.soc_min, b.soc_max, v.controller.soc_target, lhv)
        return args, plan

    def finish(v, args, row, extra):
        ch = args[0].ch
        attrs = run_attrs(v, kc, ambient, extra, ch=ch)
        describe_run(v, kc, _Soc(row[5], row[6]), attrs, cold_start=cold, ambient_temp_c=ambient, soc_init=None)
        attrs["time_base"] = note
        attrs["energy_management"] = strategy
        totals = dict(zip(row_names, row[N_FIXED:].tolist(), strict=True))
        cut_s = float(row[7]) if "accessory_battery_power_w" in attrs else 0.0
        quality = finite_or_none(j2951_ratings(row[8:17], n))
        s = summary_from_sums(float(kc.time_s[-1] - kc.time_s[0]), attrs, flows, totals,
                              (float(row[0]), float(row[1]), float(row[2]), float(row[3]), int(row[4])),
                              (float(row[5]), float(row[6])), cut_s, quality)
        return s, attrs

    def run_block(idx: list[int]) -> list:
        out = allocate(n)
        sums = np.empty((CHUNK, width))
        energy_rows = np.empty((CHUNK, 2, n))
        no_flows = np.empty((0, n))
        no_sums = np.empty(0)
        j9 = np.empty(9)
        soc0 = np.empty(CHUNK)
        cut = np.empty(CHUNK)
        res = []
        for c0 in range(0, len(idx), CHUNK):
            chunk = idx[c0:c0 + CHUNK]
            prepared = [prepare(vehicles[i]) for i in chunk]
            pending = {}  # position in chunk → SOC to run
            gens = {}
            for p, (_, plan) in enumerate(prepared):
                if isinstance(plan, float):
                    pending[p] = plan
                else:
                    gens[p] = plan
                    pending[p] = next(plan)
            done: dict = {}
            while pending:
                order = list(pending)
                plants = [prepared[p][0][0] for p in order]
                ctls = [prepared[p][0][1] for p in order]
                for j, p in enumerate(order):
                    soc0[j] = pending[p]
                    v = vehicles[chunk[p]]
                    cut[j] = (float(v.accessories.battery_power_w) * (1 - 1e-9) if v.battery is not None
                              else -math.inf)
                m = len(order)
                plants += [plants[-1]] * (CHUNK - m)
                ctls += [ctls[-1]] * (CHUNK - m)
                run_cases(tuple(plants), tuple(ctls), code, m, soc0, tk, vk, gk, tw, vw, gw, no_flows, no_sums, j9,
                          out, rows, cut, sums, energy_rows)
                nxt = {}
                for j, p in enumerate(order):
                    row = sums[j].copy()
                    fuel = float(np.sum(energy_rows[j, 0, 1:] * dt))  # as powertrains._common.energies
                    eb = float(np.sum(energy_rows[j, 1, 1:] * dt))
                    v = vehicles[chunk[p]]
                    if p not in gens:
                        lhv = v.engine.lhv_j_per_kg
                        if balance == "linear":
                            done[p] = (row, {"soc_balance_fuel_kg": fuel - ref.slope_kg_per_j * eb,
                                             "soc_balance_residual": eb / max(fuel * lhv, 1.0),
                                             "soc_balance_runs": 1, "soc_balance_method": "linear",
                                             "soc_balance_slope_kg_per_j": ref.slope_kg_per_j,
                                             "soc_balance_linear_error": ref.rel_error})
                        else:
                            done[p] = (row, {})
                        continue
                    try:
                        nxt[p] = gens[p].send((fuel, eb, float(row[6]), row))
                    except StopIteration as stop:
                        best, fuel0, resid, nruns, method = stop.value
                        done[p] = (best, {"soc_balance_fuel_kg": fuel0, "soc_balance_residual": resid,
                                          "soc_balance_runs": nruns, "soc_balance_method": method})
                pending = nxt
            for p, i in enumerate(chunk):
                row, extra = done[p]
                res.append((i, finish(vehicles[i], prepared[p][0], row, extra)))
            if bar is not None:
                bar.update(len(chunk))
        return res

    results: list = [None] * len(vehicles)
    ids = list(range(len(vehicles)))
    if nw <= 1 or len(ids) <= CHUNK:
        blocks = [ids]
    else:  # chunks dealt round-robin to the threads, CHUNK cases at a time
        per = [ids[k:k + CHUNK] for k in range(0, len(ids), CHUNK)]
        blocks = [[i for c in per[w::nw] for i in c] for w in range(nw)]
    if len(blocks) == 1:
        done_blocks = [run_block(blocks[0])]
    else:
        with cf.ThreadPoolExecutor(len(blocks), thread_name_prefix="hybridsim-batch") as pool:
            done_blocks = list(pool.map(run_block, blocks))
    for block in done_blocks:
        for i, r in block:
            results[i] = r
    return results
