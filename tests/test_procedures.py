"""Procedures: NEDC (R83 inertia classes, reference mass, the Levin's claimed 4.2 L/100 km), WLTP (GTR 15
classes, downscaling, test mass, RCB) and EPA (FTP bag weighting, 55/45, label equations, test weight)."""

import math

import numpy as np
import pytest
import xarray as xr

import hybridsim as hs
from hybridsim import procedures
from hybridsim.procedures import _common
from hybridsim.procedures import cfr600 as epa
from hybridsim.procedures import gtr15 as wltp

DOWNSCALE = wltp.DOWNSCALE


def test_functions_and_modules_do_not_shadow_each_other():
    import hybridsim.procedures.cfr600
    import hybridsim.procedures.gtr15
    import hybridsim.procedures.r83

    # the package-level nedc/wltp/epa are the module functions with the unverified regulation rules flagged
    # in their result (hybridsim.procedures.checks)
    assert callable(procedures.nedc) and procedures.nedc.__wrapped__ is hybridsim.procedures.r83.nedc
    assert procedures.wltp.__wrapped__ is hybridsim.procedures.gtr15.wltp
    assert procedures.epa.__wrapped__ is hybridsim.procedures.cfr600.epa
    # china and jc08 added by issue 18 (modules gbt and trias)
    import hybridsim.procedures.gbt
    import hybridsim.procedures.trias

    assert procedures.china is hybridsim.procedures.gbt.china and procedures.jc08 is hybridsim.procedures.trias.jc08
    assert procedures.PROCEDURES == {"nedc": procedures.nedc, "wltp": procedures.wltp, "epa": procedures.epa,
                                     "china": procedures.china, "jc08": procedures.jc08}


@pytest.mark.parametrize(("ref_mass", "inertia"), [
    (1000.0, 1020), (1080.0, 1020), (1080.1, 1130), (1510.0, 1470), (1530.0, 1470), (1530.5, 1590),
    (1860.0, 1810), (2500.0, 2270), (3000.0, 2270),
])
def test_r83_inertia_class(ref_mass, inertia):
    # R83 Annex 4a bands (reference/components.md §6.3): a band's upper bound belongs to it
    assert procedures.nedc_inertia_class_kg(ref_mass) == inertia


def test_inertia_class_rejects_nonpositive_mass():
    with pytest.raises(ValueError, match="reference mass"):
        procedures.nedc_inertia_class_kg(0.0)


def test_reference_mass_is_unladen_plus_100():
    v = hs.load_vehicle("ralink")
    assert procedures.nedc_reference_mass_kg(v) == v.chassis.mass_kg + 100.0


def test_nedc_runs_at_inertia_class_cold_and_balanced():
    r = procedures.nedc(hs.load_vehicle("ralink"))
    assert r["inertia_class_kg"] == 1470
    assert r["cold_start"] is True
    assert r["energy_balance_rel_error"] < 1e-9
    assert abs(r["soc_balance_residual"]) <= 1e-3
    hot = procedures.nedc(hs.load_vehicle("ralink"), cold_start=False)
    assert hot["fuel_l_per_100km"] < r["fuel_l_per_100km"]


def test_nedc_conventional_starts_cold():
    # R83: soak at 20–30 °C, then the test starts cold; the warm-up costs fuel in the urban part only
    v = hs.load_vehicle("xingyue_l")
    r = procedures.nedc(v)
    hot = procedures.nedc(v, cold_start=False)
    assert r["cold_start"] is True and r["soak_temp_c"] == procedures.NEDC_SOAK_TEMP_C
    assert hot["cold_start"] is False and hot["soak_temp_c"] is None
    assert r["fuel_l_per_100km"] > hot["fuel_l_per_100km"]
    assert r["phases"]["udc"]["fuel_l_per_100km"] > hot["phases"]["udc"]["fuel_l_per_100km"]
    # warm before the EUDC starts (780 s): the extra-urban part is the hot one
    assert r["phases"]["eudc"]["fuel_l_per_100km"] == pytest.approx(hot["phases"]["eudc"]["fuel_l_per_100km"],
                                                                   rel=1e-12)
    assert r["energy_balance_rel_error"] < 1e-9
    # a colder soak costs more (within the R83 band)
    assert procedures.nedc(v, soak_temp_c=20.0)["fuel_l_per_100km"] > r["fuel_l_per_100km"]


