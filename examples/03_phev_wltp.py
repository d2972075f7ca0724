"""
03 · A plug-in hybrid through the WLTP (GWM Tank 300 Hi4-T)
===========================================================

A PHEV is tested twice: charge-depleting (repeated WLTCs from a full battery until the battery stops
delivering energy) and charge-sustaining; the results are weighted with the utility factor, the share
of driving a user covers electrically. Here we run the procedure (hybridsim.procedures.wltp) and then
drive five WLTCs back to back from full charge to see the battery run down and the engine take over.
"""

# %%
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import hybridsim as hs
from hybridsim import procedures

out_dir = Path(os.environ.get("HYBRIDSIM_EXAMPLES_OUT", "."))
vehicle = hs.load_vehicle("tank300_hi4t")

# %% The regulation's numbers: UF-weighted fuel and electricity, electric range (AER), CS fuel.
r = procedures.wltp(vehicle)
print(f"test mass {r['test_mass_kg']:.0f} kg, {r['wltc_class']}")
print(f"UF-weighted fuel {r['fuel_weighted_l_per_100km']:.2f} L/100 km, electricity "
      f"{r['electricity_weighted_kwh_per_100km']:.1f} kWh/100 km (UF table {r['uf_table']})")
print(f"AER {r['electric_range_km']:.0f} km, EAER {r['equivalent_all_electric_range_km']:.0f} km, "
      f"charge-sustaining fuel {r['fuel_cs_l_per_100km']:.2f} L/100 km")

# %% Five WLTCs back to back from a full battery (soc_init=None means full for a plug-in).
w = hs.load_cycle("wltc")
n = 5
t = np.concatenate([w.time_s[:-1] + k * w.duration_s for k in range(n)] + [[n * w.duration_s]])
v = np.concatenate([w.speed_mps[:-1]] * n + [[0.0]])
long = hs.Cycle("wltc_x5", t, v, 0.0)
ds = hs.simulate(vehicle, long, soc_balance=False)
dist_km = np.concatenate([[0.0], np.cumsum(0.5 * (ds.speed.values[1:] + ds.speed.values[:-1]) * np.diff(t))]) / 1e3

# %% SOC and fuel over the distance driven: charge-depleting first, then charge-sustaining.
fig = Figure(figsize=(10, 6), layout="constrained")
ax1, ax2 = fig.subplots(2, 1, sharex=True)
ax1.plot(dist_km, ds.soc.values * 100, color="C2")
ax1.set_ylabel("state of charge [%]")
ax1.set_title(f"{vehicle.name}: five WLTCs from full charge")
ax1.grid(alpha=0.3)
fuel_l = np.concatenate([[0.0], np.cumsum(ds.fuel_rate.values[1:] * np.diff(t))]) / ds.attrs["fuel_density_kg_per_l"]
ax2.plot(dist_km, fuel_l, color="C3")
ax2.axvline(r["electric_range_km"], color="0.4", ls="--", label=f"AER {r['electric_range_km']:.0f} km (procedure)")
ax2.set_xlabel("distance [km]")
ax2.set_ylabel("fuel used [L]")
ax2.legend(loc="upper left")
ax2.grid(alpha=0.3)
fig.savefig(out_dir / "03_phev_wltp.png", dpi=110)
print("wrote", out_dir / "03_phev_wltp.png")
