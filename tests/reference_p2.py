"""A slow, obvious reference model of a P2 plug-in hybrid, for testing ``hybridsim.core.p2``.

Written from the model descriptions in the docstrings (``core/p2.py`` module docstring,
``control/p2.py``, ``components/motor.py``, ``components/battery.py``, ``components/gearbox.py``,
``powertrains/_p2_cvt.py`` for a CVT's ratio steps), in
plain Python, one step, one gear and one mode at a time. It imports nothing from ``hybridsim.core``:
parameters come from the component dataclasses (units converted here), the fuel map is looked up with
``scipy.interpolate.RegularGridInterpolator``, curves and battery tables with ``numpy.interp`` (engine,
machine and battery from the shared ``reference_components.py``). Where the descriptions leave a detail
open, the kernel's documented choice is followed and marked "(kernel rule)".
"""

from __future__ import annotations

import math

import numpy as np
from reference_components import RPM, Battery, EngineMap, Machine, road_force, road_load_si, window_limits

from hybridsim.powertrains._p2_cvt import CVT_RATIO_STEPS  # a constant (the model's resolution), not its code

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
    def __init__(self, v, cold_start=False, ambient_c=23.0):
        ch = v.chassis
        self.mass = ch.mass_kg + ch.payload_kg
        self.r = ch.wheel_radius_m
        self.mass_eff = self.mass + ch.wheel_inertia_kgm2 / self.r**2
        self.c = road_load_si(ch, self.mass)
        e = v.engine
        self.engine = EngineMap(e, cold_start, ambient_c)  # maps and warm-up
        self.e_max = e.max_speed_rpm * RPM
        self.e_j = e.inertia_kgm2
        self.lhv = self.engine.lhv
        self.start_fuel = e.start_fuel_g * 1e-3
        self.e = e
        t = v.transmission
        self.ratios = list(t.gear_ratios)
        self.effs = list(t.gear_efficiencies)
        self.fd = t.final_drive_ratio
        self.fd_eff = t.final_drive_efficiency
        self.drag = 0.0
        if t.kind == "cvt":
            # (powertrains/_p2_cvt.py, components/gearbox.py) the overall range as CVT_RATIO_STEPS ratios evenly
            # spaced in log, underdrive first; the efficiency linear in the overall ratio between the two ends' (each
            # × the final drive's); the input drag while the input turns
            i_lo, i_hi = t.gear_ratios[0] * self.fd, t.gear_ratios[1] * self.fd
            e_lo, e_hi = t.gear_efficiencies[0] * self.fd_eff, t.gear_efficiencies[1] * self.fd_eff
            overall = [i_lo * (i_hi / i_lo) ** (k / (CVT_RATIO_STEPS - 1)) for k in range(CVT_RATIO_STEPS)]
            self.ratios = [x / self.fd for x in overall]
            self.effs = [(e_hi + (e_lo - e_hi) * (x - i_hi) / (i_lo - i_hi)) / self.fd_eff for x in overall]
            self.drag = t.cvt_drag_torque_nm
        self.motor = Machine(v.motors["p2"])
        self.j_in = v.motors["p2"].inertia_kgm2 + t.input_inertia_kgm2
        self.bat = Battery(v.battery)
        self.c_ = v.controller
        self.p_aux = v.accessories.electrical_power_w / v.accessories.dcdc_efficiency

    def force(self, v0, v1, dt, grade):
        return road_force(self.mass, self.mass_eff, *self.c, v0, v1, dt, grade)

    # --- one gear, one mode ----------------------------------------------------------------------
    def engine_at(self, w_e, t_c, t_je):
        t_e = t_c + t_je
        if t_e <= self.engine.motoring(w_e) + 1e-9:  # (kernel rule: at the drag to rounding, fuel cut)
            t_e = self.engine.motoring(w_e)
            return t_e, t_e - t_je, 0.0
        return t_e, t_c, self.engine.fuel(w_e, t_e)
    # --- one gear, one mode ----------------------------------------------------------------------
    def gear(self, g, on, s, vbar, w_w, t_w, dt, t_c_ask=None):
        """One gear, engine on or off; ``t_c_ask``: the clutch torque asked of the engine instead of the rules'
        load-following torque (the plant step's decision, ``core.p2.split_gear``)."""
        c = self.c_
        i = self.ratios[g] * self.fd
        eta = self.effs[g] * self.fd_eff
        w_in = w_w * i
        t_in = t_w / (i * eta) if t_w >= 0 else t_w * eta / i
        if w_in > 0:
            t_in += self.drag  # a CVT's input drag
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
        if w_in > self.motor.max_speed:
            return None
        tmax = self.motor.torque_max(w_in)
        p_ck, p_cs = s["p_ck_old"], s["p_cs_old"]
        if not on:
            p_fix = self.p_aux + p_ck + p_cs
            p_lim = -s["p_chg"] - p_fix
            t_lim = self.motor.generating_torque_for_dc_power(w_in, p_lim) if p_lim < 0 else 0.0
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
            p_dc = self.motor.dc_power(t_m, w_in)[0]
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
        p_lim = -s["p_chg"] - p_fix
        t_lim = self.motor.generating_torque_for_dc_power(w_in, p_lim) if p_lim < 0 else 0.0
        t_chg = 0.0
        if s["cs"] and clutch == 2.0:
            p_max = c.charge_power_max_kw * 1e3
            p_c = min(max(c.charge_gain_kw * 1e3 * (c.soc_target - s["soc"]), -p_max), p_max)
            t_chg = p_c / w_e
        t_ask = t_req - min(t_sh, 0.0) + t_chg if t_c_ask is None else t_c_ask
        t_c = min(t_ask, self.engine.wot(w_e) - t_je)
        if t_c < 0:
            t_c = max(t_c, self.engine.motoring(w_e) - t_je) if clutch == 2.0 else 0.0
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
        p_dc = self.motor.dc_power(t_m, w_in)[0]
        if p_dc > 0 and p_dc + p_fix > s["p_dis"] + 1e-6:
            return None
        wot = self.engine.wot(w_e)
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


