"""China (GB/T 19233-2020, GB/T 19753-2021, GB/T 18386.1-2021) and Japan (JC08) procedures."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import hybridsim as hs
from hybridsim import procedures
from hybridsim.cli import main
from hybridsim.cycles import Cycle
from hybridsim.procedures import gbt, trias
from hybridsim.procedures.phev import UF_TABLES, UtilityFactorTable


def trapezoid_cycle(name: str, duration_s: int, distance_m: float, vmax_kmh: float, accel: float = 1.0) -> Cycle:
    """A 1 Hz trace with the given duration, distance and top speed: idle, ramp, cruise, ramp, idle (E: a test
    stand-in for a trace that is not shipped; only its statistics are those of the real cycle)."""
    v = vmax_kmh / 3.6
    ramp = v / accel
    cruise = (distance_m - v * ramp) / v
    t0 = 10.0
    knots_t = [0, t0, t0 + ramp, t0 + ramp + cruise, t0 + 2 * ramp + cruise, duration_s]
    t = np.arange(duration_s + 1.0)
    return Cycle(name, t, np.interp(t, knots_t, [0, 0, v, v, 0, 0]), 0.0)


JC08_LIKE = trapezoid_cycle("jc08_like", 1204, 8171.0, 81.6)
CLTC_P_LIKE = trapezoid_cycle("cltc_p_like", 1800, 14480.0, 114.0)


@functools.cache
def tank_china():
    return procedures.china(hs.load_vehicle("tank300_hi4t"))


# --- China ------------------------------------------------------------------------------------------------


def test_china_test_mass_is_wltp_test_mass():
    # GB 18352.6: TM = RM + 15 % (LM - RM), RM = curb + 100 kg; GTR 15: MRO + 25 + 15 % (LM - MRO - 25), MRO = curb + 75
    v = hs.load_vehicle("xingyue_l")
    tm = procedures.wltp_test_mass_kg(v)
    rm = v.chassis.mass_kg + 100.0
    assert_allclose(tm["test_mass_kg"], rm + 0.15 * (tm["max_laden_mass_kg"] - rm), rtol=1e-12)


def test_china_engine_car_is_gbt19233_on_the_china_wltc():
    v = hs.load_vehicle("xingyue_l")
    r = procedures.china(v)
    w = procedures.wltp(v)
    assert r["procedure"].startswith("GB/T 19233-2020")
    assert r["cycle"] == w["cycle"] == "wltc_class3b" and r["cold_start"] is True
    assert r["fuel_l_per_100km"] == w["fuel_l_per_100km"] and 4.0 < r["fuel_l_per_100km"] < 12.0
    assert r["reference_mass_kg"] == v.chassis.mass_kg + 100.0
    assert set(r["phases"]) == {"low", "medium", "high", "extra_high"}
    assert r["j2951_rmsse_kmh"] == 0.0
    hot = procedures.china(v, cold_start=False)
    assert hot["fuel_l_per_100km"] < r["fuel_l_per_100km"]


def test_china_hybrid_is_gbt19753_charge_sustaining():
    r = procedures.china(hs.load_vehicle("ralink"))
    assert r["procedure"].startswith("GB/T 19753-2021 NOVC-HEV")
    assert abs(r["soc_balance_residual"]) < 0.01 and "rcb_criterion" in r
    assert r["fuel_l_per_100km"] == procedures.wltp(hs.load_vehicle("ralink"))["fuel_l_per_100km"]


def test_weighted_fuel_by_hand():
    # UF(d) = 1 - exp(-d/100 km): cumulative 0.095163 at 10 km, 0.181269 at 20 km -> UF_1 = 0.095163,
    # UF_2 = 0.086106; FC_CD = 0 and 2 L/100 km, FC_CS = 8 -> 0.086106*2 + (1 - 0.181269)*8 = 6.72207
    uft = UtilityFactorTable("test", 100.0, (1.0,), "hand")
    result = {"cd_phases": [{"distance_m": 10e3, "fuel_l_per_100km": 0.0},
                            {"distance_m": 10e3, "fuel_l_per_100km": 2.0}], "fuel_cs_l_per_100km": 8.0}
    fc, s = procedures.weighted_fuel_l_per_100km(result, uft)
    assert_allclose(s, 1 - math.exp(-0.2), rtol=1e-12)
    assert_allclose(fc, (math.exp(-0.1) - math.exp(-0.2)) * 2 + math.exp(-0.2) * 8, rtol=1e-12)
    assert_allclose(fc, 6.72207, atol=1e-5)
    assert procedures.weighted_fuel_l_per_100km({"cd_phases": [], "fuel_cs_l_per_100km": 8.0}, uft) == (8.0, 0.0)


def test_sae_j2841_fuf_is_the_omega_transcription():
    # US EPA OMEGA utility_factors.FUF (ND = 399 mi there, 399.9 mi in J2841): UF at 20, 40, 60 miles
    def omega_fuf(miles, nd=399.9):
        x = min(2.0, miles / nd)
        c = (10.52, -7.282, -26.37, 79.08, -77.36, 26.07)
        return 1 - math.exp(-sum(ci * x ** (i + 1) for i, ci in enumerate(c)))

    for miles in (20.0, 40.0, 60.0):
        assert_allclose(procedures.SAE_J2841_FUF.cumulative(miles * 1.609344), omega_fuf(miles), rtol=1e-12)
        assert_allclose(procedures.SAE_J2841_FUF.cumulative(miles * 1.609344), omega_fuf(miles, 399.0), rtol=2e-3)


def test_china_plugin_reports_eu_and_sae_weightings_and_says_what_is_missing():
    r = tank_china()
    assert r["procedure"].startswith("GB/T 19753-2021 OVC-HEV")
    assert "fuel_weighted_l_per_100km" not in r
    assert "Appendix F" in r["missing"]["fuel_weighted_l_per_100km"]
    w = procedures.wltp(hs.load_vehicle("tank300_hi4t"))
    assert r["fuel_weighted_eu_uf_l_per_100km"] == pytest.approx(w["fuel_weighted_l_per_100km"], rel=1e-12)
    assert r["utility_factor_sum_eu"] == pytest.approx(w["utility_factor_sum"], rel=1e-12)
    assert r["electric_range_km"] == w["electric_range_km"]
    # J2841's fleet curve gives less weight to 116 km of CD driving than the EU curve
    assert r["utility_factor_sum_sae_j2841"] < r["utility_factor_sum_eu"]
    assert r["fuel_cs_l_per_100km"] > r["fuel_weighted_sae_j2841_uf_l_per_100km"] > r["fuel_weighted_eu_uf_l_per_100km"]


def test_china_plugin_with_a_given_table_weights_with_it():
    v = hs.load_vehicle("tank300_hi4t")
    r = procedures.china(v, uf_table=procedures.SAE_J2841_FUF)
    assert r["uf_table"] == "SAE J2841 FUF" and "missing" not in r
    assert r["fuel_weighted_l_per_100km"] == pytest.approx(tank_china()["fuel_weighted_sae_j2841_uf_l_per_100km"])
    r_eu = procedures.china(v, uf_table="EU")
    assert r_eu["fuel_weighted_l_per_100km"] == pytest.approx(tank_china()["fuel_weighted_eu_uf_l_per_100km"])
    assert r_eu["uf_table_source"] == UF_TABLES["EU"].source
    w = procedures.wltp(v)
    assert r_eu["electricity_weighted_kwh_per_100km"] == pytest.approx(w["electricity_weighted_kwh_per_100km"])


def test_china_bev_needs_the_cltc_p_trace():
    v = hs.load_vehicle("taycan_turbo")
    with pytest.raises(ValueError, match="CLTC-P, whose trace is not shipped"):
        procedures.china(v)
    with pytest.raises(ValueError, match="is not CLTC-P"):
        procedures.china(v, cycle=hs.load_cycle("wltc"))
    with pytest.raises(ValueError, match="only battery-electric vehicles take a cycle"):
        procedures.china(hs.load_vehicle("xingyue_l"), cycle=CLTC_P_LIKE)


def test_china_bev_range_on_a_cltc_p_stand_in():
    v = hs.load_vehicle("taycan_turbo")
    gbt.check_cltc_p(CLTC_P_LIKE)  # the stand-in has CLTC-P's published duration, distance and top speed
    r = procedures.china(v, cycle=CLTC_P_LIKE)
    assert r["procedure"].startswith("GB/T 18386.1-2021") and r["cycle"] == "cltc_p_like"
    assert r["test_mass_kg"] == v.chassis.mass_kg + 100.0
    # range = usable energy / consumption, the two reported
    assert_allclose(r["range_km"], r["usable_battery_energy_kwh"] / r["electricity_dc_kwh_per_100km"] * 100, rtol=1e-9)
    assert r["electricity_kwh_per_100km"] > r["electricity_dc_kwh_per_100km"] > 10.0
    assert abs(r["energy_balance_rel_error"]) < 1e-9


# --- Japan ------------------------------------------------------------------------------------------------


def test_jc08_weighting():
    assert trias.jc08_weighted(8.0, 6.0) == pytest.approx(0.25 * 8 + 0.75 * 6)
    with pytest.raises(ValueError, match="cold_weight"):
        trias.jc08_weighted(8.0, 6.0, 1.5)


def test_jc08_needs_the_trace():
    with pytest.raises(ValueError, match="JC08, whose trace is not shipped"):
        procedures.jc08(hs.load_vehicle("xingyue_l"))
    with pytest.raises(ValueError, match="is not JC08"):
        procedures.jc08(hs.load_vehicle("xingyue_l"), cycle=hs.load_cycle("nedc"))
    with pytest.raises(ValueError, match="architecture"):
        procedures.jc08(hs.load_vehicle("tank300_hi4t"), cycle=JC08_LIKE)


@pytest.mark.parametrize("vid", ["xingyue_l", "ralink"])
def test_jc08_combined_of_engine_car_and_hybrid(vid):
    v = hs.load_vehicle(vid)
    r = procedures.jc08(v, cycle=JC08_LIKE)
    assert r["test_mass_kg"] == v.chassis.mass_kg + 110.0
    assert r["fuel_cold_l_per_100km"] > r["fuel_hot_l_per_100km"] > 0
    assert r["fuel_l_per_100km"] == pytest.approx(0.25 * r["fuel_cold_l_per_100km"] + 0.75 * r["fuel_hot_l_per_100km"])
    assert r["fuel_economy_km_per_l"] == pytest.approx(100.0 / r["fuel_l_per_100km"])
    assert r["cold"]["trace_miss_max_kmh"] == 0.0 and r["hot"]["j2951_rmsse_kmh"] == 0.0


# --- CLI ----------------------------------------------------------------------------------------------------


def test_cli_china_and_jc08(tmp_path, capsys):
    assert main(["china", "xingyue_l", "--hot"]) == 0
    out = capsys.readouterr().out
    assert "GB/T 19233-2020" in out and "fuel" in out
    assert main(["china", "taycan_turbo"]) == 2
    assert "CLTC-P, whose trace is not shipped" in capsys.readouterr().err
    f = tmp_path / "jc08.csv"
    f.write_text("time_s,speed_kmh\n" + "\n".join(f"{t:g},{v * 3.6:.6f}" for t, v in
                                                   zip(JC08_LIKE.time_s, JC08_LIKE.speed_mps, strict=True)))
    assert main(["jc08", "ralink", "--cycle", str(f)]) == 0
    out = capsys.readouterr().out
    assert "JC08" in out and "fuel economy" in out and "km/L" in out
    assert main(["jc08", "ralink"]) == 2
    assert "JC08, whose trace is not shipped" in capsys.readouterr().err


# --- verify ------------------------------------------------------------------------------------------------


def test_verify_runs_the_tank300_china_claims_under_china():
    from hybridsim.verify import verify

    rows = [r for r in verify(["tank300_hi4t"]) if r.procedure == "china"]
    assert {r.quantity for r in rows} == {"electric_range_km", "fuel_weighted_l_per_100km"}
    rng = next(r for r in rows if r.quantity == "electric_range_km")
    assert rng.compared_with == "china" and rng.simulated == pytest.approx(tank_china()["electric_range_km"])
    fuel = next(r for r in rows if r.quantity == "fuel_weighted_l_per_100km")
    assert math.isnan(fuel.simulated) and "Appendix F" in fuel.problem and "SAE J2841" in fuel.problem
