"""Drive cycles: speed-time traces with optional road grade and named phases.

A :class:`Cycle` holds SI arrays (seconds, m/s, grade as a fraction). The shipped cycles live in the
repository's ``drive_cycles/`` folder (see ``drive_cycles/PROVENANCE.md`` for their sources and
conventions) and are loaded with :func:`load_cycle`; a user's CSV file is read with
:func:`read_cycle`. :func:`cycle_stats` summarises a cycle in human units (km, km/h).

Conventions
-----------
* The speed trace is taken as piecewise linear between samples. Distances are trapezoidal
  integrals over the time base, which may be non-uniform.
* Phase boundaries follow ``PROVENANCE.md``: in a CSV ``phase`` column the boundary sample belongs
  to the *earlier* phase, and a :class:`Phase` spans ``[last sample of the previous phase, own last
  sample]``, so adjacent phases share their boundary instant (WLTC low = [0, 589] s,
  medium = [589, 1022] s, ...).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hybridsim._csv import read_table
from hybridsim._resources import data_dir
from hybridsim.errors import UnknownNameError
from hybridsim.units import KMH_PER_MPS, M_PER_KM

__all__ = [
    "CYCLE_ALIASES",
    "DERIVED_CYCLES",
    "Cycle",
    "Phase",
    "cycle_stats",
    "list_cycles",
    "load_cycle",
    "read_cycle",
]

#: Short names accepted by :func:`load_cycle`, mapped to the shipped file stem. Only these two:
#: "wltc" means the class 3b cycle (the one for most passenger cars), "ftp" the full FTP-75.
CYCLE_ALIASES: dict[str, str] = {"wltc": "wltc_class3b", "ftp": "ftp75"}

#: Cycles built from a shipped file by a rule, with no file of their own: name -> (source file stem, phases
#: kept from the start, the rule and its source). Listed by :func:`list_cycles`, loaded by :func:`load_cycle`.
#: WLTC for Japan: Japan's type approval runs the class 3 WLTC without the Extra High phase (Low + Medium +
#: High, 1477 s; MLIT TRIAS / Safety Regulations for Road Vehicles Attachment 42, as adopted in 2016/2018,
#: M; the 3-phase WLTC is GTR 15's own option for a Contracting Party, GTR 15 §6/Annex 1, M).
DERIVED_CYCLES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "wltc_japan_class3a": ("wltc_class3a", ("low", "medium", "high"),
                           "WLTC class 3a without the Extra High phase (Japan, 3-phase WLTC)"),
    "wltc_japan_class3b": ("wltc_class3b", ("low", "medium", "high"),
                           "WLTC class 3b without the Extra High phase (Japan, 3-phase WLTC)"),
}

_KMH_PER_MPS = KMH_PER_MPS
_MPS_PER_MPH = 0.44704  # M_PER_MILE / 3600 s, exact by definition of the international mile
_MAX_SPEED_KMH = 500.0
_MAX_SPEED_MPS = _MAX_SPEED_KMH / _KMH_PER_MPS
_MAX_ABS_GRADE = 0.5  # fraction (50 %)
_IDLE_MPS = 1e-9  # a sample is "at rest" when v < this

# Accepted CSV headers, compared after lower-casing and removing all whitespace.
# FASTSim's cycle files use cycSecs/cycMps/cycGrade (fraction)/cycRoadType (FASTSim 2) or time_s/mps/grade.
_TIME_HEADERS = ("time_s", "time", "t", "t_s", "time [s]", "time (s)", "time_seconds", "seconds", "cycSecs")
_SPEED_HEADERS = {
    "speed_kmh": 1.0 / _KMH_PER_MPS,
    "speed_km/h": 1.0 / _KMH_PER_MPS,
    "speed [km/h]": 1.0 / _KMH_PER_MPS,
    "speed (km/h)": 1.0 / _KMH_PER_MPS,
    "speed_kph": 1.0 / _KMH_PER_MPS,
    "v_kmh": 1.0 / _KMH_PER_MPS,
    "speed_mps": 1.0,
    "speed_m/s": 1.0,
    "speed [m/s]": 1.0,
    "speed_meters_per_second": 1.0,
    "mps": 1.0,
    "cycMps": 1.0,
    "speed_mph": _MPS_PER_MPH,
    "speed [mph]": _MPS_PER_MPH,
}
_SPEED_UNIT = {1.0 / _KMH_PER_MPS: "km/h", 1.0: "m/s", _MPS_PER_MPH: "mph"}
#: The grade's unit must be in its header: a bare "grade" column is refused (0.02 could be 2 % or 0.02 %),
#: except in FASTSim's cycle files, where cycGrade is a fraction by definition.
_GRADE_HEADERS = {
    "grade_percent": 0.01,
    "grade_pct": 0.01,
    "grade [%]": 0.01,
    "grade (%)": 0.01,
    "grade_fraction": 1.0,
    "grade [-]": 1.0,
    "grade (-)": 1.0,
    "cycGrade": 1.0,
}
_PHASE_HEADERS = ("phase",)
#: Columns of other tools' cycle files that are read past (they carry nothing hybridsim uses).
_IGNORED_HEADERS = ("cycRoadType",)


def _key(header: str) -> str:
    return re.sub(r"\s+", "", header).lower()


_TIME_KEYS = {_key(h) for h in _TIME_HEADERS}
_SPEED_KEYS = {_key(h): f for h, f in _SPEED_HEADERS.items()}
_GRADE_KEYS = {_key(h): f for h, f in _GRADE_HEADERS.items()}
_PHASE_KEYS = {_key(h) for h in _PHASE_HEADERS}
_IGNORED_KEYS = {_key(h) for h in _IGNORED_HEADERS}

_ACCEPTED_COLUMNS = (
    f"time (seconds): {', '.join(_TIME_HEADERS)}; "
    f"speed: {', '.join(_SPEED_HEADERS)}; "
    f"optional grade, its unit in the header: {', '.join(_GRADE_HEADERS)} (percent for %, pct, percent; a "
    f"fraction rise/run otherwise); optional phase: {', '.join(_PHASE_HEADERS)}; read past: "
    f"{', '.join(_IGNORED_HEADERS)}"
)


@dataclass(frozen=True, eq=False)
class Phase:
    """A named part of a cycle, ``[start_s, end_s]`` in the cycle's own time base.

    Adjacent phases share their boundary instant (see the module docstring).
    """

    name: str
    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"phase name must be a non-empty string, got {self.name!r}")
        start, end = float(self.start_s), float(self.end_s)
        if not (math.isfinite(start) and math.isfinite(end) and start < end):
            raise ValueError(f"phase {self.name!r} needs finite start_s < end_s, got [{start}, {end}]")
        object.__setattr__(self, "start_s", start)
        object.__setattr__(self, "end_s", end)

    @property
    def duration_s(self) -> float:
        """Length of the phase, s."""
        return self.end_s - self.start_s


def _frozen_array(values, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if shape is not None and arr.ndim == 0:
        arr = np.broadcast_to(arr, shape)
    arr = np.array(arr, dtype=np.float64, order="C", copy=True)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{what} has shape {arr.shape}, expected {shape} like time_s")
    if not np.all(np.isfinite(arr)):
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{what}[{i}] = {arr[i]} is not finite")
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Cycle:
    """A drive cycle: speed and road grade sampled on a time base.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"wltc_class3b"``.
    time_s : array_like
        Sample times, s; strictly increasing, not necessarily uniform or starting at 0.
    speed_mps : array_like
        Vehicle speed at each sample, m/s; ``0 <= v <= 500 km/h``.
    grade : array_like or float
        Road slope at each sample as a **fraction** rise/run (0.02 = 2 %, positive uphill);
        ``|grade| <= 0.5``. Zeros when the source has no grade. A scalar is broadcast.
    phases : tuple of Phase
        Named parts of the cycle (may be empty); each lies within ``[time_s[0], time_s[-1]]``.
    source : str
        Where the trace came from (file path), informational.

    Notes
    -----
    The arrays are stored as read-only C-contiguous float64 copies, so a Cycle can be shared
    freely. Equality is identity (``eq=False``).
    """

    name: str
    time_s: np.ndarray
    speed_mps: np.ndarray
    grade: np.ndarray
    phases: tuple[Phase, ...] = ()
    source: str = ""

    def __setstate__(self, state: dict) -> None:
        # unpickled (a process or Dask sweep's worker), numpy arrays come back writeable: read-only again, as
        # every Cycle's are, or each worker would compile every kernel a second time (a writeable array is
        # another numba type) and a kernel would carry two signatures
        for key in ("time_s", "speed_mps", "grade"):
            if isinstance(state.get(key), np.ndarray):
                state[key].flags.writeable = False
        self.__dict__.update(state)

    def __post_init__(self) -> None:
        time = _frozen_array(self.time_s, "time_s")
        if time.size < 2:
            raise ValueError(f"cycle {self.name!r} needs at least 2 samples, got {time.size}")
        steps = np.diff(time)
        if np.any(steps <= 0):
            i = int(np.flatnonzero(steps <= 0)[0])
            raise ValueError(
                f"cycle {self.name!r}: time_s must be strictly increasing, but "
                f"time_s[{i + 1}] = {time[i + 1]} follows time_s[{i}] = {time[i]}"
            )
        speed = _frozen_array(self.speed_mps, "speed_mps", time.shape)
        bad = (speed < 0) | (speed > _MAX_SPEED_MPS)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"cycle {self.name!r}: speed_mps[{i}] = {speed[i]} is outside "
                f"[0, {_MAX_SPEED_MPS:.4f}] m/s (0-{_MAX_SPEED_KMH:g} km/h)"
            )
        grade = _frozen_array(self.grade, "grade", time.shape)
        if np.any(np.abs(grade) > _MAX_ABS_GRADE):
            i = int(np.flatnonzero(np.abs(grade) > _MAX_ABS_GRADE)[0])
            raise ValueError(
                f"cycle {self.name!r}: grade[{i}] = {grade[i]} is outside "
                f"[-{_MAX_ABS_GRADE}, {_MAX_ABS_GRADE}] (a fraction, i.e. +-50 %)"
            )
        phases = tuple(self.phases)
        seen: set[str] = set()
        tol = 1e-9 * max(1.0, abs(time[0]), abs(time[-1]))
        for p in phases:
            if not isinstance(p, Phase):
                raise TypeError(f"phases must be Phase objects, got {type(p).__name__}")
            if p.name in seen:
                raise ValueError(f"cycle {self.name!r}: duplicate phase name {p.name!r}")
            seen.add(p.name)
            if p.start_s < time[0] - tol or p.end_s > time[-1] + tol:
                raise ValueError(
                    f"cycle {self.name!r}: phase {p.name!r} [{p.start_s}, {p.end_s}] s lies "
                    f"outside the time base [{time[0]}, {time[-1]}] s"
                )
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "time_s", time)
        object.__setattr__(self, "speed_mps", speed)
        object.__setattr__(self, "grade", grade)
        object.__setattr__(self, "phases", phases)
        object.__setattr__(self, "source", str(self.source))

    def __repr__(self) -> str:
        names = ", ".join(p.name for p in self.phases)
        return (
            f"Cycle(name={self.name!r}, samples={self.time_s.size}, "
            f"duration_s={self.duration_s:g}, distance_km={self.distance_m / M_PER_KM:.4f}, "
            f"phases=({names}))"
        )

    @property
    def duration_s(self) -> float:
        """``time_s[-1] - time_s[0]``, s."""
        return float(self.time_s[-1] - self.time_s[0])

    @property
    def distance_m(self) -> float:
        """Distance, m: trapezoidal integral of speed over the (possibly non-uniform) time base."""
        return float(np.trapezoid(self.speed_mps, self.time_s))

    @property
    def dt_s(self) -> np.ndarray:
        """Sample intervals ``np.diff(time_s)``, s (length ``n - 1``)."""
        return np.diff(self.time_s)

    def phase(self, name: str) -> Cycle:
        """The part of the cycle covering phase ``name``, with the original (not re-based) times.

        The sub-cycle holds the samples in ``[start_s, end_s]``; a boundary that falls between
        samples (e.g. after :meth:`resample`) gets a linearly interpolated sample. Its name is
        ``"<cycle>:<phase>"`` and its only phase is the selected one.

        Raises
        ------
        UnknownNameError
            If the cycle has no phase of that name (a ValueError).
        """
        for p in self.phases:
            if p.name == name:
                break
        else:
            raise UnknownNameError(f"phase of cycle {self.name!r}", name, [q.name for q in self.phases])
        t = self.time_s
        tol = 1e-9 * max(1.0, abs(t[0]), abs(t[-1]))
        inner = (t > p.start_s + tol) & (t < p.end_s - tol)
        time = np.concatenate(([p.start_s], t[inner], [p.end_s]))
        return Cycle(
            name=f"{self.name}:{p.name}",
            time_s=time,
            speed_mps=np.interp(time, t, self.speed_mps),
            grade=np.interp(time, t, self.grade),
            phases=(p,),
            source=self.source,
        )

    def resample(self, dt_s: float) -> Cycle:
        """Linear interpolation of speed and grade onto a uniform time grid.

        The grid starts at ``time_s[0]`` (0 for the shipped cycles) and steps by ``dt_s`` up to the
        last grid point not beyond ``time_s[-1]``; if the duration is not a multiple of ``dt_s``
        (within 1e-9 relative) the remainder at the end is dropped. Phases keep their times; a
        phase cut by the shortened end is clipped, one starting after it is dropped.
        """
        dt = float(dt_s)
        if not (math.isfinite(dt) and 0 < dt <= self.duration_s):
            raise ValueError(f"dt_s must be in (0, {self.duration_s}] s, got {dt_s!r}")
        steps = int(math.floor(self.duration_s / dt * (1 + 1e-9)))
        t0 = float(self.time_s[0])
        time = np.linspace(t0, t0 + steps * dt, steps + 1)
        end = float(time[-1])
        phases = []
        for p in self.phases:
            if p.start_s < end:
                phases.append(p if p.end_s <= end else Phase(p.name, p.start_s, end))
        return Cycle(
            name=self.name,
            time_s=time,
            speed_mps=np.interp(time, self.time_s, self.speed_mps),
            grade=np.interp(time, self.time_s, self.grade),
            phases=tuple(phases),
            source=self.source,
        )

    def stats(self) -> dict:
        """Summary statistics; see :func:`cycle_stats`."""
        return cycle_stats(self)


def _basic_stats(cycle: Cycle, name: str) -> dict:
    t, v = cycle.time_s, cycle.speed_mps
    dt = np.diff(t)
    distance_m = cycle.distance_m
    duration = cycle.duration_s
    at_rest = v < _IDLE_MPS
    idle_s = float(np.sum(dt[at_rest[:-1] & at_rest[1:]]))
    moving_s = duration - idle_s
    accel = np.diff(v) / dt
    return {
        "name": name,
        "duration_s": duration,
        "distance_km": distance_m / M_PER_KM,
        "max_speed_kmh": float(v.max()) * _KMH_PER_MPS,
        "mean_speed_kmh": distance_m / duration * _KMH_PER_MPS,
        "mean_moving_speed_kmh": (distance_m / moving_s * _KMH_PER_MPS if moving_s > 0 else float("nan")),
        "idle_share": idle_s / duration,
        "max_accel_mps2": max(float(accel.max()), 0.0),
        "max_decel_mps2": min(float(accel.min()), 0.0),
    }


def cycle_stats(cycle: Cycle) -> dict:
    """Summary statistics of a cycle and of each of its phases.

    Returns
    -------
    dict
        ``name``; ``duration_s`` (s); ``distance_km`` (trapezoidal, km); ``max_speed_kmh``;
        ``mean_speed_kmh`` = distance / duration, idle included; ``idle_share`` = idle time /
        duration, where idle time is the summed length of the sample intervals whose **both**
        end samples have v < 1e-9 m/s (speed is piecewise linear, so the vehicle is at rest over
        exactly those intervals); ``mean_moving_speed_kmh`` = distance / (duration - idle time),
        NaN if the vehicle never moves; ``max_accel_mps2`` = largest forward-difference
        acceleration ``diff(v)/diff(t)``, at least 0; ``max_decel_mps2`` = the most negative
        one, **a negative number** (as in the standards' tables), at most 0; and ``phases``:
        phase name -> dict with the same keys (without ``phases``) for that phase's sub-cycle
        (see :meth:`Cycle.phase`). Acceleration extremes depend on the sampling rate.
    """
    out = _basic_stats(cycle, cycle.name)
    out["phases"] = {p.name: _basic_stats(cycle.phase(p.name), p.name) for p in cycle.phases}
    return out


def list_cycles() -> list[str]:
    """Sorted names of the shipped cycles: the file stems (e.g. ``"wltc_class3b"``) and the cycles derived
    from them (:data:`DERIVED_CYCLES`, e.g. ``"wltc_japan_class3b"``)."""
    return sorted([p.stem for p in data_dir("drive_cycles").glob("*.csv")] + list(DERIVED_CYCLES))


def load_cycle(name: str) -> Cycle:
    """A shipped cycle by name (case-insensitive) or alias from :data:`CYCLE_ALIASES`.

    The returned cycle's ``name`` is the canonical file stem (``load_cycle("WLTC").name ==
    "wltc_class3b"``). Parsed cycles are cached and shared; they are immutable.

    Raises
    ------
    UnknownNameError
        For a name that is neither shipped nor an alias (a ValueError listing close matches).
    """
    if not isinstance(name, str):
        raise TypeError(f"cycle name must be a str, got {type(name).__name__}")
    key = name.strip().lower()
    key = CYCLE_ALIASES.get(key, key)
    available = list_cycles()
    if key not in available:
        raise UnknownNameError("cycle", name, available + list(CYCLE_ALIASES))
    if key in DERIVED_CYCLES:
        return _load_derived(key)
    return _load_shipped(key)


@functools.cache  # = lru_cache(maxsize=None)
def _load_shipped(stem: str) -> Cycle:
    return read_cycle(data_dir("drive_cycles") / f"{stem}.csv", name=stem)


@functools.cache
def _load_derived(name: str) -> Cycle:
    """A :data:`DERIVED_CYCLES` cycle: the source file's samples from its start to the end of the last kept
    phase, with those phases (times not re-based: they start at 0 as the source does)."""
    stem, keep, rule = DERIVED_CYCLES[name]
    src = _load_shipped(stem)
    phases = tuple(p for p in src.phases if p.name in keep)
    missing = set(keep) - {p.name for p in phases}
    if missing:  # a shipped file lost a phase label: a packaging error, not user input
        raise ValueError(f"cycle {stem!r}: no phase {sorted(missing)} to derive {name!r} from")
    end = max(p.end_s for p in phases)
    m = src.time_s <= end + 1e-9
    return Cycle(name=name, time_s=src.time_s[m], speed_mps=src.speed_mps[m], grade=src.grade[m],
                 phases=phases, source=f"{src.source} ({rule})")


def _classify(path: str, header: list[str]) -> tuple[int, int, float, int | None, float, int | None]:
    """Column indices and unit factors: time, speed (+ to-m/s factor), grade (+ factor), phase."""
    roles: dict[str, tuple[int, str]] = {}
    speed_factor = grade_factor = 1.0

    def claim(role: str, i: int, h: str) -> None:
        if role in roles:
            raise ValueError(
                f"{path}: columns {roles[role][1]!r} and {h!r} are both {role} columns; keep only one"
            )
        roles[role] = (i, h)

    for i, h in enumerate(header):
        k = _key(h)
        if k in _TIME_KEYS:
            claim("time", i, h)
        elif k in _SPEED_KEYS:
            claim("speed", i, h)
            speed_factor = _SPEED_KEYS[k]
        elif k in _GRADE_KEYS:
            claim("grade", i, h)
            grade_factor = _GRADE_KEYS[k]
        elif k in _PHASE_KEYS:
            claim("phase", i, h)
        elif k in _IGNORED_KEYS:
            continue
        elif k == "grade":
            raise ValueError(
                f"{path}: grade column {h!r} does not say its unit (0.02 could be 2 % or 0.02 %); name it "
                "grade_fraction (rise/run) or grade_percent (%)"
            )
        elif k.startswith(("speed", "velocity")) or re.match(r"v($|[_\[(])", k):
            raise ValueError(
                f"{path}: speed column {h!r} has no recognisable unit (km/h, m/s or mph "
                f"must be part of the header); accepted speed headers: {', '.join(_SPEED_HEADERS)}"
            )
        elif k.startswith("time"):
            raise ValueError(
                f"{path}: time column {h!r} has no recognisable unit (seconds expected); "
                f"accepted time headers: {', '.join(_TIME_HEADERS)}"
            )
        elif k.startswith("grade"):
            raise ValueError(
                f"{path}: grade column {h!r} has no recognisable unit; "
                f"accepted grade headers: {', '.join(_GRADE_HEADERS)}"
            )
        else:
            raise ValueError(f"{path}: unknown column {h!r}; accepted columns: {_ACCEPTED_COLUMNS}")
    for role in ("time", "speed"):
        if role not in roles:
            raise ValueError(
                f"{path}: no {role} column in header {header!r}; accepted columns: {_ACCEPTED_COLUMNS}"
            )
    grade = roles.get("grade")
    phase = roles.get("phase")
    return (
        roles["time"][0],
        roles["speed"][0],
        speed_factor,
        None if grade is None else grade[0],
        grade_factor,
        None if phase is None else phase[0],
    )


def _parse_column(path: str, header: str, cells: list[str], lines: list[int]) -> np.ndarray:
    out = np.empty(len(cells))
    for j, (cell, line) in enumerate(zip(cells, lines, strict=True)):
        try:
            out[j] = float(cell)
        except ValueError:
            raise ValueError(
                f"{path}: line {line}, column {header!r}: value {cell!r} is not a number"
            ) from None
        if not math.isfinite(out[j]):
            raise ValueError(
                f"{path}: line {line}, column {header!r}: value {cell!r} is not finite; "
                "a finite number is required"
            )
    return out


def read_cycle(path: str | Path, name: str | None = None) -> Cycle:
    """Read a drive cycle from a CSV file.

    Parameters
    ----------
    path : str or Path
        CSV file with a header row. Blank lines and lines starting with ``#`` are skipped.
        Headers are matched case-insensitively, ignoring whitespace:

        * time, seconds: ``time_s``, ``time``, ``t``, ``t_s``, ``time [s]``, ``time (s)``;
        * speed, with its unit: ``speed_kmh``, ``speed_km/h``, ``speed [km/h]``,
          ``speed (km/h)``, ``v_kmh``; ``speed_mps``, ``speed_m/s``, ``speed [m/s]``;
          ``speed_mph``, ``speed [mph]`` (1 mph = 0.44704 m/s);
        * optional grade: ``grade_percent``, ``grade_pct``, ``grade [%]``, ``grade (%)`` in
          percent, or ``grade``, ``grade_fraction``, ``grade [-]`` as a fraction;
        * optional ``phase``: text labels. Each run of equal labels becomes a :class:`Phase`; the
          boundary sample carries the earlier phase's label (see the module docstring).

    name : str, optional
        Cycle name; defaults to the file stem.

    Returns
    -------
    Cycle
        The samples as read, in SI units; non-uniform or sub-second time bases are kept.

    Raises
    ------
    ValueError
        On the first problem found, with the file, the column or line, the value and what is
        allowed: unknown column or unit, fewer than 2 rows, a non-numeric or non-finite cell,
        time not strictly increasing or starting below 0, speed outside 0-500 km/h,
        ``|grade|`` above 0.5 (50 %), an empty phase label, or a phase label used by two
        separate runs.
    """
    path = Path(path)
    where = str(path)
    table = read_table(path)
    header, rows, lines = table.header, table.rows, table.lines
    it, iv, speed_factor, ig, grade_factor, ip = _classify(where, header)
    if len(rows) < 2:
        raise ValueError(f"{where}: {len(rows)} data row(s); a cycle needs at least 2")

    cols = list(zip(*rows, strict=True))
    time = _parse_column(where, header[it], list(cols[it]), lines)
    if time[0] < 0:
        raise ValueError(
            f"{where}: line {lines[0]}, column {header[it]!r}: first time {time[0]:g} s is "
            "negative; times must start at >= 0"
        )
    steps = np.diff(time)
    if np.any(steps <= 0):
        j = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise ValueError(
            f"{where}: line {lines[j]}, column {header[it]!r}: time {time[j]:g} s does not "
            f"exceed the previous time {time[j - 1]:g} s (line {lines[j - 1]}); times must be "
            "strictly increasing"
        )

    speed_raw = _parse_column(where, header[iv], list(cols[iv]), lines)
    speed = speed_raw * speed_factor
    bad = (speed < 0) | (speed > _MAX_SPEED_MPS)
    if np.any(bad):
        j = int(np.flatnonzero(bad)[0])
        unit = _SPEED_UNIT[speed_factor]
        limit = _MAX_SPEED_MPS / speed_factor
        in_kmh = "" if unit == "km/h" else f" (0-{_MAX_SPEED_KMH:g} km/h)"
        raise ValueError(
            f"{where}: line {lines[j]}, column {header[iv]!r}: speed {cols[iv][j]} {unit} is "
            f"outside the allowed range [0, {limit:.6g}] {unit}{in_kmh}"
        )

    if ig is None:
        grade = np.zeros_like(time)
    else:
        grade = _parse_column(where, header[ig], list(cols[ig]), lines) * grade_factor
        bad = np.abs(grade) > _MAX_ABS_GRADE
        if np.any(bad):
            j = int(np.flatnonzero(bad)[0])
            limit = _MAX_ABS_GRADE / grade_factor
            unit = " %" if grade_factor != 1.0 else " (fraction)"
            raise ValueError(
                f"{where}: line {lines[j]}, column {header[ig]!r}: grade {cols[ig][j]} is "
                f"outside the allowed range [-{limit:g}, {limit:g}]{unit}"
            )

    phases: tuple[Phase, ...] = ()
    if ip is not None:
        phases = _phases_from_labels(where, header[ip], list(cols[ip]), lines, time)

    return Cycle(
        name=path.stem if name is None else name,
        time_s=time,
        speed_mps=speed,
        grade=grade,
        phases=phases,
        source=where,
    )


def _phases_from_labels(
    where: str, header: str, labels: list[str], lines: list[int], time: np.ndarray
) -> tuple[Phase, ...]:
    runs: list[tuple[str, int, int]] = []  # label, first row, last row
    for j, label in enumerate(labels):
        if not label:
            raise ValueError(
                f"{where}: line {lines[j]}, column {header!r}: empty phase label ''; every row "
                "needs a label when a phase column is present"
            )
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1], j)
        else:
            runs.append((label, j, j))
    first_run: dict[str, int] = {}
    for label, first, _ in runs:
        if label in first_run:
            raise ValueError(
                f"{where}: line {lines[first]}, column {header!r}: phase label {label!r} "
                f"reappears after another phase (its first run starts at line "
                f"{lines[first_run[label]]}); phase labels must form one contiguous run each"
            )
        first_run[label] = first
    label0, first0, last0 = runs[0]
    if last0 == first0:
        raise ValueError(
            f"{where}: line {lines[0]}, column {header!r}: the first phase {label0!r} has a "
            "single sample, so it spans no time; the boundary sample belongs to the earlier "
            "phase"
        )
    phases = []
    start = float(time[0])
    for label, _, last in runs:
        phases.append(Phase(label, start, float(time[last])))
        start = float(time[last])
    return tuple(phases)
