"""Decision-layer pieces shared by the equivalent-consumption strategies (ECMS) of several architectures (issue 14):
the adaptive equivalence factor with SOC feedback (A-ECMS; Onori, Serrao & Rizzoni, *Hybrid Electric Vehicles:
Energy Management Strategies*, Springer 2016, §5), used by THS-II, its plug-in and the series-parallel hybrid,
each passing its pack, effective mass and controller values (``soc_target``, ``ecms_equivalence_factor``,
``ecms_soc_gain``). Nothing here raises.
"""

from __future__ import annotations

from . import jit
from .electric import battery_state


@jit
def adaptive_equivalence(bat, mass_eff_kg, soc_target, s0, k_p, soc, v, share):
    """Adaptive equivalence factor s = s₀ + K_p·(SOC_ref − SOC), SOC_ref = SOC_target − share·½·m_eff·v²/E_batt:
    the reference SOC is lowered by the share of the car's kinetic energy that braking will bring back, so
    the run ends (at rest) near SOC_target instead of above it (THS-II: the controller's ``ecms_kinetic_share``;
    the series-parallel: a share it learns over the run). ``bat`` is the pack (``core.electric`` BatteryK), the
    rest plain floats, so that every architecture shares one compiled signature. [-]"""
    e_batt = bat.capacity_as * battery_state(bat, soc_target)[0]
    soc_ref = soc_target - share * 0.5 * mass_eff_kg * v * v / e_batt
    return s0 + k_p * (soc_ref - soc)
