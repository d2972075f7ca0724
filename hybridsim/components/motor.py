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
``loss_scale`` (e.g. 0.7 for a modern machine).

**Inverter** (components.md §2.4): DC power ``P_dc = P_ac + P_inv`` with the loss of a two-level IGBT bridge::

    P_inv = P_0 + V_0'·I + R'·I² + K_sw·V_dc·(I − I_P)      while switching (T ≠ 0; 0 at zero torque; P_0
                                                             ramped in over the first 1 % of peak torque)
    I     = max(|T|·I_pk/T_pk, I_P),   I_P = |P_ac| / (3/(2√2)·V_dc)

``I`` is the rms phase current: proportional to torque below base speed (MTPA), and at least the current that
carries ``P_ac`` at the voltage limit (modulation index × power factor = 1) above it. ``P_0`` is the fixed part
(gate drives, control), ``V_0'·I`` the threshold part of IGBT and diode conduction, ``R'·I²`` their slope and
the bus bars, and ``K_sw·V_dc·(I − I_P)`` the switching loss ∝ current × DC voltage, which falls to zero as
the controller goes from sine PWM through overmodulation to the rectangular-wave mode of Toyota's THS motor
control (m·cos φ → 1, few switchings). Coefficients: the least-squares fit to the 393 usable points of
ORNL/TM-2006/423 [O1] Table B-1 (2004 Prius MG2 inverter at 496–505 V, torque < 300 N·m; ``INV_2004``;
vehicles/maps/motor_prius2004_mg2_ornl_tableb1.csv, tests/test_inverter.py), with the
current model above: rms error 0.55 efficiency points, max 2.4 (a constant 0.97 misses the same points by
2.6 points rms, max 10.7). ``I_pk``, the phase current at peak torque, defaults to ``2·P_pk/V_dc`` (the 2004
MG2: 200 A at 400 N·m, 50 kW, 500 V); to another inverter ``P_0`` scales with ``I_pk/200 A`` and ``R'`` with
``200 A/I_pk`` (silicon area sized for the current), ``V_0'`` and ``K_sw`` are per device and stay, all
times ``inverter_loss_scale``. ``V_dc`` is the inverter's DC-link voltage: ``dc_bus_voltage_v`` on a fixed bus
(BEV, P2: the pack), the variable bus below behind a boost converter. The legacy
constant form ``inverter_efficiency = η`` (``P_dc = P_ac/η`` motoring, ``P_ac·η`` generating) is still
accepted and then replaces the loss model. A machine whose derived ``I_pk`` would exceed ``MAX_PHASE_CURRENT_A``
(a bus far too low for its power) is refused.

