"""
05 · A parameter sweep: how mass and aerodynamic drag change WLTC fuel consumption
==================================================================================

Every vehicle is immutable; hybridsim.sweep derives one copy per case with the parameters changed (each
re-validated, every path and value checked before anything runs), simulates the cases in parallel and
returns ONE xarray Dataset on a ``case`` dimension, the swept parameters as coordinates.
``summary_only=True`` keeps only the headline figures of each run (no time series).

The car is the Geely Xingyue L: its file gives C_rr, C_d and the frontal area, so its road load is
computed from them (F0 = C_rr·m·g grows with the mass, F2 = ½·ρ·C_d·A with the drag).
"""

# %%
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import hybridsim as hs

out_dir = Path(os.environ.get("HYBRIDSIM_EXAMPLES_OUT", "."))
cycle = hs.load_cycle("wltc")
base = hs.load_vehicle("xingyue_l")

# %% A grid sweep: curb mass −200 … +400 kg around the car's own × four drag coefficients (28 runs).
masses = base.chassis.mass_kg + np.arange(-200, 401, 100)
cds = [0.28, 0.31, 0.33, 0.36]
ds = hs.sweep(base, cycle, {"chassis.mass_kg": masses.tolist(), "chassis.drag_coefficient": cds},
              summary_only=True)
# one row per case; unstack the case dimension into a (mass, Cd) table
fuel = ds["fuel_l_per_100km"].set_index(case=["chassis.mass_kg", "chassis.drag_coefficient"]).unstack("case")
print(fuel.round(2).to_pandas())

# %% Plot: fuel against mass, one line per drag coefficient; and against C_d·A at the car's own mass.
fig = Figure(figsize=(11, 4.2), layout="constrained")
ax_m, ax_d = fig.subplots(1, 2)
for k, cd in enumerate(cds):
    ax_m.plot(masses, fuel.sel({"chassis.drag_coefficient": cd}), marker="o", color=f"C{k}", label=f"C_d = {cd}")
ax_m.axvline(base.chassis.mass_kg, color="0.5", lw=0.8, ls="--")
ax_m.set_xlabel("curb mass [kg]")
ax_m.set_ylabel("WLTC fuel [L/100 km]")
ax_m.set_title("Mass (dashed: the car's own)")
ax_m.grid(alpha=0.3)
ax_m.legend()

own = fuel.sel({"chassis.mass_kg": base.chassis.mass_kg})
ax_d.plot(np.asarray(cds) * base.chassis.frontal_area_m2, own, marker="o", color="C0")
ax_d.set_xlabel("drag area C_d·A [m²]")
ax_d.set_ylabel("WLTC fuel [L/100 km]")
ax_d.set_title(f"Aerodynamic drag at {base.chassis.mass_kg:.0f} kg")
ax_d.grid(alpha=0.3)
fig.suptitle(f"{base.name}: parameter sweep over the WLTC (class 3b)")
fig.savefig(out_dir / "05_parameter_sweep.png", dpi=110)
print("wrote", out_dir / "05_parameter_sweep.png")
