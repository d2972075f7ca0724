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

import math
from typing import NamedTuple

import numpy as np
import xarray as xr

from .components.chassis import ChassisK, wheel_energy_j


class Var(NamedTuple):
    units: str
    long_name: str
    role: str = ""  # "source" | "sink" | "wheel" | "" (not an energy flow)


VARIABLES: dict[str, Var] = {
    "speed_cycle": Var("m s-1", "speed demanded by the drive cycle"),
    "speed": Var("m s-1", "achieved vehicle speed"),
    "grade": Var("1", "road grade (rise/run)"),
    "trace_miss": Var("m s-1", "demanded minus achieved speed"),
    "gear": Var("1", "engaged gear (1 = first)"),
    "engine_speed": Var("rad s-1", "engine speed"),
    "engine_torque": Var("N m", "engine brake torque"),
    "fuel_rate": Var("kg s-1", "fuel mass flow"),
    "fuel_power": Var("W", "fuel chemical power (mass flow × LHV)", "source"),
    "engine_loss": Var("W", "engine loss (fuel power − brake power)", "sink"),
    "accessory_power": Var("W", "accessory (auxiliary) load", "sink"),
    "engine_inertia_power": Var("W", "power accelerating the engine rotor", "sink"),
    "converter_loss": Var("W", "torque-converter slip loss", "sink"),
    "gearbox_loss": Var("W", "gearbox and final-drive loss", "sink"),
    "brake_power": Var("W", "friction-brake power", "sink"),
    "wheel_power": Var("W", "power demanded at the wheels (road load + inertia + grade)", "wheel"),
    "engine_mode": Var("1", "engine state: 0 off, 1 fuelled, 2 spun unfuelled"),
    "mg1_speed": Var("rad s-1", "MG1 (sun) speed"),
    "mg1_torque": Var("N m", "MG1 torque"),
    "mg1_electric_power": Var("W", "MG1 DC power (> 0 motoring)"),
    "mg2_speed": Var("rad s-1", "MG2 speed"),
    "mg2_torque": Var("N m", "MG2 torque"),
    "mg2_electric_power": Var("W", "MG2 DC power (> 0 motoring)"),
    "ring_speed": Var("rad s-1", "planetary ring speed"),
    "pinion_speed": Var("rad s-1", "pinion speed relative to the carrier"),
    "battery_current": Var("A", "battery current (> 0 discharge)"),
    "battery_voltage": Var("V", "battery terminal voltage"),
    "battery_power": Var("W", "battery terminal power (> 0 discharge)"),
    "soc": Var("1", "battery state of charge"),
    "coolant_temperature": Var("degC", "engine coolant temperature"),
    "battery_chemical_power": Var("W", "battery chemical power (OCV × effective current, > 0 discharge)",
                                  "source"),
    "mg1_loss": Var("W", "MG1 machine loss", "sink"),
    "mg2_loss": Var("W", "MG2 machine loss", "sink"),
    "inverter_loss": Var("W", "inverter and boost-converter loss", "sink"),
    "battery_loss": Var("W", "battery resistive and coulombic loss", "sink"),
    "planetary_loss": Var("W", "power-split gear set loss", "sink"),
    "reduction_loss": Var("W", "MG2 reduction gear loss", "sink"),
    "final_drive_loss": Var("W", "counter and final drive loss", "sink"),
    "rotor_inertia_power": Var("W", "power accelerating the engine and MG1 rotors", "sink"),
    # --- P2 plug-in hybrid ---
    # --- battery-electric ---
}

# kernel output field → Dataset variable
KERNEL_NAMES = {
    "speed_mps": "speed",
    "gear": "gear",
    "engine_speed_rad_s": "engine_speed",
    "engine_torque_nm": "engine_torque",
    "fuel_kg_s": "fuel_rate",
    "fuel_power_w": "fuel_power",
    "engine_loss_w": "engine_loss",
    "accessory_power_w": "accessory_power",
    "engine_inertia_power_w": "engine_inertia_power",
    "converter_loss_w": "converter_loss",
    "gearbox_loss_w": "gearbox_loss",
    "wheel_power_w": "wheel_power",
    "brake_power_w": "brake_power",
    "trace_miss_mps": "trace_miss",
    "engine_mode": "engine_mode",
    "mg1_speed_rad_s": "mg1_speed",
    "mg1_torque_nm": "mg1_torque",
    "mg1_electric_power_w": "mg1_electric_power",
    "mg2_speed_rad_s": "mg2_speed",
    "mg2_torque_nm": "mg2_torque",
    "mg2_electric_power_w": "mg2_electric_power",
    "ring_speed_rad_s": "ring_speed",
    "pinion_speed_rad_s": "pinion_speed",
    "battery_current_a": "battery_current",
    "battery_voltage_v": "battery_voltage",
    "battery_power_w": "battery_power",
    "soc": "soc",
    "coolant_temp_c": "coolant_temperature",
    "battery_chemical_power_w": "battery_chemical_power",
    "mg1_loss_w": "mg1_loss",
    "mg2_loss_w": "mg2_loss",
    "inverter_loss_w": "inverter_loss",
    "battery_loss_w": "battery_loss",
    "planetary_loss_w": "planetary_loss",
    "reduction_loss_w": "reduction_loss",
    "final_drive_loss_w": "final_drive_loss",
    "rotor_inertia_power_w": "rotor_inertia_power",
    # --- P2 plug-in hybrid ---
    # --- battery-electric ---
}


