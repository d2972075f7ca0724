"""Write docs/figures/machine_map_error_*.png: the machine loss model against each shipped measured map.

    python docs/make_machine_figures.py

One figure per map of ``tests/test_motor_maps.py`` (the same machines and cells): the fitted loss model of the
2010 Prius MG2 against its own map, and ADVISOR's torque/speed scaling of that fit against the gen-1 Prius
MG2 and MG1 maps.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    from matplotlib.figure import Figure

    sys.path.insert(0, str(HERE.parent / "tests"))
    from test_motor_maps import MAPS

    from hybridsim._resources import data_dir
    from hybridsim.plot import plot_machine_map_error

    out = HERE / "figures"
    out.mkdir(exist_ok=True)
    for key, (fname, col, motor, _sc, _tc, smin, _smax) in MAPS.items():
        ax = Figure(figsize=(6.5, 4.0), layout="tight").add_subplot()
        plot_machine_map_error(motor, data_dir("vehicles") / "maps" / fname, col, ax=ax, speed_min_rpm=smin - 1)
        path = out / f"machine_map_error_{key}.png"
        ax.figure.savefig(path, dpi=110)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
