"""Engine warm-up (cold start), shared by the kernels of every architecture with an engine.

Model (CO2MPAS cold-start friction, reference/components.md §1.4(b); parameters from ``components/engine.py``):

* lumped coolant temperature T [°C], soaked at the ambient temperature at the start of a cold run::

      C · dT/dt = f · P_fuel,   T ≤ T_hot                       (explicit Euler per interval, capped)

  C the heat capacity of block and coolant warmed while the thermostat is closed [J/K], f the share of
  fuel power that heats the coolant, T_hot the thermostat (fully warm) temperature; no heat loss to the
  ambient (warm-up only). A hot run (``enabled`` = 0) stays at T_hot.
* cold friction: the friction and pumping loss rises by θ^(−t), θ = (T + 273.15)/(T_hot + 273.15) the
  normalised absolute coolant temperature (θ = 1 hot), t the CO2MPAS exponent. On the Willans line the fuel
  that covers the hot loss alone is ṁ_fric(ω) = p_loss(ω)/e · V_d·ω/(4π·LHV) (``friction_fuel_kg_s`` of the
  engine's Willans fit, tabulated on the engine map's speed grid), so a fuelled engine burns::

      ṁ_extra = (θ^(−t) − 1) · ṁ_fric(ω_e)

  on top of the hot map's fuel at the same brake torque: the brake torque (and so WOT feasibility and the
  operating point the controller picked on the hot map) is unchanged, the extra fuel is all lost in the
  engine (``engine_loss``). An engine at fuel cut gets no extra fuel (its extra drag is not modelled).

Nothing here raises or allocates.
"""

from __future__ import annotations

from typing import NamedTuple

from . import jit
from .interp import interp1_uniform


class ThermalK(NamedTuple):
    """Engine warm-up model for the numba core (built by ``powertrains._common.thermal_args``)."""

    enabled: float  # 1.0 cold start, 0.0 hot
    initial_c: float  # soak (ambient) coolant temperature of a cold start [°C]
    hot_c: float  # thermostat temperature T_hot [°C]
    heat_capacity_j_per_k: float  # C [J/K]
    coolant_heat_fraction: float  # f [-]
    friction_exponent: float  # t [-]


@jit
def coolant_initial_c(th):
    """Coolant temperature at the start of a run: the soak temperature if cold, else T_hot. [°C]"""
    return th.initial_c if th.enabled > 0.0 else th.hot_c


@jit
def cold_extra_fuel_kg_s(th, eng, friction_fuel_kg_s, temp_c, w_e):
    """Extra fuel rate of a fuelled engine at speed ``w_e`` with the coolant at ``temp_c``: (θ^(−t) − 1)·ṁ_fric.

    ``friction_fuel_kg_s`` is ṁ_fric on the engine map's uniform speed grid (``eng.speed_min_rad_s``,
    ``eng.speed_inv_step``). 0 for a hot run or a warm coolant. [kg/s]
    """
    if th.enabled > 0.0 and temp_c < th.hot_c:
        theta = (temp_c + 273.15) / (th.hot_c + 273.15)
        fric = interp1_uniform(eng.speed_min_rad_s, 1.0 / eng.speed_inv_step, friction_fuel_kg_s, w_e)
        return (theta ** (-th.friction_exponent) - 1.0) * fric
    return 0.0


@jit
def coolant_step_c(th, temp_c, p_fuel_w, dt):
    """Coolant temperature at the end of an interval of ``dt`` with fuel power ``p_fuel_w``. [°C]"""
    if th.enabled > 0.0:
        temp_c += dt * th.coolant_heat_fraction * p_fuel_w / th.heat_capacity_j_per_k
        if temp_c > th.hot_c:
            temp_c = th.hot_c
    return temp_c
