"""Traction battery: internal-resistance (Rint) model with OCV(SOC), R_dis(SOC), R_chg(SOC).

Equations (reference/components.md §3.1; Guzzella & Sciarretta ch. 4)::

    terminal power P_b (discharge > 0), R = R_dis if P_b > 0 else R_chg
    I    = (V_oc − √(V_oc² − 4·R·P_b)) / (2R)          the exact root of P_b = V_oc·I − R·I²
    V_t  = V_oc − R·I ;   P_chem = V_oc·I_eff ;   resistive loss R·I²
    I_eff = I (discharge), η_c·I (charge) ;   SOC' = SOC − I_eff·Δt/(3600·Q)
    coulombic loss (charging) = (1 − η_c)·V_oc·|I|

Power limits, voltage-limited (§3.1)::

    P_dis,max = min(P_dis,rated, V_min·(V_oc − V_min)/R_dis)
    P_chg,max = min(P_chg,rated, V_max·(V_max − V_oc)/R_chg)

with a linear derate to zero over the last ``soc_derate_band`` of the SOC window.

Optional 1-RC Thevenin branch (§3.1), for a table whose resistance is a pulse resistance (HPPC: the voltage
change at the end of a 10-s pulse over the current step, which holds the polarisation as well as the ohmic
drop)::

    R0 = ohmic_fraction·R(SOC),  R1 = polarisation_fraction·(R_dis + R_chg)/2,  τ = polarisation_time_constant_s
    V_t = V_oc − R0·I − V1,   C1·dV1/dt = I − V1/R1   (C1 = τ/R1)

At a constant current over the step Δt from V1₀ (exact): V1 = R1·I + (V1₀ − R1·I)·e^(−t/τ), so the step's
terminal power is P_b = (V_oc − g·V1₀)·I − (R0 + R1·(1 − g))·I² with g = (τ/Δt)·(1 − e^(−Δt/τ)): the Rint
equations above with a step OCV and a step resistance. The branch's loss is ∫V1²/R1 dt; the energy ½·C1·V1² it
holds is a state, booked per step as the polarisation storage power ½·C1·(V1² − V1₀²)/Δt (the step's C1), so that
chemical = terminal + loss + storage exactly. ``polarisation_fraction = 0`` (the default) is the Rint model.
The OCV/R table is read from a CSV beside the vehicle file (columns ``soc``, ``ocv_v`` and optionally
``r_discharge_ohm``, ``r_charge_ohm``); ``series_cells`` multiplies a cell-level OCV to the pack.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._schema import check, param

N_SOC = 201  # uniform SOC grid of the kernel tables
#: Largest rated power / energy of a traction battery. [1/h] Estimate: high-power HEV cells are rated for
#: 20–50 C pulses (2010 Prius NiMH: 25 kW / 1.31 kWh = 19 C); 100 C leaves room and keeps one 1 s step
#: within 3 % SOC, so the SOC window can be held by the per-step limits.
MAX_C_RATE = 100.0


class BatteryK(NamedTuple):
    capacity_as: float  # [A·s]
    ocv_v: np.ndarray  # on the uniform SOC grid 0..1
    r_dis_ohm: np.ndarray
    r_chg_ohm: np.ndarray
    soc_min: float
    soc_max: float
    soc_derate_band: float
    max_discharge_power_w: float
    max_charge_power_w: float
    min_voltage_v: float
    max_voltage_v: float
    coulombic_efficiency: float
    r1_ohm: np.ndarray  # 1-RC branch resistance on the SOC grid (zeros: Rint)
    polarisation_time_constant_s: float


@dataclass(frozen=True, kw_only=True)
class Battery:
    """Traction battery (TOML table ``[battery]``)."""

    capacity_ah: float = param("Rated capacity. [A·h]", lo=0.1, hi=2000)
    table_file: str = param("CSV with soc, ocv_v[, r_discharge_ohm, r_charge_ohm] columns.")
    nominal_voltage_v: float = param("Nominal voltage (for reference and energy). [V]", lo=1, hi=2000)
    series_cells: int = param("Multiplier from the table's OCV to the pack's (1 for a pack-level table; no "
                              "default: a forgotten cell count would silently give a 4 V pack). [-]", lo=1, hi=2000)
    resistance_ohm: float | None = param("Pack resistance, overrides the table's. [Ω]", default=None,
                                         lo=1e-5, hi=100)
    resistance_scale: float = param("Factor on the table's resistance. [-]", default=1.0, lo=0.01, hi=100)
    soc_min: float = param("Lowest SOC the controller may use. [-]", lo=0, hi=1)
    soc_max: float = param("Highest SOC the controller may use. [-]", lo=0, hi=1)
    soc_derate_band: float = param("Band at the window edges over which power derates to 0. [-]",
                                   default=0.03, lo=0, hi=0.5)
    max_discharge_power_kw: float = param("Rated discharge power at the terminals. [kW]", lo=0.1, hi=2000)
    max_charge_power_kw: float = param("Rated charge power at the terminals. [kW]", lo=0.1, hi=2000)
    min_voltage_v: float = param("Lowest terminal voltage. [V]", lo=1, hi=2000)
    max_voltage_v: float = param("Highest terminal voltage. [V]", lo=1, hi=2000)
    coulombic_efficiency: float = param("Share of the charging current stored. [-]", default=0.98,
                                        lo=0.5, hi=1)
    ohmic_fraction: float = param("Share of the table's resistance that acts at once (R0 of the 1-RC model; 1 with "
                                  "no polarisation branch). [-]", default=1.0, lo=0.05, hi=2)
    polarisation_fraction: float = param("R1 of the 1-RC branch as a share of the table's resistance (the mean of "
                                         "discharge and charge); 0 = Rint. [-]", default=0.0, lo=0, hi=2)
    polarisation_time_constant_s: float = param("Time constant R1·C1 of the 1-RC branch. [s]", default=10.0,
                                                lo=0.1, hi=3600)
    mass_kg: float | None = param("Pack mass (information). [kg]", default=None, lo=0, hi=2000)

    def __post_init__(self):
        check(self, "battery")
        if not self.soc_min < self.soc_max:
            raise ValueError(f"battery.soc_min = {self.soc_min}: must be below soc_max = {self.soc_max}")
        if not self.min_voltage_v < self.max_voltage_v:
            raise ValueError(f"battery.min_voltage_v = {self.min_voltage_v}: must be below max_voltage_v")
        if 2 * self.soc_derate_band > self.soc_max - self.soc_min:
            raise ValueError(f"battery.soc_derate_band = {self.soc_derate_band}: out of range, allowed <= half the "
                             f"SOC window ({(self.soc_max - self.soc_min) / 2:g})")
        c_rate = max(self.max_discharge_power_kw, self.max_charge_power_kw) / self.energy_kwh
        if c_rate > MAX_C_RATE:
            raise ValueError(
                f"battery.capacity_ah = {self.capacity_ah}: too small for its power, allowed capacity_ah >= "
                f"{c_rate * self.capacity_ah / MAX_C_RATE:.4g}"
                f" (max(max_discharge_power_kw, max_charge_power_kw) / energy = {c_rate:.0f} C, allowed <= "
                f"{MAX_C_RATE:g} C)")
        try:
            _, ocv, rd, rc = self.tables()
        except ValueError as exc:
            raise ValueError(f"battery.table_file = {self.table_file!r}: {exc}") from None
        grid = np.linspace(0.0, 1.0, N_SOC)
        lo_v = float(np.interp(self.soc_min, grid, ocv))
        hi_v = float(np.interp(self.soc_max, grid, ocv))
        if not lo_v > self.min_voltage_v:
            raise ValueError(
                f"battery.series_cells = {self.series_cells}: the pack OCV at soc_min = {self.soc_min} is "
                f"{lo_v:.4g} V, "
                f"allowed > min_voltage_v = {self.min_voltage_v} V (check series_cells, table_file and the "
                "voltage limits)")
        # the rated powers must be mostly reachable within the voltage window at mid-SOC (Rint: V_min·(V_oc −
        # V_min)/R): a resistance that caps them far below is inconsistent data (and would let fixed loads such
        # as an engine crank ask the cell beyond its matched-load point)
        mid = 0.5 * (self.soc_min + self.soc_max)
        v_mid = float(np.interp(mid, grid, ocv))
        p_dis = self.min_voltage_v * (v_mid - self.min_voltage_v) / float(np.interp(mid, grid, rd))
        p_chg = self.max_voltage_v * (self.max_voltage_v - v_mid) / float(np.interp(mid, grid, rc))
        for what, p_v, rated in (("discharge", p_dis, self.max_discharge_power_kw * 1e3),
                                 ("charge", p_chg, self.max_charge_power_kw * 1e3)):
            if p_v < 0.5 * rated:
                key = "resistance_ohm" if self.resistance_ohm is not None else "resistance_scale"
                raise ValueError(
                    f"battery.{key} = {getattr(self, key)!r}: the {what} power the voltage window allows at mid-SOC "
                    f"is {p_v / 1e3:.4g} kW, allowed >= half of max_{what}_power_kw = {rated / 1e3:g} kW (a lower "
                    "resistance, or a lower rated power)")
        if not hi_v < self.max_voltage_v:
            raise ValueError(
                f"battery.series_cells = {self.series_cells}: the pack OCV at soc_max = {self.soc_max} is "
                f"{hi_v:.4g} V, "
                f"allowed < max_voltage_v = {self.max_voltage_v} V (check series_cells, table_file and the "
                "voltage limits)")

    @property
    def energy_kwh(self) -> float:
        return self.capacity_ah * self.nominal_voltage_v / 1e3

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(soc grid, OCV [V], R_dis [Ω], R_chg [Ω]) on the uniform SOC grid."""
        return _tables(self)

    @property
    def has_polarisation(self) -> bool:
        """Whether the 1-RC branch is on (``polarisation_fraction`` > 0)."""
        return self.polarisation_fraction > 0.0

    def to_kernel(self) -> BatteryK:
        _, ocv, rd, rc = self.tables()
        r1 = 0.5 * (rd + rc) * self.polarisation_fraction  # of the table's resistance
        if self.ohmic_fraction != 1.0:
            rd, rc = rd * self.ohmic_fraction, rc * self.ohmic_fraction
            for a in (rd, rc):
                a.setflags(write=False)  # read-only as the tables (one kernel signature)
        return BatteryK(
            float(self.capacity_ah * 3600.0), ocv, rd, rc, float(self.soc_min), float(self.soc_max),
            float(self.soc_derate_band), float(self.max_discharge_power_kw * 1e3),
            float(self.max_charge_power_kw * 1e3), float(self.min_voltage_v), float(self.max_voltage_v),
            float(self.coulombic_efficiency), np.ascontiguousarray(r1), float(self.polarisation_time_constant_s),
        )


