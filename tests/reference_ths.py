"""A slow, obvious reference model of a THS-II power-split hybrid, for testing ``hybridsim.core.ths``.

Written from the model descriptions in the package's docstrings (``components/planetary.py``,
``components/motor.py``, ``components/battery.py``, ``components/engine.py``, ``control/ths.py`` and the
kernel's module docstring), in plain Python, one step and one operating choice at a time. It imports
nothing from ``hybridsim.core``: parameters come from the component dataclasses (units converted here),
the fuel map is looked up with ``scipy.interpolate.RegularGridInterpolator``, every curve and table with
``numpy.interp``. Two package helpers are used as inputs, not as code under test: the chassis with MG2's
rotor inertia (``hybridsim.powertrains.ths._ths_chassis``) and the engine's optimal operating line
(``hybridsim.powertrains.ths._ool``).

Where the descriptions leave a detail open, the kernel's own choice is followed and marked
"(kernel rule)" below, so that the two can be compared to round-off.

Model, per interval [t0, t1] with achieved start speed v0 and demanded end speed v1 (k = Zr/Zs):

* chassis: v̄ = (v0+v1)/2, a = (v1−v0)/dt, F = m_eff·a + [c0·cos θ + c1·v̄ + c2·v̄² + m·g·sin θ]
  (bracket only while moving); axle torque T_axle = F·r at wheel speed ω_w = v̄/r;
* gearing: ω_ring = i_r·ω_w, ω_MG2 = i_m·ω_ring; Willis ω_MG1 = (1+k)·ω_e − k·ω_ring;
  pinion speed relative to the carrier (ω_ring − ω_e)·Zr/Zp;
* lever with rotor inertias, energy-consistent over the step (T_J·ω·Δt = ½J(ω² − ω₀²)): T_c = T_e − T_J,e,
  T_sun = −T_c/(1+k), T_MG1 = T_J,MG1 + T_sun, T_r = k·T_c/(1+k);
* efficiencies in the direction of power flow (multiply along it, divide against it): gear set on the
  ring torque, MG2 reduction, counter and final drive;
* MG2 closes the axle torque within min(T_pk, P_pk/ω) (regeneration fading out below a speed); the
  friction brakes take whatever braking torque is left;
* machines: loss kc·T² + ki·|ω| + kw·|ω|³ (+ C while making torque), DC power through the inverter
  (÷η motoring, ×η generating);
* battery: Rint with the exact root I = (V_oc − √(V_oc² − 4RP))/(2R), voltage-limited power limits
  derated linearly over the last band of the SOC window;
* controller: engine on/off with power hysteresis, minimum on/off times, forced on above the EV speed
  cap, below a SOC and while cold; fuelled on the OOL at P_dem + P_chg(SOC) (speed clamped for MG1,
  pinion and engine speed limits; torque capped by WOT and by MG1's reaction limit) or spun unfuelled;
  least engine power by bisection where MG1, MG2 or the battery cannot deliver; trace miss by
  bisection on the end speed; most engine power within the battery's charge limit by bisection;
* fuel: map (0 at or below motoring), cold friction fuel (θ^(−t) − 1)·ṁ_friction, start fuel per start;
  coolant C·dT/dt = f·P_fuel capped at the thermostat temperature.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from reference_components import KMH, RPM, Battery, EngineMap, Machine, road_force, window_limits

from hybridsim.powertrains.ths import _ool, _ths_chassis

SPEED_BISECTIONS = 40  # (kernel rule) halvings of the end speed on a trace miss
POWER_BISECTIONS = 30  # (kernel rule) halvings of the engine power in the least-power and charge-limit searches
BEST_EFFORT_FRACTIONS = (0.6, 0.35, 0.15)  # (kernel rule) shares of full power tried when the search fails
BATTERY_SAFE_FRACTIONS = (0.05, 0.15, 0.35, 0.6, 1.0)  # (kernel rule) tried when nothing is feasible
OFF, FUELLED, SPUN = 0, 1, 2

OUTPUTS = (
    "speed_mps", "trace_miss_mps", "engine_mode", "engine_speed_rad_s", "engine_torque_nm", "fuel_kg_s",
    "mg1_speed_rad_s", "mg1_torque_nm", "mg1_electric_power_w", "mg2_speed_rad_s", "mg2_torque_nm",
    "mg2_electric_power_w", "ring_speed_rad_s", "pinion_speed_rad_s", "battery_current_a", "battery_voltage_v",
    "battery_power_w", "soc", "coolant_temp_c", "fuel_power_w", "battery_chemical_power_w", "engine_loss_w",
    "mg1_loss_w", "mg2_loss_w", "inverter_loss_w", "battery_loss_w", "planetary_loss_w", "reduction_loss_w",
    "final_drive_loss_w", "rotor_inertia_power_w", "accessory_power_w", "brake_power_w", "wheel_power_w",
)


def _rotor_torque(j, w, w_prev, dt):
    """Torque accelerating a rotor from w_prev to w in dt whose work at w is the kinetic-energy change:
    T·w·dt = ½J(w² − w_prev²); the plain J·(w − w_prev)/dt where |w| < |w_prev|/2 (stopping, zero crossing)."""
    if w != 0.0 and abs(w) >= 0.5 * abs(w_prev):
        return (0.5 * j * (w * w - w_prev * w_prev)) / (w * dt)
    return j * (w - w_prev) / dt


def _efficiency(x, eta, forward):
    """x·η when the power flows the way of the conversion, x/η when against it."""
    return x * eta if forward else x / eta


class ReferenceThs:
    """All parameters of the vehicle in SI units, read from the component dataclasses."""

    def __init__(self, vehicle, cold_start=False, ambient_c=23.0):
        ch = _ths_chassis(vehicle)
        self.mass, self.mass_eff, self.r = ch.mass_kg, ch.mass_eff_kg, ch.wheel_radius_m
        self.c0, self.c1, self.c2 = ch.c0_n, ch.c1_n_per_mps, ch.c2_n_per_mps2

        pg = vehicle.planetary
        self.k = pg.ring_teeth / pg.sun_teeth
        self.zr_over_zp = pg.ring_teeth / pg.pinion_teeth
        self.i_mg2 = pg.mg2_reduction_ratio
        self.i_ring = pg.ring_to_axle_ratio
        self.eta_pg = pg.planetary_efficiency
        self.eta_mg2 = pg.mg2_reduction_efficiency
        self.eta_fd = pg.final_drive_efficiency
        self.pinion_max = pg.max_pinion_speed_rpm * RPM

        e = vehicle.engine
        self.engine = EngineMap(e, cold_start, ambient_c)
        self.lhv = self.engine.lhv
        self.j_engine = e.inertia_kgm2
        self.engine_max_speed = e.max_speed_rpm * RPM
        self.engine_min_speed = e.idle_speed_rpm * RPM
        self.start_fuel_kg = e.start_fuel_g * 1e-3
        ool = _ool(e)
        self.ool_power = np.asarray(ool.power_w, float)
        self.ool_speed = np.asarray(ool.speed_rad_s, float)
        self.p_engine_max = float(self.ool_power[-1])

        self.mg1 = Machine(vehicle.motors["mg1"])
        self.mg2 = Machine(vehicle.motors["mg2"])
        self.battery = Battery(vehicle.battery)
        acc = vehicle.accessories
        self.p_aux = acc.electrical_power_w / acc.dcdc_efficiency

        c = vehicle.controller
        self.ev_speed_max = c.ev_speed_max_kmh * KMH
        self.p_on = c.engine_on_power_kw * 1e3
        self.p_off = c.engine_off_power_kw * 1e3
        self.soc_target = c.soc_target
        self.soc_engine_on = c.soc_engine_on
        self.charge_gain = c.charge_gain_kw * 1e3
        self.p_charge_max = c.charge_power_max_kw * 1e3
        self.p_engine_min = c.engine_min_power_kw * 1e3
        self.min_on_time = c.min_on_time_s
        self.min_off_time = c.min_off_time_s
        self.spin_speed = c.spin_speed_rpm * RPM
        self.warm_coolant = c.warm_coolant_c
        self.regen_fade_speed = c.regen_fade_speed_kmh * KMH
        self.eta_estimate = c.driveline_efficiency_estimate  # P_dem = P_wheel / this + P_aux

        self.cold_start = bool(cold_start)

    # --- engine -------------------------------------------------------------------------------
    def ool_speed_at(self, p):
        return float(np.interp(p, self.ool_power, self.ool_speed))

    # --- chassis ------------------------------------------------------------------------------
    def wheel_force(self, v0, v1, dt, grade):
        return road_force(self.mass, self.mass_eff, self.c0, self.c1, self.c2, v0, v1, dt, grade)

    def ring_speed(self, v0, v1):
        return 0.5 * (v0 + v1) / self.r * self.i_ring

    # --- speed limits on the engine -------------------------------------------------------------
    def engine_speed_for_power(self, p, w_ring):
        """OOL speed at power p, at least the least fuelled speed, then clamped into the speed limits."""
        return self.clamp_speed(max(self.ool_speed_at(p), self.engine_min_speed), w_ring)

    def clamp_speed(self, w, w_ring):
        """Raised for MG1's reverse-speed and the backward pinion limits, then lowered for MG1's forward
        speed, the forward pinion and the engine limits (in that order: kernel rule; the later clamp wins)."""
        k = self.k
        dw_pinion = self.pinion_max / self.zr_over_zp
        w = max(w, (k * w_ring - self.mg1.max_speed) / (1.0 + k))  # ω_MG1 ≥ −ω_MG1,max
        w = max(w, w_ring - dw_pinion)  # (ω_ring − ω_e)·Zr/Zp ≤ ω_p,max
        w = min(w, (self.mg1.max_speed + k * w_ring) / (1.0 + k))  # ω_MG1 ≤ ω_MG1,max
        w = min(w, w_ring + dw_pinion)  # (ω_ring − ω_e)·Zr/Zp ≥ −ω_p,max
        return min(w, self.engine_max_speed)

    def spin_speed_for(self, w_ring):
        """Speed of the unfuelled, spun engine: the set speed clamped into the speed limits."""
        return self.clamp_speed(self.spin_speed, w_ring)

    def torque_for_power(self, p, w, w_ring, w_e_prev, w_g_prev, dt):
        """p/ω, capped by WOT and by what MG1 can react besides accelerating its rotor: MG1's torque
        T_J,g + T_sun ≥ −T_MG1,max with T_sun = −(T_e − T_J,e)/(1 + k·η) (kernel rule: 0.1 % below the
        envelope; the bound taken with η, never below zero)."""
        w_mg1 = (1.0 + self.k) * w - self.k * w_ring
        t_je = _rotor_torque(self.j_engine, w, w_e_prev, dt)
        t_jg = _rotor_torque(self.mg1.inertia, w_mg1, w_g_prev, dt)
        react = (1.0 + self.k * self.eta_pg) * (0.999 * self.mg1.torque_max(w_mg1) + t_jg) + t_je
        return min(p / w, self.engine.wot(w), max(react, 0.0))

    def fuelled_point(self, p, w_ring, w_e_prev, w_g_prev, dt):
        w = self.engine_speed_for_power(p, w_ring)
        return w, self.torque_for_power(p, w, w_ring, w_e_prev, w_g_prev, dt)

    # --- one operating choice -----------------------------------------------------------------
    def operate(self, v0, v1, dt, grade, mode, w_e, t_e, w_e_prev, w_g_prev, limits):
        """Everything about one step with the engine in ``mode`` at (w_e, t_e); ``limits`` = the battery's
        (discharge, charge) limits at the step's starting SOC."""
        s = SimpleNamespace()
        k = self.k
        s.force = self.wheel_force(v0, v1, dt, grade)
        s.w_wheel = 0.5 * (v0 + v1) / self.r
        s.t_axle = s.force * self.r
        s.w_ring = s.w_wheel * self.i_ring
        s.w_mg2 = s.w_ring * self.i_mg2
        if mode == OFF:
            w_e, t_e = 0.0, 0.0
        elif mode == SPUN:
            t_e = self.engine.motoring(w_e)  # fuel cut: the engine drags
        s.w_e, s.t_e = w_e, t_e
        s.w_mg1 = (1.0 + k) * w_e - k * s.w_ring  # Willis
        s.t_inertia_e = _rotor_torque(self.j_engine, w_e, w_e_prev, dt)
        s.t_inertia_g = _rotor_torque(self.mg1.inertia, s.w_mg1, w_g_prev, dt)
        # lever; the gear set loses (1 − η) of the power its meshes carry in the carrier frame,
        # P_mesh = T_sun·(ω_sun − ω_carrier), and T_carrier + T_sun = T_ring
        if mode == OFF and w_e_prev == 0.0:
            # engine at rest: MG1 unpowered, the ring spins MG1's rotor, the stopped engine holds the carrier
            s.t_mg1 = 0.0
            s.t_sun = -s.t_inertia_g
            mesh_power = s.t_sun * (s.w_mg1 - 0.0)
            s.t_ring_pg_out = -k * s.t_sun * (self.eta_pg if mesh_power >= 0.0 else 1.0 / self.eta_pg)
            s.t_carrier = s.t_ring_pg_out - s.t_sun
        else:
            s.t_carrier = t_e - s.t_inertia_e
            ideal_sun = -s.t_carrier / (1.0 + k)
            mesh_power = ideal_sun * (s.w_mg1 - w_e)
            e = self.eta_pg if mesh_power >= 0.0 else 1.0 / self.eta_pg
            s.t_sun = -s.t_carrier / (1.0 + k * e)
            s.t_ring_pg_out = s.t_carrier + s.t_sun
            s.t_mg1 = s.t_inertia_g + s.t_sun
        # MG2 closes the axle torque
        t_ring_need = _efficiency(s.t_axle, self.eta_fd, s.t_axle < 0.0) / self.i_ring
        x = t_ring_need - s.t_ring_pg_out
        t_mg2 = _efficiency(x, self.eta_mg2, x < 0.0) / self.i_mg2
        t2max = self.mg2.torque_max(s.w_mg2)
        traction_ok = t_mg2 <= t2max + 1e-9
        t_mg2 = min(t_mg2, t2max)
        if t_mg2 < 0.0:
            v_mean = 0.5 * (v0 + v1)
            fade = 1.0
            if self.regen_fade_speed > 0.0 and v_mean < self.regen_fade_speed:
                fade = v_mean / self.regen_fade_speed
            t_mg2 = max(t_mg2, -t2max * fade)
        # electrical side
        s.p_mg1, s.loss_mg1, s.inv_mg1 = self.mg1.dc_power(s.t_mg1, s.w_mg1)
        p_mg2, loss_mg2, inv_mg2 = self.mg2.dc_power(t_mg2, s.w_mg2)
        p_dis_max, p_chg_max = limits
        p_batt = s.p_mg1 + p_mg2 + self.p_aux
        s.overcharge = False
        if p_batt < -p_chg_max:
            # MG2 regenerates less (the friction brakes take the rest)
            if t_mg2 < 0.0:
                t_lim = self.mg2.generating_torque_for_dc_power(s.w_mg2, -p_chg_max - s.p_mg1 - self.p_aux)
                if t_lim > t_mg2:
                    t_mg2 = min(t_lim, 0.0)
                    p_mg2, loss_mg2, inv_mg2 = self.mg2.dc_power(t_mg2, s.w_mg2)
                    p_batt = s.p_mg1 + p_mg2 + self.p_aux
            s.overcharge = p_batt < -p_chg_max - 1e-6
        if p_batt > p_dis_max + 1e-6:
            traction_ok = False
        s.t_mg2, s.p_mg2, s.loss_mg2, s.inv_mg2, s.p_batt = t_mg2, p_mg2, loss_mg2, inv_mg2, p_batt
        # MG1 reacts the engine and accelerates its own rotor within its torque envelope, within its speed
        # and the pinion (both ways) and the engine within their speed limits
        s.mg1_ok = (abs(s.t_mg1) <= self.mg1.torque_max(s.w_mg1) + 1e-9 and abs(s.w_mg1) <= self.mg1.max_speed + 1e-6
                    and abs((s.w_ring - w_e) * self.zr_over_zp) <= self.pinion_max + 1e-6
                    and w_e <= self.engine_max_speed + 1e-6 and abs(s.w_mg2) <= self.mg2.max_speed + 1e-6)
        # what reaches the axle
        s.t_mg2_out = _efficiency(t_mg2 * self.i_mg2, self.eta_mg2, t_mg2 >= 0.0)
        s.t_ring = s.t_ring_pg_out + s.t_mg2_out
        s.t_axle_out = _efficiency(s.t_ring * self.i_ring, self.eta_fd, s.t_ring >= 0.0)
        if s.t_axle_out < s.t_axle - 1e-9:
            traction_ok = False
        s.traction_ok = traction_ok
        s.ok = traction_ok and s.mg1_ok
        s.feasible = s.ok and not s.overcharge
        return s

    def try_power(self, v0, v1, dt, grade, p, w_e_prev, w_g_prev, limits):
        w_e, t_e = self.fuelled_point(p, self.ring_speed(v0, v1), w_e_prev, w_g_prev, dt)
        return self.operate(v0, v1, dt, grade, FUELLED, w_e, t_e, w_e_prev, w_g_prev, limits)

    # --- searches -----------------------------------------------------------------------------
    def least_power(self, v0, v1, dt, grade, w_e_prev, w_g_prev, limits, p_lo):
        """Least engine power ≥ p_lo that MG1, MG2 and the battery can work with; None if full power cannot
        (kernel rules: full power is tried first, and "can work with" ignores the battery's charge limit)."""
        p_hi = self.p_engine_max
        if not self.try_power(v0, v1, dt, grade, p_hi, w_e_prev, w_g_prev, limits).ok:
            return None
        for _ in range(POWER_BISECTIONS):
            p_mid = 0.5 * (p_lo + p_hi)
            if self.try_power(v0, v1, dt, grade, p_mid, w_e_prev, w_g_prev, limits).ok:
                p_hi = p_mid
            else:
                p_lo = p_mid
        return p_hi

    def best_effort(self, v0, v1, dt, grade, w_e_prev, w_g_prev, limits):
        """(power, mode) reaching end speed v1 within every limit (charge limit included): fuelled at the
        least power if that is feasible; else at the first feasible of a few shares of full power; else
        (0.0, OFF) for EV drive; None if nothing works (kernel rule)."""
        p = self.least_power(v0, v1, dt, grade, w_e_prev, w_g_prev, limits, 0.0)
        if p is not None and self.try_power(v0, v1, dt, grade, p, w_e_prev, w_g_prev, limits).feasible:
            return p, FUELLED
        for frac in BEST_EFFORT_FRACTIONS:
            if self.try_power(v0, v1, dt, grade, frac * self.p_engine_max, w_e_prev, w_g_prev, limits).feasible:
                return frac * self.p_engine_max, FUELLED
        if self.operate(v0, v1, dt, grade, OFF, 0.0, 0.0, w_e_prev, w_g_prev, limits).feasible:
            return 0.0, OFF
        return None


