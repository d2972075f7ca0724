"""THS-II power-split transaxle (Toyota P410): planetary gear, MG2 reduction, counter and final drive.

Engine on the carrier, MG1 on the sun, ring → counter/final drive → wheels, MG2 through its
reduction planetary onto the ring (reference/vehicles.md §1.3; components.md §4.1). With k = Zr/Zs::

    Willis:   Zs·ω_s + Zr·ω_r = (Zs + Zr)·ω_c   ⇔   ω_MG1 = (1 + k)·ω_e − k·ω_r
    pinion speed relative to the carrier:  ω_p − ω_c = (ω_r − ω_c)·Zr/Zp
    torques (lever, rotor inertias):  T_c = T_e − J_e·ω̇_e (into the gear set)
        sun:  T_MG1 = J_g·ω̇_MG1 − T_c/(1 + k) ;  ring:  T_r = T_c·k/(1 + k)
    ring node: T_ring = η_pg^±·T_r + i_m·η_m^±·T_MG2 ;  axle: T_axle = i_r·η_fd^±·T_ring

η^± means the efficiency multiplies in the direction the power flows and divides against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ._schema import check, param
from .engine import RPM


class PlanetaryK(NamedTuple):
    k: float  # Zr/Zs
    zr_over_zp: float
    mg2_ratio: float  # MG2 speed / ring speed
    ring_ratio: float  # ring speed / wheel speed
    planetary_efficiency: float
    mg2_reduction_efficiency: float
    final_drive_efficiency: float
    max_pinion_speed_rad_s: float


@dataclass(frozen=True)
class Planetary:
    """Power-split transaxle (TOML table ``[planetary]``)."""

    sun_teeth: int = param("Teeth of the sun gear Zs. [-]", lo=5, hi=200)
    ring_teeth: int = param("Teeth of the ring gear Zr. [-]", lo=10, hi=400)
    pinion_teeth: int = param("Teeth of a pinion Zp. [-]", lo=5, hi=200)
    mg2_reduction_ratio: float = param("MG2 speed / ring speed. [-]", lo=0.5, hi=10)
    ring_to_axle_ratio: float = param("Ring speed / wheel speed (counter × final gear). [-]", lo=1, hi=10)
    planetary_efficiency: float = param("Power-split gear set efficiency. [-]", default=0.98, lo=0.8, hi=1)
    mg2_reduction_efficiency: float = param("MG2 reduction gear efficiency. [-]", default=0.98, lo=0.8, hi=1)
    final_drive_efficiency: float = param("Counter and final gear efficiency. [-]", default=0.97, lo=0.8, hi=1)
    max_pinion_speed_rpm: float = param("Largest pinion speed relative to the carrier. [rpm]",
                                        default=1e9, lo=100, hi=1e9)
    # E-Four (a THS-II plug-in with [motors.rear]): the rear motor drives the rear axle through its own reduction
    rear_motor_ratio: float | None = param("Rear motor speed / rear wheel speed (E-Four rear transaxle; only with "
                                           "[motors.rear]). [-]", default=None, lo=1, hi=30)
    rear_drive_efficiency: float = param("Rear transaxle (reduction and differential) efficiency. [-]",
                                         default=0.97, lo=0.8, hi=1)

    def __post_init__(self):
        # No Zr = Zs + 2·Zp check: real gear sets use profile-shifted teeth (P410: 30 + 2·23 = 76 ≠ 78).
        check(self, "planetary")

    def to_kernel(self) -> PlanetaryK:
        return PlanetaryK(
            float(self.ring_teeth / self.sun_teeth), float(self.ring_teeth / self.pinion_teeth),
            float(self.mg2_reduction_ratio), float(self.ring_to_axle_ratio),
            float(self.planetary_efficiency), float(self.mg2_reduction_efficiency),
            float(self.final_drive_efficiency), float(self.max_pinion_speed_rpm * RPM))
