"""Electric machines and battery for one time step (mirrors ``components/motor.py`` and
``components/battery.py``; equations there)."""

from __future__ import annotations

import math

from . import jit, jit_inline
from .interp import interp1_uniform, interp2_uniform


@jit
def motor_tmax(m, w):
    """Torque envelope min(T_pk, P_pk/|ω|). [N·m]"""
    aw = abs(w)
    if aw * m.peak_torque_nm <= m.peak_power_w:
        return m.peak_torque_nm
    return m.peak_power_w / aw


@jit
def motor_loss_w(m, t, w):
    """kc·T² + D·(f + (1 − f)·r) + C·r with D = ki·|ω| + kw·|ω|³, r = min(|T|/T_C, 1) and f the idle share
    (``no_load_drag_fraction``): an idle machine loses f·D, the operating loss ramps in up to T_C; or the measured
    map at (|ω|, |T|) (its zero-torque column holds the idle share). [W]"""
    aw = abs(w)
    if m.use_map > 0.0:
        table = m.map_loss_gen_w if t * w < 0.0 else m.map_loss_w
        return interp2_uniform(0.0, m.map_speed_step_rad_s, 0.0, m.map_torque_step_nm, table, aw, abs(t))
    drag = m.ki * aw + m.kw * aw * aw * aw
    if t == 0.0:
        return m.idle_fraction * drag
    at = abs(t)
    if at >= m.c_full_torque_nm:
        return m.kc * t * t + drag + m.c_w
    r = at / m.c_full_torque_nm
    return m.kc * t * t + drag * (m.idle_fraction + (1.0 - m.idle_fraction) * r) + m.c_w * r


@jit
def motor_dc_power_w(m, t, w):
    """(DC power [W], machine loss [W], inverter loss [W]) at torque t, speed w."""
    loss = motor_loss_w(m, t, w)
    p_ac = t * w + loss
    if p_ac >= 0.0:
        p_dc = p_ac / m.inverter_efficiency
    else:
        p_dc = p_ac * m.inverter_efficiency
    return p_dc, loss, p_dc - p_ac


@jit_inline
def motor_dc_power_floor_w(m, t, w):
    """A lower bound of ``motor_dc_power_w(m, t, w)[0]``: the DC power of the mechanical power t·ω alone. The loss is
    never negative (coefficients ≥ 0, idle share in [0, 1], map efficiencies in (0, 1], extrapolated zero-torque
    losses ≥ 0) and the DC power is non-decreasing in the AC power, both in floating point (rounding is monotone):
    for a search that skips a candidate whose bound already loses. [W]"""
    p = t * w
    if p >= 0.0:
        return p / m.inverter_efficiency
    return p * m.inverter_efficiency


@jit
def _nearest_root(a, b, c):
    """Smaller root of a·x² − b·x + c = 0 (b > 0, c > 0), without cancellation; −1 if there is none."""
    disc = b * b - 4.0 * a * c
    if disc < 0.0:
        return -1.0
    return 2.0 * c / (b + math.sqrt(disc))


@jit
def _map_torque_for_ac_power(m, w, p_ac):
    """``motor_torque_for_dc_power`` for a machine with a loss map. At fixed speed the AC power
    P(x) = −x·|ω| + L(|ω|, x) is linear in x = |T| inside each torque cell of the map, so the root is found
    cell by cell from zero torque (the first crossing, nearest zero), exactly; if P never falls to p_ac
    within the map, the node of least P (the best generating point)."""
    aw = abs(w)
    if aw == 0.0:
        return 0.0
    dt = m.map_torque_step_nm
    nt = m.map_loss_gen_w.shape[1]
    sg = -1.0 if w > 0.0 else 1.0  # generating: torque against the speed
    x_a = 0.0
    p_a = motor_loss_w(m, 0.0, w)
    if p_a <= p_ac:
        return 0.0
    best_x = 0.0
    best_p = p_a
    for j in range(1, nt):
        x_b = j * dt
        p_b = -x_b * aw + motor_loss_w(m, sg * x_b, w)
        if p_b <= p_ac:
            x = x_a + (p_ac - p_a) * (x_b - x_a) / (p_b - p_a)
            return -x if w > 0.0 else x
        if p_b < best_p:
            best_p = p_b
            best_x = x_b
        x_a = x_b
        p_a = p_b
    return -best_x if w > 0.0 else best_x


