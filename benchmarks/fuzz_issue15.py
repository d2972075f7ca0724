"""Seeded, re-runnable fuzz harness of issue 15: mutated vehicle files, in-range parameter draws and random
cycles through the loaders and the kernels; counts crashes, hangs, invariant breaks and incomplete refusals.

    python benchmarks/fuzz_issue15.py          # 5,000 mutated files + 2,000 in-range draws, 300 cycles, seed 15
    python benchmarks/fuzz_issue15.py --files 500 --draws 200 --cycles 60 --seed 1   # a quick look
    python benchmarks/fuzz_issue15.py --all --files 0 --draws 600 --cycles 80 --seed 7  # draws on every vehicle
    python benchmarks/fuzz_issue15.py --edge   # edge cycles (idle, one step, < 1 s, steep, ...) x every vehicle

Each vehicle case is one of: a shipped vehicle file with 1-3 random edits (values replaced by extremes or
scaled, lines dropped/duplicated, tables renamed, ``extends`` added, sections as values), sometimes with a
mutated map or battery table (rows dropped, columns zeroed, inf/NaN/1e300 cells, header only, empty,
non-UTF-8); or a draw of 1-4 parameters within their declared ranges. A case is:

* refused: ``read_vehicle``/``replace_path`` raised ``ValueError``; the message must be one line naming the
  file, a ``key = value`` and the allowed range or rule (else counted as an incomplete refusal);
* accepted: simulated over one of the random cycles (uniform 1 s, sub-second, uneven, coarse, graded); the
  run must keep every invariant (energy balance < 1e-9, SOC window, no NaN/inf, fuel >= 0) or raise a
  ``ValueError`` for an input combination it cannot run (counted separately, also checked for one line);
* a crash: any other exception; a hang: more than ``--timeout`` seconds.

Prints the counts and the first examples of each kind; exit status 1 if any crash, hang, invariant break or
incomplete refusal was found.
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_tools import (  # noqa: E402
    ALL_BASES,
    BASES,
    draw_vehicle,
    edge_cycles,
    invariant_breaks,
    random_cycle,
    refusal_problems,
    write_variant,
)

import hybridsim as hs  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=5000, help="mutated vehicle files")
    ap.add_argument("--draws", type=int, default=2000, help="vehicles drawn within the declared ranges")
    ap.add_argument("--cycles", type=int, default=300, help="random cycles in the pool")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--all", action="store_true",
                    help="draw from every shipped vehicle (all architectures), not one base per architecture")
    ap.add_argument("--edge", action="store_true",
                    help="only the hand-made edge cycles (tests/fuzz_tools.edge_cycles) on every shipped vehicle and "
                         "strategy (dynamic programming aside)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    args = ap.parse_args(argv)
    if args.edge:
        return edge(args.timeout)
    rng = random.Random(args.seed)
    kinds = ["file"] * args.files + ["draw"] * args.draws
    rng.shuffle(kinds)
    cycles = [random_cycle(random.Random(args.seed * 100_003 + i)) for i in range(args.cycles)]
    counts = collections.Counter()
    examples = collections.defaultdict(list)
    signal.signal(signal.SIGALRM, _alarm)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for k, kind in enumerate(kinds):
            case_rng = random.Random(rng.getrandbits(64))
            cyc = cycles[k % len(cycles)]
            label = ""
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                if kind == "draw":
                    bases = ALL_BASES if args.all else BASES
                    arch = case_rng.choice(sorted(bases))
                    v, changes, refusal = draw_vehicle(case_rng, arch, case_rng.choice([1, 2, 3, 4]), bases)
                    label = f"draw {arch} {changes}"
                    counts["draws"] += 1
                    if refusal is not None:
                        counts["refused"] += 1
                        probs = _draw_refusal(refusal, changes)
                        if probs:
                            counts["refusal incomplete"] += 1
                            examples["refusal incomplete"].append(f"{label}: {refusal} [{', '.join(probs)}]")
                        continue
                else:
                    path, files = write_variant(case_rng, folder, k)
                    label = f"file {path.name}"
                    counts["files"] += 1
                    try:
                        v = hs.read_vehicle(path)
                    except ValueError as exc:
                        counts["refused"] += 1
                        probs = refusal_problems(str(exc), files)
                        if probs:
                            counts["refusal incomplete"] += 1
                            examples["refusal incomplete"].append(f"{label}: {exc} [{', '.join(probs)}]")
                        continue
                counts["accepted"] += 1
                try:
                    ds = hs.simulate(v, cyc)
                except ValueError as exc:
                    counts["run refused"] += 1
                    if "\n" in str(exc).strip():
                        counts["refusal incomplete"] += 1
                        examples["refusal incomplete"].append(f"{label} on {cyc.name}: {exc}")
                    else:
                        examples["run refused"].append(f"{label} on {cyc.name}: {exc}")
                    continue
                s = hs.summarize(ds)
                bad = invariant_breaks(v, ds, s)
                if bad:
                    counts["invariant broken"] += 1
                    examples["invariant broken"].append(f"{label} on {cyc.name} ({cyc.time_s.size} samples): "
                                                        f"{'; '.join(bad)}")
                else:
                    counts["runs ok"] += 1
            except Hang:
                counts["hang"] += 1
                examples["hang"].append(label)
            except Exception as exc:  # noqa: BLE001 - counting crashes is the point
                counts["crash"] += 1
                tb = traceback.format_exception(exc)[-3:]
                examples["crash"].append(f"{label}: {type(exc).__name__}: {exc} | {''.join(tb).strip()[-300:]}")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if (k + 1) % 500 == 0:
                print(f"... {k + 1} cases, {time.time() - t0:.0f} s: {dict(counts)}", flush=True)
    print(f"\nseed {args.seed}: {len(kinds)} vehicle cases ({counts['files']} mutated files, {counts['draws']} "
          f"in-range draws), {len(cycles)} cycles, {time.time() - t0:.0f} s")
    for key in ("accepted", "runs ok", "refused", "run refused", "crash", "hang", "invariant broken",
                "refusal incomplete"):
        print(f"  {key:20s} {counts[key]}")
    for key in ("crash", "hang", "invariant broken", "refusal incomplete", "run refused"):
        for e in examples[key][:8]:
            print(f"[{key}] {e}")
    bad = counts["crash"] + counts["hang"] + counts["invariant broken"] + counts["refusal incomplete"]
    return 1 if bad else 0


def edge(timeout: float) -> int:
    """Every shipped vehicle and strategy over the edge cycles; prints each run that breaks an invariant or
    fails, and the counts."""
    import warnings

    from hybridsim.powertrains import STRATEGIES

    counts = collections.Counter()
    signal.signal(signal.SIGALRM, _alarm)
    for vid in hs.list_vehicles():
        v = hs.load_vehicle(vid)
        for cyc in edge_cycles():
            for strategy in STRATEGIES[v.architecture]:
                if strategy == "dp":
                    continue
                label = f"{vid} {cyc.name} {strategy}"
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ds = hs.simulate(v, cyc, strategy=strategy)
                    bad = invariant_breaks(v, ds, hs.summarize(ds))
                    counts["invariant broken" if bad else "runs ok"] += 1
                    if bad:
                        print(f"[invariant broken] {label}: {'; '.join(bad)}", flush=True)
                except Hang:
                    counts["hang"] += 1
                    print(f"[hang] {label}", flush=True)
                except Exception as exc:  # noqa: BLE001 - counting failures is the point
                    counts["crash"] += 1
                    print(f"[crash] {label}: {type(exc).__name__}: {exc}", flush=True)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
    print(dict(counts))
    return 1 if counts["invariant broken"] + counts["crash"] + counts["hang"] else 0


def _draw_refusal(msg: str, changes) -> list[str]:
    """A refusal of an in-range draw must name one of the drawn keys (or a key a rule ties them to) and the
    rule; there is no file."""
    probs = []
    if "\n" in msg.strip():
        probs.append("more than one line")
    if " = " not in msg:
        probs.append("no key = value")
    if not any(w in msg for w in ("allowed", "must", "required", "needs", "cannot")):
        probs.append("no range or rule")
    return probs


if __name__ == "__main__":
    raise SystemExit(main())
