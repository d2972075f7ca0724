"""The machine loss model against the measured efficiency maps shipped in vehicles/maps/, point by point.

Efficiency of the model η = T·ω / (T·ω + P_loss(T, ω)) (machine alone, no inverter) against the map's
machine-only efficiency at every measured cell inside the torque envelope and the measured speed range
(the padded/copied rows of each file are left out, see the file headers). Reported per torque band: all
cells, torque above 10 % of peak (the issue's |Δη| ≤ 2-point goal) and below 20 % of peak.

* 2010 Prius MG2 (ORNL via U. Michigan): the map the default coefficients were fitted to (with C = 0); checks
  the functional form (copper ∝ T², iron ∝ ω, windage ∝ ω³). The map itself wants a constant of about 350 W
  at every torque, which no machine measured apart from its inverter shows:
* 2004 Prius MG2 (ORNL/TM-2006/423 Table B-1): measured shaft and inverter-output power, so the machine's own
  loss; the four-term form fitted to it puts the constant at 0 W, and the scaled default fit is checked against
  it.
* Gen-1 Prius MG2 (30 kW) and MG1 (15 kW) (NREL ADVISOR, Unique Mobility tests): checks ADVISOR's
  torque/speed scaling rule that every other machine in the package relies on. It does not hold across
  machine generations (the 1999 machines lose far more at low torque than a scaled 2010 machine), which
  the test states rather than hides.
"""

from __future__ import annotations

import numpy as np
import pytest

from hybridsim._resources import data_dir
from hybridsim.components.motor import Motor
from hybridsim.core.electric import motor_loss_w

RPM = np.pi / 30.0

# file, efficiency column, the machine (rating from the file header), speed/torque columns, measured speeds
MAPS = {
    "mg2_2010": ("motor_prius2010_mg2_umich_eff.csv", "eff", Motor(peak_power_kw=60, peak_torque_nm=207,
                                                                   max_speed_rpm=13500),
                 "speed_rpm", "torque_nm", 1000, 12000),
    "mg2_gen1": ("motor_prius_jpn_mg2_advisor_eff.csv", "eff_motor_only",
                 Motor(peak_power_kw=30, peak_torque_nm=305, max_speed_rpm=6000), "speed_rpm", "torque_nm", 500,
                 4500),
    "mg1_gen1": ("generator_prius_jpn_mg1_advisor_eff.csv", "eff_machine_only",
                 Motor(peak_power_kw=15, peak_torque_nm=55, max_speed_rpm=5500), "speed_rpm_abs", "torque_nm_abs",
                 500, 4000),
}


def read_map(name):
    lines = [ln for ln in (data_dir("vehicles") / "maps" / name).read_text(encoding="utf-8").splitlines()
             if not ln.startswith("#")]
    return np.genfromtxt(lines, delimiter=",", names=True)


def efficiency_error_points(key):
    """(torque [N·m], peak torque [N·m], model − map efficiency [points]) at the measured cells."""
    fname, col, motor, sc, tc, smin, smax = MAPS[key]
    d = read_map(fname)
    sel = (d["within_envelope"] == 1) & (d[sc] >= smin) & (d[sc] <= smax) & (d[tc] > 0)
    w, t, eta = d[sc][sel] * RPM, d[tc][sel], d[col][sel]
    k = motor.to_kernel()
    loss = np.array([motor_loss_w(k, ti, wi) for ti, wi in zip(t, w, strict=True)])
    p = t * w
    return t, motor.peak_torque_nm, (p / (p + loss) - eta) * 100.0


def band_stats(key):
    t, t_pk, d = efficiency_error_points(key)
    out = {}
    for band, m in (("all", np.ones_like(t, bool)), ("T>10%", t > 0.1 * t_pk), ("T<20%", t < 0.2 * t_pk)):
        out[band] = (int(m.sum()), float(np.sqrt(np.mean(d[m] ** 2))), float(np.abs(d[m]).max()))
    return out


def _report(key):
    for band, (n, rms, mx) in band_stats(key).items():
        print(f"{key} {band:6s} n={n:3d}  rms |Δη| {rms:5.2f} points  max {mx:5.2f} points")


def test_loss_model_reproduces_the_2010_mg2_map_it_was_fitted_to():
    # issue 13: the fit has no constant term since the ORNL 2004 MG2 measured apart from its inverter has none
    # (test_measured_prius_machine_loss_has_no_constant_term); the 2010 map's low-torque cells, which want
    # ≈ 350 W of it, are now missed by up to 12.8 points at 1,000 rpm and 10 N·m (with C 347 W: rms 1.12 / 1.31
    # / 1.62 points)
    _report("mg2_2010")
    s = band_stats("mg2_2010")
    assert s["T>10%"][1] < 1.8  # rms, points (measured: 1.68)
    assert s["all"][1] < 2.5  # (2.34)
    assert s["T<20%"][1] < 3.5  # (3.33)


