"""Step-ratio transmission (automatic with torque converter, AMT/DCT, or manual) and final drive.

A manual box (``kind = "manual"``) has the same torque and loss model; its gears are not chosen by the
controller but follow the procedure being run (``hybridsim/gearshift.py``: GTR 15 Annex 2 on the WLTC, the
R83 fixed shift speeds on the NEDC, the Annex 2 rule applied to the trace elsewhere).

**CVT** (``kind = "cvt"``, a push-belt or chain variator; ``core/conventional.py``, ``cvt_point``):
``gear_ratios`` holds the two ends of the variator's range (underdrive first), ``gear_efficiencies`` the
variator's mechanical efficiency at each end (linear in the ratio in between), and the loss model is::

    T_in = T_out/(i·η(i)) + T_drag   (traction),   T_out·η(i)/i + T_drag   (overrun),   while ω_in > 0

with i = i_variator·i_fd, η(i) = η_variator(i)·η_fd and ``cvt_drag_torque_nm`` = T_drag, the torque of the
oil pump that keeps the clamping pressure and of the belt's no-load friction. The overall efficiency
η(i)·(1 − T_drag/T_in) thus rises with the transmitted torque, the measured shape of belt-CVT efficiency:
low at part load (pump and clamping losses dominate), highest near full load ([SH1]: Srivastava & Haque, "A
review on belt and chain continuously variable transmissions (CVT): dynamics and control", Mechanism and
Machine Theory 44 (2009) 19–41, which collects measured push-belt efficiencies of about 0.85–0.95 depending on load
and ratio; M, not re-read here). The ratio is chosen so that the engine follows its minimum-fuel operating
line within the range (``cvt_point``); a torque converter (``converter_k_factor_rpm_per_sqrt_nm``) launches
the car as in an automatic.

Torque through gear g with mesh efficiency η_g and final drive η_fd (power-flow dependent)::

    traction (T_wheel ≥ 0):  T_in = T_wheel / (i_g·i_fd·η_g·η_fd)
    overrun  (T_wheel < 0):  T_in = T_wheel·η_g·η_fd / (i_g·i_fd)
    ω_in = ω_wheel·i_g·i_fd

Torque converter as launch slip: the pump (engine) speed that absorbs a pump torque T_p is ``ω_p = K·√T_p`` (K the
converter's capacity, "K-factor", taken constant), and the turbine (gearbox input) gets T_t = TR(SR)·T_p at the speed
ratio SR = ω_t/ω_p. Without torque multiplication (``converter_stall_torque_ratio`` = 1, the default: a fluid
coupling) T_p = T_in, the engine turns at ``ω_e = max(ω_in, ω_idle, K·√T_in)`` until the turbine catches up, and the
slip loss is ``T_in·(ω_e − ω_in)``; above ``ω_in ≥ max(ω_idle, K·√T_in)`` the converter is locked (no loss).

With torque multiplication (issue 17) the torque ratio falls linearly from its stall value TR₀ at SR = 0 to 1 at the
coupling point SR_c and is 1 above it, the characteristic of JRC's CO2MPAS ([J1] in docs/sources.md:
``clutch_tc.define_k_factor_curve``, torque ratio ``stand_still_torque_ratio`` at SR = 0, 1 from
``lockup_speed_ratio`` on; ``defaults.py`` ``default_tc_k_factor_curve`` for a generic converter: 1.9 and 0.87).
The pump speed then solves ω_p² · TR(ω_t/ω_p) = K²·T_t: below the coupling point
(TR = TR₀ − a·ω_t/ω_p, a = (TR₀ − 1)/SR_c) the quadratic TR₀·ω_p² − a·ω_t·ω_p − K²·T_t = 0 (core/driveline.py
``converter_pump_speed``); the engine gives T_p = T_t/TR (less torque at the same launch: a converter car keeps up
at a launch where a coupling falls behind) and the converter loss is T_p·ω_e − T_t·ω_t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._schema import check, param

RPM_PER_SQRT_NM = np.pi / 30.0  # K-factor unit conversion: rpm/√(N·m) → (rad/s)/√(N·m)


class GearboxK(NamedTuple):
    ratios: np.ndarray  # gear ratios, 1st first
    efficiencies: np.ndarray  # mesh efficiency of each gear
    final_drive_ratio: float
    final_drive_efficiency: float
    converter_k_rad_s_per_sqrt_nm: float  # 0 = no converter (ideal launch clutch at idle speed)
    converter_stall_torque_ratio: float  # turbine/pump torque at speed ratio 0; 1 = no multiplication
    converter_coupling_speed_ratio: float  # speed ratio from which the torque ratio is 1 (coupling point)


class CvtK(NamedTuple):
    """A CVT's variator for the conventional kernel; ``enabled`` = 0 for a step-ratio box (the rest unused)."""

    enabled: float
    ratio_low: float  # overall ratio (variator × final drive) at the underdrive end (the largest)
    ratio_high: float  # at the overdrive end (the smallest)
    eta_low: float  # efficiency (variator × final drive) at ratio_low
    eta_high: float  # at ratio_high
    drag_torque_nm: float  # constant drag at the input while it turns (pump, clamping)
    overrun_speed_rad_s: float  # engine speed held on overrun (just above the fuel cut-off speed)
    ool_power_step_w: float  # the engine's minimum-fuel operating line ω*(P) on a uniform power grid from 0
    ool_speed_rad_s: np.ndarray


