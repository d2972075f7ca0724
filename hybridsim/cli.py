"""The ``hybridsim`` command line: ``list``, ``simulate``, ``nedc``/``wltp``/``epa``/``china``/``jc08``, ``perf``,
``verify``.

* ``hybridsim simulate VEHICLE CYCLE [--soc S] [--cold] [--ambient C]``: one run, headline figures and
  the energy breakdown.
* ``hybridsim nedc|wltp|epa VEHICLE [--hot]``: the type-approval procedure (:mod:`hybridsim.procedures`);
  ``wltp`` also ``[--uf-table EU] [--v-max KMH] [--max-laden-mass KG]``.
* ``hybridsim china VEHICLE [--cycle CLTC-P.csv] [--uf-table NAME] [--hot]``: China's label procedures
  (GB/T 19233-2020, GB/T 19753-2021, GB/T 18386.1-2021; :func:`hybridsim.procedures.china`).
* ``hybridsim jc08 VEHICLE --cycle JC08.csv``: Japan's JC08 mode, 25 % cold + 75 % hot.
* ``hybridsim perf VEHICLE``: acceleration and top speed (:func:`hybridsim.performance.summary`).
* ``hybridsim verify [VEHICLE ...] [--plot claims.png] [--out claims.csv]``: every claim of the vehicle
  files next to its simulation (:mod:`hybridsim.verify`).
* ``hybridsim import-fastsim FILE.yaml [--out FILE.toml]``: a FASTSim 3 vehicle file as a hybridsim vehicle
  file (:mod:`hybridsim.fastsim_import`).

The CLI only parses arguments, calls the public API and formats what it returns; no physics here.

Adding a command: write ``_add_<name>(sub)`` that creates its parser and sets ``func`` (a function
``args -> int``) with ``set_defaults``, and append it to :data:`COMMANDS`.

Exit codes: 0 success; 2 bad usage or bad input (unknown name, invalid vehicle or cycle file: one line
``hybridsim: error: ...`` on stderr, no traceback); 1 an output file could not be written (output folders
are checked before anything runs); 141 (128 + SIGPIPE) quietly when the reader of the output goes away
(``hybridsim nedc xingyue_l | head``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from ._version import __version__
from .errors import TraceMissWarning

PROG = "hybridsim"


# ---------------------------------------------------------------- formatting helpers


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> str:
    """A plain-text table; ``align`` has one character per column, ``l`` or ``r`` (default: all ``l``)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    align = align or "l" * len(headers)
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(row, widths, align, strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _number(lo: float, hi: float) -> Callable[[str], float]:
    """An argparse type: a finite number in [lo, hi] (argparse turns the ValueError into exit status 2)."""

    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (allowed {lo:g} to {hi:g})") from None
        if not (math.isfinite(x) and lo <= x <= hi):
            raise argparse.ArgumentTypeError(f"{text!r}: out of range, allowed {lo:g} to {hi:g}")
        return x

    parse.__name__ = "number"
    return parse


def _error(message: object) -> int:
    text = " ".join(str(message).split())  # exactly one line
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------- resolving names and files


class OutputPathError(ValueError):
    """An output file that cannot be written (its folder is missing); raised before anything runs (exit 2)."""


def _check_outputs(*paths) -> None:
    """Fail early (exit 2, bad argument) if an output file's folder does not exist or is not a folder."""
    for p in paths:
        if p is None:
            continue
        parent = Path(p).expanduser().resolve().parent
        if not parent.is_dir():
            raise OutputPathError(f"{p}: cannot write, the folder {parent} does not exist")


#: File types each kind of output can be written as (checked before anything runs).
DATA_SUFFIXES = (".nc", ".csv")
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")
TABLE_SUFFIXES = (".csv",)


def _check_suffix(path, allowed: Sequence[str], option: str) -> None:
    """Refuse an output name whose extension is not one of ``allowed`` (before anything runs; exit 2)."""
    if path is not None and Path(path).suffix.lower() not in allowed:
        raise OutputPathError(f"{option} {path}: unsupported file type {Path(path).suffix or '(none)'!r}, "
                              f"allowed {', '.join(allowed)}")


def _is_file_arg(arg: str, suffix: str) -> bool:
    return arg.lower().endswith(suffix) or "/" in arg or "\\" in arg


def _vehicle(arg: str):
    from . import load_vehicle, read_vehicle

    return read_vehicle(arg) if _is_file_arg(arg, ".toml") else load_vehicle(arg)


def _cycle(arg: str):
    from . import load_cycle, read_cycle

    if not _is_file_arg(arg, ".csv"):
        return load_cycle(arg)
    if not Path(arg).is_file():
        raise ValueError(f"{arg}: cycle file not found")
    return read_cycle(arg)


# ---------------------------------------------------------------- list


def _list_vehicles() -> None:
    from . import list_vehicles, load_vehicle

    rows = [(vid, v.name, v.architecture) for vid in list_vehicles() for v in [load_vehicle(vid)]]
    print(_table(("id", "name", "architecture"), rows))


def _list_cycles() -> None:
    from . import CYCLE_ALIASES, list_cycles, load_cycle

    rows = []
    for name in list_cycles():
        s = load_cycle(name).stats()
        rows.append((name, f"{s['duration_s']:.0f}", f"{s['distance_km']:.2f}",
                     f"{s['max_speed_kmh']:.1f}", f"{s['mean_speed_kmh']:.1f}"))
    print(_table(("name", "duration s", "distance km", "vmax km/h", "mean km/h"), rows, "lrrrr"))
    aliases = ", ".join(f"{a} = {c}" for a, c in sorted(CYCLE_ALIASES.items()))
    print(f"\naliases: {aliases}")


_LISTERS: dict[str, Callable[[], None]] = {"vehicles": _list_vehicles, "cycles": _list_cycles}


def _cmd_list(args: argparse.Namespace) -> int:
    _LISTERS[args.what]()
    return 0


def _add_list(sub) -> None:
    p = sub.add_parser("list", help="list the shipped vehicles or drive cycles",
                       description="List the shipped vehicles or drive cycles.")
    p.add_argument("what", choices=sorted(_LISTERS), help="what to list")
    p.set_defaults(func=_cmd_list)


# ---------------------------------------------------------------- simulate


def _signed(x) -> str:
    """A signed percentage; None (not defined for the run) as 'n/a'."""
    return "n/a" if x is None else f"{x:+.2f}"


def _per_km(x, spec: str, unit: str) -> str:
    """A figure per distance; None (a run that covers no distance) is shown as not defined."""
    return "not defined (no distance driven)" if x is None else f"{x:{spec}} {unit}"


def _strategies() -> tuple[str, ...]:
    """Every strategy some registered architecture offers (registry order)."""
    from .architectures import ARCHITECTURES

    return tuple(dict.fromkeys(s for a in ARCHITECTURES.values() for s in a.strategies))


def _architecture_of(name, flag: str, default: bool = False) -> bool:
    """The registry's ``flag`` (``has_engine``, ``electric``, …) of architecture ``name``; ``default`` if unknown."""
    from .architectures import ARCHITECTURES

    a = ARCHITECTURES.get(name)
    return default if a is None else bool(getattr(a, flag))


def _has_engine(name) -> bool:
    return _architecture_of(name, "has_engine", default=True)


def _summary_text(summary: dict, roles: dict[str, str]) -> str:
    """The summary of one run as text; ``roles`` maps energy terms to source/sink/wheel."""
    from .results import BALANCE_FAILED

    battery = not math.isnan(summary.get("soc_start", math.nan))
    balanced = summary.get("charge_balanced", "fuel_raw_l_per_100km" in summary)
    rows: list[tuple[str, str]] = [("vehicle", summary["vehicle"]), ("cycle", summary["cycle"])]
    if _has_engine(summary.get("architecture")):  # cold or hot start
        rows.append(("engine start", f"cold, soaked at {summary.get('ambient_temp_c', math.nan):g} degC"
                     if summary.get("cold_start") else "hot (engine warm)"))
    if battery:
        rows.append(("battery", summary.get("soc_handling") or
                     ("charge-balanced" if balanced else "not charge-balanced")))
    rows += [
        ("distance", f"{summary['distance_km']:.3f} km"),
        ("fuel", _per_km(summary["fuel_l_per_100km"], ".2f", "L/100 km")
                 + (" (charge-balanced)" if balanced else " (not charge-balanced)" if battery
                    and (summary["fuel_l_per_100km"] or 0.0) > 0 else "")),
        ("CO2", _per_km(summary["co2_g_per_km"], ".1f", "g/km")),
    ]
    if "fuel_raw_l_per_100km" in summary:
        if summary["soc_balance_method"] not in ("iterated", BALANCE_FAILED):  # there raw = reported
            rows.append(("fuel, raw (before the correction)", _per_km(summary['fuel_raw_l_per_100km'], ".2f",
                                                                         "L/100 km")))
        rows.append(("SOC balance", f"{summary['soc_balance_method']} in {summary['soc_balance_runs']} runs, "
                                    f"residual {summary['soc_balance_residual']:+.1e} of fuel energy"))
    if summary["electricity_kwh_per_100km"] not in (0, None):
        label = ("battery terminal energy, net (> 0 discharge; a balanced hybrid shows its battery losses)"
                 if "fuel_raw_l_per_100km" in summary else "electricity at the battery terminals (DC)")
        rows.append((label, f"{summary['electricity_kwh_per_100km']:.2f} kWh/100 km"))
    if summary.get("electricity_wall_kwh_per_100km") is not None:
        rows.append(("electricity at the wall (recharge through the charger)",
                     f"{summary['electricity_wall_kwh_per_100km']:.2f} kWh/100 km"))
    if not (math.isnan(summary["soc_start"]) or math.isnan(summary["soc_end"])):
        rows.append(("SOC start/end", f"{summary['soc_start']:.3f} / {summary['soc_end']:.3f}"))
    rows += [
        ("energy balance rel. error", f"{summary['energy_balance_rel_error']:.1e}"),
        ("trace miss max", f"{summary['trace_miss_max_kmh']:.2f} km/h"),
        ("trace miss steps", str(summary["trace_miss_steps"])),
    ]
    if "j2951_iwr_pct" in summary:  # SAE J2951 drive quality, achieved vs scheduled trace
        er, dr, eer, ascr, iwr = (_signed(summary[f"j2951_{k}_pct"]) for k in ("er", "dr", "eer", "ascr", "iwr"))
        rows += [("drive quality (SAE J2951) ER / DR / EER", f"{er} / {dr} / {eer} %"),
                 ("drive quality (SAE J2951) ASCR / IWR", f"{ascr} / {iwr} %"),
                 ("drive quality (SAE J2951) RMSSE", f"{summary['j2951_rmsse_kmh']:.2f} km/h")]
    head = _table(("quantity", "value"), rows)

    energy = summary["energy_kwh"]
    source_kwh = sum(e for n, e in energy.items() if roles.get(n) == "source")
    order = {"source": 0, "wheel": 1, "sink": 2}
    names = sorted(energy, key=lambda n: (order.get(roles.get(n, ""), 3), -abs(energy[n])))
    erows = [(n, roles.get(n, ""), f"{energy[n]:.3f}",
              f"{100 * energy[n] / source_kwh:.1f}" if source_kwh else "")
             for n in names]
    breakdown = _table(("energy term", "role", "kWh", "% of source"), erows, "llrr")
    return f"{head}\n\n{breakdown}"


def _cmd_simulate(args: argparse.Namespace) -> int:
    from . import simulate, summarize

    _check_outputs(args.out, args.plot)
    _check_suffix(args.out, DATA_SUFFIXES, "--out")
    _check_suffix(args.plot, FIGURE_SUFFIXES, "--plot")
    if args.ambient is not None and not args.cold:
        raise ValueError(f"--ambient {args.ambient:g}: the ambient temperature applies only to a cold start "
                         "(add --cold); a hot start has a warm engine")
    ambient = 23.0 if args.ambient is None else args.ambient
    with warnings.catch_warnings():  # the trace miss is reported below, with the figures
        warnings.simplefilter("ignore", TraceMissWarning)
        ds = simulate(_vehicle(args.vehicle), _cycle(args.cycle), cold_start=args.cold, ambient_temp_c=ambient,
                      soc_init=args.soc, soc_balance=args.soc is None, strategy=args.strategy)
    roles = {n: ds[n].attrs["energy_role"] for n in ds.data_vars if "energy_role" in ds[n].attrs}
    summary = summarize(ds)
    if _architecture_of(ds.attrs.get("architecture"), "electric"):
        from .procedures.bev import wall_kwh_per_100km

        summary["electricity_wall_kwh_per_100km"] = wall_kwh_per_100km(_vehicle(args.vehicle), ds)
    print(_summary_text(summary, roles))
    if summary["trace_miss_max_kmh"] > 2.0:
        print(f"\nwarning: the vehicle fell behind the trace by up to {summary['trace_miss_max_kmh']:.1f} km/h "
              f"({summary['trace_miss_steps']} samples; distance {summary['distance_error_pct']:+.1f} %): the "
              "figures are those of the speed it could drive, not of the cycle", file=sys.stderr)
    _warn_drive_quality(summary)
    written = []
    if args.out:
        if Path(args.out).suffix.lower() == ".csv":
            _write_time_series_csv(ds, args.out)
        else:
            ds.to_netcdf(args.out)
        written.append(args.out)
    if args.plot:
        from .plot import plot_run

        plot_run(ds, args.plot)
        written.append(args.plot)
    return _report_written(written)


def _write_time_series_csv(ds, path) -> None:
    """The time series as CSV: one column per variable, its unit in the header (``speed [m s-1]``), the run
    attributes as ``#`` comment lines first (read back with ``comment="#"``)."""
    import csv

    names = [n for n in ds.data_vars if ds[n].dims == ("time",)]
    coords = [c for c in ds.coords if c != "time" and ds[c].dims == ("time",)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        for key in ("title", "source", "history", "Conventions"):
            if key in ds.attrs:
                fh.write(f"# {key}: {ds.attrs[key]}\n")
        w = csv.writer(fh)
        w.writerow(["time [s]", *coords, *(f"{n} [{ds[n].attrs.get('units', '1')}]" for n in names)])
        cols = [ds["time"].values, *(ds[c].values for c in coords), *(ds[n].values for n in names)]
        for row in zip(*cols, strict=True):
            w.writerow([x.item() if hasattr(x, "item") else x for x in row])


def _warn_drive_quality(result: dict) -> None:
    """A warning on stderr for each SAE J2951 tolerance (WLTP's) the run violates (:mod:`hybridsim.drive_quality`)."""
    from .drive_quality import check_all

    for msg in check_all(result):
        print(f"warning: drive quality: {msg}", file=sys.stderr)


def _report_written(paths: list) -> int:
    """Print the files a command wrote (after a blank line); the command's exit code, 0."""
    if paths:
        print()
    for path in paths:
        print(f"wrote {path}")
    return 0


def _add_simulate(sub) -> None:
    p = sub.add_parser(
        "simulate", help="run one vehicle over one drive cycle and print a summary",
        description="Run one vehicle over one drive cycle and print the headline figures and the "
                    "energy breakdown.")
    p.add_argument("vehicle", metavar="VEHICLE",
                   help="shipped vehicle id (see 'hybridsim list vehicles') or a path to a .toml file")
    p.add_argument("cycle", metavar="CYCLE",
                   help="shipped cycle name or alias (see 'hybridsim list cycles') or a path to a .csv file")
    p.add_argument("--soc", metavar="S", type=_number(0.0, 1.0), default=None,
                   help="run once from this initial state of charge, 0-1 (vehicles with a battery); the result "
                        "is NOT charge-balanced (default: hybrids charge-balanced from the controller's target, "
                        "plug-ins and EVs from full)")
    p.add_argument("--cold", action="store_true",
                   help="cold start: engine soaked at the ambient temperature (vehicles with a thermal model)")
    p.add_argument("--ambient", metavar="C", type=_number(-40.0, 60.0), default=None,
                   help="ambient (soak) temperature in degC for --cold (default 23; refused without --cold)")
    p.add_argument("--strategy", choices=_strategies(), default=None,
                   help="energy management (hybrids; default the vehicle's [controller] strategy): the rules, "
                        "ECMS, or the dynamic-programming optimum over the whole cycle")
    p.add_argument("--out", metavar="FILE.nc|FILE.csv",
                   help="write the time series: netCDF (.nc, with units and run attributes) or CSV (.csv)")
    p.add_argument("--plot", metavar="FILE.png",
                   help="write speed, power, engine-speed and SOC plots (.png, .pdf or .svg)")
    p.set_defaults(func=_cmd_simulate)


# ---------------------------------------------------------------- nedc / wltp / epa / perf

#: Key suffix → display unit, for procedure results (longest suffix first).
_UNITS = (
    ("_n_per_kmh2", "N/(km/h)²"), ("_n_per_kmh", "N/(km/h)"), ("_f0_n", "N"),
    ("_km_per_l", "km/L"), ("_l_per_100km", "L/100 km"), ("_kwh_per_100km", "kWh/100 km"), ("_g_per_km", "g/km"),
    ("_w_per_kg", "W/kg"), ("_kmh", "km/h"), ("_kwh", "kWh"), ("_km", "km"), ("_kg", "kg"), ("_kw", "kW"),
    ("_pct", "%"), ("_temp_c", "degC"), ("_c", "degC"), ("_s", "s"),
)
_WORDS = {"co2": "CO2", "pmr": "PMR", "soc": "SOC", "rcb": "RCB", "uf": "UF", "cs": "CS", "cd": "CD", "dc": "DC",
          "ac": "AC", "ftp": "FTP", "hwfet": "HWFET", "wltc": "WLTC", "soak": "soak temperature",
          "eu": "EU", "sae": "SAE", "j2841": "J2841", "j2951": "J2951", "er": "ER", "dr": "DR", "eer": "EER",
          "ascr": "ASCR", "iwr": "IWR", "rmsse": "RMSSE"}


def _split_unit(key: str) -> tuple[str, str]:
    unit = ""
    if key.startswith("mpg_"):
        key, unit = key[4:] + "_fuel_economy", "mpg"
    for suffix, u in _UNITS:
        if not unit and key.endswith(suffix):
            key, unit = key[: -len(suffix)] + ("_f0" if suffix == "_f0_n" else ""), u
    return " ".join(_WORDS.get(w, w) for w in key.split("_")), unit


def _fmt_value(v: object) -> str:
    if isinstance(v, bool) or v is None:
        return str(v).lower() if isinstance(v, bool) else "-"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
            return f"{v:.2e}"
        return f"{v:.1f}" if abs(v) >= 100 else f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 1 else f"{v:.2f}"
    return str(v)


def _result_text(result: dict, title: str = "") -> str:
    """A procedure's result dict as text: scalars as quantity/value/unit, nested tables below."""
    rows, nested = [], []
    for key, val in result.items():
        if isinstance(val, dict):
            nested.append((key, val))
        elif isinstance(val, list | tuple):
            continue  # per-cycle detail lists: see the Python API
        else:
            label, unit = _split_unit(key)
            rows.append((label, val, unit))
    # numbers right-aligned in a column of their own width, text left-aligned from the same column
    numw = max([len(_fmt_value(v)) for _, v, _ in rows if not isinstance(v, str)] + [5])
    rows = [(lab, _fmt_value(v) if isinstance(v, str) else f"{_fmt_value(v).rjust(numw)} {u}".rstrip())
            for lab, v, u in rows]
    parts = [(title + "\n" if title else "") + _table(("quantity", "value"), rows)]
    for key, val in nested:
        if val and all(isinstance(x, dict) for x in val.values()):
            cols = list(dict.fromkeys(k for x in val.values() for k in x))
            heads = [" ".join(filter(None, (_split_unit(c)[0], f"[{_split_unit(c)[1]}]" if _split_unit(c)[1] else "")))
                     for c in cols]
            trows = [(name, *(_fmt_value(x.get(c)) for c in cols)) for name, x in val.items()]
            parts.append(f"{key.replace('_', ' ')}:\n" + _table((key.rstrip("s") or key, *heads), trows,
                                                               "l" + "r" * len(cols)))
        else:
            parts.append(_result_text(val, f"{key}:"))
    return "\n\n".join(parts)


def _jsonable(x):
    """A result value as JSON: numpy scalars and arrays, tuples, NaN (→ null)."""
    import numpy as np

    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple | np.ndarray):
        return [_jsonable(v) for v in (x.tolist() if isinstance(x, np.ndarray) else x)]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is None or isinstance(x, bool | int | float | str):
        return x
    return str(x)


def _print_json(result: dict) -> int:
    """Print a result dict as JSON (keys carry their unit: ``fuel_l_per_100km``); NaN becomes null."""
    import json

    print(json.dumps(_jsonable(result), indent=2, ensure_ascii=False))
    return 0


def _add_wltc_options(p) -> None:
    """The WLTC class and test-mass options of the procedures that run the WLTC (wltp, china)."""
    p.add_argument("--v-max", metavar="KMH", type=_number(1.0, 500.0), default=None,
                   help="maximum vehicle speed in km/h for the class 3a/3b split (default: simulated)")
    p.add_argument("--max-laden-mass", metavar="KG", type=_number(100.0, 20000.0), default=None,
                   help="technically permissible maximum laden mass in kg for the test mass (default: "
                        "chassis.max_laden_mass_kg of the file, else curb + 500 kg)")


def _wltc_kwargs(args: argparse.Namespace) -> dict:
    """The procedure keywords of the options of :func:`_add_wltc_options` that were given."""
    return {key: getattr(args, opt) for opt, key in (("v_max", "v_max_kmh"), ("max_laden_mass", "max_laden_mass_kg"))
            if getattr(args, opt, None) is not None}


def _cmd_procedure(args: argparse.Namespace) -> int:
    from . import procedures

    kw = {}
    if args.hot:
        kw["cold_start"] = False
    if getattr(args, "uf_table", None) is not None:
        kw["uf_table"] = args.uf_table
    kw.update(_wltc_kwargs(args))
    result = procedures.PROCEDURES[args.command](_vehicle(args.vehicle), **kw)
    if args.json:
        return _print_json({"procedure": args.command, "vehicle": args.vehicle, **result})
    print(_result_text(result))
    _warn_drive_quality(result)
    if result.get("unchecked_rules"):
        print("\nRegulation values used as recalled, not verified against the text (docs/regulation_checks.md): "
              + ", ".join(result["unchecked_rules"]))
    return 0


def _add_procedures(sub) -> None:
    helps = {
        "nedc": "NEDC type-approval result (UN R83 / R101: inertia class, cold start, battery balance)",
        "wltp": "WLTP result (UN GTR 15: class, downscaling, test mass, per-phase, RCB; plug-ins and EVs too)",
        "epa": "EPA result (FTP-75 bag-weighted, HWFET, 55/45 combined and the label adjustment)",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, help=text, description=text + ".")
        p.add_argument("vehicle", metavar="VEHICLE",
                       help="shipped vehicle id (see 'hybridsim list vehicles') or a path to a .toml file")
        p.add_argument("--hot", action="store_true",
                       help="hot start (no cold start after the soak; not the regulation, for comparison)")
        p.add_argument("--json", action="store_true", help="print the result as JSON (keys carry their unit)")
        if name == "wltp":
            p.add_argument("--uf-table", metavar="NAME", default=None,
                           help="utility-factor table for plug-in hybrids (default EU)")
            _add_wltc_options(p)
        p.set_defaults(func=_cmd_procedure)


def _cmd_china(args: argparse.Namespace) -> int:
    from . import procedures

    kw = {"cold_start": False} if args.hot else {}
    if args.cycle is not None:
        kw["cycle"] = _cycle(args.cycle)
    if args.uf_table is not None:
        kw["uf_table"] = args.uf_table
    kw.update(_wltc_kwargs(args))
    result = procedures.china(_vehicle(args.vehicle), **kw)
    if args.json:
        return _print_json({"procedure": "china", "vehicle": args.vehicle, **result})
    missing = result.pop("missing", {})
    print(_result_text(result))
    for key, why in missing.items():
        print(f"\n{_split_unit(key)[0]}: not available. {why}")
    _warn_drive_quality(result)
    return 0


def _add_china(sub) -> None:
    text = ("China label result: GB/T 19233-2020 (engine cars), GB/T 19753-2021 (hybrids; plug-ins UF-weighted), "
            "GB/T 18386.1-2021 (BEV on CLTC-P)")
    p = sub.add_parser("china", help=text, description=text + ". The China WLTC, test mass and cold start of "
                       "GB 18352.6; plug-in weighting needs the GB/T 19753-2021 Appendix F utility factors, which "
                       "are not public (the EU and SAE J2841 weightings are shown instead); BEVs need the CLTC-P "
                       "trace, which is not shipped (--cycle).")
    p.add_argument("vehicle", metavar="VEHICLE",
                   help="shipped vehicle id (see 'hybridsim list vehicles') or a path to a .toml file")
    p.add_argument("--cycle", metavar="FILE.csv", default=None,
                   help="the CLTC-P trace for battery-electric vehicles (checked against its published statistics)")
    p.add_argument("--uf-table", metavar="NAME", default=None,
                   help="utility-factor table to use as China's for plug-in hybrids (default: none available)")
    p.add_argument("--hot", action="store_true",
                   help="hot start (no cold start after the soak; not the standard, for comparison)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (keys carry their unit)")
    _add_wltc_options(p)
    p.set_defaults(func=_cmd_china)


def _cmd_jc08(args: argparse.Namespace) -> int:
    from . import procedures

    kw = {} if args.cycle is None else {"cycle": _cycle(args.cycle)}
    result = procedures.jc08(_vehicle(args.vehicle), **kw)
    if args.json:
        return _print_json({"procedure": "jc08", "vehicle": args.vehicle, **result})
    print(_result_text(result))
    _warn_drive_quality(result)
    return 0


def _add_jc08(sub) -> None:
    text = "Japan JC08 mode result (25 %% cold start + 75 %% hot start) of an engine car or hybrid"
    p = sub.add_parser("jc08", help=text, description=text.replace("%%", "%") + ". The JC08 trace is not "
                       "shipped: pass it with --cycle (checked against its published statistics: 1204 s, 8.171 km, "
                       "81.6 km/h).")
    p.add_argument("vehicle", metavar="VEHICLE",
                   help="shipped vehicle id (see 'hybridsim list vehicles') or a path to a .toml file")
    p.add_argument("--cycle", metavar="FILE.csv", default=None, help="the JC08 trace (time_s, speed_kmh)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (keys carry their unit)")
    p.set_defaults(func=_cmd_jc08)


def _cmd_perf(args: argparse.Namespace) -> int:
    from . import performance

    vehicle = _vehicle(args.vehicle)
    result = {"vehicle": vehicle.id, **performance.summary(vehicle)}
    if args.json:
        return _print_json(result)
    print(_result_text(result))
    return 0


def _add_perf(sub) -> None:
    p = sub.add_parser("perf", help="acceleration and top speed (0-100, 80-120, quarter mile, top speed)",
                       description="Acceleration times and top speed of a vehicle.")
    p.add_argument("vehicle", metavar="VEHICLE",
                   help="shipped vehicle id (see 'hybridsim list vehicles') or a path to a .toml file")
    p.add_argument("--json", action="store_true", help="print the result as JSON (keys carry their unit)")
    p.set_defaults(func=_cmd_perf)


# ---------------------------------------------------------------- verify


def _cmd_verify(args: argparse.Namespace) -> int:
    from .verify import format_table, verify, write_csv

    _check_outputs(args.out, args.plot)
    _check_suffix(args.out, TABLE_SUFFIXES, "--out")
    _check_suffix(args.plot, FIGURE_SUFFIXES, "--plot")
    vehicles = [_vehicle(v) for v in args.vehicles] if args.vehicles else None
    rows = verify(vehicles)
    if not rows:
        raise ValueError("no [[claims]] in the selected vehicle files: nothing to verify")
    print(format_table(rows))
    written = []
    if args.out:
        write_csv(rows, args.out)
        written.append(args.out)
    if args.plot:
        from .plot import plot_claims

        ax = plot_claims(rows)
        ax.figure.savefig(args.plot, dpi=120)
        written.append(args.plot)
    return _report_written(written)


def _add_verify(sub) -> None:
    p = sub.add_parser(
        "verify", help="every claimed figure of the vehicle files next to its simulation",
        description="Run the right procedure (nedc, wltp, epa, perf; road tests against WLTP) for every "
                    "[[claims]] entry and print one table: claimed, simulated, difference in %%.")
    p.add_argument("vehicles", metavar="VEHICLE", nargs="*",
                   help="vehicle ids or .toml paths (default: all shipped vehicles)")
    p.add_argument("--out", metavar="FILE.csv",
                   help="write the table as CSV (vehicle, claim, claimed, simulated, difference_pct, "
                        "procedure, source)")
    p.add_argument("--plot", metavar="FILE.png", help="write a bar chart of the differences to a PNG")
    p.set_defaults(func=_cmd_verify)


# ---------------------------------------------------------------- import-fastsim


def _cmd_import_fastsim(args: argparse.Namespace) -> int:
    from .fastsim_import import fastsim_to_hybridsim

    _check_outputs(args.out)
    _check_suffix(args.out, (".toml",), "--out")
    if not Path(args.file).is_file():
        raise ValueError(f"{args.file}: FASTSim vehicle file not found")
    result = fastsim_to_hybridsim(args.file)
    if args.out is None:
        print(result.toml, end="")
        print("\n" + result.report(), file=sys.stderr)
        return 0
    Path(args.out).write_text(result.toml, encoding="utf-8")
    print(result.report())
    return _report_written([args.out])


def _add_import_fastsim(sub) -> None:
    p = sub.add_parser(
        "import-fastsim", help="turn a FASTSim 3 vehicle file (.yaml) into a hybridsim vehicle file",
        description="Turn a FASTSim 3 vehicle file (conventional, HEV, PHEV, BEV) into a hybridsim vehicle file: the "
                    "shipped vehicle of the same architecture with FASTSim's values written over it; print what maps "
                    "over, what is scaled and what does not map.")
    p.add_argument("file", metavar="FILE.yaml", help="FASTSim 3 vehicle file")
    p.add_argument("--out", metavar="FILE.toml", help="write the vehicle file here (default: print it)")
    p.set_defaults(func=_cmd_import_fastsim)


# ---------------------------------------------------------------- entry point

#: One function per command; each adds its subparser and sets ``func``.
COMMANDS: list[Callable] = [_add_list, _add_simulate, _add_procedures, _add_china, _add_jc08, _add_perf, _add_verify,
                            _add_import_fastsim]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Fuel and energy economy of vehicles over standard drive cycles.",
        epilog="Run 'hybridsim COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as a SIGPIPE'd tool does
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit must not fail again
        except (OSError, ValueError, AttributeError):
            pass
        return 141
    except ValueError as exc:  # unknown names (UnknownNameError) and invalid input files
        return _error(exc)
    except OSError as exc:  # an output file that cannot be written
        _error(exc)
        return 1
    except Exception as exc:  # a bug: one line (no traceback), exit status 1, and a request to report it
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"{PROG}: internal error: {text}. This is a bug in hybridsim {__version__}; please report it "
              "with the command line and input files that caused it.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
