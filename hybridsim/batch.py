"""Many runs at once: :func:`simulate_many` and :func:`sweep` return ONE ``xarray.Dataset`` on a ``case``
dimension, with the swept parameters (or the vehicle and cycle) as coordinates.

>>> import hybridsim as hs
>>> from hybridsim.batch import sweep
>>> ds = sweep(hs.load_vehicle("xingyue_l"), hs.load_cycle("wltc"),
...            {"chassis.mass_kg": [1700, 1800, 1900], "chassis.drag_coefficient": [0.30, 0.33]},
...            summary_only=True)                                   # doctest: +SKIP
>>> ds["fuel_l_per_100km"].set_index(case=["chassis.mass_kg", "chassis.drag_coefficient"]).unstack("case")

(A parameter only acts where the model uses it: a vehicle whose file gives coast-down coefficients
``road_load_f0_n``/``f1``/``f2`` has no ``drag_coefficient``, and sweeping one is refused with one clear error;
sweep those coefficients instead.)

Each case is exactly what :func:`hybridsim.simulate` computes (the same argument checks, runner and
kernel; the tests check bit-identity). Parameter paths are the vehicle file's own keys
(``"engine.peak_power_kw"``, ``"motors.mg2.peak_power_kw"``), applied with
:func:`hybridsim.vehicle.replace_path`; every path and value is checked before anything runs.

Parallelism. The kernels are compiled with ``nogil=True``, so the default scheduler is a thread pool
(``workers`` threads, default all cores): while one thread is inside a kernel, the others run their
cases' Python side (vehicle building, kernel arguments, summaries). The thread pool works for every
architecture in ``RUNNERS`` as it is, with no per-architecture batch kernel. ``scheduler="processes"``
uses a process pool instead (each process loads the numba cache once), and a ``distributed.Client``
spreads chunks of cases over a Dask cluster; a chunk lost with a dying worker is recomputed by Dask.

``summary_only=True`` keeps no time series: per case only the figures of :func:`hybridsim.summarize`
(the scalar variables of ``simulate(..., record=False)``). Otherwise the time series are stacked on
(``case``, ``time``); cycles of different lengths are aligned on ``time`` and padded with NaN. Run
attributes that differ between cases (e.g. ``simulated_mass_kg``, curb + payload) become coordinates on ``case``
with their units; the swept parameters are coordinates named by their path (``chassis.mass_kg``, the file's
curb mass) with the parameter's unit and description;
:func:`case_dataset` gives back one case as the Dataset ``simulate`` returns.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime
import itertools
import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ._version import __version__
from .cycles import Cycle
from .results import (
    PHASE_ATTRS,
    SUMMARY_STRINGS,
    run_attr_attrs,
    summary_fields,
    summary_values,
    summary_var_attrs,
    to_dataset,
)
from .simulate import _run_case, kernel_cycle
from .vehicle import Vehicle, parameter_attrs, replace_path

__all__ = ["case_dataset", "simulate_many", "sweep"]

_SIM_KEYS = ("cold_start", "ambient_temp_c", "soc_init", "soc_balance")
PROGRESS_MIN_CASES = 50  # below this a bar is not worth drawing


# --- cases ---------------------------------------------------------------------------------------------

def _component_key(path: str) -> str:
    """The component a parameter path changes: ``"chassis"``, or ``"motors.mg2"`` for a motor."""
    parts = path.split(".")
    return ".".join(parts[:2]) if parts[0] == "motors" and len(parts) > 2 else parts[0]


class _Builder:
    """Builds case vehicles from a base vehicle and parameter assignments. Each changed component is
    built (and re-validated) once per distinct set of values and reused: a grid sweep of n × m values
    of two components builds n + m components, not n·m vehicles."""

    def __init__(self, base: Vehicle):
        self.base = base
        self.cache: dict = {}

    def component(self, key: str, items: Sequence[tuple[str, Any]]) -> Any:
        """The component ``key`` of the base vehicle with the parameters ``items`` [(path, value)] set."""
        try:
            ck = (key, tuple((p, _hashable(x)) for p, x in items))
        except TypeError:  # an unhashable value: built every time
            ck = None
        if ck is not None and ck in self.cache:
            return self.cache[ck]
        v = self.base
        for p, x in items:
            v = replace_path(v, p, x)
        comp = v.motors[key.split(".", 1)[1]] if key.startswith("motors.") else getattr(v, key)
        if ck is not None:
            self.cache[ck] = comp
        return comp

    def vehicle(self, assignment: Sequence[tuple[str, Any]]) -> Vehicle:
        if not assignment:
            return self.base
        groups: dict[str, list] = {}
        for p, x in assignment:
            groups.setdefault(_component_key(p), []).append((p, x))
        changes: dict[str, Any] = {}
        motors = None
        for key, items in groups.items():
            comp = self.component(key, items)
            if key.startswith("motors."):
                motors = dict(self.base.motors) if motors is None else motors
                motors[key.split(".", 1)[1]] = comp
            else:
                changes[key] = comp
        if motors is not None:
            changes["motors"] = motors
        return dataclasses.replace(self.base, **changes)


def _hashable(x: Any) -> Any:
    if isinstance(x, list | np.ndarray):
        return tuple(np.asarray(x).tolist())
    hash(x)
    return x


def _run_one(vehicle: Vehicle, cycle: Cycle, summary_only: bool, sim: dict):
    out, attrs = _run_case(vehicle, cycle, **sim)
    if summary_only:
        return summary_values(kernel_cycle(cycle, vehicle.architecture)[0], out, attrs), attrs
    return out, attrs


def _run_chunk(payload: dict) -> list:
    """Run a chunk of cases (on any worker: thread, process or Dask); returns [(index, result, attrs)].

    ``payload``: ``cases`` [(index, vehicle key, cycle key, assignment)], ``vehicles`` {key: packed
    vehicle}, ``cycles`` {key: Cycle}, ``summary_only``, ``sim`` (simulate keywords)."""
    builders = {k: v if isinstance(v, _Builder) else _Builder(v)
                for k, v in payload["vehicles"].items()}
    res = []
    for idx, vk, ck, assignment in payload["cases"]:
        try:
            v = builders[vk].vehicle(assignment)
            r, attrs = _run_one(v, payload["cycles"][ck], payload["summary_only"], payload["sim"])
        except Exception as exc:  # one bad case: reported in its row, or raised naming the case
            what = _case_text(idx, builders[vk].base, payload["cycles"][ck], assignment)
            msg = " ".join(str(exc).split())
            if payload.get("errors", "raise") == "report":
                res.append((idx, None, {"status": "error", "message": f"{type(exc).__name__}: {msg}"}))
                continue
            if isinstance(exc, ValueError | TypeError):
                raise type(exc)(f"{what}: {msg}") from exc
            raise RuntimeError(f"{what}: {type(exc).__name__}: {msg}") from exc
        res.append((idx, r, attrs))
    return res


def _case_text(idx: int, base: Vehicle, cycle: Cycle, assignment) -> str:
    """'case 3 (vehicle 'ralink', cycle 'wltc_class3b', chassis.mass_kg = 1800.0)' for error messages."""
    parts = [f"vehicle {base.id!r}", f"cycle {cycle.name!r}"] + [f"{p} = {x!r}" for p, x in assignment]
    return f"case {idx} ({', '.join(parts)})"


# --- schedulers ----------------------------------------------------------------------------------------

def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar; ``progress=None`` shows it only on a terminal (stderr a tty) and for long batches."""
    from tqdm.auto import tqdm

    if progress is None:
        show = total >= PROGRESS_MIN_CASES and sys.stderr is not None and sys.stderr.isatty()
    else:
        show = bool(progress)
    return tqdm(total=total, disable=not show, unit="case", desc="hybridsim", file=sys.stderr)


