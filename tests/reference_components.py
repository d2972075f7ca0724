"""Slow, obvious reference models of the components every powertrain shares, for the kernel reference loops
(``reference_conventional.py``, ``reference_ths.py``, ``reference_p2.py``, ``reference_bev.py``).

Written from the component docstrings, in plain Python; parameters come from the component dataclasses
(units converted here); nothing from ``hybridsim.core`` is used. The engine's fuel map is looked up with
``scipy.interpolate.RegularGridInterpolator``, every curve and table with ``numpy.interp``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from scipy.optimize import minimize_scalar

from hybridsim.components.motor import INV_2004, MG2_2010, loss_table

G = 9.80665  # standard gravity [m/s²]
RPM = math.pi / 30.0  # 1 rpm in rad/s
KMH = 1.0 / 3.6  # 1 km/h in m/s


def road_force(mass, mass_eff, c0, c1, c2, v0, v1, dt, grade):
    """Force at the wheels over [t0, t1]: m_eff·a + c0·cos θ + c1·v̄ + c2·v̄² + m·g·sin θ (road load while moving)."""
    v_mean = 0.5 * (v0 + v1)
    force = mass_eff * (v1 - v0) / dt
    if v_mean > 0.0:
        theta = math.atan(grade)
        force += c0 * math.cos(theta) + c1 * v_mean + c2 * v_mean**2 + mass * G * math.sin(theta)
    return force


def road_load_si(chassis, mass):
    """(c0 [N], c1 [N/(m/s)], c2 [N/(m/s)²]): the coast-down coefficients converted from km/h, else the physical
    estimate m·g·C_rr, 0, ½·ρ·C_d·A at the simulated mass."""
    if chassis.road_load_f0_n is not None:
        return chassis.road_load_f0_n, chassis.road_load_f1_n_per_kmh * 3.6, chassis.road_load_f2_n_per_kmh2 * 3.6**2
    return (mass * G * chassis.rolling_resistance_coefficient, 0.0,
            0.5 * chassis.air_density_kg_m3 * chassis.drag_coefficient * chassis.frontal_area_m2)


class EngineMap:
    """The engine's full-load, motoring and fuel maps and its warm-up (``components/engine.py``,
    ``core/thermal.py``)."""

    def __init__(self, e, cold_start=False, ambient_c=23.0):
        m = e.data()
        self.speed = np.asarray(m.speed_rad_s, float)
        self.torque = np.asarray(m.torque_nm, float)
        self.wot_curve = np.asarray(m.wot_nm, float)
        self.motoring_curve = np.asarray(m.motoring_nm, float)
        self.fuel_map = RegularGridInterpolator((self.speed, self.torque), np.asarray(m.fuel_kg_s, float))
        self.lhv = e.fuel_lhv_mj_per_kg * 1e6
        # fuel of the hot friction loss, on the map's speed grid and interpolated linearly (kernel rule)
        self.friction_fuel = (np.zeros_like(self.speed) if m.willans is None
                              else np.asarray(m.willans.friction_fuel_kg_s(self.speed, self.lhv), float))
        self.cold_start = bool(cold_start)
        self.coolant_hot = e.hot_coolant_c
        self.coolant_start = float(ambient_c) if cold_start else e.hot_coolant_c
        self.heat_capacity = e.coolant_heat_capacity_kj_per_k * 1e3  # J/K
        self.heat_fraction = e.coolant_heat_fraction
        self.friction_exponent = e.cold_friction_exponent

    def wot(self, w):
        return float(np.interp(w, self.speed, self.wot_curve))

    def motoring(self, w):
        return float(np.interp(w, self.speed, self.motoring_curve))

    def fuel(self, w, t):
        """Fuel rate [kg/s] of the warm engine; 0 at or below the motoring torque; the map is clamped at its edges."""
        if t <= self.motoring(w):
            return 0.0
        w = min(max(w, self.speed[0]), self.speed[-1])
        t = min(max(t, self.torque[0]), self.torque[-1])
        return max(float(self.fuel_map([[w, t]])[0]), 0.0)

    def cold_extra_fuel(self, w, coolant):
        """Extra fuel [kg/s] of a fuelled engine at speed w with the coolant at ``coolant`` [°C]:
        (θ^(−t) − 1)·ṁ_fric."""
        if not self.cold_start or coolant >= self.coolant_hot:
            return 0.0
        theta = (coolant + 273.15) / (self.coolant_hot + 273.15)
        return (theta ** (-self.friction_exponent) - 1.0) * float(np.interp(w, self.speed, self.friction_fuel))

    def coolant_after(self, coolant, p_fuel, dt):
        """Coolant temperature after dt with fuel power p_fuel: C·dT/dt = f·P_fuel, capped at the thermostat."""
        if not self.cold_start:
            return coolant
        return min(coolant + dt * self.heat_fraction * p_fuel / self.heat_capacity, self.coolant_hot)


class Machine:
    """A PMSM with its inverter: envelope, loss model and DC power (``components/motor.py``)."""

    def __init__(self, m):
        self.peak_torque = m.peak_torque_nm
        self.peak_power = m.peak_power_kw * 1e3
        self.max_speed = m.max_speed_rpm * RPM
        self.inertia = m.inertia_kgm2
        # the inverter: the legacy constant efficiency, nothing when the map includes it, else the loss model
        # P_0 + V_0'·I + R'·I² + K_sw·V_dc·(I − I_P) fitted to ORNL/TM-2006/423 and scaled by the peak current
        self.eta_inv = 1.0 if m.loss_map_includes_inverter else m.inverter_efficiency
        i_pk = m.inverter_peak_current_a or 2.0 * m.peak_power_kw * 1e3 / m.dc_bus_voltage_v
        r = i_pk / INV_2004["i_pk_a"]
        f = m.inverter_loss_scale
        self.inv = (INV_2004["fixed_w"] * r * f, INV_2004["cond_w_per_a"] * f, INV_2004["r_w_per_a2"] / r * f,
                    INV_2004["sw_w_per_a_v"] * f)
        self.amp_per_nm = i_pk / m.peak_torque_nm
        # the bus: fixed at dc_bus_voltage_v, or variable from dc_bus_min_voltage_v up to it as the machine needs,
        # V_max·(|ω|/ω_b)·√(e0² + (1 − e0²)·(T/T_pk)²); the boost converter on the net DC power of the machines:
        # V_0b·I + R_b·I² + K_b·V_dc·I (switching only above the floor), I = |P|/V_min, coefficients from the
        # 2004 devices: one leg of the 3 × 2√2/π the inverter's V_0' and K_sw sum, R_b two devices' slope at the
        # converter's rated current P_pk/V_min
        self.v_max = m.dc_bus_voltage_v
        self.v_min = m.dc_bus_voltage_v if m.dc_bus_min_voltage_v is None else m.dc_bus_min_voltage_v
        self.w_base = m.peak_power_kw * 1e3 / m.peak_torque_nm
        self.e0 = m.no_load_voltage_fraction
        legs = 3.0 * 2.0 * math.sqrt(2.0) / math.pi
        self.boost = None
        if self.v_min < self.v_max and self.eta_inv is None:
            i_b = m.peak_power_kw * 1e3 / self.v_min
            self.boost = (INV_2004["cond_w_per_a"] / legs * f, 2.0 * INV_2004["r_w_per_a2"] / 3.0 * 200.0 / i_b * f,
                          INV_2004["sw_w_per_a_v"] / legs * f)
        # ADVISOR's scaling of the 2010 MG2 loss fit by the torque and speed ratios, times loss_scale
        s_t = m.peak_torque_nm / MG2_2010["torque_nm"]
        s_w = m.max_speed_rpm / MG2_2010["speed_rpm"]
        f = m.loss_scale
        self.kc = MG2_2010["kc"] * s_w / s_t * f if m.loss_kc_w_per_nm2 is None else m.loss_kc_w_per_nm2
        self.ki = MG2_2010["ki"] * s_t * f if m.loss_ki_w_s_per_rad is None else m.loss_ki_w_s_per_rad
        self.kw = MG2_2010["kw"] * s_t / s_w**2 * f if m.loss_kw_w_s3_per_rad3 is None else m.loss_kw_w_s3_per_rad3
        self.c = MG2_2010["c"] * s_t * s_w * f if m.loss_c_w is None else m.loss_c_w
        # C ramps in linearly up to the map's lowest measured torque (10 N·m on the 2010 MG2), scaled by torque
        self.t_c = 10.0 * s_t if m.loss_c_full_torque_nm is None else m.loss_c_full_torque_nm
        # an idle machine (zero torque, inverter off) loses the share f of the zero-torque loss
        self.f_idle = m.no_load_drag_fraction
        self.map = None
        if m.loss_map_file is not None:
            # the measured map's loss table (built by the component), interpolated here with scipy, clamped
            table, table_gen, dw, dt = loss_table(m.loss_map_file, m.loss_map_column)
            table, table_gen = table.copy(), table_gen.copy()
            table[:, 0] *= self.f_idle  # the idle share at zero torque; the interpolation ramps it up
            table_gen[:, 0] *= self.f_idle
            self.map_w = np.arange(table.shape[0]) * dw
            self.map_t = np.arange(table.shape[1]) * dt
            self.map = RegularGridInterpolator((self.map_w, self.map_t), table)
            self.map_gen = RegularGridInterpolator((self.map_w, self.map_t), table_gen)

    def torque_max(self, w):
        """min(T_pk, P_pk/|ω|) [N·m]."""
        return min(self.peak_torque, self.peak_power / abs(w)) if w != 0.0 else self.peak_torque

    def loss(self, t, w):
        """kc·T² + D·(f + (1 − f)·r) + C·r, D = ki·|ω| + kw·|ω|³, r = min(|T|/T_C, 1), or the map at (|ω|, |T|)
        clamped to its range [W]."""
        aw = abs(w)
        if self.map is not None:
            table = self.map_gen if t * w < 0.0 else self.map
            return float(table((min(aw, self.map_w[-1]), min(abs(t), self.map_t[-1]))))
        drag = self.ki * aw + self.kw * aw * aw * aw
        r = min(abs(t) / self.t_c, 1.0)
        return self.kc * t * t + drag * (self.f_idle + (1.0 - self.f_idle) * r) + self.c * r

    def bus_voltage(self, t, w):
        """The bus voltage this machine needs at (t, w), within the floor and ceiling [V]."""
        if self.v_min >= self.v_max:
            return self.v_max
        v = self.v_max * abs(w) / self.w_base * math.sqrt(self.e0**2 + (1.0 - self.e0**2) * (t / self.peak_torque)**2)
        return min(max(v, self.v_min), self.v_max)

    def boost_loss(self, p_hv, v_dc):
        """Boost converter loss for the machines' net DC power p_hv at bus voltage v_dc [W]."""
        if self.boost is None:
            return 0.0
        v0, r, sw = self.boost
        i = abs(p_hv) / self.v_min
        return v0 * i + r * i * i + (sw * v_dc * i if v_dc > self.v_min else 0.0)

    def inverter_dc(self, t, p_ac, w):
        """DC power [W] for AC power p_ac at torque t, speed w: constant efficiency in the direction of flow, or
        P_ac plus the loss model at the bus voltage (nothing at zero torque; current ∝ torque, at least P_ac at the
        voltage limit)."""
        if self.eta_inv is not None:
            return p_ac / self.eta_inv if p_ac >= 0.0 else p_ac * self.eta_inv
        if t == 0.0:
            return p_ac
        v = self.bus_voltage(t, w)
        i_p = abs(p_ac) / (1.5 / math.sqrt(2.0) * v)
        i = max(abs(t) * self.amp_per_nm, i_p)
        p0, v0, r, sw = self.inv
        p0 *= min(abs(t) / (0.01 * self.peak_torque), 1.0)  # ramped in over the first 1 % of peak torque
        return p_ac + p0 + v0 * i + r * i * i + sw * v * (i - i_p)

    def dc_power(self, t, w):
        """(DC power, machine loss, inverter loss) [W]."""
        loss = self.loss(t, w)
        p_ac = t * w + loss
        p_dc = self.inverter_dc(t, p_ac, w)
        return p_dc, loss, p_dc - p_ac

    def generating_torque_for_dc_power(self, w, p_dc):
        """Braking torque (≤ 0 for ω > 0) whose DC power is p_dc (< 0). Constant inverter efficiency: the AC
        power's torque (below). Loss model: the first torque from zero at which the DC power reaches p_dc, found
        on 129 torques from 0 to T_pk (the kernel's fallback grid) and refined by bisection; where no grid torque
        reaches it, the least DC power between the neighbours of the best one (bounded minimisation: the DC power
        is convex in |T| there) decides: the first crossing before it if it reaches p_dc, else (beyond reach) the
        kernel's rule, the best of the 129."""
        if self.eta_inv is not None:
            return self.generating_torque_for_ac_power(w, p_dc / self.eta_inv)
        sign = -1.0 if w > 0.0 else 1.0
        if w == 0.0 or self.dc_power(0.0, w)[0] <= p_dc:
            return 0.0

        def dc(x):
            return self.dc_power(sign * x, w)[0]

        xs = np.arange(129) * (self.peak_torque / 128)
        vals = np.array([dc(x) for x in xs])
        below = np.nonzero(vals <= p_dc)[0]
        if len(below) > 0:
            lo, hi = xs[below[0] - 1], xs[below[0]]
        else:
            k = int(np.argmin(vals))
            a, b = xs[max(k - 1, 0)], xs[min(k + 1, 128)]
            best = minimize_scalar(dc, bounds=(a, b), method="bounded", options={"xatol": 1e-12 * self.peak_torque})
            if best.fun > p_dc:
                return sign * xs[k]
            lo, hi = a, best.x
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if dc(mid) > p_dc:
                lo = mid
            else:
                hi = mid
        return sign * lo

    def generating_torque_for_ac_power(self, w, p_ac):
        """Braking torque (≤ 0 for ω > 0) whose AC power T·ω + loss is p_ac (< 0): found by bisection between
        zero torque and the best generating point (its most negative value); 0 if even zero torque draws more;
        the best generating point if P_ac is beyond it (kernel rules)."""
        sign = -1.0 if w > 0.0 else 1.0

        def ac(x):
            return sign * x * w + self.loss(sign * x, w)

        if w == 0.0 or ac(0.0) <= p_ac:
            return 0.0
        if self.map is not None:
            # piecewise linear in |T| between the map's torque nodes: scan finely (nodes included) for the
            # first sample at or below the target, then bisect; the best node if none reaches it
            xs = np.union1d(np.linspace(0.0, self.map_t[-1], 2001), self.map_t)
            pts = np.column_stack([np.full(xs.shape, min(abs(w), self.map_w[-1])), xs])
            vals = sign * xs * w + self.map_gen(pts)
            below = np.nonzero(vals <= p_ac)[0]
            if len(below) == 0:
                return sign * xs[int(np.argmin(vals))]
            lo, hi = xs[below[0] - 1], xs[below[0]]
            for _ in range(80):
                mid = 0.5 * (lo + hi)
                if ac(mid) > p_ac:
                    lo = mid
                else:
                    hi = mid
            return sign * 0.5 * (lo + hi)

        # the AC power is a parabola in x = |T| on each piece: below T_C (C ramps in) and above it; the root
        # nearest zero, piece by piece (numpy.roots), else the lowest of the pieces' vertices (clipped)
        aw = abs(w)
        drag = self.ki * aw + self.kw * aw * aw * aw
        pieces = (((self.kc, -(aw - (self.c + (1.0 - self.f_idle) * drag) / self.t_c), self.f_idle * drag), 0.0,
                   self.t_c),
                  ((self.kc, -aw, drag + self.c), self.t_c, math.inf))
        for (a, b, c0), lo, hi in pieces:
            coeffs = [a, b, c0 - p_ac] if a != 0.0 else [b, c0 - p_ac]
            real = sorted(r.real for r in np.roots(coeffs) if abs(r.imag) <= 1e-9 * abs(r) and lo <= r.real <= hi)
            if real:
                return sign * real[0]
        vertices = [min(max(-b / (2.0 * a), lo), hi) if a > 0.0 else lo for (a, b, _), lo, hi in pieces]
        return sign * min(vertices, key=ac)


