"""Battery-electric car, one or two drive units: the Python side of ``core/bev`` (kernel arguments, full-charge
start).

A car with one drive unit gives the kernel, for the absent axle, the zero machine (:func:`motor_kernel`): no
torque (its envelope is 0, so the split puts everything on the other axle), no loss, no inertia. Every term it
adds to the kernel's sums is exactly 0, so the kernel of a single-motor car is the dual-motor kernel with one
axle idle, not an approximation (tested: its outputs are 0).

The rotors of both machines turn with the wheels; their inertia is added to the translating mass with
the rear unit in its top gear (the gear used almost always on a cycle; vehicles.md §3.2):
``m_eff += (J_f·i_f² + J_r·i_r,top²)/r²``; in a lower rear gear the kernel adds the rest of the rear
rotor's inertia on the rear axle and books it as ``rear_rotor_inertia_power``. The adjusted chassis
goes into the Dataset attributes, so the energy balance recomputes the wheel work with it. No SOC
balancing: a BEV's result is the energy drawn.
"""

from __future__ import annotations

import numpy as np

from ..components.chassis import chassis_attrs, tyre_mu
from ..components.coastdown import without_machine_drag
from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import common_attrs


def motor_kernel(vehicle: Vehicle, axle: str):
    """MotorK of the machine on ``axle`` ("front" or "rear"), or the zero machine when the car has none there:
    zero torque and power (so ``motor_tmax`` = 0), zero loss coefficients, inverter efficiency 1, no inertia, no
    speed limit (1e12 rad/s): its DC power, loss and torque are exactly 0 at any speed."""
    m = vehicle.motors.get(axle)
    if m is not None:
        return m.to_kernel()
    from ..components.motor import _NO_MAP, MotorK

    # the map arrays are the real machines' read-only placeholder, so that the kernel keeps one signature
    return MotorK(0.0, 0.0, 1e12, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, _NO_MAP, _NO_MAP, 1.0, 1.0, 1.0,
                  *(0.0,) * 12)


def rotor_inertia_kgm2(vehicle: Vehicle, axle: str) -> float:
    """Rotor inertia of the machine on ``axle``, 0 without one. [kg·m²]"""
    m = vehicle.motors.get(axle)
    return 0.0 if m is None else float(m.inertia_kgm2)


def bev_chassis(vehicle: Vehicle):
    """ChassisK with the rotors (rear unit in top gear) in the effective mass, and, for a measured coast-down,
    without the drag of the machines it holds (``components/coastdown.py``; a single-motor car has one)."""
    ch = vehicle.chassis.to_kernel()
    dk = vehicle.drive.to_kernel()
    j = (rotor_inertia_kgm2(vehicle, "front") * dk.front_ratio**2
         + rotor_inertia_kgm2(vehicle, "rear") * dk.rear_ratios[-1] ** 2)
    ch = ch._replace(mass_eff_kg=ch.mass_eff_kg + j / ch.wheel_radius_m**2)
    # a measured coast-down holds the machines' drag, the rear unit in its top gear (E: the gear it coasts in)
    g = {"front": dk.front_ratio, "rear": dk.rear_ratios[-1]}
    machines = tuple((m, g[axle] / ch.wheel_radius_m) for axle, m in vehicle.motors.items())
    return without_machine_drag(ch, vehicle.chassis, machines)


def bev_aux(vehicle: Vehicle):
    """Accessory load and traction-limit parameters of the kernel (``BevAuxK``)."""
    from ..core.bev import BevAuxK

    c = vehicle.chassis
    mu = tyre_mu(c)
    if c.front_axle_load_share is None:
        mu = 0.0  # no axle loads known: no traction limit in the cycle kernel
    share = 0.5 if c.front_axle_load_share is None else c.front_axle_load_share
    h_over_l = 0.0 if c.cg_height_m is None or c.wheelbase_m is None else c.cg_height_m / c.wheelbase_m
    return BevAuxK(float(vehicle.accessories.battery_power_w), float(mu), float(share), float(h_over_l),
                   float(0.5 * c.wheel_inertia_kgm2 / c.wheel_radius_m**2),
                   rotor_inertia_kgm2(vehicle, "front"), rotor_inertia_kgm2(vehicle, "rear"))


def axle_masses_kg(vehicle: Vehicle, g: int) -> tuple[float, float]:
    """(M_f, M_r): rotating inertia each axle's machine spins up, over r² — half the wheels (E: equal split)
    plus the rotor through its reduction, the rear in gear g. [kg]"""
    c = vehicle.chassis
    dk = vehicle.drive.to_kernel()
    r2 = c.wheel_radius_m**2
    half = 0.5 * c.wheel_inertia_kgm2 / r2
    return (half + rotor_inertia_kgm2(vehicle, "front") * dk.front_ratio**2 / r2,
            half + rotor_inertia_kgm2(vehicle, "rear") * dk.rear_ratios[g] ** 2 / r2)


def bev_args(vehicle: Vehicle):
    """(chassis, front motor, rear motor, drive, controller, aux, battery) kernel arguments."""
    return (bev_chassis(vehicle), motor_kernel(vehicle, "front"), motor_kernel(vehicle, "rear"),
            vehicle.drive.to_kernel(), vehicle.controller.to_kernel(), bev_aux(vehicle),
            vehicle.battery.to_kernel())


def plant_args(vehicle: Vehicle):
    """(``core.bev.BevPlantK``, controller kernel parameters) of a vehicle."""
    from ..core.bev import BevPlantK

    ch, mf, mr, dk, ctl, aux, b = bev_args(vehicle)
    return BevPlantK(ch, mf, mr, dk, aux, b), ctl


def run(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool, ambient_temp_c: float, soc_init, soc_balance: bool):
    """Run the BEV kernel from ``soc_init`` (default: full charge = battery.soc_max); returns (output, attrs).

    ``soc_balance`` has no meaning for a BEV and is ignored (the contract: plug-ins run unbalanced).
    """
    from ..core.bev import allocate
    from ..core.bev_control import run_bev

    if cold_start:
        raise ValueError("cold_start=True: no thermal model for architecture 'bev' (allowed: False)")
    soc0 = vehicle.battery.soc_max if soc_init is None else float(soc_init)
    out = allocate(cycle.time_s.shape[0])
    run_bev(*plant_args(vehicle), float(soc0), np.ascontiguousarray(cycle.time_s, dtype=np.float64),
            np.ascontiguousarray(cycle.speed_mps, dtype=np.float64),
            np.ascontiguousarray(cycle.grade, dtype=np.float64), out)
    attrs = common_attrs(vehicle, cycle)
    ch = bev_chassis(vehicle)
    attrs.update(chassis_attrs(ch))
    attrs["charger_efficiency"] = float(vehicle.drive.charger_efficiency)
    return out, attrs
