"""A slow, obvious reference model of a conventional car, for testing ``hybridsim.core.conventional``.

Written from the model descriptions in the package's docstrings (``components/chassis.py``,
``components/gearbox.py``, ``components/engine.py``, ``control/conventional.py`` and the kernel's
module docstring), in plain Python, one step and one gear at a time. It deliberately imports nothing
from ``hybridsim.core``: parameters come straight from the component dataclasses (units converted
here), the fuel map is looked up with ``scipy.interpolate.RegularGridInterpolator`` and the WOT and
motoring curves with ``numpy.interp``.

Where the descriptions leave a detail open, the kernel's own documented choice is followed and
marked "(kernel rule)" below.

Model, per time interval [t0, t1] with achieved start speed v0 and demanded end speed v1:

* chassis: v̄ = (v0+v1)/2, a = (v1−v0)/dt,
  F = m_eff·a + [c0·cos θ + c1·v̄ + c2·v̄² + m·g·sin θ]  (bracket only while moving, v̄ > 0);
* wheel: ω_w = v̄/r, T_w = F·r;
* gear g: i = i_g·i_fd, η = η_g·η_fd, ω_in = ω_w·i, T_in = T_w/(i·η) in traction, T_w·η/i in overrun;
* converter: ω_e = max(ω_in, ω_idle, ω_p) with ω_p²·TR(ω_in/ω_p) = K²·T_in (TR = 1 without torque multiplication,
  ω_p = K·√T_in); unlocked (ω_e > ω_in) it passes no engine braking and the engine gives T_in/TR;
* engine: T_e = T_in + J·(ω_e − ω_e,prev)/dt + P_aux/ω_e; fuel from the map, 0 at or below the
  motoring torque; near idle (ω_e < cut-off speed) no overrun fuel cut: the engine does not brake
  the car; above it, overrun beyond the motoring torque is a fuel cut and the brakes take the rest;
* gear choice: fuel-optimal among the allowed gears within the torque reserve (a tie goes to the
  higher gear), with hysteresis and a least time in gear; if none keeps the reserve, the feasible
  gear with the lowest T_e/WOT; fuel and T_e/WOT compared with the inertia torque over
  max(dt, 1 s) (feasibility at dt);
* trace miss: if no gear can deliver the force, the end speed is lowered by bisection;
* manual gearbox (``gear_plan``, the procedure's gear per step): the planned gear when it can deliver, else
  the gear choice above; a planned 0 (clutch disengaged) while the car is braking or coasting (force ≤ 0)
  or standing: the engine idles as when standing and the wheels get no torque (the brakes take it all);
  a planned 0 with a traction demand: the gear choice above (kernel rule);
* cold start (engine warm-up): the coolant starts at the soak temperature (hot runs: at the thermostat
  temperature T_hot and stay there) and warms as C·dT/dt = f·P_fuel, explicit over the interval with the
  interval's fuel power (kernel rule), capped at T_hot. While it is below T_hot a fuelled engine burns
  (θ^(−t) − 1)·ṁ_fric(ω_e) more fuel at the same brake torque, θ = (T + 273.15)/(T_hot + 273.15), ṁ_fric the
  fuel that covers the hot friction/pumping loss alone (the Willans fit's friction line, interpolated
  linearly in engine speed on the map's speed grid); the gear choice, the operating point and the WOT
  limit stay those of the hot engine, and the extra fuel is engine loss.
"""

from __future__ import annotations

import math

import numpy as np
from reference_components import RPM, EngineMap, road_force, road_load_si

BISECTION_STEPS = 40  # (kernel rule) number of halvings of the end speed on a trace miss

OUTPUTS = (
    "speed_mps", "gear", "engine_speed_rad_s", "engine_torque_nm", "fuel_kg_s", "fuel_power_w",
    "engine_loss_w", "accessory_power_w", "engine_inertia_power_w", "converter_loss_w", "gearbox_loss_w",
    "wheel_power_w", "brake_power_w", "trace_miss_mps", "coolant_temp_c", "transmission_ratio",
)


