"""A slow, obvious reference plant of the series-parallel hybrid, for testing ``hybridsim.core.series_parallel``.

Written from the docstrings of ``core/series_parallel.py`` and ``components/series_parallel.py``, in plain
Python, on the shared component references (``reference_components.py``); nothing from ``hybridsim.core`` is
used. It *replays* a run: each step takes the kernel's decision (mode, engine speed and torque) and achieved end
speed, recomputes every output of the plant from them and the reference state, and carries its own state (SOC,
engine speed, coolant, previous mode) forward, so that kernel and reference agree to round-off only if the
plant step does what its docstring says. The rule layer's first choice is recomputed too (``rule_choice``).

Per step (ω_w = v̄/r): ω_MG2 = i_mot·ω_w; EV: engine, MG1 and clutch carry nothing; SERIES: T_gen,in = T_e −
T_J,e, T_gen,out = T_gen,in·(1/i_gen)·η^±, T_MG1 = T_J,g − T_gen,out; ENGINE: ω_e = i_eng·ω_w, T_gen,out = T_J,g,
T_gen,in = T_gen,out/(1/i_gen)/η^±, T_clutch = T_e − T_J,e − T_gen,in, axle share T_clutch·i_eng·η^±; MG2 closes
the axle torque within its envelope (regeneration faded below a speed, cut to the battery's charge limit); the
brakes take the rest. Battery Rint; fuel = map + cold friction fuel + start fuel on a start.
"""

from __future__ import annotations

import numpy as np
from reference_components import KMH, RPM, Battery, EngineMap, Machine, road_force, window_limits

from hybridsim.powertrains.series_parallel import sp_chassis

EV, SERIES, ENGINE = 0, 1, 2
OUTPUTS = (
    "engine_speed_rad_s", "engine_torque_nm", "fuel_kg_s", "generator_speed_rad_s", "mg1_torque_nm",
    "mg1_electric_power_w", "mg2_speed_rad_s", "mg2_torque_nm", "mg2_electric_power_w", "battery_current_a",
    "battery_voltage_v", "battery_power_w", "soc", "coolant_temp_c", "fuel_power_w", "battery_chemical_power_w",
    "engine_loss_w", "mg1_loss_w", "mg2_loss_w", "inverter_loss_w", "battery_loss_w", "generator_gear_loss_w",
    "clutch_gear_loss_w", "reduction_loss_w", "rotor_inertia_power_w", "accessory_power_w", "brake_power_w",
    "wheel_power_w",
)


def _rotor_torque(j, w, w_prev, dt):
    """T·w·dt = ½J(w² − w_prev²); the plain J·(w − w_prev)/dt where |w| < |w_prev|/2."""
    if w != 0.0 and abs(w) >= 0.5 * abs(w_prev):
        return (0.5 * j * (w * w - w_prev * w_prev)) / (w * dt)
    return j * (w - w_prev) / dt


def _out(t_in, i, eta):
    """Output torque of a gear (input speed = i × output speed) driven with t_in."""
    return t_in * i * eta if t_in >= 0.0 else t_in * i / eta


def _in(t_out, i, eta):
    return t_out / (i * eta) if t_out >= 0.0 else t_out * eta / i


