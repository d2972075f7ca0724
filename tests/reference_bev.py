"""A slow, obvious reference model of a dual-motor BEV, for testing ``hybridsim.core.bev``.

Written from the model descriptions in the package's docstrings (``components/chassis.py``,
``components/motor.py``, ``components/battery.py``, ``components/drive_unit.py``, ``control/bev.py``
and the kernel's module docstring), in plain Python, one step at a time. It imports nothing from
``hybridsim.core``: parameters come straight from the component dataclasses (units converted here), the
battery's OCV/R tables from ``Battery.tables()`` with ``numpy.interp``.

Where the descriptions leave a detail open, the kernel's documented choice is followed and marked
"(kernel rule)": the split search is a grid of N_GRID intervals plus the 50/50 point, refined by
N_GOLDEN golden-section steps in the neighbouring cells; bisections take 40 halvings.
"""

from __future__ import annotations

import math

import numpy as np
from reference_components import Battery, G, Machine, road_force, road_load_si, window_limits

N_GRID = 24  # (kernel rule)
N_GOLDEN = 24  # (kernel rule)
INVPHI = (math.sqrt(5.0) - 1.0) / 2.0
INF = float("inf")

OUTPUTS = (
    "speed_mps", "rear_gear", "front_motor_speed_rad_s", "front_motor_torque_nm", "front_motor_electric_power_w",
    "front_motor_loss_w", "rear_motor_speed_rad_s", "rear_motor_torque_nm", "rear_motor_electric_power_w",
    "rear_motor_loss_w", "inverter_loss_w", "gearbox_loss_w", "rear_rotor_inertia_power_w", "battery_current_a",
    "battery_voltage_v",
    "battery_power_w", "battery_chemical_power_w", "battery_loss_w", "soc", "accessory_power_w",
    "wheel_power_w", "brake_power_w", "trace_miss_mps",
)


class NoMachine:
    """The axle without a drive unit of a single-motor car (``powertrains/bev.py``: "no torque, no loss, no
    inertia"): it can deliver nothing and draws nothing."""

    max_speed = math.inf
    inertia = 0.0
    ki = 0.0
    kw = 0.0
    f_idle = 1.0

    def torque_max(self, w):
        return 0.0

    def dc_power(self, t, w):
        return 0.0, 0.0, 0.0

    def generating_torque_for_dc_power(self, w, p_dc):
        return 0.0


