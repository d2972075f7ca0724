"""hybridsim: fuel and energy economy of conventional, hybrid and electric powertrains.

>>> import hybridsim as hs
>>> ds = hs.simulate(hs.load_vehicle("xingyue_l"), hs.load_cycle("wltc"))
>>> hs.summarize(ds)["fuel_l_per_100km"]  # doctest: +SKIP
"""

from . import performance, procedures  # noqa: E402
from ._version import __version__  # noqa: F401  (the package's version)
from .batch import simulate_many, sweep  # noqa: E402
from .cycles import CYCLE_ALIASES, Cycle, Phase, cycle_stats, list_cycles, load_cycle, read_cycle  # noqa: E402
from .errors import UnknownNameError  # noqa: E402
from .results import battery_round_trip, energy_balance, summarize  # noqa: E402
from .simulate import InitialState, optimal, simulate  # noqa: E402
from .vehicle import Vehicle, list_vehicles, load_vehicle, read_vehicle, replace_path  # noqa: E402

__all__ = [
    "CYCLE_ALIASES", "Cycle", "InitialState", "Phase", "UnknownNameError", "Vehicle", "battery_round_trip",
    "cycle_stats",
    "energy_balance",
    "list_cycles", "list_vehicles", "load_cycle", "load_vehicle", "read_cycle", "read_vehicle",
    "optimal", "performance", "procedures", "replace_path", "simulate", "simulate_many", "summarize", "sweep",
]
