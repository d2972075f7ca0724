"""Step-ratio transmission (automatic with torque converter, AMT/DCT, or manual) and final drive.

A manual box (``kind = "manual"``) has the same torque and loss model; its gears are not chosen by the
controller but follow the procedure being run (``hybridsim/gearshift.py``: GTR 15 Annex 2 on the WLTC, the
R83 fixed shift speeds on the NEDC, the Annex 2 rule applied to the trace elsewhere).

Torque through gear g with mesh efficiency η_g and final drive η_fd (power-flow dependent)::

    traction (T_wheel ≥ 0):  T_in = T_wheel / (i_g·i_fd·η_g·η_fd)
    overrun  (T_wheel < 0):  T_in = T_wheel·η_g·η_fd / (i_g·i_fd)
    ω_in = ω_wheel·i_g·i_fd

Torque converter as launch slip (a fluid coupling, torque ratio 1; the converter's torque
multiplication near stall is neglected, which only matters for launch performance): the pump speed
that transmits an input torque T is ``ω_slip = K·√T`` (K the converter's capacity, "K-factor"), so the
engine turns at ``ω_e = max(ω_in, ω_idle, K·√T_in)`` until the turbine catches up, and the slip loss is
``T_in·(ω_e − ω_in)``. Above ``ω_in ≥ max(ω_idle, K·√T_in)`` the converter is locked (no loss).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._schema import check, param

RPM_PER_SQRT_NM = np.pi / 30.0  # K-factor unit conversion: rpm/√(N·m) → (rad/s)/√(N·m)


class GearboxK(NamedTuple):
    ratios: np.ndarray  # gear ratios, 1st first
    efficiencies: np.ndarray  # mesh efficiency of each gear
    final_drive_ratio: float
    final_drive_efficiency: float
    converter_k_rad_s_per_sqrt_nm: float  # 0 = no converter (ideal launch clutch at idle speed)


@dataclass(frozen=True)
class Transmission:
    """Gearbox and final drive (TOML table ``[transmission]``)."""

    gear_ratios: tuple[float, ...] = param("Ratios of the forward gears, 1st first. [-]", lo=0.2, hi=20)
    gear_efficiencies: tuple[float, ...] = param("Mesh/spin efficiency of each gear. [-]", lo=0.5, hi=1)
    final_drive_ratio: float = param("Final drive (axle) ratio. [-]", lo=1, hi=20)
    final_drive_efficiency: float = param("Final drive efficiency. [-]", default=0.97, lo=0.5, hi=1)
    kind: str = param("Transmission type: automatic, amt and dct shift by the controller's rule; manual follows the "
                      "gears the procedure prescribes (hybridsim/gearshift.py).", default="automatic",
                      choices=("automatic", "amt", "dct", "manual"))
    converter_k_factor_rpm_per_sqrt_nm: float = param(
        "Torque-converter capacity K = n_pump/√T_pump (0 for a clutch). [rpm/√(N·m)]", default=0.0,
        lo=0, hi=1000)
    input_inertia_kgm2: float = param("Rotating inertia on the gearbox input side. [kg·m²]",
                                      default=0.0, lo=0, hi=10)

    def __post_init__(self):
        check(self, "transmission")
        if len(self.gear_efficiencies) != len(self.gear_ratios):
            raise ValueError(
                f"transmission.gear_efficiencies = {list(self.gear_efficiencies)}: needs one value per gear "
                f"({len(self.gear_ratios)} gears)")
        if self.kind == "manual" and self.converter_k_factor_rpm_per_sqrt_nm > 0:
            raise ValueError(f"transmission.converter_k_factor_rpm_per_sqrt_nm = "
                             f"{self.converter_k_factor_rpm_per_sqrt_nm}: out of range for kind = 'manual' (a clutch, "
                             "no torque converter), allowed 0")
        r = self.gear_ratios
        if any(b >= a for a, b in zip(r[:-1], r[1:], strict=True)):
            raise ValueError(f"transmission.gear_ratios = {list(r)}: must be strictly decreasing "
                             "(1st gear first)")

    @property
    def n_gears(self) -> int:
        return len(self.gear_ratios)

    def to_kernel(self) -> GearboxK:
        return GearboxK(
            ratios=np.asarray(self.gear_ratios, dtype=np.float64),
            efficiencies=np.asarray(self.gear_efficiencies, dtype=np.float64),
            final_drive_ratio=float(self.final_drive_ratio),
            final_drive_efficiency=float(self.final_drive_efficiency),
            converter_k_rad_s_per_sqrt_nm=float(self.converter_k_factor_rpm_per_sqrt_nm * RPM_PER_SQRT_NM),
        )
