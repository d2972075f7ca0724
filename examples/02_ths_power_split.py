"""
02 · Inside the Toyota THS-II power split (Levin / Ralink hybrid over the WLTC)
===============================================================================

The engine sits on the carrier of a planetary gear set, MG1 on the sun and the wheels (with MG2) on
the ring. The controller keeps the engine on its optimal operating line and lets MG1 set the engine
speed; the battery buffers the difference. This example shows the speeds of the three shafts, a lever
diagram at one instant, the engine operating points on its efficiency map, and the battery SOC.
"""

# %%
import os
from pathlib import Path

from matplotlib.figure import Figure

import hybridsim as hs
from hybridsim import plot

out_dir = Path(os.environ.get("HYBRIDSIM_EXAMPLES_OUT", "."))

# %% A charge-balanced run (the initial SOC is iterated until the battery ends where it started).
vehicle = hs.load_vehicle("ralink")
ds = hs.simulate(vehicle, hs.load_cycle("wltc"))
s = hs.summarize(ds)
print(f"{vehicle.name}: {s['fuel_l_per_100km']:.2f} L/100 km over the WLTC "
      f"(SOC {s['soc_start']:.3f} → {s['soc_end']:.3f}, {s['soc_balance_method']})")

# %% Speeds of the power-split shafts: MG1 runs backwards whenever the engine is slow and the car fast.
fig = Figure(figsize=(13, 9), layout="constrained")
axes = fig.subplot_mosaic([["split", "split"], ["map", "lever"], ["soc", "soc"]],
                          height_ratios=[1, 1.4, 0.8], width_ratios=[1.5, 1])
plot.plot_power_split(ds, axes["split"])

# %% Lever diagram in the extra-high phase (t = 1600 s, ≈ 110 km/h): the three speeds lie on one line.
plot.plot_lever(ds, 1600, axes["lever"])

# %% Engine operating points on the brake-efficiency map: they sit on the optimal operating line.
plot.plot_engine_map(ds, axes["map"], vehicle=vehicle)
plot.plot_soc(ds, axes["soc"])
fig.savefig(out_dir / "02_ths_power_split.png", dpi=100)
print("wrote", out_dir / "02_ths_power_split.png")