@pytest.mark.xfail(strict=True, reason="goal |Δη| ≤ 2 points above 10 % of peak torque: the loss form without "
                   "a constant misses the 2010 MG2 map by up to 7.65 points at its low-speed, low-torque cells "
                   "(1,000 rpm, 30 N·m; 2.97 points with the fitted C 347 W, which the machine-only ORNL 2004 MG2 "
                   "data refute); a machine given its measured map (loss_map_file, as the Levin's MG2) meets it, "
                   "see test_map_machine_reproduces_its_map")
def test_loss_model_within_two_points_of_the_2010_mg2_map_above_10_percent_torque():
    assert band_stats("mg2_2010")["T>10%"][2] <= 2.0


@pytest.mark.parametrize("key", ["mg2_gen1", "mg1_gen1"])
@pytest.mark.xfail(strict=True, reason="ADVISOR's torque/speed scaling of the 2010 MG2 loss fit does not carry "
                   "to the 1999 gen-1 machines (rms 5.8-9.9 points above 10 % torque): scaling across machine "
                   "generations is an estimate, as components.md §2.2 marks it")
def test_scaled_loss_model_against_the_gen1_maps(key):
    _report(key)
    assert band_stats(key)["T>10%"][1] <= 2.0


# --- the loss model's form against a Prius machine measured apart from its inverter -------------------------

ORNL_2004 = "motor_prius2004_mg2_ornl_tableb1.csv"  # 2004 Prius MG2: 50 kW, 400 N·m, 6,000 rpm (file header)


def _ornl_2004():
    """(ω [rad/s], T [N·m], shaft power [W], machine-only loss [W]) at the measured points."""
    d = read_map(ORNL_2004)
    d = d[d["torque_nm"] <= 160.0]  # the low-torque rows, where a constant loss term would show (file header)
    w, t, p = d["speed_rpm"] * RPM, d["torque_nm"], d["p_mech_w"]
    return w, t, p, d["p_ac_w"] - p


def test_measured_prius_machine_loss_has_no_constant_term():
    """Copper, iron, windage and a constant fitted (non-negative least squares) to ORNL's 2004 Prius MG2 loss,
    shaft to inverter output: the constant comes out 0, the reason the default fit has none; the 20 N·m row
    below 1,200 rpm falls linearly to about the copper loss at standstill."""
    from scipy.optimize import nnls

    w, t, p, loss = _ornl_2004()
    a = np.column_stack([t**2, w, w**3, np.ones_like(w)])
    x, _ = nnls(a, loss)
    d = (p / (p + a @ x) - p / (p + loss)) * 100.0
    row = (t < 21.0) & (w < 1200.0 * RPM)
    slope, at_rest = np.polyfit(w[row] / RPM, loss[row], 1)
    print(f"ORNL 2004 MG2, {len(t)} points: kc {x[0]:.4f}, ki {x[1]:.3f}, kw {x[2]:.3g}, C {x[3]:.1f} W; rms |Δη| "
          f"{np.sqrt(np.mean(d**2)):.2f} points; 20 N·m row {slope:.3f} W/rpm, {at_rest:.0f} W at rest")
    assert len(t) == 264
    assert x[3] < 10.0  # W (measured: 0.0; the 2010 fit's 347 W scaled to this machine would be 298 W)
    assert np.sqrt(np.mean(d**2)) < 3.0  # points (2.79)
    assert 0.0 < at_rest < 80.0  # W (39; the fit's copper loss at 20 N·m: 33 W)


def test_scaled_default_loss_model_against_the_measured_2004_machine():
    """The default fit scaled to the 2004 MG2's rating (ADVISOR's rule) against its measured machine-only loss:
    unbiased at low torque, where the constant term of the fit used to charge 298 W too much at low speed."""
    w, t, p, loss = _ornl_2004()
    k = Motor(peak_power_kw=50, peak_torque_nm=400, max_speed_rpm=6000).to_kernel()
    model = np.array([motor_loss_w(k, ti, wi) for ti, wi in zip(t, w, strict=True)])
    d = (p / (p + model) - p / (p + loss)) * 100.0
    low = t < 45.0
    print(f"scaled fit vs ORNL 2004 MG2: rms |Δη| {np.sqrt(np.mean(d**2)):.2f} points, mean {d.mean():+.2f}; "
          f"below 45 N·m mean {d[low].mean():+.2f} points")
    assert np.sqrt(np.mean(d**2)) < 3.0  # points (2.51; 3.42 with C)
    assert abs(d[low].mean()) < 1.0  # points (+0.21; −1.92 with C)
    i = np.argmin(np.abs(w - 303 * RPM) + np.abs(t - 20.2))  # 303 rpm, 20.2 N·m: measured 127 W
    assert loss[i] == pytest.approx(127.0) and model[i] == pytest.approx(118.2, abs=0.5)


