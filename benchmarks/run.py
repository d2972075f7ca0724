"""Speed of hybridsim, measured on this machine (never asserted in tests).

    python benchmarks/run.py            # prints Markdown tables and describes the machine
    python benchmarks/run.py --quick    # fewer repeats and smaller batches (a rough look)

Per architecture with a shipped benchmark vehicle (conventional xingyue_l, THS-II ralink, P2 tank300_hi4t,
BEV taycan_turbo; the ones whose files exist):

* one run after JIT: one kernel pass over WLTC class 3b (no SOC balance) through the runner, as ns per
  time step (median), and the time over WLTC×4 relative to WLTC (4.0 = linear in cycle length);
* the result a user gets: ``simulate(v, wltc)`` (SOC-balanced for the charge-sustaining hybrids, with the
  time-series Dataset) and ``simulate(..., record=False)`` (the summary Dataset);
* first-ever compile (fresh subprocess, empty ``NUMBA_CACHE_DIR``: import + first simulation) and cold
  start (fresh subprocess, warm cache: import + first simulation), and that process's peak RSS;
* batch throughput: ``batch.sweep`` over ``chassis.mass_kg`` (distinct values), summary only, WLTC runs
  per second with 1 and 2 threads, and with 2 processes.

FASTSim 3.1.0 side by side, when it can be run: importable here (``pip install .[bench]``) or a Python
with it named by ``HYBRIDSIM_FASTSIM_PYTHON``. Its shipped 2016 Prius and 2012 Fusion over UDDS and WLTC
(our cycle files, passed to it as arrays) against our THS-II (ralink) and conventional (xingyue_l) on the
same cycles. It runs in a subprocess with ``RUST_LIB_BACKTRACE=0`` and without ``RUST_BACKTRACE``: with
Rust backtraces on, FASTSim builds them inside its time loop and runs 7–13× slower.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BENCH_VEHICLES = (("conventional", "xingyue_l"), ("ths", "ralink"), ("p2", "tank300_hi4t"), ("bev", "taycan_turbo"))


# --- the machine ---------------------------------------------------------------------------------------

def machine() -> str:
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

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    load = ""
    if hasattr(os, "getloadavg"):
        l1, l5, l15 = os.getloadavg()
        load = f", load average {l1:.2f} {l5:.2f} {l15:.2f} at start"
    return (f"{cpu}; {os.cpu_count()} logical CPUs ({cores} usable); Python {platform.python_version()}; "
            f"numpy {np.__version__}; numba {numba.__version__}; {platform.system()} {platform.release()}{load}")


def median_time(fn, repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def repeated(cycle, k: int):
    """``cycle`` driven k times in a row (the end of one is the start of the next)."""
    import hybridsim as hs

    t, v, g = cycle.time_s, cycle.speed_mps, cycle.grade
    dur = t[-1] - t[0]
    ts = np.concatenate([t] + [t[1:] + i * dur for i in range(1, k)])
    vs = np.concatenate([v] + [v[1:]] * (k - 1))
    gs = np.concatenate([g] + [g[1:]] * (k - 1))
    return hs.Cycle(name=f"{cycle.name}_x{k}", time_s=ts, speed_mps=vs, grade=gs)


# --- in-process measurements -------------------------------------------------------------------------

def bench_runs(vid: str, cycle, repeat: int) -> dict:
    import hybridsim as hs
    from hybridsim.simulate import _run_case

    v = hs.load_vehicle(vid)
    n = cycle.time_s.size
    one = median_time(lambda: _run_case(v, cycle, soc_balance=False), repeat, warmup=2)
    c4 = repeated(cycle, 4)
    four = median_time(lambda: _run_case(v, c4, soc_balance=False), max(repeat // 4, 3))
    ds = hs.simulate(v, cycle)
    full = median_time(lambda: hs.simulate(v, cycle), max(repeat // 2, 3))
    summ = median_time(lambda: hs.simulate(v, cycle, record=False), max(repeat // 2, 3))
    return {"ns_per_step": one / n * 1e9, "one_pass_s": one, "x4_ratio": four / one, "simulate_s": full,
            "record_false_s": summ, "balance_runs": ds.attrs.get("soc_balance_runs", 1)}


def bench_batch(vid: str, cycle, n_cases: int) -> dict:
    import hybridsim as hs
    from hybridsim.batch import sweep

    v = hs.load_vehicle(vid)
    m = v.chassis.mass_kg
    masses = list(np.linspace(m - 100.0, m + 100.0, n_cases))
    sweep(v, cycle, {"chassis.mass_kg": masses[:4]}, summary_only=True)  # JIT, caches
    res = {}
    for label, kw in (("threads1", {"workers": 1}), ("threads2", {"workers": 2}),
                      ("processes2", {"workers": 2, "scheduler": "processes"})):
        t0 = time.perf_counter()
        sweep(v, cycle, {"chassis.mass_kg": masses}, summary_only=True, progress=False, **kw)
        res[label] = n_cases / (time.perf_counter() - t0)
    return res


# --- fresh subprocesses --------------------------------------------------------------------------------

_FIRST_RUN = """
import resource, sys, time
t0 = time.perf_counter()
import hybridsim as hs
t1 = time.perf_counter()
hs.simulate(hs.load_vehicle({vid!r}), hs.load_cycle("wltc"))
t2 = time.perf_counter()
print(t1 - t0, t2 - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def first_run(vid: str, cache_dir: str) -> tuple[float, float, float]:
    """(import s, import + first simulation s, peak RSS MB) in a fresh interpreter."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    env.pop("HYBRIDSIM_NUMBA_CACHE", None)
    res = subprocess.run([sys.executable, "-c", _FIRST_RUN.format(vid=vid)], check=True, capture_output=True,
                         text=True, env=env)
    imp, total, rss_kb = res.stdout.split()
    return float(imp), float(total), float(rss_kb) / 1024.0


def bench_startup(vid: str, repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="hybridsim-numba-cache-") as cache:
        _, compile_s, _ = first_run(vid, cache)  # empty cache: compiles everything this run needs
        warm = [first_run(vid, cache) for _ in range(repeat)]
    return {"compile_s": compile_s, "cold_s": statistics.median(w[1] for w in warm),
            "import_s": statistics.median(w[0] for w in warm), "rss_mb": max(w[2] for w in warm)}


# --- FASTSim -------------------------------------------------------------------------------------------

_FASTSIM = r"""
import json, statistics, sys, time
t0 = time.perf_counter()
import fastsim as fsim
import_s = time.perf_counter() - t0
cycles = json.load(open(sys.argv[1]))
repeat = int(sys.argv[2])
out = {"version": fsim.__version__, "import_s": import_s, "runs": {}}
def med(fn, r):
    fn()
    ts = []
    for _ in range(r):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)
