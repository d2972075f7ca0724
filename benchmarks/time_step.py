"""How the kernels' answers move with their time step: every shipped vehicle (or those named) over a cycle with
the kernel grid of ``simulate.kernel_cycle`` set to 1, 0.5, 0.25 and 0.1 s (the trace linearly interpolated).

    python benchmarks/time_step.py                      # WLTC, every shipped vehicle
    python benchmarks/time_step.py ralink xingyue_l --cycle nedc --steps 1,0.5

``simulate`` always runs a kernel on a uniform ~1 s grid (a 10 Hz or uneven input is resampled onto it, so its
answer is the 1 Hz answer of the same trace); only a cycle shorter than 1 s runs at a smaller step. This script
shows what a finer kernel step would give: per vehicle, fuel and DC electricity per 100 km, largest trace miss,
energy-balance error and lowest SOC at each step, without the charge balance (``soc_balance=False``).
"""

from __future__ import annotations

import argparse
import importlib
import warnings

import hybridsim as hs
from hybridsim.results import energy_balance


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vehicles", nargs="*", help="vehicle ids (default: every shipped vehicle)")
    ap.add_argument("--cycle", default="wltc")
    ap.add_argument("--steps", default="1,0.5,0.25,0.1", help="kernel steps to try, s")
    args = ap.parse_args(argv)
    sim = importlib.import_module("hybridsim.simulate")
    cycle = hs.load_cycle(args.cycle)
    steps = [float(x) for x in args.steps.split(",")]
    print(f"{'vehicle':18s} {'step_s':>6s} {'fuel_l/100km':>12s} {'el_kwh/100km':>12s} {'miss_kmh':>8s} "
          f"{'balance':>8s} {'soc_min':>7s}")
    try:
        for vid in args.vehicles or hs.list_vehicles():
            v = hs.load_vehicle(vid)
            for dt in steps:
                sim.KERNEL_STEP_S = dt
                sim.kernel_cycle.cache_clear()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = hs.simulate(v, cycle, soc_balance=False)
                s = hs.summarize(ds)
                soc_min = float(ds["soc"].min()) if "soc" in ds else float("nan")
                print(f"{vid:18s} {dt:6g} {s['fuel_l_per_100km']:12.4f} {s['electricity_kwh_per_100km']:12.4f} "
                      f"{s['trace_miss_max_kmh']:8.2f} {energy_balance(ds)['rel_error']:8.1e} {soc_min:7.4f}",
                      flush=True)
    finally:
        sim.KERNEL_STEP_S = 1.0
        sim.kernel_cycle.cache_clear()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
