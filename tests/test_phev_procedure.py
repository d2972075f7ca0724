"""WLTP and NEDC procedures for plug-in hybrids (``procedures/phev.py``): utility factors, CD break-off,
weighting by hand, and the Tank 300 Hi4-T against its claims (validation)."""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pytest

import hybridsim as hs
from hybridsim.procedures import phev
from hybridsim.procedures.phev import UF_TABLES, UtilityFactorTable, cd_break_off, relative_electric_energy_change
from hybridsim.vehicle import replace_path

EU = UF_TABLES["EU"]


# --- utility factors ------------------------------------------------------------------------------

def test_eu_coefficients_are_the_regulations():
    """EU 2017/1151 Sub-Annex 8 App. 5: d_n = 800 km and C1..C10 (components.md §5.6 [R1])."""
    assert EU.normalisation_distance_km == 800.0
    assert EU.coefficients == (26.25, -38.94, -631.05, 5964.83, -25095.0, 60380.2, -87517.0, 75513.8, -35749.0,
                               7154.94)


@pytest.mark.parametrize("d_km,uf", [(10, 0.275), (25, 0.536), (50, 0.755), (75, 0.853), (100, 0.902),
                                     (105, 0.909), (150, 0.949), (200, 0.969)])
def test_cumulative_uf_values(d_km, uf):
    """Cumulative UF from the regulation's coefficients, as tabulated in components.md §5.6 (3 decimals)."""
    assert float(EU.cumulative(d_km)) == pytest.approx(uf, abs=6e-4)


def test_cumulative_uf_by_hand_at_one_point():
    x = 23.266 / 800
    s = sum(c * x ** (i + 1) for i, c in enumerate(EU.coefficients))
    assert float(EU.cumulative(23.266)) == pytest.approx(1 - math.exp(-s), rel=1e-14)


def test_fractional_ufs_sum_to_the_cumulative_value():
    """UF_j = UF(d_j) − Σ_{l<j} UF_l: the fractional factors of consecutive phases telescope."""
    d = np.cumsum([3.095, 4.756, 7.162, 8.254] * 4)  # WLTC class 3b phase lengths, 4 cycles
    ufj = EU.fractional(d)
    assert np.all(ufj > 0)
    assert float(ufj.sum()) == pytest.approx(float(EU.cumulative(d[-1])), rel=1e-14)
    assert float(ufj[0]) == pytest.approx(float(EU.cumulative(3.095)), rel=1e-14)
    assert float(EU.cumulative(0.0)) == 0.0
    assert np.all(np.diff(EU.cumulative(np.linspace(0, 800, 801))) >= 0)


def test_j2841_individual_uf_by_hand():
    """The multi-day individual UF (SAE J2841, as US EPA OMEGA's labelUF): 1 − exp(−Σ c_i·(d/400 mi)^i), by hand at
    20 mi; the fleet UF at the same distance is lower."""
    x = 20.0 / 400.0
    c = (13.1, -18.7, 5.22, 8.15, 3.53, -1.34, -4.01, -3.90, -1.15, 3.88)
    want = 1.0 - math.exp(-sum(ci * x ** (i + 1) for i, ci in enumerate(c)))
    got = float(phev.UF_TABLES["SAE_J2841_MDIUF"].cumulative(20.0 * 1.609344))
    assert got == pytest.approx(want, rel=1e-12) and round(got, 3) == 0.456
    assert float(phev.UF_TABLES["SAE_J2841_FUF"].cumulative(20.0 * 1.609344)) < got


def test_uf_table_is_a_parameter():
    """Another table (e.g. China GB/T 19753-2021 Annex F) plugs in; the result names it."""
    toy = UtilityFactorTable("toy", 400.0, (10.0,), "test")
    assert float(toy.cumulative(40.0)) == pytest.approx(1 - math.exp(-1.0))
    with pytest.raises(ValueError, match="uf_table"):
        phev._uf_table("CN-unknown")