@pytest.mark.validation
def test_levin_cold_nedc_against_claim():
    """Cold-start NEDC (R83 inertia class, 25 °C soak, charge-balanced) within ±10 % of the claimed 4.2 L/100 km.

    Nothing is tuned to it. History: 4.64 L/100 km (+10.5 %) until the rotor-inertia step was made
    energy-consistent (core/driveline.py ``rotor_inertia_torque``: the plain backward difference booked ½J·Δω² of
    spurious loss per step on the engine and MG1 rotors); 4.56 (+8.5 %) since. The warm-up parameters
    are estimates."""
    v = hs.load_vehicle("ralink")
    claim = next(c for c in v.claims if c.procedure == "nedc")
    r = procedures.nedc(v)
    hot = procedures.nedc(v, cold_start=False)
    sim = r["fuel_l_per_100km"]
    print(f"\nLevin/Ralink NEDC: claimed {claim.value:.2f} L/100 km ({claim.source}); simulated cold start "
          f"({r['soak_temp_c']:.0f} °C) {sim:.3f} L/100 km ({(sim / claim.value - 1) * 100:+.1f} %), "
          f"hot start {hot['fuel_l_per_100km']:.3f} L/100 km")
    assert abs(sim / claim.value - 1) <= 0.10


# ---------------------------------------------------------------- shared: test mass on the dynamometer



def test_with_test_mass_changes_only_the_payload():
    v = hs.load_vehicle("xingyue_l")
    t = _common.with_test_mass(v, 1900.0)
    assert t.chassis.mass_kg == v.chassis.mass_kg and t.chassis.sim_mass_kg == pytest.approx(1900.0)
    # the physical road-load estimate follows the test mass (F0 = m g C_rr)
    assert t.chassis.road_load_coefficients()[0] == pytest.approx(1900.0 * 9.80665 * 0.009)


def test_with_test_mass_scales_given_road_load_f0():
    # ralink gives F0 = 125 N (an estimate at its file mass 1,410 + 100 kg): at the WLTP test mass of 1,570 kg
    # F0 = 125·1570/1510 = 129.97 N; F1 and F2 unchanged. The road load at another mass than the inertia:
    v = hs.load_vehicle("ralink")
    t = _common.with_test_mass(v, 1570.0)
    f0, f1, f2 = t.chassis.road_load_coefficients()
    assert f0 == pytest.approx(125.0 * 1570 / 1510) and (f1, f2) == (0.5, 0.030)
    assert t.chassis.sim_mass_kg == pytest.approx(1570.0)
    r83 = _common.with_test_mass(v, 1470.0, road_load_mass_kg=1510.0)
    assert r83.chassis.road_load_coefficients()[0] == pytest.approx(125.0)  # the file's own mass: factor 1
    assert r83.chassis.sim_mass_kg == pytest.approx(1470.0)


def test_with_test_mass_below_curb_freezes_road_load():
    # R83's top inertia class (2,270 kg) is below a heavy car's curb mass: the inertia drops, the road load
    # stays the one at the road-load mass
    v = hs.load_vehicle("xingyue_l")
    t = _common.with_test_mass(v, 1500.0, road_load_mass_kg=1860.0)
    assert t.chassis.sim_mass_kg == pytest.approx(1500.0)
    assert t.chassis.road_load_coefficients()[0] == pytest.approx(1860.0 * 9.80665 * 0.009)


# ---------------------------------------------------------------- WLTP (GTR 15)