class Battery:
    """Rint battery on the package's uniform SOC tables (``components/battery.py``), with its optional 1-RC
    branch: R0 = ohmic_fraction·R, R1 = polarisation_fraction·(R_dis + R_chg)/2, time constant τ; the
    polarisation voltage V1 is the caller's state (``step_state``, ``step``)."""

    def __init__(self, b):
        self.soc_grid, self.ocv, r_dis, r_chg = (np.asarray(a, float) for a in b.tables())
        self.r1 = 0.5 * (r_dis + r_chg) * b.polarisation_fraction
        self.r_dis = r_dis * b.ohmic_fraction
        self.r_chg = r_chg * b.ohmic_fraction
        self.tau = b.polarisation_time_constant_s
        self.capacity_as = b.capacity_ah * 3600.0
        self.soc_min, self.soc_max, self.band = b.soc_min, b.soc_max, b.soc_derate_band
        self.p_dis_rated = b.max_discharge_power_kw * 1e3
        self.p_chg_rated = b.max_charge_power_kw * 1e3
        self.v_min, self.v_max = b.min_voltage_v, b.max_voltage_v
        self.eta_c = b.coulombic_efficiency

    def state(self, soc):
        """(V_oc [V], R_dis [Ω], R_chg [Ω])."""
        return tuple(float(np.interp(soc, self.soc_grid, a)) for a in (self.ocv, self.r_dis, self.r_chg))

    def limits(self, soc, st=None):
        """(discharge, charge) terminal power limits [W], both ≥ 0, at the battery state ``st`` = (OCV, R_dis,
        R_chg) (default: ``state(soc)``)."""
        ocv, rd, rc = self.state(soc) if st is None else st
        p_dis = min(self.p_dis_rated, self.v_min * (ocv - self.v_min) / rd)
        p_chg = min(self.p_chg_rated, self.v_max * (self.v_max - ocv) / rc)
        if self.band > 0.0:
            f_dis = (soc - self.soc_min) / self.band
            f_chg = (self.soc_max - soc) / self.band
        else:
            f_dis = 1.0 if soc > self.soc_min else 0.0
            f_chg = 1.0 if soc < self.soc_max else 0.0
        f_dis = min(max(f_dis, 0.0), 1.0)
        f_chg = min(max(f_chg, 0.0), 1.0)
        return max(p_dis, 0.0) * f_dis, max(p_chg, 0.0) * f_chg

    def step_state(self, soc, v1, dt):
        """(V_oc, step OCV, step R_dis, step R_chg) of a step of dt from polarisation voltage v1: with a current I
        constant over the step, V1(t) = R1·I + (v1 − R1·I)·e^(−t/τ), whose mean over the step is
        R1·I·(1 − g) + g·v1, g = (τ/dt)·(1 − e^(−dt/τ)); the terminal power I·(V_oc − R0·I − mean V1) is then
        (V_oc − g·v1)·I − (R0 + R1·(1 − g))·I²."""
        ocv, rd, rc = self.state(soc)
        r1 = float(np.interp(soc, self.soc_grid, self.r1))
        if r1 == 0.0 and v1 == 0.0:
            return ocv, ocv, rd, rc
        g = self.tau / dt * (1.0 - math.exp(-dt / self.tau))
        return ocv, ocv - g * v1, rd + r1 * (1.0 - g), rc + r1 * (1.0 - g)

    def step(self, soc, p, dt, v1=0.0):
        """(current, terminal voltage, chemical power, loss, new SOC) at terminal power p (discharge > 0) from
        polarisation voltage v1; the new polarisation voltage and the power into the branch's capacitance
        (½·C1·(V1² − v1²)/dt, C1 = τ/R1) are left in ``self.last_v1``, ``self.last_polarisation_power``. The loss
        is R0·I² + the mean of V1²/R1 over the step (+ the coulombic loss)."""
        ocv_true, ocv, rd, rc = self.step_state(soc, v1, dt)
        r = rd if p > 0.0 else rc
        # I = (V_oc − √disc)/(2R), the root of P = V_oc·I − R·I² nearest zero, written as 2P/(V_oc + √disc)
        # (no cancellation at small P). Beyond the matched-load point (disc < 0) disc is taken as 0, which
        # gives I = 2P/V_oc (kernel rule; the controllers should never ask for that much).
        disc = max(ocv * ocv - 4.0 * r * p, 0.0)
        i = 2.0 * p / (ocv + math.sqrt(disc))
        if i >= 0.0:
            i_eff, loss = i, r * i * i
        else:
            i_eff = self.eta_c * i
            loss = r * i * i + (1.0 - self.eta_c) * ocv_true * (-i)  # resistive + coulombic
        r1 = float(np.interp(soc, self.soc_grid, self.r1))
        self.last_v1, self.last_polarisation_power = 0.0, 0.0
        if r1 > 0.0:
            # V1 at the step's end; the branch's loss over the step, by quadrature of V1(t)²/R1 (Simpson on
            # 64 intervals): independent of the kernel's closed form
            a = math.exp(-dt / self.tau)
            self.last_v1 = r1 * i + (v1 - r1 * i) * a
            ts = np.linspace(0.0, dt, 65)
            v1_t = r1 * i + (v1 - r1 * i) * np.exp(-ts / self.tau)
            f = v1_t * v1_t / r1
            e_r1 = dt / 192.0 * (f[0] + f[-1] + 4.0 * f[1:-1:2].sum() + 2.0 * f[2:-1:2].sum())
            self.last_polarisation_power = 0.5 * self.tau / r1 * (self.last_v1 ** 2 - v1 * v1) / dt
            r0 = float(np.interp(soc, self.soc_grid, self.r_dis if p > 0.0 else self.r_chg))
            loss += (r0 - r) * i * i + e_r1 / dt  # R0·I² instead of the step resistance's, plus the branch
        return i, ocv - r * i, ocv_true * i_eff, loss, soc - i_eff * dt / self.capacity_as


