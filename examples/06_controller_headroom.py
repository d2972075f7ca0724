"""
06 · How much better could the controller do? Rules, ECMS and the DP optimum (Ralink, six cycles)
=================================================================================================

Three energy managements drive the same THS-II plant step: the Toyota-like rules (the default), an adaptive
ECMS (each second the engine choice with the least fuel + s(SOC)·battery energy), and dynamic programming,
which knows the whole cycle in advance and finds the least fuel any controller of this car could burn with
the battery ending where it started. Every figure is charge-balanced. The gap between the rules and the DP is
the headroom left in the controller; the DP trace here uses a 101-point SOC grid (finer grids find a little
less fuel: see ``benchmarks/strategies.py``).
"""

# %%
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import hybridsim as hs

out_dir = Path(os.environ.get("HYBRIDSIM_EXAMPLES_OUT", "."))
vehicle = hs.load_vehicle("ralink")
cycles = ["nedc", "wltc", "udds", "hwfet", "us06", "artemis_urban"]
if os.environ.get("HYBRIDSIM_EXAMPLES_QUICK"):  # the test suite's smoke run (the docs build runs all six)
    cycles = ["wltc", "us06"]

# %% Fuel per strategy and cycle, as a table for reviewers
rows = []
runs = {}
for name in cycles:
    cycle = hs.load_cycle(name)
    rb = hs.simulate(vehicle, cycle)
    ec = hs.simulate(vehicle, cycle, strategy="ecms")
    dp = hs.optimal(vehicle, cycle, soc_grid=101)
    runs[name] = (rb, ec, dp)
    f = [hs.summarize(d)["fuel_l_per_100km"] for d in (rb, ec, dp)]
    rows.append((name, *f))
print(f"{'cycle':15s} {'rules':>8s} {'ECMS':>8s} {'DP':>8s} {'DP vs rules':>12s}   [L/100 km, charge-balanced]")
for name, r, e, d in rows:
    print(f"{name:15s} {r:8.3f} {e:8.3f} {d:8.3f} {100 * (d / r - 1):+11.1f} %")

# %% Bars per cycle, and the SOC traces of the three over the WLTC
fig = Figure(figsize=(12, 8), layout="constrained")
ax_bar, ax_soc = fig.subplots(2, 1, height_ratios=[1, 1])
x = np.arange(len(rows))
for i, label in enumerate(("rule-based", "ECMS", "DP optimum")):
    ax_bar.bar(x + (i - 1) * 0.27, [r[1 + i] for r in rows], width=0.27, label=label)
ax_bar.set_xticks(x, [r[0] for r in rows])
ax_bar.set_ylabel("fuel [L/100 km]")
ax_bar.set_ylim(0, None)
ax_bar.legend(loc="upper left")
ax_bar.set_title(f"{vehicle.name}: fuel by energy management")
for ds, label in zip(runs["wltc"], ("rule-based", "ECMS", "DP optimum"), strict=True):
    ax_soc.plot(ds["time"], ds["soc"], label=label, lw=1)
ax_soc.set_xlabel("time [s]")
ax_soc.set_ylabel("SOC [-]")
ax_soc.set_title("WLTC: state of charge")
ax_soc.legend(loc="lower left")
fig.savefig(out_dir / "06_controller_headroom.png", dpi=100)
print("wrote", out_dir / "06_controller_headroom.png")