@pytest.mark.parametrize(("pmr", "vmax", "cls"), [
    (15.0, 100.0, "class1"), (22.0, 150.0, "class1"), (22.01, 150.0, "class2"), (34.0, 150.0, "class2"),
    (34.01, 119.9, "class3a"), (34.01, 120.0, "class3b"), (100.0, 250.0, "class3b"),
])
def test_wltc_class_boundaries(pmr, vmax, cls):
    # GTR 15 Annex 1 §2: class 1 PMR ≤ 22 W/kg, class 2 ≤ 34, class 3 above; 3b from v_max 120 km/h
    assert wltp.wltc_class(pmr, vmax) == cls


def test_pmr_hand_calculation():
    # Levin: 73 kW / 1,410 kg unladen = 51.77 W/kg → class 3
    assert wltp.power_to_mass_ratio(73.0, 1410.0) == pytest.approx(51.773, abs=1e-3)
    with pytest.raises(ValueError, match="unladen mass"):
        wltp.power_to_mass_ratio(73.0, 0.0)


@pytest.mark.parametrize("cls", ["class1", "class2", "class3b"])
def test_downscale_reference_point_is_on_the_class_cycle(cls):
    # the (v, a) reference point of GTR 15 Annex 1 §8.3 is the trace's speed and next-second acceleration
    d = DOWNSCALE[cls]
    v = hs.load_cycle(f"wltc_{cls}").speed_mps * 3.6
    assert v[d.t_ref_s] == pytest.approx(d.v_ref_kmh, abs=1e-9)
    assert (v[d.t_ref_s + 1] - v[d.t_ref_s]) / 3.6 == pytest.approx(d.a_ref_mps2, abs=0.006)


@pytest.mark.parametrize("cls", ["class1", "class2", "class3b"])
def test_downscale_factor_at_the_r0_step(cls):
    # GTR 15 Annex 1 §8.3: just below r0 f = 0; just above, a1·r0 + b1 (0.00004 / −0.0002 / 0.0098 for classes
    # 1 / 2 / 3) is ≤ 0.01 and gives no downscaling either: no jump at r0. At r = (0.02 − b1)/a1, f = 0.020.
    d = DOWNSCALE[cls]
    tm, f0, f1, f2 = 1500.0, 150.0, 0.0, 0.04
    p_req = (f0 * d.v_ref_kmh + f2 * d.v_ref_kmh**3 + 1.03 * tm * d.v_ref_kmh * d.a_ref_mps2) / 3600.0
    for r in (d.r0 * 0.999, d.r0 * 1.001):
        assert wltp.downscale_factor(p_req / r, tm, f0, f1, f2, cls) == 0.0
    r = (0.0201 - d.b1) / d.a1
    assert wltp.downscale_factor(p_req / r, tm, f0, f1, f2, cls) == pytest.approx(0.020)


def test_downscale_factor_hand_calculation():
    # P_req = (150·111.9 + 0.04·111.9³ + 1.03·1500·111.9·0.5)/3600 = 44.243 kW at the class 3 point
    # 40 kW rated: r = 1.1061 ≥ 0.867 → f = 0.588·1.1061 − 0.510 = 0.1404 → 0.140
    assert wltp.downscale_factor(40.0, 1500.0, 150.0, 0.0, 0.04, "class3b") == pytest.approx(0.140)
    # 50 kW: r = 0.8849 → f = 0.0103 → rounds to 0.010 ≤ 0.01 → no downscaling
    assert wltp.downscale_factor(50.0, 1500.0, 150.0, 0.0, 0.04, "class3b") == 0.0
    # 60 kW: r = 0.737 < r0
    assert wltp.downscale_factor(60.0, 1500.0, 150.0, 0.0, 0.04, "class3b") == 0.0


def test_downscale_cycle_class3():
    c = hs.load_cycle("wltc_class3b")
    d = wltp.downscale_cycle(c, 0.1, "class3b")
    v, w = c.speed_mps * 3.6, d.speed_mps * 3.6
    # unchanged outside [t_start, t_end]
    assert w[:1533] == pytest.approx(v[:1533]) and w[1762:] == pytest.approx(v[1762:])
    # peak: 60.0 + 0.9·(131.3 − 60.0) = 124.17 → 124.2 km/h (rounded to 0.1 km/h)
    assert w[1724] == pytest.approx(124.2) and w.max() == pytest.approx(124.2)
    assert d.distance_m < c.distance_m and [p.name for p in d.phases] == [p.name for p in c.phases]
    assert wltp.downscale_cycle(c, 0.0, "class3b") is c