def to_dataset(cycle, out: NamedTuple, attrs: dict) -> xr.Dataset:
    """Build the result Dataset on the ``time`` dimension from a kernel's output NamedTuple.

    Value at index k of an energy-flow variable is the mean power over the interval (t[k−1], t[k]);
    index 0 holds the initial state (zero power).
    """
    data = {"speed_cycle": cycle.speed_mps, "grade": cycle.grade}
    for field in out._fields:
        data[KERNEL_NAMES[field]] = getattr(out, field)
    ds = xr.Dataset(
        {name: ("time", np.array(values, dtype=np.float64), _attrs(name)) for name, values in data.items()},
        coords={"time": ("time", np.array(cycle.time_s), {"units": "s", "long_name": "time"})},
        attrs=attrs,
    )
    return ds


def _attrs(name: str) -> dict:
    v = VARIABLES[name]
    a = {"units": v.units, "long_name": v.long_name}
    if v.role:
        a["energy_role"] = v.role
    return a


def _energy_j(ds: xr.Dataset, name: str) -> float:
    dt = np.diff(ds["time"].values)
    return float(np.sum(ds[name].values[1:] * dt))


def energy_terms_j(ds: xr.Dataset) -> dict[str, float]:
    """Energy of every energy-flow variable over the run (interval powers × dt). [J]"""
    return {n: _energy_j(ds, n) for n in ds.data_vars if ds[n].attrs.get("energy_role")}


def wheel_work_j(ds: xr.Dataset) -> float:
    """Wheel work recomputed from the achieved speed and the chassis attributes. [J]"""
    ch = ChassisK(*(float(ds.attrs[f"chassis_{f}"]) for f in ChassisK._fields))
    return wheel_energy_j(ch, ds["time"].values, ds["speed"].values, ds["grade"].values)


def energy_balance(ds: xr.Dataset) -> dict[str, float]:
    """Sources, sinks, independent wheel work and the relative residual of the energy balance."""
    terms = energy_terms_j(ds)
    src = sum(v for n, v in terms.items() if ds[n].attrs["energy_role"] == "source")
    sink = sum(v for n, v in terms.items() if ds[n].attrs["energy_role"] == "sink")
    wheel = wheel_work_j(ds)
    scale = max(abs(src), abs(sink), abs(wheel), 1.0)
    return {"sources_j": src, "sinks_j": sink, "wheel_j": wheel,
            "kernel_wheel_j": terms.get("wheel_power", math.nan),
            "rel_error": abs(src - sink - wheel) / scale}


def summarize(ds: xr.Dataset) -> dict:
    """Headline figures of a run (SI in the Dataset, human units here)."""
    t = ds["time"].values
    v = ds["speed"].values
    vc = ds["speed_cycle"].values
    dist_m = float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(t)))
    dist_cycle_m = float(np.sum(0.5 * (vc[1:] + vc[:-1]) * np.diff(t)))
    dist_km = dist_m / 1e3
    fuel_kg = float(np.sum(ds["fuel_rate"].values[1:] * np.diff(t))) if "fuel_rate" in ds else 0.0
    dens = float(ds.attrs.get("fuel_density_kg_per_l", math.nan))
    co2 = float(ds.attrs.get("co2_per_fuel_kg", math.nan))
    fuel_l = fuel_kg / dens if fuel_kg > 0 else 0.0
    batt_j = _energy_j(ds, "battery_power") if "battery_power" in ds else 0.0
    miss = ds["trace_miss"].values
    bal = energy_balance(ds)
    per100 = 100.0 / dist_km if dist_km > 0 else math.nan
    summary = {
        "vehicle": ds.attrs.get("vehicle", ""),
        "cycle": ds.attrs.get("cycle", ""),
        "architecture": ds.attrs.get("architecture", ""),
        "distance_km": dist_km,
        "duration_s": float(t[-1] - t[0]),
        "fuel_kg": fuel_kg,
        "fuel_l": fuel_l,
        "fuel_l_per_100km": fuel_l * per100,
        "co2_g_per_km": fuel_kg * co2 * 1e3 / dist_km if dist_km > 0 and fuel_kg > 0 else 0.0,
        "electricity_kwh_per_100km": batt_j / 3.6e6 * per100,
        "soc_start": float(ds["soc"].values[0]) if "soc" in ds else math.nan,
        "soc_end": float(ds["soc"].values[-1]) if "soc" in ds else math.nan,
        "energy_balance_rel_error": bal["rel_error"],
        "trace_miss_max_kmh": float(np.max(miss)) * 3.6,
        "trace_miss_steps": int(np.sum(miss > 1e-3)),
        "distance_error_pct": (dist_m - dist_cycle_m) / dist_cycle_m * 100 if dist_cycle_m > 0 else 0.0,
        "cold_start": bool(ds.attrs.get("cold_start", 0)),
    }
    if "soc_balance_fuel_kg" in ds.attrs:
        fuel_bal = float(ds.attrs["soc_balance_fuel_kg"])
        summary["fuel_raw_l_per_100km"] = summary["fuel_l_per_100km"]
        summary["fuel_l_per_100km"] = fuel_bal / dens * per100
        summary["co2_g_per_km"] = fuel_bal * co2 * 1e3 / dist_km if dist_km > 0 else 0.0
        summary["soc_balance_method"] = str(ds.attrs["soc_balance_method"])
        summary["soc_balance_residual"] = float(ds.attrs["soc_balance_residual"])
        summary["soc_balance_runs"] = int(ds.attrs["soc_balance_runs"])
    summary["energy_kwh"] = {n: e / 3.6e6 for n, e in energy_terms_j(ds).items()}
    return summary
