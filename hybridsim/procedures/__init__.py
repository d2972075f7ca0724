"""Type-approval test procedures built on :func:`hybridsim.simulate`, one module per regulation.

* :func:`nedc` — UN R83 Annex 4a / R101 (NEDC): inertia class, cold start, battery balance.
* :func:`wltp` — UN GTR 15 (WLTP): class, downscaling, test mass, per-phase results, RCB.
* :func:`epa` — 40 CFR 600 (FTP-75 bag-weighted, HWFET, 55/45 combined, label adjustment).

Each returns a dict; for conventional cars and non-plug-in hybrids it holds ``fuel_l_per_100km``.
Plug-in hybrids are handed to ``procedures.phev`` and battery-electric cars to ``procedures.bev``
(imported only when needed). Each formula cites its regulation; status tags as in the reference files
(S sourced, S* secondary, M from the regulation as recalled and not re-verified here, E our choice).
"""

from .epa import epa, equivalent_test_weight_kg, ftp_weighted
from .nedc import (
    NEDC_SOAK_TEMP_C,
    R83_INERTIA_CLASSES,
    nedc,
    nedc_inertia_class_kg,
    nedc_reference_mass_kg,
)
from .wltp import downscale_cycle, downscale_factor, power_to_mass_ratio, wltc_class, wltp, wltp_test_mass_kg

#: Procedure functions by the names used in ``[[claims]] procedure`` and on the command line.
PROCEDURES = {"nedc": nedc, "wltp": wltp, "epa": epa}

__all__ = [
    "NEDC_SOAK_TEMP_C", "PROCEDURES", "R83_INERTIA_CLASSES", "downscale_cycle", "downscale_factor", "epa",
    "equivalent_test_weight_kg", "ftp_weighted", "nedc", "nedc_inertia_class_kg", "nedc_reference_mass_kg",
    "power_to_mass_ratio", "wltc_class", "wltp", "wltp_test_mass_kg",
]
