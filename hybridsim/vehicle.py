"""Vehicles as data: TOML files → validated, immutable :class:`Vehicle` objects.

A vehicle file has the top-level tables ``[vehicle]`` (name, architecture, notes), ``[chassis]``,
``[engine]``, ``[transmission]``, ``[controller]``, ``[accessories]``, ``[[claims]]`` and, where a test
procedure's own mass and road load are known, ``[test_conditions.<procedure>]``
(:class:`~hybridsim.components.chassis.ProcedureRoadLoad`: e.g. the EPA ETW with its target coefficients,
used unchanged by that procedure); every key
carries its unit (``mass_kg``, ``peak_power_kw``) and every value its provenance in a comment. Map
files may sit beside the TOML and are named by a path relative to it. Any bad value raises ONE
``ValueError`` naming the file, the key, the value and the allowed range.

Sweeps derive new vehicles with :func:`dataclasses.replace` or :func:`replace_path`
(``replace_path(v, "chassis.mass_kg", 1800.0)``); a vehicle is never mutated.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import architectures as _registry
from ._resources import data_dir
from .components._schema import check, from_table, param
from .components.accessories import Accessories
from .components.battery import Battery
from .components.chassis import Chassis, ProcedureRoadLoad
from .components.drive_unit import DriveUnits
from .components.engine import Engine
from .components.gearbox import Transmission
from .components.motor import Motor
from .components.planetary import Planetary
from .errors import UnknownNameError, read_text

#: Every architecture's entry (component tables, motors, controller, runner, …): the registry itself,
#: :data:`hybridsim.architectures.ARCHITECTURES` (one :class:`~hybridsim.architectures.Architecture` each).
ARCHITECTURES = _registry.ARCHITECTURES
Architecture = _registry.Architecture


@dataclass(frozen=True)
class Claim:
    """A published figure to compare a simulation with (TOML array ``[[claims]]``).

    Give either ``value`` (a single figure, not 0: the difference is relative to it), or a bound:
    ``value_min`` alone (a lower bound, "≥ 465 km"), ``value_max`` alone (an upper bound, "≤ 4.4 L/100 km"),
    or both (a range, ``value_min ≤ value_max``). A lone bound of 0 is rejected like a value of 0 (no
    relative difference can be taken from it).
    """

    quantity: str = param("What is claimed, e.g. fuel_l_per_100km, accel_0_100_s.")
    unit: str = param("Unit of the value, e.g. 'L/100 km', 's'.")
    procedure: str = param("Procedure or cycle the figure belongs to, e.g. nedc, wltp, perf.")
    source: str = param("Where the figure comes from.")
    value: float | None = param("The claimed figure (not 0).", default=None)
    value_min: float | None = param("Lower bound (alone: 'at least'), or the lower end of a range.", default=None)
    value_max: float | None = param("Upper bound (alone: 'at most'), or the upper end of a range.", default=None)
    note: str = param("Anything a reader must know about the claim.", default="")

    def __post_init__(self):
        check(self, "claims")
        lo, hi = self.value_min, self.value_max
        what = f"(claim {self.quantity!r}, procedure {self.procedure!r})"
        if self.value is not None:
            if lo is not None or hi is not None:
                raise ValueError(f"claims.value = {self.value!r}: give value, or value_min and/or value_max, "
                                 f"not both {what}")
            if self.value == 0:
                raise ValueError(f"claims.value = 0: out of range, allowed a non-zero figure (the difference "
                                 f"is relative to it) {what}")
            return
        if lo is None and hi is None:
            raise ValueError(f"claims.value = None: give value, or value_min and/or value_max {what}")
        if lo is not None and hi is not None:
            if lo > hi:
                raise ValueError(f"claims.value_min = {lo!r}: out of range, allowed <= value_max = {hi!r} {what}")
            if lo == hi == 0:
                raise ValueError(f"claims.value_min = value_max = 0: out of range, allowed a non-zero figure {what}")
        elif (lo if lo is not None else hi) == 0:
            key = "value_min" if lo is not None else "value_max"
            raise ValueError(f"claims.{key} = 0: out of range, a lone bound must be non-zero (the difference is "
                             f"relative to it) {what}")


@dataclass(frozen=True)
class Vehicle:
    """An immutable vehicle: identification plus one dataclass per component."""

    id: str
    name: str
    architecture: str
    chassis: Chassis
    engine: Engine | None = None
    transmission: Transmission | None = None
    planetary: Planetary | None = None
    battery: Battery | None = None
    motors: Mapping[str, Motor] = dataclasses.field(default_factory=dict)
    controller: Any = None
    accessories: Accessories = dataclasses.field(default_factory=Accessories)
    drive: DriveUnits | None = None  # battery-electric: drive units per axle ([drive])
    #: Component tables an architecture brings (its registry entry's ``tables``, e.g. the series-parallel
    #: ``[series_parallel_gearing]``), by table name; each is also an attribute (``vehicle.series_parallel_gearing``).
    tables: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    claims: tuple[Claim, ...] = ()
    notes: str = ""
    source: str = ""
    #: Test mass and road load per procedure (``[test_conditions.<procedure>]``), used as they are by it.
    test_conditions: Mapping[str, ProcedureRoadLoad] = dataclasses.field(default_factory=dict)
    #: Charged from the grid (OVC-HEV, ``[vehicle] plugin``): ``None`` takes the architecture's ``plugin``; only an
    #: architecture with ``plugin_optional`` (P2) may be either. Resolved to a bool on construction.
    plugin: bool | None = None

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"vehicle.architecture = {self.architecture!r}: must be one of "
                             f"{', '.join(ARCHITECTURES)}")
        arch = ARCHITECTURES[self.architecture]
        known = _registry.table_names()
        bad = [t for t in self.tables if t not in known]
        if bad:
            raise ValueError(f"tables = {bad}: unknown component tables (allowed: {', '.join(known) or 'none'}, the "
                             "tables of the registered architectures)")
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        for section in arch.required:
            if getattr(self, section) is None:
                raise ValueError(f"[{section}] = None: required for architecture {self.architecture!r}")
        names = set(self.motors)
        if not arch.accepts_motors(names):
            raise ValueError(f"motors = {sorted(names)}: architecture {self.architecture!r} needs the tables "
                             f"{arch.motors_wanted()}")
        object.__setattr__(self, "motors", MappingProxyType(dict(self.motors)))
        for name, tc in self.test_conditions.items():
            if not isinstance(tc, ProcedureRoadLoad) or tc.procedure not in ("", name):
                raise ValueError(f"test_conditions.{name} = {tc!r}: must be a ProcedureRoadLoad for {name!r}")
        object.__setattr__(self, "test_conditions", MappingProxyType(dict(self.test_conditions)))
        controller = arch.controller_class
        if self.controller is None:
            object.__setattr__(self, "controller", controller())
        if not isinstance(self.controller, controller):
            raise ValueError(f"controller = {type(self.controller).__name__}: architecture "
                             f"{self.architecture!r} needs a {controller.__name__}")
        for section in (*_OPTIONAL, *self.tables):
            if section not in arch.required and getattr(self, section) is not None:
                raise ValueError(f"[{section}] = {{...}}: not used by architecture {self.architecture!r} (allowed "
                                 f"tables: {', '.join(arch.required)}, accessories, controller, motors, claims)")
        if self.plugin is None:
            object.__setattr__(self, "plugin", bool(arch.plugin))
        elif not isinstance(self.plugin, bool):
            raise ValueError(f"vehicle.plugin = {self.plugin!r}: must be true or false")
        elif self.plugin != arch.plugin and not arch.plugin_optional:
            raise ValueError(f"vehicle.plugin = {str(self.plugin).lower()}: out of range for architecture "
                             f"{self.architecture!r}, allowed {str(arch.plugin).lower()} (or leave the key out)")
        _check_cross(self)
        arch.check_vehicle(self)

    @property
    def starts_full(self) -> bool:
        """A run starts from full charge (``battery.soc_max``) unless told otherwise: plug-ins and BEVs."""
        return bool(self.plugin) or ARCHITECTURES[self.architecture].electric

    @property
    def charge_sustaining(self) -> bool:
        """A hybrid not charged from the grid: its runs are charge-balanced and start at the SOC target."""
        return ARCHITECTURES[self.architecture].hybrid and not self.plugin

    def __reduce__(self):
        """Pickle support (for process pools and Dask workers): ``motors`` is a read-only mapping proxy,
        which pickle cannot store, so the vehicle is rebuilt from its fields."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["motors"] = dict(self.motors)
        fields["test_conditions"] = dict(self.test_conditions)
        fields["tables"] = dict(self.tables)
        return (_rebuild_vehicle, (fields,))

    def __getattr__(self, name: str):
        """An architecture's own component table (``tables``) as an attribute; None when this vehicle has none of
        a table some registered architecture brings."""
        if name.startswith("__") or name == "tables":
            raise AttributeError(name)
        if name in self.tables:
            return self.tables[name]
        if name in _registry.table_names():
            return None
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _check_cross(v: Vehicle) -> None:
    """Rules between components, so that every accepted vehicle keeps the invariants (issue 15)."""
    b = v.battery
    if b is not None:
        aux = v.accessories.battery_power_w
        if aux > 0.5 * b.max_discharge_power_kw * 1e3:
            raise ValueError(
                f"accessories.electrical_power_w = {v.accessories.electrical_power_w}: the battery must be able to "
                f"supply it, allowed <= {0.5 * b.max_discharge_power_kw * 1e3 * v.accessories.dcdc_efficiency:.4g} "
                f"W (half of battery.max_discharge_power_kw = {b.max_discharge_power_kw} through the DC/DC)")
    if (b is not None and b.has_polarisation
            and "battery_polarisation_power_w" not in ARCHITECTURES[v.architecture].kernel_names):
        # a plant carries the branch's voltage as a state and records its stored energy (the kernel field), or not
        raise ValueError(
            f"battery.polarisation_fraction = {b.polarisation_fraction}: the battery's 1-RC branch is not modelled "
            f"by this plant, allowed 0 for architecture {v.architecture!r} (its plant has no polarisation state)")
    if b is not None:
        # the controller's SOC set points must lie in the battery's window (a hybrid starts at its target)
        for key in ("soc_target", "soc_engine_on", "soc_cs_enter", "soc_engine_force"):
            if key == "soc_cs_enter" and not v.plugin:
                continue  # a full hybrid never depletes: the CD/CS threshold is not used
            x = getattr(v.controller, key, None)
            if x is not None and not b.soc_min <= x <= b.soc_max:
                raise ValueError(f"controller.{key} = {x}: out of range, allowed battery.soc_min = {b.soc_min} to "
                                 f"battery.soc_max = {b.soc_max} (the SOC window)")