def window_limits(bat: Battery, soc: float, dt: float, v1: float = 0.0) -> tuple[float, float]:
    """``core/electric.battery_window_limits_w``: the limits of :meth:`Battery.limits`, capped so that one step
    of dt at the limit keeps the SOC in [soc_min, soc_max] (largest current from the SOC headroom, its terminal
    power OCV·I ∓ R·I²), at the step OCV and resistances from polarisation voltage v1."""
    _, ocv, rd, rc = bat.step_state(soc, v1, dt)
    p_dis, p_chg = bat.limits(soc, (ocv, rd, rc))
    keep = 1.0 - 1e-9
    i_dis = min(max((soc - bat.soc_min) * bat.capacity_as / dt * keep, 0.0), 0.5 * ocv / rd)
    i_chg = max((bat.soc_max - soc) * bat.capacity_as / (dt * bat.eta_c) * keep, 0.0)
    return min(p_dis, ocv * i_dis - rd * i_dis * i_dis), min(p_chg, ocv * i_chg + rc * i_chg * i_chg)


def _stranded_energy(j, w, w_prev):
    """Kinetic energy [J] a rotor's inertia torque leaves unbooked over a step: ½J(w − w_prev)² where the plain
    difference is used (|w| < |w_prev|/2, stopping or crossing zero), else 0."""
    if w != 0.0 and abs(w) >= 0.5 * abs(w_prev):
        return 0.0
    return 0.5 * j * (w - w_prev) ** 2