# --- a measured map as the machine's loss model (motors.<name>.loss_map_file) --------------------------

MG2_MAP = str(data_dir("vehicles") / "maps" / "motor_prius2010_mg2_umich_eff.csv")


def map_motor(**kw):
    return Motor(peak_power_kw=60, peak_torque_nm=207, max_speed_rpm=13500, loss_map_file=MG2_MAP, **kw)


def test_loss_table_by_hand():
    from hybridsim.components.motor import loss_table

    table, table_gen, dw, dt = loss_table(MG2_MAP)
    assert table_gen is table  # one quadrant in the file: generating is symmetric
    assert table.shape == (25, 21) and dw == pytest.approx(500 * RPM) and dt == 10.0
    # a measured cell: 3000 rpm, 20 N·m, η = 0.872 → P(1/η − 1)
    p = 3000 * RPM * 20
    assert table[6, 2] == pytest.approx(p * (1 / 0.872 - 1), rel=1e-12)
    # zero torque: linear extrapolation from 10 and 20 N·m (3000 rpm: η 0.822 and 0.872)
    l10, l20 = 3000 * RPM * 10 * (1 / 0.822 - 1), p * (1 / 0.872 - 1)
    assert table[6, 0] == pytest.approx(2 * l10 - l20, rel=1e-12)
    # zero speed: linear extrapolation from 500 and 1000 rpm, never below zero
    assert (table[0] >= 0).all() and table[0, 0] == 0.0
    assert table[0, 5] == pytest.approx(max(2 * table[1, 5] - table[2, 5], 0.0), rel=1e-12)


def test_kernel_loss_is_the_map_bilinear():
    from scipy.interpolate import RegularGridInterpolator

    from hybridsim.components.motor import loss_table

    measured, _, dw, dt = loss_table(MG2_MAP)
    m = map_motor()
    f = m.no_load_drag_fraction
    table = measured.copy()
    table[:, 0] *= f  # an idle machine (T = 0) loses the share f of the extrapolated zero-torque loss
    interp = RegularGridInterpolator((np.arange(25) * dw, np.arange(21) * dt), table)
    k = m.to_kernel()
    rng = np.random.default_rng(3)
    for w, t in zip(rng.uniform(-12000, 12000, 200) * RPM, rng.uniform(-200, 200, 200), strict=True):
        assert motor_loss_w(k, t, w) == pytest.approx(float(interp((abs(w), abs(t)))), rel=1e-12, abs=1e-9)
    # by hand at 3000 rpm (row 6): idle f·(zero-torque column), the measured 10 N·m column unchanged, and
    # halfway between them the mean of the two (the operating loss ramps in)
    w6 = 3000 * RPM
    assert motor_loss_w(k, 0.0, w6) == pytest.approx(f * measured[6, 0], rel=1e-12)
    assert motor_loss_w(k, 10.0, w6) == pytest.approx(measured[6, 1], rel=1e-12)
    assert motor_loss_w(k, 5.0, w6) == pytest.approx(0.5 * (f * measured[6, 0] + measured[6, 1]), rel=1e-12)
    # beyond the map: the edge value
    assert motor_loss_w(k, 250.0, 13000 * RPM) == pytest.approx(table[-1, -1], rel=1e-12)


@pytest.mark.parametrize("w_rpm", [-6000.0, 800.0, 3000.0, 9000.0])
@pytest.mark.parametrize("p_dc", [-50.0, -2000.0, -15000.0, -40000.0, -1e6])
def test_map_generating_torque_inverts_dc_power(w_rpm, p_dc):
    from hybridsim.core.electric import motor_dc_power_w, motor_torque_for_dc_power

    k = map_motor().to_kernel()
    w = w_rpm * RPM
    t = motor_torque_for_dc_power(k, w, p_dc)
    assert t * w < 0.0  # a spinning machine with a no-load loss generates only with torque against ω
    got = motor_dc_power_w(k, t, w)[0]
    if abs(got - p_dc) > 1e-6 * abs(p_dc):
        # beyond the best generating point: with the inverter loss model, the best of 129 torques from 0 to T_pk
        grid = [motor_dc_power_w(k, -np.sign(w) * x, w)[0] for x in np.arange(129) * (207.0 / 128)]
        assert got == pytest.approx(min(grid), rel=1e-12) and got > p_dc


