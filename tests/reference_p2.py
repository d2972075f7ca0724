"""A slow, obvious reference model of a P2 plug-in hybrid, for testing ``hybridsim.core.p2``.

Written from the model descriptions in the docstrings (``core/p2.py`` module docstring,
``control/p2.py``, ``components/motor.py``, ``components/battery.py``, ``components/gearbox.py``), in
plain Python, one step, one gear and one mode at a time. It imports nothing from ``hybridsim.core``:
parameters come from the component dataclasses (units converted here), the fuel map is looked up with
``scipy.interpolate.RegularGridInterpolator``, curves and battery tables with ``numpy.interp``, and the
generating torque for a DC power limit is found with ``scipy.optimize.brentq`` instead of the kernel's
closed-form root. Where the descriptions leave a detail open, the kernel's documented choice is
followed and marked "(kernel rule)".
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from scipy.optimize import brentq

G = 9.80665
RPM = math.pi / 30.0
BISECTION_STEPS = 40  # (kernel rule)

OUTPUTS = (
    "speed_mps", "trace_miss_mps", "gear", "charge_sustaining", "engine_mode", "clutch_state",
    "engine_speed_rad_s", "engine_torque_nm", "fuel_kg_s", "p2_speed_rad_s", "p2_torque_nm",
    "p2_electric_power_w", "battery_current_a", "battery_voltage_v", "battery_power_w", "soc", "coolant_temp_c",
    "fuel_power_w",
    "battery_chemical_power_w", "engine_loss_w", "engine_inertia_power_w", "clutch_loss_w", "p2_loss_w",
    "inverter_loss_w", "p2_inertia_power_w", "gearbox_loss_w", "battery_loss_w", "accessory_power_w",
    "brake_power_w", "wheel_power_w",
)


class RefP2:
    def __init__(self, v):
        ch = v.chassis
        self.mass = ch.mass_kg + ch.payload_kg
        self.r = ch.wheel_radius_m
        self.mass_eff = self.mass + ch.wheel_inertia_kgm2 / self.r**2
        if ch.road_load_f0_n is not None:
            self.c = (ch.road_load_f0_n, ch.road_load_f1_n_per_kmh * 3.6, ch.road_load_f2_n_per_kmh2 * 3.6**2)
        else:
            self.c = (self.mass * G * ch.rolling_resistance_coefficient, 0.0,
                      0.5 * ch.air_density_kg_m3 * ch.drag_coefficient * ch.frontal_area_m2)
        e = v.engine
        m = e.data()
        self.e_speed = np.asarray(m.speed_rad_s, float)
        self.e_torque = np.asarray(m.torque_nm, float)
        self.e_wot = np.asarray(m.wot_nm, float)
        self.e_mot = np.asarray(m.motoring_nm, float)
        self.fuel_map = RegularGridInterpolator((self.e_speed, self.e_torque), np.asarray(m.fuel_kg_s, float))
        self.e_max = e.max_speed_rpm * RPM
        self.e_j = e.inertia_kgm2
        self.lhv = e.fuel_lhv_mj_per_kg * 1e6
        self.start_fuel = e.start_fuel_g * 1e-3
        self.e = e
        self.willans = m.willans
        t = v.transmission
        self.ratios = list(t.gear_ratios)
        self.effs = list(t.gear_efficiencies)
        self.fd = t.final_drive_ratio
        self.fd_eff = t.final_drive_efficiency
        mo = v.motors["p2"]
        self.m_t = mo.peak_torque_nm
        self.m_p = mo.peak_power_kw * 1e3
        self.m_max = mo.max_speed_rpm * RPM
        self.kc, self.ki, self.kw, self.kconst = mo.loss_coefficients()
        self.inv = mo.inverter_efficiency
        self.j_in = mo.inertia_kgm2 + t.input_inertia_kgm2
        b = v.battery
        self.b_grid, self.b_ocv, self.b_rd, self.b_rc = (np.asarray(a, float) for a in b.tables())
        self.q_as = b.capacity_ah * 3600
        self.b = b
        self.ce = b.coulombic_efficiency
        self.c_ = v.controller
        self.p_aux = v.accessories.electrical_power_w / v.accessories.dcdc_efficiency

    # --- components --------------------------------------------------------------------------
    def wot(self, w):
        return float(np.interp(w, self.e_speed, self.e_wot))

    def fuel(self, w, t):
        if t <= float(np.interp(w, self.e_speed, self.e_mot)):
            return 0.0
        w = min(max(w, self.e_speed[0]), self.e_speed[-1])
        t = min(max(t, self.e_torque[0]), self.e_torque[-1])
        return max(float(self.fuel_map([[w, t]])[0]), 0.0)

    def motoring(self, w):
        return float(np.interp(w, self.e_speed, self.e_mot))

    def m_tmax(self, w):
        return min(self.m_t, self.m_p / abs(w)) if w != 0 else self.m_t

    def m_loss(self, t, w):
        return self.ki * abs(w) + self.kw * abs(w) ** 3 + (self.kc * t * t + self.kconst if t != 0 else 0.0)

    def m_dc(self, t, w):
        ac = t * w + self.m_loss(t, w)
        dc = ac / self.inv if ac >= 0 else ac * self.inv
        return dc, self.m_loss(t, w), dc - ac

    def m_torque_for_dc(self, w, p_dc):
        """Generating torque nearest zero with DC power p_dc (< 0); the best point if out of reach."""
        if w == 0 or (self.ki * abs(w) + self.kw * abs(w) ** 3 + self.kconst) <= p_dc / self.inv:
            return 0.0  # even an infinitesimal generating torque (constant loss C on) draws more
        t_best = -w / (2 * self.kc)  # (kernel rule) most negative AC power
        if self.m_dc(t_best, w)[0] > p_dc:
            return t_best
        return brentq(lambda t: self.m_dc(t, w)[0] - p_dc, t_best, 0.0, xtol=1e-13, rtol=1e-15)

    def ocv_r(self, soc):
        return (float(np.interp(soc, self.b_grid, self.b_ocv)), float(np.interp(soc, self.b_grid, self.b_rd)),
                float(np.interp(soc, self.b_grid, self.b_rc)))

    def limits(self, soc):
        b = self.b
        ocv, rd, rc = self.ocv_r(soc)
        p_dis = min(b.min_voltage_v * (ocv - b.min_voltage_v) / rd, b.max_discharge_power_kw * 1e3)
        p_chg = min(b.max_voltage_v * (b.max_voltage_v - ocv) / rc, b.max_charge_power_kw * 1e3)
        band = b.soc_derate_band
        fd = min(max((soc - b.soc_min) / band, 0.0), 1.0)
        fc = min(max((b.soc_max - soc) / band, 0.0), 1.0)
        return max(p_dis, 0.0) * fd, max(p_chg, 0.0) * fc

    def battery(self, soc, p, dt):
        ocv, rd, rc = self.ocv_r(soc)
        r = rd if p > 0 else rc
        if p == 0:
            i = 0.0
        else:
            i = (ocv - math.sqrt(max(ocv * ocv - 4 * r * p, 0.0))) / (2 * r)
        if i >= 0:
            i_eff, loss = i, r * i * i
        else:
            i_eff = self.ce * i
            loss = r * i * i - (1 - self.ce) * ocv * i
        return i, ocv - r * i, ocv * i_eff, loss, soc - i_eff * dt / self.q_as

    def force(self, v0, v1, dt, grade):
        vm = 0.5 * (v0 + v1)
        f = self.mass_eff * (v1 - v0) / dt
        if vm > 0:
            th = math.atan(grade)
            f += self.c[0] * math.cos(th) + self.c[1] * vm + self.c[2] * vm * vm + self.mass * G * math.sin(th)
        return f

    # --- one gear, one mode ----------------------------------------------------------------------
    def engine_at(self, w_e, t_c, t_je):
        t_e = t_c + t_je
        if t_e <= self.motoring(w_e):
            t_e = self.motoring(w_e)
            return t_e, t_e - t_je, 0.0
        return t_e, t_c, self.fuel(w_e, t_e)
    # --- one gear, one mode ----------------------------------------------------------------------
    def gear(self, g, on, s, vbar, w_w, t_w, dt):
        c = self.c_
        i = self.ratios[g] * self.fd
        eta = self.effs[g] * self.fd_eff
        w_in = w_w * i
        t_in = t_w / (i * eta) if t_w >= 0 else t_w * eta / i
        w_ref = s["w_w"] * i  # the rotor's speed a step ago had it been in THIS gear
        t_jm = self.j_in * (w_in - w_ref) / dt
        # a gear change: the kinetic-energy step from the ACTUAL previous input speed to w_ref, booked over
        # the shift time together with what is left of earlier shifts
        t_shift = max(c.shift_time_s, dt)
        shift = g != s["g"] and w_in > 0
        e_sh_m = 0.5 * self.j_in * (w_ref**2 - s["w_in"] ** 2) if shift else 0.0
        if shift:
            p_sh_m, p_sh_e = (s["eshm"] + e_sh_m) / t_shift, s["eshe"] / t_shift
        elif w_in > 0:
            p_sh_m, p_sh_e = s["p_shm_old"], s["p_she_old"]
        else:
            p_sh_m = p_sh_e = 0.0
        t_sh = (p_sh_m + p_sh_e) / w_in if w_in > 0 else 0.0
        t_req = t_in + t_jm + t_sh
        if w_in > self.m_max:
            return None
        tmax = self.m_tmax(w_in)
        p_ck, p_cs = s["p_ck_old"], s["p_cs_old"]
        if not on:
            p_fix = self.p_aux + p_ck + p_cs
            t_lim = self.m_torque_for_dc(w_in, -s["p_chg"] - p_fix) if -s["p_chg"] - p_fix < 0 else 0.0
            if t_in < 0:
                fade = 1.0
                fs = c.regen_fade_speed_kmh / 3.6
                if fs > 0 and vbar < fs:
                    fade = vbar / fs
                t_m = t_jm + t_sh + t_in * c.regen_share * fade
            else:
                t_m = t_req
            if t_m > tmax + 1e-9:
                return None
            t_m = max(t_m, -tmax)
            if t_m < 0:
                t_m = max(t_m, t_lim)
            p_dc = self.m_dc(t_m, w_in)[0]
            if p_dc > 0 and p_dc + p_fix > s["p_dis"] + 1e-6:
                return None
            cost = c.equivalence_factor * (p_dc + max(-e_sh_m / t_shift, 0.0))
            return dict(cost=cost, res=0.0, w_in=w_in, w_e=0.0, t_e=0.0, t_c=0.0, clutch=0.0, t_m=t_m, fuel=0.0,
                        t_in_act=t_m - t_jm - t_sh, t_jm=t_jm, t_je=0.0, e_sh_m=e_sh_m, e_sh_e=0.0, p_sh_m=p_sh_m,
                        p_sh_e=p_sh_e, e_ck=0.0, e_cs=0.0, p_ck=p_ck, p_cs=p_cs)
        if w_in > self.e_max:
            return None
        w_min = c.min_engine_speed_rpm * RPM
        if w_in >= w_min:
            w_e, clutch = w_in, 2.0
        elif g == 0:
            w_e, clutch = w_min, 1.0
        else:
            return None
        t_je = e_sh_e = e_ck = e_cs = 0.0
        if s["on"]:
            if s["closed"] and clutch == 2.0:
                t_je = self.e_j * (w_e - w_ref) / dt
                if shift:
                    e_sh_e = 0.5 * self.e_j * (w_ref**2 - s["w_e"] ** 2)
                    p_sh_e = (s["eshe"] + e_sh_e) / t_shift
                    t_sh += e_sh_e / t_shift / w_in
                    t_req += e_sh_e / t_shift / w_in
            else:
                t_je = self.e_j * (w_e - s["w_e"]) / dt
        else:
            # start: cranked through the slipping K0 up to min(w_e, w_in), over the crank time
            e_ck = 0.5 * self.e_j * w_e**2
            e_cs = 0.5 * self.e_j * min(w_e, w_in) ** 2
            tc = max(c.crank_time_s, dt)
            p_ck, p_cs = (s["eck"] + e_ck) / tc, (s["ecs"] + e_cs) / tc
        p_fix = self.p_aux + p_ck + p_cs
        t_lim = self.m_torque_for_dc(w_in, -s["p_chg"] - p_fix) if -s["p_chg"] - p_fix < 0 else 0.0
        t_chg = 0.0
        if s["cs"] and clutch == 2.0:
            p_max = c.charge_power_max_kw * 1e3
            p_c = min(max(c.charge_gain_kw * 1e3 * (c.soc_target - s["soc"]), -p_max), p_max)
            t_chg = p_c / w_e
        t_c = min(t_req - min(t_sh, 0.0) + t_chg, self.wot(w_e) - t_je)
        if t_c < 0:
            t_c = max(t_c, self.motoring(w_e) - t_je) if clutch == 2.0 else 0.0
        t_e, t_c, fuel = self.engine_at(w_e, t_c, t_je)
        t_m = t_req - t_c
        if t_m > tmax + 1e-9:
            return None
        t_lo = max(-tmax, t_lim)
        t_in_act = t_in
        if t_m < t_lo:
            t_e, t_c, fuel = self.engine_at(w_e, t_req - t_lo, t_je)
            t_m = t_req - t_c
            if t_m < t_lo - 1e-9:
                if t_in >= 0:
                    return None
                t_m = t_lo
                t_in_act = t_c + t_m - t_jm - t_sh
        p_dc = self.m_dc(t_m, w_in)[0]
        if p_dc > 0 and p_dc + p_fix > s["p_dis"] + 1e-6:
            return None
        wot = self.wot(w_e)
        if t_e > wot + 1e-9:
            return None
        cost = fuel * self.lhv + c.equivalence_factor * (p_dc + max(-(e_sh_m + e_sh_e) / t_shift, 0.0))
        if not s["on"]:
            cost += self.start_fuel * self.lhv / dt + c.equivalence_factor * (p_ck + p_cs)
        return dict(cost=cost, res=t_e / wot, w_in=w_in, w_e=w_e, t_e=t_e, t_c=t_c, clutch=clutch, t_m=t_m,
                    fuel=fuel, t_in_act=t_in_act, t_jm=t_jm, t_je=t_je, e_sh_m=e_sh_m, e_sh_e=e_sh_e, p_sh_m=p_sh_m,
                    p_sh_e=p_sh_e, e_ck=e_ck, e_cs=e_cs, p_ck=p_ck, p_cs=p_cs)

    def allowed_gear(self, g, on, s, w_w):
        """Gear-change limits: input-speed floor above 1st, upshift margin (kernel rule: factor 1.1)."""
        c = self.c_
        w_g = w_w * (self.ratios[g] * self.fd)
        w_floor = c.min_input_speed_rpm * RPM
        if g > 0 and w_g < w_floor:
            return False
        if g > s["g"]:
            w_lo = max(w_floor, c.min_engine_speed_rpm * RPM) if on else w_floor
            if w_g < 1.1 * w_lo:
                return False
        return True

    def choose(self, on, s, vbar, w_w, t_w, dt):
        c = self.c_
        if w_w <= 0:
            return -1 if on else 0
        gears = [g for g in range(len(self.ratios)) if self.allowed_gear(g, on, s, w_w)]
        near = [g for g in gears if abs(g - s["g"]) <= c.max_gear_step]
        for pool in (near, gears) if len(near) < len(gears) else (near,):
            cands = {g: r for g in pool if (r := self.gear(g, on, s, vbar, w_w, t_w, dt)) is not None}
            if not cands:
                continue
            allowed = {g: r for g, r in cands.items() if not (on and r["res"] > c.torque_reserve and t_w > 0)}
            if not allowed:
                return min(cands, key=lambda g: (cands[g]["res"], -g))  # lowest share of WOT; ties: higher gear
            best, best_cost = -1, math.inf
            for g in sorted(allowed, reverse=True):  # (kernel rule) from the top; a lower gear must be 1e-9 W better
                if allowed[g]["cost"] < best_cost - 1e-9:
                    best, best_cost = g, allowed[g]["cost"]
            g_prev = s["g"]
            if g_prev in allowed:
                margin = c.shift_hysteresis * max(abs(best_cost), 100.0)
                if s["t_gear"] < c.min_time_in_gear_s or allowed[g_prev]["cost"] <= best_cost + margin:
                    return g_prev
            return best
        return -1

    def request(self, s, vbar, p_w):
        c = self.c_
        if vbar <= 0:
            return False
        if s["on"] and s["t_on"] < c.min_on_time_s:
            return True
        if p_w <= 0:
            return False
        if vbar > c.ev_speed_max_kmh / 3.6:
            return True
        if s["cs"]:
            if s["soc"] < c.soc_engine_force:
                return True
            if s["on"] and p_w > c.engine_off_power_kw * 1e3:
                return True
            return p_w > c.engine_on_power_kw * 1e3 and (s["on"] or s["t_off"] >= c.min_off_time_s)
        return False

    def feasible(self, s, v0, v1, dt, grade):
        f = self.force(v0, v1, dt, grade)
        vbar = 0.5 * (v0 + v1)
        return any(self.choose(on, s, vbar, vbar / self.r, f * self.r, dt) >= 0 for on in (False, True))


def _spread(e, left, dt):
    """This step's booking power of energy e still to be booked over ``left`` seconds."""
    if e == 0:
        return 0.0
    return e / left if left > dt else e / dt


