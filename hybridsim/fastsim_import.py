"""``hybridsim import-fastsim FILE.yaml``: a FASTSim 3 vehicle file as a hybridsim vehicle file.

FASTSim 3 (NREL, ``fastsim-core/resources/vehicles/*.yaml``) describes a vehicle by its chassis, one power
figure and one efficiency curve per component (``fc`` fuel converter, ``em`` electric machine, ``res``
battery, ``fs`` fuel storage) and an overall transmission efficiency. hybridsim needs more: engine speeds and
torques for its engine map, gear ratios, tooth numbers of a power split, cell voltages. So the imported
file is the shipped vehicle of the same architecture (the *template*) with what FASTSim says written over it
(the template's claims, test conditions and coast-down coefficients are left out: they describe the template
car); every value taken from FASTSim or scaled carries a comment saying so:

* mapped (comment ``S: FASTSim <field>``): chassis (mass, C_d, A, C_rr, wheel radius and inertia, centre of
  gravity, wheelbase, driven axle and its load share, tyre friction), accessory power, engine power, motor
  power, battery energy, power and SOC window;
* scaled (``E``): engine torque and displacement, motor torque, in proportion to the power (the template's
  specific power and torque are kept); the battery capacity in A·h is the energy over the template's nominal
  voltage;
* not mapped (listed in a comment block and in the report): FASTSim's efficiency curves (hybridsim builds its
  own maps), power ramp lags, idle fuel power, fuel-storage size, HEV controls and anything else.

Architectures: ``ConventionalVehicle`` → ``conventional`` (template ``xingyue_l``); ``HybridElectricVehicle``
→ ``ths`` (template ``ralink``: FASTSim's HEV is a generic parallel hybrid, hybridsim has the THS-II power
split); ``BatteryElectricVehicle`` → ``bev`` (template ``taycan_turbo``: the one machine's power is shared
between the two axles in the template's proportion); ``PlugInHybridElectricVehicle`` → ``p2`` (template
``tank300_hi4t``).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .architectures import View
from .units import W_PER_KW

#: FASTSim powertrain type → (hybridsim architecture, shipped template vehicle): a view of the registry entries'
#: ``fastsim`` (:mod:`hybridsim.architectures`).
ARCHITECTURES = View(lambda a: (a.name, a.fastsim[1]), where=lambda a: a.fastsim is not None,
                     key=lambda a: a.fastsim[0])
_DRIVEN = {"FWD": "front", "RWD": "rear", "AWD": "all", "4WD": "all"}
_COASTDOWN_KEYS = ("road_load_f0_n", "road_load_f1_n_per_kmh", "road_load_f2_n_per_kmh2",
                   "road_load_includes_machine_drag")
#: Template chassis keys that describe the template car's size: left out.
_TEMPLATE_CHASSIS_ONLY = ("length_m", "width_m", "height_m", "max_laden_mass_kg")
#: Template tables that describe the template car itself, not the imported one: left out.
_TEMPLATE_ONLY = ("claims", "test_conditions")


@dataclass
class Import:
    """The result of an import: the TOML text and what was mapped, scaled and left out."""

    toml: str
    architecture: str
    template: str
    mapped: list[str] = field(default_factory=list)
    scaled: list[str] = field(default_factory=list)
    not_mapped: list[str] = field(default_factory=list)

    def report(self) -> str:
        return "\n".join([
            f"architecture {self.architecture}, template {self.template}: every key not listed here is the "
            "template's (see vehicles/<template>.toml for their sources)",
            f"mapped from FASTSim ({len(self.mapped)}): " + ", ".join(self.mapped),
            f"scaled with the power, E ({len(self.scaled)}): " + ", ".join(self.scaled),
            f"not mapped ({len(self.not_mapped)}): " + ", ".join(self.not_mapped),
        ])


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(d, dict):
        return {prefix: d}
    out: dict[str, Any] = {}
    for k, v in d.items():
        out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(round(v, 6))
    return str(v)


class _Builder:
    """Reads FASTSim fields (remembering which were used) and collects the hybridsim keys."""

    def __init__(self, doc: dict, where: str, arch: str, out: Import):
        self.doc, self.where, self.arch, self.out = doc, where, arch, out
        self.used: set[str] = set()
        self.tables: dict[str, dict[str, tuple[Any, str]]] = {}

    def get(self, key: str, required: bool = True):
        node: Any = self.doc
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None and required:
            raise ValueError(f"{self.where}: {key} is missing (needed for the {self.arch} import)")
        if node is not None:
            self.used.add(key)
        return node

    def positive(self, key: str) -> float:
        raw = self.get(key)
        try:
            x = float(raw)
        except (TypeError, ValueError):
            x = math.nan
        if not (math.isfinite(x) and x > 0):
            raise ValueError(f"{self.where}: {key} = {raw!r}: must be a positive number")
        return x

    def put(self, table: str, key: str, value: Any, comment: str, scaled: bool = False) -> None:
        self.tables.setdefault(table, {})[key] = (value, comment)
        (self.out.scaled if scaled else self.out.mapped).append(f"{table}.{key}")


def _emit(table: dict, prefix: str, comments: dict[tuple[str, str], str]) -> list[str]:
    """TOML lines of a nested dict: the scalars of ``table`` under its header, then its sub-tables."""
    lines: list[str] = []
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    if prefix:
        lines += ["", f"[{prefix}]"]
    for k, v in scalars.items():
        value = "[" + ", ".join(_toml_value(x) for x in v) + "]" if isinstance(v, list) else _toml_value(v)
        note = comments.get((prefix, k))
        lines.append(f"{k} = {value}" + (f"  # {note}" if note else ""))
    for k, v in table.items():
        if isinstance(v, dict):
            lines += _emit(v, f"{prefix}.{k}" if prefix else k, comments)
    return lines


def fastsim_to_hybridsim(path: str | Path) -> Import:
    """Convert a FASTSim 3 vehicle YAML file; raises ValueError naming the file and field for what cannot be
    converted (not a FASTSim vehicle, an unknown powertrain type, a missing field, a non-positive power)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml comes with the test and import extras
        raise ValueError("import-fastsim needs PyYAML: pip install 'hybridsim[import]'") from None
    from ._resources import data_dir

    path = Path(path)
    where = str(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{where}: cannot read a FASTSim vehicle file ({exc})") from None
    if not isinstance(doc, dict) or "pt_type" not in doc or "chassis" not in doc:
        raise ValueError(f"{where}: not a FASTSim 3 vehicle file (needs the keys pt_type and chassis)")
    pt = doc["pt_type"]
    kind = next(iter(pt)) if isinstance(pt, dict) and pt else str(pt)
    if kind not in ARCHITECTURES:
        raise ValueError(f"{where}: pt_type = {kind!r}: allowed {', '.join(ARCHITECTURES)}")
    arch, template = ARCHITECTURES[kind]
    comps = pt[kind] if isinstance(pt[kind], dict) else {}
    base = tomllib.loads((data_dir("vehicles") / f"{template}.toml").read_text(encoding="utf-8"))
    out = Import("", arch, template)
    b = _Builder(doc, where, arch, out)

    # --- chassis and accessories
    b.put("chassis", "mass_kg", b.positive("mass_kilograms"),
          "S: FASTSim mass_kilograms (FASTSim's vehicle mass, taken as the curb mass; payload_kg is added)")
    for fkey, hkey in (("chassis.drag_coef", "drag_coefficient"),
                       ("chassis.frontal_area_square_meters", "frontal_area_m2"),
                       ("chassis.wheel_rr_coef", "rolling_resistance_coefficient"),
                       ("chassis.wheel_radius_meters", "wheel_radius_m")):
        b.put("chassis", hkey, b.positive(fkey), f"S: FASTSim {fkey}")
    for key in (*_COASTDOWN_KEYS, *_TEMPLATE_CHASSIS_ONLY):  # the template car's own road load and size:
        base["chassis"].pop(key, None)  # FASTSim's C_d, A, C_rr replace the road load (physical estimate)
    if b.get("chassis.wheel_inertia_kilogram_square_meters", False) is not None:
        n = int(b.get("chassis.num_wheels", False) or 4)
        b.put("chassis", "wheel_inertia_kgm2", float(doc["chassis"]["wheel_inertia_kilogram_square_meters"]) * n,
              f"S: FASTSim chassis.wheel_inertia_kilogram_square_meters × num_wheels ({n})")
    for fkey, hkey in (("chassis.cg_height_meters", "cg_height_m"), ("chassis.wheel_base_meters", "wheelbase_m"),
                       ("chassis.wheel_fric_coef", "tyre_friction_coefficient")):
        if b.get(fkey, False) is not None:
            b.put("chassis", hkey, float(b.get(fkey)), f"S: FASTSim {fkey}")
    drive = b.get("chassis.drive_type", False)
    if drive is not None and str(drive) in _DRIVEN:
        axles = _DRIVEN[str(drive)]
        b.put("chassis", "driven_axles", axles, f"S: FASTSim chassis.drive_type = {drive}")
        frac = b.get("chassis.drive_axle_weight_frac", False)
        if frac is not None and axles in ("front", "rear"):
            share = float(frac) if axles == "front" else 1.0 - float(frac)
            b.put("chassis", "front_axle_load_share", share,
                  "S: FASTSim chassis.drive_axle_weight_frac (the driven axle's share)")
    if b.get("pwr_aux_watts", False) is not None:
        b.put("accessories", "electrical_power_w", float(doc["pwr_aux_watts"]), "S: FASTSim pwr_aux_watts")

    # --- engine
    if "fc" in comps and "engine" in base:
        p_kw = b.positive(f"pt_type.{kind}.fc.pwr_out_max_watts") / W_PER_KW
        ratio = p_kw / float(base["engine"]["peak_power_kw"])
        b.put("engine", "peak_power_kw", p_kw, "S: FASTSim fc.pwr_out_max_watts")
        b.put("engine", "peak_torque_nm", float(base["engine"]["peak_torque_nm"]) * ratio,
              f"E: the template's torque × the power ratio {ratio:.3f} (FASTSim gives no torque)", scaled=True)
        b.put("engine", "displacement_l", float(base["engine"]["displacement_l"]) * ratio,
              f"E: the template's displacement × the power ratio {ratio:.3f}", scaled=True)

    # --- electric machines (THS: MG1 is the generator and keeps the template's values; MG2 drives)
    if "em" in comps and "motors" in base:
        p_kw = b.positive(f"pt_type.{kind}.em.pwr_out_max_watts") / W_PER_KW
        traction = [m for m in base["motors"] if m != "mg1"] or list(base["motors"])
        t_total = sum(float(base["motors"][m]["peak_power_kw"]) for m in traction)
        for m in traction:
            share = float(base["motors"][m]["peak_power_kw"]) / t_total
            ratio = p_kw * share / float(base["motors"][m]["peak_power_kw"])
            note = f" × the template's share {share:.3f}" if len(traction) > 1 else ""
            b.put(f"motors.{m}", "peak_power_kw", p_kw * share, "S: FASTSim em.pwr_out_max_watts" + note)
            b.put(f"motors.{m}", "peak_torque_nm", float(base["motors"][m]["peak_torque_nm"]) * ratio,
                  f"E: the template's torque × the power ratio {ratio:.3f}", scaled=True)

    # --- battery
    if "res" in comps and "battery" in base:
        bat = base["battery"]
        e_j = b.positive(f"pt_type.{kind}.res.energy_capacity_joules")
        b.put("battery", "capacity_ah", e_j / 3600.0 / float(bat["nominal_voltage_v"]),
              f"S: FASTSim res.energy_capacity_joules / the template's nominal voltage {bat['nominal_voltage_v']} V")
        if b.get(f"pt_type.{kind}.res.pwr_out_max_watts", False) is not None:
            p_kw = b.positive(f"pt_type.{kind}.res.pwr_out_max_watts") / W_PER_KW
            b.put("battery", "max_discharge_power_kw", p_kw, "S: FASTSim res.pwr_out_max_watts")
            b.put("battery", "max_charge_power_kw", p_kw, "E: FASTSim's one power limit, used for charging too")
        for fkey, hkey in (("min_soc", "soc_min"), ("max_soc", "soc_max")):
            if b.get(f"pt_type.{kind}.res.{fkey}", False) is not None:
                b.put("battery", hkey, float(comps["res"][fkey]), f"S: FASTSim res.{fkey}")

    # --- what did not map, and the file
    out.not_mapped = sorted(k for k in _flatten(doc) if k not in b.used and not k.endswith("save_interval")
                            and k not in ("name", "year") and _flatten(doc)[k] is not None)
    name = str(doc.get("name") or path.stem)
    if doc.get("year") and str(doc["year"]) not in name:
        name += f" ({doc['year']})"
    lines = [f"# Imported from the FASTSim 3 vehicle file {path.name} by `hybridsim import-fastsim`.",
             f"# Architecture {arch}, template {template}. S = the FASTSim file's value, E = scaled from the template.",
             "# Not mapped from the FASTSim file (hybridsim builds its own maps and controls):"]
    lines += [f"#   {k}" for k in out.not_mapped] or ["#   (nothing)"]
    lines += [f"# Values without a comment are the template's; their sources are in vehicles/{template}.toml.",
              f"# Left out: the template's {', '.join(_TEMPLATE_ONLY)}, coast-down coefficients and dimensions "
              "(they describe the template car)."]
    merged = {k: v for k, v in base.items() if k not in _TEMPLATE_ONLY}
    merged["vehicle"] = {**merged.get("vehicle", {}), "name": name + " (FASTSim import)", "architecture": arch,
                         "notes": f"Imported from {path.name} (FASTSim 3) by hybridsim import-fastsim; the values "
                                  f"not in that file are those of the shipped vehicle {template}."}
    comments: dict[tuple[str, str], str] = {}
    for table, keys in b.tables.items():
        node = merged
        for part in table.split("."):
            node = node.setdefault(part, {})
        for key, (value, comment) in keys.items():
            node[key] = value
            comments[(table, key)] = comment
    lines += _emit(merged, "", comments)
    out.toml = "\n".join(lines) + "\n"
    return out