@jit
def motor_torque_for_dc_power(m, w, p_dc):
    """Generating torque (≤ 0 for ω > 0) whose DC power equals p_dc (< 0); 0 if even zero torque draws more.

    With x = |T| and P_ac = p_dc/η_inv, D = ki|ω| + kw|ω|³ and f the idle share (``motor_loss_w``):
    below T_C, P_ac = −x·|ω| + kc·x² + f·D + (C + (1 − f)·D)·x/T_C, the root nearest zero of
    kc·x² − (|ω| − (C + (1 − f)·D)/T_C)·x + (f·D − P_ac) = 0; above it that of kc·x² − |ω|·x + (D + C − P_ac) = 0;
    beyond the best generating point, that point.
    """
    p_ac = p_dc / m.inverter_efficiency
    aw = abs(w)
    if m.use_map > 0.0:
        return _map_torque_for_ac_power(m, w, p_ac)
    drag = m.ki * aw + m.kw * aw * aw * aw
    c0 = m.idle_fraction * drag - p_ac
    if c0 <= 0.0 or aw == 0.0:
        return 0.0
    x = -1.0
    b = aw - (m.c_w + (1.0 - m.idle_fraction) * drag) / m.c_full_torque_nm
    if b > 0.0:
        x = _nearest_root(m.kc, b, c0)
        if x > m.c_full_torque_nm:
            x = -1.0
    if x < 0.0:
        x = _nearest_root(m.kc, aw, drag + m.c_w - p_ac)
        if x < m.c_full_torque_nm:
            # the requested power is beyond the machine's best generating point: take that point, the
            # better of the two pieces' minima (each piece is a parabola in x)
            x1 = b / (2.0 * m.kc) if m.kc > 0.0 else m.c_full_torque_nm
            x1 = min(max(x1, 0.0), m.c_full_torque_nm)
            x2 = aw / (2.0 * m.kc) if m.kc > 0.0 else m.c_full_torque_nm
            x2 = max(x2, m.c_full_torque_nm)
            sg = -1.0 if w > 0.0 else 1.0
            x = x1 if sg * x1 * w + motor_loss_w(m, sg * x1, w) <= sg * x2 * w + motor_loss_w(m, sg * x2, w) else x2
    return -x if w > 0.0 else x


@jit
def motor_torque_for_motoring_dc_power(m, w, p_dc):
    """Largest motoring torque within the envelope whose DC power stays ≤ p_dc (bisection, 30 halvings of
    [0, T_max(ω)]; the answer is always on the feasible side). [N·m]

    A bisection and not a root finder: the DC power is not smooth where the envelope bends, and the result
    must satisfy the limit, not lie within a tolerance on either side of it."""
    t_hi = motor_tmax(m, w)
    if p_dc <= 0.0:
        return 0.0
    if motor_dc_power_w(m, t_hi, w)[0] <= p_dc:
        return t_hi
    lo = 0.0
    hi = t_hi
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if motor_dc_power_w(m, mid, w)[0] <= p_dc:
            lo = mid
        else:
            hi = mid
    return lo


@jit
def battery_state(b, soc):
    """(OCV [V], R_dis [Ω], R_chg [Ω]) at state of charge soc."""
    n = b.ocv_v.shape[0]
    step_inv = n - 1.0
    ocv = interp1_uniform(0.0, 1.0 / step_inv, b.ocv_v, soc)
    rd = interp1_uniform(0.0, 1.0 / step_inv, b.r_dis_ohm, soc)
    rc = interp1_uniform(0.0, 1.0 / step_inv, b.r_chg_ohm, soc)
    return ocv, rd, rc


@jit
def battery_limits_w(b, soc):
    """(discharge, charge) terminal power limits, voltage-limited and derated at the SOC edges. [W]"""
    ocv, rd, rc = battery_state(b, soc)
    return _battery_limits_at(b, soc, ocv, rd, rc)


