"""Validation against EPA dynamometer results (issue 13): one test per lab figure, each printing simulated vs lab.

The lab figures are the vehicle files' own ``[[claims]]`` (procedure ``epa``; source: the EPA test car list,
shared reference validation/epa_test_car_list.md), run at the file's EPA test weight and target road load
(``[test_conditions.epa]``, used unchanged). The aim is ±5 % (:data:`AIM`; a single test carries ±2–4 %
run-to-run spread). A figure outside it is a strict xfail whose reason names the component that most likely
explains the gap, from the run's own energy flows: nothing in a vehicle file is tuned to these figures. When a
component change brings a figure inside, the strict xfail fails and its entry in :data:`OUTSIDE` is removed.
"""

from __future__ import annotations

import functools
import re

import pytest

import hybridsim as hs
from hybridsim import procedures

AIM = 0.05  # ±5 %

_ELECTRIC_PATH = ("THS electric path, every component at a conservative estimate and none alone the cause "
                  "(one-at-a-time sensitivities on hot UDDS / HWFET, issue 13 note): the inverters (the "
                  "ORNL/TM-2006/423 2004-Prius loss model, not the gen-4 PCU's own) on the variable boosted bus and "
                  "the boost converter (estimated from the same devices; the gen-4 PCU's published 20 % lower loss "
                  "applied as inverter_loss_scale 0.8), MG1/MG2 losses scaled from the gen-3 MG2 map "
                  "(-8 / -5 % at x0.7 for the gen-4 machines), the NiMH pack's resistance (its 10-s pulse value "
                  "split into R0 and a 12.6-s polarisation branch from NREL's HPPC fit), "
                  "300 W accessories (-3 / -1 % at 200 W), the unsourced 0.2 g start "
                  "fuel (-2.4 / -1.0 % at 0; 36 starts on hot UDDS), 0.97/0.98 gears (-3 / -2 %); the battery round "
                  "trip loses 12.6 % of the charge (hybridsim.battery_round_trip)")

_TAYCAN = ("what the wall figure holds besides traction, a time-based load: the gaps on UDDS and HWFET (3.15 and "
           "1.29 kWh/100 km per kW held over each cycle's time) are both closed by about 0.8 kW more at the wall with "
           "the distance-based chain within 2 % (docs/bev_energy_flow.py), so the 300 W accessories and thermal "
           "management at test conditions (estimate, no data; -4.9 / -3.0 % at +500 W) and the overhead of the EPA "
           "recharge (the 0.90 charger is an estimate: -10 / -3 % at 0.86), not the drive units (-12 / -6 % with "
           "their loss fit x1.3); the machines' idle drag is the EPA-pair figure (components/motor.py "
           "NO_LOAD_DRAG_FRACTION; -18 / -12 % when the coast-down subtraction took their whole loaded zero-torque "
           "loss)")

def _coast(x):
    """The figure while the coast-down subtraction took the machines' whole loaded zero-torque loss; closes the
    parenthesis :func:`_since_c` opens."""
    return f"; {x} % with the whole loaded zero-torque loss as coast-down drag): "


def _since_c(now, with_c, flat, eta):
    """The opening of a reason: the figure now, then with the loss fit's constant term C (dropped in issue 13 on
    ORNL's machine-only 2004 MG2 data) and with C and the flat inverter efficiency ``eta`` (before the inverter loss
    model); the caller closes the parenthesis."""
    return f"{now} % ({with_c} % with the loss fit's constant term C; {flat} % with C and the flat {eta} inverter"


#: (vehicle, claim quantity) → why the figure is outside ±5 % (strict xfail). Measured after the issue-13
#: component changes (before them: docs/validation_baseline.csv).
_NO_C = (" % since the machine loss fit lost its constant term C (issue 13, ORNL's 2004 MG2 measured apart "
         "from its inverter), with the inverter loss model; before that: ")
