"""One runner per architecture: ``run(vehicle, cycle, *, cold_start, ambient_temp_c, soc_init, soc_balance)``
(plus ``strategy`` for the architectures with more than one, ``STRATEGIES``) returns (kernel output
NamedTuple, Dataset attributes). :func:`hybridsim.simulate` dispatches here by
``vehicle.architecture``; each runner prepares its kernel's arguments (``core/<name>.py``).
"""

from . import bev, conventional, p2, ths

RUNNERS = {
    "conventional": conventional.run,
    "ths": ths.run,
    # --- P2 plug-in hybrid ---
    "p2": p2.run,
    # --- battery-electric ---
    "bev": bev.run,
}

# energy-management strategies each architecture offers (``[controller] strategy``, ``simulate(strategy=)``)
STRATEGIES = {
    "conventional": ("rule_based",),
    "ths": ("rule_based", "ecms", "dp"),
    "p2": ("rule_based", "ecms", "dp"),
    "bev": ("rule_based",),
}