def test_wltp_test_mass_hand_calculation():
    v = hs.load_vehicle("ralink")  # curb 1,410 kg
    tm = wltp.wltp_test_mass_kg(v)
    # MRO 1,485; LM estimate 1,910; load 1,910 − 1,485 − 25 = 400; TM = 1,485 + 25 + 0.15·400 = 1,570
    assert tm["mass_in_running_order_kg"] == 1485.0 and tm["max_vehicle_load_kg"] == 400.0
    assert tm["test_mass_kg"] == pytest.approx(1570.0) and tm["laden_mass_source"].startswith("estimate")
    n1 = wltp.wltp_test_mass_kg(v, category="N1", max_laden_mass_kg=2000.0)
    assert n1["test_mass_kg"] == pytest.approx(1485 + 25 + 0.28 * 490)
    with pytest.raises(ValueError, match="max_laden_mass_kg"):
        wltp.wltp_test_mass_kg(v, max_laden_mass_kg=1400.0)
    with pytest.raises(ValueError, match="category"):
        wltp.wltp_test_mass_kg(v, category="M2")


def test_wltp_ralink_novc_hev():
    r = procedures.wltp(hs.load_vehicle("ralink"))
    assert r["wltc_class"] == "class3b" and r["downscale_factor"] == 0.0
    assert r["test_mass_kg"] == pytest.approx(1570.0)
    assert r["cold_start"] is True and r["energy_balance_rel_error"] < 1e-9
    ph = r["phases"]
    assert list(ph) == ["low", "medium", "high", "extra_high"]
    assert sum(p["distance_km"] for p in ph.values()) == pytest.approx(r["distance_km"], rel=1e-12)
    # the charge-balanced run: the RCB criterion is inside the class 3 (4-phase) threshold, no correction
    assert r["rcb_threshold"] == 0.005 and abs(r["rcb_criterion"]) <= r["rcb_threshold"]
    assert r["rcb_correction_required"] is False
    # the road load of the vehicle at the test mass (GTR 15), F0 scaled from the file's 1,510 kg
    assert r["road_load_mass_kg"] == pytest.approx(1570.0)
    assert r["road_load_f0_n"] == pytest.approx(125.0 * 1570 / 1510)
    assert r["laden_mass_source"].startswith("estimate")


@pytest.mark.parametrize(("cls", "phases", "threshold"), [
    ("class1", ("low", "medium", "low_repeat"), 0.015), ("class2", ("low", "medium", "high", "extra_high"), 0.005),
    ("class3b", ("low", "medium", "high", "extra_high"), 0.005), ("class3a", ("low", "medium", "high"), 0.01),
])
def test_rcb_threshold_by_class(cls, phases, threshold):
    # GTR 15 Annex 8 App. 2 (M): low+medium 1.5 %, low+medium+high 1 %, with extra high 0.5 %; the class 1
    # cycle has three phases but is "low + medium" (its third phase repeats low)
    assert wltp.rcb_threshold(cls, phases) == threshold
    with pytest.raises(ValueError, match="WLTC class"):
        wltp.rcb_threshold("class4")


def test_rcb_criterion_hand_calculation():
    # ΔAh·U_nom / E_fuel: current 10, 10, −5 A over 1 s each = 15 A·s; × 200 V = 3,000 J;
    # fuel 3 × 1 g = 3 g × 42.6 MJ/kg = 127,800 J → c = 0.0234742 (battery depleted: > 0)
    ds = xr.Dataset({"battery_current": ("time", [0.0, 10.0, 10.0, -5.0]),
                     "fuel_rate": ("time", [0.0, 1e-3, 1e-3, 1e-3])},
                    coords={"time": [0.0, 1.0, 2.0, 3.0]}, attrs={"fuel_lhv_j_per_kg": 42.6e6})
    assert wltp.rcb_criterion(ds, 200.0) == pytest.approx(3000.0 / 127800.0, rel=1e-12)
    no_fuel = ds.assign(fuel_rate=("time", np.zeros(4)))
    assert math.isnan(wltp.rcb_criterion(no_fuel, 200.0))