def test_loss_map_input_errors(tmp_path):
    with pytest.raises(ValueError, match="inverter_efficiency = 0.95: must be 1"):
        map_motor(inverter_efficiency=0.95, loss_map_includes_inverter=True)
    assert map_motor(inverter_efficiency=1.0, loss_map_includes_inverter=True).to_kernel().inverter_efficiency == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("speed_rpm,torque_nm,eff\n0,0,0.5\n1000,10,0.9\n", encoding="utf-8")
    with pytest.raises(ValueError, match="full speed × torque grid"):
        Motor(peak_power_kw=10, peak_torque_nm=50, max_speed_rpm=6000, loss_map_file=str(bad))
    with pytest.raises(ValueError, match="column"):
        map_motor(loss_map_column="efficiency")


def test_map_machine_reproduces_its_map():
    """The goal |Δη| ≤ 2 points above 10 % of peak torque, met by a machine given its measured map: at every
    measured cell the model's efficiency is the map's."""
    fname, col, _, sc, tc, smin, smax = MAPS["mg2_2010"]
    d = read_map(fname)
    sel = (d[sc] > 0) & (d[tc] > 0)
    k = map_motor().to_kernel()
    w, t = d[sc][sel] * RPM, d[tc][sel]
    loss = np.array([motor_loss_w(k, ti, wi) for ti, wi in zip(t, w, strict=True)])
    np.testing.assert_allclose(t * w / (t * w + loss), d[col][sel], rtol=0, atol=1e-12)


def test_generating_quadrant_from_the_file(tmp_path):
    """Rows with negative torque give the generating loss |P|(1 − η); the kernel uses it when T·ω < 0."""
    from hybridsim.components.motor import loss_table
    from hybridsim.core.electric import motor_dc_power_w, motor_torque_for_dc_power

    lines = ["speed_rpm,torque_nm,eff"]
    for n in range(0, 3001, 1000):
        for t in range(-40, 41, 10):
            lines.append(f"{n},{t},{0.90 if t > 0 else 0.80 if t < 0 else 0.5}")
    f = tmp_path / "two_quadrants.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mot, gen, dw, dt = loss_table(str(f))
    w, t = 2000 * RPM, 30.0
    assert mot[2, 3] == pytest.approx(w * t * (1 / 0.90 - 1), rel=1e-12)
    assert gen[2, 3] == pytest.approx(w * t * (1 - 0.80), rel=1e-12)
    k = Motor(peak_power_kw=20, peak_torque_nm=40, max_speed_rpm=3000, inverter_efficiency=1.0,
              loss_map_file=str(f)).to_kernel()
    assert motor_loss_w(k, 30.0, w) == pytest.approx(mot[2, 3], rel=1e-12)
    assert motor_loss_w(k, -30.0, w) == pytest.approx(gen[2, 3], rel=1e-12)
    assert motor_loss_w(k, 30.0, -w) == pytest.approx(gen[2, 3], rel=1e-12)  # T·ω < 0: generating
    # the inverse finds the generating torque through the generating table: −30 N·m returns 0.8·P
    t_g = motor_torque_for_dc_power(k, w, -0.80 * w * 30.0)
    assert t_g == pytest.approx(-30.0, rel=1e-9)
    assert motor_dc_power_w(k, t_g, w)[0] == pytest.approx(-0.80 * w * 30.0, rel=1e-9)


def test_residual_plot_draws():
    from hybridsim.plot import plot_machine_map_error

    fname, col, motor, *_ = MAPS["mg2_2010"]
    ax = plot_machine_map_error(motor, data_dir("vehicles") / "maps" / fname, col, speed_min_rpm=999)
    assert ax.get_title().startswith("motor_prius2010_mg2_umich_eff.csv: rms 2.34")  # issue 13: C = 0 (1.31 with C)
    assert len(ax.collections[0].get_offsets()) == efficiency_error_points("mg2_2010")[0].size


@pytest.mark.parametrize("w_rpm", [500.0, 3000.0, 9000.0])
@pytest.mark.parametrize("p_dc", [-100.0, 0.0, 2000.0, 15000.0, 1e6])
def test_motoring_torque_for_a_dc_power_limit(w_rpm, p_dc):
    """The full-load models' motoring torque under a DC power limit: inside the envelope, on the feasible side
    of the limit, and within the bisection's resolution (T_max / 2³⁰) of it; the whole envelope when it fits."""
    from hybridsim.core.electric import motor_dc_power_w, motor_tmax, motor_torque_for_motoring_dc_power

    k = map_motor().to_kernel()
    w = w_rpm * RPM
    t = motor_torque_for_motoring_dc_power(k, w, p_dc)
    t_max = motor_tmax(k, w)
    if p_dc <= 0.0:
        assert t == 0.0
    elif motor_dc_power_w(k, t_max, w)[0] <= p_dc:
        assert t == t_max
    else:
        assert 0.0 <= t < t_max
        assert motor_dc_power_w(k, t, w)[0] <= p_dc < motor_dc_power_w(k, t + t_max / 2**29, w)[0]