def run_reference(vehicle, cycle, soc0, cold_start=False, ambient_c=23.0, *, branches=None) -> dict[str, np.ndarray]:
    """Simulate ``vehicle`` over ``cycle`` from SOC ``soc0``; outputs named as the kernel's ThsOut fields.

    Index 0 holds the initial state (cycle speed, SOC, coolant temperature, everything else 0); index k
    the interval (t[k−1], t[k]). ``branches``, if a dict, counts the steps that took each path of the step
    logic ("spun", "least_power", "trace_miss", "charge_limit", "start") and the steps that end in a choice
    the limits reject ("infeasible": kept as it is, kernel rule), so a test can tell what a comparison
    exercised.
    """
    branches = {} if branches is None else branches

    def count(name):
        branches[name] = branches.get(name, 0) + 1

    car = ReferenceThs(vehicle, cold_start, ambient_c)
    bat = car.battery
    t = np.asarray(cycle.time_s, float)
    v_cycle = np.asarray(cycle.speed_mps, float)
    grade = np.asarray(cycle.grade, float)
    n = len(t)
    out = {name: np.zeros(n) for name in OUTPUTS}
    out["speed_mps"][0] = v_cycle[0]
    out["soc"][0] = soc0
    out["coolant_temp_c"][0] = car.engine.coolant_start

    soc = float(soc0)
    coolant = car.engine.coolant_start
    w_e_prev = w_g_prev = 0.0
    mode_prev = OFF
    time_in_state = 1e9  # since the last engine on/off change (kernel rule: an engine may start at once)
    for kk in range(1, n):
        dt = float(t[kk] - t[kk - 1])
        v0 = float(out["speed_mps"][kk - 1])
        v1 = float(v_cycle[kk])
        gr = float(grade[kk])
        limits = window_limits(bat, soc, dt)
        was_on = mode_prev != OFF

        # --- controller
        v_mean = 0.5 * (v0 + v1)
        p_wheel = car.wheel_force(v0, v1, dt, gr) * v_mean
        p_dem = max(p_wheel, 0.0) / car.eta_estimate + car.p_aux
        w_ring = car.ring_speed(v0, v1)
        cold = car.cold_start and coolant < car.warm_coolant
        forced = v_mean > car.ev_speed_max or soc < car.soc_engine_on or cold
        if was_on:
            on = forced or p_dem >= car.p_off or time_in_state < car.min_on_time
        else:
            on = forced or (p_dem > car.p_on and time_in_state >= car.min_off_time)
        p_chg = min(max(car.charge_gain * (car.soc_target - soc), -car.p_charge_max), car.p_charge_max)
        p_eng = p_dem + p_chg
        mode, w_e, t_e = OFF, 0.0, 0.0
        if on:
            if p_wheel <= 0.0 and not cold and soc >= car.soc_engine_on:
                mode, w_e = SPUN, car.spin_speed_for(w_ring)
                count("spun")
            else:
                mode = FUELLED
                p_eng = min(max(p_eng, car.p_engine_min), car.p_engine_max)
                w_e, t_e = car.fuelled_point(p_eng, w_ring, w_e_prev, w_g_prev, dt)

        s = car.operate(v0, v1, dt, gr, mode, w_e, t_e, w_e_prev, w_g_prev, limits)
        if not s.ok:
            # the least engine power at which MG1, MG2 and the battery can deliver
            count("least_power")
            p_need = car.least_power(v0, v1, dt, gr, w_e_prev, w_g_prev, limits, p_eng if mode == FUELLED else 0.0)
            if p_need is not None:
                mode = FUELLED
                w_e, t_e = car.fuelled_point(p_need, w_ring, w_e_prev, w_g_prev, dt)
                s = car.operate(v0, v1, dt, gr, mode, w_e, t_e, w_e_prev, w_g_prev, limits)
        elif s.overcharge and mode == FUELLED:
            # the engine would charge beyond the battery's limit: the most power that does not
            count("charge_limit")
            p_lo, p_hi = 0.0, p_eng
            for _ in range(POWER_BISECTIONS):
                p_mid = 0.5 * (p_lo + p_hi)
                if car.try_power(v0, v1, dt, gr, p_mid, w_e_prev, w_g_prev, limits).feasible:
                    p_lo = p_mid
                else:
                    p_hi = p_mid
            w_e, t_e = car.fuelled_point(p_lo, w_ring, w_e_prev, w_g_prev, dt)
            s = car.operate(v0, v1, dt, gr, mode, w_e, t_e, w_e_prev, w_g_prev, limits)
        if not s.feasible:
            # every limit, the charge limit too: the best effort at the demanded speed, else a trace miss
            count("best_effort")
            choice = car.best_effort(v0, v1, dt, gr, w_e_prev, w_g_prev, limits)
            if choice is None:
                # trace miss: the highest end speed some engine power (or EV drive) reaches
                count("trace_miss")
                lo, hi = 0.0, v1
                for _ in range(SPEED_BISECTIONS):
                    mid = 0.5 * (lo + hi)
                    if car.best_effort(v0, mid, dt, gr, w_e_prev, w_g_prev, limits) is not None:
                        lo = mid
                    else:
                        hi = mid
                v1 = lo
                w_ring = car.ring_speed(v0, v1)
                choice = car.best_effort(v0, v1, dt, gr, w_e_prev, w_g_prev, limits)
                if choice is None:
                    # nothing works even at this speed: the first of engine off and a few fuelled powers that
                    # keeps the battery within its limits, the accessories (which can be cut) aside, so the SOC
                    # stays in its window; else engine off
                    choice = (0.0, OFF)
                    for mode_c, p_c in [(OFF, 0.0)] + [(FUELLED, f * car.p_engine_max) for f in BATTERY_SAFE_FRACTIONS]:
                        if mode_c == OFF:
                            sc = car.operate(v0, v1, dt, gr, OFF, 0.0, 0.0, w_e_prev, w_g_prev, limits)
                        else:
                            sc = car.try_power(v0, v1, dt, gr, p_c, w_e_prev, w_g_prev, limits)
                        if not sc.overcharge and sc.p_batt <= limits[0] + car.p_aux + 1e-6:
                            choice = (p_c, mode_c)
                            break
            p_need, mode = choice
            w_e, t_e = car.fuelled_point(p_need, w_ring, w_e_prev, w_g_prev, dt) if mode == FUELLED else (0.0, 0.0)
            s = car.operate(v0, v1, dt, gr, mode, w_e, t_e, w_e_prev, w_g_prev, limits)

        if not s.feasible:
            count("infeasible")  # the step ends in a choice the limits reject (kernel rule: kept as it is)

        # --- fuel: map, warm-up friction, start
        fuel = 0.0
        if mode == FUELLED:
            fuel = car.engine.fuel(s.w_e, s.t_e) + car.engine.cold_extra_fuel(s.w_e, coolant)
            if mode_prev != FUELLED:
                fuel += car.start_fuel_kg / dt
                count("start")
        is_on = mode != OFF
        if is_on != was_on:
            time_in_state = 0.0
        time_in_state += dt

        # empty battery: the accessory load is cut to what it can still supply (kernel rule)
        p_acc = car.p_aux
        if s.p_batt > limits[0] + 1e-6 and p_acc > 0.0:
            p_acc = max(p_acc - (s.p_batt - limits[0]), 0.0)
            s.p_batt = s.p_mg1 + s.p_mg2 + p_acc
        i_b, v_b, p_chem, loss_b, soc_new = bat.step(soc, s.p_batt, dt)
        p_fuel = fuel * car.lhv
        coolant = car.engine.coolant_after(coolant, p_fuel, dt)

        o = out
        o["speed_mps"][kk] = v1
        o["trace_miss_mps"][kk] = v_cycle[kk] - v1
        o["engine_mode"][kk] = mode
        o["engine_speed_rad_s"][kk] = s.w_e
        o["engine_torque_nm"][kk] = s.t_e
        o["fuel_kg_s"][kk] = fuel
        o["mg1_speed_rad_s"][kk] = s.w_mg1
        o["mg1_torque_nm"][kk] = s.t_mg1
        o["mg1_electric_power_w"][kk] = s.p_mg1
        o["mg2_speed_rad_s"][kk] = s.w_mg2
        o["mg2_torque_nm"][kk] = s.t_mg2
        o["mg2_electric_power_w"][kk] = s.p_mg2
        o["ring_speed_rad_s"][kk] = s.w_ring
        o["pinion_speed_rad_s"][kk] = (s.w_ring - s.w_e) * car.zr_over_zp
        o["battery_current_a"][kk] = i_b
        o["battery_voltage_v"][kk] = v_b
        o["battery_power_w"][kk] = s.p_batt
        o["soc"][kk] = soc_new
        o["coolant_temp_c"][kk] = coolant
        o["fuel_power_w"][kk] = p_fuel
        o["battery_chemical_power_w"][kk] = p_chem
        o["engine_loss_w"][kk] = p_fuel - s.t_e * s.w_e
        o["mg1_loss_w"][kk] = s.loss_mg1
        o["mg2_loss_w"][kk] = s.loss_mg2
        o["inverter_loss_w"][kk] = s.inv_mg1 + s.inv_mg2
        o["battery_loss_w"][kk] = loss_b
        o["planetary_loss_w"][kk] = s.t_carrier * s.w_e + s.t_sun * s.w_mg1 - s.t_ring_pg_out * s.w_ring
        o["reduction_loss_w"][kk] = s.t_mg2 * s.w_mg2 - s.t_mg2_out * s.w_ring
        o["final_drive_loss_w"][kk] = s.t_ring * s.w_ring - s.t_axle_out * s.w_wheel
        o["rotor_inertia_power_w"][kk] = s.t_inertia_e * s.w_e + s.t_inertia_g * s.w_mg1
        o["accessory_power_w"][kk] = p_acc
        o["brake_power_w"][kk] = (s.t_axle_out - s.t_axle) * s.w_wheel
        o["wheel_power_w"][kk] = s.t_axle * s.w_wheel

        soc = soc_new
        w_e_prev, w_g_prev = s.w_e, s.w_mg1
        mode_prev = mode
    return out