@jit
def _battery_limits_at(b, soc, ocv, rd, rc):
    """``battery_limits_w`` given the battery state (OCV, R_dis, R_chg) at ``soc``. [W]"""
    p_dis = b.min_voltage_v * (ocv - b.min_voltage_v) / rd
    if p_dis > b.max_discharge_power_w:
        p_dis = b.max_discharge_power_w
    p_chg = b.max_voltage_v * (b.max_voltage_v - ocv) / rc
    if p_chg > b.max_charge_power_w:
        p_chg = b.max_charge_power_w
    band = b.soc_derate_band
    if band > 0.0:
        fd = (soc - b.soc_min) / band
        fc = (b.soc_max - soc) / band
    else:
        fd = 1.0 if soc > b.soc_min else 0.0
        fc = 1.0 if soc < b.soc_max else 0.0
    fd = min(max(fd, 0.0), 1.0)
    fc = min(max(fc, 0.0), 1.0)
    return max(p_dis, 0.0) * fd, max(p_chg, 0.0) * fc


@jit
def battery_step(b, soc, p_term, dt):
    """Rint step for terminal power p_term (discharge > 0).

    Returns (current [A], terminal voltage [V], chemical power [W], loss [W], new SOC).
    Chemical power = terminal power + loss exactly.
    """
    ocv, rd, rc = battery_state(b, soc)
    return battery_step_at(b, soc, ocv, rd, rc, p_term, dt)


@jit_inline
def battery_step_at(b, soc, ocv, rd, rc, p_term, dt):
    """:func:`battery_step` given the battery state (OCV, R_dis, R_chg) at ``soc`` (``battery_state``): for a
    search that steps the same SOC with many powers (the DP's grid points). Same returns, same arithmetic."""
    r = rd if p_term > 0.0 else rc
    i, p_chem, loss, soc_new = _current_step(b, soc, ocv, ocv, r, p_term, dt)
    return i, ocv - r * i, p_chem, loss, soc_new


@jit_inline
def _current_step(b, soc, ocv, ocv_s, r, p_term, dt):
    """(current [A], chemical power [W], ohmic + coulombic loss [W], new SOC) of terminal power p_term through the
    step OCV ``ocv_s`` and resistance ``r``; the coulombic share and the chemical power at the OCV ``ocv``."""
    disc = ocv_s * ocv_s - 4.0 * r * p_term
    if disc < 0.0:
        disc = 0.0  # beyond the matched-load point; the controllers keep p_term inside the limits
    i = 2.0 * p_term / (ocv_s + math.sqrt(disc))  # = (ocv_s − √disc)/(2r), without cancellation
    if i >= 0.0:
        i_eff = i
        loss = r * i * i
    else:
        i_eff = b.coulombic_efficiency * i
        loss = r * i * i - (1.0 - b.coulombic_efficiency) * ocv * i
    return i, ocv * i_eff, loss, soc - i_eff * dt / b.capacity_as


@jit
def battery_state_rc(b, soc, pol_v, dt):
    """(OCV [V], step OCV [V], step R_dis [Ω], step R_chg [Ω]) at ``soc`` for a step of ``dt`` from the 1-RC
    polarisation voltage ``pol_v`` (``components/battery.py``): step OCV = V_oc − g·V1₀, step R = R0 + R1·(1 − g),
    g = (τ/Δt)·(1 − e^(−Δt/τ)). Without the branch (R1 = 0, V1 = 0) the step values are ``battery_state``'s.
    Pass the step values to ``battery_window_limits_at`` for the step's limits, all four to
    ``battery_step_rc_at`` for the step."""
    ocv, rd, rc = battery_state(b, soc)
    r1 = interp1_uniform(0.0, 1.0 / (b.r1_ohm.shape[0] - 1.0), b.r1_ohm, soc)
    if r1 == 0.0 and pol_v == 0.0:
        return ocv, ocv, rd, rc
    tau = b.polarisation_time_constant_s
    g = tau / dt * (1.0 - math.exp(-dt / tau))
    dr = r1 * (1.0 - g)
    return ocv, ocv - g * pol_v, rd + dr, rc + dr


