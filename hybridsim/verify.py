"""Claimed vs simulated: run the right procedure for every ``[[claims]]`` entry of the vehicle files.

:func:`verify` returns one :class:`ClaimCheck` per claim; :func:`format_table` prints them as the
reviewers' table, :func:`write_csv` writes the columns ``vehicle, claim, claimed, simulated,
difference_pct, procedure, source``, and :func:`hybridsim.plot.plot_claims` draws the bar chart.

How each claim is simulated (``procedure`` of the claim):

* ``nedc``, ``wltp``, ``epa``: :mod:`hybridsim.procedures` (one run per vehicle and procedure, cached);
  the claim's ``quantity`` is looked up in the procedure's result.
* ``perf``: :func:`hybridsim.performance.summary`.
* any other name (a road test, e.g. ``road``): compared with the WLTP result, the type-approval cycle
  closest to mixed real-world driving (:data:`ROAD_PROXY`); the table says so.

Difference: ``(simulated − claimed) / claimed`` in %; for a range claim 0 inside the range and the
distance to the nearer bound (relative to that bound) outside; a lower bound (``value_max`` open or
≥ 100 × ``value_min``) likewise with only the lower bound. A procedure that is not available for a
vehicle (not implemented yet, or failing) gives a row with the reason instead of a number.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .vehicle import Claim, Vehicle, list_vehicles, load_vehicle

#: The procedure a road-test claim is compared with (E: WLTP is the test cycle meant to be closest to
#: mixed real-world driving; it still has no air conditioning, no cold weather and a gentler driver).
ROAD_PROXY = "wltp"
#: Result keys tried, in order, for a claimed quantity (first the quantity itself).
ALIASES = {
    "electricity_kwh_per_100km": ("electricity_kwh_per_100km", "electricity_weighted_kwh_per_100km"),
    "fuel_weighted_l_per_100km": ("fuel_weighted_l_per_100km",),
}
#: Short human names of the claim quantities for the table.
LABELS = {
    "fuel_l_per_100km": "fuel",
    "fuel_weighted_l_per_100km": "fuel, UF-weighted",
    "electricity_kwh_per_100km": "electricity",
    "electric_range_km": "electric range",
    "range_km": "range",
    "accel_0_100_s": "0-100 km/h",
    "accel_0_200_s": "0-200 km/h",
    "accel_80_120_s": "80-120 km/h",
    "top_speed_kmh": "top speed",
}
CSV_COLUMNS = ("vehicle", "claim", "claimed", "simulated", "difference_pct", "procedure", "source")


@dataclass(frozen=True)
class ClaimCheck:
    """One claim next to its simulation."""

    vehicle: str  # vehicle id
    vehicle_name: str
    quantity: str
    unit: str
    procedure: str  # the claim's procedure
    compared_with: str  # the procedure actually run ("wltp" for a road test)
    value: float | None
    value_min: float | None
    value_max: float | None
    simulated: float  # NaN when not available
    difference_pct: float  # NaN when not available
    source: str
    note: str = ""
    problem: str = ""  # why there is no simulated figure

    @property
    def lower_bound_only(self) -> bool:
        return (self.value is None and self.value_min is not None
                and (self.value_max is None or not math.isfinite(self.value_max)
                     or self.value_max >= 100 * abs(self.value_min)))

    @property
    def claimed_text(self) -> str:
        """The claim as text without unit: ``4.2``, ``4.1–4.4``, ``≥ 465``."""
        if self.value is not None:
            return _num(self.value)
        if self.lower_bound_only:
            return f"≥ {_num(self.value_min)}"
        return f"{_num(self.value_min)}–{_num(self.value_max)}"

    @property
    def claimed_reference(self) -> float:
        """One number for the claim (the value, the middle of a range, or the lower bound)."""
        if self.value is not None:
            return self.value
        if self.lower_bound_only:
            return self.value_min
        return 0.5 * (self.value_min + self.value_max)

    @property
    def procedure_text(self) -> str:
        return self.procedure if self.compared_with == self.procedure else f"{self.procedure} (vs {self.compared_with})"

    @property
    def label(self) -> str:
        return LABELS.get(self.quantity, self.quantity.replace("_", " "))


def _num(x: float) -> str:
    """A claimed figure as written: at most 3 decimals, no trailing zeros."""
    return f"{x:.3f}".rstrip("0").rstrip(".") if math.isfinite(x) else str(x)


def difference_pct(simulated: float, claim: Claim | ClaimCheck) -> float:
    """Relative difference of ``simulated`` from the claim, in % (see the module docstring)."""
    if not math.isfinite(simulated):
        return math.nan
    if claim.value is not None:
        return (simulated - claim.value) / claim.value * 100.0
    lo = claim.value_min
    hi = claim.value_max
    open_top = hi is None or not math.isfinite(hi) or hi >= 100 * abs(lo)
    if simulated < lo:
        return (simulated - lo) / lo * 100.0
    if not open_top and simulated > hi:
        return (simulated - hi) / hi * 100.0
    return 0.0


def _lookup(result: dict, quantity: str) -> float:
    for key in ALIASES.get(quantity, (quantity,)):
        if key in result and result[key] is not None:
            return float(result[key])
    have = ", ".join(k for k, v in result.items() if isinstance(v, int | float) and not isinstance(v, bool))
    raise KeyError(f"the result has no {quantity!r} (it has: {have})")


class _Runner:
    """Runs each (vehicle, procedure) at most once and remembers results and failures."""

    def __init__(self):
        self.cache: dict[tuple[int, str], dict | Exception] = {}
        self.vehicles: list[Vehicle] = []  # keeps every keyed vehicle alive, so its id() stays unique

    def run(self, vehicle: Vehicle, procedure: str) -> dict:
        key = (id(vehicle), procedure)
        if key not in self.cache:
            self.vehicles.append(vehicle)
            try:
                self.cache[key] = self._run(vehicle, procedure)
            except Exception as exc:  # noqa: BLE001 - one failing procedure must not hide the other rows
                self.cache[key] = exc
        res = self.cache[key]
        if isinstance(res, Exception):
            raise res
        return res

    @staticmethod
    def _run(vehicle: Vehicle, procedure: str) -> dict:
        if procedure == "perf":
            from . import performance

            return dict(performance.summary(vehicle))
        from .procedures import PROCEDURES

        return PROCEDURES[procedure](vehicle)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ImportError):
        missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if missing is None and "cannot import name" in str(exc):
            missing = f"{exc.name}.{str(exc).split(chr(39))[1]}" if exc.name else str(exc).split(chr(39))[1]
        return f"not available yet: {missing or exc} is missing"
    if isinstance(exc, KeyError):
        return str(exc.args[0]) if exc.args else "quantity not in the result"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_claim(vehicle: Vehicle, claim: Claim, runner: _Runner | None = None) -> ClaimCheck:
    """Simulate one claim of ``vehicle`` (see the module docstring)."""
    runner = runner or _Runner()
    from .procedures import PROCEDURES

    known = (*PROCEDURES, "perf")
    compared = claim.procedure if claim.procedure in known else ROAD_PROXY
    sim, problem = math.nan, ""
    try:
        sim = _lookup(runner.run(vehicle, compared), claim.quantity)
    except Exception as exc:  # noqa: BLE001 - reported in the row
        problem = _problem(exc)
    return ClaimCheck(
        vehicle=vehicle.id, vehicle_name=vehicle.name, quantity=claim.quantity, unit=claim.unit,
        procedure=claim.procedure, compared_with=compared, value=claim.value, value_min=claim.value_min,
        value_max=claim.value_max, simulated=sim, difference_pct=difference_pct(sim, claim),
        source=claim.source, note=claim.note, problem=problem,
    )


def verify(vehicles: Iterable[Vehicle | str] | None = None) -> list[ClaimCheck]:
    """Check every claim of ``vehicles`` (ids, :class:`Vehicle` objects; default all shipped vehicles)."""
    runner = _Runner()
    rows = []
    for v in (list_vehicles() if vehicles is None else vehicles):
        vehicle = load_vehicle(v) if isinstance(v, str) else v
        rows += [check_claim(vehicle, c, runner) for c in vehicle.claims]
    return rows


# ---------------------------------------------------------------- output


def _fmt_sim(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    return f"{x:.3g}" if abs(x) >= 100 else f"{x:.2f}"


def format_table(rows: Sequence[ClaimCheck], *, source_width: int = 48) -> str:
    """The reviewers' table: one line per claim, notes (road-test proxies, missing results) below."""
    headers = ("vehicle", "claim", "procedure", "claimed", "simulated", "unit", "diff %", "source")
    lines, notes = [], {}
    for r in rows:
        if r.problem:
            note = f"{r.vehicle}, {r.compared_with}: {r.problem}"
            notes.setdefault(note, len(notes) + 1)
            diff = f"n/a [{notes[note]}]"
        elif r.difference_pct == 0.0 and r.value is None:
            diff = "0 (in range)" if not r.lower_bound_only else "0 (above)"
        else:
            diff = f"{r.difference_pct:+.1f}"
        src = r.source if len(r.source) <= source_width else r.source[: source_width - 1] + "…"
        lines.append((r.vehicle, r.label, r.procedure_text, r.claimed_text, _fmt_sim(r.simulated), r.unit, diff, src))
    proxies = sorted({r.procedure for r in rows if r.compared_with != r.procedure})
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *lines, strict=False)]
    align = "lllrrlrl"

    def fmt(cells) -> str:
        parts = [str(c).rjust(w) if a == "r" else str(c).ljust(w) for c, w, a in zip(cells, widths, align, strict=True)]
        return "  ".join(parts).rstrip()

    out = [fmt(headers), "  ".join("-" * w for w in widths)]
    prev = None
    for cells in lines:
        if prev is not None and cells[0] != prev:
            out.append("")
        out.append(fmt(cells if cells[0] != prev else ("", *cells[1:])))  # the vehicle once per group
        prev = cells[0]
    foot = ["", "diff % = (simulated − claimed)/claimed; 0 inside a claimed range, else the distance to the "
                "nearer bound."]
    for p in proxies:
        foot.append(f"'{p}' claims (not a test cycle) are compared with the {ROAD_PROXY.upper()} result.")
    foot += [f"[{i}] {n}" for n, i in notes.items()]
    return "\n".join(out + foot)


def write_csv(rows: Sequence[ClaimCheck], path) -> None:
    """CSV with the columns ``vehicle, claim, claimed, simulated, difference_pct, procedure, source``.

    ``claimed`` is a number, ``lo-hi`` for a range or ``>=lo`` for a lower bound; ``simulated`` and
    ``difference_pct`` are empty when not available; ``procedure`` reads e.g. ``road (vs wltp)``.
    """
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            claimed = r.claimed_text.replace("≥ ", ">=").replace("–", "-")
            w.writerow([
                r.vehicle, r.quantity, claimed,
                "" if not math.isfinite(r.simulated) else f"{r.simulated:.6g}",
                "" if not math.isfinite(r.difference_pct) else f"{r.difference_pct:.3f}",
                r.procedure_text, r.source,
            ])
