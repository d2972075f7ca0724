"""Results: one registry of output variables (units, long name, role in the energy balance),
the kernel-output → ``xarray.Dataset`` bridge, and :func:`summarize`.

Energy balance (checked on every run)::

    Σ sources (fuel chemical energy, battery chemical energy)
        = wheel work + Σ losses (engine, converter, gearbox, brakes, ...) + accessories + rotor KE

The wheel work in the check is recomputed from the achieved speed trace and the chassis
coefficients stored in the Dataset attributes (``components/chassis.wheel_energy_j``), not taken from
the kernel, so the check also catches a kernel whose wheel power disagrees with the road-load model.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import xarray as xr

from .architectures import Merged, Var
from .components.chassis import (  # noqa: F401  (chassis_attrs, CHASSIS_ATTR_PREFIX: re-exported)
    CHASSIS_ATTR_PREFIX,
    ChassisK,
    chassis_attrs,
    chassis_from_attrs,
    wheel_energy_j,
)
from .units import J_PER_KWH, KMH_PER_MPS, KWH, KWH_PER_100KM, L_PER_100KM, M_PER_KM, unit_of_key

#: Variables every architecture may record; each architecture adds its own (its registry entry's
#: ``variables``). :data:`VARIABLES` is the union, following the registry.
COMMON_VARIABLES: dict[str, Var] = {
    "speed_cycle": Var("m s-1", "speed demanded by the drive cycle"),
    "speed": Var("m s-1", "achieved vehicle speed"),
    "grade": Var("1", "road grade (rise/run)"),
    "trace_miss": Var("m s-1", "demanded minus achieved speed"),
    "gear": Var("1", "engaged gear (1 = first; 0 = clutch disengaged, manual gearbox; 1 throughout for a CVT)",
                integer=True),
    "engine_speed": Var("rad s-1", "engine speed"),
    "engine_torque": Var("N m", "engine brake torque"),
    "fuel_rate": Var("kg s-1", "fuel mass flow"),
    "fuel_power": Var("W", "fuel chemical power (mass flow × LHV)", "source"),
    "engine_loss": Var("W", "engine loss (fuel power − brake power)", "sink"),
    "accessory_power": Var("W", "accessory (auxiliary) load", "sink"),
    "engine_inertia_power": Var("W", "power accelerating the engine rotor", "sink"),
    "gearbox_loss": Var("W", "gearbox and final-drive loss", "sink"),
    "brake_power": Var("W", "friction-brake power", "sink"),
    "wheel_power": Var("W", "power demanded at the wheels (road load + inertia + grade)", "wheel"),
    "engine_mode": Var("1", "engine state: 0 off, 1 fuelled, 2 spun unfuelled",
                       flags=((0, 1, 2), "off fuelled spun_unfuelled"), integer=True),
    "battery_current": Var("A", "battery current (> 0 discharge)"),
    "battery_voltage": Var("V", "battery terminal voltage"),
    "battery_power": Var("W", "battery terminal power (> 0 discharge)"),
    "soc": Var("1", "battery state of charge"),
    "coolant_temperature": Var("degC", "engine coolant temperature"),
    "battery_chemical_power": Var("W", "battery chemical power (OCV × effective current, > 0 discharge)",
                                  "source"),
    "inverter_loss": Var("W", "inverter and boost-converter loss", "sink"),
    "battery_loss": Var("W", "battery resistive and coulombic loss", "sink"),
}

#: The Dataset variables of every registered architecture (:mod:`hybridsim.architectures`): a read-only view.
VARIABLES: Mapping[str, Var] = Merged(COMMON_VARIABLES, lambda a: a.variables)

#: Kernel output field → Dataset variable, for the fields every kernel may have; each architecture adds its own
#: (its registry entry's ``kernel_names``). :data:`KERNEL_NAMES` is the union, following the registry.
COMMON_KERNEL_NAMES = {
    "speed_mps": "speed",
    "gear": "gear",
    "engine_speed_rad_s": "engine_speed",
    "engine_torque_nm": "engine_torque",
    "fuel_kg_s": "fuel_rate",
    "fuel_power_w": "fuel_power",
    "engine_loss_w": "engine_loss",
    "accessory_power_w": "accessory_power",
    "engine_inertia_power_w": "engine_inertia_power",
    "gearbox_loss_w": "gearbox_loss",
    "wheel_power_w": "wheel_power",
    "brake_power_w": "brake_power",
    "trace_miss_mps": "trace_miss",
    "engine_mode": "engine_mode",
    "battery_current_a": "battery_current",
    "battery_voltage_v": "battery_voltage",
    "battery_power_w": "battery_power",
    "soc": "soc",
    "coolant_temp_c": "coolant_temperature",
    "battery_chemical_power_w": "battery_chemical_power",
    "inverter_loss_w": "inverter_loss",
    "battery_loss_w": "battery_loss",
}
#: Kernel output field → Dataset variable of every registered architecture: a read-only view.
KERNEL_NAMES: Mapping[str, str] = Merged(COMMON_KERNEL_NAMES, lambda a: a.kernel_names)


def to_dataset(cycle, out: NamedTuple, attrs: dict) -> xr.Dataset:
    """Build the result Dataset on the ``time`` dimension from a kernel's output NamedTuple.

    Value at index k of an energy-flow variable is the mean power over the interval (t[k−1], t[k]);
    index 0 holds the initial state (zero power). Integer states (gears, modes) are integers with CF
    ``flag_values``/``flag_meanings`` where they are codes; the cycle's phase of each sample is the ``phase``
    coordinate (a boundary sample belongs to the earlier phase).
    """
    data = {"speed_cycle": cycle.speed_mps, "grade": cycle.grade}
    for field in out._fields:
        data[KERNEL_NAMES[field]] = getattr(out, field)
    coords = {"time": ("time", np.array(cycle.time_s, dtype=np.float64),
                       {"units": "s", "long_name": "time since the start of the cycle", "standard_name": "time",
                        "axis": "T"})}
    labels = phase_labels(cycle)
    if labels is not None:
        coords["phase"] = ("time", labels, dict(PHASE_ATTRS))
    return plain_dataset({name: ("time", _values(name, values), _attrs(name)) for name, values in data.items()},
                         coords, attrs)


def plain_dataset(data_vars: dict, coords: dict, attrs: dict) -> xr.Dataset:
    """``xr.Dataset(data_vars, coords, attrs)`` for numpy arrays given as ``(dims, array, attrs)``, built without
    xarray's probing of every array for dask and other duck-array types (``fastpath`` Variables, the dimension
    coordinates' indexes made here from ``pandas.Index``). The Dataset is the same; building it this way keeps
    ``dask`` (≈0.5 s to import when installed) out of a run that never uses it (issue 16: cold start)."""
    import pandas as pd

    direct = _direct_variables()

    def var(dims, values, a):
        dims = (dims,) if isinstance(dims, str) else tuple(dims)
        values = np.asarray(values)
        if direct and values.ndim == len(dims) and len(set(dims)) == len(dims):
            v = object.__new__(xr.Variable)  # what Variable(dims, values, a, fastpath=True) does, ≈5× faster
            v._data, v._dims, v._attrs, v._encoding = values, dims, dict(a) if a else None, None
            return v
        return xr.Variable(dims, values, dict(a or {}), fastpath=True)

    cvars = {k: var(*v) for k, v in coords.items()}
    indexes = {}
    for k, v in list(cvars.items()):
        if v.dims == (k,):  # a dimension coordinate: its index, and its variable as the index makes it
            indexes[k] = xr.indexes.PandasIndex(pd.Index(v.values, name=k), k)
            cvars.update(indexes[k].create_variables({k: v}))
    dvars = {k: var(*v) for k, v in data_vars.items()}
    construct = getattr(xr.Dataset, "_construct_direct", None)
    if construct is not None and not set(dvars) & set(cvars):
        # the variables are consistent by construction: skip the merge's alignment and copies (≈ half the cost of
        # a summary-level result); the same Dataset as the constructor's (tests/test_cold_start.py)
        from xarray.core.variable import calculate_dimensions

        variables = {**dvars, **cvars}
        scalars = all(not v.dims for v in variables.values())  # a summary: no dimension (calculate_dimensions: {})
        return construct(variables, set(cvars), {} if scalars else calculate_dimensions(variables), dict(attrs),
                         indexes)
    return xr.Dataset(dvars, coords=xr.Coordinates(cvars, indexes=indexes), attrs=attrs)


@functools.cache
def _direct_variables() -> bool:
    """Whether this xarray's ``Variable(dims, values, attrs, fastpath=True)``, for a numpy array and a tuple of as
    many distinct dimension names as it has axes, only sets the four slots ``_data``, ``_dims``, ``_attrs``,
    ``_encoding`` (as xarray 2023–2026 does): checked once against the constructor; if not, the constructor is used."""
    ref = xr.Variable(("x",), np.zeros(2), {"units": "s"}, fastpath=True)
    slots = {s for c in type(ref).__mro__ for s in getattr(c, "__slots__", ())}
    if slots != {"_data", "_dims", "_attrs", "_encoding"} or getattr(ref, "__dict__", {}):
        return False
    got = object.__new__(xr.Variable)
    got._data, got._dims, got._attrs, got._encoding = ref._data, ("x",), {"units": "s"}, None
    return (got._data is ref._data and got._dims == ref._dims and got._attrs == ref._attrs
            and got._encoding == ref._encoding and got.identical(ref))


PHASE_ATTRS = {"long_name": "phase of the drive cycle (a boundary sample belongs to the earlier phase)"}


def phase_labels(cycle) -> np.ndarray | None:
    """The phase name of every sample of ``cycle`` (None if it has no phases; "" outside every phase)."""
    if not cycle.phases:
        return None
    t = np.asarray(cycle.time_s, dtype=np.float64)
    labels = np.full(t.shape, "", dtype=object)
    for ph in reversed(cycle.phases):  # earlier phases last: a shared boundary sample keeps the earlier label
        labels[(t >= ph.start_s) & (t <= ph.end_s)] = ph.name
    return labels.astype(str)


def _values(name: str, values) -> np.ndarray:
    """Integer states (``Var.integer``: gears, codes) as integers, everything else as float64."""
    x = np.asarray(values, dtype=np.float64)
    if name in VARIABLES and VARIABLES[name].integer and np.all(np.isfinite(x)):
        return np.rint(x).astype(np.int8)
    return x


def _attrs(name: str) -> dict:
    v = VARIABLES[name]
    a = {"units": v.units, "long_name": v.long_name}
    if v.flags is not None:  # an integer code: CF flag_values and flag_meanings
        values, meanings = v.flags
        a = {"units": "1", "long_name": v.long_name, "flag_values": np.array(values, dtype=np.int8),
             "flag_meanings": meanings}
    if v.role:
        a["energy_role"] = v.role
    return a


# --- run attributes ----------------------------------------------------------------------------------------

#: units and long names of run attributes that become coordinates of a batch (they vary between cases).
RUN_ATTRS: dict[str, tuple[str, str]] = {
    "simulated_mass_kg": ("kg", "simulated mass: curb mass + payload"),
    "simulated_mass_eff_kg": ("kg", "simulated mass + wheel and rotor inertia reflected to the wheels"),
    "simulated_wheel_radius_m": ("m", "dynamic wheel radius"),
    "simulated_c0_n": ("N", "road-load constant term c0 (coast-down F0)"),
    "simulated_c1_n_per_mps": ("N s m-1", "road-load linear term c1"),
    "simulated_c2_n_per_mps2": ("N s2 m-2", "road-load quadratic term c2"),
    "ambient_temp_c": ("degC", "ambient (soak) temperature"),
    "cold_start": ("1", "1 if the engine started cold at the ambient temperature, 0 if warm"),
    "charge_balanced": ("1", "1 if the result is corrected to zero net battery energy"),
    "soc_init": ("1", "initial battery state of charge"),
    "coolant_init_c": ("degC", "engine coolant temperature at the start (initial_state.coolant_c)"),
}


def run_attr_attrs(name: str) -> dict[str, str]:
    """``units``/``long_name`` of a run attribute that became a coordinate (by name, else by unit suffix)."""
    if name in RUN_ATTRS:
        units, long_name = RUN_ATTRS[name]
        return {"units": units, "long_name": long_name}
    unit = unit_of_key(name)
    return {"units": unit, "long_name": name.replace("_", " ")} if unit else {"long_name": name.replace("_", " ")}


CF_CONVENTIONS = "CF-1.10"


#: ``soc_balance_method`` of a charge balance that found no fuel at zero net battery energy: every run of the balance
#: burnt the same fuel (a cycle too short for the engine to start from any initial SOC) or the fuel-vs-battery-energy
#: line through the runs does not fall (``powertrains._common.soc_balance_steps``). The result is not charge-balanced.
BALANCE_FAILED = "failed"


def is_charge_balanced(attrs) -> bool:
    """The run's fuel is corrected to zero net battery energy (its charge balance did not fail)."""
    return "soc_balance_fuel_kg" in attrs and attrs.get("soc_balance_method") != BALANCE_FAILED