def run_reference(vehicle, cycle, soc0, cold_start=False, ambient_c=23.0, charge_sustaining=None):
    """Simulate; returns a dict of output arrays named as ``core.p2.P2Out``.

    Cold start: coolant C·dT/dt = f·P_fuel (capped at the thermostat temperature); while fuelled and
    cold, friction fuel × (θ^(−t) − 1) is added, θ = (T + 273.15)/(T_hot + 273.15), with the friction
    fuel p_loss/e0 of the Willans line at the engine speed (tabulated on the map's speed grid).
    """
    ref = RefP2(vehicle)
    e = vehicle.engine
    temp = ambient_c if cold_start else e.hot_coolant_c
    c = vehicle.controller
    t = np.asarray(cycle.time_s, float)
    vc = np.asarray(cycle.speed_mps, float)
    gr = np.asarray(cycle.grade, float)
    n = t.size
    out = {k: np.zeros(n) for k in OUTPUTS}
    cs0 = soc0 < c.soc_cs_enter + c.cd_resume_band if charge_sustaining is None else charge_sustaining
    s = dict(soc=soc0, cs=cs0, on=False, t_on=0.0, t_off=1e9, g=0, t_gear=0.0, w_w=0.0, w_in=0.0, w_e=0.0,
             closed=False, eck=0.0, ecs=0.0, crank_left=0.0, eshm=0.0, eshe=0.0, shift_left=0.0)
    out["speed_mps"][0] = vc[0]
    out["soc"][0] = soc0
    out["coolant_temp_c"][0] = temp
    out["gear"][0] = 1.0
    out["charge_sustaining"][0] = 1.0 if s["cs"] else 0.0
    out["battery_voltage_v"][0] = ref.ocv_r(soc0)[0]
    for k in range(1, n):
        dt = t[k] - t[k - 1]
        v0 = out["speed_mps"][k - 1]
        v1 = vc[k]
        if s["cs"] and s["soc"] > c.soc_cs_enter + c.cd_resume_band:
            s["cs"] = False
        elif not s["cs"] and s["soc"] < c.soc_cs_enter:
            s["cs"] = True
        s["p_dis"], s["p_chg"] = ref.limits(s["soc"])
        s["p_ck_old"] = _spread(s["eck"], s["crank_left"], dt)
        s["p_cs_old"] = _spread(s["ecs"], s["crank_left"], dt)
        s["p_shm_old"] = _spread(s["eshm"], s["shift_left"], dt)
        s["p_she_old"] = _spread(s["eshe"], s["shift_left"], dt)
        if not ref.feasible(s, v0, v1, dt, gr[k]):
            lo, hi = 0.0, v1
            for _ in range(BISECTION_STEPS):
                mid = 0.5 * (lo + hi)
                if ref.feasible(s, v0, mid, dt, gr[k]):
                    lo = mid
                else:
                    hi = mid
            v1 = lo
        f = ref.force(v0, v1, dt, gr[k])
        vbar = 0.5 * (v0 + v1)
        w_w = vbar / ref.r
        t_w = f * ref.r
        on = ref.request(s, vbar, f * vbar)
        g = ref.choose(on, s, vbar, w_w, t_w, dt)
        if g < 0:
            on = not on
            g = ref.choose(on, s, vbar, w_w, t_w, dt)
        if g < 0:
            g, on = 0, False
        r = ref.gear(g, on, s, vbar, w_w, t_w, dt)
        if r is None:
            i = ref.ratios[g] * ref.fd
            w_in = w_w * i
            w_ref = s["w_w"] * i
            t_jm = ref.j_in * (w_in - w_ref) / dt
            shift = g != s["g"] and w_in > 0
            e_sh = 0.5 * ref.j_in * (w_ref**2 - s["w_in"] ** 2) if shift else 0.0
            ts = max(c.shift_time_s, dt)
            if shift:
                p_shm, p_she = (s["eshm"] + e_sh) / ts, s["eshe"] / ts
            elif w_in > 0:
                p_shm, p_she = s["p_shm_old"], s["p_she_old"]
            else:
                p_shm = p_she = 0.0
            t_sh = (p_shm + p_she) / w_in if w_in > 0 else 0.0
            r = dict(w_in=w_in, w_e=0.0, t_e=0.0, t_c=0.0, clutch=0.0, t_m=0.0, fuel=0.0, t_in_act=-t_jm - t_sh,
                     t_jm=t_jm, t_je=0.0, e_sh_m=e_sh, e_sh_e=0.0, p_sh_m=p_shm, p_sh_e=p_she, e_ck=0.0, e_cs=0.0,
                     p_ck=s["p_ck_old"], p_cs=s["p_cs_old"])
            on = False
        # pending crank and shift energies
        if r["e_ck"] or r["e_cs"]:
            s["eck"] += r["e_ck"]
            s["ecs"] += r["e_cs"]
            s["crank_left"] = max(c.crank_time_s, dt)
        s["eck"] -= r["p_ck"] * dt
        s["ecs"] -= r["p_cs"] * dt
        s["crank_left"] -= dt
        if s["crank_left"] <= 1e-12:
            s["eck"] = s["ecs"] = s["crank_left"] = 0.0
        if g != s["g"] and r["w_in"] > 0:
            s["eshm"] += r["e_sh_m"]
            s["eshe"] += r["e_sh_e"]
            s["shift_left"] = max(c.shift_time_s, dt)
        if r["w_in"] > 0:
            s["eshm"] -= r["p_sh_m"] * dt
            s["eshe"] -= r["p_sh_e"] * dt
            s["shift_left"] -= dt
            if s["shift_left"] <= 1e-12:
                s["eshm"] = s["eshe"] = s["shift_left"] = 0.0
        p_dc, p_ml, p_inv = ref.m_dc(r["t_m"], r["w_in"])
        fuel = r["fuel"]
        if fuel > 0 and cold_start and temp < e.hot_coolant_c:
            theta = (temp + 273.15) / (e.hot_coolant_c + 273.15)
            # (kernel rule) the friction fuel is tabulated on the map's speed grid, linear in between
            fric = float(np.interp(r["w_e"], ref.e_speed, ref.willans.friction_fuel_kg_s(ref.e_speed, e.lhv_j_per_kg)))
            fuel += (theta ** (-e.cold_friction_exponent) - 1.0) * fric
        if on and not s["on"]:
            fuel += ref.start_fuel / dt
        i = ref.ratios[g] * ref.fd
        eta = ref.effs[g] * ref.fd_eff
        t_wpt = r["t_in_act"] * i * eta if r["t_in_act"] >= 0 else r["t_in_act"] * i / eta
        if w_w <= 0:
            t_wpt = t_w
        p_term = p_dc + ref.p_aux + r["p_ck"] + r["p_cs"]
        i_b, v_b, p_chem, p_bl, soc_new = ref.battery(s["soc"], p_term, dt)
        if cold_start:
            temp = min(temp + dt * e.coolant_heat_fraction * fuel * ref.lhv / (e.coolant_heat_capacity_kj_per_k * 1e3),
                       e.hot_coolant_c)
        if g != s["g"]:
            s["t_gear"] = 0.0
        s["t_gear"] += dt
        if on:
            s["t_on"] = s["t_on"] + dt if s["on"] else dt
            s["t_off"] = 0.0
        else:
            s["t_off"] = s["t_off"] + dt if not s["on"] else dt
            s["t_on"] = 0.0
        w_e, w_in = r["w_e"], r["w_in"]
        vals = dict(
            speed_mps=v1, trace_miss_mps=vc[k] - v1, gear=g + 1.0, charge_sustaining=1.0 if s["cs"] else 0.0,
            engine_mode=(1.0 if fuel > 0 else 2.0) if on else 0.0, clutch_state=r["clutch"], engine_speed_rad_s=w_e,
            engine_torque_nm=r["t_e"], fuel_kg_s=fuel, p2_speed_rad_s=w_in, p2_torque_nm=r["t_m"],
            p2_electric_power_w=p_dc, battery_current_a=i_b, battery_voltage_v=v_b, battery_power_w=p_term,
            soc=soc_new, coolant_temp_c=temp, fuel_power_w=fuel * ref.lhv, battery_chemical_power_w=p_chem,
            engine_loss_w=fuel * ref.lhv - r["t_e"] * w_e,
            engine_inertia_power_w=r["t_je"] * w_e + r["p_sh_e"] + r["p_ck"],
            clutch_loss_w=r["t_c"] * (w_e - w_in) + r["p_cs"], p2_loss_w=p_ml, inverter_loss_w=p_inv,
            p2_inertia_power_w=r["t_jm"] * w_in + r["p_sh_m"], gearbox_loss_w=r["t_in_act"] * w_in - t_wpt * w_w,
            battery_loss_w=p_bl, accessory_power_w=ref.p_aux, brake_power_w=(t_wpt - t_w) * w_w,
            wheel_power_w=t_w * w_w)
        for key, val in vals.items():
            out[key][k] = val
        s.update(soc=soc_new, on=on, g=g, w_w=w_w, w_in=w_in, w_e=w_e, closed=r["clutch"] == 2.0)
    return out
