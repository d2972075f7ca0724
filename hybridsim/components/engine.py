"""Internal-combustion engine: fuel-rate map over speed × torque, full-load (WOT) and motoring curves.

One internal representation for every engine (reference/components.md §1.2): fuel mass flow
``mdot_f(ω, T)`` [kg/s] on a uniform speed × torque grid, a WOT curve ``T_max(ω)``, a motoring curve
``T_min(ω) < 0`` (the drag of the unfuelled engine, where the fuel rate is 0), and the fuel's lower
heating value, so that brake efficiency is ``η = T·ω / (mdot_f·LHV)``.

Two sources of the map:

* ``map_kind = "willans"``: a parametric map for an engine with no public data, from displacement,
  stroke, rated power and torque and a peak brake thermal efficiency (BTE). The Willans form
  (Guzzella & Sciarretta, *Vehicle Propulsion Systems*, 3rd ed., ch. 4; components.md §1.4)::

      p_me = e0·p_mf − e2·p_mf² − p_loss(c_m),    p_loss = p0 + p2·c_m²,    c_m = S·n/30
      mdot_f = p_mf·V_d·ω / (4π·LHV)

  with p_me the brake mean effective pressure, p_mf the fuel mean effective pressure, c_m the mean
  piston speed. p0, p2 are the friction/pumping parameters (§1.4(c): p0 ≈ 1.3 bar NA, 1.1 bar turbo;
  p2 ≈ 0.003–0.005 bar·s²/m²). e2 > 0 bends efficiency down towards full load; e0 and e2 are solved
  so that efficiency peaks at ``peak_efficiency_load_fraction`` of WOT at ``peak_efficiency_speed_rpm``
  and the maximum over the whole envelope equals ``peak_efficiency``. A turbo engine may add a
  component-protection enrichment near WOT at high speed (``enrichment_max``). The motoring curve is
  the Willans loss line at zero fuel: ``T_min = −p_loss·V_d/(4π)``.
* ``map_kind = "bsfc_csv"``: a measured/published BSFC table (see the THS-II issue).

Fuel below the motoring curve is 0 (fuel cut-off); between the motoring curve and zero torque the
map gives the small fuel flow that holds the engine at that (negative) brake torque.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import optimize

from ..units import W_PER_KW
from ._schema import check, param
from .engine_maps import EngineMap, bsfc_csv_map

RPM = math.pi / 30.0  # 1 rpm in rad/s
BAR = 1e5  # Pa


class EngineK(NamedTuple):
    """Engine parameters for the numba core (SI; uniform grids)."""

    speed_min_rad_s: float  # grid origin and inverse step of the fuel map speed axis
    speed_inv_step: float  # [s/rad]
    torque_min_nm: float  # grid origin and inverse step of the fuel map torque axis
    torque_inv_step: float  # [1/(N·m)]
    fuel_kg_s: np.ndarray  # [n_speed, n_torque] fuel rate
    wot_nm: np.ndarray  # [n_speed] full-load torque on the same speed axis
    motoring_nm: np.ndarray  # [n_speed] motoring (drag) torque, negative
    idle_speed_rad_s: float
    max_speed_rad_s: float
    inertia_kgm2: float
    fuel_cutoff_min_speed_rad_s: float
    lhv_j_per_kg: float


@dataclass(frozen=True)
class Engine:
    """Engine parameters (TOML table ``[engine]``)."""

    displacement_l: float = param("Displaced volume V_d. [L]", lo=0.1, hi=10)
    stroke_mm: float = param("Piston stroke S. [mm]", lo=30, hi=200)
    peak_power_kw: float = param("Rated (maximum) power. [kW]", lo=1, hi=1500)
    peak_power_speed_rpm: float = param("Speed of rated power. [rpm]", lo=1000, hi=12000)
    peak_torque_nm: float = param("Maximum torque. [N·m]", lo=1, hi=3000)
    peak_torque_speed_rpm: float = param("Lowest speed of maximum torque. [rpm]", lo=500, hi=12000)
    idle_speed_rpm: float = param("Warm idle speed. [rpm]", lo=300, hi=2000)
    max_speed_rpm: float = param("Maximum engine speed. [rpm]", lo=1000, hi=15000)
    map_kind: str = param("Source of the fuel map.", default="willans", choices=("willans", "bsfc_csv"))
    peak_torque_speed_high_rpm: float | None = param(
        "Highest speed of the maximum-torque plateau (turbo engines). [rpm]", default=None, lo=500, hi=12000)
    aspiration: str = param("Air path; sets the WOT shape and enrichment.", default="na",
                            choices=("na", "turbo"))
    inertia_kgm2: float = param("Rotating inertia of crank, flywheel (and converter pump). [kg·m²]",
                                default=0.15, lo=0, hi=2)
    fuel_cutoff_min_speed_rpm: float | None = param(
        "Fuel is cut on overrun only above this speed (default idle + 250 rpm). [rpm]", default=None,
        lo=0, hi=15000)
    fuel_lhv_mj_per_kg: float = param("Lower heating value of the fuel. [MJ/kg]", default=42.6,
                                      lo=10, hi=130)
    fuel_density_kg_per_l: float = param("Fuel density. [kg/L]", default=0.745, lo=0.1, hi=1.2)
    fuel_carbon_mass_fraction: float = param("Carbon mass fraction of the fuel (CO2 = 44.01/12.011 × "
                                             "carbon). [-]", default=0.866, lo=0.1, hi=1)
    peak_efficiency: float | None = param("Peak brake thermal efficiency (willans maps). [-]",
                                          default=None, lo=0.1, hi=0.6)
    peak_efficiency_speed_rpm: float | None = param("Speed where BTE peaks (willans). [rpm]",
                                                    default=None, lo=500, hi=12000)
    peak_efficiency_load_fraction: float = param("Fraction of WOT torque where BTE peaks (willans). [-]",
                                                 default=0.75, lo=0.3, hi=1.0)
    friction_p0_bar: float | None = param("Willans loss p0 at zero piston speed. [bar]", default=None,
                                          lo=0.2, hi=5)
    friction_p2_bar_s2_per_m2: float = param("Willans loss p2 (× c_m²). [bar·s²/m²]", default=0.004,
                                             lo=0, hi=0.05)
    enrichment_max: float | None = param("Extra fuel at WOT and maximum speed (turbo protection). [-]",
                                         default=None, lo=0, hi=0.5)
    start_fuel_g: float = param("Extra fuel per engine start (hybrids). [g]", default=0.2, lo=0, hi=20)
    coolant_heat_capacity_kj_per_k: float = param("Lumped heat capacity warmed by the coolant. [kJ/K]",
                                                  default=40.0, lo=1, hi=1000)
    coolant_heat_fraction: float = param("Share of fuel power that heats the coolant. [-]", default=0.30,
                                         lo=0.01, hi=1)
    hot_coolant_c: float = param("Thermostat (fully warm) coolant temperature. [°C]", default=85.0,
                                 lo=40, hi=130)
    cold_friction_exponent: float = param("Friction rises as θ^(−t) when cold (CO2MPAS t). [-]",
                                          default=4.5, lo=0, hi=10)
    map_file: str | None = param("BSFC table (bsfc_csv): speed_rpm, torque_nm, fuel_g_per_s columns.",
                                 default=None)
    wot_file: str | None = param("WOT table (bsfc_csv): speed_rpm, torque_max_nm columns.", default=None)

    def __post_init__(self):
        check(self, "engine")
        if self.peak_torque_speed_rpm >= self.peak_power_speed_rpm:
            raise ValueError(
                f"engine.peak_torque_speed_rpm = {self.peak_torque_speed_rpm}: must be below "
                f"peak_power_speed_rpm = {self.peak_power_speed_rpm}"
            )
        if not self.idle_speed_rpm < self.peak_torque_speed_rpm:
            raise ValueError(f"engine.idle_speed_rpm = {self.idle_speed_rpm}: must be below "
                             f"peak_torque_speed_rpm = {self.peak_torque_speed_rpm}")
        if self.max_speed_rpm < self.peak_power_speed_rpm:
            raise ValueError(f"engine.max_speed_rpm = {self.max_speed_rpm}: must be >= "
                             f"peak_power_speed_rpm = {self.peak_power_speed_rpm}")
        hi = self.peak_torque_speed_high_rpm
        if hi is not None and not (self.peak_torque_speed_rpm <= hi < self.peak_power_speed_rpm):
            raise ValueError(f"engine.peak_torque_speed_high_rpm = {hi}: must lie in "
                             f"[peak_torque_speed_rpm, peak_power_speed_rpm)")
        p_rated_torque = self.peak_power_kw * W_PER_KW / (self.peak_power_speed_rpm * RPM)
        if p_rated_torque > self.peak_torque_nm * 1.0001:
            raise ValueError(
                f"engine.peak_power_kw = {self.peak_power_kw}: needs {p_rated_torque:.0f} N·m at "
                f"{self.peak_power_speed_rpm:g} rpm, more than peak_torque_nm = {self.peak_torque_nm}"
            )
        if self.map_kind == "willans" and self.peak_efficiency is None:
            raise ValueError("engine.peak_efficiency = None: required when map_kind = 'willans' "
                             "(allowed 0.1–0.6)")
        if self.map_kind == "bsfc_csv" and (self.map_file is None or self.wot_file is None):
            raise ValueError(f"engine.map_file = {self.map_file!r}, wot_file = {self.wot_file!r}: "
                             "both required when map_kind = 'bsfc_csv'")
        if self.map_kind == "willans" and (self.map_file is not None or self.wot_file is not None):
            key = "map_file" if self.map_file is not None else "wot_file"
            raise ValueError(f"engine.{key} = {getattr(self, key)!r}: only used with map_kind = 'bsfc_csv' "
                             "(allowed: no file for map_kind = 'willans')")
        # build the fuel map now (cached), so that a bad table or an impossible Willans fit is refused when
        # the vehicle is loaded, naming the key, not when it is first simulated
        try:
            m = self.data()
        except ValueError as exc:
            msg = str(exc)
            if self.map_kind == "bsfc_csv" and not msg.startswith("engine."):
                key = "wot_file" if msg.startswith(str(self.wot_file)) else "map_file"
                msg = f"engine.{key} = {getattr(self, key)!r}: {msg}"
            raise ValueError(msg) from None
        if not (np.all(np.isfinite(m.fuel_kg_s)) and np.all(m.fuel_kg_s >= 0) and np.all(np.isfinite(m.wot_nm))):
            key = "map_file" if self.map_kind == "bsfc_csv" else "peak_efficiency"
            raise ValueError(f"engine.{key} = {getattr(self, key)!r}: the fuel map it gives is not finite and "
                             "non-negative everywhere (check the table or the Willans parameters)")

    # --- derived quantities -------------------------------------------------------------------
    @property
    def lhv_j_per_kg(self) -> float:
        return self.fuel_lhv_mj_per_kg * 1e6

    @property
    def co2_per_fuel_mass(self) -> float:
        """kg CO2 emitted per kg of fuel burnt (complete combustion). [-]"""
        return self.fuel_carbon_mass_fraction * 44.0095 / 12.011

    def data(self) -> EngineMap:
        """The fuel map, WOT and motoring curves on the package's grid (cached per parameter set)."""
        return _build_map(self)

    def to_kernel(self) -> EngineK:
        m = self.data()
        fc = self.fuel_cutoff_min_speed_rpm
        fc = self.idle_speed_rpm + 250.0 if fc is None else fc
        return EngineK(
            speed_min_rad_s=float(m.speed_rad_s[0]),
            speed_inv_step=float(1.0 / (m.speed_rad_s[1] - m.speed_rad_s[0])),
            torque_min_nm=float(m.torque_nm[0]),
            torque_inv_step=float(1.0 / (m.torque_nm[1] - m.torque_nm[0])),
            fuel_kg_s=np.ascontiguousarray(m.fuel_kg_s, dtype=np.float64),
            wot_nm=np.ascontiguousarray(m.wot_nm, dtype=np.float64),
            motoring_nm=np.ascontiguousarray(m.motoring_nm, dtype=np.float64),
            idle_speed_rad_s=float(self.idle_speed_rpm * RPM),
            max_speed_rad_s=float(self.max_speed_rpm * RPM),
            inertia_kgm2=float(self.inertia_kgm2),
            fuel_cutoff_min_speed_rad_s=float(fc * RPM),
            lhv_j_per_kg=float(self.lhv_j_per_kg),
        )