OUTSIDE = {
    ("prius_2016", "fuel_ftp75_l_per_100km"): "+13.5" + _NO_C
        + "+16.8 % (+17.4 % with the flat 0.96 inverter; was +27 %; "
                                              "+12.7 % while the "
                                              "coast-down subtraction "
                                              "took MG1's and MG2's whole loaded zero-torque loss, 26 N of the 81 N "
                                              "F0, where the EPA drive-unit pairs allow a few N, components/motor.py "
                                              "NO_LOAD_DRAG_FRACTION): "
                                              + _ELECTRIC_PATH + "; plus the gen-3 engine map (39.3 % peak vs "
                                              "Toyota's 40 % for the gen-4 engine)",
    ("prius_2016", "fuel_hot_udds_l_per_100km"): "+19.3" + _NO_C
        + "+23.1 % (+23.8 % with the flat 0.96 inverter; was +35 %; +19.5 % "
                                                 "with the whole loaded zero-torque "
                                                 "loss as coast-down drag): " + _ELECTRIC_PATH,
    ("prius_2016", "fuel_hwfet_l_per_100km"): "+10.3" + _NO_C
        + "+10.9 % (+10.3 % with the flat 0.96 inverter; was +15 %; +5.7 % with "
                                              "the whole loaded zero-torque loss "
                                              "as coast-down drag): " + _ELECTRIC_PATH + "; plus the gen-3 engine map",
    ("prius_2016", "fuel_us06_l_per_100km"): "+18.3" + _NO_C
        + "+18.6 % (+19.4 % with the flat 0.96 inverter; was +28 %; +16.4 % with "
                                             "the whole loaded zero-torque loss "
                                             "as coast-down drag): "
                                             + _ELECTRIC_PATH + "; plus the engine map's "
                                             "high-load region; the car misses the US06 trace by up to ≈ 5 km/h "
                                             "(71 kW engine + 25 kW pack)",
    ("taycan_turbo", "udds_kwh_per_100km"): (
        "-7.1 % since the machine loss fit lost its constant term C (issue 13; -1.0 % with C and the inverter loss "
        "model, -14.0 % with C and the flat 0.98 inverter): the old C (612 + 848 W on the two machines) stood in "
        "for the missing time-based load: " + _TAYCAN),
    ("taycan_turbo", "hwfet_kwh_per_100km"): "-6.4" + _NO_C
        + "-5.3 % (-7.0 % with the flat 0.98 inverter; UDDS -1.0 %, -14.0 % with "
                                             "it; was +2.1 % before "
                                             "issue 13): " + _TAYCAN,
}

_LEAF_PATH = ("the distance-based chain, every part an estimate: the gaps on UDDS and HWFET are closed together by "
              "about 8.5 % less per distance and 0.1 kW less at the wall (docs/bev_energy_flow.py), so the MG2-2010 "
              "loss fit x0.8 for the EM57 (+7.6 / +7.4 % at x0.56), the 0.88 charger (+8.0 / +5.7 % at 0.92), the "
              "inverter (the ORNL/TM-2006/423 loss model at the 350 V pack); "
              "then 300 W accessories (+9.7 / +9.4 % at 200 W); +6.6 / +3.3 % when the coast-down "
              "subtraction took the machine's whole loaded zero-torque loss (26 N of the 115 N F0, where the EPA "
              "drive-unit pairs allow a few N, components/motor.py NO_LOAD_DRAG_FRACTION)")
