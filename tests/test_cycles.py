"""Tests for hybridsim.cycles; the oracle numbers are copied from drive_cycles/PROVENANCE.md."""

from __future__ import annotations

import csv
import hashlib
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from hybridsim._resources import data_dir
from hybridsim.cycles import (
    CYCLE_ALIASES,
    DERIVED_CYCLES,
    Cycle,
    Phase,
    cycle_stats,
    list_cycles,
    load_cycle,
    read_cycle,
)
from hybridsim.errors import UnknownNameError

# PROVENANCE.md summary table: samples, duration s, distance km (4 dp), vmax km/h, mean km/h (2 dp)
SUMMARY = {
    "wltc_class3b": (1801, 1800, 23.2663, 131.3, 46.53),
    "wltc_class3a": (1801, 1800, 23.1936, 131.3, 46.39),
    "wltc_class2": (1801, 1800, 22.6491, 123.1, 45.30),
    "wltc_class1": (1612, 1611, 11.4277, 64.4, 25.54),
    "nedc": (1181, 1180, 11.0132, 120.0, 33.60),
    "udds": (1370, 1369, 11.9902, 91.25, 31.53),
    "hwfet": (766, 765, 16.5065, 96.40, 77.68),
    "us06": (601, 600, 12.8876, 129.23, 77.33),
    "ftp75": (1875, 1874, 17.7694, 91.25, 34.14),
    "artemis_urban": (994, 993, 4.8698, 57.7, 17.65),
    "artemis_rural_road": (1082, 1081, 17.2725, 111.5, 57.52),
    "artemis_motorway_130": (1068, 1067, 28.7358, 131.8, 96.95),
    "artemis_motorway_150": (1068, 1067, 29.5450, 150.4, 99.68),
}

# PROVENANCE.md EPA miles (4 dp)
EPA_MILES = {"udds": 7.4504, "hwfet": 10.2567, "us06": 8.0080, "ftp75": 11.0414}

# Per phase: (start s, end s, distance km, vmax km/h); None where PROVENANCE gives no figure.
PHASES = {
    "wltc_class3b": {
        "low": (0, 589, 3.0945, 56.5),
        "medium": (589, 1022, 4.7559, 76.6),
        "high": (1022, 1477, 7.1617, 97.4),
        "extra_high": (1477, 1800, 8.2541, 131.3),
    },
    "wltc_class3a": {
        "low": (0, 589, 3.0945, 56.5),
        "medium": (589, 1022, 4.7210, 76.6),
        "high": (1022, 1477, 7.1239, 97.4),
        "extra_high": (1477, 1800, 8.2541, 131.3),
    },
    "wltc_class2": {
        "low": (0, 589, 3.1006, 51.4),
        "medium": (589, 1022, 4.7373, 74.7),
        "high": (1022, 1477, 6.7918, 85.2),
        "extra_high": (1477, 1800, 8.0194, 123.1),
    },
    "wltc_class1": {
        "low": (0, 589, 3.3301, 49.1),
        "medium": (589, 1022, 4.7674, 64.4),
        "low_repeat": (1022, 1611, 3.3301, 49.1),
    },
    "nedc": {
        "udc": (0, 780, 4.0583, 50.0),
        "eudc": (780, 1180, 6.9549, 120.0),
    },
    "ftp75": {
        "phase1_cold_transient": (0, 505, 5.7792, None),
        "phase2_stabilized": (505, 1369, 6.2110, None),
        "phase3_hot_transient": (1369, 1874, 5.7792, None),
    },
}

# Per-phase mean speeds, km/h (2 dp)
PHASE_MEANS = {
    "wltc_class3b": {"low": 18.91, "medium": 39.54, "high": 56.66, "extra_high": 92.00},
    "nedc": {"udc": 18.73, "eudc": 62.59},
}

# UN GTR 15 checksums: SUM(v km/h) over the samples of each phase, in phase order
GTR_CHECKSUMS = {
    "wltc_class1": (11988.4, 17162.8, 11988.4),
    "wltc_class2": (11162.2, 17054.3, 24450.6, 28869.8),
    "wltc_class3a": (11140.3, 16995.7, 25646.0, 29714.9),
    "wltc_class3b": (11140.3, 17121.2, 25782.2, 29714.9),
}

