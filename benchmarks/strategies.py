"""Speed and quality of the THS-II strategies (issue 14), measured on this machine (never asserted in tests).

    python benchmarks/strategies.py            # prints Markdown tables and describes the machine
    python benchmarks/strategies.py --quick    # fewer repeats, no grid refinement beyond 201 points

* per-step time over WLTC class 3b (one kernel pass, no SOC balance, after JIT), rule-based and ECMS, as the
  median of repeated runs; wall time and this process's CPU time (the machine is shared: CPU time is the
  steadier figure);
* DP over WLTC: backward + forward pass with 201 and more SOC points (default 12 engine powers), wall and CPU;
* DP fuel as the SOC grid is refined (convergence) over WLTC;
* rule-based vs ECMS vs DP fuel per shipped cycle for the Ralink (charge-balanced figures);
* P2 (Tank 300, charge-sustaining): per-step time of the rules (and of the kernel before the split, the frozen
  copy in tests/frozen_p2.py) and of ECMS over WLTC, and rules vs ECMS fuel per shipped cycle, each at zero net
  battery energy (initial SOC iterated by ``powertrains._common.soc_balance`` for this comparison only; ECMS
  itself runs once) and as run once from the CS set point (ΔSOC), and the DP optimum (``hybridsim.optimal``);
  the DP's time over WLTC for a few grids.

    python benchmarks/strategies.py --p2-only  # only the P2 tables
    python benchmarks/strategies.py --sp-only  # only the series-parallel tables

* series-parallel (Insight, ``insight_2022``): per-step time of the rules and ECMS over WLTC (and the best of the
  repeats: on a shared machine the least-disturbed run), the DP's time over WLTC for a few grids, and rules vs
  ECMS vs DP fuel per shipped cycle (charge-balanced), with ECMS's ΔSOC run once from the target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import machine  # noqa: E402


def timed(fn, repeat):
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--p2-only", action="store_true")
    ap.add_argument("--sp-only", action="store_true")
    args = ap.parse_args(argv)
    if args.sp_only:
        print(f"Machine: {machine()}\n")
        return sp_tables(args.quick)
    if args.p2_only:
        print(f"Machine: {machine()}\n")
        return p2_tables(args.quick)
    import hybridsim as hs
    from hybridsim.powertrains.ths import _run_ths_once, _ths_args

    print(f"Machine: {machine()}\n")
    v = hs.load_vehicle("ralink")
    wltc = hs.load_cycle("wltc")
    n = wltc.time_s.size
    a = _ths_args(v, False, 23.0)
    rep = 5 if args.quick else 30
    print("| strategy | wall ns/step | CPU ns/step |\n|---|---:|---:|")
    for name, code in (("rule_based", 0), ("ecms", 1)):
        _run_ths_once(a, 0.6, wltc, code)
        w, c = timed(lambda code=code: _run_ths_once(a, 0.6, wltc, code), rep)
        print(f"| {name} | {w / n * 1e9:.0f} | {c / n * 1e9:.0f} |")
    hs.optimal(v, hs.load_cycle("nedc"), soc_grid=11)  # JIT
    print("\n| DP over WLTC | wall s | CPU s | fuel L/100 km (balanced) | SOC end |\n|---|---:|---:|---:|---:|")
    grids = (51, 101, 201) if args.quick else (51, 101, 201, 401, 801)
    for pts in grids:
        res = {}

        def run(pts=pts, res=res):
            res["ds"] = hs.optimal(v, wltc, soc_grid=pts, record=False)

        w, c = timed(run, 1 if args.quick or pts > 201 else 3)
        s = res["ds"]
        print(f"| {pts} SOC points × {s.attrs['dp_power_points']} powers | {w:.2f} | {c:.2f} | "
              f"{float(s['fuel_l_per_100km']):.4f} | {float(s['soc_end']):.4f} |")
    print("\n| cycle | rule-based L/100 km | ECMS | DP (201 pts) | DP vs rules | DP vs ECMS |")
    print("|---|---:|---:|---:|---:|---:|")
    for cy_name in hs.list_cycles():
        cy = hs.load_cycle(cy_name)
        rb = hs.summarize(hs.simulate(v, cy))["fuel_l_per_100km"]
        ec = hs.summarize(hs.simulate(v, cy, strategy="ecms"))["fuel_l_per_100km"]
        dp = hs.summarize(hs.optimal(v, cy))["fuel_l_per_100km"]
        print(f"| {cy_name} | {rb:.3f} | {ec:.3f} | {dp:.3f} | {100 * (dp / rb - 1):+.1f} % | "
              f"{100 * (dp / ec - 1):+.1f} % |")
    print()
    p2_tables(args.quick)
    print()
    return sp_tables(args.quick)


def sp_tables(quick: bool) -> int:
    import hybridsim as hs
    from hybridsim.powertrains.series_parallel import plant_args, run_once

    v = hs.load_vehicle("insight_2022")
    wltc = hs.load_cycle("wltc")
    n = wltc.time_s.size
    a = plant_args(v, False, 23.0)
    soc0 = v.controller.soc_target
    rep = 5 if quick else 30
    print("| series-parallel, WLTC | wall ns/step | CPU ns/step | best CPU ns/step |\n|---|---:|---:|---:|")
    for name, code in (("rule_based", 0), ("ecms", 1)):
        run_once(a, soc0, wltc, code)
        cpus = []

        def fn(code=code, cpus=cpus):
            c0 = time.process_time()
            run_once(a, soc0, wltc, code)
            cpus.append(time.process_time() - c0)

        w, c = timed(fn, rep)
        print(f"| {name} | {w / n * 1e9:.0f} | {c / n * 1e9:.0f} | {min(cpus) / n * 1e9:.0f} |")
    hs.optimal(v, hs.load_cycle("nedc"), soc_grid=11, power_points=2)  # JIT
    print("\n| series-parallel DP over WLTC | wall s | CPU s | fuel g (balanced) | SOC end |")
    print("|---|---:|---:|---:|---:|")
    for pts, pw in ((101, 10), (201, 10)) if quick else ((101, 10), (201, 10), (401, 10), (201, 20)):
        res = {}

        def run_dp(pts=pts, pw=pw, res=res):
            res["ds"] = hs.optimal(v, wltc, soc_grid=pts, power_points=pw, record=False)

        w, c = timed(run_dp, 1)
        d = res["ds"]
        print(f"| {pts} SOC points × {pw} powers | {w:.2f} | {c:.2f} | {d.attrs['soc_balance_fuel_kg'] * 1e3:.1f} | "
              f"{float(d['soc_end']):.4f} |")
    print("\n| cycle | rule-based L/100 km | ECMS | DP (201 × 10) | DP vs rules | DP vs ECMS | ECMS ΔSOC once |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for cy_name in hs.list_cycles():
        cy = hs.load_cycle(cy_name)
        rb = hs.summarize(hs.simulate(v, cy, record=False))["fuel_l_per_100km"]
        ec = hs.summarize(hs.simulate(v, cy, strategy="ecms", record=False))["fuel_l_per_100km"]
        once = run_once(a, soc0, cy, 1)
        dp = hs.summarize(hs.optimal(v, cy, record=False))["fuel_l_per_100km"]
        print(f"| {cy_name} | {rb:.3f} | {ec:.3f} | {dp:.3f} | {100 * (dp / rb - 1):+.1f} % "
              f"| {100 * (dp / ec - 1):+.1f} % | {100 * (once.soc[-1] - once.soc[0]):+.2f} % |")
    return 0


def p2_tables(quick: bool) -> int:
    import numpy as np

    import hybridsim as hs
    from hybridsim.powertrains._common import energies, soc_balance
    from hybridsim.powertrains.p2 import plant_args, run_p2_once

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import frozen_p2

    v = hs.load_vehicle("tank300_hi4t")
    c = v.controller
    wltc = hs.load_cycle("wltc")
    n = wltc.time_s.size
    a = plant_args(v, False, 23.0)
    rep = 5 if quick else 30
    soc_cs = c.soc_target

    def frozen():
        plant, ctl = a
        x = plant.aux
        aux = frozen_p2.P2AuxK(x.accessory_power_w, x.engine_start_fuel_kg, x.input_inertia_kgm2,
                               x.friction_fuel_kg_s)
        out = frozen_p2.allocate(n)
        frozen_p2.run_p2(plant.ch, plant.eng, plant.gb, plant.mot, plant.bat, ctl, aux, plant.th, soc_cs, 1.0,
                         wltc.time_s, wltc.speed_mps, wltc.grade, out)

    print("| P2, WLTC, CS | wall ns/step | CPU ns/step |\n|---|---:|---:|")
    for name, fn in (("rules, before the split (frozen copy)", frozen),
                     ("rule_based", lambda: run_p2_once(a, soc_cs, wltc, True, 0)),
                     ("ecms", lambda: run_p2_once(a, soc_cs, wltc, True, 1))):
        fn()
        w, cpu = timed(fn, rep)
        print(f"| {name} | {w / n * 1e9:.0f} | {cpu / n * 1e9:.0f} |")
    hs.optimal(v, hs.load_cycle("nedc"), soc_grid=11, power_points=2)  # JIT
    print("\n| P2 DP over WLTC | wall s | CPU s | fuel g (balanced) | SOC end |\n|---|---:|---:|---:|---:|")
    for pts, tq in ((101, 6), (201, 6), (201, 12)) if quick else ((101, 6), (201, 6), (201, 12), (401, 12)):
        res = {}

        def run_dp(pts=pts, tq=tq, res=res):
            res["ds"] = hs.optimal(v, wltc, soc_grid=pts, power_points=tq, record=False)

        w, cpu = timed(run_dp, 1)
        d = res["ds"]
        print(f"| {pts} SOC points × {tq} torques | {w:.2f} | {cpu:.2f} | {d.attrs['soc_balance_fuel_kg'] * 1e3:.1f} | "
              f"{float(d['soc_end']):.4f} |")
    lhv = v.engine.lhv_j_per_kg
    dp_pts, dp_tq = 201, 6
    print(f"\n| cycle | rules g (balanced) | ECMS g (balanced) | DP g ({dp_pts} × {dp_tq}) | ECMS vs rules "
          "| DP vs rules | DP vs ECMS | rules ΔSOC once | ECMS ΔSOC once |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cy_name in hs.list_cycles():
        cy = hs.load_cycle(cy_name)
        row = []
        for code in (0, 1):
            def run(s, code=code, cy=cy):
                out = run_p2_once(a, s, cy, True, code)
                fuel, eb = energies(out, cy)
                return out, fuel, eb

            _, fuel0, resid, _, _ = soc_balance(run, v.battery.soc_min + 0.01, c.soc_cs_enter + c.cd_resume_band
                                                - 0.002, soc_cs, lhv)
            once = run_p2_once(a, soc_cs, cy, True, code)
            row.append((fuel0 * 1e3, 100 * (once.soc[-1] - once.soc[0]), resid))
        (rf, rd, _), (ef, ed, _) = row
        df = hs.optimal(v, cy, soc_grid=dp_pts, power_points=dp_tq, record=False).attrs["soc_balance_fuel_kg"] * 1e3
        print(f"| {cy_name} | {rf:.1f} | {ef:.1f} | {df:.1f} | {100 * (ef / rf - 1):+.1f} % "
              f"| {100 * (df / rf - 1):+.1f} % | {100 * (df / ef - 1):+.1f} % | {rd:+.2f} % | {ed:+.2f} % |")
    del np
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
