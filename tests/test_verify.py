"""hybridsim.verify: difference rules, the claims table, the CSV, and rows for unavailable procedures."""

from __future__ import annotations

import csv
import math
from types import SimpleNamespace

import pytest

import hybridsim as hs
from hybridsim import procedures
from hybridsim import verify as vf
from hybridsim._resources import data_dir
from hybridsim.vehicle import Claim


def claim(**kw) -> Claim:
    return Claim(quantity="fuel_l_per_100km", unit="L/100 km", procedure="nedc", source="test", **kw)


@pytest.mark.parametrize(("kw", "sim", "diff"), [
    ({"value": 4.0}, 4.4, 10.0),
    ({"value": 4.0}, 3.0, -25.0),
    ({"value_min": 4.1, "value_max": 4.4}, 4.2, 0.0),
    ({"value_min": 4.1, "value_max": 4.4}, 4.4, 0.0),
    ({"value_min": 4.1, "value_max": 4.4}, 4.84, 10.0),  # distance to the upper bound
    ({"value_min": 4.0, "value_max": 4.4}, 3.6, -10.0),  # distance to the lower bound
    ({"value_min": 465.0, "value_max": 100000.0}, 500.0, 0.0),  # a huge value_max is simply a wide range
    ({"value_min": 465.0, "value_max": 100000.0}, 418.5, -10.0),
    ({"value_min": 465.0}, 1e6, 0.0),  # value_min alone: a lower bound
    ({"value_min": 465.0}, 418.5, -10.0),
    ({"value_max": 4.4}, 3.0, 0.0),  # value_max alone: an upper bound
    ({"value_max": 4.4}, 4.84, 10.0),
    ({"value_min": 0.0, "value_max": 2.0}, 1.0, 0.0),  # a range from 0 is a range, not a lower bound
    ({"value_min": 0.0, "value_max": 2.0}, 3.0, 50.0),
    ({"value_min": 0.0, "value_max": 2.0}, -1.0, -50.0),  # below a 0 bound: relative to the range's width
    ({"value": -2.0}, -3.0, -50.0),  # negative figures keep the sign: below the claim is negative
    ({"value_min": -4.0, "value_max": -2.0}, -5.0, -25.0),
    ({"value_min": -4.0, "value_max": -2.0}, -1.0, 50.0),
])
def test_difference_rules(kw, sim, diff):
    assert vf.difference_pct(sim, claim(**kw)) == pytest.approx(diff)


@pytest.mark.parametrize(("kw", "kind", "text"), [
    ({"value": 4.2}, "value", "4.2"), ({"value_min": 4.1, "value_max": 4.4}, "range", "4.1–4.4"),
    ({"value_min": 465.0}, "lower bound", "≥ 465"), ({"value_max": 4.4}, "upper bound", "≤ 4.4"),
    ({"value_min": 0.0, "value_max": 2.0}, "range", "0–2"),
    ({"value_min": 465.0, "value_max": 100000.0}, "range", "465–100000"),
])
def test_claim_kinds(kw, kind, text):
    c = claim(**kw)
    check = vf.check_claim(hs.load_vehicle("xingyue_l"), c, _FakeRunner())
    assert vf.claim_kind(c) == kind and check.kind == kind and check.claimed_text == text


@pytest.mark.parametrize(("kw", "match"), [
    ({"value": 0.0}, "claims.value = 0"),
    ({"value_min": 5.0, "value_max": 4.0}, "claims.value_min = 5.0"),
    ({"value_min": 0.0}, "claims.value_min = 0"),
    ({"value_max": 0.0}, "claims.value_max = 0"),
    ({"value_min": 0.0, "value_max": 0.0}, "value_max = 0"),
    ({}, "give value, or value_min and/or value_max"),
    ({"value": 4.0, "value_min": 3.0}, "not both"),
])
def test_bad_claims_rejected_at_load(kw, match):
    with pytest.raises(ValueError, match=match):
        claim(**kw)


def test_bad_claim_in_a_file_is_one_clear_error(tmp_path):
    text = (data_dir("vehicles") / "xingyue_l.toml").read_text(encoding="utf-8")
    text += ('\n[[claims]]\nquantity = "fuel_l_per_100km"\nvalue = 0\nunit = "L/100 km"\nprocedure = "wltp"\n'
             'source = "made up for the test"\n')
    path = tmp_path / "zero.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"zero\.toml: claims\.value = 0"):
        hs.read_vehicle(path)


