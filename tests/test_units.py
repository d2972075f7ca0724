"""One units module: exact factors, UDUNITS strings, and no scattered conversion literals."""

import math
import re
from pathlib import Path

import cf_units
import pytest

from hybridsim import units

PACKAGE = Path(__file__).resolve().parents[1] / "hybridsim"


def test_factors():
    assert units.kmh(10.0) == 36.0 and units.mps(36.0) == 10.0
    assert units.kwh(3.6e6) == 1.0
    assert units.rpm(math.pi) == pytest.approx(30.0) and units.rad_s(30.0) == pytest.approx(math.pi)
    assert units.L_PER_100KM_TIMES_MPG == pytest.approx(235.2146, abs=1e-4)
    assert units.mpg_from_l_per_100km(units.mpg_from_l_per_100km(4.2)) == pytest.approx(4.2)
    assert units.M_PER_MILE / 3600.0 == 0.44704  # 1 mph in m/s, exact


@pytest.mark.parametrize("written", ["kW", "N·m", "km/h", "-", "kWh", "m²", "°C", "Ah", "g/kWh", "%",
                                     "L/100 km", "kWh/100 km", "N/(km/h)", "N/(km/h)²", "kg·m²", "kg/m³"])
def test_udunits_strings_parse(written):
    cf_units.Unit(units.udunits(written))


def test_suffix_units_parse():
    for _, unit in units.SUFFIX_UNITS:
        cf_units.Unit(unit)
    assert units.unit_of_key("peak_power_kw") == "kW" and units.unit_of_key("road_load_f1_n_per_kmh") == "N h km-1"
    assert units.unit_of_key("drag_coefficient") is None


# The numba kernels keep their literals (core/ imports only numpy, math, numba: DESIGN.md §2); the other
# three files are another work stream's (the lead's physics and EPA procedure), to convert when it lands.
ALLOWED = {"core", "units.py", "motor.py", "battery.py", "cfr600.py"}


def test_no_scattered_conversion_literals():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if ALLOWED & {rel.parts[0], rel.name}:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if re.search(r"(?<![\w.])3\.6(e6)?\b", code) and "·" not in code and "²" not in code:
                offenders.append(f"{rel}:{no}: {line.strip()}")
    assert not offenders, "use hybridsim.units: " + "; ".join(offenders)
