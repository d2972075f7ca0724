"""Chassis: mass, wheels, road load.

Road load (reference/components.md §6.1; WLTP/EU convention, v in km/h)::

    F_RL(v) = F0 + F1·v + F2·v²               coast-down coefficients when the file gives them
    F0 = m·g·C_rr,  F1 = 0,  F2 = ½·ρ·C_d·A/3.6²   otherwise (physical estimate)
    on a grade θ = atan(grade):  F = F0·cos θ + F1·v + F2·v² + m·g·sin θ

F1 may be negative (real EPA target coefficients have it, e.g. a Corolla 1.8 CVT, B = −0.104 lbf/mph) as long
as the force stays positive from standstill to :data:`ROAD_LOAD_CHECK_SPEED_KMH`. Coast-down coefficients
already contain the aerodynamic drag and the rolling resistance, so a file giving them may not also give
``drag_coefficient``, ``frontal_area_m2`` or ``rolling_resistance_coefficient`` (they would be silently
ignored; a sweep over them would return the same number every time): one clear error instead.

A vehicle file can also state, per test procedure, the test mass together with the road load measured or
set for it (:class:`ProcedureRoadLoad`, TOML ``[test_conditions.<procedure>]``); the procedure then uses
both as they are (``hybridsim/procedures/_common.py``).

Inside the package the coefficients are converted once to SI: ``c0`` [N], ``c1`` [N/(m/s)],
``c2`` [N/(m/s)²]. Rotating inertia is explicit: the wheels (and whatever else each architecture ties
to the wheels) add ``J/r²`` to the translating mass.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..units import KMH_PER_MPS
from ._schema import check, param

G_MPS2 = 9.80665  # standard gravity [m/s²]
KMH = 1 / KMH_PER_MPS  # 1 km/h in m/s
#: Upper end of the speed range over which a road load with a negative F1 must stay positive (E: above the
#: top speed of every shipped vehicle; the file has no top speed of its own for every architecture). [km/h]
ROAD_LOAD_CHECK_SPEED_KMH = 300.0
#: Procedures a ``[test_conditions.<name>]`` table may name (the ones that use a test mass and road load).
TEST_CONDITION_PROCEDURES = ("epa", "wltp", "nedc")
_PHYSICAL_KEYS = ("drag_coefficient", "frontal_area_m2", "rolling_resistance_coefficient")


def road_load_minimum(f0_n: float, f1_n_per_kmh: float, f2_n_per_kmh2: float,
                      v_max_kmh: float = ROAD_LOAD_CHECK_SPEED_KMH) -> tuple[float, float]:
    """(smallest force [N], speed where it occurs [km/h]) of F0 + F1·v + F2·v² over 0 … ``v_max_kmh``."""
    candidates = [0.0, float(v_max_kmh)]
    if f2_n_per_kmh2 > 0 and f1_n_per_kmh < 0:
        v_star = -f1_n_per_kmh / (2.0 * f2_n_per_kmh2)
        if v_star < v_max_kmh:
            candidates.append(v_star)
    return min((f0_n + f1_n_per_kmh * v + f2_n_per_kmh2 * v * v, v) for v in candidates)


def check_road_load(f0_n: float, f1_n_per_kmh: float, f2_n_per_kmh2: float, section: str) -> None:
    """Refuse a negative F1 that makes the road-load force ≤ 0 somewhere in 0 … ROAD_LOAD_CHECK_SPEED_KMH."""
    if f1_n_per_kmh >= 0:
        return
    f_min, v = road_load_minimum(f0_n, f1_n_per_kmh, f2_n_per_kmh2)
    if not f_min > 0:
        raise ValueError(
            f"{section}.road_load_f1_n_per_kmh = {f1_n_per_kmh!r}: out of range, allowed a value for which the road "
            f"load F0 + F1·v + F2·v² stays > 0 from 0 to {ROAD_LOAD_CHECK_SPEED_KMH:g} km/h; with F0 = {f0_n!r} N "
            f"and F2 = {f2_n_per_kmh2!r} N/(km/h)² it is {f_min:.1f} N at {v:.0f} km/h")


class ChassisK(NamedTuple):
    """Chassis parameters for the numba core (SI)."""

    mass_kg: float  # simulated (test) mass: curb + payload
    mass_eff_kg: float  # + wheel rotational inertia J_w / r²
    wheel_radius_m: float
    c0_n: float
    c1_n_per_mps: float
    c2_n_per_mps2: float


@dataclass(frozen=True)
class Chassis:
    """Body, mass, wheels and road load of a vehicle (TOML table ``[chassis]``)."""

    mass_kg: float = param("Curb mass (kerb, DIN: fluids, 90 % fuel, no driver). [kg]", lo=100, hi=10000)
    wheel_radius_m: float = param("Dynamic rolling radius of the driven wheels. [m]", lo=0.15, hi=0.8)
    payload_kg: float = param("Mass added for simulation (driver, test payload). [kg]", default=100.0,
                              lo=0, hi=5000)
    wheel_inertia_kgm2: float = param("Rotational inertia of all wheels with tyres, brakes and hubs. "
                                      "[kg·m²]", default=3.3, lo=0, hi=100)
    road_load_f0_n: float | None = param("Coast-down F0. [N]", default=None, lo=0, hi=5000)
    road_load_f1_n_per_kmh: float | None = param("Coast-down F1 (may be negative while the road load stays "
                                                 "positive). [N/(km/h)]", default=None, lo=-50, hi=50)
    road_load_f2_n_per_kmh2: float | None = param("Coast-down F2. [N/(km/h)²]", default=None,
                                                  lo=0, hi=1)
    road_load_includes_machine_drag: bool = param(
        "The coast-down coefficients (here and in [test_conditions]) were measured coasting in neutral (a "
        "coast-down test, EPA target or WLTP road load), so they hold the drag of every electric machine that "
        "turns with the wheels then (a THS-II's MG1 and MG2, a BEV's motors); the simulation takes the machines' "
        "modelled no-load loss out of them so that it is not counted twice (components/coastdown.py). False for "
        "coefficients estimated from C_rr and C_d·A.", default=False)
    drag_coefficient: float | None = param("Aerodynamic drag coefficient C_d. [-]", default=None,
                                           lo=0.1, hi=1.5)
    frontal_area_m2: float | None = param("Frontal area A. [m²]", default=None, lo=0.5, hi=15)
    rolling_resistance_coefficient: float | None = param("Tyre rolling-resistance coefficient C_rr. [-]",
                                                         default=None, lo=0.002, hi=0.05)
    air_density_kg_m3: float = param("Air density. [kg/m³]", default=1.2, lo=0.5, hi=1.6)
    wheelbase_m: float | None = param("Wheelbase. [m]", default=None, lo=1, hi=6)
    cg_height_m: float | None = param("Height of the centre of gravity. [m]", default=None, lo=0.2, hi=2)
    front_axle_load_share: float | None = param("Static share of the weight on the front axle. [-]",
                                                default=None, lo=0.2, hi=0.8)
    length_m: float | None = param("Overall length. [m]", default=None, lo=2, hi=15)
    width_m: float | None = param("Overall width (without mirrors). [m]", default=None, lo=1, hi=3)
    height_m: float | None = param("Overall height. [m]", default=None, lo=1, hi=4)
    tyre_friction_coefficient: float | None = param(
        "Peak tyre-road friction coefficient for traction limits (performance; default: an estimate in "
        "performance.py). [-]", default=None, lo=0.1, hi=2)
    driven_axles: str | None = param("Driven axles (performance; default per architecture).", default=None,
                                     choices=("front", "rear", "all"))
    max_laden_mass_kg: float | None = param(
        "Technically permissible maximum laden mass (GVM, 'maximum authorised mass') for the WLTP test mass "
        "(procedures; default: an estimate there). [kg]", default=None, lo=100, hi=20000)

    def __post_init__(self):
        check(self, "chassis")
        coast = (self.road_load_f0_n, self.road_load_f1_n_per_kmh, self.road_load_f2_n_per_kmh2)
        phys = (self.drag_coefficient, self.frontal_area_m2, self.rolling_resistance_coefficient)
        if any(c is not None for c in coast) and any(c is None for c in coast):
            raise ValueError(
                f"chassis.road_load_f0_n/f1/f2 = {coast}: give all three coast-down coefficients or none "
                "(allowed: all three set, or none)"
            )
        if all(c is not None for c in coast):
            check_road_load(*coast, "chassis")
            given = [(k, getattr(self, k)) for k in _PHYSICAL_KEYS if getattr(self, k) is not None]
            if given:
                key, val = given[0]
                raise ValueError(
                    f"chassis.{key} = {val!r}: not used when the coast-down coefficients road_load_f0_n/f1/f2 are "
                    "given (they already contain aerodynamic drag and rolling resistance); remove it (a comment "
                    "can keep the figure), or remove the coefficients to use the physical estimate (allowed: "
                    "None here)")
        if self.road_load_includes_machine_drag and not all(c is not None for c in coast):
            raise ValueError("chassis.road_load_includes_machine_drag = true: needs the coast-down coefficients "
                             "road_load_f0_n/f1/f2 (allowed: false when the road load comes from C_d, A and C_rr)")
        if self.max_laden_mass_kg is not None and self.max_laden_mass_kg < self.mass_kg:
            raise ValueError(f"chassis.max_laden_mass_kg = {self.max_laden_mass_kg}: out of range, allowed >= "
                             f"chassis.mass_kg = {self.mass_kg}")
        if all(c is None for c in coast) and any(c is None for c in phys):
            names = ("drag_coefficient", "frontal_area_m2", "rolling_resistance_coefficient")
            missing = names[[c is None for c in phys].index(True)]
            raise ValueError(
                f"chassis.{missing} = None: required without coast-down coefficients (road_load_f0_n, "
                "road_load_f1_n_per_kmh, road_load_f2_n_per_kmh2): the file must give drag_coefficient, "
                f"frontal_area_m2 and rolling_resistance_coefficient (got {phys})"
            )

    @property
    def sim_mass_kg(self) -> float:
        """Mass used in simulation: curb mass + payload. [kg]"""
        return self.mass_kg + self.payload_kg

    @property
    def has_coastdown(self) -> bool:
        return self.road_load_f0_n is not None

    def road_load_coefficients(self) -> tuple[float, float, float]:
        """(F0 [N], F1 [N/(km/h)], F2 [N/(km/h)²]) as used in simulation."""
        if self.has_coastdown:
            return (self.road_load_f0_n, self.road_load_f1_n_per_kmh, self.road_load_f2_n_per_kmh2)
        f0 = self.sim_mass_kg * G_MPS2 * self.rolling_resistance_coefficient
        f2 = 0.5 * self.air_density_kg_m3 * self.drag_coefficient * self.frontal_area_m2 / KMH_PER_MPS**2
        return (f0, 0.0, f2)

    def with_road_load(self, f0_n: float, f1_n_per_kmh: float, f2_n_per_kmh2: float) -> Chassis:
        """A copy with the coast-down coefficients given (the physical-estimate keys dropped)."""
        return dataclasses.replace(self, road_load_f0_n=float(f0_n), road_load_f1_n_per_kmh=float(f1_n_per_kmh),
                                   road_load_f2_n_per_kmh2=float(f2_n_per_kmh2),
                                   **{k: None for k in _PHYSICAL_KEYS})

    def to_kernel(self) -> ChassisK:
        f0, f1, f2 = self.road_load_coefficients()
        r = self.wheel_radius_m
        return ChassisK(
            mass_kg=float(self.sim_mass_kg),
            mass_eff_kg=float(self.sim_mass_kg + self.wheel_inertia_kgm2 / r**2),
            wheel_radius_m=float(r),
            c0_n=float(f0),
            c1_n_per_mps=float(f1 * KMH_PER_MPS),
            c2_n_per_mps2=float(f2 * KMH_PER_MPS**2),
        )


@dataclass(frozen=True)
class ProcedureRoadLoad:
    """Test mass and the road load that belongs to it, for one procedure (TOML ``[test_conditions.<procedure>]``).

    Real test data come as a pair: EPA target coefficients at the equivalent test weight (ETW), a WLTP road
    load at TM_L or TM_H, an NEDC road load at the inertia class. When a file states the pair for a
    procedure, that procedure runs at ``test_mass_kg`` with F0, F1, F2 exactly as given (no rescaling).
    """

    test_mass_kg: float = param("Test mass (inertia set on the dynamometer): EPA ETW, WLTP TM_L/TM_H, NEDC "
                                "inertia class. [kg]", lo=100, hi=20000)
    road_load_f0_n: float = param("Road load F0 at the test mass. [N]", lo=0, hi=5000)
    road_load_f1_n_per_kmh: float = param("Road load F1 (may be negative while the road load stays positive). "
                                          "[N/(km/h)]", lo=-50, hi=50)
    road_load_f2_n_per_kmh2: float = param("Road load F2. [N/(km/h)²]", lo=0, hi=1)
    source: str = param("Where the test mass and the coefficients come from.")
    test_mass_name: str = param("What the test mass is in the procedure's words, e.g. ETW, TM_H, inertia class.",
                                default="")
    note: str = param("Anything a reader must know (e.g. which test vehicle of a family).", default="")
    procedure: str = dataclasses.field(default="")  # the table's name (set by the loader; not a file key)

    def __post_init__(self):
        section = f"test_conditions.{self.procedure}" if self.procedure else "test_conditions"
        if self.procedure and self.procedure not in TEST_CONDITION_PROCEDURES:
            raise ValueError(f"[{section}]: unknown procedure {self.procedure!r}; allowed: "
                             f"{', '.join(TEST_CONDITION_PROCEDURES)}")
        check(self, section)
        check_road_load(self.road_load_f0_n, self.road_load_f1_n_per_kmh, self.road_load_f2_n_per_kmh2, section)

    @property
    def coefficients(self) -> tuple[float, float, float]:
        """(F0 [N], F1 [N/(km/h)], F2 [N/(km/h)²])."""
        return (self.road_load_f0_n, self.road_load_f1_n_per_kmh, self.road_load_f2_n_per_kmh2)


def road_load_force_n(ch: ChassisK, speed_mps, grade=0.0):
    """Road-load force F = c0·cos θ + c1·v + c2·v² + m·g·sin θ at speed v (no inertia). [N]

    Works on scalars and numpy arrays; the numba core has its own copy in ``core/chassis.py`` and the
    tests check that the two agree.
    """
    theta = np.arctan(grade)
    v = np.asarray(speed_mps, dtype=float)
    return (ch.c0_n * np.cos(theta) + ch.c1_n_per_mps * v + ch.c2_n_per_mps2 * v * v
            + ch.mass_kg * G_MPS2 * np.sin(theta))


def wheel_energy_j(ch: ChassisK, time_s, speed_mps, grade) -> float:
    """Energy demanded at the wheels over a speed trace, by the package's discretisation. [J]

    Per interval: mean speed v̄ = (v0+v1)/2, a = (v1−v0)/dt, F = m_eff·a + F_RL(v̄, θ) (F_RL = 0 at
    standstill), E = Σ F·v̄·dt. The kinetic part telescopes to ½·m_eff·(v_end² − v_start²).
    """
    t = np.asarray(time_s, float)
    v = np.asarray(speed_mps, float)
    g = np.asarray(grade, float)
    dt = np.diff(t)
    vbar = 0.5 * (v[1:] + v[:-1])
    acc = np.diff(v) / dt
    rl = road_load_force_n(ch, vbar, g[1:])
    f = ch.mass_eff_kg * acc + np.where(vbar > 0, rl, 0.0)
    return float(np.sum(f * vbar * dt))


__all__ = ["CHASSIS_ATTR_PREFIX", "Chassis", "ChassisK", "DEFAULT_TYRE_MU", "G_MPS2", "KMH", "ProcedureRoadLoad",
           "ROAD_LOAD_CHECK_SPEED_KMH", "TEST_CONDITION_PROCEDURES", "chassis_attrs", "chassis_from_attrs",
           "check_road_load", "road_load_force_n", "road_load_minimum", "tyre_mu", "wheel_energy_j"]

#: E: peak tyre–road friction on dry asphalt with ordinary road tyres, 0.8–1.0 (Wong, ch. 1, M).
DEFAULT_TYRE_MU = 0.9


def tyre_mu(c: Chassis) -> float:
    """Friction coefficient of the traction limit: ``c.tyre_friction_coefficient``, else :data:`DEFAULT_TYRE_MU`."""
    return DEFAULT_TYRE_MU if c.tyre_friction_coefficient is None else c.tyre_friction_coefficient


#: The simulated chassis (curb mass + payload, road-load coefficients in SI) is written into the run
#: attributes as ``simulated_<field>`` — not ``chassis_...``, which a sweep over the vehicle file's
#: ``chassis.mass_kg`` (the curb mass) would sit next to with a different value.
CHASSIS_ATTR_PREFIX = "simulated_"


def chassis_attrs(ch: ChassisK) -> dict[str, float]:
    """Run attributes describing the simulated chassis (see :data:`CHASSIS_ATTR_PREFIX`)."""
    return {f"{CHASSIS_ATTR_PREFIX}{f}": float(getattr(ch, f)) for f in ChassisK._fields}


def chassis_from_attrs(attrs) -> ChassisK:
    """The simulated chassis back from run attributes (also reads files written before the rename)."""
    def get(f):
        key = f"{CHASSIS_ATTR_PREFIX}{f}"
        return float(attrs[key] if key in attrs else attrs[f"chassis_{f}"])

    return ChassisK(*(get(f) for f in ChassisK._fields))