@jit
def battery_window_limits_rc_w(b, soc, pol_v, dt):
    """``battery_window_limits_w`` for a step from polarisation voltage ``pol_v``: the limits at the step OCV and
    resistances of ``battery_state_rc``. [W]"""
    _, ocv_s, rd_s, rc_s = battery_state_rc(b, soc, pol_v, dt)
    return battery_window_limits_at(b, soc, ocv_s, rd_s, rc_s, dt)


@jit
def battery_step_rc_at(b, soc, pol_v, ocv, ocv_s, rd_s, rc_s, p_term, dt):
    """Battery step for terminal power p_term (discharge > 0) with the 1-RC branch, given ``battery_state_rc``
    (OCV, step OCV, step R_dis, step R_chg) at ``soc`` and ``pol_v``.

    Returns (current [A], terminal voltage [V], chemical power [W], loss [W], new SOC, new polarisation voltage
    [V], polarisation storage power [W]): chemical = terminal + loss + storage exactly (the storage power is
    ½·C1·(V1² − V1₀²)/Δt with the step's C1 = τ/R1). Without the branch the first five are ``battery_step_at``'s
    and the last two 0.
    """
    r = rd_s if p_term > 0.0 else rc_s
    i, p_chem, loss, soc_new = _current_step(b, soc, ocv, ocv_s, r, p_term, dt)
    r1 = interp1_uniform(0.0, 1.0 / (b.r1_ohm.shape[0] - 1.0), b.r1_ohm, soc)
    if r1 == 0.0:
        return i, ocv_s - r * i, p_chem, loss, soc_new, 0.0, 0.0
    tau = b.polarisation_time_constant_s
    a = math.exp(-dt / tau)
    v1 = a * pol_v + (1.0 - a) * r1 * i
    p_store = 0.5 * (tau / r1) * (v1 * v1 - pol_v * pol_v) / dt
    # chemical − terminal = R0·I² + I·V̄1 (+ coulombic) = the loss + the storage: the step OCV and resistance
    # hold I·V̄1 = (V_oc − step OCV)·I + (step R − R0)·I²
    loss += (ocv - ocv_s) * i - p_store
    return i, ocv_s - r * i, p_chem, loss, soc_new, v1, p_store


@jit
def battery_window_limits_w(b, soc, dt):
    """(discharge, charge) terminal power limits of :func:`battery_limits_w`, further capped so that one step
    of ``dt`` at the limit cannot carry the SOC out of [soc_min, soc_max] (the SOC window is a hard limit on
    any time base). [W]

    With the step's OCV and resistance (those of :func:`battery_step`), current I moves the SOC by I·Δt/Q
    (η_c·|I| when charging); the terminal power of the largest allowed current is OCV·I − R·I² (discharge,
    taken no further than the matched-load current OCV/2R) and OCV·|I| + R·I² (charge).
    """
    ocv, rd, rc = battery_state(b, soc)  # once: the look-ups serve both the power and the SOC-window limits
    return battery_window_limits_at(b, soc, ocv, rd, rc, dt)


@jit
def battery_window_limits_at(b, soc, ocv, rd, rc, dt):
    """:func:`battery_window_limits_w` given the battery state (OCV, R_dis, R_chg) at ``soc``
    (``battery_state``): for a plant step that also steps the battery from that SOC. Same arithmetic. [W]"""
    p_dis, p_chg = _battery_limits_at(b, soc, ocv, rd, rc)
    keep = 1.0 - 1e-9  # rounding margin
    i_dis = (soc - b.soc_min) * b.capacity_as / dt * keep
    if i_dis < 0.0:
        i_dis = 0.0
    i_match = 0.5 * ocv / rd
    if i_dis > i_match:
        i_dis = i_match
    p_dis_soc = ocv * i_dis - rd * i_dis * i_dis
    if p_dis > p_dis_soc:
        p_dis = p_dis_soc
    i_chg = (b.soc_max - soc) * b.capacity_as / (dt * b.coulombic_efficiency) * keep
    if i_chg < 0.0:
        i_chg = 0.0
    p_chg_soc = ocv * i_chg + rc * i_chg * i_chg
    if p_chg > p_chg_soc:
        p_chg = p_chg_soc
    return p_dis, p_chg