def run_reference(vehicle, cycle, soc0, cold_start=False, ambient_c=23.0, charge_sustaining=None, gear_plan=None):
    """Simulate; returns a dict of output arrays named as ``core.p2.P2Out``. ``gear_plan``: a manual box's prescribed
    gear per step (1 = first; ≤ 0 or None: the rules choose), taken while the car moves if it can drive the step with
    the requested engine state or the other one, else the rules' choice.

    Cold start: coolant C·dT/dt = f·P_fuel (capped at the thermostat temperature); while fuelled and
    cold, friction fuel × (θ^(−t) − 1) is added, θ = (T + 273.15)/(T_hot + 273.15), with the friction
    fuel p_loss/e0 of the Willans line at the engine speed (tabulated on the map's speed grid).
    """
    ref = RefP2(vehicle, cold_start, ambient_c)
    temp = ref.engine.coolant_start
    c = vehicle.controller
    t = np.asarray(cycle.time_s, float)
    vc = np.asarray(cycle.speed_mps, float)
    gr = np.asarray(cycle.grade, float)
    n = t.size
    out = {k: np.zeros(n) for k in OUTPUTS}
    cs0 = soc0 < c.soc_cs_enter + c.cd_resume_band if charge_sustaining is None else charge_sustaining
    if not vehicle.plugin:
        cs0 = True  # a full hybrid ([vehicle] plugin = false) is charge-sustaining throughout
    s = dict(soc=soc0, cs=cs0, on=False, t_on=0.0, t_off=1e9, g=0, t_gear=0.0, w_w=0.0, w_in=0.0, w_e=0.0,
             closed=False, eck=0.0, ecs=0.0, crank_left=0.0, eshm=0.0, eshe=0.0, shift_left=0.0)
    out["speed_mps"][0] = vc[0]
    out["soc"][0] = soc0
    out["coolant_temp_c"][0] = temp
    out["gear"][0] = 1.0
    out["charge_sustaining"][0] = 1.0 if s["cs"] else 0.0
    out["battery_voltage_v"][0] = ref.bat.state(soc0)[0]
    for k in range(1, n):
        dt = t[k] - t[k - 1]
        v0 = out["speed_mps"][k - 1]
        v1 = vc[k]
        if not vehicle.plugin:
            pass
        elif s["cs"] and s["soc"] > c.soc_cs_enter + c.cd_resume_band:
            s["cs"] = False
        elif not s["cs"] and s["soc"] < c.soc_cs_enter:
            s["cs"] = True
        s["p_dis"], s["p_chg"] = window_limits(ref.bat, s["soc"], dt)
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
        g = -1
        planned = int(gear_plan[k]) - 1 if gear_plan is not None else -1
        if planned >= 0 and w_w > 0:
            for _ in range(2):
                if ref.gear(planned, on, s, vbar, w_w, t_w, dt) is not None:
                    g = planned
                    break
                on = not on
        if g < 0:
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
        p_dc, p_ml, p_inv = ref.motor.dc_power(r["t_m"], r["w_in"])
        fuel = r["fuel"]
        if fuel > 0:
            fuel += ref.engine.cold_extra_fuel(r["w_e"], temp)
        if on and not s["on"]:
            fuel += ref.start_fuel / dt
        i = ref.ratios[g] * ref.fd
        eta = ref.effs[g] * ref.fd_eff
        t_net = r["t_in_act"] - (ref.drag if r["w_in"] > 0 else 0.0)  # a CVT's input drag
        t_wpt = t_net * i * eta if t_net >= 0 else t_net * i / eta
        if w_w <= 0:
            t_wpt = t_w
        # empty battery with the engine flat out: the accessory load is cut (kernel rule)
        p_acc = ref.p_aux
        if p_dc + p_acc + r["p_ck"] + r["p_cs"] > s["p_dis"] + 1e-6 and p_acc > 0.0:
            p_acc = max(s["p_dis"] - p_dc - r["p_ck"] - r["p_cs"], 0.0)
        p_term = p_dc + p_acc + r["p_ck"] + r["p_cs"]
        i_b, v_b, p_chem, p_bl, soc_new = ref.bat.step(s["soc"], p_term, dt)
        temp = ref.engine.coolant_after(temp, fuel * ref.lhv, dt)
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
            battery_loss_w=p_bl, accessory_power_w=p_acc, brake_power_w=(t_wpt - t_w) * w_w,
            wheel_power_w=t_w * w_w)
        for key, val in vals.items():
            out[key][k] = val
        s.update(soc=soc_new, on=on, g=g, w_w=w_w, w_in=w_in, w_e=w_e, closed=r["clutch"] == 2.0)
    return out
