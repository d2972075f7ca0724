"""Electric machines and battery for one time step (mirrors ``components/motor.py`` and
``components/battery.py``; equations there)."""

from __future__ import annotations

import math

from . import jit, jit_inline
from .interp import interp1_uniform, interp2_uniform

V_LIMIT_FACTOR = 3.0 / (2.0 * 2.0**0.5)  # P_ac = this × V_dc × I at modulation index × power factor = 1
BOOST_ITERATIONS = 3  # regeneration cut to the charge limit: passes for the boost converter's loss (THS-II, i-MMD)


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
def bus_voltage_v(m, t, w):
    """The inverter's DC-link voltage at torque t, speed w (components/motor.py): fixed, or on a variable-voltage
    bus the machine's demand V_max·(|ω|/ω_b)·√(e0² + (1 − e0²)·(T/T_pk)²) within [V_min, V_max]. [V]"""
    if m.inv_v_min >= m.inv_v_max:
        return m.inv_v_max
    r = t / m.peak_torque_nm
    e0 = m.inv_e0
    v = m.inv_v_per_rad_s * abs(w) * math.sqrt(e0 * e0 + (1.0 - e0 * e0) * r * r)
    if v < m.inv_v_min:
        return m.inv_v_min
    if v > m.inv_v_max:
        return m.inv_v_max
    return v


@jit
def inverter_loss_w(m, t, w, p_ac):
    """Inverter loss at torque t, speed w and AC power p_ac (components/motor.py): zero at zero torque (not
    switching), else P_0 + V_0'·I + R'·I² + K_sw·V_dc·(I − I_P), I = max(|T|·I_pk/T_pk, I_P),
    I_P = |P_ac|/(1.06·V_dc), V_dc = :func:`bus_voltage_v`, P_0 ramped in linearly over the first 1 % of peak
    torque. [W]"""
    if t == 0.0:
        return 0.0
    v = bus_voltage_v(m, t, w)
    i_p = abs(p_ac) / (V_LIMIT_FACTOR * v)
    i = abs(t) * m.inv_a_per_nm
    if i < i_p:
        i = i_p
    fixed = m.inv_fixed_w
    t_ramp = 0.01 * m.peak_torque_nm  # P_0 ramps in over the first 1 % of peak torque: no step at T = 0
    if abs(t) < t_ramp:
        fixed *= abs(t) / t_ramp
    return fixed + (m.inv_cond_w_per_a + m.inv_r_w_per_a2 * i) * i + m.inv_sw_w_per_a_v * v * (i - i_p)


@jit
def inverter_dc_power_w(m, t, w, p_ac):
    """DC power [W] of the inverter feeding AC power p_ac at torque t, speed w: the legacy constant efficiency
    (``inverter_efficiency`` > 0: P_ac/η motoring, P_ac·η generating) or P_ac + :func:`inverter_loss_w`."""
    if m.inverter_efficiency > 0.0:
        if p_ac >= 0.0:
            return p_ac / m.inverter_efficiency
        return p_ac * m.inverter_efficiency
    return p_ac + inverter_loss_w(m, t, w, p_ac)


@jit
def boost_loss_w(m, p_hv, v_dc):
    """Loss of the boost converter (components/motor.py; zero without one) carrying the machines' net DC power
    p_hv between the pack (at the bus floor V_min, its nominal voltage) and the bus at v_dc:
    V_0b·I_L + R_b·I_L² + K_b·V_dc·I_L (switching only while the bus is raised above its floor),
    I_L = |p_hv|/V_min. [W]"""
    if m.boost_r_ohm <= 0.0:
        return 0.0
    i = abs(p_hv) / m.inv_v_min
    loss = (m.boost_v0_v + m.boost_r_ohm * i) * i
    if v_dc > m.inv_v_min:
        loss += m.boost_sw_w_per_a_v * v_dc * i
    return loss


