"""Rule-based, Toyota-like energy management of a THS-II power-split hybrid (``[controller]``).

Structure of ADVISOR's Prius controller and FASTSim's (reference/components.md §5.1)::

    engine ON  if  P_dem > P_on  or  v > v_EV,max  or  SOC < SOC_on  or  coolant < T_warm
                   or  (on for less than t_min,on)
    engine OFF if  P_dem < P_off  (P_off < P_on)  and none of the above, after t_min,off off-time rules
    when ON:   P_eng = max(P_dem + P_chg(SOC), P_eng,min),
               P_chg = clamp(K·(SOC_target − SOC), −P_chg,max, P_chg,max)
               (ω_e, T_e) on the minimum-fuel operating line (OOL) at P_eng, then raised in speed as
               the MG1 and pinion speed limits demand; MG1 holds ω_e, MG2 closes the wheel torque.
    ON but no power wanted (braking, coasting above v_EV,max): the engine is spun unfuelled by MG1.
    braking:   MG2 regenerates up to its torque and the battery's charge limit (fading out below
               ``regen_fade_speed_kmh``), the friction brakes take the rest.

If the battery or MG2 cannot deliver, engine power is raised (the least that suffices); if even full
engine power is not enough, the vehicle falls behind the trace (trace miss).

The EV-mode speed cap is calibration, not a physical limit: at 50 km/h with the engine stopped MG1
turns at only about −3,700 rpm (vehicles.md §1.5), far from its 13,500 rpm limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..components._schema import check, param
from ..components.engine import RPM
from ..units import KMH_PER_MPS, W_PER_KW


class ThsControlK(NamedTuple):
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
    spin_speed_rad_s: float
    warm_coolant_c: float
    regen_fade_speed_mps: float
    driveline_efficiency_estimate: float


@dataclass(frozen=True)
class ThsController:
    """Rule-based THS-II controller (TOML table ``[controller]``)."""

    ev_speed_max_kmh: float = param("Above this speed the engine is on (EV-mode cap). [km/h]", default=50.0,
                                    lo=0, hi=250)
    engine_on_power_kw: float = param("Demanded power that starts the engine. [kW]", default=10.0, lo=0, hi=500)
    engine_off_power_kw: float = param("Demanded power below which it may stop. [kW]", default=5.0, lo=0,
                                       hi=500)
    soc_target: float = param("SOC the charge-sustaining rule aims at. [-]", default=0.6, lo=0, hi=1)
    soc_engine_on: float = param("Below this SOC the engine is forced on. [-]", default=0.45, lo=0, hi=1)
    charge_gain_kw: float = param("Charging power per unit SOC below target. [kW]", default=100.0, lo=0,
                                  hi=10000)
    charge_power_max_kw: float = param("Largest SOC-correcting charge power. [kW]", default=8.0, lo=0, hi=500)
    engine_min_power_kw: float = param("Least fuelled engine power. [kW]", default=4.0, lo=0, hi=500)
    min_on_time_s: float = param("Least engine-on time. [s]", default=5.0, lo=0, hi=600)
    min_off_time_s: float = param("Least engine-off time. [s]", default=3.0, lo=0, hi=600)
    spin_speed_rpm: float = param("Unfuelled engine speed when it must turn. [rpm]", default=1000.0, lo=0,
                                  hi=10000)
    warm_coolant_c: float = param("Coolant temperature that allows EV mode after a cold start. [°C]",
                                  default=40.0, lo=-40, hi=120)
    regen_fade_speed_kmh: float = param("Regenerative braking fades out linearly below this speed. [km/h]",
                                        default=8.0, lo=0, hi=100)
    driveline_efficiency_estimate: float = param(
        "The controller's estimate of the wheel-to-engine efficiency: demanded power = wheel power / this "
        "+ accessories (E: ≈ planetary × MG path × final drive). [-]", default=0.9, lo=0.3, hi=1)

    def __post_init__(self):
        check(self, "controller")
        if self.engine_off_power_kw > self.engine_on_power_kw:
            raise ValueError(f"controller.engine_off_power_kw = {self.engine_off_power_kw}: must not exceed "
                             f"engine_on_power_kw = {self.engine_on_power_kw}")

    def to_kernel(self) -> ThsControlK:
        return ThsControlK(
            float(self.ev_speed_max_kmh / KMH_PER_MPS), float(self.engine_on_power_kw * W_PER_KW),
            float(self.engine_off_power_kw * W_PER_KW), float(self.soc_target), float(self.soc_engine_on),
            float(self.charge_gain_kw * W_PER_KW), float(self.charge_power_max_kw * W_PER_KW),
            float(self.engine_min_power_kw * W_PER_KW), float(self.min_on_time_s), float(self.min_off_time_s),
            float(self.spin_speed_rpm * RPM), float(self.warm_coolant_c),
            float(self.regen_fade_speed_kmh / KMH_PER_MPS), float(self.driveline_efficiency_estimate))
