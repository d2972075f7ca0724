"""Speed of hybridsim next to FASTSim 3.1.0, timed interleaved in one run (never asserted in tests).

    python benchmarks/run.py                       # every row of the issue-16 table, Markdown
    python benchmarks/run.py --quick               # fewer rounds and cases (a rough look)
    python benchmarks/run.py --repo OTHER_CHECKOUT # time another checkout of hybridsim (e.g. before a change)
    python benchmarks/run.py --memory 100000       # also: peak memory of a 100,000-case summary-only THS sweep

Timing: process CPU time (``time.process_time``) for the single-threaded rows (step, result), so that other
processes on a shared machine slow neither contender's figure much; wall time for the threaded sweeps; the cold
starts and the first compile give both (wall from the script's first line, CPU from the interpreter's start).

Why interleaved: the machine is shared, and its load drifts by minutes. Every contender (hybridsim, FASTSim,
and with ``--compare`` a second checkout of hybridsim) runs in its own long-lived worker process, and the rounds
alternate A B A B …: each round times every contender a few times back to back, and the ratio of two
contenders is taken per round, so a load change between rounds cancels in the ratio. The table gives each
contender's median over all rounds, the ratios' min / median / max over the rounds, and the 1-minute load
average over the rounds (min–max) of every row; the header names the CPU model, the usable cores and the load.

Rows (the table of issue 16):

* **THS-II step, WLTC**: one pass of the THS-II kernel (ralink, rule-based, no SOC balance) over WLTC class 3b
  through ``powertrains.ths._run_ths_once`` with its arguments built once (the output arrays are allocated in
  each pass), ns per time step. FASTSim: ``SimDrive(prius, wltc).run_once()`` minus building the SimDrive
  (timed alternately in the same round), its 2016 Prius.
* **charge-balanced THS-II WLTC result**: ``simulate(ralink, wltc, record=False)`` (charge-balanced summary
  Dataset), ms. FASTSim: ``SimDrive(prius, wltc).run()`` (its SOC-balancing iterations) minus the build.
* **summary-only sweep**: ``sweep(v, wltc, {"chassis.mass_kg": <distinct values>}, summary_only=True,
  workers=k)`` for each architecture, runs per second at 1 and 2 threads, alternated; the 1→2 ratio per round.
* **cold start**: a fresh interpreter, ``import hybridsim`` and the first ``simulate(ralink, wltc)``, numba cache
  warm; FASTSim: a fresh interpreter, ``import fastsim`` and ``SimDrive(prius, wltc).run()``. Alternated.
* **first-ever compile**: a fresh interpreter with an empty ``NUMBA_CACHE_DIR``: import + first
  ``simulate(ralink, wltc)`` (that cache then serves the cold starts).

Fresh interpreters run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed), as an installed package
has its bytecode; the first-ever compile run writes hybridsim's.

FASTSim runs with ``RUST_LIB_BACKTRACE=0`` and without ``RUST_BACKTRACE`` (with Rust backtraces on, it builds
them inside its time loop and runs 7–13× slower), ``trace_miss_opts='Allow'`` (falls behind instead of
raising, as hybridsim does). It is found importable here (``pip install .[bench]``) or as the Python named by
``HYBRIDSIM_FASTSIM_PYTHON``.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_VEHICLES = (("conventional", "xingyue_l"), ("ths", "ralink"), ("p2", "tank300_hi4t"), ("bev", "taycan_turbo"))


# --- the machine ---------------------------------------------------------------------------------------

def cpu_model() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return cpu


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load1() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def machine() -> str:
    import numpy as np

    try:
        import numba

        nb = numba.__version__
    except ImportError:
        nb = "absent"
    load = ""
    if hasattr(os, "getloadavg"):
        l1, l5, l15 = os.getloadavg()
        load = f", load average {l1:.2f} {l5:.2f} {l15:.2f} now"
    return (f"{cpu_model()}; {os.cpu_count()} logical CPUs ({usable_cores()} usable); Python "
            f"{platform.python_version()}; numpy {np.__version__}; numba {nb}; {platform.system()} "
            f"{platform.release()}{load}")


# --- workers: one long-lived process per contender, one JSON line per request and per answer -------------

_HS_WORKER = r"""
import json, sys, time
import numpy as np
import hybridsim as hs
from hybridsim.batch import sweep
from hybridsim.powertrains import ths as _ths