def check_bev_vehicle(v: Vehicle) -> None:
    """BEV rules (the ``bev`` registry entry's ``vehicle_check``): each drive unit's ratio goes with its machine,
    one without the other is a description error (a single-motor car has one of the two, issue 17)."""
    d = v.drive
    for axle, key, ratio in (("front", "front_ratio", d.front_ratio), ("rear", "rear_gear_ratios",
                                                                        d.rear_gear_ratios)):
        if (ratio is None) != (axle not in v.motors):
            shown = "None" if ratio is None else ratio if axle == "front" else list(ratio)
            raise ValueError(f"drive.{key} = {shown}: out of range, allowed "
                             + ("a ratio (the car has [motors." + axle + "])" if ratio is None else
                                "none (no [motors." + axle + "] table: leave the key out)"))


def check_p2_vehicle(v: Vehicle) -> None:
    """P2 rules (the ``p2`` registry entry's ``vehicle_check``): its kernel shifts a step-ratio box by its own
    rule or, for a manual box, by the procedure's gears (a CVT: its range as ratio steps, ``powertrains/_p2_cvt.py``);
    no torque converter; a plug-in's forced engine start lies below its CD→CS threshold."""
    c = v.controller
    if v.plugin and c.soc_engine_force > c.soc_cs_enter:
        raise ValueError(f"controller.soc_engine_force = {c.soc_engine_force}: must not exceed soc_cs_enter = "
                         f"{c.soc_cs_enter} (a plug-in)")
    if v.transmission.converter_k_factor_rpm_per_sqrt_nm > 0:
        raise ValueError(f"transmission.converter_k_factor_rpm_per_sqrt_nm = "
                         f"{v.transmission.converter_k_factor_rpm_per_sqrt_nm}: out of range for architecture 'p2', "
                         "allowed 0 (its engine clutch K0 and the P2 motor take the converter's place; the P2 plant "
                         "has no converter model)")


