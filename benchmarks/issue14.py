"""The speed targets of issue 14 (plant and decisions apart), timed interleaved on this machine (never asserted in
tests):

    python benchmarks/issue14.py                 # every row below, Markdown
    python benchmarks/issue14.py --quick         # fewer rounds (a rough look)
    python benchmarks/issue14.py --compare DIR   # also time another checkout (e.g. main before a change) for
                                                 # the ECMS and DP rows; ratio DIR / this per round

Rows:

* **rule-based per step, before and after the plant split**: each architecture's rule-based kernel over WLTC
  class 3b (one pass, no SOC balance, outputs preallocated), ns per step, against the last commit before its
  plant split, exported from this repository's git history (``git archive`` into a temporary directory, nothing
  in the checkout changes): THS-II ``805b51b`` (split in 7dab604), P2 ``8f045a5`` (split in 4b36357),
  conventional and BEV ``b9d8cc1`` (split in e1fec9f). Target: within 10 % (issue 14, "Done means"). Physics added
  since (the battery window limits, MG1's rotor recovery, the torque converter's multiplication, …) is in the
  "after" figure too: the ratio is an upper bound of what the split itself costs.
* **ECMS per step**: THS-II (ralink), series-parallel (insight_2022), P2 (tank300_hi4t, charge-sustaining from its
  SOC target), THS-II plug-in (prius_prime_2023, charge-sustaining), µs per step over WLTC. Target ≤ 2 µs.
* **P2 DP over WLTC, 201 SOC points**: ``hybridsim.optimal(tank300_hi4t, wltc, soc_grid=201, record=False)``, s.
  Target ≤ 5 s.

Each figure is the process CPU time (``time.process_time``) of one pass, in a long-lived worker process per
checkout; per round every contender runs ``reps`` passes and reports the least and the median; the rounds alternate
the order of the contenders (A B, B A, …), and a ratio is taken per round. The table gives the best (least) and
median over all rounds, and the ratio's median (min–max) over the rounds. The kernel timed is the compiled
``run_*`` function ``simulate`` calls (caught from Python once, then called directly with the same arguments), so
the same code is timed in every version whatever its runner looks like.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Worker, load1, machine  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

#: (architecture, vehicle, last commit before that architecture's plant split)
BEFORE_SPLIT = (
    ("THS-II", "ralink", "805b51b"),
    ("P2 (CS)", "tank300_hi4t", "8f045a5"),
    ("conventional, automatic", "xingyue_l", "b9d8cc1"),
    ("conventional, CVT", "corolla_18_cvt", "b9d8cc1"),
    ("conventional, manual", "civic_15t_manual", "b9d8cc1"),
    ("BEV", "taycan_turbo", "b9d8cc1"),
)
ECMS = (("THS-II", "ralink"), ("series-parallel", "insight_2022"), ("P2 (CS)", "tank300_hi4t"),
        ("THS-II plug-in (CS)", "prius_prime"))
DP = (("THS-II", "ralink", 201), ("series-parallel", "insight_2022", 201),
      ("P2 (plug-in, CS band)", "tank300_hi4t", 201), ("P2 (full hybrid)", "ioniq_hybrid_2022", 201),
      ("THS-II plug-in (CS band)", "prius_prime", 201))

_WORKER = r"""
import json, sys, time, warnings
import numpy as np
import hybridsim as hs
from numba.core.registry import CPUDispatcher

warnings.simplefilter("ignore")
wltc = hs.load_cycle("wltc")
n = wltc.time_s.size
kernels = {}

def kernel(vid, strategy):
    # the compiled run_* kernel simulate() calls, with its arguments: caught once, then called directly
    key = (vid, strategy)
    if key not in kernels:
        v = hs.load_vehicle(vid)
        kw = {"soc_balance": False}
        if strategy != "rule_based":
            kw["strategy"] = strategy
        c = getattr(v, "controller", None)
        if getattr(c, "soc_target", None) is not None and (getattr(v, "plugin", False)
                                                          or v.architecture in ("p2", "ths_plugin")):
            kw["soc_init"] = c.soc_target  # a plug-in charge-sustaining: where ECMS decides
        calls = []
        orig = CPUDispatcher.__call__

        def call(self, *a, **k):
            if self.py_func.__name__.startswith("run_") and self.py_func.__name__ != "run_sums":
                calls.append((self, a, k))
            return orig(self, *a, **k)

        CPUDispatcher.__call__ = call
        try:
            hs.simulate(v, wltc, **kw)
        finally:
            CPUDispatcher.__call__ = orig
        fn, a, k = calls[-1]
        kernels[key] = lambda: fn(*a, **k)
    return kernels[key]

def dp(vid, pts):
    v = hs.load_vehicle(vid)
    return lambda: hs.optimal(v, wltc, soc_grid=pts, record=False)