def describe_run(vehicle, cycle, out: NamedTuple, attrs: dict, *, cold_start: bool, ambient_temp_c: float,
                 soc_init: float | None, coolant_init_c: float | None = None) -> dict:
    """Add to a run's attributes what a reader of the file needs: CF ``Conventions``, ``title``, ``source``
    (hybridsim version, vehicle file and its SHA-256, cycle, strategy, cold/hot start, ambient temperature,
    state-of-charge handling) and the same facts as separate attributes. ``coolant_init_c``: the run started
    with the coolant at that temperature (``simulate(initial_state=…)``), not soaked at the ambient. Returns
    ``attrs``."""
    source = getattr(vehicle, "source", "")
    path_str, path_name = _path_parts(str(source)) if source else ("", "")
    digest = _file_sha256_if_file(path_str) if source else ""
    strategy = type(vehicle.controller).__name__ if vehicle.controller is not None else "none"
    soc = getattr(out, "soc", None)
    balanced = is_charge_balanced(attrs)
    if vehicle.battery is None:
        soc_text = "no traction battery"
    elif balanced:
        soc_text = (f"charge-balanced ({attrs.get('soc_balance_method', '')}: fuel corrected to zero net battery "
                    "energy; raw figure in fuel_raw_l_per_100km)")
    else:
        soc_text = "not charge-balanced"
        if attrs.get("soc_balance_method") == BALANCE_FAILED:
            soc_text += (f" (no fuel at zero net battery energy in {attrs.get('soc_balance_runs', '')} runs from "
                         "different initial SOCs: the figures are the raw ones of the run nearest balance)")
        if soc is not None:
            soc_text += f": SOC {float(soc[0]):.3f} -> {float(soc[-1]):.3f}"
        if soc_init is None and vehicle.starts_full:
            soc_text += " (starts full)"
    start_text = (f"cold start at {ambient_temp_c:g} degC ambient" if cold_start
                  else "hot start (engine warm; the ambient temperature is not used)")
    if coolant_init_c is not None:
        start_text = (f"engine coolant at {coolant_init_c:g} degC at the start (warm-up model), ambient "
                      f"{ambient_temp_c:g} degC")
    if vehicle.engine is None:
        start_text = f"ambient {ambient_temp_c:g} degC (no engine)"
    attrs.update({
        "Conventions": CF_CONVENTIONS,
        "title": f"hybridsim: {vehicle.name} over {cycle.name}",
        "source": (f"hybridsim {attrs.get('hybridsim_version', '')}; vehicle {vehicle.id} "
                   f"({path_name if source else 'built in memory'}"
                   f"{', sha256 ' + digest[:16] if digest else ''}); cycle {cycle.name}; strategy {strategy}; "
                   f"{start_text}; {soc_text}"),
        "references": "docs/sources.md (bibliography); vehicle file comments give each parameter's source",
        "vehicle_file": path_str,
        "vehicle_file_sha256": digest,
        "strategy": strategy,
        "soc_handling": soc_text,
        "charge_balanced": int(balanced),
        "cold_start": int(cold_start),
        "ambient_temp_c": float(ambient_temp_c),
    })
    if soc_init is not None:
        attrs["soc_init"] = float(soc_init)
    if coolant_init_c is not None:
        attrs["coolant_init_c"] = float(coolant_init_c)
    return attrs