class ReferenceCar:
    """All parameters of the car in SI units, read from the component dataclasses."""

    def __init__(self, vehicle, cold_start=False, ambient_c=23.0):
        ch = vehicle.chassis
        self.mass = ch.mass_kg + ch.payload_kg
        self.r = ch.wheel_radius_m
        self.mass_eff = self.mass + ch.wheel_inertia_kgm2 / self.r**2
        self.c0, self.c1, self.c2 = road_load_si(ch, self.mass)  # coast-down, else the physical estimate

        e = vehicle.engine
        self.idle = e.idle_speed_rpm * RPM
        self.max_speed = e.max_speed_rpm * RPM
        self.inertia = e.inertia_kgm2
        cutoff_rpm = e.fuel_cutoff_min_speed_rpm
        if cutoff_rpm is None:
            cutoff_rpm = e.idle_speed_rpm + 250.0
        self.cutoff_speed = cutoff_rpm * RPM
        self.engine = EngineMap(e, cold_start, ambient_c)  # maps and warm-up
        self.lhv = self.engine.lhv

        t = vehicle.transmission
        self.ratios = [float(x) for x in t.gear_ratios]
        self.efficiencies = [float(x) for x in t.gear_efficiencies]
        self.final_ratio = t.final_drive_ratio
        self.final_efficiency = t.final_drive_efficiency
        self.k_converter = t.converter_k_factor_rpm_per_sqrt_nm * RPM  # (rad/s)/√(N·m)
        self.tr_stall = t.converter_stall_torque_ratio
        self.sr_coupling = t.converter_coupling_speed_ratio

        c = vehicle.controller
        self.min_engine_speed = c.min_engine_speed_rpm * RPM
        self.torque_reserve = c.torque_reserve
        self.hysteresis = c.shift_hysteresis
        self.min_time_in_gear = c.min_time_in_gear_s

        self.p_aux = vehicle.accessories.electrical_power_w / vehicle.accessories.alternator_efficiency

        # CVT (components/gearbox.py): the two ends of the range, the efficiency linear in the ratio between
        # them, a constant input drag, the ratio from the engine's minimum-fuel operating line
        self.cvt = t.kind == "cvt"
        if self.cvt:
            from hybridsim.components.engine_maps import optimal_operating_line

            self.i_low, self.i_high = self.ratios[0] * self.final_ratio, self.ratios[1] * self.final_ratio
            self.eta_low = self.efficiencies[0] * self.final_efficiency
            self.eta_high = self.efficiencies[1] * self.final_efficiency
            self.t_drag = t.cvt_drag_torque_nm
            self.overrun_speed = 1.05 * self.cutoff_speed  # (kernel rule) just above the fuel cut-off speed
            line = optimal_operating_line(e.data(), self.idle, self.max_speed)
            self.line_p, self.line_w = line.power_w, line.speed_rad_s

    # --- chassis ------------------------------------------------------------------------------
    def wheel_force(self, v0, v1, dt, grade):
        return road_force(self.mass, self.mass_eff, self.c0, self.c1, self.c2, v0, v1, dt, grade)

    # --- one gear -----------------------------------------------------------------------------
    def in_gear(self, g, w_wheel, t_wheel, w_engine_before, dt):
        """Operating point in gear index g (0 = 1st) for the wheel speed [rad/s] and torque [N·m]."""
        return self.in_ratio(self.ratios[g] * self.final_ratio, self.efficiencies[g] * self.final_efficiency, 0.0,
                             w_wheel, t_wheel, w_engine_before, dt)

    def in_ratio(self, i, eta, t_drag, w_wheel, t_wheel, w_engine_before, dt):
        """Operating point at overall ratio i with efficiency eta and input drag torque t_drag (CVT)."""
        w_in = w_wheel * i
        t_in = t_wheel / (i * eta) if t_wheel >= 0.0 else t_wheel * eta / i
        drag = t_drag if w_in > 0.0 else 0.0
        t_in += drag

        # converter: the pump turns at least at idle, and at the speed ω_p with ω_p²·TR(ω_in/ω_p) = K²·T_in to pass
        # T_in (TR = 1 without torque multiplication: ω_p = K·√T_in)
        w_slip = self.idle
        if t_in > 0.0 and self.k_converter > 0.0:
            w_slip = max(w_slip, self.pump_speed(w_in, t_in))
        tr = 1.0
        if w_in >= w_slip:
            w_e = w_in  # locked
        else:
            w_e = w_slip  # slipping: no engine braking through an open converter (kernel rule)
            t_in = max(t_in, 0.0)
            tr = self.torque_ratio(w_in / w_e)
        if w_wheel <= 0.0:
            t_in = 0.0  # standing: the brakes hold the car

        t_inertia = self.inertia * (w_e - w_engine_before) / dt
        t_aux = self.p_aux / w_e
        t_e = t_in / tr + t_inertia + t_aux  # the pump takes T_in / TR
        if t_e < 0.0 and w_e < self.cutoff_speed:
            # no fuel cut near idle: the engine keeps running and does not brake the car
            t_e = max(t_inertia + t_aux, 0.0)
            t_in = (t_e - t_inertia - t_aux) * tr
        t_motoring = self.engine.motoring(w_e)
        if t_e < t_motoring:
            # overrun beyond the engine's drag: fuel cut, the brakes take the rest
            t_e = t_motoring
            t_in = (t_e - t_inertia - t_aux) * tr
        fuel = self.engine.fuel(w_e, t_e)
        t_out_side = t_in - drag
        t_wheel_delivered = t_out_side * i * eta if t_out_side >= 0.0 else t_out_side * i / eta
        t_max = self.engine.wot(w_e)
        feasible = t_e <= t_max + 1e-9 and w_e <= self.max_speed
        return {"feasible": feasible, "w_e": w_e, "t_e": t_e, "fuel": fuel, "t_in": t_in, "w_in": w_in,
                "t_wheel": t_wheel_delivered, "load": t_e / t_max, "t_inertia": t_inertia,
                "t_pump": t_e - t_inertia - t_aux}

    # --- torque converter (components/gearbox.py) -------------------------------------------------------
    def torque_ratio(self, sr):
        """TR(SR): the stall value at SR = 0, linear to 1 at the coupling speed ratio, 1 above it."""
        if self.tr_stall <= 1.0 or sr >= self.sr_coupling:
            return 1.0
        return self.tr_stall + (1.0 - self.tr_stall) * max(sr, 0.0) / self.sr_coupling

    def pump_speed(self, w_t, t_t):
        """The pump speed ω_p with ω_p²·TR(ω_t/ω_p) = K²·T_t, by bisection between ω_t (SR 1) and K·√T_t."""
        k2t = self.k_converter**2 * t_t
        hi = self.k_converter * math.sqrt(t_t)
        if self.tr_stall <= 1.0:
            return hi
        lo = 0.0
        for _ in range(200):  # ω_p²·TR(ω_t/ω_p) grows with ω_p
            mid = 0.5 * (lo + hi)
            if mid * mid * self.torque_ratio(w_t / mid if mid > 0 else 0.0) < k2t:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    # --- CVT ratio -----------------------------------------------------------------------------
    def cvt_eta(self, i):
        return self.eta_high + (self.eta_low - self.eta_high) * (i - self.i_high) / (self.i_low - self.i_high)

    def cvt_point(self, w_wheel, t_wheel, w_engine_before, dt):
        """(ratio, operating point) of the CVT: the engine speed on the operating line for the power it gives
        (wheel power over the mean efficiency plus accessories, then again with the point's own input power),
        the overrun speed when not in traction, the launch ratio when standing; the range clips the ratio;
        beyond full load the lowest of 32 evenly spaced speeds up to the highest possible that can deliver."""

        def at(i):
            return i, self.in_ratio(i, self.cvt_eta(i), self.t_drag, w_wheel, t_wheel, w_engine_before, dt)

        def clip(w):
            return min(max(w / w_wheel, self.i_high), self.i_low)

        if w_wheel <= 0.0:
            return at(self.i_low)
        if t_wheel > 0.0:
            p = t_wheel * w_wheel / (0.5 * (self.eta_low + self.eta_high)) + self.p_aux
            i, pt = at(clip(np.interp(p, self.line_p, self.line_w)))
            w_target = np.interp(pt["t_in"] * pt["w_in"] + self.p_aux, self.line_p, self.line_w)
        else:
            w_target = self.overrun_speed
        i, pt = at(clip(w_target))
        if pt["feasible"]:
            return i, pt
        w_from = w_wheel * i
        w_top = min(w_wheel * self.i_low, self.max_speed)
        for k in range(1, 33):
            w = w_from + (w_top - w_from) * k / 32
            if w <= 0.0:
                continue
            i2, pt2 = at(clip(w))
            if pt2["feasible"]:
                return i2, pt2
        return i, dict(pt, feasible=False)

    # --- gear choice --------------------------------------------------------------------------
    def choose_gear(self, w_wheel, t_wheel, w_engine_before, dt, gear_before, time_in_gear):
        """Gear index (0 = 1st) by the fuel-optimal rule; None if no gear can deliver the demand."""
        if w_wheel <= 0.0:
            return 0  # standing: 1st gear (kernel rule)
        feasible = {}
        allowed = {}
        for g in range(len(self.ratios)):
            w_in = w_wheel * self.ratios[g] * self.final_ratio
            if w_in > self.max_speed:
                continue
            if g > 0 and w_in < self.min_engine_speed:
                continue  # only 1st gear may run below the least engine speed (the converter slips)
            p = self.in_gear(g, w_wheel, t_wheel, w_engine_before, dt)
            if not p["feasible"]:
                continue
            if dt < 1.0:
                # the choice weighs the shift's inertia torque over 1 s, whatever the step (kernel rule)
                p = self.in_gear(g, w_wheel, t_wheel, w_engine_before, 1.0)
            feasible[g] = p
            # the torque reserve only matters in traction (kernel rule)
            if t_wheel > 0.0 and p["load"] > self.torque_reserve:
                continue
            allowed[g] = p
        if not feasible:
            return None
        top_down = sorted(feasible, reverse=True)  # ties go to the higher gear (kernel rule)
        if not allowed:
            # no gear keeps the reserve: the one with the lowest share of WOT (kernel rule)
            return min(top_down, key=lambda g: feasible[g]["load"])
        # least fuel; a lower gear must burn more than 1e-15 kg/s less to win (kernel rule)
        best = max(allowed)
        for g in sorted(allowed, reverse=True):
            if allowed[g]["fuel"] < allowed[best]["fuel"] - 1e-15:
                best = g
        if gear_before in allowed:
            dwell = time_in_gear < self.min_time_in_gear - 0.5 * dt  # to the nearest step (kernel rule)
            small_saving = allowed[gear_before]["fuel"] <= allowed[best]["fuel"] * (1.0 + self.hysteresis)
            if dwell or small_saving:
                return gear_before
        return best