@jit
def terminal_power_w(mg1, t_g, w_g, p_g, mg2, t_m2, w_m2, p_m, p_fixed):
    """(boost converter loss [W], terminal power [W]) of two machines on one bus (THS-II, i-MMD) with DC powers p_g,
    p_m at their operating points and a fixed load p_fixed: the bus at the higher of their voltage demands
    (:func:`bus_voltage_v`), the converter on their net DC power (:func:`boost_loss_w`; zero without one)."""
    v_dc = max(bus_voltage_v(mg1, t_g, w_g), bus_voltage_v(mg2, t_m2, w_m2))
    l_bst = boost_loss_w(mg2, p_g + p_m, v_dc)
    return l_bst, p_g + p_m + l_bst + p_fixed


@jit
def regen_to_charge_limit(mg1, t_g, w_g, p_g, mg2, t_m2, w_m2, p_fixed, p_chg_max):
    """MG2's regenerative torque t_m2 (< 0) cut so that the terminal power (:func:`terminal_power_w`) stays within
    the charge limit p_chg_max: the torque whose DC power is −p_chg_max − p_g − p_fixed less the boost loss taken
    from the previous pass's torque (which needs more than the new one: the terminal power rises to the limit from
    beyond it, never over), ``BOOST_ITERATIONS`` passes at most, one without a boost converter.
    Returns (cut, t_m2, p_m, l_m, li_m, l_bst, p_b): cut False if no smaller torque was needed (the rest then 0)."""
    t_req = t_m2
    cut = False
    p_m = l_m = li_m = l_bst = p_b = 0.0
    l_prev = 0.0
    for _ in range(BOOST_ITERATIONS):
        t_lim = motor_torque_for_dc_power(mg2, w_m2, -p_chg_max - p_g - p_fixed - l_prev)
        if t_lim <= t_req:
            break
        t_m2 = t_lim if t_lim < 0.0 else 0.0
        p_m, l_m, li_m = motor_dc_power_w(mg2, t_m2, w_m2)
        l_bst, p_b = terminal_power_w(mg1, t_g, w_g, p_g, mg2, t_m2, w_m2, p_m, p_fixed)
        cut = True
        if l_bst == l_prev:
            break
        l_prev = l_bst
    return cut, t_m2, p_m, l_m, li_m, l_bst, p_b


@jit
def motor_dc_power_w(m, t, w):
    """(DC power [W], machine loss [W], inverter loss [W]) at torque t, speed w."""
    loss = motor_loss_w(m, t, w)
    p_ac = t * w + loss
    p_dc = inverter_dc_power_w(m, t, w, p_ac)
    return p_dc, loss, p_dc - p_ac


@jit_inline
def motor_dc_power_floor_w(m, t, w):
    """A lower bound of ``motor_dc_power_w(m, t, w)[0]``: the DC power of the mechanical power t·ω alone. The loss is
    never negative (coefficients ≥ 0, idle share in [0, 1], map efficiencies in (0, 1], extrapolated zero-torque
    losses ≥ 0) and the DC power is non-decreasing in the AC power, both in floating point (rounding is monotone):
    for a search that skips a candidate whose bound already loses. With the inverter loss model
    (``inverter_efficiency`` 0) P_dc = P_ac + P_inv ≥ t·ω (P_inv ≥ 0: every term is, I ≥ I_P); a boost converter's
    loss, outside this, is ≥ 0 too. [W]"""
    p = t * w
    if m.inverter_efficiency <= 0.0:
        return p
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


