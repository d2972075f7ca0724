"""Calibration of a dual-motor BEV: rear gear selection and brake blending (``[controller]``).

Rear 2-speed gear (Taycan, reference/vehicles.md §3.2: Range and Normal modes use 2nd almost
exclusively; full acceleration drops to 1st when speed allows; upshift at ≈ 80 km/h)::

    1st  if  v < downshift_speed  and  T_dem > launch_demand_fraction · T_max,2nd(v)     (hard launch)
    stay in 1st while  v < first_gear_max_speed  and  T_dem > release_demand_fraction · T_max,2nd(v)
    2nd otherwise

T_max,2nd(v) is the wheel torque both machines can give with the rear unit in 2nd at that speed (motor
envelopes only). If the chosen gear cannot deliver the demand and the other one can (within its motor
speed limit), the other one is used.

Brake blending: the machines brake first, with the axle split that recovers the most DC power, within
the machines' envelopes, the battery's charge limit and the regeneration limit; regeneration fades out
linearly below ``regen_fade_speed_kmh``; the friction brakes take the rest.

Axle torque split (traction and regeneration): chosen every step to minimise the total DC power of the
two machines (``core/bev.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..components._schema import check, param
from ..units import KMH_PER_MPS


class BevControlK(NamedTuple):
    first_gear_max_speed_mps: float
    downshift_speed_mps: float
    launch_demand_fraction: float
    release_demand_fraction: float
    regen_fade_speed_mps: float


@dataclass(frozen=True)
class BevController:
    """Rear-gear selection and brake blending of a dual-motor BEV (TOML table ``[controller]``)."""

    first_gear_max_speed_kmh: float = param("Upshift from 1st to 2nd at this speed. [km/h]", default=80.0,
                                            lo=1, hi=400)
    downshift_speed_kmh: float = param("1st is selected only below this speed (hysteresis). [km/h]",
                                       default=70.0, lo=0, hi=400)
    launch_demand_fraction: float = param("Demand / 2nd-gear capability that selects 1st. [-]", default=0.85,
                                          lo=0, hi=2)
    release_demand_fraction: float = param("Below this demand share 1st is released. [-]", default=0.5,
                                           lo=0, hi=2)
    regen_fade_speed_kmh: float = param("Regeneration fades out linearly below this speed. [km/h]",
                                        default=5.0, lo=0, hi=100)

    def __post_init__(self):
        check(self, "controller")
        if self.downshift_speed_kmh > self.first_gear_max_speed_kmh:
            raise ValueError(f"controller.downshift_speed_kmh = {self.downshift_speed_kmh}: must not exceed "
                             f"first_gear_max_speed_kmh = {self.first_gear_max_speed_kmh}")
        if self.release_demand_fraction > self.launch_demand_fraction:
            raise ValueError(f"controller.release_demand_fraction = {self.release_demand_fraction}: must not "
                             f"exceed launch_demand_fraction = {self.launch_demand_fraction}")

    def to_kernel(self) -> BevControlK:
        return BevControlK(float(self.first_gear_max_speed_kmh / KMH_PER_MPS),
                           float(self.downshift_speed_kmh / KMH_PER_MPS),
                           float(self.launch_demand_fraction), float(self.release_demand_fraction),
                           float(self.regen_fade_speed_kmh / KMH_PER_MPS))