def run_reference(vehicle, cycle, cold_start=False, ambient_c=23.0, gear_plan=None) -> dict[str, np.ndarray]:
    """Simulate ``vehicle`` over ``cycle`` step by step; outputs named as the kernel's ConventionalOut.

    Index 0 holds the initial state (cycle speed, engine at idle, coolant at its start temperature, all
    powers 0, gear 0); index k the interval (t[k−1], t[k]). ``cold_start``: coolant soaked at ``ambient_c``.
    """
    car = ReferenceCar(vehicle, cold_start, ambient_c)
    t = np.asarray(cycle.time_s, float)
    v_cycle = np.asarray(cycle.speed_mps, float)
    grade = np.asarray(cycle.grade, float)
    n = len(t)
    out = {name: np.zeros(n) for name in OUTPUTS}
    out["speed_mps"][0] = v_cycle[0]
    out["engine_speed_rad_s"][0] = car.idle
    coolant = car.engine.coolant_start
    out["coolant_temp_c"][0] = coolant
    out["transmission_ratio"][0] = car.i_low if car.cvt else car.ratios[0] * car.final_ratio

    w_engine_before = car.idle
    gear_before = 0
    time_in_gear = 0.0
    for k in range(1, n):
        dt = t[k] - t[k - 1]
        v0 = out["speed_mps"][k - 1]

        def demand(v1, v0=v0, dt=dt, k=k):
            force = car.wheel_force(v0, v1, dt, grade[k])
            w_wheel = 0.5 * (v0 + v1) / car.r
            return force, w_wheel, force * car.r

        v1 = v_cycle[k]
        force, w_wheel, t_wheel = demand(v1)
        if car.cvt:
            ratio, p = car.cvt_point(w_wheel, t_wheel, w_engine_before, dt)
            if not p["feasible"]:
                lo, hi = 0.0, v1
                for _ in range(BISECTION_STEPS):
                    mid = 0.5 * (lo + hi)
                    _, w_mid, t_mid = demand(mid)
                    if car.cvt_point(w_mid, t_mid, w_engine_before, dt)[1]["feasible"]:
                        lo = mid
                    else:
                        hi = mid
                v1 = lo
                force, w_wheel, t_wheel = demand(v1)
                ratio, p = car.cvt_point(w_wheel, t_wheel, w_engine_before, dt)
            gear, neutral = 0, False
        planned = -1 if gear_plan is None else int(gear_plan[k])
        neutral = planned == 0 and (force <= 0.0 or v0 + v1 <= 0.0)
        gear = 0 if car.cvt else None
        if car.cvt:
            neutral = False
        elif neutral:
            gear = 0
        elif planned > 0 and car.in_gear(planned - 1, w_wheel, t_wheel, w_engine_before, dt)["feasible"]:
            gear = planned - 1
        if gear is None:
            gear = car.choose_gear(w_wheel, t_wheel, w_engine_before, dt, gear_before, time_in_gear)
        if gear is None:
            # the car cannot follow: find the highest reachable end speed by bisection
            lo, hi = 0.0, v1
            for _ in range(BISECTION_STEPS):
                mid = 0.5 * (lo + hi)
                _, w_mid, t_mid = demand(mid)
                if car.choose_gear(w_mid, t_mid, w_engine_before, dt, gear_before, time_in_gear) is None:
                    hi = mid
                else:
                    lo = mid
            v1 = lo
            force, w_wheel, t_wheel = demand(v1)
            gear = car.choose_gear(w_wheel, t_wheel, w_engine_before, dt, gear_before, time_in_gear)
            if gear is None:
                gear = 0
        if car.cvt:
            pass  # the point of cvt_point above
        elif neutral:  # clutch disengaged: the engine as when standing, nothing to the wheels
            p = dict(car.in_gear(gear, 0.0, 0.0, w_engine_before, dt), w_in=0.0, t_wheel=0.0)
            ratio = 0.0
        else:
            p = car.in_gear(gear, w_wheel, t_wheel, w_engine_before, dt)
            ratio = car.ratios[gear] * car.final_ratio

        if gear != gear_before:
            time_in_gear = 0.0
        time_in_gear += dt

        w_e, t_e = p["w_e"], p["t_e"]
        fuel = p["fuel"]
        if fuel > 0.0:
            fuel += car.engine.cold_extra_fuel(w_e, coolant)
        p_fuel = fuel * car.lhv
        coolant = car.engine.coolant_after(coolant, p_fuel, dt)
        p_wheel = force * car.r * w_wheel
        out["speed_mps"][k] = v1
        out["gear"][k] = 0 if neutral else gear + 1
        out["engine_speed_rad_s"][k] = w_e
        out["engine_torque_nm"][k] = t_e
        out["fuel_kg_s"][k] = fuel
        out["fuel_power_w"][k] = p_fuel
        out["engine_loss_w"][k] = p_fuel - t_e * w_e
        out["accessory_power_w"][k] = car.p_aux
        out["engine_inertia_power_w"][k] = p["t_inertia"] * w_e
        out["converter_loss_w"][k] = p["t_pump"] * w_e - p["t_in"] * p["w_in"]
        out["gearbox_loss_w"][k] = p["t_in"] * p["w_in"] - p["t_wheel"] * w_wheel
        out["wheel_power_w"][k] = p_wheel
        out["brake_power_w"][k] = p["t_wheel"] * w_wheel - p_wheel
        out["trace_miss_mps"][k] = v_cycle[k] - v1
        out["coolant_temp_c"][k] = coolant
        out["transmission_ratio"][k] = ratio

        w_engine_before = w_e
        gear_before = gear
    return out