class _FakeRunner:
    """Stands in for the procedure runner: every procedure 'returns' 4.0 for every quantity."""

    def run(self, vehicle, procedure):
        return {"fuel_l_per_100km": 4.0}


def test_a_bad_difference_never_crashes_verify():
    # a claim object that slipped past validation (value 0) gives a row with no difference, not a traceback
    c = SimpleNamespace(quantity="fuel_l_per_100km", unit="L/100 km", procedure="wltp", source="x", note="",
                        value=0.0, value_min=None, value_max=None)
    row = vf.check_claim(hs.load_vehicle("xingyue_l"), c, _FakeRunner())
    assert row.simulated == 4.0 and math.isnan(row.difference_pct)


def test_open_upper_bound():
    c = SimpleNamespace(value=None, value_min=465.0, value_max=math.inf)
    assert vf.difference_pct(1e4, c) == 0.0 and vf.difference_pct(418.5, c) == pytest.approx(-10.0)


def test_difference_of_missing_simulation_is_nan():
    assert math.isnan(vf.difference_pct(math.nan, claim(value=4.0)))


@pytest.fixture(scope="module")
def ralink_rows():
    return vf.verify(["ralink"])


def test_ralink_claims(ralink_rows):
    nedc, road = ralink_rows
    r = procedures.nedc(hs.load_vehicle("ralink"))
    assert nedc.compared_with == "nedc" and nedc.simulated == pytest.approx(r["fuel_l_per_100km"])
    assert nedc.difference_pct == pytest.approx((r["fuel_l_per_100km"] / 4.2 - 1) * 100)
    # the road test is compared with the WLTP result and says so
    assert road.procedure == "road" and road.compared_with == "wltp" and road.procedure_text == "road (vs wltp)"
    w = procedures.wltp(hs.load_vehicle("ralink"))
    assert road.simulated == pytest.approx(w["fuel_l_per_100km"])
    assert road.claimed_text == "4.1–4.4"


def test_table_reads_one_line_per_claim(ralink_rows):
    text = vf.format_table(ralink_rows)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["vehicle", "claim", "procedure", "claimed"]
    body = [ln for ln in lines[2:] if "L/100 km" in ln]
    assert len(body) == 2 and "road (vs wltp)" in body[1] and "4.1–4.4" in body[1]
    assert "compared with the WLTP result" in text


def test_csv_columns_exact(ralink_rows, tmp_path):
    path = tmp_path / "claims.csv"
    vf.write_csv(ralink_rows, path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["vehicle", "claim", "unit", "claimed", "claimed_value", "claimed_min", "claimed_max",
                       "simulated", "difference_pct", "procedure", "footnote", "source"]
    col = {name: i for i, name in enumerate(rows[0])}
    assert rows[1][:4] == ["ralink", "fuel_l_per_100km", "L/100 km", "4.2"] and rows[2][col["claimed"]] == "4.1-4.4"
    # the claim's numbers as numbers: a value, or a range's ends
    assert float(rows[1][col["claimed_value"]]) == 4.2 and rows[1][col["claimed_min"]] == ""
    assert (float(rows[2][col["claimed_min"]]), float(rows[2][col["claimed_max"]])) == (4.1, 4.4)
    assert rows[2][col["claimed_value"]] == ""
    assert float(rows[1][col["difference_pct"]]) == pytest.approx(ralink_rows[0].difference_pct, abs=1e-3)
    assert float(rows[1][col["simulated"]]) == pytest.approx(ralink_rows[0].simulated, rel=1e-5)


def test_unavailable_procedure_is_a_row_not_a_traceback(tmp_path):
    text = (data_dir("vehicles") / "xingyue_l.toml").read_text(encoding="utf-8")
    text += ('\n[[claims]]\nquantity = "range_km"\nvalue = 500\nunit = "km"\nprocedure = "nedc"\n'
             'source = "made up for the test"\n')
    path = tmp_path / "odd.toml"
    path.write_text(text, encoding="utf-8")
    rows = vf.verify([hs.read_vehicle(path)])
    bad = rows[-1]
    assert math.isnan(bad.simulated) and "range_km" in bad.problem
    table = vf.format_table(rows)
    assert "n/a [" in table and "range_km" in table