def _usable_cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _is_client(scheduler) -> bool:
    return hasattr(scheduler, "submit") and hasattr(scheduler, "gather")


def _execute(cases: list, vehicles: dict, cycles: dict, *, summary_only: bool, sim: dict, workers: int | None,
             scheduler, chunk_size: int | None, progress: bool | None, errors: str = "raise") -> list:
    n = len(cases)
    results: list = [None] * n
    if n == 0:
        return results
    if _is_client(scheduler):
        nw = max(sum(scheduler.nthreads().values()), 1)
    else:
        nw = workers if workers is not None else _usable_cores()
        if nw < 1:
            raise ValueError(f"workers = {workers}: must be >= 1")
    if chunk_size is None:
        chunk_size = max(1, min(256, math.ceil(n / (4 * nw))))
    elif chunk_size < 1:
        raise ValueError(f"chunk_size = {chunk_size}: must be >= 1")
    bar = _progress_bar(n, progress)
    vehicles = {k: v if isinstance(v, _Builder) else _Builder(v) for k, v in vehicles.items()}

    def payload(chunk, packed):
        return {"cases": chunk, "vehicles": packed, "cycles": cycles, "summary_only": summary_only, "sim": sim,
                "errors": errors}

    def store(chunk_res):
        for idx, r, attrs in chunk_res:
            results[idx] = (r, attrs)
        bar.update(len(chunk_res))

    try:
        # the first case runs here: it compiles (or loads) the kernel once and raises early on a bad case
        store(_run_chunk(payload(cases[:1], vehicles)))
        rest = [cases[i:i + chunk_size] for i in range(1, n, chunk_size)]
        if not rest:
            return results
        if _is_client(scheduler):
            from distributed import as_completed

            packed = {k: b.base for k, b in vehicles.items()}
            futures = [scheduler.submit(_run_chunk, payload(c, packed), pure=False, retries=3) for c in rest]
            try:
                for fut in as_completed(futures):
                    store(fut.result())
            finally:
                for fut in futures:
                    fut.release()
        elif scheduler in (None, "threads", "processes", "serial"):
            if scheduler == "serial" or nw == 1:
                for c in rest:
                    store(_run_chunk(payload(c, vehicles)))
            elif scheduler == "processes":
                packed = {k: b.base for k, b in vehicles.items()}
                with cf.ProcessPoolExecutor(nw) as pool:
                    for fut in cf.as_completed([pool.submit(_run_chunk, payload(c, packed)) for c in rest]):
                        store(fut.result())
            else:
                with cf.ThreadPoolExecutor(nw, thread_name_prefix="hybridsim") as pool:
                    futs = [pool.submit(_run_chunk, payload(c, vehicles)) for c in rest]
                    try:
                        for fut in cf.as_completed(futs):
                            store(fut.result())
                    except BaseException:
                        for fut in futs:
                            fut.cancel()
                        raise
        else:
            raise ValueError(f"scheduler = {scheduler!r}: allowed None, 'threads', 'processes', 'serial' or a "
                             "distributed.Client")
    finally:
        bar.close()
    return results