# --- CD break-off ---------------------------------------------------------------------------------

def test_reec_definition():
    assert relative_electric_energy_change(-2.0e6, 1.0e7) == pytest.approx(0.2)


@pytest.mark.parametrize("reec,expected", [
    ([0.9, 0.9, 0.5, 0.03], (3, 4)),  # transition cycle 3, confirmation cycle 4
    ([0.9, 0.04, 0.039], (2, 3)),  # exactly 0.04 is not below the criterion
    ([0.02, 0.01], (0, 1)),  # no CD operation at all
    ([0.9, 0.5], None),  # not reached yet
])
def test_cd_break_off_on_synthetic_cases(reec, expected):
    assert cd_break_off(reec) == expected


# --- the procedure on a synthetic car and by hand -----------------------------------------------------

@functools.cache
def tank_test_mass():
    """Tank 300 Hi4-T at an estimated WLTP test mass of 2,780 kg (vehicles.md §2.1, E)."""
    v = hs.load_vehicle("tank300_hi4t")
    return dataclasses.replace(v, chassis=dataclasses.replace(v.chassis, payload_kg=2780.0 - v.chassis.mass_kg))


@functools.cache
def wltp_result():
    return phev.wltp_ovc(tank_test_mass(), hs.load_cycle("wltc"))


def test_wltp_ovc_weighting_by_hand():
    r = wltp_result()
    ph = r["cd_phases"]
    n = r["transition_cycle"]
    assert n >= 1 and len(ph) == 4 * n
    assert all(p["cycle"] <= n for p in ph)
    d = np.cumsum([p["distance_m"] for p in ph]) / 1e3
    uf = EU.fractional(d)
    assert [p["uf"] for p in ph] == pytest.approx(list(uf), rel=1e-12)
    fc = [p["fuel_kg"] / 0.745 / (p["distance_m"] / 1e5) for p in ph]
    hand = sum(u * f for u, f in zip(uf, fc, strict=True)) + (1 - uf.sum()) * r["fuel_cs_l_per_100km"]
    assert r["fuel_weighted_l_per_100km"] == pytest.approx(hand, rel=1e-12)
    ec = sum(u * p["battery_j"] / 3.6e6 / (p["distance_m"] / 1e5) for u, p in zip(uf, ph, strict=True))
    assert r["electricity_weighted_dc_kwh_per_100km"] == pytest.approx(ec, rel=1e-12)
    assert r["electricity_weighted_kwh_per_100km"] == pytest.approx(ec / r["charger_efficiency"], rel=1e-12)
    assert r["charge_depleting_cycle_range_km"] == pytest.approx(d[-1], rel=1e-12)
    assert r["uf_table"] == "EU"
    # break-off: the confirmation cycle is the first with REEC < 0.04, the transition cycle the one before
    reec = [c["reec"] for c in r["cd_cycles"]]
    assert reec[n] < 0.04 and all(x >= 0.04 for x in reec[:n])
    # EAER from CS and CD-average fuel
    cd = r["cd_cycles"][:n]
    fc_cd = sum(c["fuel_kg"] for c in cd) / 0.745 / sum(c["distance_km"] for c in cd) * 100
    eaer = (r["fuel_cs_l_per_100km"] - fc_cd) / r["fuel_cs_l_per_100km"] * d[-1]
    assert r["equivalent_all_electric_range_km"] == pytest.approx(eaer, rel=1e-12)
    assert 0 < r["electric_range_km"] <= r["charge_depleting_cycle_range_km"]


def test_wltp_ovc_cs_part_is_charge_sustaining():
    r = wltp_result()
    assert r["rcb_criterion"] == pytest.approx(abs(r["cs_delta_e_reess_kwh"]) * 3.6e6
                                               / (r["fuel_cs_raw_l_per_100km"] * 0.745 * r["cs_distance_km"] / 100
                                                  * 42.6e6), rel=1e-9)
    assert r["cs_energy_balance_rel_error"] < 1e-9
    assert r["fuel_cs_l_per_100km"] > 3.0