**Variable-voltage bus** (``dc_bus_min_voltage_v`` set: a boost converter between the pack and the inverters,
Toyota THS-II gen 2–4 and the THS plug-in, Honda i-MMD's VCU). The converter raises the bus only as far as the
machine needs: Toyota's ECU sets the target system voltage per operating point (speed, torque) of the machine
(US patent 9,166,516, and the map of target post-boost voltage over MG2 speed and torque of JP 2010-81682
cited there); an owner logging VH on a 2004 Prius read the pack's ≈ 220 V at low load and 500 V, the
ceiling, only at highway speed and full boost (techno-fandom.org/~hobbit/cars/ginv/VH.html); Toyota: the
converter "steplessly increases the ≈ 350 V supply voltage to a maximum of 600 V as required" (Prius PHV
PCU, toyota-global.com). Rule (physics of a PM machine: the voltage is ω × flux linkage, the magnets' flux
ψ plus the armature's ∝ current ∝ torque, in quadrature)::

    V_req = V_max · (|ω|/ω_b) · √(e0² + (1 − e0²)·(T/T_pk)²),    ω_b = P_pk/T_pk
    V_dc  = min(max(V_req, V_min), V_max)

normalised so that the corner point (T_pk at ω_b) needs the rated bus ``V_max = dc_bus_voltage_v`` (the
machine is rated at its ceiling); beyond it the machine field-weakens at V_max. ``e0`` (``no_load_voltage_fraction``,
default 0.5, E) is the magnets' share of the corner-point flux: an IPM machine designed for a wide
constant-power range has ψ ≈ L_d·I_max, with saliency L_q/L_d ≈ 2 its MTPA flux at I_max is ≈ 2ψ (E, textbook
IPM design: Soong & Miller 1994 "optimal flux-weakening" ψ = L_d·I_max). Switching loss, ``I_P`` and the
converter below take this V_dc; the phase current at a torque does not depend on it (``I_pk`` stays
``2·P_pk/V_max``). Each inverter is charged at its own machine's V_dc (the shared THS bus sits at the higher of
MG1's and MG2's demand: the other inverter's switching loss is underestimated there, a simplification).

**Boost converter** (one half-bridge leg and an inductor, between the pack at V_L and the bus; THS-II and
i-MMD kernels, on the net DC power of the machines, so that power MG1 sends straight to MG2 does not pass it)::

    P_boost = V_0b·I_L + R_b·I_L² + K_b·V_dc·I_L  (the last only while V_dc > V_min),   I_L = |P_hv|/V_L

Coefficients, E from the same ORNL 2004 devices (``INV_2004``): V_0b = V_0'/(3·2√2/π) = 1.32 V (one device
conducts the whole current), R_b = 2·8.97 mΩ·(200 A/I_b) (a device's slope resistance and an inductor of equal
resistance, sized like the inverter for the converter's rated current I_b = P_pk(MG2)/V_min), K_b = K_sw/(3·2√2/π)
= 0.00388 W/(A·V) (one leg switching the whole current at the inverter's frequency), times
``inverter_loss_scale``; at the bus floor the upper switch is held on and the leg does not switch. A 2016 Prius
at 20 kW and 500 V: 0.46 kW, 97.7 %, inside the 95–98 % of components.md §2.4.

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
machine and inverter together: the inverter then adds nothing (``inverter_efficiency``, if given, must be 1;
nothing is counted twice), and the whole loss is reported as the machine's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._schema import check, param
from .engine import RPM

# Inverter loss fit to ORNL/TM-2006/423 Table B-1 (2004 Prius MG2 inverter; see the module docstring):
# P_0 [W], V_0' [W/A], R' [W/A²] (three phases: 8.97 mΩ each), K_sw [W/(A·V)], at the reference current I_pk.
INV_2004 = dict(fixed_w=35.2, cond_w_per_a=3.574, r_w_per_a2=0.02690, sw_w_per_a_v=0.010472, i_pk_a=200.0)
PEAK_CURRENT_PER_W_V = 2.0  # I_pk·V_dc/P_pk of the 2004 MG2: 200 A × 500 V / 50 kW (ORNL Table B-1: 191 A at 375 N·m)
V_LIMIT_FACTOR = 3.0 / (2.0 * 2.0**0.5)  # P_ac = this × V_dc × I at modulation index × power factor = 1
# E: the largest automotive traction inverters carry ≈ 1000 A rms per phase; five times that is refused as a bus voltage
# far too low for the machine's power (the ORNL fit, scaled with the current, means nothing there)
MAX_PHASE_CURRENT_A = 5000.0
# E: the magnets' share of the corner-point flux linkage of an IPM machine (module docstring, variable-voltage bus)
NO_LOAD_VOLTAGE_FRACTION = 0.5
# boost converter from the ORNL 2004 devices (module docstring): 3 phases × mean |i|/I_rms = 2√2/π per phase leg
_LEGS = 3.0 * 2.0 * 2.0**0.5 / np.pi
BOOST_2004 = dict(v0_v=INV_2004["cond_w_per_a"] / _LEGS, r_ohm_at_200a=2.0 * INV_2004["r_w_per_a2"] / 3.0,
                  sw_w_per_a_v=INV_2004["sw_w_per_a_v"] / _LEGS)

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
    inverter_efficiency: float  # > 0: the legacy constant efficiency; 0: the inverter loss model below
    inertia_kgm2: float
    use_map: float  # 1.0: the loss comes from map_loss_w (bilinear), 0.0: from the coefficients
    map_loss_w: np.ndarray  # motoring loss on the uniform |ω| × |T| grid (1×1 zeros without a map) [W]
    map_loss_gen_w: np.ndarray  # generating loss (T·ω < 0) on the same grid [W]
    map_speed_step_rad_s: float
    map_torque_step_nm: float
    idle_fraction: float  # an idle machine (T = 0) loses this share of the zero-torque loss (no_load_drag_fraction)
    inv_fixed_w: float  # inverter loss model (all 0 with the constant inverter_efficiency > 0): P_0 [W]
    inv_cond_w_per_a: float  # V_0' [W/A]
    inv_r_w_per_a2: float  # R' [W/A²]
    inv_sw_w_per_a_v: float  # K_sw [W/(A·V)]
    inv_a_per_nm: float  # I_pk/T_pk [A/(N·m)]
    inv_v_max: float  # dc_bus_voltage_v: the bus (fixed) or its ceiling (variable) [V]
    inv_v_min: float  # the variable bus's floor (the pack); = inv_v_max on a fixed bus [V]
    inv_v_per_rad_s: float  # V_max/ω_b: the voltage demand per rad/s at peak torque [V·s/rad]
    inv_e0: float  # no_load_voltage_fraction [-]
    boost_v0_v: float  # boost converter (all 0 without one): V_0b [V]
    boost_r_ohm: float  # R_b [Ω]
    boost_sw_w_per_a_v: float  # K_b [W/(A·V)]


@dataclass(frozen=True)
class Motor:
    """One electric machine (TOML table ``[motors.<name>]``)."""

    peak_power_kw: float = param("Peak mechanical power. [kW]", lo=0.1, hi=2000)
    peak_torque_nm: float = param("Peak torque. [N·m]", lo=0.1, hi=5000)
    max_speed_rpm: float = param("Maximum rotor speed. [rpm]", lo=100, hi=40000)
    inertia_kgm2: float = param("Rotor inertia (car machines 0.01–0.1; 1 allows the largest bus motors). "
                                "[kg·m²]", default=0.02, lo=0, hi=1)
    inverter_efficiency: float | None = param(
        "Legacy constant inverter efficiency; when given it replaces the inverter loss model. [-]", default=None,
        lo=0.5, hi=1)
    dc_bus_voltage_v: float = param(
        "Inverter DC-link voltage (with a boost converter: its ceiling; default: ORNL's 2004 test bus). [V]",
        default=500.0, lo=12, hi=1500)
    dc_bus_min_voltage_v: float | None = param(
        "A variable-voltage bus behind a boost converter (THS-II, i-MMD): its floor, the pack voltage; the bus "
        "rises from it to dc_bus_voltage_v as the machine's voltage demand needs. Unset: a fixed bus. [V]",
        default=None, lo=12, hi=1500)
    no_load_voltage_fraction: float = param(
        "The magnets' share of the machine's flux linkage at peak torque (voltage demand at no load / at peak "
        "torque, same speed): sets the variable bus. [-]", default=NO_LOAD_VOLTAGE_FRACTION, lo=0.05, hi=1)
    inverter_peak_current_a: float | None = param(
        "rms phase current at peak torque (default 2·P_pk/V_dc, the 2004 Prius MG2's ratio). [A]", default=None,
        lo=1, hi=5000)
    inverter_loss_scale: float = param("Factor on the inverter loss model (ORNL 2004 Prius fit). [-]",
                                       default=1.0, lo=0.1, hi=5)
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
        if self.loss_map_includes_inverter and self.inverter_efficiency not in (None, 1.0):
            raise ValueError(f"motors.inverter_efficiency = {self.inverter_efficiency}: must be 1 when "
                             "loss_map_includes_inverter = true (the map already holds the inverter's loss)")
        if self.loss_map_file is not None:
            loss_table(self.loss_map_file, self.loss_map_column)  # a bad map is refused at load
        if self.inverter_peak_current_a is None and self.inverter_peak_current() > MAX_PHASE_CURRENT_A:
            v_lo = PEAK_CURRENT_PER_W_V * self.peak_power_kw * 1e3 / MAX_PHASE_CURRENT_A
            raise ValueError(
                f"motors.dc_bus_voltage_v = {self.dc_bus_voltage_v!r}: the inverter's peak phase current "
                f"2·P_pk/V_dc = {self.inverter_peak_current():.0f} A exceeds {MAX_PHASE_CURRENT_A:.0f} A; allowed "
                f">= {v_lo:.4g} V for peak_power_kw = {self.peak_power_kw:g}")
        if self.dc_bus_min_voltage_v is not None and self.dc_bus_min_voltage_v > self.dc_bus_voltage_v:
            raise ValueError(
                f"motors.dc_bus_min_voltage_v = {self.dc_bus_min_voltage_v!r}: the variable bus's floor must not "
                f"exceed its ceiling, allowed <= dc_bus_voltage_v = {self.dc_bus_voltage_v:g}")
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

    def inverter_peak_current(self) -> float:
        """I_pk: rms phase current at peak torque. [A]"""
        if self.inverter_peak_current_a is not None:
            return self.inverter_peak_current_a
        return PEAK_CURRENT_PER_W_V * self.peak_power_kw * 1e3 / self.dc_bus_voltage_v

    def inverter_coefficients(self) -> tuple[float, float, float, float]:
        """(P_0 [W], V_0' [W/A], R' [W/A²], K_sw [W/(A·V)]) of the inverter loss model after scaling."""
        r = self.inverter_peak_current() / INV_2004["i_pk_a"]
        f = self.inverter_loss_scale
        return (INV_2004["fixed_w"] * r * f, INV_2004["cond_w_per_a"] * f, INV_2004["r_w_per_a2"] / r * f,
                INV_2004["sw_w_per_a_v"] * f)

    def boost_coefficients(self) -> tuple[float, float, float]:
        """(V_0b [V], R_b [Ω], K_b [W/(A·V)]) of the boost converter (module docstring); zeros without one."""
        if self.dc_bus_min_voltage_v is None or self.dc_bus_min_voltage_v >= self.dc_bus_voltage_v:
            return 0.0, 0.0, 0.0
        i_b = self.peak_power_kw * 1e3 / self.dc_bus_min_voltage_v  # rated converter current
        f = self.inverter_loss_scale
        return (BOOST_2004["v0_v"] * f, BOOST_2004["r_ohm_at_200a"] * INV_2004["i_pk_a"] / i_b * f,
                BOOST_2004["sw_w_per_a_v"] * f)

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
        v_max = float(self.dc_bus_voltage_v)
        v_min = v_max if self.dc_bus_min_voltage_v is None else float(self.dc_bus_min_voltage_v)
        bus = (v_max, v_min, v_max * self.peak_torque_nm / (self.peak_power_kw * 1e3),
               float(self.no_load_voltage_fraction))
        if self.loss_map_includes_inverter or self.inverter_efficiency is not None:
            eta = 1.0 if self.inverter_efficiency is None else float(self.inverter_efficiency)
            inv = (0.0,) * 5 + bus + (0.0,) * 3
        else:
            eta = 0.0  # the loss model
            p0, v0, r, ksw = self.inverter_coefficients()
            inv = (p0, v0, r, ksw, self.inverter_peak_current() / self.peak_torque_nm) + bus + self.boost_coefficients()
        return MotorK(float(self.peak_torque_nm), float(self.peak_power_kw * 1e3),
                      float(self.max_speed_rpm * RPM), float(kc), float(ki), float(kw), float(c),
                      float(self.c_full_torque_nm()),
                      eta, float(self.inertia_kgm2), use, table, table_gen,
                      float(dw), float(dt), float(self.no_load_drag_fraction), *(float(x) for x in inv))


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