@functools.lru_cache(maxsize=32)
def _tables(b: Battery):
    from .engine_maps import _read_table

    tab = _read_table(b.table_file, ("soc", "ocv_v"), min_rows=2)
    soc = tab["soc"]
    if np.any(np.diff(soc) <= 0):
        i = int(np.flatnonzero(np.diff(soc) <= 0)[0])
        raise ValueError(f"{b.table_file}: soc = {soc[i + 1]:g} after {soc[i]:g}: must be strictly increasing")
    if soc[0] > 0.05 or soc[-1] < 0.95:
        raise ValueError(f"{b.table_file}: soc = {soc[0]:g}..{soc[-1]:g}: must cover 0.05 to 0.95 (the table is "
                         "held constant beyond its ends)")
    ocv = tab["ocv_v"] * b.series_cells
    if np.any(np.diff(ocv) < 0):
        i = int(np.flatnonzero(np.diff(ocv) < 0)[0])
        raise ValueError(f"{b.table_file}: ocv_v = {tab['ocv_v'][i + 1]:g} at soc = {soc[i + 1]:g}, after "
                         f"{tab['ocv_v'][i]:g}: must not decrease with soc")
    grid = np.linspace(0.0, 1.0, N_SOC)
    ocv_g = np.interp(grid, soc, ocv)
    if b.resistance_ohm is not None:
        rd = np.full(N_SOC, b.resistance_ohm)
        rc = rd.copy()
    else:
        if "r_discharge_ohm" not in tab:
            raise ValueError(f"{b.table_file}: no r_discharge_ohm column; give battery.resistance_ohm")
        rd = np.interp(grid, soc, tab["r_discharge_ohm"]) * b.resistance_scale
        rc = np.interp(grid, soc, tab.get("r_charge_ohm", tab["r_discharge_ohm"])) * b.resistance_scale
    for a in (ocv_g, rd, rc):
        a.setflags(write=False)
    return grid, np.ascontiguousarray(ocv_g), np.ascontiguousarray(rd), np.ascontiguousarray(rc)