print(json.dumps({"ok": True, "file": hs.__file__}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    kind, vid, arg = req["task"].split(":")
    fn = kernel(vid, arg) if kind == "kernel" else dp(vid, int(arg))
    for _ in range(req.get("warmup", 0)):
        fn()
    ts = []
    for _ in range(req["reps"]):
        c0 = time.process_time()
        fn()
        ts.append(time.process_time() - c0)
    print(json.dumps({"times": ts, "n": n}), flush=True)
"""


def _env(repo: Path, cache: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(repo), NUMBA_CACHE_DIR=cache)
    env.pop("HYBRIDSIM_NUMBA_CACHE", None)
    return env


def export(commit: str, into: Path) -> Path:
    """``commit`` of this repository as a plain directory tree (``git archive``): no worktree, no checkout change."""
    d = into / commit
    if not d.exists():
        d.mkdir(parents=True)
        arch = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(d)], input=arch, check=True)
    return d


def rounds_of(workers: dict, task: str, reps: int, rounds: int, scale: float):
    """Interleaved rounds of ``task`` on every worker: {label: [(best, median) per round]}, loads."""
    for w in workers.values():
        w.time(task, 1, warmup=1)  # compile / cache load, first call
    res = {k: [] for k in workers}
    loads = []
    keys = list(workers)
    for i in range(rounds):
        loads.append(load1())
        for k in keys if i % 2 == 0 else keys[::-1]:
            ts = workers[k].time(task, reps)
            res[k].append((min(ts) * scale, statistics.median(ts) * scale))
    return res, loads


def _ratio(a, b):
    r = [x[1] / y[1] for x, y in zip(a, b, strict=True)]
    return f"{statistics.median(r):.3f} ({min(r):.3f}–{max(r):.3f})"


def _fig(vals, fmt):
    return f"{fmt.format(min(x[0] for x in vals))} / {fmt.format(statistics.median(x[1] for x in vals))}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--compare", default=None, help="another checkout, timed against this one (ECMS and DP rows)")
    ap.add_argument("--rows", default="rules,ecms,dp", help="comma-separated subset of rules,ecms,dp")
    args = ap.parse_args(argv)
    rows = set(args.rows.split(","))
    sys.path.insert(0, str(REPO))
    import hybridsim as hs

    steps = hs.load_cycle("wltc").time_s.size - 1
    rounds = 4 if args.quick else 10
    reps = 10 if args.quick else 20
    tmp = tempfile.TemporaryDirectory(prefix="hybridsim-issue14-")
    root = Path(tmp.name)
    print("# issue 14 speed targets\n")
    print(f"Machine: {machine()}\n")
    print(f"{rounds} interleaved rounds × {reps} passes each; figures: best / median process CPU time; ratios: "
          "medians per round, median (min–max) over the rounds.\n")

    def worker(label, repo):
        cache = root / ("cache-" + label.replace("/", "_"))
        cache.mkdir(exist_ok=True)
        # -P: the current directory is not put first on sys.path (with -c it would be, before PYTHONPATH: every
        # worker started from a checkout would import that checkout)
        return Worker(label, [sys.executable, "-P", "-c", _WORKER], _env(repo, str(cache)), greeting=True)

    this = worker("this", REPO)
    print(f"this checkout: `{Path(this.info['file']).parent.parent}`\n")
    cmp_w = worker("compare", Path(args.compare).resolve()) if args.compare else None
    opened = [this] + ([cmp_w] if cmp_w else [])
    try:
        if "rules" in rows:
            print("| rule-based, WLTC, ns/step | vehicle | before the split (commit) | after (this) | after/before |")
            print("|---|---|---:|---:|---:|")
            before = {}
            for arch, vid, commit in BEFORE_SPLIT:
                if commit not in before:
                    before[commit] = worker(commit, export(commit, root))
                    opened.append(before[commit])
                ws = {"before": before[commit], "this": this}
                res, loads = rounds_of(ws, f"kernel:{vid}:rule_based", reps, rounds, 1e9 / steps)
                print(f"| {arch} | {vid} | {_fig(res['before'], '{:.0f}')} ({commit}) | {_fig(res['this'], '{:.0f}')} "
                      f"| {_ratio(res['this'], res['before'])} |", flush=True)
            print()
        if "ecms" in rows:
            print("| ECMS, WLTC, µs/step (target ≤ 2) | vehicle | this | compare | compare/this | load |")
            print("|---|---|---:|---:|---:|---|")
            for arch, vid in ECMS:
                ws = {"this": this} | ({"compare": cmp_w} if cmp_w else {})
                res, loads = rounds_of(ws, f"kernel:{vid}:ecms", reps, rounds, 1e6 / steps)
                c = (f"{_fig(res['compare'], '{:.2f}')} | {_ratio(res['compare'], res['this'])}" if cmp_w
                     else " | ")
                print(f"| {arch} | {vid} | {_fig(res['this'], '{:.2f}')} | {c} | {min(loads):.1f}–{max(loads):.1f} |",
                      flush=True)
            print()
        if "dp" in rows:
            print("| DP over WLTC, s (target ≤ 5) | vehicle, SOC points | this | compare | compare/this | load |")
            print("|---|---|---:|---:|---:|---|")
            for arch, vid, pts in DP:
                ws = {"this": this} | ({"compare": cmp_w} if cmp_w else {})
                res, loads = rounds_of(ws, f"dp:{vid}:{pts}", 1, max(rounds // 2, 3), 1.0)
                c = (f"{_fig(res['compare'], '{:.2f}')} | {_ratio(res['compare'], res['this'])}" if cmp_w
                     else " | ")
                print(f"| {arch} | {vid}, {pts} | {_fig(res['this'], '{:.2f}')} | {c} | "
                      f"{min(loads):.1f}–{max(loads):.1f} |", flush=True)
            print()
    finally:
        for w in opened:
            w.close()
        tmp.cleanup()
    print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