# --- assembling the Dataset ----------------------------------------------------------------------------

def _coord_array(values: list) -> np.ndarray:
    """Coordinate values of a swept parameter; a list-valued parameter (gear ratios) becomes its text,
    e.g. ``"4.7, 2.8, 1.9"``, so that the Dataset stays writable to netCDF."""
    if all(isinstance(x, bool | int | float | str | np.number | np.bool_) for x in values):
        return np.asarray(values)
    return np.asarray([", ".join(f"{float(y):g}" for y in np.ravel(x)) if isinstance(x, list | tuple | np.ndarray)
                       else str(x) for x in values])


def _split_attrs(all_attrs: list[dict]) -> tuple[dict, dict[str, list]]:
    """Attributes equal in every case (→ Dataset attrs) and those that differ (→ case coordinates)."""
    keys = list(dict.fromkeys(k for a in all_attrs for k in a))
    common, varying = {}, {}
    for k in keys:
        vals = [a.get(k) for a in all_attrs]
        first = vals[0]
        if all(k in a for a in all_attrs) and all(_same(x, first) for x in vals):
            common[k] = first
        else:
            varying[k] = vals
    return common, varying


def _same(a, b) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


def _fill(vals: list) -> np.ndarray:
    if all(isinstance(x, str) for x in vals if x is not None):
        return np.asarray(["" if x is None else x for x in vals])
    if all(x is not None for x in vals) and all(isinstance(x, int | np.integer) for x in vals):
        return np.asarray(vals, dtype=np.int64)
    return np.asarray([math.nan if x is None else x for x in vals], dtype=np.float64)


