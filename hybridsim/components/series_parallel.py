"""Series-parallel (Honda i-MMD / e:HEV) gearing: generator gear, traction-motor reduction, lock-up gear.

The engine drives the generator MG1 through a fixed gear (always coupled); the traction motor MG2 drives the
wheels through a fixed reduction; a lock-up clutch couples the engine to the wheels through its own fixed
ratio (``core/series_parallel.py``)::

    ω_MG1 = i_gen·ω_e     ω_MG2 = i_mot·ω_wheel     ω_e = i_eng·ω_wheel (clutch closed)

Each ratio is the overall one (final drive included where the path has it). TOML table ``[series_parallel_gearing]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ._schema import check, param


class SpGearing(NamedTuple):
    generator_ratio: float
    generator_efficiency: float
    motor_ratio: float
    motor_efficiency: float
    engine_ratio: float
    engine_efficiency: float


@dataclass(frozen=True)
class SeriesParallel:
    """Series-parallel gearing (TOML table ``[series_parallel_gearing]``)."""

    generator_ratio: float = param("Generator (MG1) speed / engine speed. [-]", lo=0.2, hi=10)
    motor_to_axle_ratio: float = param("Traction motor (MG2) speed / wheel speed, final drive included. [-]",
                                       lo=1, hi=20)
    engine_to_axle_ratio: float = param("Engine speed / wheel speed with the lock-up clutch closed, final drive "
                                        "included. [-]", lo=0.5, hi=10)
    generator_gear_efficiency: float = param("Engine → generator gear efficiency. [-]", default=0.98, lo=0.8, hi=1)
    motor_gear_efficiency: float = param("Motor → wheels gear train efficiency (reduction and final drive). [-]",
                                         default=0.96, lo=0.8, hi=1)
    engine_gear_efficiency: float = param("Engine → wheels gear train efficiency (lock-up gear, final drive). [-]",
                                          default=0.96, lo=0.8, hi=1)

    def __post_init__(self):
        check(self, "series_parallel_gearing")

    def to_kernel(self) -> SpGearing:
        return SpGearing(float(self.generator_ratio), float(self.generator_gear_efficiency),
                         float(self.motor_to_axle_ratio), float(self.motor_gear_efficiency),
                         float(self.engine_to_axle_ratio), float(self.engine_gear_efficiency))