# a car that cannot follow the trace falls behind (as in hybridsim) instead of raising
sp = fsim.SimParams.from_dict({**fsim.SimParams.default().to_dict(), "trace_miss_opts": "Allow"})
for veh_file in ("2016_TOYOTA_Prius_Two.yaml", "2012_Ford_Fusion.yaml"):
    veh = fsim.Vehicle.from_resource(veh_file)
    for name, c in cycles.items():
        cyc = fsim.Cycle.from_dict({"time_seconds": c["t"], "speed_meters_per_second": c["v"], "grade": c["g"]})
        def once():
            fsim.SimDrive(veh, cyc, sp).run_once()
        def full():
            fsim.SimDrive(veh, cyc, sp).run()
        build = med(lambda: fsim.SimDrive(veh, cyc, sp), repeat)
        out["runs"][veh_file + "|" + name] = {"n": len(c["t"]), "once_s": med(once, repeat) - build,
                                              "run_s": med(full, repeat) - build}
print(json.dumps(out))
"""


def fastsim_python() -> str | None:
    try:
        import importlib.util

        if importlib.util.find_spec("fastsim") is not None:
            return sys.executable
    except (ImportError, ValueError):
        pass
    return os.environ.get("HYBRIDSIM_FASTSIM_PYTHON") or None


def bench_fastsim(py: str, cycles: dict, repeat: int) -> dict | None:
    env = dict(os.environ, RUST_LIB_BACKTRACE="0")
    env.pop("RUST_BACKTRACE", None)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({k: {"t": c.time_s.tolist(), "v": c.speed_mps.tolist(), "g": c.grade.tolist()}
                   for k, c in cycles.items()}, fh)
        path = fh.name
    try:
        res = subprocess.run([py, "-c", _FASTSIM, path, str(repeat)], capture_output=True, text=True, env=env,
                             timeout=900)
    finally:
        os.unlink(path)
    if res.returncode != 0:
        print(f"\nFASTSim run failed ({py}):\n{res.stderr[-2000:]}")
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


# --- main ----------------------------------------------------------------------------------------------

def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, smaller batches")
    ap.add_argument("--no-fastsim", action="store_true", help="skip the FASTSim comparison")
    args = ap.parse_args(argv)
    repeat = 9 if args.quick else 41
    sys.path.insert(0, str(REPO))
    import hybridsim as hs

    present = [(a, vid) for a, vid in BENCH_VEHICLES if vid in hs.list_vehicles()]
    wltc = hs.load_cycle("wltc")
    n = wltc.time_s.size
    print("# hybridsim benchmarks\n")
    print(f"Machine: {machine()}\n")
    print(f"Cycle: WLTC class 3b, {n} samples (1 s). Medians of {repeat} runs after JIT unless stated.\n")

    print("| architecture (vehicle) | ns per step, one run | WLTC×4 / WLTC time | simulate(), ms "
          "(kernel runs) | record=False, ms | first-ever compile, s | cold start, s (import) | peak RSS, MB |")
    print("|---|---|---|---|---|---|---|---|")
    runs = {}
    for arch, vid in present:
        r = bench_runs(vid, wltc, repeat)
        s = bench_startup(vid, 3 if args.quick else 5)
        runs[vid] = r
        print(f"| {arch} ({vid}) | {r['ns_per_step']:.0f} | {r['x4_ratio']:.2f} | {r['simulate_s'] * 1e3:.2f} "
              f"({r['balance_runs']}) | {r['record_false_s'] * 1e3:.2f} | {s['compile_s']:.1f} | "
              f"{s['cold_s']:.2f} ({s['import_s']:.2f}) | {s['rss_mb']:.0f} |")
    print("\n*ns per step*: one kernel pass through the architecture's runner (no SOC balance, fixed per-run "
          "Python cost included). *simulate()*: the result a user gets (SOC-balanced for the charge-sustaining "
          "hybrids; the number of kernel passes in brackets) with its time-series Dataset. *first-ever "
          "compile*: fresh interpreter, empty NUMBA_CACHE_DIR, import + first simulation; *cold start*: the same "
          "with the cache warm.\n")

    load = " (load average {:.2f} {:.2f} {:.2f} now: other processes share the cores)".format(
        *os.getloadavg()) if hasattr(os, "getloadavg") else ""
    print("Batch: `batch.sweep(v, wltc, {'chassis.mass_kg': <distinct values>}, summary_only=True)`, "
          f"WLTC runs per second{load}.\n")
    print("| architecture (vehicle) | cases | 1 thread | 2 threads | 1→2 threads | 2 processes |")
    print("|---|---|---|---|---|---|")
    for arch, vid in present:
        per_run = runs[vid]["record_false_s"]
        cases = int(min(max((1.0 if args.quick else 3.0) / per_run, 100), 20000))
        b = bench_batch(vid, wltc, cases)
        print(f"| {arch} ({vid}) | {cases} | {b['threads1']:.0f} | {b['threads2']:.0f} | "
              f"{b['threads2'] / b['threads1']:.2f}× | {b['processes2']:.0f} |")

    py = None if args.no_fastsim else fastsim_python()
    if py is None:
        print("\nFASTSim: not installed (pip install '.[bench]', or set HYBRIDSIM_FASTSIM_PYTHON to a Python that "
              "has fastsim==3.1.0); comparison skipped.")
        return
    cycles = {"udds": hs.load_cycle("udds"), "wltc": wltc}
    fs = bench_fastsim(py, cycles, max(repeat // 2, 5))
    if fs is None:
        return
    import_hs = median_time(lambda: subprocess.run([sys.executable, "-c", "import hybridsim"], check=True,
                                                   env=dict(os.environ, PYTHONPATH=str(REPO))), 3, warmup=1)
    print(f"\nSide by side with FASTSim {fs['version']} (its shipped vehicles; RUST_LIB_BACKTRACE=0), same cycles. "
          f"`import fastsim` {fs['import_s']:.2f} s in its process; `python -c 'import hybridsim'` "
          f"{import_hs:.2f} s (whole interpreter).\n")
    print("| FASTSim vehicle vs hybridsim vehicle | cycle | FASTSim one pass, ns/step | hybridsim, ns/step | "
          "speed-up | FASTSim result (run), ms | hybridsim simulate(), ms | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    pairs = (("2016_TOYOTA_Prius_Two.yaml", "ralink", "Prius 2016 (HEV) vs ralink (THS-II)"),
             ("2012_Ford_Fusion.yaml", "xingyue_l", "Fusion 2012 (conv.) vs xingyue_l (conv.)"))
    for veh_file, vid, label in pairs:
        if vid not in hs.list_vehicles():
            continue
        for cname, cyc in cycles.items():
            f = fs["runs"][f"{veh_file}|{cname}"]
            ours = bench_runs(vid, cyc, repeat)
            f_ns = f["once_s"] / f["n"] * 1e9
            print(f"| {label} | {cname} | {f_ns:.0f} | {ours['ns_per_step']:.0f} | {f_ns / ours['ns_per_step']:.1f}× "
                  f"| {f['run_s'] * 1e3:.2f} | {ours['simulate_s'] * 1e3:.2f} | "
                  f"{f['run_s'] / ours['simulate_s']:.1f}× |")
    print("\nFASTSim *one pass*: `SimDrive(veh, cyc).run_once()` minus building the SimDrive; *result*: `run()` "
          "(its SOC-balancing iterations for the HEV), same subtraction; both keep its time-series history; "
          "trace_miss_opts='Allow' (falls behind instead of raising, as hybridsim does). "
          "Our columns as in the first table (simulate() includes the SOC balance and the Dataset).")


if __name__ == "__main__":
    main()