def _assemble(results: list, cycles_of_case: list[Cycle], coords: dict[str, np.ndarray], summary_only: bool,
              extra_attrs: dict, coord_attrs: Mapping[str, dict] | None = None) -> xr.Dataset:
    n = len(results)
    failed = [r is None for r, _ in results]
    status = [a.pop("status", "ok") if r is None else "ok" for r, a in results]
    message = [a.pop("message", "") if r is None else "" for r, a in results]
    if all(failed):
        ds = xr.Dataset(coords={"case": ("case", np.arange(n)), **{k: ("case", a) for k, a in coords.items()},
                                "status": ("case", np.asarray(status)), "message": ("case", np.asarray(message))},
                        attrs=dict(extra_attrs))
        ds.attrs["batch_varying_attrs"] = []
        return ds
    attrs_list = [dict(a) for r, a in results if r is not None]
    if summary_only:
        summaries = [r for r, _ in results if r is not None]
    else:
        summaries = [summary_values(kernel_cycle(c, a["architecture"])[0], out, a)
                     for (out, a), c in zip(results, cycles_of_case, strict=True) if out is not None]
    ok_index = [i for i in range(n) if not failed[i]]
    for a, s in zip(attrs_list, summaries, strict=True):
        for k in SUMMARY_STRINGS:
            if k in s:
                a[k] = s[k]
    flats = [summary_fields(s) for s in summaries]
    names = list(dict.fromkeys(k for f in flats for k in f))

    def spread(vals: list) -> list:  # values of the cases that ran → one per case (None where it failed)
        full: list = [None] * n
        for i, x in zip(ok_index, vals, strict=True):
            full[i] = x
        return full

    data_vars: dict[str, Any] = {}
    for k in names:
        data_vars[k] = ("case", _fill(spread([f.get(k) for f in flats])), summary_var_attrs(k))
    common, varying = _split_attrs(attrs_list)
    all_coords: dict[str, Any] = {"case": ("case", np.arange(n))}
    for k, vals in varying.items():
        if k not in data_vars:  # e.g. soc_balance_runs is a summary variable already
            all_coords[k] = ("case", _fill(spread(vals)), run_attr_attrs(k))
    for k, arr in coords.items():
        all_coords[k] = ("case", arr, dict((coord_attrs or {}).get(k, {})))
    if any(failed) or "errors_report" in extra_attrs:
        all_coords["status"] = ("case", np.asarray(status), {"long_name": "outcome of the case: ok or error"})
        all_coords["message"] = ("case", np.asarray(message), {"long_name": "why the case failed (one line)"})
    extra_attrs = {k: v for k, v in extra_attrs.items() if k != "errors_report"}
    ds = xr.Dataset(data_vars, coords=all_coords, attrs={**common, **extra_attrs})
    ds.attrs["history"] = (f"{datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} hybridsim "
                           f"{__version__}: batch of {n} cases ({extra_attrs.get('batch_mode', '')})")
    ds.attrs["batch_varying_attrs"] = list(varying)
    if summary_only:
        return ds
    # time series: stacked on (case, time), aligned on time (NaN padding for shorter/other cycles)
    per_case = [to_dataset(kernel_cycle(c, a["architecture"])[0], out, {})
                for (out, a), c in zip(results, cycles_of_case, strict=True) if out is not None]
    same_time = all(len(d["time"]) == len(per_case[0]["time"])
                    and np.array_equal(d["time"].values, per_case[0]["time"].values) for d in per_case)
    if same_time:
        series = {}
        vnames = list(dict.fromkeys(v for d in per_case for v in d.data_vars))
        nt = len(per_case[0]["time"])
        for v in vnames:
            arr = np.full((n, nt), np.nan)
            va = None
            for i, d in zip(ok_index, per_case, strict=True):
                if v in d:
                    arr[i] = d[v].values
                    va = d[v].attrs
            series[v] = (("case", "time"), arr, va)
        ts = xr.Dataset(series, coords={"time": per_case[0]["time"]})
        phases = [d["phase"].values if "phase" in d.coords else None for d in per_case]
        if phases[0] is not None and all(p is not None and np.array_equal(p, phases[0]) for p in phases):
            ts = ts.assign_coords(phase=per_case[0]["phase"])
    else:
        # cycles differ: the phase labels become a (case, time) coordinate ("" where a cycle has no phases)
        if any("phase" in d.coords for d in per_case):
            per_case = [d if "phase" in d.coords else d.assign_coords(phase=("time", np.full(d.sizes["time"], "")))
                        for d in per_case]
        ts = xr.concat(per_case, dim="case", join="outer", data_vars="all",
                       coords=["phase"] if "phase" in per_case[0].coords else "minimal", combine_attrs="override")
        if any(failed):  # failed cases: rows of NaN
            ts = ts.assign_coords(case=ok_index).reindex(case=np.arange(n)).drop_vars("case")
    ds = ds.assign_coords({c: ts[c] for c in ts.coords if c != "case"})
    return ds.assign({v: ts[v].variable for v in ts.data_vars})


