"""The architecture registry: one entry per powertrain architecture, holding everything that architecture is.

An :class:`Architecture` says what a vehicle file of that architecture must have (component tables, motor
names, controller class), which runner simulates it over a cycle and which full-load model drives its
performance runs (both named as ``"module:attribute"`` and imported on first use, so that this module stays at
the bottom of the package and imports nothing that imports it), which energy-management strategies it offers,
the Dataset variables only it records with its kernel's field names, what the test procedures need to know
(engine? plug-in? charge-sustaining?), the initial state its runner accepts, how its plots label its machines
and which FASTSim powertrain type maps to it. Every consumer reads the registry:

========================================  =====================================================================
``vehicle.ARCHITECTURES``                 this registry (the same mapping)
``powertrains.RUNNERS`` / ``STRATEGIES``  live views of ``runner`` / ``strategies``
``results.VARIABLES`` / ``KERNEL_NAMES``  the shared variables plus every entry's ``variables``/``kernel_names``
``performance``                           ``performance`` (force model and speed cap), ``driven_axles``
``procedures``                            ``has_engine``, ``plugin``, ``electric``, ``charge_sustaining``
``simulate(initial_state=…)``             ``initial_state``
``plot``                                  ``motor_speeds``
``fastsim_import.ARCHITECTURES``          ``fastsim``
========================================  =====================================================================

A new architecture is new files (components, ``control/<name>.py``, ``core/<name>.py``,
``powertrains/<name>.py``, a full-load model) and one :func:`register` call, here for a shipped one or at run
time for a user's (``docs/architecture.md``, "How to add an architecture").
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple


class Var(NamedTuple):
    """A Dataset variable: units, long name, role in the energy balance and, for integer codes, their meanings."""

    units: str
    long_name: str
    role: str = ""  # "source" | "sink" | "wheel" | "" (not an energy flow)
    flags: tuple[tuple[int, ...], str] | None = None  # integer code: (CF flag_values, flag_meanings)
    integer: bool = False  # stored as an integer (gears, codes)


#: Initial-state fields a runner may accept (``simulate(initial_state=…)``, :class:`hybridsim.InitialState`).
STATE_FIELDS = ("soc", "coolant_c", "charge_sustaining")


def _resolve(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclasses.dataclass(frozen=True)
class Architecture:
    """Everything one powertrain architecture is (see the module docstring for who reads what)."""

    name: str
    required: tuple[str, ...]  #: component tables the vehicle file must have
    motors: tuple[str, ...]  #: names of its ``[motors.<name>]`` tables
    #: its ``[controller]`` dataclass, or ``"module:Class"`` of it (imported on first use: :attr:`controller_class`)
    controller: type | str
    #: ``"module:function"`` of ``run(vehicle, cycle, *, cold_start, ambient_temp_c, soc_init, soc_balance, …)``
    runner: str
    performance: str  #: ``"module:attribute"`` of its :class:`hybridsim.performance.FullLoadModel`
    strategies: tuple[str, ...] = ("rule_based",)  #: energy-management strategies (``simulate(strategy=)``)
    variables: Mapping[str, Var] = dataclasses.field(default_factory=dict)  #: Dataset variables only it records
    kernel_names: Mapping[str, str] = dataclasses.field(default_factory=dict)  #: its kernel fields → variables
    plugin: bool = False  #: charged from the grid and with an engine (OVC-HEV): the plug-in procedures
    #: the vehicle file may say otherwise (``[vehicle] plugin = true|false``; default ``plugin``): one architecture,
    #: plug-in and not (a P2 plug-in and a P2 full hybrid); the vehicle's :attr:`~hybridsim.Vehicle.plugin`
    plugin_optional: bool = False
    charge_sustaining: bool = False  #: a hybrid whose runs are charge-balanced (starts at the SOC target)
    initial_state: tuple[str, ...] = ()  #: the :data:`STATE_FIELDS` its runner takes
    driven_axles: str = "front"  #: default driven axles of the full-load model (``chassis.driven_axles``)
    motor_speeds: Mapping[str, str] = dataclasses.field(default_factory=dict)  #: plots: machine speed variable → label
    fastsim: tuple[str, str] | None = None  #: (FASTSim ``pt_type``, shipped template vehicle) of an import
    vehicle_check: str | None = None  #: ``"module:function"`` of extra rules between its components
    #: ``"module:function"`` measuring its fuel-vs-battery-energy line: offers ``soc_balance="linear"`` (issue 16)
    balance_reference: str | None = None
    #: ``"module:function"`` of its compiled summary-only sweep path (``hybridsim._ths_batch.run_summaries``)
    batch_summaries: str | None = None
    #: other accepted sets of ``[motors.<name>]`` tables besides ``motors`` (a BEV with one drive unit)
    motor_alternatives: tuple[tuple[str, ...], ...] = ()
    #: component tables of its own, beyond those every vehicle file knows (``vehicle.CORE_SECTIONS``):
    #: ``{table name: "module:Class"}`` of the component dataclass (``from_table``-readable, frozen). A vehicle
    #: holds them in ``Vehicle.tables`` and exposes each as an attribute (``vehicle.<table name>``).
    tables: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        bad = [f for f in self.initial_state if f not in STATE_FIELDS]
        if bad:
            raise ValueError(f"architecture {self.name!r}: initial_state = {bad}: allowed {', '.join(STATE_FIELDS)}")
        if "rule_based" not in self.strategies:
            raise ValueError(f"architecture {self.name!r}: strategies = {self.strategies}: must offer 'rule_based'")
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))
        object.__setattr__(self, "kernel_names", MappingProxyType(dict(self.kernel_names)))
        object.__setattr__(self, "motor_speeds", MappingProxyType(dict(self.motor_speeds)))
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))

    @property
    def has_engine(self) -> bool:
        """A combustion engine (fuel, warm-up model, cold starts)."""
        return "engine" in self.required

    @property
    def has_battery(self) -> bool:
        return "battery" in self.required

    @property
    def electric(self) -> bool:
        """A pure electric vehicle (PEV/BEV): a battery and no engine."""
        return self.has_battery and not self.has_engine

    @property
    def hybrid(self) -> bool:
        return self.has_battery and self.has_engine

    @property
    def starts_full(self) -> bool:
        """A run starts from full charge (``battery.soc_max``) unless told otherwise: plug-ins and BEVs (by default;
        a vehicle's own: :attr:`hybridsim.Vehicle.starts_full`)."""
        return self.plugin or self.electric

    @property
    def controller_class(self) -> type:
        """The ``[controller]`` dataclass (imported on first use when given as ``"module:Class"``)."""
        return _resolve(self.controller) if isinstance(self.controller, str) else self.controller

    @property
    def run(self) -> Callable:
        """The runner function (imported on first use)."""
        return _resolve(self.runner)

    @property
    def full_load_model(self):
        """The :class:`hybridsim.performance.FullLoadModel` (imported on first use)."""
        return _resolve(self.performance)

    def accepts_motors(self, names) -> bool:
        """``names`` is ``motors`` or one of the ``motor_alternatives``."""
        return set(names) in [set(self.motors), *(set(a) for a in self.motor_alternatives)]

    def motors_wanted(self) -> str:
        """The accepted sets of motor tables, for an error message."""
        sets = [self.motors, *self.motor_alternatives]
        return " or ".join(", ".join("[motors." + m + "]" for m in s) or "none" for s in sets)

    def check_vehicle(self, vehicle) -> None:
        """Run the architecture's own rules between components (``vehicle_check``), if it has any."""
        if self.vehicle_check is not None:
            _resolve(self.vehicle_check)(vehicle)


class _Registry(dict):
    """The registry's dict: counts its changes (``version``), so that views merged over every entry
    (:class:`Merged`) rebuild only when an entry is added, replaced or removed."""

    version = 0

    def _changed(self):
        type(self).version += 1

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._changed()

    def pop(self, *args):
        self._changed()
        return super().pop(*args)

    def popitem(self):
        self._changed()
        return super().popitem()

    def clear(self):
        self._changed()
        super().clear()

    def update(self, *args, **kw):
        self._changed()
        super().update(*args, **kw)

    def setdefault(self, key, default=None):
        self._changed()
        return super().setdefault(key, default)

    def __ior__(self, other):
        self._changed()
        return super().__ior__(other)


ARCHITECTURES: dict[str, Architecture] = _Registry()


def register(arch: Architecture, *, replace: bool = False) -> Architecture:
    """Add ``arch`` to the registry (``replace=True`` to overwrite an entry of the same name); returns it."""
    if not isinstance(arch, Architecture):
        raise TypeError(f"register: an Architecture is needed, got {type(arch).__name__}")
    if arch.name in ARCHITECTURES and not replace:
        raise ValueError(f"architecture {arch.name!r} is already registered (allowed: a new name, or replace=True)")
    clash = {n: a.name for a in ARCHITECTURES.values() if a.name != arch.name for n in arch.variables
             if n in a.variables and a.variables[n] != arch.variables[n]}
    if clash:
        raise ValueError(f"architecture {arch.name!r}: variables {sorted(clash)} are defined differently by "
                         f"{sorted(set(clash.values()))} (allowed: the same definition, or another name)")
    ARCHITECTURES[arch.name] = arch
    return arch


def component_tables() -> dict[str, type]:
    """``{table name: component dataclass}`` of the tables the registered architectures bring (``tables``), in
    registration order (the classes imported on first use)."""
    out: dict[str, type] = {}
    for a in ARCHITECTURES.values():
        for name, ref in a.tables.items():
            out.setdefault(name, _resolve(ref) if isinstance(ref, str) else ref)
    return out


def table_names() -> tuple[str, ...]:
    """Names of the tables the registered architectures bring, without importing their classes."""
    return tuple(dict.fromkeys(n for a in ARCHITECTURES.values() for n in a.tables))


def unregister(name: str) -> None:
    """Remove an entry (for a test or a user's experiment)."""
    ARCHITECTURES.pop(name, None)


def get(name: str) -> Architecture:
    """The entry of ``name``; a ValueError naming the registered ones otherwise."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"vehicle.architecture = {name!r}: must be one of {', '.join(ARCHITECTURES)}") from None


def names(where: Callable[[Architecture], bool] = lambda a: True) -> tuple[str, ...]:
    """Names of the registered architectures for which ``where(entry)`` is true, in registration order."""
    return tuple(n for n, a in ARCHITECTURES.items() if where(a))


class View(Mapping):
    """A read-only mapping {key(entry): get(entry)} over the registered entries for which ``where(entry)`` holds,
    following the registry (the old per-module dicts are such views); ``key`` is the architecture's name unless
    told otherwise."""

    def __init__(self, get_: Callable[[Architecture], Any], where: Callable[[Architecture], bool] = lambda a: True,
                 key: Callable[[Architecture], Any] = lambda a: a.name):
        self._get = get_
        self._where = where
        self._key = key

    def _entries(self) -> dict:
        return {self._key(a): a for a in ARCHITECTURES.values() if self._where(a)}

    def __getitem__(self, key):
        return self._get(self._entries()[key])

    def __iter__(self) -> Iterator:
        return iter(self._entries())

    def __len__(self) -> int:
        return len(self._entries())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"


class Merged(Mapping):
    """A read-only mapping: ``base`` plus the mapping ``part(entry)`` of every registered architecture."""

    def __init__(self, base: Mapping, part: Callable[[Architecture], Mapping]):
        self._base = base
        self._part = part
        self._cache: tuple[int, dict] = (-1, {})

    def _maps(self):
        yield self._base
        for a in ARCHITECTURES.values():
            yield self._part(a)

    def _flat(self) -> dict:
        """The merged mapping as one dict (the first definition of each key), rebuilt when the registry's entries
        change (a result's summary looks up ~150 names here: one dict look-up each, not one per architecture)."""
        version, flat = self._cache
        if version != _Registry.version:
            flat = {}
            for m in self._maps():
                for k in m:
                    flat.setdefault(k, m[k])
            self._cache = (_Registry.version, flat)
        return flat

    def __getitem__(self, key):
        return self._flat()[key]

    def __iter__(self) -> Iterator:
        seen = set()
        for m in self._maps():
            for k in m:
                if k not in seen:
                    seen.add(k)
                    yield k

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key) -> bool:
        return key in self._flat()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"


# --- the shipped architectures ---------------------------------------------------------------------------------

register(Architecture(
    "conventional", ("chassis", "engine", "transmission"), (), "hybridsim.control.conventional:ConventionalController",
    runner="hybridsim.powertrains.conventional:run", performance="hybridsim.performance:CONVENTIONAL",
    variables={"converter_loss": Var("W", "torque-converter (or launch-clutch) slip loss", "sink"),
               "transmission_ratio": Var("1", "overall ratio engine side / wheel speed (gear or CVT variator × "
                                              "final drive; 0 with the clutch disengaged)")},
    kernel_names={"converter_loss_w": "converter_loss", "transmission_ratio": "transmission_ratio"},
    initial_state=("coolant_c",),
    fastsim=("ConventionalVehicle", "xingyue_l"),
))

#: The THS-II plant's own variables (shared by the THS-II plug-in, whose front axle is that plant).
THS_VARIABLES = {
    "mg1_speed": Var("rad s-1", "MG1 (sun) speed"),
    "mg1_torque": Var("N m", "MG1 torque"),
    "mg1_electric_power": Var("W", "MG1 DC power (> 0 motoring)"),
    "mg2_speed": Var("rad s-1", "MG2 speed"),
    "mg2_torque": Var("N m", "MG2 torque"),
    "mg2_electric_power": Var("W", "MG2 DC power (> 0 motoring)"),
    "ring_speed": Var("rad s-1", "planetary ring speed"),
    "pinion_speed": Var("rad s-1", "pinion speed relative to the carrier"),
    "mg1_loss": Var("W", "MG1 machine loss", "sink"),
    "mg2_loss": Var("W", "MG2 machine loss", "sink"),
    "planetary_loss": Var("W", "power-split gear set loss", "sink"),
    "reduction_loss": Var("W", "MG2 reduction gear loss", "sink"),
    "final_drive_loss": Var("W", "counter and final drive loss", "sink"),
    "rotor_inertia_power": Var("W", "power accelerating the engine and MG1 rotors", "sink"),
    "battery_polarisation_power": Var("W", "power into the battery's 1-RC branch capacitance (energy it holds, "
                                      "returned as the branch relaxes; 0 without the branch)", "sink"),
}
THS_KERNEL_NAMES = {
    "mg1_speed_rad_s": "mg1_speed", "mg1_torque_nm": "mg1_torque", "mg1_electric_power_w": "mg1_electric_power",
    "mg2_speed_rad_s": "mg2_speed", "mg2_torque_nm": "mg2_torque", "mg2_electric_power_w": "mg2_electric_power",
    "ring_speed_rad_s": "ring_speed", "pinion_speed_rad_s": "pinion_speed", "mg1_loss_w": "mg1_loss",
    "mg2_loss_w": "mg2_loss", "planetary_loss_w": "planetary_loss", "reduction_loss_w": "reduction_loss",
    "final_drive_loss_w": "final_drive_loss", "rotor_inertia_power_w": "rotor_inertia_power",
    "battery_polarisation_power_w": "battery_polarisation_power",
}

register(Architecture(
    "ths", ("chassis", "engine", "planetary", "battery"), ("mg1", "mg2"), "hybridsim.control.ths:ThsController",
    runner="hybridsim.powertrains.ths:run", performance="hybridsim.performance:THS",
    balance_reference="hybridsim.powertrains.ths:balance_reference",
    batch_summaries="hybridsim._ths_batch:run_summaries",
    strategies=("rule_based", "ecms", "dp"),
    variables=THS_VARIABLES,
    kernel_names=THS_KERNEL_NAMES,
    charge_sustaining=True,
    initial_state=("soc", "coolant_c"),
    motor_speeds={"mg1_speed": "MG1", "mg2_speed": "MG2"},
    fastsim=("HybridElectricVehicle", "ralink"),
    vehicle_check="hybridsim.vehicle:check_ths_vehicle",
))

register(Architecture(
    "p2", ("chassis", "engine", "transmission", "battery"), ("p2",), "hybridsim.control.p2:P2Controller",
    runner="hybridsim.powertrains.p2:run", performance="hybridsim.performance:P2",
    balance_reference="hybridsim.powertrains.p2:balance_reference",
    strategies=("rule_based", "ecms", "dp"),
    variables={
        "charge_sustaining": Var("1", "plug-in controller mode: 1 charge-sustaining, 0 charge-depleting",
                                 flags=((0, 1), "charge_depleting charge_sustaining"), integer=True),
        "clutch_state": Var("1", "engine clutch K0: 0 open, 1 slipping, 2 closed",
                            flags=((0, 1, 2), "open slipping closed"), integer=True),
        "p2_speed": Var("rad s-1", "P2 motor (gearbox input) speed"),
        "p2_torque": Var("N m", "P2 motor torque"),
        "p2_electric_power": Var("W", "P2 motor DC power (> 0 motoring)"),
        "clutch_loss": Var("W", "engine clutch (K0) slip loss", "sink"),
        "p2_loss": Var("W", "P2 motor machine loss", "sink"),
        "p2_inertia_power": Var("W", "power accelerating the P2 rotor and gearbox input", "sink"),
    },
    kernel_names={
        "charge_sustaining": "charge_sustaining", "clutch_state": "clutch_state", "p2_speed_rad_s": "p2_speed",
        "p2_torque_nm": "p2_torque", "p2_electric_power_w": "p2_electric_power", "clutch_loss_w": "clutch_loss",
        "p2_loss_w": "p2_loss", "p2_inertia_power_w": "p2_inertia_power",
    },
    plugin=True,
    plugin_optional=True,  # a full (not plug-in) P2 hybrid: [vehicle] plugin = false, charge-sustaining (issue 17)
    initial_state=("soc", "coolant_c", "charge_sustaining"),
    driven_axles="all",
    motor_speeds={"p2_speed": "P2 motor"},
    fastsim=("PlugInHybridElectricVehicle", "tank300_hi4t"),
    vehicle_check="hybridsim.vehicle:check_p2_vehicle",
))

register(Architecture(
    "bev", ("chassis", "battery", "drive"), ("front", "rear"), "hybridsim.control.bev:BevController",
    runner="hybridsim.powertrains.bev:run", performance="hybridsim.performance:BEV",
    variables={
        "rear_gear": Var("1", "engaged gear of the rear drive unit (1 = first)", integer=True),
        "front_motor_speed": Var("rad s-1", "front machine speed"),
        "front_motor_torque": Var("N m", "front machine torque"),
        "front_motor_electric_power": Var("W", "front machine DC power (> 0 motoring)"),
        "front_motor_loss": Var("W", "front machine loss", "sink"),
        "rear_motor_speed": Var("rad s-1", "rear machine speed"),
        "rear_motor_torque": Var("N m", "rear machine torque"),
        "rear_motor_electric_power": Var("W", "rear machine DC power (> 0 motoring)"),
        "rear_motor_loss": Var("W", "rear machine loss", "sink"),
        "rear_rotor_inertia_power": Var("W", "power into the rear rotor's inertia beyond its top-gear share "
                                        "(lower rear gear; dissipated at the upshift)", "sink"),
    },
    kernel_names={
        "rear_gear": "rear_gear", "front_motor_speed_rad_s": "front_motor_speed",
        "front_motor_torque_nm": "front_motor_torque", "front_motor_electric_power_w": "front_motor_electric_power",
        "front_motor_loss_w": "front_motor_loss", "rear_motor_speed_rad_s": "rear_motor_speed",
        "rear_motor_torque_nm": "rear_motor_torque", "rear_motor_electric_power_w": "rear_motor_electric_power",
        "rear_motor_loss_w": "rear_motor_loss", "rear_rotor_inertia_power_w": "rear_rotor_inertia_power",
    },
    initial_state=("soc",),
    driven_axles="per_axle",
    motor_speeds={"front_motor_speed": "front motor", "rear_motor_speed": "rear motor"},
    fastsim=("BatteryElectricVehicle", "taycan_turbo"),
    vehicle_check="hybridsim.vehicle:check_bev_vehicle",
    motor_alternatives=(("front",), ("rear",)),
))

register(Architecture(
    "series_parallel", ("chassis", "engine", "series_parallel_gearing", "battery"), ("mg1", "mg2"),
    "hybridsim.control.series_parallel:SeriesParallelController",
    runner="hybridsim.powertrains.series_parallel:run", performance="hybridsim.powertrains.series_parallel:FULL_LOAD",
    balance_reference="hybridsim.powertrains.series_parallel:balance_reference",
    tables={"series_parallel_gearing": "hybridsim.components.series_parallel:SeriesParallel"},
    strategies=("rule_based", "ecms", "dp"),
    variables={
        "sp_mode": Var("1", "series-parallel mode: 0 EV, 1 series, 2 engine drive (lock-up clutch closed)",
                       flags=((0, 1, 2), "ev series engine_drive"), integer=True),
        "generator_speed": Var("rad s-1", "MG1 (generator) speed"),
        "mg1_torque": Var("N m", "MG1 torque"),
        "mg1_electric_power": Var("W", "MG1 DC power (> 0 motoring)"),
        "mg2_speed": Var("rad s-1", "MG2 speed"),
        "mg2_torque": Var("N m", "MG2 torque"),
        "mg2_electric_power": Var("W", "MG2 DC power (> 0 motoring)"),
        "mg1_loss": Var("W", "MG1 machine loss", "sink"),
        "mg2_loss": Var("W", "MG2 machine loss", "sink"),
        "generator_gear_loss": Var("W", "engine-to-generator gear loss", "sink"),
        "clutch_gear_loss": Var("W", "lock-up (engine-drive) gear train loss", "sink"),
        "reduction_loss": Var("W", "MG2 reduction gear loss", "sink"),
        "rotor_inertia_power": Var("W", "power accelerating the engine and MG1 rotors", "sink"),
    },
    kernel_names={
        "sp_mode": "sp_mode", "generator_speed_rad_s": "generator_speed", "mg1_torque_nm": "mg1_torque",
        "mg1_electric_power_w": "mg1_electric_power", "mg2_speed_rad_s": "mg2_speed", "mg2_torque_nm": "mg2_torque",
        "mg2_electric_power_w": "mg2_electric_power", "mg1_loss_w": "mg1_loss", "mg2_loss_w": "mg2_loss",
        "generator_gear_loss_w": "generator_gear_loss", "clutch_gear_loss_w": "clutch_gear_loss",
        "reduction_loss_w": "reduction_loss", "rotor_inertia_power_w": "rotor_inertia_power",
    },
    charge_sustaining=True,
    initial_state=("soc", "coolant_c"),
    motor_speeds={"generator_speed": "MG1 (generator)", "mg2_speed": "MG2 (traction)"},
))

register(Architecture(
    # THS-II plug-in (Prius Prime), optionally with a rear motor (E-Four, RAV4 Prime): its own entry rather than a
    # flag of "ths", because the registry's plugin / charge_sustaining / initial_state are per architecture (the
    # procedures branch on them) and the plug-in's kernel has a controller mode and a rear axle the THS-II kernel's
    # outputs (bit-identical, tests/test_ths_bitwise.py) must not grow
    "ths_plugin", ("chassis", "engine", "planetary", "battery"), ("mg1", "mg2"),
    "hybridsim.control.ths_plugin:ThsPluginController",
    runner="hybridsim.powertrains.ths_plugin:run", performance="hybridsim.powertrains.ths_plugin:FULL_LOAD",
    strategies=("rule_based", "ecms", "dp"),
    variables={
        **THS_VARIABLES,
        "charge_sustaining": Var("1", "plug-in controller mode: 1 charge-sustaining, 0 charge-depleting",
                                 flags=((0, 1), "charge_depleting charge_sustaining"), integer=True),
        "rear_motor_speed": Var("rad s-1", "rear machine speed"),
        "rear_motor_torque": Var("N m", "rear machine torque"),
        "rear_motor_electric_power": Var("W", "rear machine DC power (> 0 motoring)"),
        "rear_motor_loss": Var("W", "rear machine loss", "sink"),
        "rear_drive_loss": Var("W", "rear reduction and differential loss (E-Four)", "sink"),
    },
    kernel_names={
        **THS_KERNEL_NAMES,
        "charge_sustaining": "charge_sustaining", "rear_motor_speed_rad_s": "rear_motor_speed",
        "rear_motor_torque_nm": "rear_motor_torque", "rear_motor_electric_power_w": "rear_motor_electric_power",
        "rear_motor_loss_w": "rear_motor_loss", "rear_drive_loss_w": "rear_drive_loss",
    },
    plugin=True,
    initial_state=("soc", "coolant_c", "charge_sustaining"),
    motor_speeds={"mg1_speed": "MG1", "mg2_speed": "MG2", "rear_motor_speed": "rear motor"},
    vehicle_check="hybridsim.vehicle:check_ths_vehicle",
    motor_alternatives=(("mg1", "mg2", "rear"),),
))
