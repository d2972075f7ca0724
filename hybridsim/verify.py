"""Claimed vs simulated: run the right procedure for every ``[[claims]]`` entry of the vehicle files.

:func:`verify` returns one :class:`ClaimCheck` per claim; :func:`format_table` prints them as the
reviewers' table, :func:`write_csv` writes it as CSV (numbers as numbers, :data:`CSV_COLUMNS`), and
:func:`hybridsim.plot.plot_claims` draws the bar chart.

How each claim is simulated (``procedure`` of the claim):

* ``nedc``, ``wltp``, ``epa``, ``china`` (GB/T 19233 / 19753 / 18386.1), ``jc08``: :mod:`hybridsim.procedures`
  (one run per vehicle and procedure, cached); the claim's ``quantity`` is looked up in the procedure's
  result. A figure the procedure cannot give (its ``missing`` entry, e.g. China's UF-weighted plug-in fuel
  without the GB/T 19753-2021 Appendix F table) is reported as not available with the procedure's reason.
* ``perf``: :func:`hybridsim.performance.summary`; a top-speed claim is compared with the physical
  top speed (``top_speed_physical_kmh``: without the electronic governor, whose setting comes from the
  claim itself).
* any other name (a road test, e.g. ``road``): compared with the WLTP result, the type-approval cycle
  closest to mixed real-world driving (:data:`ROAD_PROXY`); the table says so.

Difference: ``(simulated − claimed) / |claimed|`` in % for a single value; for a bound claim 0 on the
allowed side and outside the distance to the violated bound, relative to that bound's magnitude. The
claim's kind (:func:`claim_kind`): ``value``; ``value_min`` alone a lower bound; ``value_max`` alone an
upper bound; both a range (a huge ``value_max`` is simply a wide range). The sign always says the
direction: negative below the claim, positive above it. A run outside the SAE J2951 drive-quality
tolerances (:mod:`hybridsim.drive_quality`, WLTP's limits) is flagged in the row (``drive_quality``) and
in the table's notes. A procedure that is not available for a vehicle
(not implemented yet, or failing) gives a row with the reason instead of a number.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .drive_quality import check_all
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
    "fuel_ftp75_l_per_100km": "fuel, FTP-75",
    "fuel_hot_udds_l_per_100km": "fuel, hot UDDS (bags 3+4)",
    "fuel_hwfet_l_per_100km": "fuel, HWFET",
    "fuel_us06_l_per_100km": "fuel, US06",
    "udds_kwh_per_100km": "electricity, UDDS, wall",
    "hwfet_kwh_per_100km": "electricity, HWFET, wall",
}
CSV_COLUMNS = ("vehicle", "claim", "unit", "claimed", "claimed_value", "claimed_min", "claimed_max", "simulated",
               "difference_pct", "procedure", "footnote", "source")
#: Colour bands of the claims chart and the "large gap" threshold of the table's footnotes: an absolute
#: difference up to CLOSE_PCT is close, up to GAP_PCT fair, beyond it a gap whose reason (the claim's note) is
#: footnoted.
CLOSE_PCT = 5.0
GAP_PCT = 15.0


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
    drive_quality: str = ""  # SAE J2951 tolerances (WLTP's) the simulated run violates, "; "-joined

    @property
    def kind(self) -> str:
        """``"value"``, ``"range"``, ``"lower bound"`` or ``"upper bound"``."""
        return claim_kind(self)

    @property
    def lower_bound_only(self) -> bool:
        return self.kind == "lower bound"

    @property
    def claimed_text(self) -> str:
        """The claim as text without unit: ``4.2``, ``4.1–4.4``, ``≥ 465``, ``≤ 4.4``."""
        kind = self.kind
        if kind == "value":
            return _num(self.value)
        if kind == "lower bound":
            return f"≥ {_num(self.value_min)}"
        if kind == "upper bound":
            return f"≤ {_num(self.value_max)}"
        return f"{_num(self.value_min)}–{_num(self.value_max)}"

    @property
    def claimed_reference(self) -> float:
        """One number for the claim (the value, the middle of a range, or the bound)."""
        kind = self.kind
        if kind == "value":
            return self.value
        if kind == "lower bound":
            return self.value_min
        if kind == "upper bound":
            return self.value_max
        return 0.5 * (self.value_min + self.value_max)

    @property
    def procedure_text(self) -> str:
        return self.procedure if self.compared_with == self.procedure else f"{self.procedure} (vs {self.compared_with})"

    @property
    def label(self) -> str:
        text = LABELS.get(self.quantity, self.quantity.replace("_", " "))
        return f"{text} (no governor)" if self.quantity == "top_speed_kmh" else text


def _num(x: float) -> str:
    """A claimed figure as written: at most 3 decimals, no trailing zeros."""
    return f"{x:.3f}".rstrip("0").rstrip(".") if math.isfinite(x) else str(x)


def claim_kind(claim) -> str:
    """``"value"``, ``"range"``, ``"lower bound"`` or ``"upper bound"`` of a :class:`Claim` (or any object with
    ``value``, ``value_min``, ``value_max``); a bound that is None or not finite is open."""
    if claim.value is not None:
        return "value"
    has_lo = claim.value_min is not None and math.isfinite(claim.value_min)
    has_hi = claim.value_max is not None and math.isfinite(claim.value_max)
    if has_lo and has_hi:
        return "range"
    if has_lo:
        return "lower bound"
    if has_hi:
        return "upper bound"
    raise ValueError("claim: no value, value_min or value_max")


def _relative(simulated: float, bound: float, other: float | None = None) -> float:
    """(simulated − bound) / |bound| in %; for a bound of 0 (one end of a range), relative to the range's width."""
    ref = abs(bound) if bound != 0 else (abs(other - bound) if other is not None and math.isfinite(other) else 0.0)
    return (simulated - bound) / ref * 100.0 if ref > 0 else math.nan