def case_dataset(ds: xr.Dataset, case: int) -> xr.Dataset:
    """One case of a batch result as the Dataset :func:`hybridsim.simulate` returns for it (time series
    with its run attributes; ``record=False`` form for a summary-only batch)."""
    one = ds.isel(case=case)
    varying = list(ds.attrs.get("batch_varying_attrs", []))
    attrs = {k: v for k, v in ds.attrs.items() if k != "batch_varying_attrs" and not k.startswith("batch_")}
    for k in varying:
        if k in one.variables:
            x = one[k].values.item()
            if (isinstance(x, float) and math.isnan(x)) or x == "":  # not set for this case
                continue
            attrs[k] = x
    one = one.drop_vars([c for c in one.coords if one[c].dims != ("time",)])
    if "time" in one.dims:
        one = one[[v for v in one.data_vars if "time" in one[v].dims]]
        one = one.isel(time=np.flatnonzero(np.isfinite(one["speed"].values)))
        one = one.dropna("time", how="all")
        keep = [v for v in one.data_vars if not np.all(np.isnan(one[v].values))]
        one = one[keep]
        if "phase" in one.coords:  # labels of this case's cycle; none if it has no phases
            labels = np.array([x if isinstance(x, str) else "" for x in one["phase"].values.tolist()])
            one = one.drop_vars("phase")
            if any(labels):
                one = one.assign_coords(phase=("time", labels, dict(PHASE_ATTRS)))
    else:
        optional = ("fuel_raw_l_per_100km", "soc_balance_residual", "soc_balance_runs", "fuel_l_per_100km",
                    "co2_g_per_km", "electricity_kwh_per_100km", "j2951_er_pct", "j2951_dr_pct", "j2951_eer_pct",
                    "j2951_ascr_pct", "j2951_iwr_pct")
        one = one[[v for v in one.data_vars
                   if not np.isnan(one[v].values) or not (v in optional or v.startswith("energy_"))]]
    one.attrs = attrs
    return one


# --- public API ----------------------------------------------------------------------------------------

def _check_errors(errors: str) -> None:
    if errors not in ("raise", "report"):
        raise ValueError(f"errors = {errors!r}: allowed 'raise' or 'report'")