def check_ths_vehicle(v: Vehicle) -> None:
    """THS-II rules between engine, gear set and MG1 (the ``ths`` and ``ths_plugin`` registry entries'
    ``vehicle_check``); a rear motor (E-Four) goes with its ratio, one without the other is a description error."""
    ratio = v.planetary.rear_motor_ratio
    if (ratio is None) != ("rear" not in v.motors):
        raise ValueError(f"planetary.rear_motor_ratio = {ratio}: out of range, allowed "
                         + ("a ratio (the car has [motors.rear])" if ratio is None else
                            "none (no [motors.rear] table: leave the key out)"))
    # MG1 spins the engine up from rest within one 1 s step and reacts its torque: its torque (times
    # 1 + k at the carrier) must exceed the inertia torque of that start, else every start is infeasible
    e, pg, mg1 = v.engine, v.planetary, v.motors["mg1"]
    k = pg.ring_teeth / pg.sun_teeth
    t_start = e.inertia_kgm2 * e.idle_speed_rpm * math.pi / 30.0 / 1.0
    t_avail = 0.5 * (1.0 + k) * mg1.peak_torque_nm
    # MG1 follows the ring when the engine is off (ω_MG1 = −k·ω_r): its rotor torque at a brisk 5 m/s²
    # (estimate: harder than any type-approval trace, US06 peaks near 3.8 m/s²) within half its peak
    w_dot_r = 5.0 / v.chassis.wheel_radius_m * pg.ring_to_axle_ratio
    t_g = mg1.inertia_kgm2 * k * w_dot_r
    if t_g > 0.5 * mg1.peak_torque_nm:
        raise ValueError(
            f"motors.mg1.inertia_kgm2 = {mg1.inertia_kgm2}: MG1 cannot follow the ring, allowed <= "
            f"{0.5 * mg1.peak_torque_nm / (k * w_dot_r):.3g} kg·m² (its rotor torque at 5 m/s² must stay "
            f"within half its peak torque {mg1.peak_torque_nm} N·m)")
    if t_start > t_avail:
        raise ValueError(
            f"engine.inertia_kgm2 = {e.inertia_kgm2}: MG1 cannot start it, allowed <= "
            f"{t_avail / (e.idle_speed_rpm * math.pi / 30.0):.3g} kg·m² (half of MG1's peak torque "
            f"{mg1.peak_torque_nm} N·m at the carrier must spin it to idle within 1 s)")