def difference_pct(simulated: float, claim: Claim | ClaimCheck) -> float:
    """Relative difference of ``simulated`` from the claim, in % (see the module docstring).

    NaN when the simulation is missing or the claim gives nothing to be relative to (a value of 0, which
    :class:`~hybridsim.vehicle.Claim` rejects at load)."""
    if not math.isfinite(simulated):
        return math.nan
    kind = claim_kind(claim)
    if kind == "value":
        return _relative(simulated, claim.value)
    lo = claim.value_min if kind in ("range", "lower bound") else None
    hi = claim.value_max if kind in ("range", "upper bound") else None
    if lo is not None and simulated < lo:
        return _relative(simulated, lo, hi)
    if hi is not None and simulated > hi:
        return _relative(simulated, hi, lo)
    return 0.0


def _lookup(result: dict, quantity: str) -> float:
    for key in ALIASES.get(quantity, (quantity,)):
        if key in result and result[key] is not None:
            return float(result[key])
    missing = result.get("missing", {})
    if quantity in missing:  # the procedure says why it cannot give this figure (e.g. a table not public)
        raise KeyError(f"{quantity} not available: {missing[quantity]}")
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

            res = dict(performance.summary(vehicle))
            # a claimed top speed is compared with what the powertrain and road load allow: the governed
            # value is the file's top_speed_limit_kmh, itself taken from the same claim
            res["top_speed_kmh"] = res.get("top_speed_physical_kmh", res["top_speed_kmh"])
            return res
        from .procedures import PROCEDURES

        return PROCEDURES[procedure](vehicle)


#: Claimed quantities that combine every run of a procedure (a drive-quality problem of any run concerns them).
COMBINED_QUANTITIES = ("fuel_l_per_100km", "co2_g_per_km", "electricity_kwh_per_100km")


