"""The machine loss model against the measured efficiency maps shipped in vehicles/maps/, point by point.

Efficiency of the model η = T·ω / (T·ω + P_loss(T, ω)) (machine alone, no inverter) against the map's
machine-only efficiency at every measured cell inside the torque envelope and the measured speed range
(the padded/copied rows of each file are left out, see the file headers). Reported per torque band: all
cells, torque above 10 % of peak (the issue's |Δη| ≤ 2-point goal) and below 20 % of peak.

* 2010 Prius MG2 (ORNL via U. Michigan): the map the default coefficients were fitted to; checks the
  functional form (copper ∝ T², iron ∝ ω, windage ∝ ω³, the constant C ramped in to the lowest
  measured torque).
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
    _report("mg2_2010")
    s = band_stats("mg2_2010")
    assert s["T>10%"][1] < 1.5  # rms, points (measured: 1.12)
    assert s["all"][1] < 1.5  # (1.31)
    assert s["T<20%"][1] < 2.0  # (1.62)


@pytest.mark.xfail(strict=True, reason="goal |Δη| ≤ 2 points above 10 % of peak torque: the 4-term loss form "
                   "misses the 2010 MG2 map by up to 2.97 points at its high-torque, low-speed corner; a 2-D map "
                   "input would meet it by construction (not built yet)")
def test_loss_model_within_two_points_of_the_2010_mg2_map_above_10_percent_torque():
    assert band_stats("mg2_2010")["T>10%"][2] <= 2.0


@pytest.mark.parametrize("key", ["mg2_gen1", "mg1_gen1"])
@pytest.mark.xfail(strict=True, reason="ADVISOR's torque/speed scaling of the 2010 MG2 loss fit does not carry "
                   "to the 1999 gen-1 machines (rms 5.8-9.8 points above 10 % torque): scaling across machine "
                   "generations is an estimate, as components.md §2.2 marks it")
def test_scaled_loss_model_against_the_gen1_maps(key):
    _report(key)
    assert band_stats(key)["T>10%"][1] <= 2.0
