"""Shared pieces of the invariant tests (``test_invariants.py``, ``test_file_fuzz.py``) and the seeded fuzz
harness (``benchmarks/fuzz_issue15.py``): in-range parameter draws, random cycles, vehicle-file mutations,
and the checks every accepted run and every refusal must pass (issue 15)."""

from __future__ import annotations

import dataclasses
import math
import random
import re
from pathlib import Path

import numpy as np

import hybridsim as hs
from hybridsim._resources import data_dir
from hybridsim.components._schema import _fields
from hybridsim.cycles import Cycle
from hybridsim.results import energy_balance

#: One shipped vehicle per architecture: the bases the draws start from.
BASES = {"conventional": "xingyue_l", "ths": "ralink", "p2": "tank300_hi4t", "bev": "taycan_turbo"}
#: Every shipped vehicle as a base, keyed by its id (the harness's ``--all``: the other architectures
#: ``ths_plugin`` and ``series_parallel``, and the CVT, manual and full-hybrid P2 variants).
ALL_BASES = {stem: stem for stem in sorted(p.stem for p in data_dir("vehicles").glob("*.toml"))}
SECTIONS = ("chassis", "engine", "transmission", "planetary", "battery", "accessories", "drive", "controller")


def numeric_params(vehicle) -> list[tuple[str, float, float, type]]:
    """(path, lo, hi, type) of every bounded numeric parameter of the vehicle's components."""
    out = []
    comps = [(s, getattr(vehicle, s)) for s in SECTIONS if getattr(vehicle, s, None) is not None]
    comps += [(f"motors.{n}", m) for n, m in vehicle.motors.items()]
    for prefix, comp in comps:
        if not dataclasses.is_dataclass(comp):
            continue
        for name, tp, _opt, meta in _fields(type(comp)):
            if tp in (float, int) and meta["lo"] is not None and meta["hi"] is not None:
                out.append((f"{prefix}.{name}", float(meta["lo"]), float(meta["hi"]), tp))
    return out


def draw_value(rng: random.Random, lo: float, hi: float, tp: type, current=None):
    """A value in [lo, hi]: an end point, near the current value, or spread (log-uniform on wide ranges)."""
    r = rng.random()
    if r < 0.15:
        x = lo if rng.random() < 0.5 else hi
    elif r < 0.55 and isinstance(current, int | float) and current is not None:
        x = min(max(current * math.exp(rng.gauss(0.0, 0.4)), lo), hi)
    elif lo > 0 and hi / lo > 100:
        x = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    else:
        x = rng.uniform(lo, hi)
    if tp is int:
        return int(min(max(round(x), math.ceil(lo)), math.floor(hi)))
    return float(x)


def draw_vehicle(rng: random.Random, arch: str, n_params: int, bases: dict = BASES):
    """(vehicle or None, [(path, value)], refusal message or None): the base vehicle of ``arch`` (a key of
    ``bases``) with ``n_params`` parameters drawn within their declared ranges."""
    v = hs.load_vehicle(bases[arch])
    params = numeric_params(v)
    changes = []
    for path, lo, hi, tp in rng.sample(params, min(n_params, len(params))):
        cur = _get(v, path)
        changes.append((path, draw_value(rng, lo, hi, tp, cur)))
    try:
        for path, x in changes:
            v = hs.replace_path(v, path, x)
    except ValueError as exc:
        return None, changes, str(exc)
    return v, changes, None


def _get(v, path: str):
    obj = v
    for k in path.split("."):
        obj = obj[k] if isinstance(obj, dict) or hasattr(obj, "keys") and not dataclasses.is_dataclass(obj) \
            else getattr(obj, k)
    return obj


