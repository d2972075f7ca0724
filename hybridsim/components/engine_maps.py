"""Measured/published engine maps: read a BSFC table, repair it, grid it; the optimal operating line.

Repair (reference/components.md §1.2–1.3): the 2ZR-FXE table's cells below 40 N·m are unreliable
(fuel rate not monotonic in torque), so an extended Willans line is fitted by least squares to the
cells at ≥ ``repair_below_nm`` inside the WOT curve::

    p_me = (e0 + e1·c_m)·p_mf − (p0 + p1·c_m + p2·c_m²)          (pressures in bar, c_m = S·n/30)

(the reference fit: e0 = 0.467, e1 = −0.0056 s/m, p0 = 1.46 bar, p1 = −0.102, p2 = 0.0044, rms 0.19 bar),
and the fit replaces the table below that torque, down to the motoring curve (p_mf = 0), and outside the
table's speed range. Above it the table is used as it is.

Optimal operating line (components.md §1.6): ``ω*(P) = argmin_ω mdot_f(ω, P/ω)`` subject to
T ≤ T_max(ω) and ω_min ≤ ω ≤ ω_max, computed once from the gridded map on a fine grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._csv import read_table
from ..units import PA_PER_BAR as BAR
from ..units import RAD_S_PER_RPM as RPM

# The loaders take a ``components.engine.Engine`` (duck-typed here: engine.py imports this module, never the
# other way round).


@dataclass(frozen=True, eq=False)
class EngineMap:
    """A gridded engine: speed axis [rad/s], torque axis [N·m], fuel [kg/s], WOT and motoring [N·m]."""

    speed_rad_s: np.ndarray
    torque_nm: np.ndarray
    fuel_kg_s: np.ndarray
    wot_nm: np.ndarray
    motoring_nm: np.ndarray
    lhv_j_per_kg: float
    willans: object = None  # the Willans fit behind the map (for cold-start friction), if any
    idle_speed_rad_s: float = 0.0  # below it the grid only pads the table (the engine does not run there)

    def efficiency(self) -> np.ndarray:
        """Brake efficiency on the grid (NaN outside 0 < T ≤ WOT and below idle speed)."""
        w = self.speed_rad_s[:, None]
        t = self.torque_nm[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = t * w / (self.fuel_kg_s * self.lhv_j_per_kg)
        inside = (t > 0) & (t <= self.wot_nm[:, None] + 1e-9) & (w > 0) & (w >= self.idle_speed_rad_s)
        return np.where(inside, eta, np.nan)

REPAIR_BELOW_NM = 40.0


#: Allowed range of every known column of a map or battery table (inclusive). Cells outside, NaN or
#: infinite are refused when the vehicle is loaded, naming the file, line, column, value and range.
COLUMN_RANGES: dict[str, tuple[float, float]] = {
    "speed_rpm": (0.0, 20000.0),
    "torque_nm": (-2000.0, 5000.0),
    "torque_max_nm": (0.0, 5000.0),
    "fuel_g_per_s": (0.0, 1000.0),
    "bsfc_g_per_kwh": (0.0, 1e5),
    "eff_brake": (0.0, 1.0),
    "within_wot": (0.0, 1.0),
    "soc": (0.0, 1.0),
    "ocv_v": (0.1, 2000.0),
    "r_discharge_ohm": (1e-6, 100.0),
    "r_charge_ohm": (1e-6, 100.0),
    "energy_wh": (0.0, 1e7),
}


def _read_table(path: str, required: tuple[str, ...], min_rows: int = 2) -> dict[str, np.ndarray]:
    """Read a numeric CSV table (``#`` comments and blank lines skipped); every problem is one ValueError
    naming the file (and line, column, value and allowed range where there is one)."""
    table = read_table(path)
    header = table.header
    for col in required:
        if col not in header:
            raise ValueError(f"{path}: column {col!r} missing (header: {', '.join(header)}; required columns: "
                             f"{', '.join(required)})")
    if len(set(header)) != len(header):
        raise ValueError(f"{path}: duplicate column in the header ({', '.join(header)})")
    if len(table.rows) < min_rows:
        raise ValueError(f"{path}: {len(table.rows)} data row(s), allowed at least {min_rows}")
    rows = []
    for lineno, cells in zip(table.lines, table.rows, strict=True):
        row = []
        for h, c in zip(header, cells, strict=True):
            try:
                x = float(c)
            except ValueError:
                raise ValueError(f"{path}: line {lineno}, column {h!r} = {c.strip()!r}: not a number") from None
            lo, hi = COLUMN_RANGES.get(h, (-1e9, 1e9))
            if not (math.isfinite(x) and lo <= x <= hi):
                raise ValueError(f"{path}: line {lineno}, column {h!r} = {c.strip()!r}: out of range, allowed "
                                 f"{lo:g} to {hi:g}")
            row.append(x)
        rows.append(row)
    arr = np.array(rows, dtype=np.float64)
    return {h: arr[:, i] for i, h in enumerate(header)}


@dataclass(frozen=True)
class ExtendedWillans:
    """p_me = (e0 + e1·c_m)·p_mf − (p0 + p1·c_m + p2·c_m²), pressures in bar."""

    e0: float
    e1: float
    p0: float
    p1: float
    p2: float
    displacement_m3: float
    stroke_m: float
    rms_bar: float

    def cm(self, w):
        return self.stroke_m * np.asarray(w, float) / math.pi

    def loss_bar(self, w):
        c = self.cm(w)
        return self.p0 + self.p1 * c + self.p2 * c * c

    def fuel_kg_s(self, w, t, lhv):
        w = np.asarray(w, float)
        pme = 4 * math.pi * np.asarray(t, float) / self.displacement_m3 / BAR
        pmf = np.maximum((pme + self.loss_bar(w)) / (self.e0 + self.e1 * self.cm(w)), 0.0)
        return pmf * BAR * self.displacement_m3 * w / (4 * math.pi * lhv)

    def motoring_nm(self, w):
        return -self.loss_bar(w) * BAR * self.displacement_m3 / (4 * math.pi)

    def friction_fuel_kg_s(self, w, lhv):
        """Fuel that covers the friction/pumping loss alone, p_loss/e(c_m) as a mass flow. [kg/s]"""
        w = np.asarray(w, float)
        e = self.e0 + self.e1 * self.cm(w)
        return self.loss_bar(w) / e * BAR * self.displacement_m3 * w / (4 * math.pi * lhv)


def fit_extended_willans(speed_rpm, torque_nm, fuel_g_s, e) -> ExtendedWillans:
    """Least-squares fit of the extended Willans line to map cells (SI in, bar inside)."""
    vd = e.displacement_l * 1e-3
    s = e.stroke_mm * 1e-3
    w = np.asarray(speed_rpm) * RPM
    cm = s * w / math.pi
    pme = 4 * math.pi * np.asarray(torque_nm) / vd / BAR
    pmf = 4 * math.pi * np.asarray(fuel_g_s) * 1e-3 * e.lhv_j_per_kg / (w * vd) / BAR
    a = np.column_stack([pmf, cm * pmf, -np.ones_like(cm), -cm, -cm * cm])
    coef, *_ = np.linalg.lstsq(a, pme, rcond=None)
    rms = float(np.sqrt(np.mean((a @ coef - pme) ** 2)))
    return ExtendedWillans(*map(float, coef), vd, s, rms)


def bsfc_csv_map(e) -> EngineMap:
    """Grid a BSFC table (``engine.map_file``) and its WOT curve (``engine.wot_file``), repaired."""
    tab = _read_table(e.map_file, ("speed_rpm", "torque_nm", "fuel_g_per_s"))
    wot_tab = _read_table(e.wot_file, ("speed_rpm", "torque_max_nm"))
    n_wot = wot_tab["speed_rpm"]
    t_wot = wot_tab["torque_max_nm"]
    keep = n_wot > 0  # the 0 rpm entry of such files is a placeholder
    n_wot, t_wot = n_wot[keep], t_wot[keep]
    if n_wot.size < 2:
        raise ValueError(f"{e.wot_file}: {n_wot.size} row(s) with speed_rpm > 0, allowed at least 2")
    if np.any(np.diff(n_wot) <= 0):
        i = int(np.flatnonzero(np.diff(n_wot) <= 0)[0])
        raise ValueError(f"{e.wot_file}: speed_rpm = {n_wot[i + 1]:g} after {n_wot[i]:g}: must be strictly increasing")
    if not np.all(t_wot > 0):
        i = int(np.flatnonzero(t_wot <= 0)[0])
        raise ValueError(f"{e.wot_file}: torque_max_nm = {t_wot[i]:g} at {n_wot[i]:g} rpm: out of range, allowed > 0 "
                         "above 0 rpm")
    if n_wot[0] > e.idle_speed_rpm or n_wot[-1] < e.peak_power_speed_rpm:
        raise ValueError(f"{e.wot_file}: speed_rpm = {n_wot[0]:g}..{n_wot[-1]:g}: must cover idle_speed_rpm = "
                         f"{e.idle_speed_rpm:g} to peak_power_speed_rpm = {e.peak_power_speed_rpm:g}")
    sp = np.unique(tab["speed_rpm"])
    tq = np.unique(tab["torque_nm"])
    if sp.size * tq.size != tab["speed_rpm"].size:
        raise ValueError(f"{e.map_file}: the table is not a full speed × torque grid")
    if sp.size < 3 or tq.size < 3:
        raise ValueError(f"{e.map_file}: {sp.size} speed(s) × {tq.size} torque(s): allowed at least 3 × 3")
    if not np.all(sp > 0):
        raise ValueError(f"{e.map_file}: speed_rpm = 0: out of range, allowed > 0")
    grid = np.full((sp.size, tq.size), np.nan)
    i = np.searchsorted(sp, tab["speed_rpm"])
    j = np.searchsorted(tq, tab["torque_nm"])
    grid[i, j] = tab["fuel_g_per_s"]
    wot_at = np.interp(tab["speed_rpm"], n_wot, t_wot)
    fit_cells = (tab["torque_nm"] >= REPAIR_BELOW_NM) & (tab["torque_nm"] <= wot_at + 1e-9)
    if np.count_nonzero(fit_cells) < 10:
        raise ValueError(f"{e.map_file}: {np.count_nonzero(fit_cells)} cells at >= {REPAIR_BELOW_NM:g} N·m inside "
                         "the WOT curve, allowed at least 10 (the low-load repair fits a 5-parameter Willans line)")
    wil = fit_extended_willans(tab["speed_rpm"][fit_cells], tab["torque_nm"][fit_cells],
                               tab["fuel_g_per_s"][fit_cells], e)
    w_all = np.linspace(0.0, e.max_speed_rpm * RPM, 105)
    e_cm = wil.e0 + wil.e1 * wil.cm(w_all)
    if not (np.all(e_cm > 0.05) and np.all(e_cm < 1.0) and np.all(wil.loss_bar(w_all) > 0)):
        raise ValueError(f"{e.map_file}: the fuel rates do not follow a Willans line (fitted efficiency "
                         f"{float(e_cm.min()):.3g}..{float(e_cm.max()):.3g}, allowed 0.05 to 1, and a positive "
                         "friction loss from 0 to max_speed_rpm): check the fuel_g_per_s column and its units")
    measured = _Bilinear(sp * RPM, tq, grid * 1e-3, fill_value=np.nan)

    speed = np.linspace(0.0, e.max_speed_rpm * RPM, 105)
    wot = np.interp(speed / RPM, n_wot, t_wot)
    mot = wil.motoring_nm(speed)
    torque = np.linspace(math.floor(float(mot.min())) - 1.0, math.ceil(float(wot.max()) * 1.02), 241)
    ww, tt = np.meshgrid(speed, torque, indexing="ij")
    fuel = wil.fuel_kg_s(ww, tt, e.lhv_j_per_kg)
    meas = measured(np.stack([ww, tt], axis=-1))
    use = (tt >= REPAIR_BELOW_NM) & np.isfinite(meas)
    fuel = np.where(use, meas, fuel)
    return EngineMap(speed, torque, fuel, wot, mot, e.lhv_j_per_kg, willans=wil,
                     idle_speed_rad_s=e.idle_speed_rpm * RPM)


@dataclass(frozen=True, eq=False)
class OperatingLine:
    """Minimum-fuel engine operating line on a uniform power grid."""

    power_w: np.ndarray
    speed_rad_s: np.ndarray
    torque_nm: np.ndarray
    fuel_kg_s: np.ndarray


class _Bilinear:
    """Bilinear interpolation of ``values[i, j]`` on the ascending grid (x, y): the arithmetic of
    ``scipy.interpolate.RegularGridInterpolator(..., method="linear")`` (its compiled 2-D path: interval search
    with the last node in the last interval, ``(v − x_i)/(x_{i+1} − x_i)``, and
    ``v00·(1−u)·(1−w) + v01·(1−u)·w + v10·u·(1−w) + v11·u·w`` evaluated left to right), so the result is the
    same to the last bit (tested) without importing scipy.interpolate (0.5–2 s) on the way to the first run.
    Points outside the grid raise, or (``fill_value`` given) get ``fill_value``, as there."""

    def __init__(self, x: np.ndarray, y: np.ndarray, values: np.ndarray, fill_value: float | None = None):
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.values = np.asarray(values, dtype=np.float64)
        self.fill_value = fill_value

    def _locate(self, grid: np.ndarray, p: np.ndarray, dim: int):
        inside = (grid[0] <= p) & (p <= grid[-1])
        if self.fill_value is None and not np.all(inside):
            raise ValueError(f"One of the requested xi is out of bounds in dimension {dim}")
        i = np.clip(np.searchsorted(grid, p, side="right") - 1, 0, grid.size - 2)
        return i, (p - grid[i]) / (grid[i + 1] - grid[i]), inside

    def __call__(self, pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, dtype=np.float64)
        shape = pts.shape[:-1]
        pts = pts.reshape(-1, 2)
        i, u, in_x = self._locate(self.x, pts[:, 0], 0)
        j, w, in_y = self._locate(self.y, pts[:, 1], 1)
        z = self.values
        out = (z[i, j] * (1 - u) * (1 - w) + z[i, j + 1] * (1 - u) * w + z[i + 1, j] * u * (1 - w)
               + z[i + 1, j + 1] * u * w)
        if self.fill_value is not None:
            out[~(in_x & in_y)] = self.fill_value
        return out.reshape(shape)


def optimal_operating_line(m: EngineMap, min_speed_rad_s: float, max_speed_rad_s: float,
                           n_power: int = 201, n_speed: int = 400) -> OperatingLine:
    """ω*(P), T*(P), mdot*(P) = argmin over ω of the fuel rate at power P (components.md §1.6)."""
    interp = _Bilinear(m.speed_rad_s, m.torque_nm, m.fuel_kg_s)
    w = np.linspace(min_speed_rad_s, max_speed_rad_s, n_speed)
    wot = np.interp(w, m.speed_rad_s, m.wot_nm)
    p_max = float(np.max(wot * w))
    power = np.linspace(0.0, p_max, n_power)
    # every (power, speed) pair at once: the same element-wise arithmetic as one power at a time, so the same bits
    t = power[:, None] / w[None, :]
    pts = np.stack(np.broadcast_arrays(w[None, :], np.minimum(t, wot[None, :])), axis=-1)
    f = np.where(t <= wot[None, :], interp(pts), np.inf)
    i = np.argmin(f, axis=1)
    speed, fuel = w[i], f[np.arange(n_power), i]
    # the line must be monotonic in speed for a smooth controller; enforce a non-decreasing envelope
    speed = np.maximum.accumulate(speed)
    torque = power / speed
    fuel = interp(np.column_stack([speed, np.minimum(torque, np.interp(speed, m.speed_rad_s, m.wot_nm))]))
    return OperatingLine(power, speed, torque, fuel)
