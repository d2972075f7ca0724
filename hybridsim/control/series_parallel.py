"""Rule-based energy management of a series-parallel (Honda i-MMD-like) hybrid (``[controller]``).

Rules (``core/series_parallel_control.py``): EV at low demand and speed while the SOC allows, series with the
engine on its minimum-fuel operating line, engine drive (lock-up clutch closed) above a cruise speed when the
engine can carry the demand within a share of its full-load torque; engine on/off and lock-up with hysteresis;
charge-sustaining around ``soc_target`` by a proportional charging power.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..components._schema import check, param
from ..units import KMH_PER_MPS, W_PER_KW

STRATEGIES = ("rule_based", "ecms", "dp")


class SpControlK(NamedTuple):
    ev_speed_max_mps: float
    engine_on_power_w: float
    engine_off_power_w: float
    soc_target: float
    soc_engine_on: float
    charge_gain_w: float
    charge_power_max_w: float
    engine_min_power_w: float
    min_on_time_s: float
    min_off_time_s: float
    warm_coolant_c: float
    driveline_efficiency_estimate: float
    lockup_speed_on_mps: float
    lockup_speed_off_mps: float
    lockup_load_max: float
    ecms_equivalence_factor: float
    ecms_soc_gain: float
    ecms_power_points: float
    ecms_kinetic_share: float


@dataclass(frozen=True)
class SeriesParallelController:
    """Rule-based series-parallel controller (TOML table ``[controller]``)."""

    ev_speed_max_kmh: float = param("Above this speed the engine is on (EV-mode cap). [km/h]", default=60.0,
                                    lo=0, hi=250)
    engine_on_power_kw: float = param("Demanded power that starts the engine. [kW]", default=10.0, lo=0, hi=500)
    engine_off_power_kw: float = param("Demanded power below which it may stop. [kW]", default=5.0, lo=0, hi=500)
    soc_target: float = param("SOC the charge-sustaining rule aims at. [-]", default=0.6, lo=0, hi=1)
    soc_engine_on: float = param("Below this SOC the engine is forced on. [-]", default=0.45, lo=0, hi=1)
    charge_gain_kw: float = param("Charging power per unit SOC below target. [kW]", default=100.0, lo=0, hi=10000)
    charge_power_max_kw: float = param("Largest SOC-correcting charge power. [kW]", default=8.0, lo=0, hi=500)
    engine_min_power_kw: float = param("Least fuelled engine power in series mode. [kW]", default=5.0, lo=0,
                                       hi=500)
    min_on_time_s: float = param("Least engine-on time. [s]", default=5.0, lo=0, hi=600)
    min_off_time_s: float = param("Least engine-off time. [s]", default=3.0, lo=0, hi=600)
    warm_coolant_c: float = param("Coolant temperature that allows EV mode after a cold start. [°C]",
                                  default=40.0, lo=-40, hi=120)
    regen_fade_speed_kmh: float = param("Regenerative braking fades out linearly below this speed. [km/h]",
                                        default=8.0, lo=0, hi=100)
    driveline_efficiency_estimate: float = param(
        "The controller's estimate of the wheel-to-engine efficiency (demanded power = wheel power / this "
        "+ accessories). [-]", default=0.9, lo=0.3, hi=1)
    lockup_speed_on_kmh: float = param("Engine drive (lock-up clutch closed) allowed from this speed. [km/h]",
                                       default=70.0, lo=0, hi=250)
    lockup_speed_off_kmh: float = param("Engine drive kept down to this speed (hysteresis). [km/h]",
                                        default=60.0, lo=0, hi=250)
    lockup_load_max: float = param("Engine drive only while the demanded engine torque is within this share of "
                                   "its full-load torque at the locked speed. [-]", default=0.9, lo=0, hi=1)
    strategy: str = param("Energy management: 'rule_based' (these rules), 'ecms' (equivalent-consumption "
                          "minimisation over EV, series and engine drive) or 'dp' (the dynamic-programming optimum "
                          "over the whole cycle).", default="rule_based", choices=STRATEGIES)
    ecms_equivalence_factor: float = param(
        "ECMS: fuel power worth one watt of battery chemical power at the target SOC, s₀ (E: 1/(η_engine·η_elec) "
        "≈ 3, as the THS-II controller; Onori et al. 2016 report 2–3.5 for full hybrids). [-]", default=2.8, lo=0.5,
        hi=10)
    ecms_soc_gain: float = param("ECMS: SOC feedback gain K_p of s = s₀ + K_p·(SOC_ref − SOC) (calibration, as the "
                                 "THS-II controller). [-]", default=300.0, lo=0, hi=1000)
    ecms_power_points: int = param("ECMS: series powers (evenly spaced up to full power on the operating line) and "
                                   "engine-drive torques (up to full load) tried per step. [-]", default=20, lo=1,
                                   hi=500)
    ecms_kinetic_share: float = param(
        "ECMS: prior of the share of the car's kinetic energy a stop brings back to the battery; the reference SOC is "
        "lowered by the share times the kinetic energy, and the share is learnt from the run's own stops "
        "(core/series_parallel_control.py). E: reduction 0.96 × inverter 0.96 × MG2 ≈ 0.9 × battery ≈ 0.97 ≈ 0.8 "
        "of the braking energy, which is ≈ 0.8 of the kinetic energy for a stop at 1–1.5 m/s² (road load and "
        "accessories take the rest) ≈ 0.65; 0.6 for the regeneration fading out at walking pace. [-]", default=0.6,
        lo=0, hi=1)

    def __post_init__(self):
        check(self, "controller")
        if self.engine_off_power_kw > self.engine_on_power_kw:
            raise ValueError(f"controller.engine_off_power_kw = {self.engine_off_power_kw}: must not exceed "
                             f"engine_on_power_kw = {self.engine_on_power_kw}")
        if self.lockup_speed_off_kmh > self.lockup_speed_on_kmh:
            raise ValueError(f"controller.lockup_speed_off_kmh = {self.lockup_speed_off_kmh}: must not exceed "
                             f"lockup_speed_on_kmh = {self.lockup_speed_on_kmh}")

    def to_kernel(self) -> SpControlK:
        return SpControlK(
            float(self.ev_speed_max_kmh / KMH_PER_MPS), float(self.engine_on_power_kw * W_PER_KW),
            float(self.engine_off_power_kw * W_PER_KW), float(self.soc_target), float(self.soc_engine_on),
            float(self.charge_gain_kw * W_PER_KW), float(self.charge_power_max_kw * W_PER_KW),
            float(self.engine_min_power_kw * W_PER_KW), float(self.min_on_time_s), float(self.min_off_time_s),
            float(self.warm_coolant_c), float(self.driveline_efficiency_estimate),
            float(self.lockup_speed_on_kmh / KMH_PER_MPS), float(self.lockup_speed_off_kmh / KMH_PER_MPS),
            float(self.lockup_load_max), float(self.ecms_equivalence_factor), float(self.ecms_soc_gain),
            float(self.ecms_power_points), float(self.ecms_kinetic_share))
