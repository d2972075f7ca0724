"""
04 · Porsche Taycan Turbo and Turbo S: acceleration and top speed against Porsche's figures
===========================================================================================

hybridsim.performance integrates the full-power acceleration with the motor and battery limits, the
two-speed rear gearbox and the tyre grip; the claims come from the vehicle files.
"""

# %%
import os
from pathlib import Path

from matplotlib.figure import Figure

import hybridsim as hs
from hybridsim import performance

out_dir = Path(os.environ.get("HYBRIDSIM_EXAMPLES_OUT", "."))
cars = [hs.load_vehicle(vid) for vid in ("taycan_turbo", "taycan_turbo_s")]

# %% Headline performance of both cars next to the claimed values.
summaries, claims = {}, {}
for v in cars:
    s = summaries[v.id] = performance.summary(v)
    c = claims[v.id] = {c.quantity: c.value for c in v.claims if c.procedure == "perf"}
    print(f"{v.name}: 0-100 {s['accel_0_100_s']:.2f} s (claim {c.get('accel_0_100_s')}), "
          f"0-200 {s.get('accel_0_200_s', float('nan')):.2f} s (claim {c.get('accel_0_200_s')}), "
          f"top speed {s['top_speed_kmh']:.0f} km/h (claim {c.get('top_speed_kmh')})")

# %% Speed against time from standstill (one acceleration run per end speed).
fig = Figure(figsize=(11, 4.5), layout="constrained")
ax_t, ax_c = fig.subplots(1, 2, width_ratios=[1.3, 1])
speeds = list(range(10, 201, 10))
for k, v in enumerate(cars):
    times = [performance.acceleration(v, 0.0, x) for x in speeds]
    ax_t.plot([0.0, *times], [0, *speeds], marker=".", color=f"C{k}", label=v.name)
ax_t.set_xlabel("time [s]")
ax_t.set_ylabel("speed [km/h]")
ax_t.set_title("Full-power acceleration from standstill")
ax_t.grid(alpha=0.3)
ax_t.legend()

# %% Claimed (wide grey bars) against simulated (narrow coloured bars) 0-100 and 0-200 km/h times.
for k, v in enumerate(cars):
    s, c = summaries[v.id], claims[v.id]
    for q, off in (("accel_0_100_s", -0.2), ("accel_0_200_s", 0.2)):
        if q in c and q in s:
            ax_c.bar(k + off, c[q], width=0.35, color="0.7", label="claimed" if k == 0 and off < 0 else None)
            ax_c.bar(k + off, s[q], width=0.18, color=f"C{k}",
                     label=f"simulated, {v.name.split(' (')[0]}" if off < 0 else None)
ax_c.set_xticks([-0.2, 0.2, 0.8, 1.2], ["Turbo\n0-100", "Turbo\n0-200", "Turbo S\n0-100", "Turbo S\n0-200"])
ax_c.set_ylabel("time [s]")
ax_c.set_title("Claimed (wide grey) vs simulated (narrow)")
ax_c.legend(fontsize=8)
fig.savefig(out_dir / "04_taycan_performance.png", dpi=110)
print("wrote", out_dir / "04_taycan_performance.png")
