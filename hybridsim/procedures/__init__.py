"""Type-approval test procedures built on :func:`hybridsim.simulate`, one module per regulation.

* :func:`nedc` (module :mod:`hybridsim.procedures.r83`) — UN R83 Annex 4a / R101 (NEDC): inertia class,
  cold start, battery balance.
* :func:`wltp` (module :mod:`hybridsim.procedures.gtr15`) — UN GTR 15 (WLTP): class, downscaling, test
  mass, per-phase results, RCB.
* :func:`epa` (module :mod:`hybridsim.procedures.cfr600`) — 40 CFR 600 (FTP-75 bag-weighted, HWFET, 55/45
  combined, label adjustment).
* :func:`china` (module :mod:`hybridsim.procedures.gbt`) — GB/T 19233-2020 (engine cars), GB/T 19753-2021
  (hybrids; plug-ins with the Appendix F utility factors, a parameter: the table is not public),
  GB/T 18386.1-2021 (BEV on CLTC-P, a user-supplied trace).
* :func:`jc08` (module :mod:`hybridsim.procedures.trias`) — Japan's JC08 mode, 25 % cold + 75 % hot
  (a user-supplied JC08 trace).

The modules are named after their regulation so that ``hybridsim.procedures.nedc``, ``.wltp`` and ``.epa``
are the functions (and ``import hybridsim.procedures.gtr15`` the module with the tables).

Each returns a dict; for conventional cars and non-plug-in hybrids it holds ``fuel_l_per_100km``.
Plug-in hybrids are handed to ``procedures.phev`` and battery-electric cars to ``procedures.bev``
(imported only when needed). Each formula cites its regulation; status tags as in the reference files
(S sourced, S* secondary, M from the regulation as recalled and not re-verified here, E our choice).
"""

import functools

from . import cfr600, gtr15, r83
from .cfr600 import equivalent_test_weight_kg, ftp_weighted
from .checks import RULE_CHECKS, flag_unchecked, unchecked_rules
from .gbt import SAE_J2841_FUF, china, weighted_fuel_l_per_100km
from .gtr15 import downscale_cycle, downscale_factor, power_to_mass_ratio, wltc_class, wltp_test_mass_kg
from .r83 import (
    NEDC_SOAK_TEMP_C,
    R83_INERTIA_CLASSES,
    nedc_inertia_class_kg,
    nedc_reference_mass_kg,
)
from .trias import jc08, jc08_weighted


def _flagged(func, procedure: str):
    """The procedure ``func`` with the rules it used that were not verified listed in its result
    (``unchecked_rules``, see :mod:`hybridsim.procedures.checks`)."""

    @functools.wraps(func)
    def run(vehicle, *args, **kwargs):
        return flag_unchecked(func(vehicle, *args, **kwargs), procedure, vehicle.architecture, vehicle.plugin)

    return run


nedc = _flagged(r83.nedc, "nedc")
wltp = _flagged(gtr15.wltp, "wltp")
epa = _flagged(cfr600.epa, "epa")

#: Procedure functions by the names used in ``[[claims]] procedure`` and on the command line.
PROCEDURES = {"nedc": nedc, "wltp": wltp, "epa": epa, "china": china, "jc08": jc08}

__all__ = [
    "NEDC_SOAK_TEMP_C", "PROCEDURES", "R83_INERTIA_CLASSES", "RULE_CHECKS", "SAE_J2841_FUF", "china",
    "downscale_cycle", "downscale_factor", "epa", "equivalent_test_weight_kg", "ftp_weighted", "jc08",
    "jc08_weighted", "nedc", "nedc_inertia_class_kg", "nedc_reference_mass_kg", "power_to_mass_ratio",
    "unchecked_rules", "weighted_fuel_l_per_100km", "wltc_class", "wltp", "wltp_test_mass_kg",
]
