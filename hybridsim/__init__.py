"""hybridsim: fuel and energy economy of conventional, hybrid and electric powertrains.

>>> import hybridsim as hs
>>> ds = hs.simulate(hs.load_vehicle("xingyue_l"), hs.load_cycle("wltc"))
>>> hs.summarize(ds)["fuel_l_per_100km"]  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from ._version import __version__  # noqa: F401  (the package's version)
from .cycles import CYCLE_ALIASES, Cycle, Phase, cycle_stats, list_cycles, load_cycle, read_cycle  # noqa: E402
from .errors import UnknownNameError  # noqa: E402
from .results import battery_round_trip, energy_balance, summarize  # noqa: E402
from .simulate import InitialState, optimal, simulate  # noqa: E402
from .vehicle import Vehicle, list_vehicles, load_vehicle, read_vehicle, replace_path  # noqa: E402

if TYPE_CHECKING:
    from . import performance, procedures
    from .batch import simulate_many, sweep

#: names imported on first use (module ``__getattr__``): not needed by ``simulate`` (issue 16: cold start)
_LAZY = {"performance": (".performance", None), "procedures": (".procedures", None),
         "simulate_many": (".batch", "simulate_many"), "sweep": (".batch", "sweep")}


def __getattr__(name: str):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    import importlib

    value = importlib.import_module(module, __name__)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CYCLE_ALIASES", "Cycle", "InitialState", "Phase", "UnknownNameError", "Vehicle", "battery_round_trip",
    "cycle_stats",
    "energy_balance",
    "list_cycles", "list_vehicles", "load_cycle", "load_vehicle", "read_cycle", "read_vehicle",
    "optimal", "performance", "procedures", "replace_path", "simulate", "simulate_many", "summarize", "sweep",
]