OUTSIDE.update({
    ("civic_15t_manual", "fuel_ftp75_l_per_100km"): (
        "-16.2 % on the city cycle while HWFET is +4.0 %: the low-load and idle fuel of the estimated Willans map "
        "(turbo GDI, 36 % peak; no public map of the L15B7), which stop-and-go driving weighs most, and the "
        "cold-start penalty (bag 1 vs bag 3 is 8 % in the lab); not the gear rule (the controller's "
        "fuel-optimal gears give 5.20 L/100 km, lower still)"),
    ("leaf_40kwh", "udds_kwh_per_100km"): _since_c("+18.9", "+21.2", "+12.9", "0.97")
                                          + ": the ORNL/TM-2006/423 loss model of the 2004 Prius's Si IGBTs at the "
                                          "350 V pack loses more on the city cycle's low-speed, high-current PWM; the "
                                          "Leaf's own inverter is not measured here): " + _LEAF_PATH,
    ("leaf_40kwh", "hwfet_kwh_per_100km"): "+9.8 % (+10.5 % with the flat 0.97 inverter): " + _LEAF_PATH,
})

_IONIQ = ("every one of the P2 full hybrid's energy-management and component values is an estimate (one-at-a-time "
          "sensitivities on hot UDDS / HWFET / US06 at the ETW, issue 17 note): the rule-based controller's engine "
          "start threshold (8 kW: +6 / +3 / +0 % at 15 kW) and lowest locked engine speed (1,100 rpm: +6 / +4 / +1 % "
          "at 1,500 rpm), the Willans map drawn through the published 40 % peak (+5 % on every cycle at 38 %), "
          "300 W accessories (+7 / +3 / +2 % at 500 W), the P2 machine's loss fit x0.7 (+3 / +1 / +2 % at x1.0), "
          "the pack's 0.15 ohm (+2 / +1 / +6 % at 0.30), the DCT's efficiency (sources conflict, 97.5 vs 95.7 %: "
          "-2 / -1 / -1 % at 0.985 per gear) and its geometric ratios (not published)")
OUTSIDE.update({
    ("corolla_18_cvt", "fuel_ftp75_l_per_100km"): (
        "-6.7 % since the converter's torque multiplication (+1.3 % with the plain coupling, whose slip loss "
        "hid the gap): the torque converter's slip at launches, set by its estimated K-factor (120 rpm/sqrt(N m), E: "
        "150 gives +6 %) and a converter that locks as soon as the turbine outruns K*sqrt(T) (the K313's lock-up "
        "schedule is not public); then the estimated Willans map (35 % peak: +3 % at 34 %) and 300 W accessories "
        "(+4 % at 500 W)"),
    ("ioniq_hybrid_2022", "fuel_hot_udds_l_per_100km"): _since_c("-7.5", "-6.7", "-10.9", "0.97")
                                                        + "), the city cycle driven more electrically than the car "
                                                        "does: " + _IONIQ,
    ("ioniq_hybrid_2022", "fuel_hwfet_l_per_100km"): _since_c("+6.0", "+6.2", "+5.0", "0.97") + "): " + _IONIQ,
    ("ioniq_hybrid_2022", "fuel_us06_l_per_100km"): _since_c("+8.3", "+8.6", "+7.4", "0.97") + "): " + _IONIQ,
})
_PRIME = ("the Prius's THS electric path (prius_2016 entries: every component a conservative estimate) plus the "
          "Li-ion pack's estimated 0.17 ohm resistance and the plug-in's CS set point at 22 % SOC, where the generic "
          "NMC cell table's OCV is low (more current for the same power)")
_RAV4 = ("the parametric Willans map of the A25A-FXS (no public map; 41 % peak placed at 2,500 rpm and 80 % load, "
         "estimates), which sets the engine-dominated HWFET and US06; MG1 size and MG2 reduction are estimates")