def _rebuild_vehicle(fields: dict) -> Vehicle:
    return Vehicle(**fields)


_VEHICLE_KEYS = {"name": str, "architecture": str, "notes": str, "extends": str, "plugin": bool}
#: The component tables every vehicle file knows (a ``Vehicle`` field each); an architecture adds its own through
#: its registry entry's ``tables`` (:func:`sections`), with no edit here.
CORE_SECTIONS = {
    "chassis": Chassis,
    "engine": Engine,
    "transmission": Transmission,
    "planetary": Planetary,
    "battery": Battery,
    "accessories": Accessories,
    # --- battery-electric ---
    "drive": DriveUnits,
}
_OPTIONAL = ("engine", "transmission", "planetary", "battery", "drive")  # core tables an architecture may not use


def sections() -> dict[str, type]:
    """Every component table a vehicle file may hold: :data:`CORE_SECTIONS` and the registered architectures'
    ``tables``."""
    return {**CORE_SECTIONS, **_registry.component_tables()}


def __getattr__(name: str):
    if name == "_SECTIONS":  # the old name of the table list (docs/make_tables.py, users)
        return sections()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_FILE_KEYS = {"engine": ("map_file", "wot_file"), "battery": ("table_file",)}


def _file_tables(doc: dict):
    """(table, file keys) of every table of a vehicle document that names files: the sections of
    ``_FILE_KEYS`` and each ``[motors.<name>]`` (its ``loss_map_file``)."""
    for section, keys in _FILE_KEYS.items():
        if isinstance(doc.get(section), dict):
            yield doc[section], keys
    motors = doc.get("motors")
    if isinstance(motors, dict):
        for table in motors.values():
            if isinstance(table, dict):
                yield table, ("loss_map_file",)


