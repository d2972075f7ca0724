"""Speed of the numba kernels, measured on this machine (not asserted anywhere).

    python benchmarks/run.py            # prints a Markdown table and describes the machine

Per architecture: nanoseconds per time step of one kernel pass over WLTC class 3b after JIT
(median of repeated runs), the full ``simulate()`` call (with the SOC balance for hybrids, and the
Dataset), and the cold start (import + first simulation) in a fresh subprocess with a warm numba cache.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numba

    return (f"{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, "
            f"numpy {np.__version__}, numba {numba.__version__}, {platform.system()} {platform.release()}")


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_conventional(cycle, repeat=50):
    import hybridsim as hs
    from hybridsim.core.conventional import allocate, run_conventional

    v = hs.load_vehicle("xingyue_l")
    args = (v.chassis.to_kernel(), v.engine.to_kernel(), v.transmission.to_kernel(), v.controller.to_kernel(),
            float(v.accessories.crank_power_w), cycle.time_s, cycle.speed_mps, cycle.grade)
    out = allocate(cycle.time_s.size)
    run_conventional(*args, out)
    kernel = _median_time(lambda: run_conventional(*args, out), repeat)
    sim = _median_time(lambda: hs.simulate(v, cycle), max(repeat // 5, 3))
    return "conventional (xingyue_l)", kernel, sim


def bench_ths(cycle, repeat=50):
    import hybridsim as hs
    from hybridsim.powertrains.ths import _run_ths_once, _ths_args

    v = hs.load_vehicle("ralink")
    args = _ths_args(v, False, 23.0)
    _run_ths_once(args, 0.6, cycle)
    kernel = _median_time(lambda: _run_ths_once(args, 0.6, cycle), repeat)
    sim = _median_time(lambda: hs.simulate(v, cycle), max(repeat // 5, 3))
    return "THS-II (ralink)", kernel, sim


def cold_start(vehicle: str) -> float:
    code = ("import time; t0 = time.perf_counter(); import hybridsim as hs; "
            f"hs.simulate(hs.load_vehicle('{vehicle}'), hs.load_cycle('wltc')); print(time.perf_counter() - t0)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm the cache
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(res.stdout.strip())


def main() -> None:
    import hybridsim as hs

    cycle = hs.load_cycle("wltc")
    n = cycle.time_s.size
    print(f"Machine: {_machine()}\n")
    print(f"WLTC class 3b, {n} samples.\n")
    print("| architecture | kernel pass, µs | ns per step | simulate() incl. SOC balance and Dataset, ms |"
          " cold start (import + first run, warm cache), s |")
    print("|---|---|---|---|---|")
    for fn, vid in ((bench_conventional, "xingyue_l"), (bench_ths, "ralink")):
        name, kernel, sim = fn(cycle)
        print(f"| {name} | {kernel * 1e6:.0f} | {kernel / n * 1e9:.0f} | {sim * 1e3:.2f} | "
              f"{cold_start(vid):.2f} |")


if __name__ == "__main__":
    main()