# --- WOT curves --------------------------------------------------------------------------------

def parametric_wot_nm(e: Engine, speed_rpm: np.ndarray) -> np.ndarray:
    """Full-load torque curve from rated figures (components.md §1.4(c) step 2). [N·m]

    Piecewise linear through (idle, f·T_pk), (n_Tpk, T_pk), [(n_Tpk,high, T_pk)], (n_P, P/ω_P),
    (n_max, 0.9·P/ω_max); f = 0.75 for NA engines, 0.45 for turbo engines (boost not built up at idle:
    an estimate). Constant below idle.
    """
    n_p = e.peak_power_speed_rpm
    t_p = e.peak_power_kw * W_PER_KW / (n_p * RPM)
    f_idle = 0.45 if e.aspiration == "turbo" else 0.75
    xs = [e.idle_speed_rpm, e.peak_torque_speed_rpm]
    ys = [f_idle * e.peak_torque_nm, e.peak_torque_nm]
    if e.peak_torque_speed_high_rpm is not None and e.peak_torque_speed_high_rpm > xs[-1]:
        xs.append(e.peak_torque_speed_high_rpm)
        ys.append(e.peak_torque_nm)
    xs.append(n_p)
    ys.append(t_p)
    if e.max_speed_rpm > n_p:
        xs.append(e.max_speed_rpm)
        ys.append(0.9 * e.peak_power_kw * W_PER_KW / (e.max_speed_rpm * RPM))
    return np.interp(speed_rpm, xs, ys)


