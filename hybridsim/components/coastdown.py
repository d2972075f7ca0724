"""Machine drag inside a measured coast-down road load.

A coast-down test (SAE J2263, 40 CFR 1066.301, GTR 15 Annex 4) lets the car roll in neutral from about
115 to 15 km/h and fits ``F(v) = F0 + F1·v + F2·v²`` to the deceleration. Everything that turns with the
wheels in neutral brakes the car during that test and is therefore inside F0, F1, F2: tyres, bearings,
brake drag, air, and the no-load loss of every electric machine geared to the wheels without a clutch (a
THS-II's MG2 and, with the engine stopped, its MG1; a BEV's permanent-magnet motors, whose magnets induce
iron loss in the stator with the inverter off). A simulation that applies the measured road load *and*
charges each idle machine its no-load loss (``core/electric.motor_loss_w`` at zero torque: the share
``no_load_drag_fraction`` of the fit's iron and windage, ``Motor.no_load_loss_w``) counts that drag twice.
The EPA's own dynamometer setting does the converse subtraction: the set
coefficients are the target minus the vehicle's measured parasitic loss (40 CFR 1066.305).

So when ``chassis.road_load_includes_machine_drag`` is true, the chassis force becomes the coast-down force
minus the machines' drag in the coast-down configuration::

    F_drag(v) = Σ_i P_no-load,i(g_i·v) / v        g_i = machine speed per road speed [rad/s per m/s]
    F_chassis(v) = F_coast(v) − F_drag(v)

Only the idle drag is in the coast-down, not the loaded machine's zero-torque loss: the EPA target road loads of
same-model pairs that differ by one permanent-magnet drive unit (Taycan 4S against the Taycan RWD, Polestar 2 dual
against single motor, Mach-E AWD against RWD; US EPA test car list MY2022) differ by 1–11 N at 50 km/h, as much as
pairs that differ by an induction unit without magnets (Model 3, ID.4), where the fit's whole zero-torque loss
would be 28 N for the Taycan's front machine alone (components/motor.NO_LOAD_DRAG_FRACTION).

For the loss fit ``f·(ki·|ω| + kw·|ω|³)`` the drag is exactly quadratic (ΔF0 = f·Σ ki·g_i, ΔF2 = f·Σ kw·g_i³); a
machine with a measured map is fitted by least squares over the coast-down speeds 15–115 km/h (a
smoothing of the map's zero-torque column, which is extrapolated from its lowest measured torques and is not
smooth). The drag
does not disappear from the run: the machines' losses in the kernels still hold it, now once.
"""

from __future__ import annotations

import numpy as np

from ..units import KMH_PER_MPS
from .chassis import ROAD_LOAD_CHECK_SPEED_KMH, road_load_minimum

COASTDOWN_SPEEDS_KMH = (15.0, 115.0)  # the coast-down's speed range (SAE J2263 / 40 CFR 1066.301)


def machine_drag_coefficients(machines) -> tuple[float, float, float]:
    """(ΔF0 [N], ΔF1 [N/(m/s)], ΔF2 [N/(m/s)²]) of the no-load drag of ``machines``, a sequence of
    (``Motor``, g) with g the machine's speed per road speed in the coast-down [rad/s per m/s]."""
    v = np.linspace(COASTDOWN_SPEEDS_KMH[0], COASTDOWN_SPEEDS_KMH[1], 101) / KMH_PER_MPS
    force = sum(m.no_load_loss_w(g * v) for m, g in machines) / v
    c0, c1, c2 = np.polynomial.polynomial.polyfit(v, force, 2)
    return float(c0), float(c1), float(c2)


def without_machine_drag(ch, chassis, machines, where: str = "chassis"):
    """``ch`` (ChassisK) with the machines' coast-down drag taken out of its road load when
    ``chassis.road_load_includes_machine_drag``; unchanged otherwise. Refuses a machine drag that would
    leave no positive road load (the measured coast-down cannot have held it)."""
    if not chassis.road_load_includes_machine_drag or not machines:
        return ch
    d0, d1, d2 = machine_drag_coefficients(machines)
    c0, c1, c2 = ch.c0_n - d0, ch.c1_n_per_mps - d1, ch.c2_n_per_mps2 - d2
    f_min, v_at = road_load_minimum(c0, c1 / KMH_PER_MPS, c2 / KMH_PER_MPS**2)
    if not f_min > 0:
        raise ValueError(
            f"{where}.road_load_includes_machine_drag = true: the machines' modelled no-load drag (ΔF0 = {d0:.4g} N, "
            f"ΔF1 = {d1 / KMH_PER_MPS:.4g} N/(km/h), ΔF2 = {d2 / KMH_PER_MPS**2:.4g} N/(km/h)²) leaves a road load of "
            f"{f_min:.1f} N at {v_at:.0f} km/h; allowed: a machine drag smaller than the coast-down force from 0 to "
            f"{ROAD_LOAD_CHECK_SPEED_KMH:g} km/h (check the machines' loss coefficients), or false")
    return ch._replace(c0_n=c0, c1_n_per_mps=c1, c2_n_per_mps2=c2)


__all__ = ["COASTDOWN_SPEEDS_KMH", "machine_drag_coefficients", "without_machine_drag"]