@pytest.mark.parametrize(("soc_init", "sign"), [(0.42, -1), (0.78, 1)])
def test_rcb_criterion_of_an_unbalanced_run_exceeds_the_threshold(soc_init, sign):
    # from a low SOC the engine charges the battery, from a high one the run depletes it: either way, far
    # beyond the 0.5 % of the fuel energy that needs no correction
    v = hs.load_vehicle("ralink")
    test, cycle, info = wltp.wltp_setup(v)
    ds = hs.simulate(test, cycle, soc_init=soc_init, soc_balance=False)
    c = wltp.rcb_criterion(ds, v.battery.nominal_voltage_v)
    threshold = wltp.rcb_threshold(info["wltc_class"], [p.name for p in cycle.phases])
    assert sign * c > threshold
    # the same sign as the SOC change (ΔAh > 0 discharge ⇔ SOC falls)
    assert np.sign(float(ds.soc[0] - ds.soc[-1])) == sign


def test_wltp_conventional_phase_fuel_adds_up():
    r = procedures.wltp(hs.load_vehicle("xingyue_l"))
    assert r["test_mass_kg"] == pytest.approx(1760 + 75 + 25 + 0.15 * 400)
    total_l = sum(p["fuel_l_per_100km"] * p["distance_km"] / 100 for p in r["phases"].values())
    assert total_l / r["distance_km"] * 100 == pytest.approx(r["fuel_l_per_100km"], rel=1e-9)
    assert "rcb_criterion" not in r


def test_wltp_conventional_starts_cold():
    # GTR 15: soak and test at 23 °C; the low phase carries the warm-up, the last two phases are hot
    v = hs.load_vehicle("xingyue_l")
    r = procedures.wltp(v)
    hot = procedures.wltp(v, cold_start=False)
    assert r["cold_start"] is True and r["soak_temp_c"] == wltp.WLTP_SOAK_TEMP_C == 23.0
    assert r["fuel_l_per_100km"] > hot["fuel_l_per_100km"]
    assert r["phases"]["low"]["fuel_l_per_100km"] > hot["phases"]["low"]["fuel_l_per_100km"]
    for phase in ("high", "extra_high"):
        assert r["phases"][phase]["fuel_l_per_100km"] == pytest.approx(hot["phases"][phase]["fuel_l_per_100km"],
                                                                       rel=1e-12)
    assert r["energy_balance_rel_error"] < 1e-9


# ---------------------------------------------------------------- EPA (40 CFR 600)


def test_ftp_weighting_hand_calculation():
    bags = {"phase1_cold_transient": {"fuel_l_per_100km": 6.0, "distance_km": 5.78},
            "phase2_stabilized": {"fuel_l_per_100km": 4.0, "distance_km": 6.21},
            "phase3_hot_transient": {"fuel_l_per_100km": 5.0, "distance_km": 5.78}}
    # cold (bags 1+2) 4.96414, hot (bags 3+2) 4.48207 → 0.43·4.96414 + 0.57·4.48207 = 4.68936
    assert epa.ftp_weighted(bags) == pytest.approx(4.689358, abs=1e-6)


def test_epa_unit_conversions_and_label_equations():
    assert epa.mpg(1.0) == pytest.approx(235.2146, abs=1e-4)
    assert epa.l_per_100km(epa.mpg(5.3)) == pytest.approx(5.3)
    # derived 5-cycle: city 1/(0.003259 + 1.1805/50) = 37.218 mpg; highway 1/(0.001376 + 1.3466/60) = 41.983
    assert epa.label_city_mpg(50.0) == pytest.approx(37.2176, abs=1e-4)
    assert epa.label_highway_mpg(60.0) == pytest.approx(41.9827, abs=1e-4)
    assert epa.combined(6.0, 5.0) == pytest.approx(0.55 * 6 + 0.45 * 5)