SHA256_16 = {
    "wltc_class3b": "8262736d33072ea9",
    "wltc_class3a": "c77fc66ee1463c5b",
    "wltc_class2": "78fa1fd8f83d93c5",
    "wltc_class1": "756200db727474fe",
    "nedc": "631e14247f855d1b",
    "udds": "c054eefbcdbcc18d",
    "hwfet": "f5d12a033c627880",
    "us06": "f7aba82948f4efb0",
    "ftp75": "9c87edfd2191526d",
    "artemis_urban": "344cd249258935fe",
    "artemis_rural_road": "8ee442cb689e6e41",
    "artemis_motorway_130": "a727f9425f25af4b",
    "artemis_motorway_150": "d4a2054611c237f4",
}


def _labelled_rows(stem):
    with (data_dir("drive_cycles") / f"{stem}.csv").open(newline="") as fh:
        return [(float(r["speed_kmh"]), r["phase"]) for r in csv.DictReader(fh)]


def _write(tmp_path, text, name="trace.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


# --- shipped cycles -------------------------------------------------------------------------


def test_list_cycles_has_the_13_stems_and_the_derived_cycles():
    assert list_cycles() == sorted([*SUMMARY, *DERIVED_CYCLES])
    assert set(DERIVED_CYCLES) == {"wltc_japan_class3a", "wltc_japan_class3b"}


# WLTC for Japan = the class 3 WLTC without Extra High: 1477 s, the GTR's first three phases. Oracle: the
# GTR phase figures and checksums above (PROVENANCE.md), summed by hand: 3b 3.0945 + 4.7559 + 7.1617 km.
WLTC_JAPAN = {"wltc_japan_class3b": ("wltc_class3b", 15.0121, 97.4), "wltc_japan_class3a": ("wltc_class3a",
                                                                                            14.9394, 97.4)}


@pytest.mark.parametrize("name", sorted(WLTC_JAPAN))
def test_wltc_japan_is_the_three_phase_wltc(name):
    src, dist_km, vmax = WLTC_JAPAN[name]
    c = load_cycle(name)
    assert c.name == name and load_cycle(name.upper()) is c
    assert c.time_s.size == 1478 and c.duration_s == 1477.0
    assert [p.name for p in c.phases] == ["low", "medium", "high"]
    s = c.stats()
    assert_allclose(s["distance_km"], dist_km, atol=6e-5)
    assert_allclose(s["max_speed_kmh"], vmax, atol=1e-9)
    assert_allclose(s["mean_speed_kmh"], dist_km / 1477 * 3600, atol=0.01)
    for ph, (start, end, d_km, _vmax) in PHASES[src].items():
        if ph == "extra_high":
            continue
        assert_allclose(s["phases"][ph]["distance_km"], d_km, atol=6e-5)
        assert (c.phase(ph).time_s[0], c.phase(ph).time_s[-1]) == (start, end)
    sums = [round(float(np.sum(c.phase(p.name).speed_mps[1:] * 3.6)), 1) for p in c.phases]
    assert_allclose(sums[1:], GTR_CHECKSUMS[src][1:3], atol=0.06)
    assert_allclose(c.speed_mps, load_cycle(src).speed_mps[:1478], rtol=0, atol=0)


@pytest.mark.parametrize("stem", sorted(SUMMARY))
def test_shipped_file_matches_provenance_hash(stem):
    digest = hashlib.sha256((data_dir("drive_cycles") / f"{stem}.csv").read_bytes()).hexdigest()
    assert digest[:16] == SHA256_16[stem]


@pytest.mark.parametrize("stem", sorted(SUMMARY))
def test_summary_table(stem):
    samples, duration, dist_km, vmax, mean = SUMMARY[stem]
    c = load_cycle(stem)
    assert c.name == stem
    assert c.time_s.size == samples
    assert c.time_s[0] == 0.0
    assert_allclose(c.dt_s, 1.0, rtol=0, atol=0)
    assert c.speed_mps[0] == 0.0 and c.speed_mps[-1] == 0.0
    assert_allclose(c.grade, 0.0, rtol=0, atol=0)
    s = c.stats()
    assert s["name"] == stem
    assert_allclose(s["duration_s"], duration, rtol=0, atol=1e-12)
    # table values are rounded (artemis_motorway_130 is 28.73575 exactly, printed 28.7358)
    assert_allclose(s["distance_km"], dist_km, rtol=0, atol=1e-4)
    assert_allclose(c.distance_m / 1000, dist_km, rtol=0, atol=1e-4)
    assert_allclose(s["max_speed_kmh"], vmax, rtol=0, atol=0.005)
    assert_allclose(s["mean_speed_kmh"], mean, rtol=0, atol=0.005 + 1e-9)


@pytest.mark.parametrize("stem", sorted(EPA_MILES))
def test_epa_miles_and_mph_resolution(stem):
    c = load_cycle(stem)
    assert_allclose(c.distance_m / 1609.344, EPA_MILES[stem], rtol=0, atol=5e-5)
    tenths_mph = c.speed_mps / 0.44704 * 10
    assert_allclose(tenths_mph, np.round(tenths_mph), rtol=0, atol=1e-6)


def test_aliases_resolve_case_insensitively():
    assert CYCLE_ALIASES == {"wltc": "wltc_class3b", "ftp": "ftp75"}
    assert load_cycle("wltc").name == "wltc_class3b"
    assert load_cycle("FTP").name == "ftp75"
    assert load_cycle(" WLTC_Class3B ").name == "wltc_class3b"
    assert load_cycle("wltc") is load_cycle("wltc_class3b")  # cached


def test_unknown_cycle_suggests_close_matches():
    with pytest.raises(UnknownNameError, match="wltc_class3") as info:
        load_cycle("wltc_class3")
    assert "wltc_class3b" in info.value.suggestions
    assert "wltc_class3a" in info.value.suggestions
    assert isinstance(info.value, ValueError)
    with pytest.raises(UnknownNameError):
        load_cycle("wltp")  # deliberately not an alias


@pytest.mark.parametrize("stem", sorted(PHASES))
def test_phase_boundaries_distances_and_vmax(stem):
    c = load_cycle(stem)
    expected = PHASES[stem]
    assert [p.name for p in c.phases] == list(expected)
    stats = c.stats()["phases"]
    for name, (start, end, dist_km, vmax) in expected.items():
        p = c.phases[[q.name for q in c.phases].index(name)]
        assert (p.start_s, p.end_s) == (start, end)
        sub = c.phase(name)
        assert (sub.time_s[0], sub.time_s[-1]) == (start, end)
        assert sub.time_s.size == end - start + 1
        assert_allclose(sub.distance_m / 1000, dist_km, rtol=0, atol=1e-4)
        assert_allclose(stats[name]["distance_km"], dist_km, rtol=0, atol=1e-4)
        assert_allclose(stats[name]["duration_s"], end - start, rtol=0, atol=1e-12)
        if vmax is not None:
            assert_allclose(stats[name]["max_speed_kmh"], vmax, rtol=0, atol=1e-9)
    # phases tile the cycle
    assert_allclose(sum(s["distance_km"] for s in stats.values()), c.distance_m / 1000, rtol=1e-12)


@pytest.mark.parametrize("stem", sorted(PHASE_MEANS))
def test_phase_mean_speeds(stem):
    stats = load_cycle(stem).stats()["phases"]
    for name, mean in PHASE_MEANS[stem].items():
        assert_allclose(stats[name]["mean_speed_kmh"], mean, rtol=0, atol=0.005 + 1e-9)


def test_wltc_medium_phase_keeps_original_times():
    med = load_cycle("wltc").phase("medium")
    assert med.time_s[0] == 589.0 and med.time_s[-1] == 1022.0
    assert med.name == "wltc_class3b:medium"
    assert [(p.name, p.start_s, p.end_s) for p in med.phases] == [("medium", 589.0, 1022.0)]
    with pytest.raises(UnknownNameError, match="mid"):
        load_cycle("wltc").phase("mid")


@pytest.mark.parametrize("stem", sorted(GTR_CHECKSUMS))
def test_gtr_checksums(stem):
    """GTR SUM(v): the samples labelled with the phase in the CSV (boundary sample counted with
    the earlier phase). Since boundary speeds are 0, the Phase span [start, end] gives the same
    sum, and so does trapz: SUM(v)/3600 = phase distance in km."""
    expected = GTR_CHECKSUMS[stem]
    rows = _labelled_rows(stem)
    names = list(dict.fromkeys(label for _, label in rows))
    labelled = [sum(v for v, label in rows if label == n) for n in names]
    assert_allclose(labelled, expected, rtol=0, atol=1e-6)
    c = load_cycle(stem)
    spans = [float(np.sum(c.phase(p.name).speed_mps)) * 3.6 for p in c.phases]
    assert_allclose(spans, expected, rtol=0, atol=1e-6)
    trapz = [c.phase(p.name).distance_m * 3.6 for p in c.phases]
    assert_allclose(trapz, expected, rtol=0, atol=1e-6)


def test_boundary_sample_labelled_with_earlier_phase():
    rows = _labelled_rows("wltc_class3b")
    assert rows[589] == (0.0, "low") and rows[590][1] == "medium"


# --- Cycle object ---------------------------------------------------------------------------


def test_arrays_are_read_only_copies():
    t = np.arange(5.0)
    v = np.array([0, 1, 2, 1, 0.0])
    c = Cycle("x", t, v, 0.0)
    t[1] = 99.0
    assert c.time_s[1] == 1.0
    for arr in (c.time_s, c.speed_mps, c.grade):
        assert arr.dtype == np.float64 and arr.flags.c_contiguous and not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 1.0
    assert_allclose(c.grade, np.zeros(5), rtol=0, atol=0)
    shipped = load_cycle("nedc")
    with pytest.raises(ValueError):
        shipped.speed_mps[0] = 1.0


def test_cycle_rejects_inconsistent_input():
    with pytest.raises(ValueError, match="strictly increasing"):
        Cycle("x", [0, 1, 1], [0, 0, 0], 0.0)
    with pytest.raises(ValueError, match="shape"):
        Cycle("x", [0, 1, 2], [0, 0], 0.0)
    with pytest.raises(ValueError, match="outside"):
        Cycle("x", [0, 1], [0, 1], 0.0, phases=(Phase("p", 0, 5),))
    with pytest.raises(ValueError):
        Phase("p", 3, 3)


def test_resample_keeps_distance_and_phases():
    c = load_cycle("wltc")
    r = c.resample(0.1)
    assert r.time_s.size == 18001
    assert_allclose(r.dt_s, 0.1, rtol=1e-9)
    assert_allclose(r.distance_m, c.distance_m, rtol=1e-6)
    assert [(p.name, p.start_s, p.end_s) for p in r.phases] == [
        (p.name, p.start_s, p.end_s) for p in c.phases
    ]
    assert_allclose(r.phase("medium").distance_m, c.phase("medium").distance_m, rtol=1e-6)
    # coarser grid than the boundaries: phase sub-cycle interpolates its end points
    r7 = c.resample(7.0)
    med = r7.phase("medium")
    assert (med.time_s[0], med.time_s[-1]) == (589.0, 1022.0)


def test_stats_idle_and_accelerations_on_a_simple_trace():
    # 10 s idle, 10 s accel at 1 m/s^2, 10 s cruise, 5 s decel at -2 m/s^2, 5 s idle
    t = np.array([0, 10, 20, 30, 35, 40.0])
    v = np.array([0, 0, 10, 10, 0, 0.0])
    s = cycle_stats(Cycle("simple", t, v, 0.0))
    dist = 50 + 100 + 25
    assert_allclose(s["distance_km"], dist / 1000, rtol=1e-12)
    assert_allclose(s["idle_share"], 15 / 40, rtol=1e-12)
    assert_allclose(s["mean_speed_kmh"], dist / 40 * 3.6, rtol=1e-12)
    assert_allclose(s["mean_moving_speed_kmh"], dist / 25 * 3.6, rtol=1e-12)
    assert_allclose(s["max_accel_mps2"], 1.0, rtol=1e-12)
    assert_allclose(s["max_decel_mps2"], -2.0, rtol=1e-12)
    assert s["phases"] == {}


# --- read_cycle ------------------------------------------------------------------------------


def test_speed_units_agree(tmp_path):
    mph = np.array([0.0, 10.0, 25.5, 60.0, 0.0])
    mps = mph * 0.44704
    kmh = mps * 3.6
    variants = {
        "Time [s], Speed [km/h]": kmh,
        "t,speed_kmh": kmh,
        "time (s),speed (km/h)": kmh,
        "TIME_S, V_KMH": kmh,
        "time,speed_mps": mps,
        "t_s,speed [m/s]": mps,
        "time_s,speed_mph": mph,
        "time_s , Speed [MPH]": mph,
    }
    for i, (header, values) in enumerate(variants.items()):
        lines = [header] + [f"{k},{float(x)!r}" for k, x in enumerate(values)]
        c = read_cycle(_write(tmp_path, "\n".join(lines) + "\n", f"c{i}.csv"))
        assert c.name == f"c{i}"
        assert_allclose(c.speed_mps, mps, rtol=1e-12, atol=1e-12)
        assert_allclose(c.grade, 0.0, rtol=0, atol=0)


def test_grade_percent_and_fraction(tmp_path):
    pct = _write(tmp_path, "time_s,speed_kmh,grade [%]\n0,0,2\n1,10,-3.5\n", "pct.csv")
    frac = _write(tmp_path, "time_s,speed_kmh,grade_fraction\n0,0,0.02\n1,10,-0.035\n", "frac.csv")
    for p in (pct, frac):
        assert_allclose(read_cycle(p).grade, [0.02, -0.035], rtol=1e-12)


def test_bare_grade_header_is_refused(tmp_path):
    # 0.02 could be 2 % or 0.02 %: the header must say (it was silently read as a fraction)
    path = _write(tmp_path, "time_s,speed_kmh,grade\n0,0,0.02\n1,10,-0.035\n", "bare.csv")
    with pytest.raises(ValueError, match="grade.*does not say its unit.*grade_fraction.*grade_percent"):
        read_cycle(path)


@pytest.mark.parametrize(("header", "rows", "speed_mps", "grade"), [
    ("cycSecs,cycMps,cycGrade,cycRoadType", "0,0,0,0\n1,2.5,0.01,0\n", [0.0, 2.5], [0.0, 0.01]),  # FASTSim 2
    ("time_s,mps,grade_fraction", "0,0,0\n1,2.5,0.01\n", [0.0, 2.5], [0.0, 0.01]),
    ("time_seconds,speed_kph", "0,0\n1,36\n", [0.0, 10.0], [0.0, 0.0]),
    ("time_seconds,speed_meters_per_second", "0,0\n1,10\n", [0.0, 10.0], [0.0, 0.0]),
    ("seconds,speed_mph", "0,0\n1,10\n", [0.0, 4.4704], [0.0, 0.0]),
])
def test_common_headers_of_other_tools(tmp_path, header, rows, speed_mps, grade):
    c = read_cycle(_write(tmp_path, header + "\n" + rows, "other.csv"))
    assert_allclose(c.speed_mps, speed_mps, rtol=1e-12)
    assert_allclose(c.grade, grade, rtol=1e-12)


@pytest.mark.parametrize(("sep", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_another_delimiter_gets_a_clear_message(tmp_path, sep, word):
    path = _write(tmp_path, f"time_s{sep}speed_kmh\n0{sep}0\n1{sep}10\n", "semi.csv")
    with pytest.raises(ValueError, match=re.escape(str(path)) + f".*line 1.*separated by {word}.*comma"):
        read_cycle(path)


def test_comments_phases_and_explicit_name(tmp_path):
    text = (
        "# a user cycle\ntime_s,speed_kmh,phase\n0,0,a\n# mid-file comment\n1,36,a\n2,0,a\n3,36,b\n4,0,b\n\n"
    )
    c = read_cycle(_write(tmp_path, text), name="mine")
    assert c.name == "mine" and c.source.endswith("trace.csv")
    assert [(p.name, p.start_s, p.end_s) for p in c.phases] == [("a", 0, 2), ("b", 2, 4)]
    assert_allclose(c.phase("b").distance_m, 10.0, rtol=1e-12)


def test_10hz_and_non_uniform_time_bases_are_kept(tmp_path):
    # constant acceleration a = 0.5 m/s^2 from rest: v = a t is linear, so trapz is exact
    a = 0.5
    t10 = np.round(np.arange(0, 20.05, 0.1), 10)
    tnu = np.array([0, 0.3, 1, 2.5, 2.6, 7, 12, 12.01, 20.0])
    for i, t in enumerate((t10, tnu)):
        body = "\n".join(f"{float(x)!r},{float(a * x)!r}" for x in t)
        c = read_cycle(_write(tmp_path, "time_s,speed_mps\n" + body + "\n", f"t{i}.csv"))
        assert_allclose(c.time_s, t, rtol=0, atol=0)
        assert_allclose(c.distance_m, 0.5 * a * 20.0**2, rtol=1e-12)
        assert_allclose(c.duration_s, 20.0, rtol=1e-12)


BAD_INPUTS = [
    # (label, csv text, regex that must appear in the message besides the file name)
    ("negative speed", "time_s,speed_kmh\n0,0\n1,-3.5\n2,0\n", r"line 3.*speed_kmh.*-3\.5.*\[0, 500\]"),
    ("too fast", "time_s,speed_mph\n0,0\n1,400\n", r"speed_mph.*400.*310\.686"),
    ("non-increasing time", "time_s,speed_kmh\n0,0\n1,5\n1,0\n", r"line 4.*time_s.*1.*previous time 1"),
    ("decreasing time", "t,speed_kmh\n0,0\n5,5\n3,0\n", r"line 4.*'t'.*3.*previous time 5"),
    ("negative start", "time_s,speed_kmh\n-1,0\n1,0\n", r"time_s.*-1.*>= 0"),
    ("nan", "time_s,speed_kmh\n0,0\n1,nan\n2,0\n", r"line 3.*speed_kmh.*'nan'.*finite"),
    ("inf grade", "time_s,speed_kmh,grade_fraction\n0,0,0\n1,1,inf\n", r"line 3.*grade.*'inf'.*finite"),
    ("unknown column", "time_s,speed_kmh,sped\n0,0,1\n1,0,1\n", r"'sped'.*accepted columns"),
    ("speed without unit", "time_s,speed\n0,0\n1,0\n", r"'speed'.*unit.*speed_kmh"),
    ("speed with odd unit", "time_s,speed_kn\n0,0\n1,0\n", r"'speed_kn'.*unit.*speed_mph"),
    ("non-numeric cell", "time_s,speed_kmh\n0,0\n1,fast\n2,0\n", r"line 3.*speed_kmh.*'fast'.*not a number"),
    ("empty cell", "time_s,speed_kmh\n0,0\n1,\n", r"line 3.*speed_kmh.*''.*not a number"),
    ("too few rows", "time_s,speed_kmh\n0,0\n", r"1 data row.*at least 2"),
    (
        "grade percent too large",
        "time_s,speed_kmh,grade_pct\n0,0,0\n1,1,60\n",
        r"line 3.*grade_pct.*60.*\[-50, 50\]",
    ),
    (
        "grade fraction too large",
        "time_s,speed_kmh,grade_fraction\n0,0,0.7\n1,1,0\n",
        r"line 2.*grade.*0\.7.*\[-0\.5, 0\.5\]",
    ),
    ("missing speed", "time_s,phase\n0,a\n1,a\n", r"no speed column"),
    ("two speed columns", "time_s,speed_kmh,speed_mps\n0,0,0\n1,1,1\n", r"speed_kmh.*speed_mps"),
    ("ragged row", "time_s,speed_kmh\n0,0\n1,2,3\n", r"line 3.*3 fields"),
    ("split phase", "time_s,speed_kmh,phase\n0,0,a\n1,0,a\n2,0,b\n3,0,a\n", r"line 5.*phase.*'a'.*line 2"),
    ("empty phase", "time_s,speed_kmh,phase\n0,0,a\n1,0,\n", r"line 3.*phase.*empty"),
]


@pytest.mark.parametrize("label,text,pattern", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_one_clear_error(tmp_path, label, text, pattern):
    path = _write(tmp_path, text, "bad_input.csv")
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + pattern):
        read_cycle(path)


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    speeds=st.lists(st.floats(0, 60, allow_nan=False), min_size=2, max_size=40),
    per_second=st.integers(1, 10),
)
def test_resample_of_piecewise_linear_trace_keeps_distance(speeds, per_second):
    """A 1 Hz trace resampled onto a grid that contains every original sample time."""
    t = np.arange(len(speeds), dtype=float)
    c = Cycle("p", t, speeds, 0.0)
    r = c.resample(1.0 / per_second)
    assert r.time_s.size == (len(speeds) - 1) * per_second + 1
    assert_allclose(r.time_s[-1], t[-1], rtol=1e-12)
    assert_allclose(r.distance_m, c.distance_m, rtol=1e-6, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    dts=st.lists(st.floats(0.01, 10, allow_nan=False), min_size=1, max_size=30),
    speeds=st.data(),
)
def test_stats_are_consistent(dts, speeds):
    t = np.concatenate(([0.0], np.cumsum(dts)))
    v = np.array(speeds.draw(st.lists(st.floats(0, 50), min_size=t.size, max_size=t.size)))
    s = cycle_stats(Cycle("p", t, v, 0.0))
    assert 0.0 <= s["idle_share"] <= 1.0
    assert s["max_decel_mps2"] <= 0.0 <= s["max_accel_mps2"]
    assert s["mean_speed_kmh"] <= s["max_speed_kmh"] + 1e-9
    if s["idle_share"] < 1.0:
        moving = s["duration_s"] * (1 - s["idle_share"])
        assert_allclose(s["mean_moving_speed_kmh"] * moving, s["distance_km"] * 3600, rtol=1e-9)
