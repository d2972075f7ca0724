"""Reproduce the wrong-answer cases of issue 15 (each: a shipped vehicle file with one line changed).

    python benchmarks/repro_issue15.py

Prints one line per case: accepted (with the invariants measured) or refused (with the message). After
the fixes every case is either refused at load time with a one-line message, or accepted and keeps the
invariants (energy balance < 1e-9, SOC in [soc_min, soc_max], no NaN, fuel >= 0).
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import numpy as np

import hybridsim as hs
from hybridsim import read_vehicle, simulate, summarize
from hybridsim._resources import data_dir
from hybridsim.cycles import Cycle


def variant(stem: str, edit) -> Path:
    text = (data_dir("vehicles") / f"{stem}.toml").read_text()
    new = edit(text)
    assert new != text, stem
    d = Path(tempfile.mkdtemp())
    p = d / f"{stem}_mut.toml"
    p.write_text(new)
    return p


def set_key(section: str, key: str, value: str):
    def edit(text: str) -> str:
        lines, sec, done = text.splitlines(), None, False
        for i, ln in enumerate(lines):
            m = re.match(r"\s*\[+([^\]]+)\]+", ln)
            if m:
                if sec == section and not done:
                    lines.insert(i, f"{key} = {value}")
                    done = True
                    break
                sec = m.group(1).strip()
                continue
            if sec == section and re.match(rf"\s*{re.escape(key)}\s*=", ln):
                lines[i] = f"{key} = {value}" if value is not None else ""
                done = True
                break
        if not done and sec == section:
            lines.append(f"{key} = {value}")
        return "\n".join(lines) + "\n"
    return edit


def drop_key(section: str, key: str):
    def edit(text: str) -> str:
        out, sec = [], None
        for ln in text.splitlines():
            m = re.match(r"\s*\[+([^\]]+)\]+", ln)
            if m:
                sec = m.group(1).strip()
            elif sec == section and re.match(rf"\s*{re.escape(key)}\s*=", ln):
                continue
            out.append(ln)
        return "\n".join(out) + "\n"
    return edit


def check(label: str, vehicle, cycle, **kw):
    try:
        ds = simulate(vehicle, cycle, **kw)
    except ValueError as exc:
        print(f"REFUSED  {label}: {exc}")
        return
    s = summarize(ds)
    soc = ds["soc"].values if "soc" in ds else np.array([0.5])
    b = vehicle.battery
    lo, hi = (b.soc_min, b.soc_max) if b is not None else (0.0, 1.0)
    nan = [n for n in ds.data_vars if np.issubdtype(ds[n].dtype, np.floating)
           and not np.all(np.isfinite(ds[n].values))]
    broken = []
    if not s["energy_balance_rel_error"] < 1e-9:
        broken.append(f"balance {s['energy_balance_rel_error']:.3g}")
    if soc.min() < lo - 1e-9 or soc.max() > hi + 1e-9:
        broken.append(f"SOC {soc.min():.4f}..{soc.max():.4f} outside [{lo}, {hi}]")
    if nan:
        broken.append(f"non-finite {nan[:3]}")
    if not all(math.isfinite(x) for x in (s["fuel_l_per_100km"], s["fuel_kg"]) if isinstance(x, float)):
        broken.append(f"fuel {s['fuel_l_per_100km']}")
    if s["fuel_kg"] < 0:
        broken.append("fuel < 0")
    print(f"{'BROKEN' if broken else 'OK'}      {label}: L/100km {s['fuel_l_per_100km']} miss "
          f"{s['trace_miss_max_kmh']:.1f} km/h; " + "; ".join(broken))


def load(label, path):
    try:
        return read_vehicle(path)
    except ValueError as exc:
        print(f"REFUSED  {label}: {exc}")
        return None


def main() -> None:
    wltc = hs.load_cycle("wltc")
    cases = [
        ("ralink engine.inertia_kgm2 = 10", "ralink", set_key("engine", "inertia_kgm2", "10.0")),
        ("ralink mg1 windage = 1.0", "ralink", set_key("motors.mg1", "loss_kw_w_s3_per_rad3", "1.0")),
        ("tank300 without series_cells", "tank300_hi4t", drop_key("battery", "series_cells")),
        ("taycan capacity_ah = 0.1", "taycan_turbo", set_key("battery", "capacity_ah", "0.1")),
        ("xingyue_l with a [battery] table", "xingyue_l",
         lambda t: t + '\n[battery]\ncapacity_ah = 5.0\ntable_file = "maps/battery_prius2010_nimh_pack_inl.csv"\n'
                       'nominal_voltage_v = 200.0\nsoc_min = 0.3\nsoc_max = 0.8\nmax_discharge_power_kw = 20.0\n'
                       'max_charge_power_kw = 20.0\nmin_voltage_v = 150.0\nmax_voltage_v = 260.0\n'),
    ]
    for label, stem, edit in cases:
        v = load(label, variant(stem, edit))
        if v is not None:
            check(label, v, wltc)

    # one-row BSFC map
    d = Path(tempfile.mkdtemp())
    src = (data_dir("vehicles") / "maps" / "engine_2zrfxe_prius2010_umich_bsfc.csv").read_text().splitlines()
    body = [ln for ln in src if ln.strip() and not ln.startswith("#")]
    (d / "one_row.csv").write_text("\n".join(body[:2]) + "\n")
    v = load("ralink one-row BSFC map", variant("ralink", set_key("engine", "map_file", f'"{d / "one_row.csv"}"')))
    if v is not None:
        check("ralink one-row BSFC map", v, wltc)

    # THS-II on other time bases
    ralink = hs.load_vehicle("ralink")
    t10 = np.arange(0.0, wltc.time_s[-1] + 1e-9, 0.1)
    w10 = Cycle("wltc_10hz", t10, np.interp(t10, wltc.time_s, wltc.speed_mps), 0.0)
    t100 = np.arange(0.0, 600.0 + 1e-9, 0.01)
    w100 = Cycle("wltc600_100hz", t100, np.interp(t100, wltc.time_s, wltc.speed_mps), 0.0)
    tu = np.cumsum(np.r_[0.0, np.tile([1.999, 0.001], 150)])
    wu = Cycle("wltc600_uneven", tu, np.interp(tu, wltc.time_s, wltc.speed_mps), 0.0)
    ref = summarize(simulate(ralink, wltc))["fuel_l_per_100km"]
    print(f"ref      ralink WLTC 1 Hz balanced: {ref:.3f} L/100km")
    check("ralink WLTC 10 Hz --soc 0.6 (no balance)", ralink, w10, soc_init=0.6, soc_balance=False)
    check("ralink WLTC 10 Hz balanced", ralink, w10)
    check("ralink 600 s WLTC 100 Hz", ralink, w100)
    check("ralink 600 s WLTC 1.999/0.001 s", ralink, wu)

    # empty battery
    taycan = hs.load_vehicle("taycan_turbo")
    n = 24
    tt = np.concatenate([wltc.time_s[:-1] + k * wltc.time_s[-1] for k in range(n)] + [[n * wltc.time_s[-1]]])
    vv = np.concatenate([wltc.speed_mps[:-1]] * n + [[wltc.speed_mps[-1]]])
    check("taycan WLTC x24", taycan, Cycle("wltc_x24", tt, vv, 0.0))
    tank = hs.load_vehicle("tank300_hi4t")
    check("tank300 WLTC at +50 % grade", tank, Cycle("wltc_g50", wltc.time_s, wltc.speed_mps, 0.5))

    # zero distance and coarse cycle
    idle = Cycle("idle", np.array([0.0, 60.0]), np.zeros(2), 0.0)
    for vid in hs.list_vehicles():
        check(f"{vid} zero-distance cycle", hs.load_vehicle(vid), idle)
    coarse = Cycle("coarse", np.array([0.0, 3.0, 20.0, 37.0]), np.array([0.0, 100.0, 100.0, 0.0]) / 3.6, 0.0)
    ds = simulate(hs.load_vehicle("xingyue_l"), coarse)
    s = summarize(ds)
    print(f"coarse   xingyue_l 4-row cycle: trace_miss_steps {s['trace_miss_steps']}, max miss "
          f"{s['trace_miss_max_kmh']:.1f} km/h, steps in the result {ds.sizes['time']}, "
          f"time base: {s['time_base']}")


if __name__ == "__main__":
    main()