def _merge(base: dict, child: dict) -> dict:
    """Deep merge of two TOML documents: tables merge key by key, anything else (values, arrays such as
    ``[[claims]]``) is taken from the child when it has the key."""
    out = dict(base)
    for key, val in child.items():
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], val)
        else:
            out[key] = val
    return out


def _locate(path: Path, ref: str) -> Path:
    """A file named in a vehicle file: relative to that file; if it is not there, the shipped one of the same
    relative name (so that a copy of a shipped vehicle file still finds its ``maps/`` and ``extends`` base)."""
    own = (path.parent / ref).resolve()
    if own.is_file():
        return own
    shipped = (data_dir("vehicles") / ref).resolve()
    return shipped if shipped.is_file() else own


def _load_toml(path: Path, what: str) -> dict:
    """A TOML file as a dict; any reading problem is one ValueError naming the file."""
    text = read_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


def _extends(doc: dict, path: Path, seen: tuple[Path, ...] = (), origin: dict | None = None) -> dict:
    """Resolve ``[vehicle] extends = "base.toml"`` (a path relative to this file): the base file's tables
    deep-merged with this file's, this file winning. File keys of the base are made absolute first.
    ``origin`` (if given) receives ``"section.key" -> base file`` for every value taken from a base."""
    head = doc.get("vehicle")
    if not isinstance(head, dict) or "extends" not in head:
        return doc
    ref = head["extends"]
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError(f"vehicle.extends = {ref!r}: must be a non-empty string (a vehicle file path relative "
                         "to this one)")
    base_path = _locate(path, ref)
    if base_path in seen or base_path == path.resolve():
        raise ValueError(f"vehicle.extends = {ref!r}: circular extends")
    if base_path.is_dir():
        raise ValueError(f"vehicle.extends = {ref!r}: {base_path} is a folder, allowed: a vehicle file")
    if not base_path.is_file():
        raise ValueError(f"vehicle.extends = {ref!r}: file not found (looked for {base_path}, and among the "
                         "shipped vehicle files; allowed: a vehicle .toml file)")
    try:
        base = _load_toml(base_path, "vehicle file")
    except ValueError as exc:
        raise ValueError(f"vehicle.extends = {ref!r}: {exc}") from None
    sub: dict = {}
    base = _extends(base, base_path, (*seen, path.resolve()), sub)
    for table, keys in _file_tables(base):
        for fk in keys:
            if isinstance(table.get(fk), str):
                table[fk] = str(_locate(base_path, table[fk]))
    if origin is not None:
        for sec, table in base.items():
            child = doc.get(sec)
            if isinstance(table, dict):
                for key in table:
                    if not (isinstance(child, dict) and key in child):
                        origin[f"{sec}.{key}"] = sub.get(f"{sec}.{key}", base_path)
                if sec == "motors":
                    for name, t in table.items():
                        if isinstance(t, dict):
                            for key in t:
                                c = child.get(name) if isinstance(child, dict) else None
                                if not (isinstance(c, dict) and key in c):
                                    origin[f"motors.{name}.{key}"] = sub.get(f"motors.{name}.{key}", base_path)
            elif sec not in doc:
                origin[sec] = sub.get(sec, base_path)
    merged = _merge(base, doc)
    merged["vehicle"] = {k: v for k, v in merged["vehicle"].items() if k != "extends"}
    return merged