# --- Willans map generator ---------------------------------------------------------------------

@dataclass(frozen=True)
class WillansParams:
    """Fitted Willans parameters: p_me = e0·p_mf − e2·p_mf² − (p0 + p2·c_m²) (pressures in bar)."""

    e0: float
    e2: float
    p0_bar: float
    p2_bar: float
    displacement_m3: float
    stroke_m: float

    def loss_bar(self, speed_rad_s):
        cm = self.stroke_m * np.asarray(speed_rad_s) / math.pi  # c_m = S·n/30 = S·ω/π
        return self.p0_bar + self.p2_bar * cm * cm

    def bmep_bar(self, torque_nm):
        return 4 * math.pi * np.asarray(torque_nm) / self.displacement_m3 / BAR

    def fuel_kg_s(self, speed_rad_s, torque_nm, lhv_j_per_kg):
        """Fuel rate from the Willans relation; 0 at and below the motoring line. [kg/s]"""
        w = np.asarray(speed_rad_s, float)
        q = self.bmep_bar(torque_nm) + self.loss_bar(w)  # = e0·p_mf − e2·p_mf²
        q = np.maximum(q, 0.0)
        if self.e2 > 0:
            disc = np.maximum(self.e0**2 - 4 * self.e2 * q, 0.0)
            pmf = 2 * q / (self.e0 + np.sqrt(disc))  # stable form of (e0 − √disc)/(2·e2)
        else:
            pmf = q / self.e0
        return pmf * BAR * self.displacement_m3 * w / (4 * math.pi * lhv_j_per_kg)

    def motoring_nm(self, speed_rad_s):
        return -self.loss_bar(speed_rad_s) * BAR * self.displacement_m3 / (4 * math.pi)

    def friction_fuel_kg_s(self, speed_rad_s, lhv_j_per_kg):
        """Fuel that covers the friction/pumping loss alone, p_loss/e0 as a mass flow. [kg/s]"""
        w = np.asarray(speed_rad_s, float)
        return self.loss_bar(w) / self.e0 * BAR * self.displacement_m3 * w / (4 * math.pi * lhv_j_per_kg)


