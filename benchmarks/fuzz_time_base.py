"""Seeded fuzz of the time base (issue 15 follow-up): every shipped vehicle over a 10 Hz WLTC and random 10 Hz
cycles, each against the 1 Hz run of the same trace, with the invariants of ``tests/fuzz_tools.invariant_breaks``.

    python benchmarks/fuzz_time_base.py                 # every shipped vehicle, 2 random cycles each, seed 8
    python benchmarks/fuzz_time_base.py ralink --random 5 --seed 3

``simulate`` runs a kernel on a uniform ~1 s grid (``simulate.kernel_cycle``): a 10 Hz trace whose duration is a
whole number of seconds is run on the integer-second grid, so its answer must equal the 1 Hz run's bit for bit.
One whose duration is not (the random cycles here end at t = N + 0.x s) is run on N + 1 steps of slightly less
than 1 s; its (charge-balanced) fuel and electricity per 100 km must stay within ``TOL`` of the 1 Hz run over the
first N seconds (the extra fraction of a second at the end is standstill). Every run: energy balance < 1e-9, SOC
in its window, no NaN, fuel >= 0, and a trace miss reported (``trace_miss``, TraceMissWarning beyond 2 km/h) where
the achieved speed falls below the trace. A random cycle stays within the car's reach: speed <= 88 km/h,
|acceleration| <= 1.2 m/s². Prints one line per run; exit status 1 on any break.
"""

from __future__ import annotations

import argparse
import random
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_tools import invariant_breaks  # noqa: E402

import hybridsim as hs  # noqa: E402
from hybridsim.cycles import Cycle  # noqa: E402
from hybridsim.errors import TraceMissWarning  # noqa: E402
from hybridsim.simulate import TRACE_MISS_WARN_KMH, kernel_cycle  # noqa: E402

#: relative tolerance on fuel and electricity per 100 km between a run on steps of (N+0.x)/(N+1) s and the 1 Hz
#: run: the step differs by < 0.1 % for N ≥ 600; per-step models (start fuel, inertia, timers) move by about that
TOL = 0.01


def ten_hz(c: Cycle) -> Cycle:
    t = np.arange(c.time_s[0], c.time_s[-1] + 1e-9, 0.1)
    return Cycle(name=f"{c.name}_10hz", time_s=t, speed_mps=np.interp(t, c.time_s, c.speed_mps),
                 grade=np.interp(t, c.time_s, c.grade))


def random_10hz(rng: random.Random, v_max_mps: float, duration_s: float) -> Cycle:
    """Piecewise-constant accelerations (|a| ≤ 1.2 m/s², held 1-8 s, sometimes a stop), sampled at 10 Hz."""
    n = int(round(duration_s * 10)) + 1
    v = np.zeros(n)
    a = 0.0
    hold = 0
    for k in range(1, n):
        if hold <= 0:
            a = rng.uniform(-1.2, 1.2) if rng.random() > 0.15 else -1.0
            hold = rng.randint(10, 80)
        hold -= 1
        v[k] = min(max(v[k - 1] + a * 0.1, 0.0), v_max_mps)
    v[-20:] = np.maximum(v[-20:] - np.linspace(0, v[-20], 20), 0.0)
    t = np.arange(n) * 0.1
    return Cycle(name=f"random10hz_{rng.getrandbits(16)}", time_s=t, speed_mps=v, grade=np.zeros(n))


def decimate(c: Cycle) -> Cycle:
    keep = np.abs(c.time_s - np.round(c.time_s)) < 1e-9
    return Cycle(name=c.name + "_1hz", time_s=np.round(c.time_s[keep]), speed_mps=c.speed_mps[keep],
                 grade=c.grade[keep])


def run(v, c):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ds = hs.simulate(v, c)  # charge-balanced (hybrids): fuel comparable across runs
    warned = any(issubclass(x.category, TraceMissWarning) for x in w)
    return ds, hs.summarize(ds), warned


def checks(v, c, ds, s, warned) -> list[str]:
    bad = invariant_breaks(v, ds, s)
    kc = kernel_cycle(c, v.architecture)[0]
    miss = kc.speed_mps - ds["speed"].values
    if not np.allclose(ds["trace_miss"].values, miss, atol=1e-9):
        bad.append("trace_miss is not demanded - achieved speed")
    if (np.max(miss) * 3.6 > TRACE_MISS_WARN_KMH) != warned:
        bad.append(f"trace miss {np.max(miss) * 3.6:.2f} km/h but warned={warned}")
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vehicles", nargs="*")
    ap.add_argument("--random", type=int, default=2, help="random 10 Hz cycles per vehicle")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--duration", type=float, default=900.0, help="random cycle length, s (a fraction is added)")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    wltc = hs.load_cycle("wltc")
    nbad = 0
    for vid in args.vehicles or hs.list_vehicles():
        v = hs.load_vehicle(vid)
        v_top = 110 / 3.6
        cases = [(ten_hz(wltc), wltc, True)]
        for _ in range(args.random):
            c = random_10hz(rng, v_top * 0.8, args.duration + rng.choice([0.0, 0.3, 0.7]))
            cases.append((c, decimate(c), abs(c.time_s[-1] - round(c.time_s[-1])) < 1e-9))
        for c10, c1, exact in cases:
            d10, s10, w10 = run(v, c10)
            d1, s1, w1 = run(v, c1)
            bad = checks(v, c10, d10, s10, w10) + checks(v, c1, d1, s1, w1)
            f10, f1 = s10["fuel_l_per_100km"] or 0.0, s1["fuel_l_per_100km"] or 0.0
            e10, e1 = s10["electricity_kwh_per_100km"] or 0.0, s1["electricity_kwh_per_100km"] or 0.0
            if exact:
                if (f10, e10, s10["soc_end"] if "soc_end" in s10 else 0) != (f1, e1, s1["soc_end"] if "soc_end" in s1
                                                                            else 0):
                    bad.append(f"10 Hz != 1 Hz on a whole-second trace: fuel {f10} vs {f1}, el {e10} vs {e1}")
            else:
                scale = max(abs(f1), 0.5) if f1 else 0.0
                if f1 and abs(f10 - f1) > TOL * scale:
                    bad.append(f"fuel {f10:.4f} vs {f1:.4f} L/100km")
                if abs(e10 - e1) > TOL * max(abs(e1), 5.0):
                    bad.append(f"electricity {e10:.4f} vs {e1:.4f} kWh/100km")
            nbad += bool(bad)
            print(f"{vid:18s} {c10.name:22s} fuel {f10:8.4f} vs {f1:8.4f}  el {e10:8.4f} vs {e1:8.4f}  "
                  f"miss {s10['trace_miss_max_kmh']:6.2f}/{s1['trace_miss_max_kmh']:6.2f} km/h  "
                  f"{'; '.join(bad) if bad else 'ok'}", flush=True)
    print(f"{nbad} runs with a break")
    return 1 if nbad else 0


if __name__ == "__main__":
    raise SystemExit(main())
