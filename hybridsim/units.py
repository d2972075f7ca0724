"""Unit conversions and unit strings: the one place for the factors between SI (inside) and the human
units of files, summaries and plots (km/h, kW, kWh, rpm, L/100 km, mpg), and for the UDUNITS strings
written into results (``units`` attributes follow the CF conventions, so ``cf_units``/UDUNITS parse them).

The numba kernels under ``hybridsim/core`` keep their own literals (they import only numpy, math and
numba, DESIGN.md §2); every other module converts through these names.
"""

from __future__ import annotations

import math

# --- exact conversion factors -------------------------------------------------------------------------
KMH_PER_MPS = 3.6  #: km/h per m/s
MPS_PER_KMH = 1.0 / 3.6  #: m/s per km/h
J_PER_KWH = 3.6e6  #: J per kWh
J_PER_MJ = 1e6  #: J per MJ
W_PER_KW = 1e3  #: W per kW
M_PER_KM = 1e3  #: m per km
J_PER_M_PER_WH_PER_KM = 3.6  #: J/m per Wh/km
G_PER_KG = 1e3  #: g per kg
L_PER_M3 = 1e3  #: L per m³
RPM_PER_RAD_S = 30.0 / math.pi  #: rpm per rad/s
RAD_S_PER_RPM = math.pi / 30.0  #: rad/s per rpm
PA_PER_BAR = 1e5  #: Pa per bar
KG_PER_LB = 0.45359237  #: kg per pound (exact)
M_PER_MILE = 1609.344  #: m per statute mile (exact)
L_PER_US_GALLON = 3.785411784  #: L per US gallon (exact)
#: L/100 km × mpg (US gallon, statute mile) = 235.2146
L_PER_100KM_TIMES_MPG = 100.0 * L_PER_US_GALLON / (M_PER_MILE / M_PER_KM)
STANDARD_GRAVITY_MPS2 = 9.80665  #: m/s² (CGPM 1901)


def kmh(speed_mps):
    """m/s → km/h."""
    return speed_mps * KMH_PER_MPS


def mps(speed_kmh):
    """km/h → m/s."""
    return speed_kmh / KMH_PER_MPS


def kwh(energy_j):
    """J → kWh."""
    return energy_j / J_PER_KWH


def rpm(speed_rad_s):
    """rad/s → rpm."""
    return speed_rad_s * RPM_PER_RAD_S


def rad_s(speed_rpm):
    """rpm → rad/s."""
    return speed_rpm * RAD_S_PER_RPM


def mpg_from_l_per_100km(l_per_100km: float) -> float:
    """L/100 km → US mpg (and back: the conversion is its own inverse)."""
    return L_PER_100KM_TIMES_MPG / l_per_100km


# --- UDUNITS strings for results (CF ``units`` attributes) ----------------------------------------------
#: "L/100 km" would parse as (L/100)·km; the parentheses make it litres per 100 km.
L_PER_100KM = "L/(100 km)"
KWH_PER_100KM = "kW h/(100 km)"
KWH = "kW h"

#: Unit words used in vehicle-file descriptions and key suffixes → UDUNITS.
_UDUNITS = {"-": "1", "": "1", "kWh": "kW h", "N·m": "N m", "Nm": "N m", "kg·m²": "kg m2", "m²": "m2",
            "m³": "m3", "kg/m³": "kg m-3", "km/h": "km h-1", "N/(km/h)": "N h km-1",
            "N/(km/h)²": "N h2 km-2", "°C": "degC", "Ah": "A h", "g/kWh": "g kW-1 h-1", "rpm": "rpm",
            "%": "percent", "ohm": "ohm", "Ω": "ohm", "1/s": "s-1", "J/K": "J K-1", "W/K": "W K-1",
            "kg/L": "kg L-1", "MJ/kg": "MJ kg-1", "g/km": "g km-1", "L/100 km": L_PER_100KM,
            "kWh/100 km": KWH_PER_100KM}
#: Key suffixes (vehicle files, run attributes) → UDUNITS, longest first.
SUFFIX_UNITS = (("_n_per_kmh2", "N h2 km-2"), ("_n_per_kmh", "N h km-1"), ("_n_per_mps2", "N s2 m-2"),
                ("_n_per_mps", "N s m-1"), ("_kg_per_l", "kg L-1"), ("_j_per_kg", "J kg-1"),
                ("_kgm2", "kg m2"), ("_kg_m3", "kg m-3"), ("_kwh", "kW h"), ("_kmh", "km h-1"),
                ("_rad_s", "rad s-1"), ("_mps", "m s-1"), ("_kw", "kW"), ("_kg", "kg"), ("_rpm", "rpm"),
                ("_nm", "N m"), ("_m2", "m2"), ("_ah", "A h"), ("_ohm", "ohm"), ("_pct", "percent"),
                ("_s", "s"), ("_m", "m"), ("_n", "N"), ("_v", "V"), ("_a", "A"), ("_w", "W"), ("_j", "J"),
                ("_c", "degC"))


def udunits(unit: str) -> str:
    """A unit as written in descriptions ("kW", "N·m", "km/h", "-") → a UDUNITS string."""
    return _UDUNITS.get(unit.strip(), unit.strip())


def unit_of_key(key: str) -> str | None:
    """The UDUNITS unit a key's suffix names (``peak_power_kw`` → ``kW``), or None."""
    for suffix, unit in SUFFIX_UNITS:
        if key.endswith(suffix):
            return unit
    return None