OUTSIDE.update({
    ("prius_prime", "fuel_ftp75_l_per_100km"): _since_c("+7.2", "+9.9", "+10.5", "0.96")
                                               + _coast("+4.5") + _PRIME,
    ("prius_prime", "fuel_hot_udds_l_per_100km"): _since_c("+11.4", "+14.5", "+15.2", "0.96")
                                                  + _coast("+9.0") + _PRIME,
    ("prius_prime", "fuel_hwfet_l_per_100km"): _since_c("+17.0", "+17.5", "+17.4", "0.96")
                                               + _coast("+10.8") + _PRIME + "; the gen-3 engine map",
    ("prius_prime", "fuel_us06_l_per_100km"): _since_c("+7.5", "+7.9", "+9.5", "0.96")
                                              + _coast("+4.6") + _PRIME + "; the gen-3 engine map's high-load region",
    ("rav4_prime", "fuel_hot_udds_l_per_100km"): _since_c("+5.6", "+12.8", "+9.6", "0.96")
                                                 + "; FTP-75 -3.3 %, inside: the cold bag's low-load fuel offsets "
                                                 "it" + _coast("+2.0") + _PRIME.replace("Prius's", "Prius family's")
                                                 + "; " + _RAV4,
    ("rav4_prime", "fuel_hwfet_l_per_100km"): _since_c("+19.4", "+21.2", "+20.7", "0.96")
                                              + _coast("+11.8") + _RAV4,
    ("rav4_prime", "fuel_us06_l_per_100km"): _since_c("+11.6", "+12.5", "+12.6", "0.96")
                                             + _coast("+7.7") + _RAV4 + "; the E-Four rule's fixed 20 % rear share",
})

CASES = [("prius_2016", q) for q in ("fuel_ftp75_l_per_100km", "fuel_hot_udds_l_per_100km",
                                     "fuel_hwfet_l_per_100km", "fuel_us06_l_per_100km")]
CASES += [("taycan_turbo", q) for q in ("udds_kwh_per_100km", "hwfet_kwh_per_100km")]
# issue 17: a manual, a CVT and a single-motor BEV
CASES += [(vid, q) for vid in ("civic_15t_manual", "corolla_18_cvt")
          for q in ("fuel_ftp75_l_per_100km", "fuel_hwfet_l_per_100km")]
CASES += [("leaf_40kwh", q) for q in ("udds_kwh_per_100km", "hwfet_kwh_per_100km")]
# issue 17: a charge-sustaining P2 (full hybrid, 6-speed DCT)
CASES += [("ioniq_hybrid_2022", q) for q in ("fuel_ftp75_l_per_100km", "fuel_hot_udds_l_per_100km",
                                             "fuel_hwfet_l_per_100km", "fuel_us06_l_per_100km")]
# issue 17: the THS-II plug-in and E-Four (charge-sustaining lab results, SAE J1711 CS tests)
CASES += [(vid, q) for vid in ("prius_prime", "rav4_prime")
          for q in ("fuel_ftp75_l_per_100km", "fuel_hot_udds_l_per_100km", "fuel_hwfet_l_per_100km",
                    "fuel_us06_l_per_100km")]


@functools.cache
def _epa(vehicle_id: str) -> dict:
    return procedures.epa(hs.load_vehicle(vehicle_id))


def _param(case):
    reason = OUTSIDE.get(case)
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
    return pytest.param(*case, marks=marks, id=f"{case[0]}-{case[1]}")


@pytest.mark.validation
@pytest.mark.parametrize(("vehicle_id", "quantity"), [_param(c) for c in CASES])
def test_epa_lab_figure(vehicle_id, quantity):
    v = hs.load_vehicle(vehicle_id)
    claim = next(c for c in v.claims if c.procedure == "epa" and c.quantity == quantity)
    r = _epa(vehicle_id)
    assert r["test_conditions"].startswith("file: [test_conditions.epa]")  # the lab's own ETW and road load
    assert r["energy_balance_rel_error"] < 1e-9
    sim = r[quantity]
    diff = (sim - claim.value) / claim.value
    print(f"\n{v.name}, EPA {quantity}: simulated {sim:.3f}, lab {claim.value:.3f} {claim.unit} ({diff:+.1%}); "
          f"test mass {r['test_mass_kg']:.1f} kg, F0 {r['road_load_f0_n']:.1f} N; {claim.source}")
    reason = OUTSIDE.get((vehicle_id, quantity))
    if reason is not None:
        # the figure an xfail reason opens with is this run's: a reason quoting the physics of an earlier session
        # fails the test (not an AssertionError, so the strict xfail does not absorb it)
        quoted = float(re.match(r"([+-]\d+\.\d) %", reason).group(1))
        if abs(quoted - round(100 * diff, 1)) > 0.1:
            raise ValueError(f"stale OUTSIDE reason for {vehicle_id}, {quantity}: it quotes {quoted:+.1f} %, the "
                             f"simulation gives {diff:+.1%}; update its figures")
    assert abs(diff) <= AIM, f"{diff:+.1%} outside ±{AIM:.0%}"