def _parse(doc: dict, path: Path, vid: str, origin: dict | None = None) -> Vehicle:
    doc = _extends(doc, path, origin=origin)
    head = doc.get("vehicle")
    if not isinstance(head, dict):
        raise ValueError("[vehicle] = None: the table is required (name, architecture)")
    for key, val in head.items():
        if key not in _VEHICLE_KEYS:
            raise ValueError(f"vehicle.{key} = {val!r}: unknown key; allowed keys: {', '.join(_VEHICLE_KEYS)}")
        if not isinstance(val, _VEHICLE_KEYS[key]):
            raise ValueError(f"vehicle.{key} = {val!r}: must be "
                             + ("true or false" if _VEHICLE_KEYS[key] is bool else "a string"))
    for key in ("name", "architecture"):
        if key not in head:
            raise ValueError(f"vehicle.{key} = None: is required")
    arch = head["architecture"]
    if arch not in ARCHITECTURES:
        raise ValueError(f"vehicle.architecture = {arch!r}: must be one of {', '.join(ARCHITECTURES)}")
    all_sections = sections()
    allowed = {"vehicle", "controller", "claims", "motors", "test_conditions", *all_sections}
    for key in doc:
        if key not in allowed:
            raise ValueError(f"[{key}] = {doc[key]!r}: unknown table; allowed tables: {', '.join(sorted(allowed))}")
    need = ARCHITECTURES[arch].required
    for section in need:
        if section not in doc:
            raise ValueError(f"[{section}] = None: the table is required for architecture {arch!r} (required "
                             f"tables: {', '.join(need)})")
    for section in (*_OPTIONAL, *_registry.table_names()):
        if section in doc and section not in need:
            raise ValueError(f"[{section}] = {{...}}: not used by architecture {arch!r} (allowed tables: "
                             f"{', '.join(need)}, accessories, controller, motors, claims)")
    kwargs: dict[str, Any] = {"tables": {}}
    for section, cls in all_sections.items():
        if section in doc:
            if not isinstance(doc[section], dict):
                raise ValueError(f"{section} = {doc[section]!r}: must be a table [{section}]")
            table = dict(doc[section])
            for fk in _FILE_KEYS.get(section, ()):
                if isinstance(table.get(fk), str):
                    f = _locate(path, table[fk])
                    if not f.is_file():
                        raise ValueError(f"{section}.{fk} = {table[fk]!r}: file not found (looked for {f}, and "
                                         f"for {(data_dir('vehicles') / table[fk]).resolve()} among the shipped maps)")
                    table[fk] = str(f)
            (kwargs if section in CORE_SECTIONS else kwargs["tables"])[section] = from_table(cls, table, section)
    motors = doc.get("motors", {})
    if not isinstance(motors, dict):
        raise ValueError(f"motors = {motors!r}: must be tables [motors.<name>]")
    tables = {}
    for name, t in motors.items():
        if isinstance(t, dict) and isinstance(t.get("loss_map_file"), str):
            f = _locate(path, t["loss_map_file"])
            if not f.is_file():
                raise ValueError(f"motors.{name}.loss_map_file = {t['loss_map_file']!r}: file not found (looked for "
                                 f"{f}, and among the shipped maps)")
            t = {**t, "loss_map_file": str(f)}
        tables[name] = t
    kwargs["motors"] = {}
    for name, t in tables.items():
        try:
            kwargs["motors"][name] = from_table(Motor, t, f"motors.{name}")
        except ValueError as exc:  # the component's own checks name the table "motors"
            msg = str(exc)
            if msg.startswith("motors.") and not msg.startswith(f"motors.{name}."):
                msg = f"motors.{name}.{msg[len('motors.'):]}"
            raise ValueError(msg) from None
    if not ARCHITECTURES[arch].accepts_motors(kwargs["motors"]):
        raise ValueError(f"motors = {sorted(kwargs['motors'])}: architecture {arch!r} needs the tables "
                         f"{ARCHITECTURES[arch].motors_wanted()}")
    if "controller" in doc:
        kwargs["controller"] = from_table(ARCHITECTURES[arch].controller_class, doc["controller"], "controller")
    claims = doc.get("claims", [])
    if not isinstance(claims, list):
        raise ValueError(f"claims = {claims!r}: must be an array of tables [[claims]]")
    kwargs["claims"] = tuple(from_table(Claim, c, "claims") for c in claims)
    tcs = doc.get("test_conditions", {})
    if not isinstance(tcs, dict) or not all(isinstance(t, dict) for t in tcs.values()):
        raise ValueError(f"test_conditions = {tcs!r}: must be tables [test_conditions.<procedure>]")
    kwargs["test_conditions"] = {name: from_table(ProcedureRoadLoad, t, f"test_conditions.{name}", procedure=name)
                                 for name, t in tcs.items()}
    return Vehicle(id=vid, name=head["name"], architecture=arch, notes=head.get("notes", ""),
                   source=str(path), plugin=head.get("plugin"), **kwargs)