@dataclass(frozen=True)
class Transmission:
    """Gearbox and final drive (TOML table ``[transmission]``)."""

    gear_ratios: tuple[float, ...] = param("Ratios of the forward gears, 1st first. [-]", lo=0.2, hi=20)
    gear_efficiencies: tuple[float, ...] = param("Mesh/spin efficiency of each gear. [-]", lo=0.5, hi=1)
    final_drive_ratio: float = param("Final drive (axle) ratio. [-]", lo=1, hi=20)
    final_drive_efficiency: float = param("Final drive efficiency. [-]", default=0.97, lo=0.5, hi=1)
    kind: str = param("Transmission type: automatic, amt and dct shift by the controller's rule; manual follows the "
                      "gears the procedure prescribes (hybridsim/gearshift.py); cvt: gear_ratios are the variator's "
                      "two ends (underdrive first) and the ratio follows the engine's operating line.",
                      default="automatic", choices=("automatic", "amt", "dct", "manual", "cvt"))
    converter_k_factor_rpm_per_sqrt_nm: float = param(
        "Torque-converter capacity K = n_pump/√T_pump (0 for a clutch). [rpm/√(N·m)]", default=0.0,
        lo=0, hi=1000)
    converter_stall_torque_ratio: float = param(
        "Torque-converter torque ratio (turbine/pump) at stall, speed ratio 0; 1 for none (a fluid coupling, the "
        "default). The ratio falls linearly to 1 at converter_coupling_speed_ratio. [-]", default=1.0, lo=1, hi=3.5)
    converter_coupling_speed_ratio: float = param(
        "Torque-converter speed ratio (turbine/pump) from which the torque ratio is 1 (the coupling point). [-]",
        default=0.87, lo=0.5, hi=0.99)
    input_inertia_kgm2: float = param("Rotating inertia on the gearbox input side. [kg·m²]",
                                      default=0.0, lo=0, hi=10)
    cvt_drag_torque_nm: float = param("CVT only: constant drag torque at the input while it turns (oil pump for "
                                      "the clamping pressure, belt no-load friction). [N·m]", default=0.0, lo=0,
                                      hi=50)

    def __post_init__(self):
        check(self, "transmission")
        if len(self.gear_efficiencies) != len(self.gear_ratios):
            raise ValueError(
                f"transmission.gear_efficiencies = {list(self.gear_efficiencies)}: needs one value per gear "
                f"({len(self.gear_ratios)} gears)")
        if self.kind == "manual" and self.converter_k_factor_rpm_per_sqrt_nm > 0:
            raise ValueError(f"transmission.converter_k_factor_rpm_per_sqrt_nm = "
                             f"{self.converter_k_factor_rpm_per_sqrt_nm}: out of range for kind = 'manual' (a clutch, "
                             "no torque converter), allowed 0")
        if self.converter_stall_torque_ratio > 1.0 and self.converter_k_factor_rpm_per_sqrt_nm <= 0:
            raise ValueError(f"transmission.converter_stall_torque_ratio = {self.converter_stall_torque_ratio}: out of "
                             "range without a torque converter (converter_k_factor_rpm_per_sqrt_nm = 0), allowed 1")
        if self.kind == "cvt" and len(self.gear_ratios) != 2:
            raise ValueError(f"transmission.gear_ratios = {list(self.gear_ratios)}: out of range for kind = 'cvt', "
                             "allowed two values (the variator's underdrive and overdrive ends)")
        if self.kind != "cvt" and self.cvt_drag_torque_nm > 0:
            raise ValueError(f"transmission.cvt_drag_torque_nm = {self.cvt_drag_torque_nm}: out of range for kind = "
                             f"{self.kind!r}, allowed 0 (only a CVT has it)")
        r = self.gear_ratios
        if any(b >= a for a, b in zip(r[:-1], r[1:], strict=True)):
            raise ValueError(f"transmission.gear_ratios = {list(r)}: must be strictly decreasing "
                             "(1st gear first)")

    @property
    def n_gears(self) -> int:
        return len(self.gear_ratios)

    def cvt_kernel(self, engine=None):
        """``core.conventional.CvtK``: the variator and the engine's minimum-fuel operating line (``engine``, an
        :class:`~hybridsim.components.engine.Engine`; needed for a CVT). ``enabled`` = 0 for other kinds."""
        fd, efd = self.final_drive_ratio, self.final_drive_efficiency
        if self.kind != "cvt":
            return CvtK(0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, np.zeros(2))
        from .engine import RPM
        from .engine_maps import optimal_operating_line

        e = engine
        cut = e.to_kernel().fuel_cutoff_min_speed_rad_s / RPM
        ool = optimal_operating_line(e.data(), e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM)
        return CvtK(
            enabled=1.0,
            ratio_low=float(self.gear_ratios[0] * fd),
            ratio_high=float(self.gear_ratios[1] * fd),
            eta_low=float(self.gear_efficiencies[0] * efd),
            eta_high=float(self.gear_efficiencies[1] * efd),
            drag_torque_nm=float(self.cvt_drag_torque_nm),
            # E: 5 % above the cut-off speed, so that the fuel stays cut on overrun as CVT controllers keep it
            overrun_speed_rad_s=float(1.05 * cut * RPM),
            ool_power_step_w=float(ool.power_w[1] - ool.power_w[0]),
            ool_speed_rad_s=np.ascontiguousarray(ool.speed_rad_s, dtype=np.float64),
        )

    def to_kernel(self) -> GearboxK:
        return GearboxK(
            ratios=np.asarray(self.gear_ratios, dtype=np.float64),
            efficiencies=np.asarray(self.gear_efficiencies, dtype=np.float64),
            final_drive_ratio=float(self.final_drive_ratio),
            final_drive_efficiency=float(self.final_drive_efficiency),
            converter_k_rad_s_per_sqrt_nm=float(self.converter_k_factor_rpm_per_sqrt_nm * RPM_PER_SQRT_NM),
            converter_stall_torque_ratio=float(self.converter_stall_torque_ratio),
            converter_coupling_speed_ratio=float(self.converter_coupling_speed_ratio),
        )