def test_rcb_correction_applies_above_the_threshold():
    """A CS run started well above the CS SOC depletes the battery: the K-factor correction kicks in
    and raises the fuel figure."""
    v = tank_test_mass()
    cs = phev._cs_test(v, hs.load_cycle("wltc"), 0.155)
    assert cs["rcb_criterion"] > cs["rcb_threshold"] and cs["rcb_corrected"]
    assert cs["fuel_cs_l_per_100km"] > cs["fuel_cs_raw_l_per_100km"]


def test_rcb_correction_only_when_depleted():
    """GTR 15 Annex 8 App. 2 (M): a CS test that CHARGES the battery beyond the threshold is not corrected."""
    cs = phev._cs_test(tank_test_mass(), hs.load_cycle("wltc"), 0.125)
    assert cs["cs_delta_e_reess_kwh"] > 0 and cs["rcb_criterion"] > cs["rcb_threshold"]
    assert not cs["rcb_corrected"] and cs["fuel_cs_l_per_100km"] == cs["fuel_cs_raw_l_per_100km"]


def test_cd_cycles_chain_the_controller_mode():
    """Each CD cycle starts in the mode the previous one ended in; the CS test starts charge-sustaining."""
    r = wltp_result()
    cyc = r["cd_cycles"]
    assert not cyc[0]["cs_at_end"] and cyc[-1]["cs_at_end"]
    n = r["transition_cycle"]
    assert all(not c["cs_at_end"] for c in cyc[: n - 1])
    assert abs(r["cs_delta_e_reess_kwh"]) * 3.6e6 < 0.01 * r["fuel_cs_raw_l_per_100km"] * 0.745 * 42.6e6 * (
        r["cs_distance_km"] / 100)


@pytest.mark.parametrize("which", ["first", "transition"])
def test_reec_recomputed_independently(which):
    """REEC of a CD cycle from other outputs than the procedure uses: ΔE_REESS from the battery's terminal
    voltage × current, E_cycle from the TOML road load, mass and wheel inertia over the achieved speed."""
    v = tank_test_mass()
    r = wltp_result()
    k = 0 if which == "first" else r["transition_cycle"] - 1
    c = r["cd_cycles"][k]
    ds, _ = phev._run(v, hs.load_cycle("wltc"), c["soc_start"], 23.0, k > 0 and r["cd_cycles"][k - 1]["cs_at_end"])
    t = ds["time"].values
    dt = np.diff(t)
    de = float(np.sum(ds["battery_voltage"].values[1:] * ds["battery_current"].values[1:] * dt))
    ch = v.chassis
    m = ch.mass_kg + ch.payload_kg
    m_eff = m + ch.wheel_inertia_kgm2 / ch.wheel_radius_m**2
    u = ds["speed"].values
    vbar = 0.5 * (u[1:] + u[:-1])
    kmh = vbar * 3.6
    f = m_eff * np.diff(u) / dt + np.where(vbar > 0, ch.road_load_f0_n + ch.road_load_f1_n_per_kmh * kmh
                                           + ch.road_load_f2_n_per_kmh2 * kmh**2, 0.0)
    e_cycle = float(np.sum(np.maximum(f * vbar, 0.0) * dt))
    assert c["reec"] == pytest.approx(abs(de) / e_cycle, rel=1e-9)
    assert c["delta_e_reess_kwh"] == pytest.approx(-de / 3.6e6, rel=1e-9)


def test_nedc_ovc_formula():
    v = tank_test_mass()
    r = phev.nedc_ovc(v, hs.load_cycle("nedc"))
    de = r["electric_range_km"]
    c = (de * r["fuel_condition_a_l_per_100km"] + 25 * r["fuel_condition_b_l_per_100km"]) / (de + 25)
    assert r["fuel_l_per_100km"] == pytest.approx(c, rel=1e-12)
    assert de > 11.0  # the NEDC's 11 km are driven electrically from full charge
    assert r["fuel_condition_a_l_per_100km"] == 0.0 and r["fuel_condition_b_l_per_100km"] > 3.0