class Reference:
    def __init__(self, vehicle, cold_start=False, ambient_c=23.0):
        ch = sp_chassis(vehicle)
        self.mass, self.mass_eff, self.r = ch.mass_kg, ch.mass_eff_kg, ch.wheel_radius_m
        self.c = (ch.c0_n, ch.c1_n_per_mps, ch.c2_n_per_mps2)
        g = vehicle.series_parallel_gearing
        self.i_gen, self.eta_gen = g.generator_ratio, g.generator_gear_efficiency
        self.i_mot, self.eta_mot = g.motor_to_axle_ratio, g.motor_gear_efficiency
        self.i_eng, self.eta_eng = g.engine_to_axle_ratio, g.engine_gear_efficiency
        e = vehicle.engine
        self.engine = EngineMap(e, cold_start, ambient_c)
        self.j_e = e.inertia_kgm2
        self.start_fuel = e.start_fuel_g * 1e-3
        self.mg1 = Machine(vehicle.motors["mg1"])
        self.mg2 = Machine(vehicle.motors["mg2"])
        self.j_g = vehicle.motors["mg1"].inertia_kgm2
        self.bat = Battery(vehicle.battery)
        acc = vehicle.accessories
        self.p_aux = acc.electrical_power_w / acc.dcdc_efficiency
        self.fade = vehicle.controller.regen_fade_speed_kmh * KMH

    def step(self, st, mode, w_e, t_e, v0, v1, dt, grade):
        soc, w_prev, coolant, mode_prev = st
        f = road_force(self.mass, self.mass_eff, *self.c, v0, v1, dt, grade)
        vbar = 0.5 * (v0 + v1)
        w_w = vbar / self.r
        t_axle = f * self.r
        w_m2 = self.i_mot * w_w
        if mode == EV:
            w_e = t_e = 0.0
        elif mode == ENGINE:
            w_e = self.i_eng * w_w
        w_g = self.i_gen * w_e
        t_je = t_jg = t_gin = t_gout = t_cl = t_cl_ax = t_g = 0.0
        if mode != EV:
            t_je = _rotor_torque(self.j_e, w_e, w_prev, dt)
            t_jg = _rotor_torque(self.j_g, w_g, self.i_gen * w_prev, dt)
        if mode == SERIES:
            t_gin = t_e - t_je
            t_gout = _out(t_gin, 1.0 / self.i_gen, self.eta_gen)
            t_g = t_jg - t_gout
        elif mode == ENGINE:
            t_gout = t_jg
            t_gin = _in(t_gout, 1.0 / self.i_gen, self.eta_gen)
            t_cl = t_e - t_je - t_gin
            t_cl_ax = _out(t_cl, self.i_eng, self.eta_eng)
        t_m2 = _in(t_axle - t_cl_ax, self.i_mot, self.eta_mot)
        t2max = self.mg2.torque_max(w_m2)
        t_m2 = min(t_m2, t2max)
        if t_m2 < 0.0:
            share = vbar / self.fade if (self.fade > 0 and vbar < self.fade) else 1.0
            t_m2 = max(t_m2, -t2max * share)
        p_g, l_g, li_g = self.mg1.dc_power(t_g, w_g)
        p_m, l_m, li_m = self.mg2.dc_power(t_m2, w_m2)
        p_dis, p_chg = window_limits(self.bat, soc, dt)
        p_b = p_g + p_m + self.p_aux
        if p_b < -p_chg and t_m2 < 0.0:
            t_lim = self.mg2.generating_torque_for_dc_power(w_m2, -p_chg - p_g - self.p_aux)
            if t_lim > t_m2:
                t_m2 = min(t_lim, 0.0)
                p_m, l_m, li_m = self.mg2.dc_power(t_m2, w_m2)
                p_b = p_g + p_m + self.p_aux
        p_acc = self.p_aux
        if p_b > p_dis + 1e-6:
            p_acc = max(p_acc - (p_b - p_dis), 0.0)
            p_b = p_g + p_m + p_acc
        x_del = _out(t_m2, self.i_mot, self.eta_mot)
        fuel = 0.0
        if mode != EV:
            fuel = self.engine.fuel(w_e, t_e) + self.engine.cold_extra_fuel(w_e, coolant)
            if mode_prev == EV:
                fuel += self.start_fuel / dt
        i_b, v_b, p_chem, l_b, soc_new = self.bat.step(soc, p_b, dt)
        p_fuel = fuel * self.engine.lhv
        out = dict(
            engine_speed_rad_s=w_e, engine_torque_nm=t_e, fuel_kg_s=fuel, generator_speed_rad_s=w_g,
            mg1_torque_nm=t_g, mg1_electric_power_w=p_g, mg2_speed_rad_s=w_m2, mg2_torque_nm=t_m2,
            mg2_electric_power_w=p_m, battery_current_a=i_b, battery_voltage_v=v_b, battery_power_w=p_b,
            soc=soc_new, coolant_temp_c=self.engine.coolant_after(coolant, p_fuel, dt), fuel_power_w=p_fuel,
            battery_chemical_power_w=p_chem, engine_loss_w=p_fuel - t_e * w_e, mg1_loss_w=l_g, mg2_loss_w=l_m,
            inverter_loss_w=li_g + li_m, battery_loss_w=l_b, generator_gear_loss_w=t_gin * w_e - t_gout * w_g,
            clutch_gear_loss_w=t_cl * w_e - t_cl_ax * w_w, reduction_loss_w=t_m2 * w_m2 - x_del * w_w,
            rotor_inertia_power_w=t_je * w_e + t_jg * w_g, accessory_power_w=p_acc,
            brake_power_w=(t_cl_ax + x_del - t_axle) * w_w, wheel_power_w=t_axle * w_w,
        )
        return out, (soc_new, w_e, out["coolant_temp_c"], mode)


def replay(vehicle, cycle, out, soc0, cold_start=False, ambient_c=23.0) -> dict[str, np.ndarray]:
    """The reference outputs for the kernel's decisions and end speeds in ``out`` (an SpOut)."""
    ref = Reference(vehicle, cold_start, ambient_c)
    n = len(cycle.time_s)
    res = {k: np.zeros(n) for k in OUTPUTS}
    st = (soc0, 0.0, ref.engine.coolant_start, EV)
    res["soc"][0] = soc0
    res["coolant_temp_c"][0] = st[2]
    for k in range(1, n):
        dt = cycle.time_s[k] - cycle.time_s[k - 1]
        mode = int(out.sp_mode[k])
        o, st = ref.step(st, mode, out.engine_speed_rad_s[k], out.engine_torque_nm[k], out.speed_mps[k - 1],
                         out.speed_mps[k], dt, cycle.grade[k])
        for key, val in o.items():
            res[key][k] = val
    return res


__all__ = ["OUTPUTS", "RPM", "Reference", "replay"]