def test_equivalent_test_weight():
    # 1,410 kg = 3,108.5 lb + 300 lb = 3,408.5 lb → 3,375 lb class (125 lb steps) = 1,530.9 kg
    assert epa.equivalent_test_weight_kg(1410.0) == pytest.approx(3375 * 0.45359237)
    # 2,300 kg = 5,070.6 lb + 300 = 5,370.6 lb → nearest 250 lb class: 5,250 lb (5,370.6/250 = 21.48)
    assert epa.equivalent_test_weight_kg(2300.0) == pytest.approx(5250 * 0.45359237)


def test_epa_conventional_consistency():
    r = procedures.epa(hs.load_vehicle("xingyue_l"))
    assert r["fuel_city_l_per_100km"] == pytest.approx(epa.ftp_weighted(r["bags"]))
    assert r["fuel_unadjusted_l_per_100km"] == pytest.approx(
        0.55 * r["fuel_city_l_per_100km"] + 0.45 * r["fuel_highway_l_per_100km"])
    # the label is always above the unadjusted test result
    assert r["fuel_l_per_100km"] > r["fuel_unadjusted_l_per_100km"]
    assert r["energy_balance_rel_error"] < 1e-9


def test_epa_conventional_bag1_cold():
    # FTP-75 starts cold after a 20–30 °C soak: bag 1 pays the warm-up; bags 2 and 3 and the HWFET are hot
    v = hs.load_vehicle("xingyue_l")
    r = procedures.epa(v)
    hot = procedures.epa(v, cold_start=False)
    assert r["cold_start"] is True and r["soak_temp_c"] == epa.FTP_SOAK_TEMP_C
    assert hot["cold_start"] is False and hot["soak_temp_c"] is None
    b, bh = r["bags"], hot["bags"]
    assert b["phase1_cold_transient"]["fuel_l_per_100km"] > bh["phase1_cold_transient"]["fuel_l_per_100km"]
    for bag in ("phase2_stabilized", "phase3_hot_transient"):
        assert b[bag]["fuel_l_per_100km"] == pytest.approx(bh[bag]["fuel_l_per_100km"], rel=1e-12)
    assert r["fuel_highway_l_per_100km"] == hot["fuel_highway_l_per_100km"]
    assert r["fuel_city_l_per_100km"] > hot["fuel_city_l_per_100km"]
    assert r["fuel_l_per_100km"] > hot["fuel_l_per_100km"]


@pytest.mark.validation
def test_xingyue_procedures_cold_and_hot():
    """The conventional car's type-approval figures, cold (the regulation) and hot; no official figure exists
    (vehicles.md §4: class estimate 7.0–7.8 L/100 km WLTC, E). Printed, not tuned to."""
    v = hs.load_vehicle("xingyue_l")
    lines = []
    for name in ("nedc", "wltp", "epa"):
        cold = procedures.PROCEDURES[name](v)
        hot = procedures.PROCEDURES[name](v, cold_start=False)
        c, h = cold["fuel_l_per_100km"], hot["fuel_l_per_100km"]
        lines.append(f"{name}: cold {c:.3f} L/100 km, hot {h:.3f} ({(c / h - 1) * 100:+.1f} % for the cold start)")
        assert 4.0 < h < c < 12.0
    print("\nxingyue_l " + "; ".join(lines) + "; WLTC class estimate 7.0–7.8 (E)")


def test_epa_runs_plugin_hybrids_by_sae_j1711():
    # issue 17 item 4: plug-ins are no longer refused; SAE J1711 + J2841 (procedures/j1711.py, tested in
    # tests/test_ths_plugin.py)
    assert "J1711" in procedures.epa.__wrapped__.__doc__


