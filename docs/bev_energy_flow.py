"""Energy flow of battery-electric cars on the EPA cycles, per 100 km: from the wall to the wheels.

    python docs/bev_energy_flow.py [vehicle ...]      (default: taycan_turbo leaf_40kwh)

Each cycle as ``procedures.epa`` runs it (the file's ``[test_conditions.epa]`` test weight and target road
load, from full charge; wall = the recharge to the start SOC). Rows, kWh/100 km: the wheel work at the tyre
(traction minus what is recovered), the friction brakes, each loss of the chain, the accessories, the
battery terminals, the charger and battery losses of the recharge, the wall; and the coast-down drag the
machines' model takes out of the measured road load (``components/coastdown.py``) with what the kernels
charge the machines at zero torque over the same run. Diagnostic only: no figure here is a test.
"""

from __future__ import annotations

import sys

import numpy as np

import hybridsim as hs
from hybridsim.procedures._common import procedure_test_vehicle
from hybridsim.procedures.bev import recharge_energy_j
from hybridsim.units import J_PER_KWH


def flows(vehicle_id: str, cycle_name: str) -> dict[str, float]:
    v = hs.load_vehicle(vehicle_id)
    test, _ = procedure_test_vehicle(v, "epa", v.chassis.mass_kg)
    ds = hs.simulate(test, hs.load_cycle(cycle_name), soc_balance=False)
    t = ds["time"].values
    dt = np.diff(t)
    km = float(np.sum(0.5 * (ds["speed"].values[1:] + ds["speed"].values[:-1]) * dt)) / 1e3

    def e(name, sign=None):
        p = ds[name].values[1:]
        if sign == "+":
            p = np.maximum(p, 0.0)
        elif sign == "-":
            p = np.minimum(p, 0.0)
        return float(np.sum(p * dt)) / J_PER_KWH / km * 100.0

    s = hs.summarize(ds)
    term_j, wall_j = recharge_energy_j(test, s["soc_end"], s["soc_start"])
    per = 100.0 / km / J_PER_KWH
    out = {
        "wheel, traction": e("wheel_power", "+"),
        "wheel, recovered": e("wheel_power", "-"),
        "friction brakes": e("brake_power"),
        "gearbox (reductions)": e("gearbox_loss"),
        "rear rotor inertia (1st gear)": e("rear_rotor_inertia_power"),
        "front machine": e("front_motor_loss"),
        "rear machine": e("rear_motor_loss"),
        "inverters": e("inverter_loss"),
        "accessories (battery side)": e("accessory_power"),
        "battery, drive": e("battery_loss"),
        "battery terminals, drive": e("battery_power"),
        "recharge: battery terminals": term_j * per,
        "recharge: charger loss": (wall_j - term_j) * per,
        "wall": wall_j * per,
        "time per distance [s/km]": float(t[-1] - t[0]) / km,
    }
    return out


def main(argv: list[str]) -> None:
    ids = argv or ["taycan_turbo", "leaf_40kwh"]
    cols = [(vid, cyc) for vid in ids for cyc in ("udds", "hwfet")]
    res = {c: flows(*c) for c in cols}
    rows = list(next(iter(res.values())))
    head = "kWh/100 km".ljust(32) + "".join(f"{vid[:14]:>16s}" for vid, _ in cols)
    print(head)
    print(" " * 32 + "".join(f"{cyc:>16s}" for _, cyc in cols))
    for r in rows:
        print(r.ljust(32) + "".join(f"{res[c][r]:16.3f}" for c in cols))


if __name__ == "__main__":
    main(sys.argv[1:])
