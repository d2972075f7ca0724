"""Procedures: NEDC (R83 inertia classes, reference mass, the Levin's claimed 4.2 L/100 km), WLTP (GTR 15
classes, downscaling, test mass, RCB) and EPA (FTP bag weighting, 55/45, label equations, test weight)."""

import importlib

import pytest

import hybridsim as hs
from hybridsim import procedures
from hybridsim.procedures import _common

# the package exports the *functions* wltp/epa under the module names; the modules themselves:
wltp = importlib.import_module("hybridsim.procedures.wltp")
epa = importlib.import_module("hybridsim.procedures.epa")
DOWNSCALE = wltp.DOWNSCALE


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


@pytest.mark.validation
@pytest.mark.xfail(strict=True, reason=(
    "Honest gap, not tuned: the cold-start NEDC of the Levin/Ralink model comes out at about 4.64 L/100 km "
    "(+10.5 % over the claimed 4.2; hot start 4.31, +2.7 %). The warm-up parameters (coolant heat capacity "
    "and share, 40 degC EV threshold) are estimates; if a sourced change brings the result inside 10 %, "
    "this test XPASSes and the marker must go."))
def test_levin_cold_nedc_against_claim():
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
    assert d.r0 * d.a1 + d.b1 == pytest.approx(0.01, abs=0.011)  # f_dsc is continuous-ish at r0 (≈ 0.01)


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
    assert tm["test_mass_kg"] == pytest.approx(1570.0) and tm["laden_mass_source"] == "estimate"
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
    # the charge-balanced run: the RCB criterion is inside the 4-phase threshold, no correction required
    assert r["rcb_threshold"] == 0.005 and abs(r["rcb_criterion"]) <= r["rcb_threshold"]
    assert r["rcb_correction_required"] is False
    assert r["fuel_l_per_100km"] == pytest.approx(r["fuel_raw_l_per_100km"] + r["rcb_correction_l_per_100km"])


def test_wltp_conventional_phase_fuel_adds_up():
    r = procedures.wltp(hs.load_vehicle("xingyue_l"))
    assert r["test_mass_kg"] == pytest.approx(1760 + 75 + 25 + 0.15 * 400)
    total_l = sum(p["fuel_l_per_100km"] * p["distance_km"] / 100 for p in r["phases"].values())
    assert total_l / r["distance_km"] * 100 == pytest.approx(r["fuel_l_per_100km"], rel=1e-9)
    assert "rcb_criterion" not in r


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


def test_epa_rejects_plugin_hybrids_clearly():
    if "tank300_hi4t" not in hs.list_vehicles():
        pytest.skip("no shipped plug-in hybrid")
    with pytest.raises(ValueError, match="plug-in"):
        procedures.epa(hs.load_vehicle("tank300_hi4t"))
