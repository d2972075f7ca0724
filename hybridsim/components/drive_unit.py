"""Electric drive system of a battery-electric car (TOML table ``[drive]``).

One drive unit per driven axle (Porsche Taycan layout, reference/vehicles.md §3.2, components.md §2.5):

* front: machine ``motors.front`` through a single reduction ``front_ratio`` (with its differential);
* rear: machine ``motors.rear`` through a 1- or 2-speed gearbox ``rear_gear_ratios`` (1st first).

A single-motor car (Nissan Leaf, Tesla Model 3 RWD) has one of the two: the ``[motors.*]`` table and the
ratio of the axle it drives, and neither for the other axle (``front_ratio`` without ``[motors.front]``, or
the reverse, is refused). The kernel sees the absent unit as a machine of zero torque and zero loss, so it
contributes exactly nothing (``powertrains/bev.py``).

Torque through a reduction i with efficiency η (power-flow dependent, as in ``gearbox.py``)::

    traction (T_wheel ≥ 0):  T_motor = T_wheel / (i·η)
    overrun  (T_wheel < 0):  T_motor = T_wheel·η / i
    ω_motor = ω_wheel·i

System limits (the machines' own envelopes are in ``[motors.*]``): the sum of the machines' shaft
powers is capped at ``system_power_kw`` in normal driving and at ``overboost_power_kw`` for
``overboost_time_s`` after a launch-control start, when the battery may deliver
``overboost_battery_power_kw``; regenerative braking is capped at ``regen_power_kw`` (DC). The
charging path (``charger_efficiency``: wall → battery terminals, on-board AC charger) converts the
battery-side energy of a test into the energy drawn at the wall. ``top_speed_limit_kmh`` (optional) is an electronic
governor: ``performance`` caps the car's speed there and reports the governed and the physical top speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..units import W_PER_KW
from ._schema import check, param


class DriveK(NamedTuple):
    front_ratio: float
    front_efficiency: float
    rear_ratios: np.ndarray  # 1st first
    rear_efficiencies: np.ndarray
    system_power_w: float  # cap on the sum of motor shaft powers (normal driving)
    regen_power_w: float  # cap on the recovered DC power (> 0)


@dataclass(frozen=True, kw_only=True)
class DriveUnits:
    """Front single-speed and rear 2-speed drive units of a BEV (TOML table ``[drive]``)."""

    front_ratio: float | None = param("Front unit reduction (motor speed / wheel speed); none without a front "
                                      "motor. [-]", default=None, lo=1, hi=30)
    rear_gear_ratios: tuple[float, ...] | None = param(
        "Rear unit overall ratios, 1st first (motor / wheel speed); none without a rear motor. [-]", default=None,
        lo=1, hi=40)
    front_efficiency: float = param("Front reduction and differential efficiency. [-]", default=0.97,
                                    lo=0.5, hi=1)
    rear_gear_efficiencies: tuple[float, ...] = param("Efficiency of each rear gear incl. differential. [-]",
                                                      default=(0.97,), lo=0.5, hi=1)
    system_power_kw: float = param("Continuous (normal) system power: cap on the sum of shaft powers. [kW]",
                                   lo=1, hi=3000)
    overboost_power_kw: float | None = param("System power in launch-control overboost. [kW]", default=None,
                                             lo=1, hi=3000)
    overboost_time_s: float = param("How long overboost lasts after a launch. [s]", default=0.0, lo=0, hi=60)
    overboost_battery_power_kw: float | None = param(
        "Battery discharge limit during overboost (default: the battery's own). [kW]", default=None,
        lo=1, hi=3000)
    regen_power_kw: float = param("Largest regenerative braking power (DC). [kW]", lo=0, hi=3000)
    charger_efficiency: float = param("Wall (AC mains) → battery terminals efficiency of charging. [-]",
                                      default=0.90, lo=0.5, hi=1)
    ac_charging_power_kw: float = param("On-board AC charger power (sets the charging current). [kW]",
                                        default=11.0, lo=0.5, hi=500)
    dc_charging_power_kw: float | None = param("Peak DC fast-charging power (information). [kW]",
                                               default=None, lo=1, hi=2000)
    top_speed_limit_kmh: float | None = param(
        "Electronic speed governor (performance: the governed top speed; the physical one is reported too). "
        "[km/h]", default=None, lo=20, hi=600)

    def __post_init__(self):
        check(self, "drive")
        if self.front_ratio is None and self.rear_gear_ratios is None:
            raise ValueError("drive.front_ratio = None: give front_ratio (front motor) and/or rear_gear_ratios (rear "
                             "motor)")
        r = self.rear_gear_ratios or ()
        if r == () and self.rear_gear_ratios is not None:
            raise ValueError("drive.rear_gear_ratios = []: needs at least one ratio (or leave it out without a rear "
                             "motor)")
        if any(b >= a for a, b in zip(r[:-1], r[1:], strict=True)):
            raise ValueError(f"drive.rear_gear_ratios = {list(r)}: must be strictly decreasing (1st gear first)")
        if len(self.rear_gear_efficiencies) not in (1, len(r)):
            raise ValueError(f"drive.rear_gear_efficiencies = {list(self.rear_gear_efficiencies)}: needs one "
                             f"value per rear gear ({len(r)}) or a single value for all")

    @property
    def axles(self) -> tuple[str, ...]:
        """The driven axles: ("front", "rear"), ("front",) or ("rear",)."""
        return tuple(a for a, x in (("front", self.front_ratio), ("rear", self.rear_gear_ratios)) if x is not None)

    @property
    def n_rear_gears(self) -> int:
        return len(self.rear_gear_ratios) if self.rear_gear_ratios is not None else 1

    @property
    def rear_efficiencies(self) -> tuple[float, ...]:
        e = self.rear_gear_efficiencies
        if self.rear_gear_ratios is None:
            return (1.0,)
        return e if len(e) == len(self.rear_gear_ratios) else e * len(self.rear_gear_ratios)

    def to_kernel(self) -> DriveK:
        """Kernel parameters; an absent unit gets ratio 1 and efficiency 1 (its machine is the zero machine of
        ``powertrains/bev.py``, so neither value matters)."""
        return DriveK(
            front_ratio=float(1.0 if self.front_ratio is None else self.front_ratio),
            front_efficiency=float(self.front_efficiency if self.front_ratio is not None else 1.0),
            rear_ratios=np.asarray(self.rear_gear_ratios if self.rear_gear_ratios is not None else (1.0,),
                                   dtype=np.float64),
            rear_efficiencies=np.asarray(self.rear_efficiencies, dtype=np.float64),
            system_power_w=float(self.system_power_kw * W_PER_KW),
            regen_power_w=float(self.regen_power_kw * W_PER_KW),
        )