@jit_inline
def _dc_power_floor_quadratic(m, aw):
    """(a2, b1, c0, ok): min(q(x), 0) with q(x) = a2·x² − b1·x + c0 is a floor of P_dc at generating torque
    |T| = x ∈ [0, T_pk], speed |ω| = aw, for the parametric loss with the inverter loss model. Where P_ac ≥ 0,
    P_dc ≥ 0. Where P_ac < 0 the switching term K_sw·V·(I − I_P) is K_sw·V·I + s·P_ac with s = K_sw/1.06 (I_P =
    |P_ac|/(1.06·V)), so P_dc = (1 + s)·P_ac + P_0·min(x/(0.01·T_pk), 1) + V_0'·I + R'·I² + K_sw·V·I, with
    V ≥ V_min, I ≥ x·I_pk/T_pk and P_ac = −x·|ω| + kc·x² + f·D + ((1 − f)·D + C)·min(x/T_C, 1)
    (``motor_loss_w``, ``inverter_loss_w``); each concave ramp (0 at x = 0) is at least its chord over [0, T_pk].
    ok False (no floor) with a loss map or a negative coefficient."""
    ok = (m.use_map <= 0.0 and m.kc >= 0.0 and m.ki >= 0.0 and m.kw >= 0.0 and m.c_w >= 0.0
          and 0.0 <= m.idle_fraction <= 1.0 and m.inv_fixed_w >= 0.0 and m.inv_cond_w_per_a >= 0.0
          and m.inv_r_w_per_a2 >= 0.0 and m.inv_sw_w_per_a_v >= 0.0 and m.inv_a_per_nm >= 0.0
          and m.c_full_torque_nm > 0.0 and m.peak_torque_nm > 0.0 and m.inv_v_min > 0.0)
    a = m.inv_a_per_nm
    s = 1.0 + m.inv_sw_w_per_a_v / V_LIMIT_FACTOR
    drag = m.ki * aw + m.kw * aw * aw * aw
    ramp = ((1.0 - m.idle_fraction) * drag + m.c_w) * min(1.0 / m.c_full_torque_nm, 1.0 / m.peak_torque_nm)
    v_lo = min(m.inv_v_min, m.inv_v_max)
    a2 = s * m.kc + m.inv_r_w_per_a2 * a * a
    b1 = s * (aw - ramp) - m.inv_fixed_w / m.peak_torque_nm - (m.inv_cond_w_per_a + m.inv_sw_w_per_a_v * v_lo) * a
    c0 = s * m.idle_fraction * drag
    return a2, b1, c0, ok


@jit_inline
def _floor_least(a2, b1, c0, x_hi):
    """(x, min(q(x), 0)) at the least of the floor q(x) = a2·x² − b1·x + c0 of ``_dc_power_floor_quadratic`` over
    [0, x_hi]: its vertex clipped to the interval (an end where q is linear)."""
    x = x_hi
    if a2 > 0.0:
        x = min(max(b1 / (2.0 * a2), 0.0), x_hi)
    elif b1 <= 0.0:
        x = 0.0
    return x, min((a2 * x - b1) * x + c0, 0.0)


@jit_inline
def _floor_margin(aw, t_pk, c0, p_dc):
    """What the floor-based shortcuts leave over rounding: 1e-6 of the machine's power scale. [W]"""
    return 1e-6 * (aw * t_pk + c0 + abs(p_dc) + 1.0)


