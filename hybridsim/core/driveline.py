"""Pieces every kernel shares, written once (issue 14): torque through a gear with the efficiency taken in
the direction of power flow, the low-speed fade of regenerative braking, the end-speed search on a trace miss
(:class:`SpeedSearch`), the energy-consistent inertia torque of a rotor (THS-II, series-parallel).

Gear with ratio i (input turns i times faster than the output) and efficiency η, output speed ≥ 0::

    input torque for an output torque T_out:  T_out/(i·η) if T_out ≥ 0 (input drives), T_out·η/i otherwise
    output torque for an input torque T_in:   T_in·i·η    if T_in ≥ 0,                 T_in·i/η otherwise

so that the loss T_in·ω_in − T_out·ω_out ≥ 0 either way. Nothing here raises or allocates.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from . import jit, jit_inline

TRACE_MISS_BISECTIONS = 40  # halvings of the end speed when the vehicle cannot follow the trace (all kernels)


class SpeedSearch(NamedTuple):
    """The trace-miss search: the highest end speed in [0, v1] a powertrain can reach, by bisection.

    One copy for every architecture; what "can reach" means is the architecture's (its decisions' feasibility
    test at a trial end speed), so the search is a small state machine its caller drives::

        s = speed_search(v1)
        while s.halvings_left > 0:
            s = speed_search_next(s, reachable(…, trial_speed(s), …))
        v1 = s.reachable_mps

    The test is not passed in as a function: numba compiles a function that takes a function once per function
    passed (and caches such specialisations poorly), and the tests need the arguments of their own architecture
    (plant, controller, state, battery context), which no single first-class function type can hold.
    """

    reachable_mps: float  # the highest end speed found reachable (0 is taken as reachable)
    unreachable_mps: float  # the lowest end speed found unreachable (at first the demanded one)
    halvings_left: int


@jit_inline
def speed_search(v1):
    """Start the trace-miss search below the demanded end speed ``v1`` (which the caller found unreachable)."""
    return SpeedSearch(0.0, v1, TRACE_MISS_BISECTIONS)


@jit_inline
def trial_speed(s):
    """The end speed the search tries next. [m/s]"""
    return 0.5 * (s.reachable_mps + s.unreachable_mps)


@jit_inline
def speed_search_next(s, reachable):
    """The search after trying :func:`trial_speed`: ``reachable`` says whether the powertrain reached it."""
    mid = 0.5 * (s.reachable_mps + s.unreachable_mps)
    if reachable:
        return SpeedSearch(mid, s.unreachable_mps, s.halvings_left - 1)
    return SpeedSearch(s.reachable_mps, mid, s.halvings_left - 1)


@jit
def gear_input_torque(t_out, i, eta):
    """Input torque of a gear (ratio i, efficiency η) that delivers output torque t_out. [N·m]"""
    if t_out >= 0.0:
        return t_out / (i * eta)
    return t_out * eta / i


@jit
def gear_output_torque(t_in, i, eta):
    """Output torque of a gear (ratio i, efficiency η) driven with input torque t_in. [N·m]"""
    if t_in >= 0.0:
        return t_in * i * eta
    return t_in * i / eta


@jit
def regen_fade(vbar, fade_speed_mps):
    """Share of regenerative braking allowed at mean speed vbar: linear from 0 at rest to 1 at
    ``fade_speed_mps`` (1 everywhere if that is 0). [-]"""
    if fade_speed_mps > 0.0 and vbar < fade_speed_mps:
        return vbar / fade_speed_mps
    return 1.0


@jit_inline
def record_initial(out, state, v0):
    """Write the initial sample (index 0) of a run: speed, SOC and coolant temperature (the THS-II and
    series-parallel plants; the P2 adds its gear and pack voltage in ``core/p2.py``)."""
    out.speed_mps[0] = v0
    out.soc[0] = state.soc
    out.coolant_temp_c[0] = state.coolant_temp_c


@jit
def converter_pump_speed(gb, w_t, t_t):
    """Pump (engine) speed at which a torque converter of ``gb`` passes turbine torque ``t_t`` > 0 at turbine speed
    ``w_t`` (``components/gearbox.py``): K·√T_t without multiplication or at or above the coupling point, else the
    root of TR₀·ω_p² − a·ω_t·ω_p − K²·T_t = 0 (a = (TR₀ − 1)/SR_c). [rad/s]"""
    k = gb.converter_k_rad_s_per_sqrt_nm
    w1 = k * math.sqrt(t_t)
    tr0 = gb.converter_stall_torque_ratio
    sr_c = gb.converter_coupling_speed_ratio
    if tr0 <= 1.0 or w_t >= sr_c * w1:
        return w1
    a = (tr0 - 1.0) / sr_c
    return (a * w_t + math.sqrt(a * a * w_t * w_t + 4.0 * tr0 * k * k * t_t)) / (2.0 * tr0)


@jit
def converter_torque_ratio(gb, w_t, w_p):
    """Turbine/pump torque ratio of the converter of ``gb`` at turbine speed ``w_t`` and pump speed ``w_p`` (1.0
    exactly without multiplication, at or above the coupling point, or with the pump at rest). [-]"""
    tr0 = gb.converter_stall_torque_ratio
    if tr0 <= 1.0 or w_p <= 0.0:
        return 1.0
    sr = w_t / w_p
    sr_c = gb.converter_coupling_speed_ratio
    if sr >= sr_c:
        return 1.0
    if sr < 0.0:
        sr = 0.0
    return tr0 + (1.0 - tr0) * sr / sr_c


@jit
def converter_loss_w(gb, t_p, t_t, w_p, w_t):
    """Slip loss of the converter of ``gb`` with pump torque/speed ``t_p``, ``w_p`` and turbine torque/speed ``t_t``,
    ``w_t``: T_p·ω_p − T_t·ω_t; without torque multiplication T_t·(ω_p − ω_t) (T_p = T_t). [W]"""
    if gb.converter_stall_torque_ratio > 1.0:
        return t_p * w_p - t_t * w_t
    return t_t * (w_p - w_t)


@jit
def rotor_inertia_torque(j, w, w_prev, dt):
    """Torque that accelerates a rotor of inertia j from w_prev to w over the step, energy-consistent:
    T = J·(ω − ω₀)/Δt · (ω + ω₀)/(2ω), so that T·ω·Δt = ½J(ω² − ω₀²) exactly, the kinetic-energy change.

    The plain backward difference J·(ω − ω₀)/Δt, with every power taken at the step's speed ω, books
    ½J(ω − ω₀)² too much per step (a start from rest would cost Jω² instead of ½Jω²). Where |ω| < |ω₀|/2
    (a rotor stopping or crossing zero) the energy-consistent torque grows without bound, so the plain
    difference is kept there: an engine that stops books no power; in THS-II and the series-parallel plant the
    kinetic energy it releases is generated by MG1 (``core/ths.rotor_recovery``). [N·m]
    """
    dw = (w - w_prev) / dt
    if w != 0.0 and abs(w) >= 0.5 * abs(w_prev):
        return j * dw * 0.5 * (1.0 + w_prev / w)
    return j * dw