class ReferenceBev:
    def __init__(self, vehicle):
        ch = vehicle.chassis
        d = vehicle.drive
        self.r = ch.wheel_radius_m
        self.mass = ch.mass_kg + ch.payload_kg
        self.front = Machine(vehicle.motors["front"]) if "front" in vehicle.motors else NoMachine()
        self.rear = Machine(vehicle.motors["rear"]) if "rear" in vehicle.motors else NoMachine()
        # a unit that is absent: ratio and efficiency 1 (they multiply a zero torque)
        self.i_f = d.front_ratio if d.front_ratio is not None else 1.0
        self.eta_f = d.front_efficiency if d.front_ratio is not None else 1.0
        self.i_r = list(d.rear_gear_ratios) if d.rear_gear_ratios is not None else [1.0]
        self.eta_r = list(d.rear_efficiencies)
        jf = self.front.inertia * self.i_f**2
        jr = self.rear.inertia * self.i_r[-1] ** 2
        self.mass_eff = self.mass + (ch.wheel_inertia_kgm2 + jf + jr) / self.r**2
        self.m_wheels_axle = 0.5 * ch.wheel_inertia_kgm2 / self.r**2
        self.j_f = self.front.inertia
        self.j_r = self.rear.inertia
        self.c0, self.c1, self.c2 = road_load_si(ch, self.mass)
        if ch.road_load_includes_machine_drag:  # the coast-down holds both machines' no-load drag (rear in top)
            for m, g in ((self.front, self.i_f / self.r), (self.rear, self.i_r[-1] / self.r)):
                # an idle machine loses f·(ki·ω + kw·ω³) at ω = g·v  →  F = f·(ki·g + kw·g³·v²)
                self.c0 -= m.f_idle * m.ki * g
                self.c2 -= m.f_idle * m.kw * g**3
        self.p_sys = d.system_power_kw * 1e3
        self.p_regen = d.regen_power_kw * 1e3
        c = vehicle.controller
        self.v_up = c.first_gear_max_speed_kmh / 3.6
        self.v_down = c.downshift_speed_kmh / 3.6
        self.f_launch = c.launch_demand_fraction
        self.f_release = c.release_demand_fraction
        self.v_fade = c.regen_fade_speed_kmh / 3.6
        self.p_aux = vehicle.accessories.electrical_power_w / vehicle.accessories.dcdc_efficiency
        mu = 0.9 if ch.tyre_friction_coefficient is None else ch.tyre_friction_coefficient
        self.mu = mu if ch.front_axle_load_share is not None else 0.0
        self.share = ch.front_axle_load_share or 0.5
        self.h_l = ch.cg_height_m / ch.wheelbase_m if ch.cg_height_m and ch.wheelbase_m else 0.0
        self.bat = Battery(vehicle.battery)

    # chassis
    def force(self, v0, v1, dt, grade):
        return road_force(self.mass, self.mass_eff, self.c0, self.c1, self.c2, v0, v1, dt, grade)

    # drive units
    @staticmethod
    def motor_torque(t_wheel, i, eta):
        return t_wheel / (i * eta) if t_wheel >= 0 else t_wheel * eta / i

    def powers(self, g, w, tf, trr):
        t_mf = self.motor_torque(tf, self.i_f, self.eta_f)
        t_mr = self.motor_torque(trr, self.i_r[g], self.eta_r[g])
        pf, lf, invf = self.front.dc_power(t_mf, w * self.i_f)
        pr, lr, invr = self.rear.dc_power(t_mr, w * self.i_r[g])
        shaft = t_mf * w * self.i_f + t_mr * w * self.i_r[g]
        return pf + pr, shaft, t_mf, t_mr, pf, pr, lf, lr, invf + invr

    @staticmethod
    def freewheel(m, w):
        """(torque, DC power, machine loss, inverter loss) of a machine whose inverter draws nothing: the generating
        torque at DC power 0; where even that draws power (at low speed its losses exceed what it recovers), the
        inverter off and the rotor's zero-torque loss taken from the shaft, no DC power."""
        t = m.generating_torque_for_dc_power(w, 0.0)
        p, loss, inv = m.dc_power(t, w)
        if p > 1e-6 and w != 0.0:  # (p at the root: 0 to rounding, either side)
            l_idle = m.loss(0.0, w)
            if -l_idle / w <= 0.0:
                return -l_idle / w, 0.0, l_idle, 0.0
        return t, p, loss, inv

    def freewheel_powers(self, g, w):
        """``powers`` of freewheeling machines (``freewheel``)."""
        t_mf, pf, lf, invf = self.freewheel(self.front, w * self.i_f)
        t_mr, pr, lr, invr = self.freewheel(self.rear, w * self.i_r[g])
        shaft = t_mf * w * self.i_f + t_mr * w * self.i_r[g]
        return pf + pr, shaft, t_mf, t_mr, pf, pr, lf, lr, invf + invr

    def freewheel_torques(self, g, w):
        """Wheel torques (≤ 0) of freewheeling machines (``freewheel``)."""
        t_mf, t_mr = self.freewheel_powers(g, w)[2:4]
        return t_mf * self.i_f / self.eta_f, t_mr * self.i_r[g] / self.eta_r[g]

    def gearbox_loss(self, t_m, w_m, eta):
        """Reduction loss in the direction of power flow: machine drives → (1 − η)·P_m; wheels drive →
        the wheel side gives |P_m|/η, loss (1/η − 1)·|P_m|."""
        p = t_m * w_m
        return (1 - eta) * p if p >= 0 else -p * (1 / eta - 1)

    def extra_rotor_mass(self, g):
        """Rear rotor inertia in gear g beyond the top-gear share already in mass_eff. [kg]"""
        return self.j_r * (self.i_r[g] ** 2 - self.i_r[-1] ** 2) / self.r**2

    def axle_limits(self, g, w, acc, braking=False):
        """Envelope through the reduction (i·η driving, i/η braking) and traction on the ground force
        T/r − M·a ≤ μ·N (driving), −(T/r − M·a) ≤ μ·N (braking)."""
        if braking:
            tf = self.front.torque_max(w * self.i_f) * self.i_f / self.eta_f
            tr = self.rear.torque_max(w * self.i_r[g]) * self.i_r[g] / self.eta_r[g]
        else:
            tf = self.front.torque_max(w * self.i_f) * self.i_f * self.eta_f
            tr = self.rear.torque_max(w * self.i_r[g]) * self.i_r[g] * self.eta_r[g]
        if self.mu > 0:
            dn = self.mass * acc * self.h_l
            n_f = max(self.mass * G * self.share - dn, 0.0)
            n_r = max(self.mass * G * (1 - self.share) + dn, 0.0)
            m_f = self.m_wheels_axle + self.j_f * self.i_f**2 / self.r**2
            m_r = self.m_wheels_axle + self.j_r * self.i_r[g] ** 2 / self.r**2
            s = -1.0 if braking else 1.0
            tf = min(tf, max((self.mu * n_f + s * m_f * acc) * self.r, 0.0))
            tr = min(tr, max((self.mu * n_r + s * m_r * acc) * self.r, 0.0))
        return tf, tr

    def cost(self, g, w, t, tf, p_dis, p_sys):
        p, shaft = self.powers(g, w, tf, t - tf)[:2]
        if t > 0 and (shaft > p_sys * (1 + 1e-12) or p + self.p_aux > p_dis * (1 + 1e-12)):
            return INF
        return p

    def split(self, g, w, t, tf_max, tr_max, p_dis, p_sys):
        lo, hi = (max(0.0, t - tr_max), min(t, tf_max)) if t >= 0 else (max(t, -tf_max), min(0.0, t + tr_max))
        if lo > hi + 1e-9 * (1 + abs(t)):
            return False, 0.0, INF
        hi = max(hi, lo)
        cands = [(self.cost(g, w, t, lo, p_dis, p_sys), lo, 0)]
        span = hi - lo
        if span > 0:
            for k in range(1, N_GRID + 1):
                tf = hi if k == N_GRID else lo + span * k / N_GRID  # (kernel rule) the end exactly
                cands.append((self.cost(g, w, t, tf, p_dis, p_sys), tf, k))
        best_p, best_t, best_k = cands[0]
        for p, tf, k in cands[1:]:
            if p < best_p:
                best_p, best_t, best_k = p, tf, k
        if span > 0:
            if lo <= 0.5 * t <= hi:
                p = self.cost(g, w, t, 0.5 * t, p_dis, p_sys)
                if p < best_p:
                    best_p, best_t, best_k = p, 0.5 * t, -1
            if best_k >= 0 and best_p < INF:
                a = lo + span * max(best_k - 1, 0) / N_GRID
                b = lo + span * min(best_k + 1, N_GRID) / N_GRID
                c, d = b - INVPHI * (b - a), a + INVPHI * (b - a)
                pc, pd = self.cost(g, w, t, c, p_dis, p_sys), self.cost(g, w, t, d, p_dis, p_sys)
                for _ in range(N_GOLDEN):
                    if pc < pd:
                        b, d, pd = d, c, pc
                        c = b - INVPHI * (b - a)
                        pc = self.cost(g, w, t, c, p_dis, p_sys)
                    else:
                        a, c, pc = c, d, pd
                        d = a + INVPHI * (b - a)
                        pd = self.cost(g, w, t, d, p_dis, p_sys)
                if pc < best_p:
                    best_p, best_t = pc, c
                if pd < best_p:
                    best_p, best_t = pd, d
        return best_p < INF, best_t, best_p

    def gear(self, g_prev, v, w, t):
        if len(self.i_r) < 2:
            return 0
        if w * self.i_r[0] > self.rear.max_speed:
            return 1
        t2 = (self.front.torque_max(w * self.i_f) * self.i_f * self.eta_f
              + self.rear.torque_max(w * self.i_r[1]) * self.i_r[1] * self.eta_r[1])
        if g_prev == 0:
            return 0 if (v < self.v_up and t > self.f_release * t2) else 1
        return 0 if (v < self.v_down and t > self.f_launch * t2) else 1

    def drive(self, v0, v1, dt, grade, g_prev, p_dis):
        f = self.force(v0, v1, dt, grade)
        vbar = 0.5 * (v0 + v1)
        w = vbar / self.r
        acc = (v1 - v0) / dt
        g = self.gear(g_prev, vbar, w, f * self.r)
        n = len(self.i_r)
        for attempt in range(n):
            gg = (g + attempt) % n
            if w * self.i_r[gg] > self.rear.max_speed or w * self.i_f > self.front.max_speed:
                continue
            t = (f + self.extra_rotor_mass(gg) * acc) * self.r
            tf_max, tr_max = self.axle_limits(gg, w, acc)
            ok, tf, _ = self.split(gg, w, t, tf_max, tr_max, p_dis, self.p_sys)
            if ok:
                return True, gg, tf, t, f
        return False, g, 0.0, f * self.r, f

    def regen(self, v0, v1, dt, grade, g_prev, p_chg):
        f = self.force(v0, v1, dt, grade)
        vbar = 0.5 * (v0 + v1)
        w = vbar / self.r
        g = self.gear(g_prev, vbar, w, 0.0)
        if w * self.i_r[g] > self.rear.max_speed:
            g = len(self.i_r) - 1
        fade = vbar / self.v_fade if (self.v_fade > 0 and vbar < self.v_fade) else 1.0
        acc = (v1 - v0) / dt
        tf_max, tr_max = self.axle_limits(g, w, acc, braking=True)
        t_req = max((f + self.extra_rotor_mass(g) * acc) * self.r * fade, -(tf_max + tr_max))
        p_lo = max(-p_chg - self.p_aux, -self.p_regen)
        ok, tf, p = self.split(g, w, t_req, tf_max, tr_max, INF, INF)
        if ok and p < p_lo:
            lo, hi = 0.0, 1.0
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                okm, _, pm = self.split(g, w, t_req * mid, tf_max, tr_max, INF, INF)
                if okm and pm >= p_lo:
                    lo = mid
                else:
                    hi = mid
            t_req *= lo
            ok, tf, p = self.split(g, w, t_req, tf_max, tr_max, INF, INF)
        if not ok or self.powers(g, w, 0.0, 0.0)[0] <= p:
            return g, 0.0, 0.0, f
        return g, tf, t_req, f