def _drive_quality(result: dict, quantity: str) -> list[str]:
    """The SAE J2951 tolerance violations (:func:`hybridsim.drive_quality.check_all`) that concern a claimed
    quantity: the result's own run, and a nested run (EPA's ``us06``, ...) only if the quantity names it
    (``fuel_us06_l_per_100km``) or combines them all (:data:`COMBINED_QUANTITIES`)."""
    msgs = check_all(result)
    nested = [k for k, v in result.items() if isinstance(v, dict)]
    keep = []
    for m in msgs:
        key = m.split(": ", 1)[0]
        if key not in nested or quantity in COMBINED_QUANTITIES or f"_{key}_" in f"_{quantity}_":
            keep.append(m)
    return keep


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
    diff = math.nan
    dq = ""
    try:
        result = runner.run(vehicle, compared)
        dq = "; ".join(_drive_quality(result, claim.quantity))
        sim = _lookup(result, claim.quantity)
        diff = difference_pct(sim, claim)
    except Exception as exc:  # noqa: BLE001 - reported in the row
        problem = _problem(exc)
    return ClaimCheck(
        vehicle=vehicle.id, vehicle_name=vehicle.name, quantity=claim.quantity, unit=claim.unit,
        procedure=claim.procedure, compared_with=compared, value=claim.value, value_min=claim.value_min,
        value_max=claim.value_max, simulated=sim, difference_pct=diff,
        source=claim.source, note=claim.note, problem=problem, drive_quality=dq,
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
            diff = {"range": "0 (in range)", "lower bound": "0 (above)", "upper bound": "0 (below)"}[r.kind]
        else:
            diff = f"{r.difference_pct:+.1f}"
            if footnoted(r):  # a large gap: the claim's own note says why
                note = f"{r.vehicle}, {r.label}: {r.note}"
                notes.setdefault(note, len(notes) + 1)
                diff += f" [{notes[note]}]"
        if r.drive_quality:  # the run missed the trace beyond the WLTP drive-quality tolerances
            note = f"{r.vehicle}, {r.compared_with}: drive quality (SAE J2951) outside tolerance: {r.drive_quality}"
            notes.setdefault(note, len(notes) + 1)
            diff += f" [{notes[note]}]"
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
    foot = ["", "diff % = (simulated − claimed)/|claimed|; for a range or bound 0 on the claimed side, else the "
                "distance to the violated bound."]
    for p in proxies:
        foot.append(f"'{p}' claims (not a test cycle) are compared with the {ROAD_PROXY.upper()} result.")
    foot += [f"[{i}] {n}" for n, i in notes.items()]
    return "\n".join(out + foot)


def footnoted(row: ClaimCheck) -> bool:
    """A large gap that the claim's own note explains (the table and the chart footnote it)."""
    return bool(row.note) and math.isfinite(row.difference_pct) and abs(row.difference_pct) > GAP_PCT


def write_csv(rows: Sequence[ClaimCheck], path) -> None:
    """CSV with the columns of :data:`CSV_COLUMNS`.

    ``claimed`` is the claim as text (a number, ``lo-hi`` for a range, ``>=lo`` / ``<=hi`` for a bound);
    ``claimed_value``, ``claimed_min`` and ``claimed_max`` are the same as numbers (empty where the claim has
    none), in ``unit``; ``simulated`` and ``difference_pct`` are numbers, empty when not available;
    ``procedure`` reads e.g. ``road (vs wltp)``; ``footnote`` is the claim's note where it explains a gap beyond
    :data:`GAP_PCT` (the table's and the chart's footnotes), else the reason a figure is missing.
    """
    def num(x) -> str:
        return "" if x is None or not math.isfinite(x) else f"{x:.6g}"

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            claimed = r.claimed_text.replace("≥ ", ">=").replace("≤ ", "<=").replace("–", "-")
            foot = r.problem or (r.note if footnoted(r) else "")
            w.writerow([
                r.vehicle, r.quantity, r.unit, claimed, num(r.value), num(r.value_min), num(r.value_max),
                num(r.simulated), "" if not math.isfinite(r.difference_pct) else f"{r.difference_pct:.3f}",
                r.procedure_text, foot, r.source,
            ])