@jit
def motor_torque_for_dc_power(m, w, p_dc):
    """Generating torque (≤ 0 for ω > 0) whose DC power equals p_dc (< 0); 0 if even zero torque draws more.

    With the constant inverter efficiency the AC power is p_dc/η and :func:`_torque_for_ac_power` is exact.
    With the inverter loss model, P_ac = p_dc − P_inv(T, P_ac) by fixed-point iteration, its torque then refined
    to the root itself (the last torque from zero that charges no more than asked) by bisection over a bracket
    one doubled secant step wide; if the fixed point does not land on p_dc from above (within 1e-9) within T_pk, a
    scan of |T| over [0, T_pk] in 128 steps and bisection on the first step that reaches p_dc, keeping the side that
    charges no more than asked; if no torque reaches p_dc, the scanned torque of least DC power (the best generating
    point to within T_pk/128; the first of equals).

    Where a quadratic floor of the DC power (:func:`_dc_power_floor_quadratic`) shows p_dc out of reach the fixed
    point is skipped, and the scan evaluates only the torques whose floor could still reach p_dc or beat the best
    found (it looks at the end of the range and the floor's own minimum first, and only between the torques where
    the floor crosses the threshold): the same torque as the full scan, with a margin of 1e-6 of the machine's power
    scale over rounding.
    """
    if m.inverter_efficiency > 0.0:
        return _torque_for_ac_power(m, w, p_dc / m.inverter_efficiency)
    p_zero = motor_dc_power_w(m, 0.0, w)[0]
    if w == 0.0 or p_zero <= p_dc:
        return 0.0
    aw = abs(w)
    t_pk = m.peak_torque_nm
    sg = -1.0 if w > 0.0 else 1.0  # generating: torque against the speed
    a2, b1, c0, bounded = _dc_power_floor_quadratic(m, aw)
    margin = _floor_margin(aw, t_pk, c0, p_dc)
    x_q, q_least = _floor_least(a2, b1, c0, t_pk)
    out_of_reach = bounded and q_least > p_dc + margin
    if not out_of_reach:
        p_ac = p_dc
        t = 0.0
        for _ in range(8):
            t = _torque_for_ac_power(m, w, p_ac)
            p_ac = p_dc - inverter_loss_w(m, t, w, t * w + motor_loss_w(m, t, w))
        t = _torque_for_ac_power(m, w, p_ac)
        got = motor_dc_power_w(m, t, w)[0]
        if got >= p_dc and got - p_dc <= 1e-9 * (abs(p_dc) + 1.0) and abs(t) <= t_pk:
            if got == p_dc:
                return t
            # the fixed point lands within 1e-9 of p_dc, not on it: the root itself, to the last bits, by
            # bisection between it and a point one secant step (doubled, plus a margin) further
            x_lo = abs(t)
            dx = max(1e-7 * x_lo, 1e-9)
            slope = (motor_dc_power_w(m, sg * (x_lo + dx), w)[0] - got) / dx
            if slope < 0.0:
                x_hi = x_lo + 2.0 * (got - p_dc) / -slope + 1e-12 * (x_lo + 1.0)
                if motor_dc_power_w(m, sg * x_hi, w)[0] <= p_dc:
                    for _ in range(64):
                        mid = 0.5 * (x_lo + x_hi)
                        if mid <= x_lo or mid >= x_hi:
                            break
                        if motor_dc_power_w(m, sg * mid, w)[0] >= p_dc:
                            x_lo = mid
                        else:
                            x_hi = mid
                    return sg * x_lo
            return t
    n = 128
    step = t_pk / n
    best_k = 0
    best_p = p_zero
    if out_of_reach:
        # no torque reaches p_dc: only the least DC power is sought; start from the candidates likeliest to hold
        # it (the end of the range, the floor's minimum) so that the floor rules out most of the others
        for k in (n, int(x_q / step + 0.5)):
            p_k = motor_dc_power_w(m, sg * k * step, w)[0]
            if p_k < best_p or (p_k == best_p and k < best_k):
                best_p = p_k
                best_k = k
    k_lo = 1
    k_hi = n
    thr = max(p_dc, best_p) + margin
    if bounded and a2 > 0.0 and thr < 0.0:
        # the floor reaches thr only between the roots of a2·x² − b1·x + c0 − thr (none: no torque can)
        disc = b1 * b1 - 4.0 * a2 * (c0 - thr)
        if disc < 0.0:
            k_hi = 0
        else:
            sq = math.sqrt(disc)
            k_lo = max(1, int((b1 - sq) / (2.0 * a2 * step)) - 1)
            k_hi = min(n, int((b1 + sq) / (2.0 * a2 * step)) + 2)
    for k in range(k_lo, k_hi + 1):
        if bounded:
            x = k * step
            if min((a2 * x - b1) * x + c0, 0.0) > max(p_dc, best_p) + margin:
                continue  # its DC power can neither reach p_dc nor beat the best so far
        p_k = motor_dc_power_w(m, sg * k * step, w)[0]
        if p_k <= p_dc:
            lo = (k - 1) * step
            hi = k * step
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                if motor_dc_power_w(m, sg * mid, w)[0] > p_dc:
                    lo = mid
                else:
                    hi = mid
            return sg * lo
        if p_k < best_p or (p_k == best_p and k < best_k):
            best_p = p_k
            best_k = k
    return sg * best_k * step