def rotor_recovery(engine, mg1, j_e, j_g, p_chg_max, mg1_idle, w_e0, w_e, w_g0, w_g, p_b, dt):
    """``core/ths.rotor_recovery`` from its docstring: the rotors' unbooked kinetic energy, less the stopping
    engine's motoring friction at half its start speed over the step, generated by MG1 at its mean speed (its
    loss above the zero-torque loss there, then its inverter) within its envelope and the charge limit.
    (DC power, MG1 loss, inverter loss, mechanical power recovered, engine friction) [W]; zeros where none."""
    none = (0.0, 0.0, 0.0, 0.0, 0.0)
    if mg1_idle:
        return none
    e_e = _stranded_energy(j_e, w_e, w_e0)
    e_g = _stranded_energy(j_g, w_g, w_g0)
    if e_e <= 0.0 and e_g <= 0.0:
        return none
    p_fric = 0.0
    if e_e > 0.0 and w_e == 0.0:
        p_fric = min(max(-engine.motoring(0.5 * w_e0) * 0.5 * w_e0, 0.0), e_e / dt)
    p_avail = (e_e + e_g) / dt - p_fric
    w_bar = 0.5 * (w_g0 + w_g)
    if p_avail <= 0.0 or abs(w_bar) < 1.0:
        return none
    t_rec = max(min(-p_avail / w_bar, mg1.torque_max(w_bar)), -mg1.torque_max(w_bar))
    dl = mg1.loss(t_rec, w_bar) - mg1.loss(0.0, w_bar)
    p_ac = t_rec * w_bar + dl
    if p_ac >= 0.0:
        return none
    p_dc = mg1.inverter_dc(t_rec, p_ac, w_bar)
    if p_dc >= 0.0 or p_b + p_dc < -p_chg_max:
        return none
    return p_dc, dl, p_dc - p_ac, -t_rec * w_bar, p_fric
