"""NEDC procedure: R83 inertia classes, reference mass, and the Levin's claimed 4.2 L/100 km."""

import pytest

import hybridsim as hs
from hybridsim import procedures


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
