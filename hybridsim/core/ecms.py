"""Decision-layer pieces shared by the equivalent-consumption strategies (ECMS) of several architectures (issue 14):
the adaptive equivalence factor with SOC feedback (A-ECMS; Onori, Serrao & Rizzoni, *Hybrid Electric Vehicles:
Energy Management Strategies*, Springer 2016, §5), used by THS-II and the series-parallel hybrid. It reads the
plant's battery (``plant.bat``) and chassis (``plant.ch``) and the controller's ``soc_target``,
``ecms_equivalence_factor`` and ``ecms_soc_gain``. Nothing here raises.
"""

from __future__ import annotations

from . import jit
from .electric import battery_state


@jit
def adaptive_equivalence(plant, ctl, soc, v, share):
    """Adaptive equivalence factor s = s₀ + K_p·(SOC_ref − SOC), SOC_ref = SOC_target − share·½·m_eff·v²/E_batt:
    the reference SOC is lowered by the share of the car's kinetic energy that braking will bring back, so
    the run ends (at rest) near SOC_target instead of above it (THS-II: the controller's ``ecms_kinetic_share``;
    the series-parallel: a share it learns over the run). [-]"""
    e_batt = plant.bat.capacity_as * battery_state(plant.bat, ctl.soc_target)[0]
    soc_ref = ctl.soc_target - share * 0.5 * plant.ch.mass_eff_kg * v * v / e_batt
    return ctl.ecms_equivalence_factor + ctl.ecms_soc_gain * (soc_ref - soc)
