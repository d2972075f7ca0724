"""Decision-layer pieces shared by the equivalent-consumption strategies (ECMS) of several architectures (issue 14):
the adaptive equivalence factor with SOC feedback (A-ECMS; Onori, Serrao & Rizzoni, *Hybrid Electric Vehicles:
Energy Management Strategies*, Springer 2016, §5), used by THS-II, its plug-in and the series-parallel hybrid,
each passing its pack, effective mass and controller values (``soc_target``, ``ecms_equivalence_factor``,
``ecms_soc_gain``); the bound that lets a candidate skip its split when its fuel and a lower bound of its battery
power cannot beat the best (``ecms_cannot_win``, ``ecms_terminal_floor``; THS-II and series-parallel). Nothing here
raises.
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
def ecms_cannot_win(p_fuel, s, p_chem_min, best):
    """A candidate of fuel power ``p_fuel`` cannot cost less than ``best`` whatever its split (so its split need not
    be evaluated), where its battery chemical power is at least ``p_chem_min``: with s ≥ 0 the cost
    P_fuel + s·P_chem is at least P_fuel + s·p_chem_min. The margin (1e-9 relative, 1e-6 W) covers the rounding of
    the costs' evaluation: the decision is bit-identical to evaluating every candidate. ``p_chem_min`` from a lower
    bound P of the terminal power (``ecms_terminal_floor``): the chemical power is at least (OCV/OCV_step)·P, OCV_step
    the step's open-circuit voltage less the polarisation's (``battery_state_rc``; the OCV itself on a Rint pack,
    ratio 1): the step current I = 2·P_term/(OCV_step + √(OCV_step² − 4·R·P_term)) is at least P_term/OCV_step, and
    P_chem = OCV·I (discharge) or OCV·η_c·I ≥ OCV·I (charge)."""
    if s < 0.0:
        return False
    lb = p_fuel + s * p_chem_min
    return lb - 1e-9 * (abs(lb) + abs(best)) - 1e-6 >= best


@jit_inline
def ecms_terminal_floor(p_b_floor, p_chg_max):
    """A lower bound of a feasible split's battery terminal power, given ``p_b_floor`` ≤ its terminal power before the
    battery's limits are applied (MG1 + MG2 + accessories; the THS-II and series-parallel ``split_elec``): that power
    is kept, or raised by cutting the regeneration to the charge limit ``p_chg_max`` within its 1e-6 W tolerance
    (beyond it: overcharge, infeasible). With no bound (``p_b_floor`` = −inf): the charge limit. [W]"""
    return (p_b_floor if p_b_floor > -p_chg_max else -p_chg_max) - 1e-6
