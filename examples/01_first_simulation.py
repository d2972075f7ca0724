"""
01 · A first simulation: a conventional SUV over the WLTC
=========================================================

Load a shipped vehicle and a shipped drive cycle, run the simulation, print the headline figures and
draw the speed, power and engine-speed traces plus where the fuel energy went.

Run: ``python examples/01_first_simulation.py`` (the figure is written to the folder named by the
environment variable ``HYBRIDSIM_EXAMPLES_OUT``, default the current folder).
"""

# %%
import os
from pathlib import Path

import hybridsim as hs
from hybridsim import plot

out_dir = Path(os.environ.get("HYBRIDSIM_EXAMPLES_OUT", "."))

# %% The vehicle is a TOML file of parameters, each with its source (see vehicles/xingyue_l.toml).
vehicle = hs.load_vehicle("xingyue_l")
cycle = hs.load_cycle("wltc")  # alias of wltc_class3b
print(vehicle.name, "|", cycle)

# %% simulate() returns an xarray Dataset (SI units on every variable); summarize() the headline figures.
ds = hs.simulate(vehicle, cycle)
s = hs.summarize(ds)
print(f"fuel {s['fuel_l_per_100km']:.2f} L/100 km, CO2 {s['co2_g_per_km']:.0f} g/km, "
      f"energy-balance error {s['energy_balance_rel_error']:.1e}")

# %% Time traces (speed, power, engine speed and gear) and the energy breakdown.
fig = plot.plot_run(ds)
fig.savefig(out_dir / "01_first_simulation.png", dpi=110)
ax = plot.plot_energy_breakdown(ds)
ax.figure.savefig(out_dir / "01_energy_breakdown.png", dpi=110)
print("wrote", out_dir / "01_first_simulation.png", "and", out_dir / "01_energy_breakdown.png")