def test_every_case_has_its_claim_and_every_outside_entry_a_case():
    for vid, quantity in CASES:
        assert any(c.procedure == "epa" and c.quantity == quantity for c in hs.load_vehicle(vid).claims), quantity
    assert set(OUTSIDE) <= set(CASES)


# --- docs/validation.md is generated and up to date ----------------------------------------------------------

def _make_validation():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "docs" / "make_validation.py"
    spec = importlib.util.spec_from_file_location("make_validation", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_validation_table_rows_and_before_column(tmp_path):
    mv = _make_validation()
    # a subset: the rows are the claims, the "before" column comes from a saved run
    from hybridsim.verify import verify, write_csv

    rows = verify(["ralink"])
    base = tmp_path / "before.csv"
    write_csv(rows, base)
    text = mv.markdown(rows, mv.read_results(base), "a test run")
    body = [ln for ln in text.splitlines() if ln.startswith("| ralink")]
    assert len(body) == len(hs.load_vehicle("ralink").claims) == 2
    nedc = next(ln for ln in body if "| nedc |" in ln)
    cells = [c.strip() for c in nedc.strip("|").split("|")]
    assert cells[5] == cells[7] and cells[6] == cells[8]  # before = now for the same run
    assert mv._same_row(nedc, nedc.replace(cells[7], f"{float(cells[7]) + 0.01:.2f}"))  # last digit
    assert not mv._same_row(nedc, nedc.replace(cells[7], f"{float(cells[7]) * 1.1:.2f}"))


def test_step_table_lists_the_rows_that_moved(tmp_path):
    mv = _make_validation()
    from hybridsim.verify import verify, write_csv

    rows = verify(["ralink"])
    write_csv(rows, tmp_path / "00_first.csv")
    moved = tmp_path / "01_second_change.csv"
    write_csv(rows, moved)
    import csv

    with open(moved, newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    for row in table:
        if row["procedure"] == "nedc":  # the NEDC row moved by 3 points
            row["difference_pct"] = f"{float(row['difference_pct']) + 3.0:.3f}"
    with open(moved, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(table[0]))
        w.writeheader()
        w.writerows(table)
    saved = mv.steps(tmp_path)
    assert [lab for lab, _ in saved] == ["first", "second change"]
    table = mv.step_table(rows, saved)
    body = [ln for ln in table.splitlines() if ln.startswith("| ralink")]
    assert len(body) == 1 and "| nedc |" in body[0]  # the road-test row did not move
    assert "| first | second change | now |" in table
    assert mv.step_table(rows, saved[:1]) == ""


def _table_lines(text: str, vehicle_id: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(f"| {vehicle_id} |")]


def _committed_sections(mv) -> tuple[str, str]:
    """docs/validation.md before and from the controller table's heading."""
    text = mv.TABLE.read_text(encoding="utf-8")
    head, sep, bound = text.partition(mv.BOUND_HEADING)
    assert sep, f"docs/validation.md has no '{mv.BOUND_HEADING}'"
    return head, bound


def _assert_rows_up_to_date(mv, old: list[str], new: list[str], what: str) -> None:
    assert len(new) == len(old), (f"docs/validation.md has {len(old)} rows of {what}, the script writes "
                                  f"{len(new)}; run python docs/make_validation.py")
    bad = [f"- {o}\n+ {n}" for o, n in zip(old, new, strict=True) if not mv._same_row(o, n)]
    assert not bad, "docs/validation.md is out of date; run python docs/make_validation.py:\n" + "\n".join(bad)


@pytest.mark.validation
@pytest.mark.parametrize("vehicle_id", hs.list_vehicles())
def test_committed_validation_table_is_up_to_date(vehicle_id):
    """docs/validation.md holds, for each shipped vehicle, the rows ``python docs/make_validation.py`` writes now
    in the claims and step tables (the controller's share: the next test); the prose and headers are code, the
    rows are the physics."""
    from hybridsim.verify import verify

    mv = _make_validation()
    rows = verify([vehicle_id])
    new = _table_lines(mv.render(rows, ""), vehicle_id)
    _assert_rows_up_to_date(mv, _table_lines(_committed_sections(mv)[0], vehicle_id), new, vehicle_id)
    print(f"\n{vehicle_id}: {len(rows)} comparisons up to date")


@pytest.mark.validation
@pytest.mark.parametrize("cycle", ["udds", "hwfet", "us06"])
@pytest.mark.parametrize("vehicle_id", hs.list_vehicles())
def test_committed_controller_table_is_up_to_date(vehicle_id, cycle):
    """The controller table's row of each vehicle and cycle (a DP run each: one per test, so that the suite's
    workers share them) as ``python docs/make_validation.py`` writes it now; none where the script writes none."""
    mv = _make_validation()
    assert cycle in {c for _, c, _ in mv.BOUND_CYCLES}
    label = next(lab for _, c, lab in mv.BOUND_CYCLES if c == cycle)
    key = f"| {vehicle_id} | {label} |"
    new = [ln for ln in mv.controller_bound([vehicle_id], cycles=[cycle]).splitlines() if ln.startswith(key)]
    old = [ln for ln in _committed_sections(mv)[1].splitlines() if ln.startswith(key)]
    _assert_rows_up_to_date(mv, old, new, f"{vehicle_id} {label}")


def test_committed_validation_table_has_no_rows_of_unknown_vehicles():
    mv = _make_validation()
    named = {ln.split("|")[1].strip() for ln in mv.TABLE.read_text(encoding="utf-8").splitlines()
             if ln.startswith("| ") and not ln.startswith("| vehicle |")}
    assert named <= set(hs.list_vehicles())


def test_prius_p610_gearing_in_the_run():
    """The P610 trap: MG2 speed / ring speed = 65/17 = 3.8235 (MG2 53/17 and the ring 53/65 onto one counter gear),
    ring → axle 2.834, so MG2 → axle 10.84 as published; the published 3.118 is MG2 → counter gear only."""
    v = hs.load_vehicle("prius_2016")
    ds = hs.simulate(v, hs.load_cycle("udds"))
    w = ds["speed"].values / v.chassis.wheel_radius_m
    wheel = 0.5 * (w[1:] + w[:-1])  # sample k of a flow variable is the mean over (t[k-1], t[k])
    ring, mg2 = ds["ring_speed"].values[1:], ds["mg2_speed"].values[1:]
    moving = wheel > 1.0
    assert mg2[moving] / ring[moving] == pytest.approx(65 / 17, rel=1e-5)  # the file gives 3.8235
    assert ring[moving] / wheel[moving] == pytest.approx(53 / 65 * 73 / 21, rel=2e-4)
    assert mg2[moving] / wheel[moving] == pytest.approx(10.838, rel=1e-4)
    # Willis with the 78/30 split: ω_MG1 = 3.6·ω_e − 2.6·ω_ring
    assert ds["mg1_speed"].values[1:] == pytest.approx(3.6 * ds["engine_speed"].values[1:] - 2.6 * ring, abs=1e-6)
