"""One runner per architecture: ``run(vehicle, cycle, *, cold_start, ambient_temp_c, soc_init, soc_balance)``
(plus ``strategy`` for the architectures with more than one, and the keywords of the initial state the
architecture takes) returns (kernel output NamedTuple, Dataset attributes). :func:`hybridsim.simulate` dispatches
by ``vehicle.architecture`` through the registry (:mod:`hybridsim.architectures`, each entry's ``runner``); each
runner prepares its kernel's arguments (``core/<name>.py``).

``RUNNERS`` and ``STRATEGIES`` are read-only views of the registry, kept for the code that imports them.
"""

from ..architectures import View

#: {architecture: runner function}, a view of the registry entries' ``runner``.
RUNNERS = View(lambda a: a.run)
#: {architecture: strategies offered} (``[controller] strategy``, ``simulate(strategy=)``), a view of the registry.
STRATEGIES = View(lambda a: a.strategies)