def test_wltp_test_mass_from_the_vehicle_file():
    # chassis.max_laden_mass_kg (GVM) replaces the curb + 500 kg estimate; an argument overrides both
    v = hs.replace_path(hs.load_vehicle("ralink"), "chassis.max_laden_mass_kg", 2000.0)
    tm = wltp.wltp_test_mass_kg(v)
    assert tm["test_mass_kg"] == pytest.approx(1485 + 25 + 0.15 * (2000 - 1485 - 25))
    assert tm["laden_mass_source"].startswith("vehicle file")
    arg = wltp.wltp_test_mass_kg(v, max_laden_mass_kg=1900.0)
    assert arg["test_mass_kg"] == pytest.approx(1485 + 25 + 0.15 * 390) and arg["laden_mass_source"] == "argument"
    with pytest.raises(ValueError, match="max_laden_mass_kg"):
        hs.replace_path(v, "chassis.max_laden_mass_kg", 1300.0)  # below the curb mass


def test_wltp_options_reach_the_setup():
    v = hs.load_vehicle("ralink")
    _, cycle, info = wltp.wltp_setup(v, v_max_kmh=110.0, max_laden_mass_kg=1900.0)
    assert info["wltc_class"] == "class3a" and info["v_max_source"] == "argument"
    assert info["test_mass_kg"] == pytest.approx(1485 + 25 + 0.15 * 390) and cycle.name == "wltc_class3a"


# ---------------------------------------------------------------- EPA: label values under the headline keys


def test_epa_bev_headline_keys_are_label_values(monkeypatch):
    from hybridsim.procedures import bev

    raw = {"procedure": "EPA city/highway (unadjusted)", "electricity_kwh_per_100km": 21.0,
           "electricity_dc_kwh_per_100km": 19.0, "range_km": 400.0, "electricity_adjusted_kwh_per_100km": 30.0,
           "range_adjusted_km": 280.0, "city_kwh_per_100km": 20.0}
    monkeypatch.setattr(bev, "epa_bev", lambda test, ftp, hwfet: dict(raw))
    r = procedures.epa(hs.load_vehicle("taycan_turbo"))
    # the headline keys mean the same as for a conventional car: the label figure; raw under *_unadjusted
    assert r["electricity_kwh_per_100km"] == 30.0 and r["electricity_unadjusted_kwh_per_100km"] == 21.0
    assert r["range_km"] == 280.0 and r["range_unadjusted_km"] == 400.0
    assert r["electricity_dc_kwh_per_100km"] == pytest.approx(19.0 / 0.7)
    assert r["electricity_dc_unadjusted_kwh_per_100km"] == 19.0
    assert "label" in r["procedure"] and "_unadjusted" in r["procedure"]
    # without bev's own adjusted keys the 0.7 factor applies
    monkeypatch.setattr(bev, "epa_bev", lambda test, ftp, hwfet: {k: raw[k] for k in ("electricity_kwh_per_100km",
                                                                                     "range_km")})
    r = procedures.epa(hs.load_vehicle("taycan_turbo"))
    assert r["electricity_kwh_per_100km"] == pytest.approx(30.0) and r["range_km"] == pytest.approx(280.0)


# ---------------------------------------------------------------- test conditions stated by the file


def test_file_test_conditions_used_unchanged():
    # the Prius's EPA pair (ETW 1,530.9 kg, F0 81.3 N): no rescaling by ETW / (curb + payload), which gave 84.1 N
    v = hs.load_vehicle("prius_2016")
    test, info = _common.procedure_test_vehicle(v, "epa", epa.equivalent_test_weight_kg(v.chassis.mass_kg))
    assert test.chassis.sim_mass_kg == pytest.approx(1530.9, abs=1e-9)
    assert test.chassis.road_load_coefficients() == (81.3, 0.8166, 0.02369)
    assert info["test_mass_kg"] == 1530.9 and info["road_load_f0_n"] == 81.3
    assert info["test_conditions"].startswith("file: [test_conditions.epa] ETW")
    assert "16-ZV1H" in info["test_conditions_source"]
    # a procedure the file states nothing for keeps today's rule (F0 scaled to the road-load mass)
    t2, info2 = _common.procedure_test_vehicle(v, "nedc", 1470.0, 1475.0)
    assert info2["test_conditions"].startswith("derived")
    assert t2.chassis.road_load_coefficients()[0] == pytest.approx(81.3 * 1475.0 / 1475.0)
    assert t2.chassis.sim_mass_kg == pytest.approx(1470.0)