def read_vehicle(path: str | Path) -> Vehicle:
    """Read and validate a vehicle TOML file; any problem raises one ValueError naming the file (and, for a
    value inherited through ``extends``, the base file it was set in)."""
    path = Path(path)
    doc = _load_toml(path, "vehicle file")
    origin: dict[str, Path] = {}
    try:
        return _parse(doc, path, path.stem, origin)
    except ValueError as exc:
        msg = str(exc)
        m = re.match(r"\[?([A-Za-z_][\w.]*)\]?\s*=", msg)
        key = m.group(1) if m else ""
        base = origin.get(key) or origin.get(key.split(".")[0])
        if base is not None:
            raise ValueError(f"{path}: {msg} (the value comes from the extends base {base})") from None
        raise ValueError(f"{path}: {msg}") from None


def list_vehicles() -> list[str]:
    """Ids (file stems) of the shipped vehicles."""
    return sorted(p.stem for p in data_dir("vehicles").glob("*.toml"))


@functools.lru_cache(maxsize=32)
def load_vehicle(name: str) -> Vehicle:
    """A shipped vehicle by id, e.g. ``load_vehicle("xingyue_l")``."""
    available = list_vehicles()
    key = name.strip().lower()
    if key not in available:
        raise UnknownNameError("vehicle", name, available)
    return read_vehicle(data_dir("vehicles") / f"{key}.toml")


def replace_path(vehicle: Vehicle, path: str, value: Any) -> Vehicle:
    """A copy of ``vehicle`` with the parameter at ``path`` (the file's own key path) replaced.

    ``replace_path(v, "engine.peak_power_kw", 150.0)``. The changed component is re-validated.
    """
    parts = path.split(".")
    if len(parts) < 2:
        raise ValueError(f"parameter path {path!r}: must look like 'section.key'")

    def rec(obj: Any, keys: list[str]) -> Any:
        if isinstance(obj, Vehicle) and keys[0] in obj.tables:  # an architecture's own table
            return dataclasses.replace(obj, tables=rec(obj.tables, keys))
        if isinstance(obj, Mapping):
            if keys[0] not in obj or len(keys) < 2:
                raise ValueError(f"parameter path {path!r}: no component {keys[0]!r} (have {', '.join(obj)})")
            new = dict(obj)
            new[keys[0]] = rec(obj[keys[0]], keys[1:])
            return new
        if not dataclasses.is_dataclass(obj) or keys[0] not in {f.name for f in dataclasses.fields(obj)}:
            raise ValueError(f"parameter path {path!r}: {keys[0]!r} is not a parameter of "
                             f"{type(obj).__name__}")
        if len(keys) == 1:
            old = getattr(obj, keys[0])
            if isinstance(old, tuple) and isinstance(value, list):
                return dataclasses.replace(obj, **{keys[0]: tuple(value)})
            if isinstance(old, float) and isinstance(value, int):
                return dataclasses.replace(obj, **{keys[0]: float(value)})
            return dataclasses.replace(obj, **{keys[0]: value})
        return dataclasses.replace(obj, **{keys[0]: rec(getattr(obj, keys[0]), keys[1:])})

    try:
        return rec(vehicle, parts)
    except ValueError as exc:
        msg = str(exc)
        if parts[0] == "motors" and msg.startswith("motors.") and not msg.startswith(f"motors.{parts[1]}."):
            # a machine's own check names its key without the machine: name it, as the file loader does
            raise ValueError(f"motors.{parts[1]}.{msg[len('motors.'):]}") from None
        raise


def parameter_attrs(vehicle: Vehicle, path: str) -> dict[str, str]:
    """CF attributes (``units``, ``long_name``) of the parameter at ``path`` of ``vehicle`` (a sweep
    coordinate): the unit from the parameter's description ("Curb mass. [kg]") or its key's suffix."""
    import re

    from .units import udunits, unit_of_key

    obj: Any = vehicle
    doc = ""
    for key in path.split("."):
        if isinstance(obj, Mapping):
            obj = obj[key]
            continue
        field = next((f for f in dataclasses.fields(obj) if f.name == key), None) if dataclasses.is_dataclass(obj) \
            else None
        doc = field.metadata.get("doc", "") if field is not None else ""
        obj = getattr(obj, key)
    m = re.search(r"\[([^\]]*)\]\s*$", doc)
    unit = udunits(m.group(1)) if m else (unit_of_key(path) or "1")
    name = re.sub(r"\s*\[[^\]]*\]\s*$", "", doc).rstrip(".") or path
    return {"units": unit, "long_name": f"{name} (vehicle-file parameter {path})"}
