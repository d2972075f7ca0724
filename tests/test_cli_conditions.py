"""The command line and the API never mislead: run conditions echoed, options that would be ignored
refused, output names checked before the run, JSON results, and a trace miss warned about in the API."""

import csv
import json
import warnings

import numpy as np
import pytest

import hybridsim as hs
from hybridsim.cli import main
from hybridsim.errors import TraceMissWarning


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ambient_without_cold_is_refused(capsys):
    code, out, err = run(capsys, "simulate", "xingyue_l", "nedc", "--ambient", "0")
    assert code == 2 and out == ""
    assert "--ambient 0" in err and "--cold" in err and len(err.strip().splitlines()) == 1


def test_hot_and_cold_runs_say_so(capsys):
    code, out, _ = run(capsys, "simulate", "xingyue_l", "nedc")
    assert code == 0 and "engine start" in out and "hot (engine warm)" in out
    code, out, _ = run(capsys, "simulate", "xingyue_l", "nedc", "--cold", "--ambient", "-7")
    assert code == 0 and "cold, soaked at -7 degC" in out


@pytest.mark.parametrize(("option", "name"), [("--out", "x.txt"), ("--out", "x"), ("--plot", "x.txt")])
def test_output_names_are_checked_before_the_run(capsys, tmp_path, monkeypatch, option, name):
    ran = []
    monkeypatch.setattr(hs, "simulate", lambda *a, **k: ran.append(1))
    code, out, err = run(capsys, "simulate", "xingyue_l", "nedc", option, str(tmp_path / name))
    assert code == 2 and not ran and "unsupported file type" in err
    assert not (tmp_path / name).exists()


def test_out_csv_writes_csv_with_units(capsys, tmp_path):
    path = tmp_path / "run.csv"
    code, out, _ = run(capsys, "simulate", "ralink", "nedc", "--out", str(path))
    assert code == 0 and f"wrote {path}" in out
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    assert any(ln.startswith("# source: hybridsim") for ln in comments)
    rows = list(csv.reader(ln for ln in lines if not ln.startswith("#")))
    header = rows[0]
    assert header[0] == "time [s]" and "phase" in header and "speed [m s-1]" in header
    assert len(rows) == 1 + hs.load_cycle("nedc").time_s.size
    speed = np.array([float(r[header.index("speed [m s-1]")]) for r in rows[1:]])
    ds = hs.simulate(hs.load_vehicle("ralink"), hs.load_cycle("nedc"))
    np.testing.assert_allclose(speed, ds["speed"].values, rtol=0, atol=1e-12)


@pytest.mark.parametrize("command", ["nedc", "wltp", "epa", "perf"])
def test_json_results(capsys, command):
    code, out, err = run(capsys, command, "xingyue_l", "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["vehicle"] == "xingyue_l"
    key = "accel_0_100_s" if command == "perf" else "fuel_l_per_100km"
    assert isinstance(result[key], float) and result[key] > 0
    if command != "perf":
        assert isinstance(result["unchecked_rules"], list)


def test_trace_miss_is_warned_in_the_api():
    t = np.arange(0.0, 21.0)
    v = np.minimum(t * 11.0, 55.0) * (t < 20)  # 0 to 198 km/h in 5 s: no car here follows it
    cycle = hs.Cycle(name="impossible_launch", time_s=t, speed_mps=v, grade=0.0)
    with pytest.warns(TraceMissWarning, match="fell behind the trace"):
        ds = hs.simulate(hs.load_vehicle("xingyue_l"), cycle)
    assert hs.summarize(ds)["trace_miss_max_kmh"] > 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", TraceMissWarning)
        hs.simulate(hs.load_vehicle("xingyue_l"), hs.load_cycle("nedc"))  # followed: no warning


def test_china_json(capsys):
    code, out, err = run(capsys, "china", "tank300_hi4t", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["procedure"].startswith("GB/T 19753-2021") and result["vehicle"] == "tank300_hi4t"
    # the UF-weighted figure China's table would give is reported missing, with the reason
    assert "fuel_weighted_l_per_100km" in result["missing"]
    assert isinstance(result["electric_range_km"], float) and result["electric_range_km"] > 50
