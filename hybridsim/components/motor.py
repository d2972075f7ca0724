"""Electric machine (PMSM) with its inverter: torque envelope and loss model.

Envelope (reference/components.md §2.3): ``T_max(ω) = min(T_pk, P_pk/ω)``, the same magnitude when
generating. Losses (§2.2; Larminie & Lowry, *Electric Vehicle Technology Explained*, ch. 7)::

    P_loss(T, ω) = kc·T² + D(ω)·(f + (1 − f)·r) + C·r,   D = ki·|ω| + kw|ω|³,   r = min(|T|/T_C, 1)
                   (copper, iron and windage, "constant"; f = no_load_drag_fraction)
    P_ac = T·ω + P_loss                                             (> 0 motoring, < 0 generating)

Iron and windage loss drag a spinning rotor at zero torque. The constant C (a loss independent of torque
and speed) is zero in the default fit: a machine has no such loss. The one Prius traction machine measured
on its own, with its inverter measured apart (ORNL's 2004 Prius MG2, Table B-1 of ORNL/TM-2006/423 [O1];
``vehicles/maps/motor_prius2004_mg2_ornl_tableb1.csv``), gives C = 0 W when the four terms are fitted to
its machine-only loss (non-negative least squares, 264 points at 297–6,005 rpm and 19–160 N·m; its loss at
20 N·m falls linearly to 39 W at standstill, the copper loss), whereas a fit with C scaled to it charges
298 W more at every low-speed point (tests/test_motor_maps.py). The digitised 2010 MG2 map the coefficients
come from needs C ≈ 350 W at every torque (its boundary, machine alone or with the inverter, is not stated,
maps/PROVENANCE.md); a loss of that kind is an inverter's (control and gate drive; ORNL's 2004 inverter loses
70–160 W at 20 N·m), which the inverter model books, or an artefact of the digitised contours. C stays a
parameter (``loss_c_w``) for a machine whose measured loss has one; it ramps in linearly from zero torque to
T_C = the lowest torque of the 2010 map (10 N·m, scaled like the torque), as the operating share of D does.

**Idle machine** (T = 0, inverter not switching): it loses the share ``f = no_load_drag_fraction`` of the
iron and windage terms D, the drag of the magnets' flux and the rotor alone; from the first N·m the operating
loss D ramps in with C up to T_C. The fit's D is the zero-torque extrapolation of *loaded* losses (armature
reaction, PWM ripple, and possibly the inverter: the map does not say); a coast-down in neutral measures the
idle drag, and the EPA target road loads of same-model pairs that differ by one permanent-magnet drive unit put
it at a few newtons, inside the scatter of induction units that have no magnets (default f = 0.1 and its
evidence: ``NO_LOAD_DRAG_FRACTION``). What an idle machine loses is what a coast-down holds
(``no_load_loss_w``, ``components/coastdown.py``). With a measured map the zero-torque column (extrapolated)
is scaled by f and the bilinear interpolation to the first torque column ramps the rest in.

The default coefficients are the least-squares fit (loss in W; 216 cells at 1,000–12,000 rpm and ≥ 10 N·m
inside the envelope) to the measured 2010 Prius MG2 map with C = 0 (kc = 0.2438 W/(N·m)², ki = 1.554 W·s/rad,
kw = 2.68e-7 W·s³/rad³; peak 207 N·m, 13,500 rpm; with C free the same fit gave kc 0.236, ki 0.796,
kw 6.44e-7, C 347 W until issue 13), scaled to another machine by its torque and speed ratios
(ADVISOR's rule, §2.2): kc' = kc·s_ω/s_T, ki' = ki·s_T, kw' = kw·s_T/s_ω², C' = C·s_T·s_ω, times
``loss_scale`` (e.g. 0.7 for a modern machine). Inverter (§2.4): ``P_dc = P_ac/η_inv`` when motoring,
``P_ac·η_inv`` when generating.

**Measured map instead of the fit** (``loss_map_file``): a CSV on a full speed × torque grid (columns
``speed_rpm`` and ``torque_nm``, or ``*_abs``, and an efficiency column named by ``loss_map_column``) is
turned at load into a loss table ``P_loss = P(1/η − 1)`` over ``|ω| × |T|`` (``loss_table``), which the kernels
interpolate bilinearly. Rows with negative torque are the generating quadrant (η = electric out /
mechanical in, ``P_loss = |P|(1 − η)``); without them generating uses the motoring loss at ``|T|, |ω|`` (the
symmetric assumption of ADVISOR and FASTSim; measured generating maps differ by about a point,
components.md §2.2). Cells with zero speed or
zero torque carry no efficiency (no power): the loss there is extrapolated linearly from the two nearest
measured rows/columns (no-load loss at T = 0, stall copper loss at ω = 0), never below zero, and zero
at ω = 0, T = 0 (a machine at rest without torque loses nothing); beyond the
map's last speed or torque the edge value holds. ``loss_map_includes_inverter = true`` says the map is of
machine and inverter together: ``inverter_efficiency`` must then be 1 (nothing is counted twice), and the
whole loss is reported as the machine's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._schema import check, param
from .engine import RPM

# E: share of the fit's zero-torque loss that an idle PMSM (inverter off) loses, from the EPA target road loads of
# same-model pairs that differ by one drive unit (US EPA test car list MY2022, 22-tstcar.csv; at 50 km/h, the
# ETW difference taken out with C_rr 0.009): a PMSM unit (machine, reduction, differential) adds 1–11 N (Taycan 4S
# front unit against the Taycan RWD, three pairs), 5.0 N (Polestar 2 rear unit), 5.4 N (Mach-E front unit); an
# induction unit, whose rotor has no magnets, −2.6 N (Model 3 front) and 8.2 N (ID.4 front). The magnets' drag is
# inside that scatter, about 3 N (0–10 N), where the fit's zero-torque loss gives the Taycan's front machine
# 28 N (392 W at 3,000 rpm): 0.1 (plausible 0–0.35). Physics: with the inverter off the stator sees the magnets'
# flux alone, without the armature reaction and the PWM ripple that the loaded map's losses hold
# (docs/bev_energy_flow.py, components/coastdown.py).
NO_LOAD_DRAG_FRACTION = 0.1

# S* (fit, see the module docstring): the 2010 MG2 map with C = 0, C = 0 from the ORNL 2004 MG2's measured
# machine-only loss [O1]
MG2_2010 = dict(kc=0.2438, ki=1.554, kw=2.68e-7, c=0.0, torque_nm=207.0, speed_rpm=13500.0,
                c_full_torque_nm=10.0)  # the map's lowest measured torque (maps/motor_prius2010_mg2_umich_eff.csv)


class MotorK(NamedTuple):
    peak_torque_nm: float
    peak_power_w: float
    max_speed_rad_s: float
    kc: float
    ki: float
    kw: float
    c_w: float
    c_full_torque_nm: float
    inverter_efficiency: float
    inertia_kgm2: float
    use_map: float  # 1.0: the loss comes from map_loss_w (bilinear), 0.0: from the coefficients
    map_loss_w: np.ndarray  # motoring loss on the uniform |ω| × |T| grid (1×1 zeros without a map) [W]
    map_loss_gen_w: np.ndarray  # generating loss (T·ω < 0) on the same grid [W]
    map_speed_step_rad_s: float
    map_torque_step_nm: float
    idle_fraction: float  # an idle machine (T = 0) loses this share of the zero-torque loss (no_load_drag_fraction)


@dataclass(frozen=True)
class Motor:
    """One electric machine (TOML table ``[motors.<name>]``)."""

    peak_power_kw: float = param("Peak mechanical power. [kW]", lo=0.1, hi=2000)
    peak_torque_nm: float = param("Peak torque. [N·m]", lo=0.1, hi=5000)
    max_speed_rpm: float = param("Maximum rotor speed. [rpm]", lo=100, hi=40000)
    inertia_kgm2: float = param("Rotor inertia (car machines 0.01–0.1; 1 allows the largest bus motors). "
                                "[kg·m²]", default=0.02, lo=0, hi=1)
    inverter_efficiency: float = param("Inverter efficiency. [-]", default=0.97, lo=0.5, hi=1)
    loss_scale: float = param("Factor on all loss coefficients of the scaled MG2 fit. [-]", default=1.0,
                              lo=0.1, hi=5)
    loss_kc_w_per_nm2: float | None = param("Copper-loss coefficient (overrides the fit). [W/(N·m)²]",
                                            default=None, lo=0, hi=100)
    loss_ki_w_s_per_rad: float | None = param("Iron-loss coefficient. [W·s/rad]", default=None, lo=0, hi=1e3)
    loss_kw_w_s3_per_rad3: float | None = param("Windage coefficient. [W·s³/rad³]", default=None, lo=0, hi=1)
    loss_c_w: float | None = param("Constant loss C, drawn in full from torque T_C up. [W]", default=None, lo=0,
                                   hi=1e5)
    loss_c_full_torque_nm: float | None = param(
        "Torque T_C from which C is drawn in full; below it C ramps in linearly from zero torque (default: the "
        "10 N·m lowest measured torque of the 2010 MG2 map, scaled by the torque ratio). [N·m]",
        default=None, lo=1e-3, hi=1000)
    loss_map_file: str | None = param(
        "Measured efficiency map (CSV: speed_rpm, torque_nm and the loss_map_column, on a full uniform grid); "
        "replaces the loss coefficients.", default=None)
    loss_map_column: str = param("Efficiency column of loss_map_file (fraction). [-]", default="eff")
    loss_map_includes_inverter: bool = param(
        "The map is of machine and inverter together (inverter_efficiency must then be 1).", default=False)
    no_load_drag_fraction: float = param(
        "Share of the loss model's zero-torque loss (iron and windage of the fit, or the map's zero-torque column) "
        "that an idle machine, its inverter not switching, loses: the drag of the magnets' flux and the rotor "
        "alone, which a coast-down holds; from the first N·m the operating loss ramps in up to T_C. [-]",
        default=NO_LOAD_DRAG_FRACTION, lo=0, hi=1)

    def __post_init__(self):
        check(self, "motors")
        if self.loss_map_includes_inverter and self.loss_map_file is None:
            raise ValueError("motors.loss_map_includes_inverter = true: needs motors.loss_map_file")
        if self.loss_map_includes_inverter and self.inverter_efficiency != 1.0:
            raise ValueError(f"motors.inverter_efficiency = {self.inverter_efficiency}: must be 1 when "
                             "loss_map_includes_inverter = true (the map already holds the inverter's loss)")
        if self.loss_map_file is not None:
            loss_table(self.loss_map_file, self.loss_map_column)  # a bad map is refused at load
        if self.loss_map_file is not None:
            return  # the measured map gives the losses
        kc, ki, kw, c = self.loss_coefficients()
        w_max = self.max_speed_rpm * RPM
        p_pk = self.peak_power_kw * 1e3
        t_hi = min(self.peak_torque_nm, p_pk / w_max)  # torque available at maximum speed
        w_corner = min(p_pk / self.peak_torque_nm, w_max)
        for what, t, w in (("at peak torque and corner speed", self.peak_torque_nm, w_corner),
                           ("at maximum speed and power", t_hi, w_max)):
            loss = kc * t * t + ki * w + kw * w**3 + c
            if loss > 0.5 * t * w:
                key = max((("loss_kc_w_per_nm2", kc * t * t), ("loss_ki_w_s_per_rad", ki * w),
                           ("loss_kw_w_s3_per_rad3", kw * w**3), ("loss_c_w", c)), key=lambda x: x[1])[0]
                shown = getattr(self, key)
                if shown is None:
                    key, shown = "loss_scale", self.loss_scale
                raise ValueError(
                    f"motors.{key} = {shown!r}: the machine's loss {what} ({loss / 1e3:.3g} kW) exceeds half its "
                    f"output there ({t * w / 1e3:.3g} kW); allowed: losses <= 50 % of the shaft power (efficiency "
                    ">= 67 %)")

    def loss_coefficients(self) -> tuple[float, float, float, float]:
        """(kc, ki, kw, C) after scaling. [SI]"""
        s_t = self.peak_torque_nm / MG2_2010["torque_nm"]
        s_w = self.max_speed_rpm / MG2_2010["speed_rpm"]
        f = self.loss_scale
        kc = MG2_2010["kc"] * s_w / s_t * f if self.loss_kc_w_per_nm2 is None else self.loss_kc_w_per_nm2
        ki = MG2_2010["ki"] * s_t * f if self.loss_ki_w_s_per_rad is None else self.loss_ki_w_s_per_rad
        kw = MG2_2010["kw"] * s_t / s_w**2 * f if self.loss_kw_w_s3_per_rad3 is None else self.loss_kw_w_s3_per_rad3
        c = MG2_2010["c"] * s_t * s_w * f if self.loss_c_w is None else self.loss_c_w
        return kc, ki, kw, c

    def c_full_torque_nm(self) -> float:
        """T_C: torque from which the constant loss C is drawn in full. [N·m]"""
        if self.loss_c_full_torque_nm is not None:
            return self.loss_c_full_torque_nm
        return MG2_2010["c_full_torque_nm"] * self.peak_torque_nm / MG2_2010["torque_nm"]

    def no_load_loss_w(self, w_rad_s):
        """Loss of the machine spinning at ``w_rad_s`` with zero torque (inverter not switching): the share
        ``no_load_drag_fraction`` of the iron and windage terms ``ki·|ω| + kw·|ω|³``, or of the map's zero-torque
        column (extrapolated from its lowest measured torques, see the module docstring; the edge value beyond
        its last speed). What the kernels charge an idle machine and a coast-down holds. Numpy. [W]"""
        aw = np.abs(np.asarray(w_rad_s, dtype=float))
        f = self.no_load_drag_fraction
        if self.loss_map_file is None:
            _, ki, kw, _ = self.loss_coefficients()
            return f * (ki * aw + kw * aw**3)
        table, _, dw, _ = loss_table(self.loss_map_file, self.loss_map_column)
        return f * np.interp(aw, np.arange(table.shape[0]) * dw, table[:, 0])

    def to_kernel(self) -> MotorK:
        kc, ki, kw, c = self.loss_coefficients()
        if self.loss_map_file is None:
            table, table_gen, dw, dt, use = _NO_MAP, _NO_MAP, 1.0, 1.0, 0.0
        else:
            table, table_gen, dw, dt = idle_scaled(loss_table(self.loss_map_file, self.loss_map_column),
                                                   self.no_load_drag_fraction)
            use = 1.0
        return MotorK(float(self.peak_torque_nm), float(self.peak_power_kw * 1e3),
                      float(self.max_speed_rpm * RPM), float(kc), float(ki), float(kw), float(c),
                      float(self.c_full_torque_nm()),
                      float(self.inverter_efficiency), float(self.inertia_kgm2), use, table, table_gen,
                      float(dw), float(dt), float(self.no_load_drag_fraction))


_NO_MAP = np.zeros((1, 1))
_NO_MAP.setflags(write=False)


def idle_scaled(tables, fraction: float):
    """(motoring, generating, dw, dt) loss tables with the zero-torque column times ``fraction``: an idle machine
    (inverter not switching) loses that share of the map's extrapolated zero-torque loss; the bilinear
    interpolation to the first torque column ramps the operating loss in (``no_load_drag_fraction``)."""
    mot, gen, dw, dt = tables
    if fraction == 1.0:
        return mot, gen, dw, dt
    out = []
    for t in (mot, gen):
        t = t.copy()
        t[:, 0] *= fraction
        t.setflags(write=False)
        out.append(t)
    return out[0], out[1], dw, dt


def _extrapolate_to_zero(x1, y1, x2, y2):
    """Linear extrapolation to x = 0 from (x1, y1), (x2, y2), never below zero."""
    return np.maximum(y1 - (y2 - y1) * x1 / (x2 - x1), 0.0)


@functools.lru_cache(maxsize=32)
def loss_table(path: str, column: str = "eff") -> tuple[np.ndarray, np.ndarray, float, float]:
    """(motoring loss, generating loss [W] on the uniform ``|ω| × |T|`` grid from zero, speed step [rad/s], torque
    step [N·m]) of a measured efficiency map. Rows with torque < 0 (at speed ≥ 0) are the generating
    quadrant, η = electric out / mechanical in, ``loss = |P|(1 − η)``; without them generating takes the motoring
    loss (symmetric). See the module docstring for the rules at zero speed and torque."""
    from .engine_maps import _read_table

    tab = _read_table(path, ())
    sc = next((c for c in ("speed_rpm", "speed_rpm_abs") if c in tab), None)
    tc = next((c for c in ("torque_nm", "torque_nm_abs") if c in tab), None)
    if sc is None or tc is None or column not in tab:
        raise ValueError(f"{path}: needs columns speed_rpm (or speed_rpm_abs), torque_nm (or torque_nm_abs) and "
                         f"{column!r} (header: {', '.join(tab)})")
    if np.any(tab[sc] < 0):
        raise ValueError(f"{path}: speeds must be ≥ 0 (generating is given by negative torques)")
    mot = tab[tc] >= 0
    gen = tab[tc] <= 0
    t_mot, dw, dt = _quadrant_table(path, tab[sc][mot], tab[tc][mot], tab[column][mot], motoring=True)
    if np.any(tab[tc] < 0):
        t_gen, dw_g, dt_g = _quadrant_table(path, tab[sc][gen], -tab[tc][gen], tab[column][gen], motoring=False)
        if t_gen.shape != t_mot.shape or abs(dw_g - dw) > 1e-9 * dw or abs(dt_g - dt) > 1e-9 * dt:
            raise ValueError(f"{path}: the generating rows (torque < 0) must cover the motoring grid mirrored")
    else:
        t_gen = t_mot
    return t_mot, t_gen, dw, dt


def _quadrant_table(path, speed_rpm, torque_nm, eta_col, motoring):
    """Loss table of one quadrant (|ω|, |T| ≥ 0) on the uniform grid from zero."""
    speeds, torques = np.unique(speed_rpm), np.unique(torque_nm)
    quadrant = "motoring" if motoring else "generating"
    if len(speeds) < 3 or len(torques) < 3 or len(speed_rpm) != len(speeds) * len(torques):
        raise ValueError(f"{path}: the {quadrant} table is not a full speed × torque grid of at least 3 × 3 points")
    eta = np.full((len(speeds), len(torques)), np.nan)
    eta[np.searchsorted(speeds, speed_rpm), np.searchsorted(torques, torque_nm)] = eta_col
    ms, mt = speeds > 0, torques > 0  # cells that carry an efficiency
    e = eta[np.ix_(ms, mt)]
    if not np.all((e > 0) & (e <= 1)):
        raise ValueError(f"{path}: the efficiency must be in (0, 1] wherever speed and torque are not 0 "
                         f"({quadrant} quadrant)")
    # the uniform grid from zero: the map's own steps
    dw, dt = np.diff(speeds[ms]), np.diff(torques[mt])
    if np.ptp(dw) > 1e-9 * dw.max() or np.ptp(dt) > 1e-9 * dt.max():
        raise ValueError(f"{path}: speed and torque steps must be uniform (got {sorted(set(dw))} rpm, "
                         f"{sorted(set(dt))} N·m)")
    w_grid = np.arange(0.0, speeds.max() + 0.5 * dw[0], dw[0]) * RPM
    t_grid = np.arange(0.0, torques.max() + 0.5 * dt[0], dt[0])
    w_meas, t_meas = speeds[ms] * RPM, torques[mt]
    power = np.outer(w_meas, t_meas)
    loss_meas = power * (1.0 / e - 1.0) if motoring else power * (1.0 - e)
    # onto the grid from zero: the measured cells, then zero torque and zero speed by extrapolation
    full = np.empty((len(w_grid), len(t_grid)))
    iw = np.rint(w_meas / (dw[0] * RPM)).astype(int)
    it = np.rint(t_meas / dt[0]).astype(int)
    if iw[0] == 0 or it[0] == 0 or np.any(np.diff(iw) != 1) or np.any(np.diff(it) != 1):
        raise ValueError(f"{path}: the measured speeds and torques must lie on a uniform grid from zero")
    full[np.ix_(iw, it)] = loss_meas
    # torque columns below the first measured one (at least T = 0): extrapolated from the first two
    for j in range(it[0] - 1, -1, -1):
        full[iw, j] = _extrapolate_to_zero(t_grid[j + 1] - t_grid[j], full[iw, j + 1],
                                           t_grid[j + 2] - t_grid[j], full[iw, j + 2])
    # speed rows below the first measured one (at least ω = 0): extrapolated from the first two
    for i in range(iw[0] - 1, -1, -1):
        full[i, :] = _extrapolate_to_zero(w_grid[i + 1] - w_grid[i], full[i + 1, :],
                                          w_grid[i + 2] - w_grid[i], full[i + 2, :])
    full[0, 0] = 0.0  # at rest and without torque a machine loses nothing
    full.setflags(write=False)
    return np.ascontiguousarray(full), float(dw[0] * RPM), float(dt[0])
