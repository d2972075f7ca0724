"""Speed and quality of the THS-II strategies (issue 14), measured on this machine (never asserted in tests).

    python benchmarks/strategies.py            # prints Markdown tables and describes the machine
    python benchmarks/strategies.py --quick    # fewer repeats, no grid refinement beyond 201 points

* per-step time over WLTC class 3b (one kernel pass, no SOC balance, after JIT), rule-based and ECMS, as the
  median of repeated runs; wall time and this process's CPU time (the machine is shared: CPU time is the
  steadier figure);
* DP over WLTC: backward + forward pass with 201 and more SOC points (default 12 engine powers), wall and CPU;
* DP fuel as the SOC grid is refined (convergence) over WLTC;
* rule-based vs ECMS vs DP fuel per shipped cycle for the Ralink (charge-balanced figures).
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
    args = ap.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