def run_reference(vehicle, cycle, soc0=None) -> dict[str, np.ndarray]:
    car = ReferenceBev(vehicle)
    t, vc, gr = cycle.time_s, cycle.speed_mps, cycle.grade
    n = len(t)
    out = {k: np.zeros(n) for k in OUTPUTS}
    soc = vehicle.battery.soc_max if soc0 is None else soc0
    out["speed_mps"][0] = vc[0]
    out["soc"][0] = soc
    out["rear_gear"][0] = len(car.i_r)
    g_prev = len(car.i_r) - 1
    for k in range(1, n):
        dt = t[k] - t[k - 1]
        v0, v1 = out["speed_mps"][k - 1], vc[k]
        p_dis, p_chg = window_limits(car.bat, soc, dt)
        p_dis_batt = p_dis
        # empty battery: the accessory load is cut to what it can supply; the drive and regen steps budget the
        # nominal load, so their limits shift by the cut (kernel rule)
        p_acc = car.p_aux if car.p_aux <= p_dis + 1e-6 else p_dis
        p_dis = p_dis + (car.p_aux - p_acc)
        p_chg = max(p_chg - (car.p_aux - p_acc), 0.0)
        f = car.force(v0, v1, dt, gr[k])
        if f >= 0:
            ok, g, tf, t_el, f = car.drive(v0, v1, dt, gr[k], g_prev, p_dis)
            if not ok:
                lo, hi = 0.0, v1
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    if car.force(v0, mid, dt, gr[k]) < 0 or car.drive(v0, mid, dt, gr[k], g_prev, p_dis)[0]:
                        lo = mid
                    else:
                        hi = mid
                v1 = lo
                if car.force(v0, v1, dt, gr[k]) >= 0:
                    ok, g, tf, t_el, f = car.drive(v0, v1, dt, gr[k], g_prev, p_dis)
                    if not ok:
                        tf = t_el = 0.0
                else:
                    g, tf, t_el, f = car.regen(v0, v1, dt, gr[k], g_prev, p_chg)
        else:
            g, tf, t_el, f = car.regen(v0, v1, dt, gr[k], g_prev, p_chg)
        w = 0.5 * (v0 + v1) / car.r
        p_rotor = car.extra_rotor_mass(g) * (v1 - v0) / dt * 0.5 * (v0 + v1)
        p_el, shaft, t_mf, t_mr, pf, pr, lf, lr, inv = car.powers(g, w, tf, t_el - tf)
        gbx = (car.gearbox_loss(t_mf, w * car.i_f, car.eta_f)
               + car.gearbox_loss(t_mr, w * car.i_r[g], car.eta_r[g]))
        if p_el + p_acc > p_dis_batt + 1e-6 and p_acc > 0.0:
            p_acc = max(p_dis_batt - p_el, 0.0)
        if p_el > p_dis_batt + 1e-6:
            # empty battery, spinning machines (kernel rule): each machine generates its own losses (DC 0) and
            # the car slows by that drag, the highest end speed at which the road force leaves it room
            lo, hi = 0.0, v1
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                w_mid = 0.5 * (v0 + mid) / car.r
                t_drag = sum(car.freewheel_torques(g, w_mid))
                p_rot = car.extra_rotor_mass(g) * (mid - v0) / dt * w_mid * car.r
                ok_mid = t_drag * w_mid - car.force(v0, mid, dt, gr[k]) * car.r * w_mid - p_rot >= 0.0
                lo, hi = (mid, hi) if ok_mid else (lo, mid)
            v1 = lo
            w = 0.5 * (v0 + v1) / car.r
            f = car.force(v0, v1, dt, gr[k])
            tf, t_rear = car.freewheel_torques(g, w)
            t_el = tf + t_rear
            p_rotor = car.extra_rotor_mass(g) * (v1 - v0) / dt * w * car.r
            p_el, shaft, t_mf, t_mr, pf, pr, lf, lr, inv = car.freewheel_powers(g, w)
            gbx = (car.gearbox_loss(t_mf, w * car.i_f, car.eta_f)
                   + car.gearbox_loss(t_mr, w * car.i_r[g], car.eta_r[g]))
            p_acc = 0.0
        i_b, v_b, p_chem, l_b, soc_new = car.bat.step(soc, p_el + p_acc, dt)
        row = dict(speed_mps=v1, rear_gear=g + 1, front_motor_speed_rad_s=w * car.i_f, front_motor_torque_nm=t_mf,
                   front_motor_electric_power_w=pf, front_motor_loss_w=lf, rear_motor_speed_rad_s=w * car.i_r[g],
                   rear_motor_torque_nm=t_mr, rear_motor_electric_power_w=pr, rear_motor_loss_w=lr,
                   inverter_loss_w=inv, gearbox_loss_w=gbx, rear_rotor_inertia_power_w=p_rotor, battery_current_a=i_b,
                   battery_voltage_v=v_b, battery_power_w=p_el + p_acc, battery_chemical_power_w=p_chem,
                   battery_loss_w=l_b, soc=soc_new, accessory_power_w=p_acc, wheel_power_w=f * car.r * w,
                   brake_power_w=t_el * w - f * car.r * w - p_rotor, trace_miss_mps=vc[k] - v1)
        for key, val in row.items():
            out[key][k] = val
        soc = soc_new
        g_prev = g
    return out
