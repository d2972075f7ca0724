"""Electric machine (PMSM) with its inverter: torque envelope and loss model.

Envelope (reference/components.md §2.3): ``T_max(ω) = min(T_pk, P_pk/ω)``, the same magnitude when
generating. Losses (§2.2; Larminie & Lowry, *Electric Vehicle Technology Explained*, ch. 7)::

    P_loss(T, ω) = kc·T² + ki·|ω| + kw·|ω|³ + C·min(|T|/T_C, 1)   (copper, iron, windage, "constant")
    P_ac = T·ω + P_loss                                             (> 0 motoring, < 0 generating)

Iron and windage loss drag a spinning rotor at zero torque. The constant C is what the least-squares fit
needs at the map's lowest measured torque (10 N·m on the 2010 MG2: about 300 W more loss there than
copper, iron and windage explain); the map says nothing below that torque, and a machine whose inverter
is not switching (zero torque) has no such loss, so C ramps in linearly from zero torque to
T_C = the lowest measured torque (scaled like the torque), instead of stepping from 0 to C at the
smallest torque (which charged an MG1 that only spins its own rotor the full C).

The default coefficients are the least-squares fit to the
measured 2010 Prius MG2 map (kc = 0.236 W/(N·m)², ki = 0.796 W·s/rad, kw = 6.44e-7 W·s³/rad³,
C = 347 W; peak 207 N·m, 13,500 rpm), scaled to another machine by its torque and speed ratios
(ADVISOR's rule, §2.2): kc' = kc·s_ω/s_T, ki' = ki·s_T, kw' = kw·s_T/s_ω², C' = C·s_T·s_ω, times
``loss_scale`` (e.g. 0.7 for a modern machine). Inverter (§2.4): ``P_dc = P_ac/η_inv`` when motoring,
``P_ac·η_inv`` when generating.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ._schema import check, param
from .engine import RPM

MG2_2010 = dict(kc=0.236, ki=0.796, kw=6.44e-7, c=347.0, torque_nm=207.0, speed_rpm=13500.0,
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

    def __post_init__(self):
        check(self, "motors")
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

    def to_kernel(self) -> MotorK:
        kc, ki, kw, c = self.loss_coefficients()
        return MotorK(float(self.peak_torque_nm), float(self.peak_power_kw * 1e3),
                      float(self.max_speed_rpm * RPM), float(kc), float(ki), float(kw), float(c),
                      float(self.c_full_torque_nm()),
                      float(self.inverter_efficiency), float(self.inertia_kgm2))
