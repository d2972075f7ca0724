"""Energy management of a THS-II plug-in hybrid (Prius Prime, RAV4 Prime) with an optional rear motor (E-Four).

The THS-II rules of :mod:`hybridsim.control.ths` in two controller modes, chosen by SOC with hysteresis (as the P2
plug-in, ``control/p2.py``)::

    charge-depleting (CD) while SOC ≥ soc_cs_enter (and from full charge):
        the THS-II rules with  v_EV,max = cd_ev_speed_max_kmh,  P_on/P_off = cd_engine_on/off_power_kw,
        no SOC-correcting charge (P_chg = 0), no warm-up rule (a cold engine is not started to warm it; unless
        ``cd_warm_up``); the engine starts where MG2, MG1 or the battery cannot deliver (the least power that
        suffices, ``core/ths_control.py``) or above the EV speed cap
    charge-sustaining (CS) from SOC < soc_cs_enter until SOC ≥ soc_cs_enter + cd_resume_band:
        the THS-II rules of the ``[controller]`` table around ``soc_target``

Rear motor (E-Four: a machine on the rear axle through its own reduction, no mechanical link to the engine), when
the vehicle has ``[motors.rear]``: the rules give the rear axle the share ``rear_drive_share`` of a positive
wheel force and ``rear_regen_share`` of a braking one below ``rear_speed_max_kmh``; more where the front axle's
tyres would slip (per-axle traction with the static weight transfer); within the rear machine's envelope, the
rear tyres' traction and the battery's limits. ECMS chooses the rear force among {none, the rule's share, the
most the rear axle can take} by the same equivalent consumption as the engine candidates (``core/ths_plugin.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..components._schema import param
from ..units import KMH_PER_MPS, W_PER_KW
from .ths import ThsControlK, ThsController

STRATEGIES = ("rule_based", "ecms", "dp")


class ThsPluginCtlK(NamedTuple):
    """The plug-in's mode switch and rear-axle rules (the rules of each mode are a :class:`ThsControlK`)."""

    soc_cs_enter: float
    cd_resume_band: float
    rear_drive_share: float
    rear_regen_share: float
    rear_speed_max_mps: float


@dataclass(frozen=True)
class ThsPluginController(ThsController):
    """THS-II plug-in controller (TOML table ``[controller]``): the THS-II rules (charge-sustaining mode) plus the
    charge-depleting mode and the rear-axle split."""

    strategy: str = param("Energy management: 'rule_based' (the rules), 'ecms' (equivalent-consumption "
                          "minimisation in charge-sustaining mode; the rules decide the engine in charge-depleting "
                          "mode, as for the P2 plug-in) or 'dp' (the dynamic-programming optimum of charge-sustaining "
                          "operation over the whole cycle, engine and rear force).", default="rule_based",
                          choices=STRATEGIES)
    soc_cs_enter: float | None = param(
        "SOC below which the controller leaves charge-depleting for charge-sustaining mode (default: soc_target). "
        "[-]", default=None, lo=0, hi=1)
    cd_resume_band: float = param("SOC above soc_cs_enter at which a charge-sustaining run returns to charge "
                                  "depleting (hysteresis). [-]", default=0.05, lo=0, hi=0.5)
    cd_ev_speed_max_kmh: float = param("Charge-depleting mode: above this speed the engine is on. [km/h]",
                                       default=135.0, lo=0, hi=300)
    cd_engine_on_power_kw: float = param(
        "Charge-depleting mode: demanded power that starts the engine (beyond it MG2 and the battery may still "
        "suffice; the engine also starts wherever they do not). [kW]", default=1000.0, lo=0, hi=5000)
    cd_engine_off_power_kw: float = param("Charge-depleting mode: demanded power below which it may stop. [kW]",
                                          default=900.0, lo=0, hi=5000)
    cd_warm_up: bool = param("Charge-depleting mode: a cold engine is kept running to warm up (as in CS mode).",
                             default=False)
    rear_drive_share: float = param("Share of a positive wheel force the rules give the rear motor (E-Four). [-]",
                                    default=0.2, lo=0, hi=1)
    rear_regen_share: float = param("Share of a braking wheel force the rules give the rear motor. [-]",
                                    default=0.2, lo=0, hi=1)
    rear_speed_max_kmh: float = param("Above this speed the rules give the rear motor no force (unless the front "
                                      "tyres would slip). [km/h]", default=100.0, lo=0, hi=300)

    def __post_init__(self):
        super().__post_init__()
        if self.cd_engine_off_power_kw > self.cd_engine_on_power_kw:
            raise ValueError(f"controller.cd_engine_off_power_kw = {self.cd_engine_off_power_kw}: must not exceed "
                             f"cd_engine_on_power_kw = {self.cd_engine_on_power_kw}")

    @property
    def cs_enter(self) -> float:
        """The SOC that starts charge-sustaining mode (``soc_cs_enter``, default ``soc_target``)."""
        return self.soc_target if self.soc_cs_enter is None else self.soc_cs_enter

    def to_kernel_cd(self) -> ThsControlK:
        """The THS-II rules of charge-depleting mode: CD speed cap and power thresholds, no charging, no warm-up
        rule unless ``cd_warm_up``."""
        k = self.to_kernel()
        return k._replace(ev_speed_max_mps=float(self.cd_ev_speed_max_kmh / KMH_PER_MPS),
                          engine_on_power_w=float(self.cd_engine_on_power_kw * W_PER_KW),
                          engine_off_power_w=float(self.cd_engine_off_power_kw * W_PER_KW),
                          charge_gain_w=0.0,
                          warm_coolant_c=k.warm_coolant_c if self.cd_warm_up else -1e9)

    def to_kernel_plugin(self) -> ThsPluginCtlK:
        return ThsPluginCtlK(float(self.cs_enter), float(self.cd_resume_band), float(self.rear_drive_share),
                             float(self.rear_regen_share), float(self.rear_speed_max_kmh / KMH_PER_MPS))
