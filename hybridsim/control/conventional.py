"""Calibration of a conventional powertrain: gear choice and engine idle/stop (``[controller]``).

Gear choice (``shift_strategy = "fuel_optimal"``): at every step, among the gears in which the engine
speed lies in [min_engine_speed, max speed] (1st gear is always allowed: the converter slips) and the
engine torque stays within ``torque_reserve``·WOT, take the one with the least fuel; keep the current
gear unless another saves more than ``shift_hysteresis`` (relative) and the current gear has been
held for ``min_time_in_gear_s``, or the current gear is no longer allowed. If no gear keeps the
reserve, the feasible gear with the lowest share of WOT torque (T_e/T_WOT) is used; if none can deliver
the demand at all, the vehicle falls behind the trace (trace miss).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..components._schema import check, param
from ..components.engine import RPM


class ConventionalControlK(NamedTuple):
    min_engine_speed_rad_s: float
    torque_reserve: float
    shift_hysteresis: float
    min_time_in_gear_s: float


@dataclass(frozen=True)
class ConventionalController:
    """Shift strategy of a conventional car (TOML table ``[controller]``)."""

    shift_strategy: str = param("How gears are chosen.", default="fuel_optimal", choices=("fuel_optimal",))
    min_engine_speed_rpm: float = param("Lowest engine speed in a locked gear above 1st. [rpm]",
                                        default=1100.0, lo=300, hi=5000)
    torque_reserve: float = param("Largest share of WOT torque used before a downshift. [-]",
                                  default=0.9, lo=0.3, hi=1)
    shift_hysteresis: float = param("Relative fuel saving needed to change gear. [-]", default=0.03,
                                    lo=0, hi=1)
    min_time_in_gear_s: float = param("Least time between two gear changes. [s]", default=2.0, lo=0, hi=60)

    def __post_init__(self):
        check(self, "controller")

    def to_kernel(self) -> ConventionalControlK:
        return ConventionalControlK(
            min_engine_speed_rad_s=float(self.min_engine_speed_rpm * RPM),
            torque_reserve=float(self.torque_reserve),
            shift_hysteresis=float(self.shift_hysteresis),
            min_time_in_gear_s=float(self.min_time_in_gear_s),
        )
