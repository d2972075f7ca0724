"""Accessory (auxiliary) loads: 12 V electrics, pumps, fans; no air conditioning (as in type approval).

Conventional car: the 12 V load is carried by the alternator, so the crankshaft sees
``P_mech = P_el / η_alternator``. Hybrid and electric cars feed it from the traction battery through a
DC/DC converter: ``P_batt = P_el / η_dcdc``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._schema import check, param


@dataclass(frozen=True)
class Accessories:
    """Auxiliary loads (TOML table ``[accessories]``)."""

    electrical_power_w: float = param("Average 12 V electrical load. [W]", default=300.0, lo=0, hi=20000)
    alternator_efficiency: float = param("Alternator efficiency (conventional cars). [-]", default=0.65,
                                         lo=0.2, hi=1)
    dcdc_efficiency: float = param("HV→12 V DC/DC converter efficiency (hybrids, EVs). [-]",
                                   default=0.92, lo=0.5, hi=1)

    def __post_init__(self):
        check(self, "accessories")

    @property
    def crank_power_w(self) -> float:
        """Mechanical power drawn at the crankshaft of a conventional car. [W]"""
        return self.electrical_power_w / self.alternator_efficiency

    @property
    def battery_power_w(self) -> float:
        """Power drawn from a traction battery via the DC/DC converter. [W]"""
        return self.electrical_power_w / self.dcdc_efficiency