@jit_inline
def dc_power_torque_is_below(m, w, p_dc, t):
    """Whether ``motor_torque_for_dc_power(m, w, p_dc)`` is certainly below t (a generating torque, ω > 0,
    −T_pk < t < 0), decided from the DC power's floor (:func:`_dc_power_floor_quadratic`) and the DC power at
    −T_pk, without the solve: (a) on [0, |t|] the floor stays above p_dc (so does the DC power: any torque reaching
    p_dc is beyond |t|), and (b) the DC power at T_pk is below the floor's least value on [0, |t|] (so is the scan's
    best point). False: not decided (the caller solves). A caller that compares t with the solve's torque only
    needs this where it holds."""
    if m.inverter_efficiency > 0.0 or w <= 0.0 or not t < 0.0 or p_dc >= 0.0:
        return False
    x = -t
    t_pk = m.peak_torque_nm
    if x >= t_pk:
        return False
    a2, b1, c0, ok = _dc_power_floor_quadratic(m, w)
    if not ok:
        return False
    margin = _floor_margin(w, t_pk, c0, p_dc)
    q_min = _floor_least(a2, b1, c0, x)[1]  # the floor's least value on [0, |t|]
    if q_min <= p_dc + margin:
        return False
    n = 128
    return motor_dc_power_w(m, -1.0 * n * (t_pk / n), w)[0] < q_min - margin


@jit_inline
def regen_at_zero_dc_power(m, t, w):
    """(torque, DC power, machine loss, inverter loss) of a regenerating machine (t < 0) whose DC power at t is
    drawn, not recovered (at low speed its loss exceeds what it recovers), when the battery may not give it: the
    machine brakes only as hard as its own loss, at zero DC power (the torque nearest zero that recovers it); if even
    that draws power, the inverter is off and the rotor's idle drag is taken from the shaft (the braking torque it
    makes, if no more than t asks), no DC power. The friction brakes take the rest of t."""
    t_dem = t
    t_zero = motor_torque_for_dc_power(m, w, 0.0)
    t = t_zero if t_zero > t else t
    p, l_m, l_i = motor_dc_power_w(m, t, w)
    if p > 1e-6 and w != 0.0:  # (at the root itself p is 0 to rounding, either side: the root is taken)
        l_idle = motor_loss_w(m, 0.0, w)
        t_drag = -l_idle / w
        if t_dem <= t_drag <= 0.0:
            return t_drag, 0.0, l_idle, 0.0
    return t, p, l_m, l_i


@jit
def _torque_for_ac_power(m, w, p_ac):
    """Generating torque (≤ 0 for ω > 0) whose AC power equals p_ac (< 0); 0 if even zero torque draws more.

    With x = |T|, D = ki|ω| + kw|ω|³ and f the idle share (``motor_loss_w``):
    below T_C, P_ac = −x·|ω| + kc·x² + f·D + (C + (1 − f)·D)·x/T_C, the root nearest zero of
    kc·x² − (|ω| − (C + (1 − f)·D)/T_C)·x + (f·D − P_ac) = 0; above it that of kc·x² − |ω|·x + (D + C − P_ac) = 0;
    beyond the best generating point, that point.
    """
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
def mg2_torque_for_terminal_power(mg1, t_g, w_g, p_g, mg2, t_hi, w_m2, p_fixed, p_lim):
    """Largest MG2 torque in [0, t_hi] whose terminal power (:func:`terminal_power_w`: MG1's DC power p_g at
    (t_g, w_g), MG2's, the boost converter's loss, the fixed load p_fixed) stays ≤ p_lim: t_hi if it does there,
    else bisection, 30 halvings (the answer on the feasible side; the full-load THS-II model, performance.py). [N·m]"""
    if t_hi <= 0.0:
        return t_hi
    p_hi = motor_dc_power_w(mg2, t_hi, w_m2)[0]
    if terminal_power_w(mg1, t_g, w_g, p_g, mg2, t_hi, w_m2, p_hi, p_fixed)[1] <= p_lim:
        return t_hi
    lo = 0.0
    hi = t_hi
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        p_mid = motor_dc_power_w(mg2, mid, w_m2)[0]
        if terminal_power_w(mg1, t_g, w_g, p_g, mg2, mid, w_m2, p_mid, p_fixed)[1] <= p_lim:
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