def random_cycle(rng: random.Random, kind: str | None = None, duration_s: float | None = None) -> Cycle:
    """A random drivable trace: uniform 1 s, sub-second, uneven or coarse time base, with or without grade."""
    kind = kind or rng.choice(["uniform", "subsecond", "uneven", "coarse", "grade"])
    duration = duration_s or rng.uniform(20.0, 180.0)
    if kind == "subsecond":
        dt = rng.choice([0.1, 0.2, 0.5])
        t = np.arange(0.0, duration + 1e-9, dt)
    elif kind == "uneven":
        steps = [rng.choice([rng.uniform(0.001, 0.05), rng.uniform(0.2, 2.0)]) for _ in range(int(duration))]
        t = np.concatenate([[0.0], np.cumsum(steps)])
        t = t[t <= duration] if t[-1] > duration and np.sum(t <= duration) >= 2 else t
    elif kind == "coarse":
        t = np.concatenate([[0.0], np.cumsum([rng.uniform(1.0, 20.0) for _ in range(int(duration / 8) + 2)])])
    else:
        t = np.arange(0.0, duration + 1e-9, 1.0)
    # speed knots every ~5-20 s, accelerations within ±3.5 m/s², ends at rest
    knots_t = [0.0]
    while knots_t[-1] < t[-1]:
        knots_t.append(knots_t[-1] + rng.uniform(3.0, 20.0))
    v = [0.0]
    for a, b in zip(knots_t[:-1], knots_t[1:], strict=True):
        target = rng.choice([0.0, rng.uniform(0.0, 40.0), rng.uniform(0.0, 15.0)])
        v.append(min(max(target, v[-1] - 3.5 * (b - a)), v[-1] + 3.5 * (b - a), 55.0))
    v[-1] = 0.0 if rng.random() < 0.7 else v[-1]
    speed = np.clip(np.interp(t, knots_t, v), 0.0, 60.0)
    grade = 0.0
    if kind == "grade" or rng.random() < 0.3:
        g_knots = [rng.uniform(-0.12, 0.12) for _ in knots_t]
        grade = np.interp(t, knots_t, g_knots)
    return Cycle(f"random_{kind}", t, speed, grade)