def _extra(mode: str, errors: str) -> dict:
    return {"batch_mode": mode, **({"errors_report": 1} if errors == "report" else {})}


def _sim_kwargs(kw: dict) -> dict:
    bad = set(kw) - set(_SIM_KEYS)
    if bad:
        raise TypeError(f"unexpected keyword(s) {', '.join(sorted(bad))}; simulate keywords are "
                        f"{', '.join(_SIM_KEYS)}")
    return kw


def simulate_many(vehicles: Vehicle | Iterable[Vehicle], cycles: Cycle | Iterable[Cycle], *, mode: str = "grid",
                  summary_only: bool = False, workers: int | None = None, scheduler=None,
                  chunk_size: int | None = None, progress: bool | None = None, errors: str = "raise",
                  **simulate_kwargs) -> xr.Dataset:
    """Every vehicle over every cycle (``mode="grid"``, vehicle-major) or pairwise (``mode="zip"``).

    Returns one Dataset on ``case`` with ``vehicle`` (id), ``cycle`` (name), ``vehicle_index`` and
    ``cycle_index`` coordinates. ``simulate_kwargs`` (cold_start, ambient_temp_c, soc_init, soc_balance)
    apply to every case; see :func:`sweep` for ``summary_only``, ``workers``, ``scheduler``,
    ``chunk_size``, ``progress`` and ``errors``.
    """
    sim = _sim_kwargs(simulate_kwargs)
    _check_errors(errors)
    vs = [vehicles] if isinstance(vehicles, Vehicle) else list(vehicles)
    cs = [cycles] if isinstance(cycles, Cycle) else list(cycles)
    for v in vs:
        if not isinstance(v, Vehicle):
            raise TypeError(f"vehicles must be hybridsim Vehicles, got {type(v).__name__}")
    for c in cs:
        if not isinstance(c, Cycle):
            raise TypeError(f"cycles must be hybridsim Cycles, got {type(c).__name__}")
    if mode == "grid":
        pairs = list(itertools.product(range(len(vs)), range(len(cs))))
    elif mode == "zip":
        if len(vs) != len(cs):
            raise ValueError(f"mode = 'zip': {len(vs)} vehicles and {len(cs)} cycles (must be equal)")
        pairs = [(i, i) for i in range(len(vs))]
    else:
        raise ValueError(f"mode = {mode!r}: allowed 'grid' or 'zip'")
    cases = [(k, i, j, ()) for k, (i, j) in enumerate(pairs)]
    results = _execute(cases, dict(enumerate(vs)), dict(enumerate(cs)), summary_only=summary_only, sim=sim,
                       workers=workers, scheduler=scheduler, chunk_size=chunk_size, progress=progress, errors=errors)
    coords = {
        "vehicle": np.asarray([vs[i].id for i, _ in pairs]),
        "cycle": np.asarray([cs[j].name for _, j in pairs]),
        "vehicle_index": np.asarray([i for i, _ in pairs], dtype=np.int64),
        "cycle_index": np.asarray([j for _, j in pairs], dtype=np.int64),
    }
    names = {"vehicle": {"long_name": "vehicle id"}, "cycle": {"long_name": "drive cycle"},
             "vehicle_index": {"long_name": "position of the vehicle in the vehicles argument", "units": "1"},
             "cycle_index": {"long_name": "position of the cycle in the cycles argument", "units": "1"}}
    return _assemble(results, [cs[j] for _, j in pairs], coords, summary_only, _extra(mode, errors), names)