@functools.lru_cache(maxsize=256)
def _path_parts(source: str) -> tuple[str, str]:
    """(``str(Path(source))``, ``Path(source).name``), cached (batches describe one vehicle file many times)."""
    from pathlib import Path

    p = Path(source)
    return str(p), p.name


def _file_sha256_if_file(path: str) -> str:
    """:func:`_file_sha256` of ``path`` if it is a file (``Path.is_file``, one ``stat``), else ""."""
    import os
    import stat

    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return ""
    return _sha256_cached(path, st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else ""


def _file_sha256(path: str) -> str:
    """SHA-256 of a file, cached while its size and modification time stay the same (batches hash it once)."""
    import os

    st = os.stat(path)
    return _sha256_cached(path, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    import hashlib
    from pathlib import Path

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _energy_j(ds: xr.Dataset, name: str) -> float:
    dt = np.diff(ds["time"].values)
    return float(np.sum(ds[name].values[1:] * dt))


def energy_terms_j(ds: xr.Dataset) -> dict[str, float]:
    """Energy of every energy-flow variable over the run (interval powers × dt). [J]"""
    return {n: _energy_j(ds, n) for n in ds.data_vars if ds[n].attrs.get("energy_role")}


def wheel_work_j(ds: xr.Dataset) -> float:
    """Wheel work recomputed from the achieved speed and the chassis attributes. [J]"""
    ch = chassis_from_attrs(ds.attrs)
    return wheel_energy_j(ch, ds["time"].values, ds["speed"].values, ds["grade"].values)


def energy_balance(ds: xr.Dataset) -> dict[str, float]:
    """Sources, sinks, independent wheel work and the relative residual of the energy balance."""
    return _balance(energy_terms_j(ds), wheel_work_j(ds))


def _balance(terms: dict[str, float], wheel_j: float) -> dict[str, float]:
    src = sum(v for n, v in terms.items() if VARIABLES[n].role == "source")
    sink = sum(v for n, v in terms.items() if VARIABLES[n].role == "sink")
    scale = max(abs(src), abs(sink), abs(wheel_j), 1.0)
    return {"sources_j": src, "sinks_j": sink, "wheel_j": wheel_j,
            "kernel_wheel_j": terms.get("wheel_power", math.nan),
            "rel_error": abs(src - sink - wheel_j) / scale}


def battery_round_trip(ds: xr.Dataset) -> dict[str, float]:
    """Energy through the battery terminals by cause, per distance. [kWh/100 km]

    Charging (terminal power < 0) is booked to ``charge_regeneration`` while the wheels brake (wheel power
    < 0) and to ``charge_engine`` otherwise (the engine charging, including the share of its power that
    a power split sends round the electric path); discharging is booked to ``discharge_electric_drive``
    while the engine is off (or there is none) and to ``discharge_assist`` while it runs. Interval powers
    × Δt, as the energy balance. Plus the battery's own loss and the round-trip share
    ``battery_loss / charge``; for a charge-balanced hybrid the charge is what the electric path carried.
    """
    dt = np.diff(ds["time"].values)
    p = ds["battery_power"].values[1:]
    wheel = ds["wheel_power"].values[1:]
    engine_on = (ds["engine_mode"].values[1:] != 0) if "engine_mode" in ds else np.zeros(p.shape, bool)
    dist_km = float(np.sum(0.5 * (ds["speed"].values[1:] + ds["speed"].values[:-1]) * dt)) / 1e3
    per100 = 100.0 / dist_km / J_PER_KWH if dist_km > 0 else math.nan
    chg, dis = np.minimum(p, 0.0) * dt, np.maximum(p, 0.0) * dt
    out = {
        "charge_regeneration": -float(chg[wheel < 0].sum()) * per100,
        "charge_engine": -float(chg[wheel >= 0].sum()) * per100,
        "discharge_electric_drive": float(dis[~engine_on].sum()) * per100,
        "discharge_assist": float(dis[engine_on].sum()) * per100,
    }
    loss = float(np.sum(ds["battery_loss"].values[1:] * dt)) * per100 if "battery_loss" in ds else math.nan
    out["battery_loss"] = loss
    charged = out["charge_regeneration"] + out["charge_engine"]
    out["battery_loss_per_charge"] = loss / charged if charged > 0 else math.nan
    return out


def summarize(ds: xr.Dataset) -> dict:
    """Headline figures of a run (SI in the Dataset, human units here)."""
    if "time" not in ds.dims:  # summary-level Dataset (simulate(..., record=False))
        return _summary_from_scalars(ds)
    return _summary(ds["time"].values, {n: ds[n].values for n in ds.data_vars}, ds.attrs)


def _summary(t: np.ndarray, data: dict, attrs, *, checked: bool = False) -> dict:
    """The one implementation behind :func:`summarize` (time-series Dataset) and :func:`summary_values`
    (kernel output): ``data`` maps Dataset variable names to arrays on ``t``. The sums run in one
    compiled call (``core/summary.run_sums``). ``checked``: the time base is a kernel's (increasing, the
    traces on it), not a Dataset's to be checked."""
    from .core.summary import run_sums

    def f64(x, dtype):  # C-contiguous and writeable, so that run_sums compiles once (read-only is another type)
        if type(x) is np.ndarray and x.dtype == dtype and x.flags.c_contiguous and x.flags.writeable:
            return x  # (np.require's answer, without its ≈3 µs of argument handling)
        return np.require(x, dtype, ["C", "W"])

    flows, rows = _flow_rows(tuple(data))
    sums = np.empty(len(rows))
    ch = chassis_from_attrs(attrs)
    dist_m, dist_cycle_m, wheel_j, miss_max, miss_steps = run_sums(
        f64(t, dtype=np.float64), f64(data["speed"], dtype=np.float64), f64(data["speed_cycle"], dtype=np.float64),
        f64(data["grade"], dtype=np.float64), f64(data["trace_miss"], dtype=np.float64),
        np.stack([np.asarray(data[n], dtype=np.float64) for n in rows]), ch, sums)
    totals = dict(zip(rows, sums.tolist(), strict=True))
    soc = (float(data["soc"][0]), float(data["soc"][-1])) if "soc" in data else (math.nan, math.nan)
    cut_s = 0.0
    if "accessory_battery_power_w" in attrs and "accessory_power" in data:
        # an empty battery cuts the accessory load (the kernels report the load they could feed)
        short = np.asarray(data["accessory_power"])[1:] < float(attrs["accessory_battery_power_w"]) * (1 - 1e-9)
        cut_s = float(np.sum(np.diff(t)[short]))
    return summary_from_sums(float(t[-1] - t[0]), attrs, flows, totals,
                             (dist_m, dist_cycle_m, wheel_j, miss_max, miss_steps), soc, cut_s,
                             _drive_quality(t, data, ch, checked=checked))


def _flow_rows(names: tuple) -> tuple[list, list]:
    """(the energy flows among ``names``, the rows ``run_sums`` sums: those flows, then ``fuel_rate`` and
    ``battery_power`` where present), in the order of ``names``; cached per set of names and registry state."""
    return _flow_rows_cached(names, _registry_version())


@functools.lru_cache(maxsize=64)
def _flow_rows_cached(names: tuple, version: int) -> tuple[list, list]:
    flows = [n for n in names if n in VARIABLES and VARIABLES[n].role]
    return flows, flows + [n for n in ("fuel_rate", "battery_power") if n in names]


def _registry_version() -> int:
    from .architectures import _Registry

    return _Registry.version


def summary_from_sums(duration_s: float, attrs, flows: list, totals: dict, run: tuple, soc: tuple, cut_s: float,
                      quality: dict) -> dict:
    """The figures of :func:`summarize` from a run's sums: ``totals`` Σ P·dt of each flow (and of ``fuel_rate``,
    ``battery_power``), ``run`` = ``core.summary.run_sums``'s (distance, cycle distance, wheel work, largest
    trace miss, samples missed), ``soc`` (start, end), ``cut_s`` the time the accessory load was cut, ``quality``
    the J2951 ratings (shared by :func:`_summary` and the compiled batch path, ``hybridsim.batch``)."""
    dist_m, dist_cycle_m, wheel_j, miss_max, miss_steps = run
    dist_km = dist_m / M_PER_KM
    fuel_kg = totals.get("fuel_rate", 0.0)
    dens = float(attrs.get("fuel_density_kg_per_l", math.nan))
    co2 = float(attrs.get("co2_per_fuel_kg", math.nan))
    fuel_l = fuel_kg / dens if fuel_kg > 0 else 0.0
    batt_j = totals.get("battery_power", 0.0)
    terms = {n: totals[n] for n in flows}
    bal = _balance(terms, wheel_j)
    # figures per distance are not defined for a run that covers no distance: None, not NaN
    moved = dist_km > 0
    per100 = 100.0 / dist_km if moved else math.nan
    summary = {
        "vehicle": attrs.get("vehicle", ""),
        "cycle": attrs.get("cycle", ""),
        "architecture": attrs.get("architecture", ""),
        "distance_km": dist_km,
        "duration_s": duration_s,
        "fuel_kg": fuel_kg,
        "fuel_l": fuel_l,
        "fuel_l_per_100km": fuel_l * per100 if moved else None,
        "co2_g_per_km": (fuel_kg * co2 * 1e3 / dist_km if fuel_kg > 0 else 0.0) if moved else None,
        "electricity_kwh_per_100km": batt_j / J_PER_KWH * per100 if moved else None,
        "soc_start": soc[0],
        "soc_end": soc[1],
        "energy_balance_rel_error": bal["rel_error"],
        "trace_miss_max_kmh": float(miss_max) * KMH_PER_MPS,
        "trace_miss_steps": int(miss_steps),
        "distance_error_pct": (dist_m - dist_cycle_m) / dist_cycle_m * 100 if dist_cycle_m > 0 else 0.0,
        "cold_start": bool(attrs.get("cold_start", 0)),
        "time_base": str(attrs.get("time_base", "as given")),
        "ambient_temp_c": float(attrs.get("ambient_temp_c", math.nan)),
        "charge_balanced": is_charge_balanced(attrs),
        "soc_handling": str(attrs.get("soc_handling", "")),
    }
    summary["accessory_cut_s"] = cut_s
    if not moved:
        summary["note"] = "the run covers no distance: figures per km are not defined (None)"
    summary.update(quality)
    if "soc_balance_fuel_kg" in attrs:
        fuel_bal = float(attrs["soc_balance_fuel_kg"])
        summary["fuel_raw_l_per_100km"] = summary["fuel_l_per_100km"]
        summary["fuel_l_per_100km"] = fuel_bal / dens * per100 if moved else None
        summary["co2_g_per_km"] = fuel_bal * co2 * 1e3 / dist_km if moved else None
        summary["soc_balance_method"] = str(attrs["soc_balance_method"])
        summary["soc_balance_residual"] = float(attrs["soc_balance_residual"])
        summary["soc_balance_runs"] = int(attrs["soc_balance_runs"])
        if "soc_balance_linear_error" in attrs:  # one-pass linear correction (soc_balance="linear")
            summary["soc_balance_linear_error"] = float(attrs["soc_balance_linear_error"])
    summary["energy_kwh"] = {n: e / J_PER_KWH for n, e in terms.items()}
    return summary


def _drive_quality(t: np.ndarray, data: dict, ch, *, checked: bool = False) -> dict:
    """SAE J2951 metrics of the achieved against the scheduled trace (:mod:`hybridsim.drive_quality`);
    ``checked``: the traces are a kernel's on its time base (``j2951_of_run``, the same sums unchecked)."""
    from .drive_quality import j2951_from_arrays, j2951_of_run

    if checked:
        q = j2951_of_run(t, data["speed_cycle"], data["speed"], data["grade"], ch)
    else:
        q = j2951_from_arrays(t, data["speed_cycle"], data["speed"],
                              road_load_n=(ch.c0_n, ch.c1_n_per_mps, ch.c2_n_per_mps2), mass_kg=ch.mass_kg,
                              mass_eff_kg=ch.mass_eff_kg, grade=data["grade"])
    return finite_or_none(q)


def finite_or_none(q: dict) -> dict:
    """A rating that is not defined for a run (e.g. no cycle energy achieved) is None, not NaN (issue 15)."""
    return {k: (x if not isinstance(x, float) or math.isfinite(x) else None) for k, x in q.items()}


# --- summary-level results (``simulate(..., record=False)``, batch sweeps) ---------------------------

# scalar summary variable → (units, long_name); the keys are those of :func:`summarize`. Energies of the
# flows in VARIABLES become ``energy_<flow>`` in kWh.
SUMMARY_VARIABLES: dict[str, Var] = {
    "distance_km": Var("km", "distance driven"),
    "duration_s": Var("s", "duration of the cycle"),
    "fuel_kg": Var("kg", "fuel mass used (raw, not charge-balanced)"),
    "fuel_l": Var("L", "fuel volume used (raw, not charge-balanced)"),
    "fuel_l_per_100km": Var(L_PER_100KM, "fuel consumption (charge-balanced where balanced)"),
    "fuel_raw_l_per_100km": Var(L_PER_100KM, "fuel consumption of the run, before the charge-balance correction"),
    "co2_g_per_km": Var("g km-1", "tailpipe CO2 from the fuel's carbon"),
    "electricity_kwh_per_100km": Var(KWH_PER_100KM, "battery terminal energy per distance (> 0 discharge)"),
    "soc_start": Var("1", "battery state of charge at the start"),
    "soc_end": Var("1", "battery state of charge at the end"),
    "energy_balance_rel_error": Var("1", "relative residual of sources = wheel work + losses"),
    "trace_miss_max_kmh": Var("km h-1", "largest shortfall of the achieved speed"),
    "trace_miss_steps": Var("1", "samples more than 1 mm/s behind the trace"),
    "distance_error_pct": Var("%", "achieved minus cycle distance, relative to the cycle distance"),
    "accessory_cut_s": Var("s", "time the accessory load was cut because the battery was empty"),
    "j2951_er_pct": Var("%", "SAE J2951 energy rating: cycle energy of the achieved vs the scheduled trace"),
    "j2951_dr_pct": Var("%", "SAE J2951 distance rating: achieved vs scheduled distance"),
    "j2951_eer_pct": Var("%", "SAE J2951 energy economy rating: cycle energy per distance, achieved vs scheduled"),
    "j2951_ascr_pct": Var("%", "SAE J2951 absolute speed change rating: achieved vs scheduled"),
    "j2951_iwr_pct": Var("%", "SAE J2951 inertial work rating: positive inertial work, achieved vs scheduled"),
    "j2951_rmsse_kmh": Var("km h-1", "SAE J2951 root-mean-square speed error of the achieved trace"),
    "soc_balance_residual": Var("1", "net battery energy / fuel energy of the charge-balanced run"),
    "soc_balance_runs": Var("1", "kernel runs of the charge balance"),
    "soc_balance_linear_error": Var("1", "one-pass linear charge balance: its relative fuel error against the exact "
                                    "balance, on the vehicle whose fuel-vs-battery-energy line was used"),
}
SUMMARY_STRINGS = ("vehicle", "cycle", "architecture", "soc_balance_method", "time_base", "note")


def summary_values(cycle, out: NamedTuple, attrs: dict) -> dict:
    """The headline figures of :func:`summarize`, straight from a kernel's output NamedTuple (no Dataset
    built); the same code as ``summarize``, so the figures are identical."""
    data = {"speed_cycle": cycle.speed_mps, "grade": cycle.grade}
    for f in out._fields:
        data[KERNEL_NAMES[f]] = getattr(out, f)
    return _summary(np.asarray(cycle.time_s, dtype=np.float64), data, attrs, checked=True)


def summary_fields(summary: dict) -> dict[str, float | int]:
    """The numeric figures of a :func:`summarize` dict as flat Dataset variable names → values
    (``energy_kwh[flow]`` becomes ``energy_<flow>``); the strings and ``cold_start`` are left out."""
    flat = {k: summary[k] for k in SUMMARY_VARIABLES if k in summary and summary[k] is not None}
    for flow, e in summary.get("energy_kwh", {}).items():
        flat[f"energy_{flow}"] = e
    return flat


def summary_var_attrs(name: str) -> dict:
    """``units`` and ``long_name`` of a summary variable (see :data:`SUMMARY_VARIABLES`)."""
    if name.startswith("energy_") and name[7:] in VARIABLES:
        flow = VARIABLES[name[7:]]
        return {"units": KWH, "long_name": f"energy over the run: {flow.long_name}", "energy_role": flow.role}
    v = SUMMARY_VARIABLES[name]
    return {"units": v.units, "long_name": v.long_name}


def summary_dataset(cycle, out: NamedTuple, attrs: dict) -> xr.Dataset:
    """Summary-level result of one run: a Dataset of scalar variables with units, no time series.

    The variables hold the numbers of :func:`summarize` (``energy_<flow>`` in kWh for each energy flow);
    the run attributes are kept and the strings (vehicle, cycle, architecture, SOC-balance method) are
    attributes too. ``summarize`` of this Dataset gives back the summary dict.
    """
    s = summary_values(cycle, out, attrs)
    a = dict(attrs)
    for k in SUMMARY_STRINGS:
        if k in s:
            a[k] = s[k]
    a["cold_start"] = int(s["cold_start"])
    version = _registry_version()
    data = {k: ((), np.asarray(x), _summary_var_attrs(k, version)) for k, x in summary_fields(s).items()}
    return plain_dataset(data, {}, a)  # (which copies every attribute dict)


@functools.lru_cache(maxsize=512)
def _summary_var_attrs(name: str, version: int) -> dict:
    """:func:`summary_var_attrs` cached per registry state (not to be mutated: ``plain_dataset`` copies it)."""
    return summary_var_attrs(name)


def _summary_from_scalars(ds: xr.Dataset) -> dict:
    """:func:`summarize` of a summary-level Dataset (``record=False``): read the figures back."""
    s: dict = {k: ds.attrs.get(k, "") for k in ("vehicle", "cycle", "architecture")}
    for k in SUMMARY_VARIABLES:
        if k in ds:
            x = ds[k].values.item()
            s[k] = int(x) if k in ("trace_miss_steps", "soc_balance_runs") else float(x)
    s["cold_start"] = bool(ds.attrs.get("cold_start", 0))
    s["ambient_temp_c"] = float(ds.attrs.get("ambient_temp_c", math.nan))
    s["charge_balanced"] = bool(ds.attrs.get("charge_balanced", "soc_balance_method" in ds.attrs))
    s["soc_handling"] = str(ds.attrs.get("soc_handling", ""))
    if "soc_balance_method" in ds.attrs:
        s["soc_balance_method"] = str(ds.attrs["soc_balance_method"])
    for k in ("time_base", "note"):
        if k in ds.attrs:
            s[k] = str(ds.attrs[k])
    if "note" in s:  # a run without distance: the figures per km are None, as summarize() gives them
        for k in ("fuel_l_per_100km", "co2_g_per_km", "electricity_kwh_per_100km", "fuel_raw_l_per_100km"):
            if k in SUMMARY_VARIABLES and k not in s:
                s[k] = None
    s["energy_kwh"] = {n[7:]: float(ds[n].values) for n in ds.data_vars
                       if n.startswith("energy_") and n[7:] in VARIABLES}
    return s