wltc = hs.load_cycle("wltc")
ralink = hs.load_vehicle("ralink")
args = _ths._ths_args(ralink, False, 23.0)
soc0 = ralink.controller.soc_target
n = wltc.time_s.size
vehicles = {}

def ths_pass():
    _ths._run_ths_once(args, soc0, wltc)

from hybridsim.core import ths_control as _tc
from hybridsim.core.ths import allocate as _allocate
_out = _allocate(n)
_t, _v, _g = (np.ascontiguousarray(x, dtype=np.float64) for x in (wltc.time_s, wltc.speed_mps, wltc.grade))
if hasattr(_tc, "run_ths_rule"):
    def ths_kernel():
        _tc.run_ths_rule(*args, soc0, _t, _v, _g, _out)
else:
    def ths_kernel():
        _tc.run_ths(*args, 0, soc0, _t, _v, _g, _out)

def ths_result_linear():
    hs.simulate(ralink, wltc, record=False, soc_balance="linear")

def ths_result():
    hs.simulate(ralink, wltc, record=False)

def make_sweep(vid, k, cases, balance=True):
    v = vehicles.setdefault(vid, hs.load_vehicle(vid))
    m = v.chassis.mass_kg
    state = {"i": 0}
    def fn():
        # distinct masses every call (no cache can serve a repeat)
        state["i"] += 1
        masses = list(m - 100.0 + 200.0 * (np.arange(cases) + 0.5 * state["i"] / 997.0) / cases)
        sweep(v, wltc, {"chassis.mass_kg": masses}, summary_only=True, workers=k, progress=False,
              soc_balance=balance)
    return fn

tasks = {"ths_pass": ths_pass, "ths_result": ths_result, "ths_kernel": ths_kernel,
         "ths_result_linear": ths_result_linear}
for line in sys.stdin:
    req = json.loads(line)
    name = req["task"]
    if name.startswith("sweep:"):
        _, vid, k, cases, bal = name.split(":")
        if name not in tasks:
            tasks[name] = make_sweep(vid, int(k), int(cases), "linear" if bal == "linear" else True)
        fn = tasks[name]
    else:
        fn = tasks[name]
    for _ in range(req.get("warmup", 0)):
        fn()
    clock = time.process_time if req.get("clock") == "cpu" else time.perf_counter
    ts = []
    for _ in range(req["reps"]):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    print(json.dumps({"times": ts, "n": n}), flush=True)
"""

_FS_WORKER = r"""
import json, sys, time
import fastsim as fsim
cyc_data = json.load(open(sys.argv[1]))
sp = fsim.SimParams.from_dict({**fsim.SimParams.default().to_dict(), "trace_miss_opts": "Allow"})
prius = fsim.Vehicle.from_resource("2016_TOYOTA_Prius_Two.yaml")
cyc = fsim.Cycle.from_dict({"time_seconds": cyc_data["t"], "speed_meters_per_second": cyc_data["v"],
                            "grade": cyc_data["g"]})