def edge_cycles() -> list[Cycle]:
    """Hand-made edge cases: idle only, one step (from rest, moving, idle), shorter than a second, 10 Hz, an hour
    steady, steep grades up and down within the allowed range, stop-and-go, a start at speed."""
    t = np.arange(0.0, 301.0)
    t10 = np.arange(0.0, 5.01, 0.1)
    th = np.arange(0.0, 3601.0)
    return [Cycle("idle_only", np.arange(0.0, 61.0), np.zeros(61), 0.0),
            Cycle("single_step", np.array([0.0, 1.0]), np.array([0.0, 1.0]), 0.0),
            Cycle("single_step_moving", np.array([0.0, 1.0]), np.array([10.0, 10.0]), 0.0),
            Cycle("single_step_idle", np.array([0.0, 1.0]), np.zeros(2), 0.0),
            Cycle("subsecond", np.array([0.0, 0.3]), np.array([0.0, 0.5]), 0.0),
            Cycle("short_10hz", t10, np.minimum(t10 * 1.5, 5.0), 0.0),
            Cycle("long_steady", th, np.minimum(th, 27.0), 0.0),
            Cycle("steep_up", t, np.minimum(t * 0.5, 10.0), 0.15),
            Cycle("steep_down", t, np.minimum(t * 0.5, 10.0), -0.15),
            Cycle("stop_go", t, np.where((t // 10) % 2 == 0, np.minimum(t % 10, 5.0), 0.0), 0.0),
            Cycle("start_moving", t, np.full(t.size, 20.0), 0.0)]


def invariant_breaks(vehicle, ds, summary: dict) -> list[str]:
    """Every invariant an accepted run must keep; [] when it does."""
    bad = []
    bal = energy_balance(ds)["rel_error"]
    if not bal < 1e-9:
        bad.append(f"energy balance {bal:.3g}")
    for name in ds.data_vars:
        vals = ds[name].values
        if np.issubdtype(vals.dtype, np.floating) and not np.all(np.isfinite(vals)):
            bad.append(f"non-finite {name}")
    if "soc" in ds:
        b = vehicle.battery
        soc = ds["soc"].values
        if soc.min() < b.soc_min - 1e-9 or soc.max() > b.soc_max + 1e-9:
            bad.append(f"SOC {soc.min():.6f}..{soc.max():.6f} outside [{b.soc_min}, {b.soc_max}]")
    if "fuel_rate" in ds and np.any(ds["fuel_rate"].values < 0):
        bad.append("fuel rate < 0")
    for k, x in summary.items():
        if isinstance(x, float) and not math.isfinite(x) and not (k.startswith("soc_") and vehicle.battery is None):
            bad.append(f"summary {k} = {x}")
    if summary.get("fuel_kg", 0.0) < 0 or (summary.get("fuel_l_per_100km") or 0.0) < 0:
        bad.append("fuel < 0")
    if summary.get("soc_balance_method") == "iterated" and abs(summary.get("soc_balance_residual", 0.0)) > 1e-3:
        bad.append(f"charge-balanced (iterated) with a residual of {summary['soc_balance_residual']:.3g} of the "
                   "fuel energy")
    return bad


_RULE = re.compile(r"allowed|must|required|at least|expected|not found|not valid|unknown|not a |is a folder|"
                   r"not used|needs|circular|cannot|out of range|give ")


def refusal_problems(msg: str, files: list[str]) -> list[str]:
    """What a refusal message lacks: one line, the file, a ``key = value`` and the allowed range or rule."""
    bad = []
    if "\n" in msg.strip():
        bad.append("more than one line")
    if not any(str(f) in msg for f in files):
        bad.append("no file")
    if not re.search(r"[\w.\]\[]+\s*=\s*\S|line \d+|column ", msg):
        bad.append("no key = value")
    if not _RULE.search(msg):
        bad.append("no range or rule")
    return bad


# --- vehicle-file mutations ----------------------------------------------------------------------------------

_NASTY = ["0", "-1", "1e300", "-1e300", "inf", "nan", "1e-300", '"text"', "[]", "[1, 2]", "true", "{}",
          '""', "0.5", "2", "1e6", "-0.0", "3"]


def mutate_toml(rng: random.Random, text: str) -> str:
    """One random edit of a vehicle file: a value replaced (nasty or scaled), a line dropped or duplicated,
    a table header renamed or dropped, a key renamed."""
    lines = text.splitlines()
    idx = [i for i, ln in enumerate(lines) if re.match(r"\s*[A-Za-z_][\w]*\s*=", ln)]
    heads = [i for i, ln in enumerate(lines) if re.match(r"\s*\[", ln)]
    op = rng.choice(["value", "value", "value", "scale", "drop", "dup", "head", "rename", "extends", "section"])
    if op in ("value", "scale") and idx:
        i = rng.choice(idx)
        key, _, rest = lines[i].partition("=")
        val = rest.split("#")[0].strip()
        if op == "scale" and re.fullmatch(r"-?[\d.eE+-]+", val):
            try:
                new = repr(float(val) * rng.choice([0.0, 0.01, 0.1, 0.5, 2.0, 10.0, 100.0, -1.0]))
            except ValueError:
                new = rng.choice(_NASTY)
        else:
            new = rng.choice(_NASTY)
        lines[i] = f"{key.rstrip()} = {new}"
    elif op == "drop" and idx:
        del lines[rng.choice(idx)]
    elif op == "dup" and idx:
        i = rng.choice(idx)
        lines.insert(i, lines[i])
    elif op == "head" and heads:
        i = rng.choice(heads)
        lines[i] = rng.choice(["[chassis]", "[battery]", "[engine]", "[motors.x]", "[drive]", "[planetary]",
                               "[nonsense]", "# dropped header", "[transmission]"])
    elif op == "rename" and idx:
        i = rng.choice(idx)
        key, _, rest = lines[i].partition("=")
        lines[i] = f"{key.strip()}_x ={rest}"
    elif op == "extends":
        j = next((k for k, ln in enumerate(lines) if ln.strip() == "[vehicle]"), 0)
        ref = rng.choice(['""', '"maps"', '"nope.toml"', "5", '"xingyue_l.toml"'])
        lines.insert(j + 1, "extends = " + ref)
    elif op == "section":
        lines.append(rng.choice(["chassis = 5", "engine = 5", "[battery]\ncapacity_ah = 5.0", "motors = 3",
                                 "[[claims]]\nquantity = 'x'"]))
    return "\n".join(lines) + "\n"


def mutate_csv(rng: random.Random, text: str) -> str:
    """One random edit of a map/battery CSV: rows dropped, a column zeroed, a cell made nasty, header only,
    comments only, empty, or a header cell renamed."""
    lines = text.splitlines()
    body = [i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if len(body) < 2:
        return text
    head, rows = body[0], body[1:]
    op = rng.choice(["cell", "cell", "zero_col", "one_row", "header_only", "comments", "empty", "drop_rows",
                     "rename", "shuffle"])
    if op == "cell":
        i = rng.choice(rows)
        cells = lines[i].split(",")
        j = rng.randrange(len(cells))
        cells[j] = rng.choice(["inf", "nan", "1e300", "-5", "x", "", "0", "1e6"])
        lines[i] = ",".join(cells)
    elif op == "zero_col":
        j = rng.randrange(len(lines[head].split(",")))
        for i in rows:
            cells = lines[i].split(",")
            cells[j] = "0"
            lines[i] = ",".join(cells)
    elif op == "one_row":
        lines = [lines[head], lines[rows[0]]]
    elif op == "header_only":
        lines = [lines[head]]
    elif op == "comments":
        lines = ["# nothing here"]
    elif op == "empty":
        lines = []
    elif op == "drop_rows":
        keep = set(rng.sample(rows, max(1, len(rows) // rng.choice([2, 5, 20]))))
        lines = [lines[head]] + [lines[i] for i in rows if i in keep]
    elif op == "rename":
        cells = lines[head].split(",")
        cells[rng.randrange(len(cells))] = "bogus"
        lines[head] = ",".join(cells)
    elif op == "shuffle":
        rs = [lines[i] for i in rows]
        rng.shuffle(rs)
        lines = [lines[head]] + rs
    return "\n".join(lines) + ("\n" if lines else "")


def shipped_text(stem: str) -> str:
    return (data_dir("vehicles") / f"{stem}.toml").read_text(encoding="utf-8")


def write_variant(rng: random.Random, folder: Path, k: int) -> tuple[Path, list[str]]:
    """A mutated copy of a shipped vehicle file (and sometimes of one of its tables) in ``folder``; returns
    the vehicle path and the files a refusal may name."""
    stem = rng.choice(sorted(BASES.values()) + ["taycan_turbo_s"])
    text = shipped_text(stem)
    files = []
    r = rng.random()
    if r < 0.3:
        refs = re.findall(r'^\s*(map_file|wot_file|table_file)\s*=\s*"([^"]+)"', text, flags=re.M)
        if not refs and stem == "taycan_turbo_s":
            refs = re.findall(r'^\s*(map_file|wot_file|table_file)\s*=\s*"([^"]+)"', shipped_text("taycan_turbo"),
                              flags=re.M)
        if refs:
            key, ref = rng.choice(refs)
            src = (data_dir("vehicles") / ref).read_text(encoding="utf-8")
            csv_path = folder / f"t{k}_{Path(ref).name}"
            if rng.random() < 0.05:
                csv_path.write_bytes(b"speed_rpm,torque_nm\n\xff\xfe1,2\n")
            else:
                csv_path.write_text(mutate_csv(rng, src), encoding="utf-8")
            if f'"{ref}"' in text:
                text = text.replace(f'"{ref}"', f'"{csv_path.name}"')
            else:
                text += f'\n[battery]\n{key} = "{csv_path.name}"\n'
            files.append(str(csv_path))
    if r >= 0.25 or not files:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            text = mutate_toml(rng, text)
    path = folder / f"v{k}_{stem}.toml"
    if rng.random() < 0.01:
        path.write_bytes(text.encode("utf-8") + b"\n# \xff\xfe\n")
    else:
        path.write_text(text, encoding="utf-8")
    return path, [str(path), *files]
