"""The inverter loss model (components/motor.py) by hand and against ORNL's measured 2004 Prius MG2 inverter.

ORNL/TM-2006/423 Table B-1 (vehicles/maps/motor_prius2004_mg2_ornl_tableb1.csv, provenance in its header):
428 dynamometer points of the 2004 Prius MG2 with its inverter at a 500 V bus, each with true DC, AC and shaft
power and the phase current. The model's coefficients are the least-squares fit to its 393 usable points
(torque < 300 N·m); these tests check the kernel against them with the model's own current (∝ torque, at least
the voltage-limited current of the AC power), not the measured one, and settle whether the shipped 2010 MG2 map
(U. Michigan, "from ORNL") is of the machine alone or of machine and inverter.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hybridsim.components.motor import INV_2004, Motor
from hybridsim.core.electric import inverter_loss_w, motor_dc_power_w, motor_loss_w, motor_torque_for_dc_power

RPM = math.pi / 30.0
REPO = Path(__file__).resolve().parent.parent
TABLE_B1 = REPO / "vehicles" / "maps" / "motor_prius2004_mg2_ornl_tableb1.csv"
MG2_2010_MAP = REPO / "vehicles" / "maps" / "motor_prius2010_mg2_umich_eff.csv"
# the 2004 MG2 as ORNL tested it: 50 kW, 400 N·m, 6,000 rpm, 500 V bus (components.md §2.2 [O1])
MG2_2004 = Motor(peak_power_kw=50, peak_torque_nm=400, max_speed_rpm=6000, dc_bus_voltage_v=500)


def _csv(path):
    """Columns of a CSV with ``#`` comment lines before its header, as float arrays."""
    rows = [ln.split(",") for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return {name: np.array([float(r[j]) for r in rows[1:]]) for j, name in enumerate(rows[0])}


@pytest.fixture(scope="module")
def table_b1():
    d = _csv(TABLE_B1)
    n, t, p_dc, p_mech, p_ac, v_dc, i_ac = (d[c] for c in ("speed_rpm", "torque_nm", "p_dc_w", "p_mech_w", "p_ac_w",
                                                            "v_dc_v", "i_ac_a"))
    usable = t < 300.0  # the intermittent-duty rows are not loss data (file header)
    return {k: v[usable] for k, v in dict(n=n, t=t, p_dc=p_dc, p_mech=p_mech, p_ac=p_ac, v=v_dc, i=i_ac).items()}


def test_inverter_loss_by_hand():
    m = Motor(peak_power_kw=60, peak_torque_nm=200, max_speed_rpm=12000, dc_bus_voltage_v=600)
    k = m.to_kernel()
    i_pk = 2.0 * 60e3 / 600  # 200 A: the default 2·P_pk/V_dc
    assert m.inverter_peak_current() == pytest.approx(i_pk)
    p0, v0, r, ksw = INV_2004["fixed_w"], INV_2004["cond_w_per_a"], INV_2004["r_w_per_a2"], INV_2004["sw_w_per_a_v"]
    # below base speed the current follows the torque: 50 N·m → 50 A; P_ac = 5 kW needs only 5000/(1.0607·600) A
    i_p = 5000.0 / (3 / (2 * math.sqrt(2)) * 600)
    hand = p0 + v0 * 50 + r * 50**2 + ksw * 600 * (50 - i_p)
    assert inverter_loss_w(k, 50.0, 100.0, 5000.0) == pytest.approx(hand, rel=1e-12)
    assert inverter_loss_w(k, -50.0, 100.0, -5000.0) == pytest.approx(hand, rel=1e-12)  # generating: same current
    # above base speed the voltage limit sets the current (m·cos φ = 1): no switching term
    i_v = 60000.0 / (3 / (2 * math.sqrt(2)) * 600)
    assert inverter_loss_w(k, 20.0, 3000.0, 60000.0) == pytest.approx(p0 + v0 * i_v + r * i_v**2, rel=1e-12)
    assert inverter_loss_w(k, 0.0, 100.0, 300.0) == 0.0  # not switching at zero torque
    # the DC side: P_dc = P_ac + P_inv, generating and motoring
    for t, w in ((50.0, 3000 * RPM), (-50.0, 3000 * RPM), (120.0, -2000 * RPM)):
        p_ac = t * w + motor_loss_w(k, t, w)
        p_dc, _, p_inv = motor_dc_power_w(k, t, w)
        assert p_inv == pytest.approx(inverter_loss_w(k, t, w, p_ac), rel=1e-12)
        assert p_dc == pytest.approx(p_ac + p_inv, rel=1e-12)
    # scaling with the peak current: P_0 ∝ I_pk, R' ∝ 1/I_pk
    half = Motor(peak_power_kw=30, peak_torque_nm=200, max_speed_rpm=12000, dc_bus_voltage_v=600)
    assert half.inverter_coefficients()[0] == pytest.approx(p0 * 0.5)
    assert half.inverter_coefficients()[2] == pytest.approx(r / 0.5)
    # the legacy constant form still works and replaces the model
    legacy = Motor(peak_power_kw=60, peak_torque_nm=200, max_speed_rpm=12000, inverter_efficiency=0.95).to_kernel()
    p_ac = 50.0 * 3000 * RPM + motor_loss_w(legacy, 50.0, 3000 * RPM)
    assert motor_dc_power_w(legacy, 50.0, 3000 * RPM)[0] == pytest.approx(p_ac / 0.95, rel=1e-12)


def test_inverter_model_against_ornl_2004_prius(table_b1):
    """The kernel with its own current model at ORNL's 393 usable points: rms and max error of the loss and of
    the inverter efficiency, next to what the constant 0.97 (the old default) gives."""
    d = table_b1
    k = MG2_2004.to_kernel()
    model = np.array([inverter_loss_w(k, t, n * RPM, p) for t, n, p in zip(d["t"], d["n"], d["p_ac"], strict=True)])
    meas = d["p_dc"] - d["p_ac"]
    eta_meas = d["p_ac"] / d["p_dc"]
    err_w = model - meas
    err_eta = (d["p_ac"] / (d["p_ac"] + model) - eta_meas) * 100.0
    err_const = (0.97 - eta_meas) * 100.0
    i_model = np.maximum(d["t"] * k.inv_a_per_nm, d["p_ac"] / (3 / (2 * math.sqrt(2)) * k.inv_v_max))
    print(f"\nORNL 2004 MG2 inverter, {len(meas)} points: loss rms {np.sqrt(np.mean(err_w**2)):.0f} W, max "
          f"{np.abs(err_w).max():.0f} W (measured loss {meas.min():.0f}-{meas.max():.0f} W); efficiency rms "
          f"{np.sqrt(np.mean(err_eta**2)):.2f} points, max {np.abs(err_eta).max():.2f}, mean {err_eta.mean():+.2f}; "
          f"constant 0.97: rms {np.sqrt(np.mean(err_const**2)):.2f}, max {np.abs(err_const).max():.2f}; phase "
          f"current model rms {np.sqrt(np.mean((i_model - d['i'])**2)):.1f} A")
    assert np.sqrt(np.mean(err_eta**2)) < 0.6 and np.abs(err_eta).max() < 2.5
    assert abs(err_eta.mean()) < 0.2  # no bias
    assert np.sqrt(np.mean(err_eta**2)) < 0.3 * np.sqrt(np.mean(err_const**2))
    assert np.sqrt(np.mean((i_model - d["i"]) ** 2)) < 6.0  # the current model itself (10 % rms)


def test_2010_mg2_map_is_machine_only(table_b1):
    """The shipped 2010 MG2 map against ORNL's measured 2004 MG2 at equal fractions of peak torque and top speed:
    it sits at (above) the motor-only efficiency and well above motor+inverter, so it is taken as the machine
    alone (loss_map_includes_inverter = false), with the inverter model on top and nothing counted twice."""
    from scipy.interpolate import griddata

    d = table_b1
    x = np.c_[d["n"] / 6000.0, d["t"] / 400.0]
    u = _csv(MG2_2010_MAP)
    keep = (u["within_envelope"] == 1) & (u["speed_rpm"] > 0) & (u["torque_nm"] > 0)
    u = {c: v[keep] for c, v in u.items()}
    q = np.c_[u["speed_rpm"] / 13500.0, u["torque_nm"] / 207.0]
    motor_only = griddata(x, d["p_mech"] / d["p_ac"], q)
    combined = griddata(x, d["p_mech"] / d["p_dc"], q)
    ok = ~np.isnan(motor_only) & ~np.isnan(combined)
    dm = (u["eff"][ok] - motor_only[ok]).mean() * 100
    dc = (u["eff"][ok] - combined[ok]).mean() * 100
    print(f"\n2010 MG2 map minus ORNL 2004 at {ok.sum()} cells: motor-only {dm:+.1f} points, motor+inverter "
          f"{dc:+.1f} points; peaks 2010 map {u['eff'].max():.3f}, 2004 motor {(d['p_mech'] / d['p_ac']).max():.3f}, "
          f"2004 motor+inverter {(d['p_mech'] / d['p_dc']).max():.3f}")
    assert abs(dm) < abs(dc) and dc > 2.0


@pytest.mark.parametrize("w_rpm", [-4000.0, 300.0, 3000.0, 12000.0])
@pytest.mark.parametrize("p_dc", [-100.0, -3000.0, -20000.0, -1e6])
def test_generating_torque_inverts_dc_power_with_the_loss_model(w_rpm, p_dc):
    k = Motor(peak_power_kw=53, peak_torque_nm=163, max_speed_rpm=17000, dc_bus_voltage_v=600).to_kernel()
    w = w_rpm * RPM
    t = motor_torque_for_dc_power(k, w, p_dc)
    got = motor_dc_power_w(k, t, w)[0]
    assert got >= p_dc  # never charges more than asked
    if got - p_dc > 1e-6 * abs(p_dc):
        # beyond the best generating point: the best of 129 torques from 0 to T_pk, within 1 % of a fine scan's
        grid = [motor_dc_power_w(k, -np.sign(w) * x, w)[0] for x in np.arange(129) * (163.0 / 128)]
        fine = min(motor_dc_power_w(k, -np.sign(w) * x, w)[0] for x in np.linspace(0.0, 163.0, 2001))
        assert got == pytest.approx(min(grid), rel=1e-12) and got <= fine + 0.01 * abs(fine)


def test_variable_bus_and_boost_converter_by_hand():
    """The variable-voltage bus (the machine's demand within [V_min, V_max]) and the boost converter's loss."""
    from hybridsim.components.motor import BOOST_2004
    from hybridsim.core.electric import boost_loss_w, bus_voltage_v

    m = Motor(peak_power_kw=53, peak_torque_nm=163, max_speed_rpm=17000, dc_bus_voltage_v=600,
              dc_bus_min_voltage_v=201.6)
    k = m.to_kernel()
    w_b = 53e3 / 163  # base speed [rad/s]
    assert bus_voltage_v(k, 163.0, w_b) == pytest.approx(600.0, rel=1e-12)  # the corner point needs the ceiling
    assert bus_voltage_v(k, 0.0, 0.5 * w_b) == pytest.approx(201.6)  # 0.5·0.5·600 = 150 V: the floor
    v = 600.0 * 0.9 * math.sqrt(0.25 + 0.75 * 0.6**2)  # 0.9·ω_b at 60 % torque: 355 V
    assert bus_voltage_v(k, -0.6 * 163.0, -0.9 * w_b) == pytest.approx(v, rel=1e-12)
    assert bus_voltage_v(k, 10.0, 3.0 * w_b) == 600.0  # field weakening at the ceiling
    # switching at the bus voltage: at 0.9·ω_b, 60 % torque the inverter switches at 355 V, not 600 V
    t, w = 0.6 * 163.0, 0.9 * w_b
    p_ac = t * w + motor_loss_w(k, t, w)
    fixed = Motor(peak_power_kw=53, peak_torque_nm=163, max_speed_rpm=17000, dc_bus_voltage_v=600).to_kernel()
    i = t * k.inv_a_per_nm
    d_sw = k.inv_sw_w_per_a_v * (600.0 - v) * i  # K_sw·V·(I − I_P) with V·I_P = P_ac/1.06 the same at both
    assert inverter_loss_w(fixed, t, w, p_ac) - inverter_loss_w(k, t, w, p_ac) == pytest.approx(d_sw, rel=1e-9)
    # boost converter: conduction on I_L = |P|/V_min, switching only while the bus is raised
    i_b = 53e3 / 201.6
    v0, r, ksw = BOOST_2004["v0_v"], BOOST_2004["r_ohm_at_200a"] * 200.0 / i_b, BOOST_2004["sw_w_per_a_v"]
    i_l = 20e3 / 201.6
    assert boost_loss_w(k, -20e3, 201.6) == pytest.approx(v0 * i_l + r * i_l**2, rel=1e-12)
    assert boost_loss_w(k, 20e3, 500.0) == pytest.approx(v0 * i_l + r * i_l**2 + ksw * 500.0 * i_l, rel=1e-12)
    assert 0.02 < boost_loss_w(k, 20e3, 500.0) / 20e3 < 0.03  # 97.7 %: inside components.md §2.4's 95–98 %
    assert boost_loss_w(fixed, 20e3, 600.0) == 0.0  # no boost converter on a fixed bus


def test_bus_voltage_far_too_low_is_refused():
    import hybridsim as hs

    with pytest.raises(ValueError, match=r"motors\.mg2\.dc_bus_voltage_v = 20\.0: .*5000 A; allowed >= 24 V"):
        hs.replace_path(hs.load_vehicle("ralink"), "motors.mg2.dc_bus_voltage_v", 20.0)
    with pytest.raises(ValueError, match=r"motors\.mg1\.dc_bus_min_voltage_v = 700\.0: .*allowed <= "):
        hs.replace_path(hs.load_vehicle("ralink"), "motors.mg1.dc_bus_min_voltage_v", 700.0)


def test_regeneration_that_returns_nothing_goes_to_the_friction_brakes():
    """A bus so low that MG2's inverter loses more than it generates (24 V, 2500 A at peak): braking draws nothing
    from the battery, the friction brakes take it, and the energy balance closes."""
    import hybridsim as hs
    from hybridsim.cycles import Cycle
    from hybridsim.results import energy_balance

    v = hs.load_vehicle("ralink")
    v = hs.replace_path(v, "motors.mg2.dc_bus_min_voltage_v", 24.0)
    v = hs.replace_path(v, "motors.mg2.dc_bus_voltage_v", 24.0)
    t = np.arange(0.0, 31.0)
    speed = np.interp(t, [0, 10, 20, 30], [0.0, 10.0, 10.0, 0.0])
    ds = hs.simulate(v, Cycle("brake", t, speed, 0.0), soc_balance=False)
    braking = ds["wheel_power"].values < -1e3
    assert braking.any()
    t_m2, p_m2 = ds["mg2_torque"].values, ds["mg2_electric_power"].values
    assert not np.any((t_m2 < 0.0) & (p_m2 >= 0.0))  # MG2 never brakes at a cost to the battery
    idle = braking & (t_m2 == 0.0)  # at the lower speeds it idles while braking: the friction brakes take it all
    assert idle.any() and np.all(ds["brake_power"].values[idle] > 0.0)
    assert energy_balance(ds)["rel_error"] < 1e-9


def _shipped_machines():
    """Every shipped vehicle's machines with the parametric loss and the inverter loss model, as kernel records."""
    import hybridsim as hs

    out = []
    for path in sorted((REPO / "vehicles").glob("*.toml")):
        for name, motor in hs.load_vehicle(path.stem).motors.items():
            k = motor.to_kernel()
            if k.use_map <= 0.0 and k.inverter_efficiency <= 0.0:
                out.append((f"{path.stem}.{name}", k, motor.max_speed_rpm * RPM))
    return out


def _full_scan(k, w, p_dc):
    """The generating torque of a DC power out of reach within [0, T_pk], the slow obvious way: every one of the 129
    torques 0, T_pk/128, … T_pk evaluated, the first of least DC power (the kernel's rule)."""
    xs = np.arange(129) * (k.peak_torque_nm / 128)
    p = [motor_dc_power_w(k, -np.sign(w) * x, w)[0] for x in xs]
    return -np.sign(w) * xs[int(np.argmin(p))], min(p)


def test_dc_power_floor_and_the_shortcuts_it_allows():
    """The quadratic floor of the DC power (core/electric._dc_power_floor_quadratic) never exceeds the DC power (every
    shipped machine, speeds over ± top speed, 257 torques to T_pk); where the kernel's solve takes it to skip work,
    the answer is the slow full scan's; and ``dc_power_torque_is_below`` says "below" only where the solve's torque
    is below (random points). Also: the solve stays within [−T_pk, 0]."""
    from hybridsim.core.electric import _dc_power_floor_quadratic, dc_power_torque_is_below

    rng = np.random.default_rng(7)
    machines = _shipped_machines()
    assert len(machines) >= 10
    n_out = n_below = 0
    for label, k, w_max in machines:
        t_pk = k.peak_torque_nm
        xs = np.linspace(0.0, t_pk, 257)
        for w in np.linspace(-w_max, w_max, 41):
            a2, b1, c0, ok = _dc_power_floor_quadratic(k, abs(w))
            assert ok, label
            p = np.array([motor_dc_power_w(k, -np.sign(w) * x, w)[0] for x in xs])
            floor = np.minimum(a2 * xs * xs - b1 * xs + c0, 0.0)
            assert np.all(floor <= p + 1e-9 * (abs(w) * t_pk + 1.0)), (label, w)
        for _ in range(150):
            w = rng.uniform(0.005, 1.0) * w_max
            p_dc = -rng.uniform(0.02, 2.0) * w * t_pk
            t = motor_torque_for_dc_power(k, w, p_dc)
            assert -t_pk <= t <= 0.0, (label, w, p_dc, t)
            t_grid, p_min = _full_scan(k, w, p_dc)
            if p_min > p_dc:  # out of reach within the envelope: the full scan's answer, to the bit
                n_out += 1
                assert t == t_grid, (label, w, p_dc, t, t_grid)
            t_m = -rng.uniform(0.0, 1.0) * t_pk
            if dc_power_torque_is_below(k, w, p_dc, t_m):
                n_below += 1
                assert t < t_m, (label, w, p_dc, t_m, t)
    print(f"\n{len(machines)} machines: {n_out} points out of reach (= full scan), {n_below} decided 'below' "
          "(all true)")
    assert n_out > 50 and n_below > 50