n = len(cyc_data["t"])
tasks = {
    "build": lambda: fsim.SimDrive(prius, cyc, sp),
    "once": lambda: fsim.SimDrive(prius, cyc, sp).run_once(),
    "run": lambda: fsim.SimDrive(prius, cyc, sp).run(),
}
print(json.dumps({"version": fsim.__version__}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    fn = tasks[req["task"]]
    for _ in range(req.get("warmup", 0)):
        fn()
    clock = time.process_time if req.get("clock") == "cpu" else time.perf_counter
    ts = []
    for _ in range(req["reps"]):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    print(json.dumps({"times": ts, "n": n}), flush=True)
"""


def _env_for(repo: Path, cache_dir: str | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(repo), RUST_LIB_BACKTRACE="0")
    env.pop("RUST_BACKTRACE", None)
    env.pop("HYBRIDSIM_NUMBA_CACHE", None)
    # bytecode cached as for an installed package (pip compiles it): without it every fresh interpreter compiles
    # hybridsim's modules from source (≈0.07 s of a cold start); the first-ever compile writes it
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    return env


class Worker:
    """A contender's long-lived process: ``time(task, reps)`` → list of seconds."""

    def __init__(self, label: str, argv: list[str], env: dict, greeting: bool = False):
        self.label = label
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                     bufsize=1)
        self.info = json.loads(self.proc.stdout.readline()) if greeting else {}

    def time(self, task: str, reps: int, warmup: int = 0, clock: str = "cpu") -> list[float]:
        """``reps`` timings of ``task`` [s]: process CPU time (``clock="cpu"``, the default: single-threaded work
        on a shared machine) or wall time (``"wall"``: the threaded sweeps)."""
        self.proc.stdin.write(json.dumps({"task": task, "reps": reps, "warmup": warmup, "clock": clock}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label} worker died on {task!r}")
        return json.loads(line)["times"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def fastsim_python() -> str | None:
    try:
        import importlib.util

        if importlib.util.find_spec("fastsim") is not None:
            return sys.executable
    except (ImportError, ValueError):
        pass
    return os.environ.get("HYBRIDSIM_FASTSIM_PYTHON") or None


# --- rounds --------------------------------------------------------------------------------------------

class Row:
    """Interleaved timings of one figure: per contender a list of per-round medians, and the load."""

    def __init__(self):
        self.rounds: dict[str, list[float]] = {}
        self.loads: list[float] = []

    def add(self, label: str, value: float) -> None:
        self.rounds.setdefault(label, []).append(value)

    def med(self, label: str) -> float:
        return statistics.median(self.rounds[label])

    def ratio(self, num: str, den: str) -> tuple[float, float, float]:
        r = [a / b for a, b in zip(self.rounds[num], self.rounds[den], strict=True)]
        return min(r), statistics.median(r), max(r)

    def load_text(self) -> str:
        return f"{min(self.loads):.2f}–{max(self.loads):.2f}" if self.loads else "n/a"


def fmt_ratio(r: tuple[float, float, float]) -> str:
    return f"{r[1]:.2f}× ({r[0]:.2f}–{r[2]:.2f})"


def interleave(rounds: int, contenders: list[tuple[str, callable]]) -> Row:
    """``rounds`` rounds of A B A B …; each callable returns one figure for its round."""
    row = Row()
    for i in range(rounds):
        row.loads.append(load1())
        order = contenders if i % 2 == 0 else contenders[::-1]  # alternate who goes first
        for label, fn in order:
            row.add(label, fn())
    return row


# --- fresh interpreters ---------------------------------------------------------------------------------

_HS_COLD = """
import resource, time
t0 = time.perf_counter()
import hybridsim as hs
t1 = time.perf_counter()
hs.simulate(hs.load_vehicle("ralink"), hs.load_cycle("wltc"))
t2 = time.perf_counter()
import sys
heavy = [m for m in ("scipy.optimize", "scipy.linalg", "matplotlib", "dask", "dask.array") if m in sys.modules]
r = resource.getrusage(resource.RUSAGE_SELF)
print(t1 - t0, t2 - t0, r.ru_maxrss, ",".join(heavy) or "-", r.ru_utime + r.ru_stime)
"""

_FS_COLD = """
import json, sys, time
t0 = time.perf_counter()
import fastsim as fsim
t1 = time.perf_counter()
c = json.load(open(sys.argv[1]))
sp = fsim.SimParams.from_dict({**fsim.SimParams.default().to_dict(), "trace_miss_opts": "Allow"})
cyc = fsim.Cycle.from_dict({"time_seconds": c["t"], "speed_meters_per_second": c["v"], "grade": c["g"]})
fsim.SimDrive(fsim.Vehicle.from_resource("2016_TOYOTA_Prius_Two.yaml"), cyc, sp).run()
t2 = time.perf_counter()
import resource
r = resource.getrusage(resource.RUSAGE_SELF)
print(t1 - t0, t2 - t0, 0, "-", r.ru_utime + r.ru_stime)
"""


def fresh(py: str, code: str, env: dict, *args: str) -> tuple[float, float, float, str, float]:
    """(import s, import + first result s, peak RSS MB, heavy modules loaded, process CPU s from interpreter start)
    of a fresh interpreter (wall times from the script's first line)."""
    res = subprocess.run([py, "-c", code, *args], check=True, capture_output=True, text=True, env=env)
    imp, total, rss_kb, heavy, cpu = res.stdout.split()
    return float(imp), float(total), float(rss_kb) / 1024.0, heavy, float(cpu)


_MEMORY = """
import resource, sys, time
import numpy as np
import hybridsim as hs
from hybridsim.batch import sweep
n = int(sys.argv[1])
v = hs.load_vehicle("ralink")
w = hs.load_cycle("wltc")
sweep(v, w, {"chassis.mass_kg": [1400.0, 1401.0]}, summary_only=True)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
ds = sweep(v, w, {"chassis.mass_kg": list(np.linspace(1300.0, 1500.0, n))}, summary_only=True, progress=False)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(dt, base, peak, ds.nbytes)
"""


# --- main ----------------------------------------------------------------------------------------------

def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, fewer sweep cases")
    ap.add_argument("--repo", default=str(REPO), help="the hybridsim checkout to time (default: this one)")
    ap.add_argument("--compare", default=None, help="a second checkout timed interleaved with --repo "
                    "(e.g. the code before a change); its ratio to --repo is printed")
    ap.add_argument("--no-fastsim", action="store_true", help="skip FASTSim")
    ap.add_argument("--rows", default="step,result,sweep,cold,compile",
                    help="comma-separated subset of step,result,sweep,cold,compile")
    ap.add_argument("--memory", type=int, default=0, help="also measure a summary-only THS sweep of this many cases")
    args = ap.parse_args(argv)
    rows = set(args.rows.split(","))
    rounds = 5 if args.quick else 11
    repo = Path(args.repo).resolve()
    sys.path.insert(0, str(repo))
    import hybridsim as hs

    wltc = hs.load_cycle("wltc")
    print("# hybridsim benchmarks (issue 16 table)\n")
    print(f"Machine: {machine()}\n")
    print(f"hybridsim checkout: `{repo}`" + (f"; compared with `{Path(args.compare).resolve()}`" if args.compare
                                           else "") + "\n")
    print(f"Cycle: WLTC class 3b, {wltc.time_s.size} samples (1 s). {rounds} interleaved rounds per row; figures are "
          "medians over the rounds, ratios per round (min–max in brackets), load = 1-min load average over the "
          "rounds.\n")

    fs_py = None if args.no_fastsim else fastsim_python()
    tmp = tempfile.TemporaryDirectory(prefix="hybridsim-bench-")
    cyc_json = os.path.join(tmp.name, "wltc.json")
    with open(cyc_json, "w") as fh:
        json.dump({"t": wltc.time_s.tolist(), "v": wltc.speed_mps.tolist(), "g": wltc.grade.tolist()}, fh)
    caches = {"hs": os.path.join(tmp.name, "cache-hs"), "hs_cmp": os.path.join(tmp.name, "cache-cmp")}
    checkouts = [("hs", repo)] + ([("hs_cmp", Path(args.compare).resolve())] if args.compare else [])

    # first-ever compile (empty cache); it also warms the cache the workers and the cold starts use
    table: list[str] = []
    compile_s: dict[str, float] = {}
    for key, path in checkouts:
        os.makedirs(caches[key], exist_ok=True)
        l0 = load1()
        first = fresh(sys.executable, _HS_COLD, _env_for(path, caches[key]))
        compile_s[key] = first[1]
        if "compile" in rows:
            who = "hybridsim" if key == "hs" else "hybridsim (compare)"
            table.append(f"| first-ever compile, THS (import + first simulate, empty cache), {who}, s wall (CPU) | "
                         f"{compile_s[key]:.1f} ({first[4]:.1f}) | precompiled | | {l0:.2f} |")

    workers = {key: Worker(key, [sys.executable, "-c", _HS_WORKER], _env_for(path, caches[key]))
               for key, path in checkouts}
    fs = None
    if fs_py is not None:
        try:
            fs = Worker("fastsim", [fs_py, "-c", _FS_WORKER, cyc_json], _env_for(repo), greeting=True)
        except (OSError, json.JSONDecodeError) as exc:
            print(f"FASTSim worker did not start ({exc}); comparison skipped.\n")
            fs = None
    n = wltc.time_s.size

    def ratio_cells(row: Row, better_low: bool = True) -> str:
        cells = []
        if fs is not None and "fs" in row.rounds:
            r = row.ratio("fs", "hs") if better_low else row.ratio("hs", "fs")
            cells.append(f"FASTSim/hybridsim {fmt_ratio(r)}")
        if "hs_cmp" in row.rounds:
            r = row.ratio("hs_cmp", "hs") if better_low else row.ratio("hs", "hs_cmp")
            cells.append(f"compare/this {fmt_ratio(r)}")
        return "; ".join(cells)

    try:
        if "step" in rows:
            reps = 20 if args.quick else 40
            for w in workers.values():
                w.time("ths_pass", 3, warmup=2)
            contenders = [(k, (lambda w=w: statistics.median(w.time("ths_pass", reps)) / n * 1e9))
                          for k, w in workers.items()]
            if fs is not None:
                fs.time("once", 2, warmup=1)
                contenders.append(("fs", lambda: (statistics.median(fs.time("once", max(reps // 4, 5)))
                                                  - statistics.median(fs.time("build", max(reps // 4, 5)))) / n * 1e9))
            row = interleave(rounds, contenders)
            table.append(f"| THS-II step, WLTC (one kernel pass), ns | {row.med('hs'):.0f} | "
                         + (f"{row.med('fs'):.0f}" if fs else "n/a")
                         + f" | {ratio_cells(row)} | {row.load_text()} |"
                         + (f" compare: {row.med('hs_cmp'):.0f} ns" if "hs_cmp" in row.rounds else ""))

        if "step" in rows:
            reps = 20 if args.quick else 40
            contenders = [(k, (lambda w=w: statistics.median(w.time("ths_kernel", reps, warmup=2)) / n * 1e9))
                          for k, w in workers.items()]
            row = interleave(rounds, contenders)
            table.append(f"| THS-II step, WLTC, kernel only (output preallocated, no per-pass Python), ns | "
                         f"{row.med('hs'):.0f} | | {ratio_cells(row)} | {row.load_text()} |"
                         + (f" compare: {row.med('hs_cmp'):.0f} ns" if "hs_cmp" in row.rounds else ""))

        if "result" in rows:
            reps = 10 if args.quick else 20
            for w in workers.values():
                w.time("ths_result", 2, warmup=2)
            contenders = [(k, (lambda w=w: statistics.median(w.time("ths_result", reps)) * 1e3))
                          for k, w in workers.items()]
            if fs is not None:
                contenders.append(("fs", lambda: (statistics.median(fs.time("run", max(reps // 2, 5)))
                                                  - statistics.median(fs.time("build", max(reps // 2, 5)))) * 1e3))
            row = interleave(rounds, contenders)
            table.append(f"| charge-balanced THS-II WLTC result, `record=False`, ms | {row.med('hs'):.3f} | "
                         + (f"{row.med('fs'):.2f}" if fs else "n/a")
                         + f" | {ratio_cells(row)} | {row.load_text()} |"
                         + (f" compare: {row.med('hs_cmp'):.3f} ms" if "hs_cmp" in row.rounds else ""))
            if True:  # soc_balance="linear" (one pass): this checkout only (the option is new)
                w = workers["hs"]
                w.time("ths_result_linear", 2, warmup=2)
                contenders = [("hs", lambda: statistics.median(w.time("ths_result_linear", reps)) * 1e3)]
                if fs is not None:
                    contenders.append(("fs", lambda: (statistics.median(fs.time("run", max(reps // 2, 5)))
                                                      - statistics.median(fs.time("build", max(reps // 2, 5)))) * 1e3))
                row = interleave(rounds, contenders)
                table.append(f"| the same, `soc_balance=\"linear\"` (one pass), ms | {row.med('hs'):.3f} | "
                             + (f"{row.med('fs'):.2f}" if fs else "n/a")
                             + f" | {ratio_cells(row)} | {row.load_text()} |")

        if "sweep" in rows:
            srounds = 3 if args.quick else 5
            for arch, vid in BENCH_VEHICLES:
                if vid not in hs.list_vehicles():
                    continue
                cases = {"ths": 1000, "conventional": 1000, "p2": 300, "bev": 300}[arch]
                if args.quick:
                    cases //= 4
                for bal in (("exact", "linear") if arch == "ths" else ("exact",)):
                    # every checkout and thread count in one interleaved block (A1 A2 B1 B2, then reversed, …)
                    keys = [k for k in workers if bal == "exact" or k == "hs"]
                    contenders = []
                    for key in keys:
                        w = workers[key]
                        w.time(f"sweep:{vid}:1:{cases}:{bal}", 1, warmup=0)  # JIT / cache load
                        contenders += [(f"{key}:{k}", (lambda w=w, k=k, vid=vid, cases=cases, bal=bal: cases /
                                                       statistics.median(w.time(f"sweep:{vid}:{k}:{cases}:{bal}", 1,
                                                                                clock="wall"))))
                                       for k in (1, 2)]
                    row = interleave(srounds, contenders)
                    how = ", soc_balance=\"linear\"" if bal == "linear" else ""
                    for key in keys:
                        r12 = row.ratio(f"{key}:2", f"{key}:1")
                        who = "" if key == "hs" else " (compare)"
                        extra = ""
                        if key == "hs" and "hs_cmp" in keys:
                            extra = f"; this/compare at 1 thread {fmt_ratio(row.ratio('hs:1', 'hs_cmp:1'))}"
                        table.append(f"| summary-only sweep{who}{how}, WLTC, {arch} ({vid}), {cases} cases, runs/s: "
                                     f"1 thread → 2 threads | {row.med(f'{key}:1'):.0f} → {row.med(f'{key}:2'):.0f} | "
                                     f"none (no batch API) | 1→2 threads {fmt_ratio(r12)}{extra} | {row.load_text()} |")

        if "cold" in rows:
            crounds = 3 if args.quick else 7
            contenders = [(k, (lambda k=k, p=p: fresh(sys.executable, _HS_COLD, _env_for(p, caches[k]))))
                          for k, p in checkouts]
            if fs is not None:
                contenders.append(("fs", lambda: fresh(fs_py, _FS_COLD, _env_for(repo), cyc_json)))
            raw = interleave(crounds, contenders)
            row = Row()
            row.loads = raw.loads
            imp = Row()
            cpu = Row()
            for k, vals in raw.rounds.items():
                for x in vals:
                    row.add(k, x[1])
                    imp.add(k, x[0])
                    cpu.add(k, x[4])
            heavy = raw.rounds["hs"][-1][3]
            rss = max(x[2] for x in raw.rounds["hs"])
            table.append(f"| cold start: import + first `simulate`, cache warm, s (import) | {row.med('hs'):.2f} "
                         f"({imp.med('hs'):.2f}) | "
                         + (f"{row.med('fs'):.2f} ({imp.med('fs'):.2f})" if fs else "n/a")
                         + f" | {ratio_cells(row)} | {row.load_text()} |"
                         + f" process CPU from interpreter start: hybridsim {cpu.med('hs'):.2f} s"
                         + (f", FASTSim {cpu.med('fs'):.2f} s, ratio {fmt_ratio(cpu.ratio('fs', 'hs'))}" if fs else "")
                         + f"; peak RSS {rss:.0f} MB; heavy modules loaded: {heavy}"
                         + (f"; compare: {row.med('hs_cmp'):.2f} ({imp.med('hs_cmp'):.2f}) s" if "hs_cmp" in row.rounds
                            else ""))
    finally:
        for w in workers.values():
            w.close()
        if fs is not None:
            fs.close()

    print("| figure | hybridsim | FASTSim | ratio per round: median (min–max) | load |")
    print("|---|---|---|---|---|")
    for line in table:
        print(line)
    print("\nRatios > 1: the first named is slower (for times) — FASTSim/hybridsim 3× means hybridsim is 3× faster.")

    if args.memory:
        l0 = load1()
        res = subprocess.run([sys.executable, "-c", _MEMORY, str(args.memory)], check=True, capture_output=True,
                             text=True, env=_env_for(repo, caches["hs"]))
        dt, base, peak, nbytes = (float(x) for x in res.stdout.split())
        print(f"\nMemory: summary-only THS sweep of {args.memory:,} cases (ralink, WLTC): {dt:.1f} s "
              f"({args.memory / dt:.0f} runs/s, default workers); peak RSS {base / 1024:.0f} MB before → "
              f"{peak / 1024:.0f} MB after (+{(peak - base) / args.memory:.2f} KB per case); the result Dataset "
              f"{nbytes / 1e6:.1f} MB ({nbytes / args.memory:.0f} B per case); load {l0:.2f} at start, "
              f"{load1():.2f} at the end.")
    print(f"\nLoad average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
          if hasattr(os, "getloadavg") else "")
    tmp.cleanup()


if __name__ == "__main__":
    main()