def fit_willans_to_peak(e: Engine) -> WillansParams:
    """Willans parameters of a parametric engine whose BTE peaks at ``e.peak_efficiency``.

    At the reference point (n_ref, p_me* = f·p_me,WOT(n_ref)) efficiency is stationary in p_mf:
    η(p_mf) = e0 − e2·p_mf − p_loss/p_mf has its maximum where p_mf*² = p_loss/e2, and there
    η* = e0 − 2·p_loss/p_mf*. With η* = η_pk this gives p_mf* = p_me*/η_pk, e2 = p_loss/p_mf*²,
    e0 = η_pk + 2·p_loss/p_mf*. Efficiency elsewhere (lower speed: less friction) can exceed η_pk, so
    e0 is then shifted (brentq) until the maximum over the envelope equals η_pk exactly.
    """
    turbo = e.aspiration == "turbo"
    p0 = e.friction_p0_bar if e.friction_p0_bar is not None else (1.1 if turbo else 1.3)
    n_ref = e.peak_efficiency_speed_rpm
    if n_ref is None:
        n_ref = 2000.0 if turbo else 2400.0
    vd = e.displacement_l * 1e-3
    s = e.stroke_mm * 1e-3
    base = WillansParams(0.0, 0.0, p0, e.friction_p2_bar_s2_per_m2, vd, s)
    w_ref = n_ref * RPM
    p_loss = float(base.loss_bar(w_ref))
    p_me_star = e.peak_efficiency_load_fraction * float(
        base.bmep_bar(parametric_wot_nm(e, np.array([n_ref]))[0]))
    eta = e.peak_efficiency
    pmf_star = p_me_star / eta
    e2 = p_loss / pmf_star**2
    e0 = eta + 2 * p_loss / pmf_star

    n = np.linspace(e.idle_speed_rpm, e.max_speed_rpm, 80)
    wot = parametric_wot_nm(e, n)
    frac = np.linspace(0.02, 1.0, 120)
    ww = (n * RPM)[:, None] * np.ones_like(frac)[None, :]
    tt = wot[:, None] * frac[None, :]

    def peak(shift: float) -> float:
        wp = WillansParams(e0 + shift, e2, p0, base.p2_bar, vd, s)
        f = wp.fuel_kg_s(ww, tt, 1.0)
        return float(np.max(tt * ww / f))

    hi = 0.0
    if peak(0.0) > eta:
        lo = -0.3
        if peak(lo) > eta:
            raise ValueError(
                f"engine.peak_efficiency_speed_rpm = {n_ref:g}: no Willans map of this engine peaks at "
                f"peak_efficiency = {eta} there (elsewhere its efficiency exceeds that by more than 0.3); allowed: "
                "a speed nearer the middle of idle_speed_rpm..max_speed_rpm, or other friction/stroke values")
        shift = optimize.brentq(lambda d: peak(d) - eta, lo, hi, xtol=1e-12)
    else:
        shift = 0.0
    wp = WillansParams(e0 + shift, e2, p0, base.p2_bar, vd, s)
    pmax = float(np.max(base.bmep_bar(wot) + wp.loss_bar(n * RPM)))
    if wp.e2 > 0 and 4 * wp.e2 * pmax > wp.e0**2:
        raise ValueError(
            f"engine.peak_efficiency_load_fraction = {e.peak_efficiency_load_fraction}: the Willans "
            "curvature it implies cannot reach full load; use a larger value (allowed 0.3–1.0)"
        )
    return wp


