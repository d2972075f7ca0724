"""05 · A parameter sweep: how mass and aerodynamic drag change WLTC fuel consumption.

Every vehicle is immutable; hybridsim.vehicle.replace_path derives a copy with one parameter changed
(and re-validated). A plain loop is enough for a few dozen runs; for large sweeps use the batch API
(hybridsim.batch, which runs many cases and returns one Dataset).
"""

# %%
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import hybridsim as hs
from hybridsim.vehicle import replace_path

out_dir = Path(os.environ.get("HYBRIDSIM_EXAMPLES_OUT", "."))
cycle = hs.load_cycle("wltc")
cars = {"xingyue_l": "Xingyue L (conventional)", "ralink": "Levin / Ralink (THS-II hybrid)"}

# %% Mass: curb mass from −200 kg to +400 kg around each car's own. The Levin's file gives coast-down
# road-load coefficients (fixed F0, F1, F2), so for it mass acts through inertia only; the Xingyue L's
# road load is computed from C_rr, Cd and A, so its rolling resistance grows with the mass too.
fig = Figure(figsize=(11, 4.2), layout="constrained")
ax_m, ax_d = fig.subplots(1, 2)
for k, (vid, label) in enumerate(cars.items()):
    base = hs.load_vehicle(vid)
    masses = base.chassis.mass_kg + np.arange(-200, 401, 100)
    fuel = [hs.summarize(hs.simulate(replace_path(base, "chassis.mass_kg", float(m)), cycle))["fuel_l_per_100km"]
            for m in masses]
    ax_m.plot(masses, fuel, marker="o", color=f"C{k}", label=label)
    print(label, "mass:", [f"{m:.0f} kg → {f:.2f}" for m, f in zip(masses, fuel, strict=True)])
ax_m.set_xlabel("curb mass [kg]")
ax_m.set_ylabel("WLTC fuel [L/100 km]")
ax_m.set_title("Mass")
ax_m.grid(alpha=0.3)
ax_m.legend()

# %% Drag: the Xingyue L's file gives Cd and frontal area (its road load is computed from them).
base = hs.load_vehicle("xingyue_l")
cds = np.linspace(0.26, 0.40, 8)
fuel = [hs.summarize(hs.simulate(replace_path(base, "chassis.drag_coefficient", float(c)), cycle))["fuel_l_per_100km"]
        for c in cds]
cda = cds * base.chassis.frontal_area_m2
ax_d.plot(cda, fuel, marker="o", color="C0", label=cars["xingyue_l"])
ax_d.set_xlabel("drag area Cd·A [m²]")
ax_d.set_ylabel("WLTC fuel [L/100 km]")
ax_d.set_title("Aerodynamic drag")
ax_d.grid(alpha=0.3)
ax_d.legend()
fig.suptitle("Parameter sweep over the WLTC (class 3b)")
fig.savefig(out_dir / "05_parameter_sweep.png", dpi=110)
print("wrote", out_dir / "05_parameter_sweep.png")
