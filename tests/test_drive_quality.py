"""SAE J2951 drive-quality metrics (hybridsim.drive_quality) against hand-computed cases."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import hybridsim as hs
from hybridsim.drive_quality import METRICS, TOLERANCES, check, j2951, j2951_from_arrays

T = np.arange(12.0)
TARGET = np.array([0, 0, 1, 2, 3, 3, 3, 2, 1, 0, 0, 0], dtype=float)  # m/s
SHIFTED = np.array([0, 0, 0, 1, 2, 3, 3, 3, 2, 1, 0, 0], dtype=float)  # the same trace 1 s late


def test_trace_shifted_by_one_second():
    # Shifting a trace that starts and ends at rest moves every sample without changing any sum:
    # distance, cycle energy, inertial work and speed changes are the same, so ER = DR = EER = ASCR = IWR = 0.
    # RMSSE by hand: v_D - v_T = [0,0,-1,-1,-1,0,0,1,1,1,0,0] m/s -> sqrt(6/12) m/s = 0.70711 m/s = 2.54558 km/h.
    m = j2951_from_arrays(T, TARGET, SHIFTED, road_load_n=(100.0, 5.0, 0.4), mass_kg=1500.0)
    for k in ("j2951_er_pct", "j2951_dr_pct", "j2951_eer_pct", "j2951_ascr_pct", "j2951_iwr_pct"):
        assert_allclose(m[k], 0.0, atol=1e-12)
    assert_allclose(m["j2951_rmsse_kmh"], math.sqrt(0.5) * 3.6, rtol=1e-12)


def test_trace_scaled_by_two_percent():
    # v_D = 1.02 v_T: distances and |a| scale by 1.02 -> DR = ASCR = 2 %; inertial force and distance both scale,
    # so positive inertial work scales by 1.02^2 -> IWR = 4.04 %; without road load CE = IWT -> ER = 4.04 %;
    # EER = 1 - 1.02/1.0404 = 1.96078 %; RMSSE = 0.02 * rms(v_T) = 0.02 * sqrt(37/12) m/s (Σv² = 1+4+9+9+9+4+1).
    m = j2951_from_arrays(T, TARGET, 1.02 * TARGET, road_load_n=(0.0, 0.0, 0.0), mass_kg=1000.0)
    assert_allclose(m["j2951_dr_pct"], 2.0, rtol=1e-12)
    assert_allclose(m["j2951_ascr_pct"], 2.0, rtol=1e-12)
    assert_allclose(m["j2951_iwr_pct"], 4.04, rtol=1e-12)
    assert_allclose(m["j2951_er_pct"], 4.04, rtol=1e-12)
    assert_allclose(m["j2951_eer_pct"], (1 - 1.02 / 1.0404) * 100, rtol=1e-12)
    assert_allclose(m["j2951_rmsse_kmh"], 0.02 * math.sqrt(37 / 12) * 3.6, rtol=1e-12)


def test_cycle_energy_by_hand():
    # t = 0..3 s, m = 1000 kg, F0 = 100 N (F1 = F2 = 0). Accelerations: central differences, one-sided at the
    # ends; step k (from sample k-1 to k) uses a_k and d_k = (v_k-1 + v_k)/2 * 1 s.
    # Target [0, 1, 1, 0]: a_1..3 = 0.5, -0.5, -1; d = 0.5, 1, 0.5 m; F = 600, -400, -900 N
    #   -> CE_T = 600*0.5 = 300 J, IWT_T = 500*0.5 = 250 J, D_T = 2 m, ASC_T = 0.5+0.5+1 = 2 m/s.
    # Driven [0, 1, 0.5, 0]: a_1..3 = 0.25, -0.5, -0.5; d = 0.5, 0.75, 0.25 m; F = 350, -400, -400 N
    #   -> CE_D = 175 J, IWT_D = 125 J, D_D = 1.5 m, ASC_D = 1.25 m/s.
    t = np.arange(4.0)
    m = j2951_from_arrays(t, [0, 1, 1, 0], [0, 1, 0.5, 0], road_load_n=(100.0, 0.0, 0.0), mass_kg=1000.0)
    assert_allclose(m["j2951_er_pct"], (175 - 300) / 300 * 100, rtol=1e-12)
    assert_allclose(m["j2951_iwr_pct"], -50.0, rtol=1e-12)
    assert_allclose(m["j2951_dr_pct"], -25.0, rtol=1e-12)
    assert_allclose(m["j2951_eer_pct"], (1 - 0.75 / (175 / 300)) * 100, rtol=1e-12)
    assert_allclose(m["j2951_ascr_pct"], -37.5, rtol=1e-12)
    assert_allclose(m["j2951_rmsse_kmh"], math.sqrt(0.25 / 4) * 3.6, rtol=1e-12)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="one length"):
        j2951_from_arrays([0, 1], [0, 1, 2], [0, 1], road_load_n=(0, 0, 0), mass_kg=1.0)
    with pytest.raises(ValueError, match="strictly increasing"):
        j2951_from_arrays([0, 0], [0, 1], [0, 1], road_load_n=(0, 0, 0), mass_kg=1.0)
    with pytest.raises(ValueError, match="no drive-quality tolerances"):
        check({}, "jc08")


def test_check_flags_outside_the_wltp_band():
    ok = {"j2951_iwr_pct": 3.9, "j2951_rmsse_kmh": 0.79}
    assert check(ok) == []
    bad = {"j2951_iwr_pct": -2.5, "j2951_rmsse_kmh": 0.81}
    msgs = check(bad)
    assert len(msgs) == 2 and msgs[0].startswith("IWR = -2.50 %") and msgs[1].startswith("RMSSE = 0.81 km/h")
    assert check({"j2951_iwr_pct": 4.1}) and check({"j2951_iwr_pct": math.nan}) == []
    assert {t.metric for t in TOLERANCES["wltp"]} == {"j2951_iwr_pct", "j2951_rmsse_kmh"}


def test_every_summary_carries_the_metrics_and_a_followed_trace_rates_zero():
    ds = hs.simulate(hs.load_vehicle("xingyue_l"), hs.load_cycle("wltc"))
    s = hs.summarize(ds)
    assert s["trace_miss_max_kmh"] == 0.0
    for k in METRICS:
        assert_allclose(s[k], 0.0, atol=1e-9)
    assert j2951(ds) == {k: s[k] for k in METRICS}


def test_a_car_that_falls_behind_is_flagged():
    v = hs.load_vehicle("xingyue_l")
    heavy = dataclasses.replace(v, chassis=dataclasses.replace(v.chassis, payload_kg=5000.0))
    s = hs.summarize(hs.simulate(heavy, hs.load_cycle("us06")))
    assert s["trace_miss_max_kmh"] > 2.0
    # it drives less far and with less inertial work than scheduled, and misses the trace by > 0.8 km/h rms
    assert s["j2951_dr_pct"] < 0 and s["j2951_iwr_pct"] < 0 and s["j2951_rmsse_kmh"] > 0.8
    assert any(m.startswith("RMSSE") for m in check(s))


def test_cli_simulate_prints_the_metrics_and_warns_outside_tolerance(tmp_path, capsys):
    from hybridsim.cli import main

    heavy = tmp_path / "heavy.toml"
    heavy.write_text('[vehicle]\nextends = "xingyue_l.toml"\nname = "heavy"\n\n[chassis]\npayload_kg = 5000\n')
    assert main(["simulate", "xingyue_l", "wltc"]) == 0
    out, err = capsys.readouterr()
    assert "drive quality (SAE J2951) RMSSE" in out and "0.00 km/h" in out and "drive quality" not in err
    assert main(["simulate", str(heavy), "us06"]) == 0
    out, err = capsys.readouterr()
    assert "warning: drive quality: RMSSE" in err


def test_verify_flags_a_run_outside_tolerance():
    from hybridsim import verify as vf

    v = hs.load_vehicle("xingyue_l")
    claim = dataclasses.replace(v.claims[0], quantity="fuel_l_per_100km", procedure="wltp", value=8.0, unit="L/100 km")
    runner = vf._Runner()
    runner.vehicles.append(v)
    runner.cache[(id(v), "wltp")] = {"fuel_l_per_100km": 8.8, "j2951_iwr_pct": -3.0, "j2951_rmsse_kmh": 0.5}
    row = vf.check_claim(v, claim, runner)
    assert row.simulated == 8.8 and row.drive_quality.startswith("IWR = -3.00 %")
    table = vf.format_table([row])
    assert "drive quality (SAE J2951) outside tolerance: IWR = -3.00 %" in table
    runner.cache[(id(v), "wltp")] = {"fuel_l_per_100km": 8.8, "j2951_iwr_pct": 1.0, "j2951_rmsse_kmh": 0.5}
    assert vf.check_claim(v, claim, runner).drive_quality == ""


def test_core_sums_on_a_non_uniform_time_base():
    # t = [0, 1, 3, 4] s, v = [0, 2, 2, 0] m/s, m = 1 kg, no road load. a at samples 1..3 by the documented
    # central difference (v_k+1 - v_k-1)/(t_k+1 - t_k-1): 2/3, -2/3, then one-sided -2; step distances 1, 4, 1 m.
    # CE = IWT = (2/3)*1; D = 6 m; ASC = 2/3*1 + 2/3*2 + 2*1 = 4 m/s; squared error vs itself 0.
    from hybridsim.core.summary import j2951_sums

    t = np.array([0.0, 1.0, 3.0, 4.0])
    v = np.array([0.0, 2.0, 2.0, 0.0])
    out = np.empty(9)
    j2951_sums(t, v, v, np.zeros(4), 0.0, 0.0, 0.0, 1.0, 1.0, out)
    assert_allclose(out[:4], [2 / 3, 2 / 3, 6.0, 4.0], rtol=1e-12)
    assert_allclose(out[4:8], out[:4], rtol=0) and out[8] == 0.0


def test_verify_attaches_a_nested_runs_flag_only_to_the_claims_it_concerns():
    from hybridsim.verify import _drive_quality

    bad = {"j2951_iwr_pct": 0.0, "j2951_rmsse_kmh": 0.9}
    good = {"j2951_iwr_pct": 0.0, "j2951_rmsse_kmh": 0.1}
    result = {"fuel_l_per_100km": 5.0, "us06": bad, "hwfet": good, "hot_udds": good}
    assert len(_drive_quality(result, "fuel_us06_l_per_100km")) == 1
    assert _drive_quality(result, "fuel_hwfet_l_per_100km") == []
    assert _drive_quality(result, "fuel_hot_udds_l_per_100km") == []
    assert _drive_quality(result, "fuel_l_per_100km")[0].startswith("us06: RMSSE = 0.90 km/h")
    assert _drive_quality({**bad, "fuel_l_per_100km": 5.0}, "electric_range_km")[0].startswith("RMSSE")