def test_wltp_ovc_cold_start_chains_the_coolant():
    """Type 1 tests start after a 23 °C soak; the CD cycles carry the coolant temperature on, so the engine's
    first (late) start is cold; the warm result is lower."""
    cold = wltp_result()
    assert cold["cold_start"] and cold["soak_temp_c"] == 23.0
    hot = phev.wltp_ovc(tank_test_mass(), hs.load_cycle("wltc"), cold_start=False)
    assert hot["fuel_cs_l_per_100km"] < cold["fuel_cs_l_per_100km"]
    assert hot["fuel_weighted_l_per_100km"] < cold["fuel_weighted_l_per_100km"]
    assert hot["electric_range_km"] == cold["electric_range_km"]
    # a coolant above simulate()'s ambient range still starts a run at that temperature
    ds, _ = phev._run(tank_test_mass(), hs.load_cycle("wltc"), 0.135, 70.0)
    assert ds["coolant_temperature"].values[0] == 70.0


def test_procedure_rejects_non_plug_ins():
    with pytest.raises(ValueError, match="architecture"):
        phev.wltp_ovc(hs.load_vehicle("xingyue_l"), hs.load_cycle("wltc"))


# --- validation against the claims ------------------------------------------------------------------

def _claim(q):
    return next(c for c in hs.load_vehicle("tank300_hi4t").claims if c.quantity == q)


@pytest.mark.validation
def test_validation_wltc_electric_range():
    r = wltp_result()
    claim = _claim("electric_range_km").value
    v = tank_test_mass()
    ev_max = v.controller.ev_speed_max_kmh
    v130 = replace_path(v, "controller.ev_speed_max_kmh", 130.0)
    aer130 = phev.wltp_ovc(v130, hs.load_cycle("wltc"))["electric_range_km"]
    v_top = float(hs.load_cycle("wltc").speed_mps.max()) * 3.6
    print(f"\nTank 300 Hi4-T WLTC electric range (AER): simulated {r['electric_range_km']:.1f} km, "
          f"claimed {claim:g} km; EAER {r['equivalent_all_electric_range_km']:.1f} km, "
          f"R_CDC {r['charge_depleting_cycle_range_km']:.1f} km.\n"
          f"  NOTE: the AER depends on the UNPUBLISHED EV-mode top speed (controller.ev_speed_max_kmh = {ev_max:g}, "
          f"an estimate): any value above the WLTC's {v_top:.1f} km/h peak gives this result, 130 km/h gives "
          f"{aer130:.1f} km (the engine starts in the first Extra High phase).")
    assert r["electric_range_km"] == pytest.approx(claim, rel=0.20)


@pytest.mark.validation
@pytest.mark.xfail(strict=True, reason=(
    "simulated about 0.80 L/100 km with the EU UF table (ΣUF ≈ 0.92 at R_CDC ≈ 116 km, CS ≈ 8.7 L/100 km) vs the "
    "claimed 2.06: the claim is a Chinese label figure weighted with the GB/T 19753-2021 Annex F utility "
    "factors, which are not public (procedures.china reports the EU and SAE J2841 weightings and says what "
    "is missing; no share is worked back from the claim)"))
def test_validation_wltc_weighted_fuel():
    r = wltp_result()
    claim = _claim("fuel_weighted_l_per_100km").value
    print(f"\nTank 300 Hi4-T WLTC weighted fuel: simulated {r['fuel_weighted_l_per_100km']:.2f} L/100 km "
          f"(UF table {r['uf_table']}, ΣUF {r['utility_factor_sum']:.3f}, CS {r['fuel_cs_l_per_100km']:.2f} "
          f"L/100 km), claimed {claim:g} L/100 km")
    assert r["fuel_weighted_l_per_100km"] == pytest.approx(claim, rel=0.20)