def test_wltp_and_nedc_take_the_file_test_conditions(monkeypatch):
    import dataclasses

    from hybridsim.components.chassis import ProcedureRoadLoad

    v = hs.load_vehicle("ralink")
    tcs = {p: ProcedureRoadLoad(1600.0, 100.0, -0.2, 0.028, "a test", procedure=p) for p in ("wltp", "nedc")}
    w = dataclasses.replace(v, test_conditions=tcs)
    test, _, info = wltp.wltp_setup(w, v_max_kmh=180.0)
    assert info["test_mass_kg"] == 1600.0 and test.chassis.sim_mass_kg == pytest.approx(1600.0)
    assert (info["road_load_f0_n"], info["road_load_f1_n_per_kmh"]) == (100.0, -0.2)
    seen = {}
    monkeypatch.setattr(hs.procedures.r83, "simulate", lambda t, c, **kw: seen.setdefault("t", t) and 1 / 0)
    with pytest.raises(ZeroDivisionError):
        procedures.nedc(w)
    assert seen["t"].chassis.sim_mass_kg == pytest.approx(1600.0)
    assert seen["t"].chassis.road_load_coefficients() == (100.0, -0.2, 0.028)


def test_hot_udds_bags_and_weighting():
    c = epa.hot_udds_cycle()
    miles = {name: st["distance_km"] / 1.609344 for name, st in hs.cycles.cycle_stats(c)["phases"].items()}
    # EPA's bag distances: bag 3 3.591 mi, bag 4 3.859 mi (epa_test_car_list.md)
    assert miles == pytest.approx({"bag3_hot_transient": 3.591, "bag4_hot_stabilized": 3.859}, abs=6e-4)
    bags = {"bag3_hot_transient": {"fuel_l_per_100km": epa.l_per_100km(70.0), "distance_km": 3.591},
            "bag4_hot_stabilized": {"fuel_l_per_100km": epa.l_per_100km(90.0), "distance_km": 3.859}}
    # distance-weighted harmonic mean in mpg: 7.450 / (3.591/70 + 3.859/90) = 79.156 mpg
    assert epa.mpg(epa.hot_udds_weighted(bags)) == pytest.approx(7.450 / (3.591 / 70 + 3.859 / 90), rel=1e-12)


def test_epa_reports_every_cycle_correctly_named():
    r = procedures.epa(hs.load_vehicle("prius_2016"))
    assert r["fuel_ftp75_l_per_100km"] == r["fuel_city_l_per_100km"] == pytest.approx(epa.ftp_weighted(r["bags"]))
    assert r["fuel_hwfet_l_per_100km"] == r["fuel_highway_l_per_100km"] == r["hwfet"]["fuel_l_per_100km"]
    assert r["fuel_hot_udds_l_per_100km"] == pytest.approx(epa.hot_udds_weighted(r["hot_udds_bags"]), rel=1e-12)
    # charge-balanced: the bags add up to the balanced whole-run figure
    assert r["fuel_hot_udds_l_per_100km"] == pytest.approx(r["hot_udds"]["fuel_l_per_100km"], rel=1e-9)
    assert r["fuel_us06_l_per_100km"] == r["us06"]["fuel_l_per_100km"] > r["fuel_hwfet_l_per_100km"]
    for key in ("ftp75", "hot_udds", "hwfet", "us06"):
        assert r[f"mpg_{key}"] == pytest.approx(epa.mpg(r[f"fuel_{key}_l_per_100km"]))
    assert r["energy_balance_rel_error"] < 1e-9 and r["test_mass_kg"] == 1530.9
