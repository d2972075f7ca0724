"""Type-approval test procedures built on :func:`hybridsim.simulate`, one module per regulation.

``nedc`` (UN R83 / R101). Each formula cites its regulation; status tags as in the reference files
(S sourced, M from the literature/regulation as recalled, not re-verified here, E our choice).
"""

from .nedc import (
    NEDC_SOAK_TEMP_C,
    R83_INERTIA_CLASSES,
    nedc,
    nedc_inertia_class_kg,
    nedc_reference_mass_kg,
)

__all__ = ["NEDC_SOAK_TEMP_C", "R83_INERTIA_CLASSES", "nedc", "nedc_inertia_class_kg", "nedc_reference_mass_kg"]
