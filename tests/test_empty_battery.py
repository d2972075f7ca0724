"""An empty battery is a limit the controllers honour (issue 15 follow-up): in-range vehicles whose battery can
neither take the engine's slowing nor feed an engine start keep the SOC in its window; the car falls behind the
trace instead, and says so (trace miss, TraceMissWarning). Short slices of a cycle, starting near the SOC floor."""

from __future__ import annotations

import warnings

import numpy as np

import hybridsim as hs
from hybridsim.cycles import Cycle
from hybridsim.results import energy_balance
from hybridsim.vehicle import replace_path


def _slice(name: str, t_end_s: float) -> Cycle:
    c = hs.load_cycle(name)
    keep = c.time_s <= t_end_s
    return Cycle(name=f"{name}_to_{t_end_s:g}s", time_s=c.time_s[keep], speed_mps=c.speed_mps[keep],
                 grade=c.grade[keep])


def _run(vehicle, cycle, soc_init):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hs.errors.TraceMissWarning)
        return hs.simulate(vehicle, cycle, soc_init=soc_init, soc_balance=False)


def _check_window(vehicle, ds):
    b = vehicle.battery
    soc = ds["soc"].values
    assert soc.min() >= b.soc_min - 1e-9, f"SOC {soc.min():.9f} below the floor {b.soc_min}"
    assert soc.max() <= b.soc_max + 1e-9
    assert energy_balance(ds)["rel_error"] < 1e-9


def test_ths_charge_limit_near_zero_keeps_soc_floor():
    """prius_2016 with a 137 W charge limit (in range): the engine spun fast at low road speed cannot slow
    (its rotors' energy would charge the battery) nor stop (MG1 draws power) within the limits; the rule
    step's last resort was "engine off" regardless, SOC 0.2978 on US06 (0.3934 on its first 60 s from 0.4005).
    Now the engine is held at its speed."""
    v = replace_path(hs.load_vehicle("prius_2016"), "battery.max_charge_power_kw", 0.137)
    ds = _run(v, _slice("us06", 60.0), 0.4005)
    _check_window(v, ds)
    assert float(ds["trace_miss"].max()) > 0.0  # it cannot follow the trace, and the result says so


def test_series_parallel_unstartable_engine_keeps_soc_floor():
    """jazz_ehev_2020 with a 1.0 kg·m² MG1 rotor (in range): spinning the engine up takes more than the battery
    may give, so the engine never starts; at the floor the fallback used the last series start it had tried
    (25.8 kW from an empty battery, SOC 0.2905). Now the car coasts to rest, the SOC held at its floor."""
    v = replace_path(hs.load_vehicle("jazz_ehev_2020"), "motors.mg1.inertia_kgm2", 1.0)
    ds = _run(v, _slice("wltc", 120.0), 0.305)
    _check_window(v, ds)
    assert float(ds["trace_miss"].max()) * 3.6 > 10.0
    assert np.all(ds["engine_mode"].values == 0)  # the start is never possible within the battery's power
