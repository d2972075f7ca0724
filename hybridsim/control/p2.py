"""Rule-based energy management of a P2 parallel plug-in hybrid (TOML table ``[controller]``).

Structure (reference/components.md §5.1 rule-based EMS, adapted to a P2 parallel hybrid; E)::

    mode      CD (charge-depleting) while SOC ≥ soc_cs_enter; CS (charge-sustaining) below it;
              back to CD only above soc_cs_enter + cd_resume_band (hysteresis). The mode at the start of
              a run is explicit (``powertrains/p2.run(..., charge_sustaining=)``); by default a start
              inside the band (SOC < soc_cs_enter + cd_resume_band) is CS, a car that has depleted to
              the CS threshold; the WLTP/NEDC procedures chain the mode from cycle to cycle and force CS
              for the CS tests.
    engine    least on-time first: once ON it stays ON for min_on_time while the car moves (also on
              overrun, in fuel cut); then
              CD: ON only if EV cannot meet the demand (motor torque/speed, battery power, in any
                  gear) or v > ev_speed_max; the engine then follows the load, the motor assists.
              CS: ON if P_wheel > P_on or SOC < soc_engine_force; stays ON while P_wheel > P_off;
                  OFF otherwise (restart only after min_off_time, unless EV is infeasible).
              braking (after min_on_time) or standstill: OFF, clutch open (start-stop).
    when ON   load-following: T_clutch = T_in,req + P_chg/ω_in,  P_chg = clamp(K·(soc_target − SOC),
              −P_chg,max, P_chg,max) in CS (symmetric: the motor assists above the target), 0 in CD;
              T_clutch ≤ WOT − inertia; the P2 motor closes the rest (assist > 0, charge < 0) within its
              envelope and the battery's power limits.
    gear      among the feasible gears, the least equivalent power P_fuel + s·P_batt,DC (s the
              equivalence factor); keep the gear unless another saves more than shift_hysteresis
              (relative) and the gear was held for min_time_in_gear_s; above 1st the input speed stays
              ≥ min_input_speed while driving; at most max_gear_step gears per change (kickdown/skip
              only if no gear within it can drive); a change's inertia energy is booked over shift_time.
    start     the P2 motor cranks the engine through K0 over crank_time (energy + K0 slip loss from the
              battery, within its limits).
    braking   series blend: the P2 motor regenerates up to regen_share of the braking torque, its
              envelope and the battery's charge limit, fading out linearly below regen_fade_speed;
              the friction brakes take the rest.

SOC thresholds: the EV→hybrid switch at 13.5 % SOC and the forced engine start at 10 % are published
for the sibling Tank 500 Hi4-T (vehicles.md §2.3–2.4, [K3]).

A full (not plug-in) P2 hybrid (``[vehicle] plugin = false``) is in CS throughout: ``soc_cs_enter`` and
``cd_resume_band`` are not used (``powertrains/p2.py``), the rest applies as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..components._schema import check, param
from ..components.engine import RPM
from ..units import KMH_PER_MPS, W_PER_KW


class P2ControlK(NamedTuple):
    soc_cs_enter: float
    cd_resume_band: float
    soc_target: float
    soc_engine_force: float
    ev_speed_max_mps: float
    engine_on_power_w: float
    engine_off_power_w: float
    charge_gain_w: float
    charge_power_max_w: float
    min_on_time_s: float
    min_off_time_s: float
    min_engine_speed_rad_s: float
    torque_reserve: float
    shift_hysteresis: float
    min_time_in_gear_s: float
    equivalence_factor: float
    regen_share: float
    regen_fade_speed_mps: float
    min_input_speed_rad_s: float
    max_gear_step: float
    crank_time_s: float
    shift_time_s: float
    ecms_equivalence_factor: float
    ecms_soc_gain: float
    ecms_torque_points: float


STRATEGIES = ("rule_based", "ecms", "dp")


@dataclass(frozen=True)
class P2Controller:
    """Rule-based P2 PHEV controller (TOML table ``[controller]``)."""

    soc_cs_enter: float = param("SOC below which the car switches from CD to CS. [-]", default=0.135, lo=0, hi=1)
    cd_resume_band: float = param("SOC rise above soc_cs_enter that returns to CD. [-]", default=0.03,
                                  lo=0, hi=0.5)
    soc_target: float = param("SOC the CS rule charges towards. [-]", default=0.135, lo=0, hi=1)
    soc_engine_force: float = param("Below this SOC the engine is forced on (CS). [-]", default=0.10,
                                    lo=0, hi=1)
    ev_speed_max_kmh: float = param("Above this speed the engine runs, also in CD. [km/h]", default=140.0,
                                    lo=0, hi=400)
    engine_on_power_kw: float = param("Wheel power that starts the engine in CS. [kW]", default=15.0, lo=0,
                                      hi=1000)
    engine_off_power_kw: float = param("Wheel power below which it may stop in CS. [kW]", default=8.0, lo=0,
                                       hi=1000)
    charge_gain_kw: float = param("CS charging power per unit SOC below soc_target. [kW]", default=300.0,
                                  lo=0, hi=100000)
    charge_power_max_kw: float = param("Largest CS charging power. [kW]", default=15.0, lo=0, hi=1000)
    min_on_time_s: float = param("Least engine-on time (traction). [s]", default=5.0, lo=0, hi=600)
    min_off_time_s: float = param("Least engine-off time before a voluntary restart. [s]", default=3.0,
                                  lo=0, hi=600)
    min_engine_speed_rpm: float = param("Lowest engine speed with the K0 clutch closed above 1st gear; "
                                        "below it in 1st the clutch slips. [rpm]", default=1100.0, lo=300,
                                        hi=5000)
    torque_reserve: float = param("Largest share of WOT the load-following rule uses. [-]", default=0.95,
                                  lo=0.3, hi=1)
    shift_hysteresis: float = param("Relative saving needed to change gear. [-]", default=0.03, lo=0, hi=1)
    min_time_in_gear_s: float = param("Least time between two gear changes. [s]", default=2.0, lo=0, hi=60)
    equivalence_factor: float = param("Weight of battery DC power against fuel power in gear choice. [-]",
                                      default=2.5, lo=0, hi=20)
    regen_share: float = param("Share of the braking torque asked of the P2 motor (series blend). [-]",
                               default=1.0, lo=0, hi=1)
    regen_fade_speed_kmh: float = param("Regeneration fades out linearly below this speed. [km/h]",
                                        default=6.0, lo=0, hi=100)
    min_input_speed_rpm: float = param("Lowest gearbox input (P2) speed of any gear above 1st while driving. "
                                       "[rpm]", default=700.0, lo=0, hi=3000)
    max_gear_step: int = param("Most gears one change may skip up or down (larger only if no gear within it "
                               "can drive the step). [-]", default=2, lo=1, hi=20)
    crank_time_s: float = param("Time over which the P2 motor cranks the engine through K0; the crank energy "
                                "is drawn over it. [s]", default=0.3, lo=0, hi=5)
    shift_time_s: float = param("Inertia phase of a gear change; the input side's speed-step energy is "
                                "booked over it. [s]", default=0.4, lo=0, hi=5)
    strategy: str = param("Energy management: 'rule_based' (these rules), 'ecms' (equivalent-consumption "
                          "minimisation in charge-sustaining mode; the rules in charge-depleting mode) or 'dp' (the "
                          "dynamic-programming optimum over the whole cycle, charge-sustaining).",
                          default="rule_based", choices=STRATEGIES)
    ecms_equivalence_factor: float = param(
        "ECMS: fuel power worth one watt of battery chemical power at soc_target, s₀ (E: 1/(η_engine·η_elec) "
        "≈ 1/(0.37·0.9) ≈ 3 for the 2.0T's efficiency in the CS runs (0.36–0.38) and the P2 motor/inverter path; "
        "Onori et al. 2016 report 2–3.5 for full hybrids; the fuel at zero net battery energy changes by < 0.5 % "
        "for s₀ from 2.4 to 3.3, the SOC feedback setting the mean). [-]", default=3.0, lo=0.5, hi=10)
    ecms_soc_gain: float = param(
        "ECMS: SOC feedback gain K_p of the adaptive equivalence factor s = s₀ + K_p·(soc_target − SOC) "
        "(calibration, E: large enough to sustain charge without an outer iteration; 1 % SOC away from the "
        "target moves s by K_p/100). [-]", default=100.0, lo=0, hi=10000)
    ecms_torque_points: int = param("ECMS: engine clutch torques tried per gear and step (evenly spaced from 0 to "
                                    "WOT), besides the load-following torque and fuel cut. [-]", default=10,
                                    lo=1, hi=200)

    def __post_init__(self):
        check(self, "controller")
        if self.engine_off_power_kw > self.engine_on_power_kw:
            raise ValueError(f"controller.engine_off_power_kw = {self.engine_off_power_kw}: must not exceed "
                             f"engine_on_power_kw = {self.engine_on_power_kw}")
        # soc_engine_force <= soc_cs_enter is a plug-in's rule, checked with the vehicle (vehicle.check_p2_vehicle):
        # a full hybrid ([vehicle] plugin = false) has no charge-depleting mode and ignores soc_cs_enter

    def to_kernel(self) -> P2ControlK:
        return P2ControlK(
            float(self.soc_cs_enter), float(self.cd_resume_band), float(self.soc_target),
            float(self.soc_engine_force), float(self.ev_speed_max_kmh / KMH_PER_MPS),
            float(self.engine_on_power_kw * W_PER_KW),
            float(self.engine_off_power_kw * W_PER_KW), float(self.charge_gain_kw * W_PER_KW),
            float(self.charge_power_max_kw * W_PER_KW), float(self.min_on_time_s), float(self.min_off_time_s),
            float(self.min_engine_speed_rpm * RPM), float(self.torque_reserve), float(self.shift_hysteresis),
            float(self.min_time_in_gear_s), float(self.equivalence_factor), float(self.regen_share),
            float(self.regen_fade_speed_kmh / KMH_PER_MPS), float(self.min_input_speed_rpm * RPM),
            float(self.max_gear_step),
            float(self.crank_time_s), float(self.shift_time_s), float(self.ecms_equivalence_factor),
            float(self.ecms_soc_gain), float(self.ecms_torque_points))