def _willans_map(e: Engine) -> EngineMap:
    wp = fit_willans_to_peak(e)
    speed = np.linspace(0.0, e.max_speed_rpm * RPM, 121)
    wot = parametric_wot_nm(e, speed / RPM)
    mot = wp.motoring_nm(speed)
    torque = np.linspace(float(mot.min()) - 1.0, float(wot.max()) * 1.02, 241)
    ww, tt = np.meshgrid(speed, torque, indexing="ij")
    fuel = wp.fuel_kg_s(ww, tt, e.lhv_j_per_kg)
    if e.aspiration == "turbo":
        emax = 0.08 if e.enrichment_max is None else e.enrichment_max
    else:
        emax = 0.0 if e.enrichment_max is None else e.enrichment_max
    if emax > 0:
        # Component-protection enrichment: ramps in above 90 % of WOT and above 70 % of rated speed.
        load = np.clip((tt / wot[:, None] - 0.9) / 0.1, 0.0, 1.0)
        n0 = 0.7 * e.peak_power_speed_rpm * RPM
        spd = np.clip((ww - n0) / (e.max_speed_rpm * RPM - n0), 0.0, 1.0)
        fuel = fuel * (1.0 + emax * load * spd)
    return EngineMap(speed, torque, fuel, wot, mot, e.lhv_j_per_kg, willans=wp,
                     idle_speed_rad_s=e.idle_speed_rpm * RPM)


@functools.lru_cache(maxsize=64)
def _build_map(e: Engine) -> EngineMap:
    if e.map_kind == "willans":
        return _willans_map(e)
    return bsfc_csv_map(e)  # the THS-II issue's measured-map loader
