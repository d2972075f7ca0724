"""Decision-layer pieces shared by the equivalent-consumption strategies (ECMS) of several architectures (issue 14):
the adaptive equivalence factor with SOC feedback (A-ECMS; Onori, Serrao & Rizzoni, *Hybrid Electric Vehicles:
Energy Management Strategies*, Springer 2016, §5), used by THS-II, its plug-in and the series-parallel hybrid,
each passing its pack, effective mass and controller values (``soc_target``, ``ecms_equivalence_factor``,
``ecms_soc_gain``); the bound that lets a candidate skip its split when its fuel alone cannot beat the best
(``ecms_cannot_win``; THS-II and series-parallel). Nothing here raises.
"""

from __future__ import annotations

from . import jit, jit_inline
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


@jit_inline
def ecms_cannot_win(p_fuel, s, p_term_min, best):
    """A candidate of fuel power ``p_fuel`` cannot cost less than ``best`` whatever its split (so its split need not
    be evaluated), where every feasible split's battery terminal power is at least ``p_term_min`` (the plant's charge
    limit less its tolerance, < 0): the chemical power is at least the terminal power (Rint: P_chem − P_term =
    R·I² ≥ 0 discharging, OCV·I·(η_c − 1) + R·I² ≥ 0 charging), so with s ≥ 0 the cost P_fuel + s·P_chem is at
    least P_fuel + s·p_term_min. The margin (1e-9 relative, 1e-6 W) covers the rounding of the costs' evaluation:
    the decision is bit-identical to evaluating every candidate."""
    if s < 0.0:
        return False
    lb = p_fuel + s * p_term_min
    return lb - 1e-9 * (abs(lb) + abs(best)) - 1e-6 >= best