def sweep(vehicle: Vehicle, cycle: Cycle, params: Mapping[str, Sequence], *, mode: str = "grid",
          summary_only: bool = False, workers: int | None = None, scheduler=None, chunk_size: int | None = None,
          progress: bool | None = None, errors: str = "raise", **simulate_kwargs) -> xr.Dataset:
    """Vary parameters of ``vehicle`` and simulate each variant over ``cycle``; one Dataset on ``case``.

    Parameters
    ----------
    params : ``{"path.to.param": values, ...}``, paths being the vehicle file's keys
        (``"chassis.mass_kg"``, ``"engine.peak_power_kw"``, ``"motors.mg2.peak_power_kw"``); each path
        becomes a coordinate on ``case``. A bad path or value raises one ``ValueError`` naming it,
        before anything runs.
    mode : ``"grid"`` (every combination, the first parameter varying slowest) or ``"zip"`` (the
        i-th values together; all lists of equal length).
    summary_only : keep only the scalar figures of :func:`hybridsim.summarize` per case, no time series.
    workers : threads (or processes) on this machine; default: the usable cores.
    scheduler : ``None``/``"threads"`` (default), ``"processes"``, ``"serial"``, or a
        ``distributed.Client``: the cases are cut into chunks and each chunk runs on a Dask worker
        (retried if a worker dies).
    chunk_size : cases per task (default: about 4 tasks per worker, at most 256 cases).
    progress : a tqdm bar; default only on a terminal and for batches of at least 50 cases.
    errors : ``"raise"`` (default): the first case that fails raises, its message naming the case index and
        its parameters; ``"report"``: a failed case becomes a row with ``status = "error"`` and the one-line
        ``message`` (coordinates on ``case``; its figures NaN) and every other case is kept (``status = "ok"``).
    simulate_kwargs : ``cold_start``, ``ambient_temp_c``, ``soc_init``, ``soc_balance`` for every case.
    """
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")
    if not isinstance(cycle, Cycle):
        raise TypeError(f"cycle must be a hybridsim Cycle, got {type(cycle).__name__}")
    sim = _sim_kwargs(simulate_kwargs)
    _check_errors(errors)
    if not isinstance(params, Mapping) or not params:
        raise ValueError(f"params = {params!r}: must be a non-empty mapping {{'section.key': [values, ...]}}")
    paths = list(params)
    values = []
    for p in paths:
        vals = params[p]
        if isinstance(vals, str) or not isinstance(vals, Sequence | np.ndarray):
            raise ValueError(f"sweep parameter {p!r} = {vals!r}: must be a list of values")
        # numpy scalars → Python; a sequence value (e.g. gear ratios) → tuple, as the TOML loader stores it
        vals = [x.item() if isinstance(x, np.generic) else
                tuple(np.asarray(x).tolist()) if isinstance(x, list | np.ndarray) else x for x in vals]
        if not vals:
            raise ValueError(f"sweep parameter {p!r}: empty list of values")
        values.append(vals)
    # check every path and every value up front (one clear ValueError naming the path); with
    # errors="report" a bad value only fails the cases that use it
    builder = _Builder(vehicle)
    for p, vals in zip(paths, values, strict=True):
        for x in vals:
            try:
                builder.component(_component_key(p), [(p, x)])
            except ValueError as exc:
                if not str(exc).startswith("parameter path") and errors == "report":
                    continue
                raise ValueError(f"sweep parameter {p!r} = {x!r}: {exc}") from None
    if mode == "grid":
        combos = list(itertools.product(*values))
    elif mode == "zip":
        lens = {p: len(v) for p, v in zip(paths, values, strict=True)}
        if len(set(lens.values())) != 1:
            raise ValueError(f"mode = 'zip': value lists of different lengths {lens} (must be equal)")
        combos = list(zip(*values, strict=True))
    else:
        raise ValueError(f"mode = {mode!r}: allowed 'grid' or 'zip'")
    cases = [(k, 0, 0, tuple(zip(paths, combo, strict=True))) for k, combo in enumerate(combos)]
    results = _execute(cases, {0: builder}, {0: cycle}, summary_only=summary_only, sim=sim, workers=workers,
                       scheduler=scheduler, chunk_size=chunk_size, progress=progress, errors=errors)
    coords = {p: _coord_array([c[i] for c in combos]) for i, p in enumerate(paths)}
    return _assemble(results, [cycle] * len(cases), coords, summary_only, _extra(mode, errors),
                     {p: parameter_attrs(vehicle, p) for p in paths})

