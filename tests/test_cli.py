"""Tests for the ``hybridsim`` command line (hybridsim/cli.py), run in-process through ``main``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

import hybridsim as hs
from hybridsim import procedures
from hybridsim._resources import data_dir
from hybridsim.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_vehicles(capsys):
    code, out, err = run(capsys, "list", "vehicles")
    assert code == 0 and err == ""
    assert "xingyue_l" in out and "conventional" in out and "Geely Xingyue L" in out


def test_list_cycles(capsys):
    code, out, _ = run(capsys, "list", "cycles")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("wltc_class3b "))
    assert "23.27" in line.split() and "1800" in line.split()
    assert "wltc = wltc_class3b" in out  # the aliases line


@pytest.fixture(scope="module")
def wltc_ds():
    return hs.simulate(hs.load_vehicle("xingyue_l"), hs.load_cycle("wltc"))


def test_simulate_prints_summary(capsys, wltc_ds):
    code, out, err = run(capsys, "simulate", "xingyue_l", "wltc")
    assert code == 0 and err == ""
    fuel = hs.summarize(wltc_ds)["fuel_l_per_100km"]
    assert any(ln.split()[:1] == ["fuel"] and f"{fuel:.2f} L/100 km" in ln for ln in out.splitlines())
    assert "energy balance rel. error" in out
    assert "engine_loss" in out and "% of source" in out
    assert "SOC" not in out and "electricity" not in out  # conventional: no battery


def test_simulate_out_writes_netcdf(capsys, tmp_path, wltc_ds):
    path = tmp_path / "run.nc"
    code, out, _ = run(capsys, "simulate", "xingyue_l", "wltc", "--out", str(path))
    assert code == 0 and f"wrote {path}" in out
    # everything but `history`, which records the time of each call (to the second)
    written = xr.load_dataset(path)
    assert written.attrs.pop("history").endswith(wltc_ds.attrs["history"].split("Z", 1)[1])
    expected = wltc_ds.copy()
    expected.attrs = {k: v for k, v in wltc_ds.attrs.items() if k != "history"}
    xr.testing.assert_identical(written, expected)


def test_simulate_plot_writes_png(capsys, tmp_path):
    path = tmp_path / "run.png"
    code, out, _ = run(capsys, "simulate", "xingyue_l", "wltc", "--plot", str(path))
    assert code == 0 and f"wrote {path}" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_simulate_accepts_file_paths(capsys, tmp_path):
    cycle = tmp_path / "trip.csv"
    cycle.write_text("time_s,speed_kmh\n0,0\n10,36\n20,36\n30,0\n")
    vehicle = data_dir("vehicles") / "xingyue_l.toml"
    code, out, _ = run(capsys, "simulate", str(vehicle), str(cycle))
    assert code == 0 and "trip" in out and "0.200 km" in out


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hybridsim: error: "), err
    for f in fragments:
        assert f in lines[0]


def test_unknown_vehicle(capsys):
    code, out, err = run(capsys, "simulate", "xingyue", "wltc")
    assert code == 2 and out == ""
    assert_one_line_error(err, "did you mean", "xingyue_l")


def test_unknown_cycle(capsys):
    code, _, err = run(capsys, "simulate", "xingyue_l", "wltp")
    assert code == 2
    assert_one_line_error(err, "unknown cycle", "'wltp'")


def test_bad_vehicle_file(capsys, tmp_path):
    text = (data_dir("vehicles") / "xingyue_l.toml").read_text()
    assert "mass_kg = 1760" in text
    bad = tmp_path / "negative_mass.toml"
    bad.write_text(text.replace("mass_kg = 1760", "mass_kg = -5", 1))
    code, _, err = run(capsys, "simulate", str(bad), "wltc")
    assert code == 2
    assert_one_line_error(err, "negative_mass.toml", "chassis.mass_kg")


def test_missing_cycle_file(capsys, tmp_path):
    code, _, err = run(capsys, "simulate", "xingyue_l", str(tmp_path / "nope.csv"))
    assert code == 2
    assert_one_line_error(err, "nope.csv", "not found")


def test_missing_argument_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "xingyue_l"])
    assert exc.value.code == 2
    assert "CYCLE" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["simulate", "--help"], ["nedc", "--help"],
                                  ["wltp", "--help"], ["epa", "--help"], ["perf", "--help"], ["verify", "--help"]])
def test_help(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "usage: hybridsim" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"hybridsim {hs.__version__}"


def test_module_runs_as_script():
    root = str(Path(hs.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "hybridsim.cli", "--help"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "simulate" in proc.stdout


# ---------------------------------------------------------------- simulate options


def test_simulate_cold_and_soc_options(capsys):
    v = hs.load_vehicle("ralink")
    ds = hs.simulate(v, hs.load_cycle("nedc"), cold_start=True, ambient_temp_c=10.0, soc_init=0.55,
                     soc_balance=False)
    fuel = hs.summarize(ds)["fuel_l_per_100km"]
    code, out, err = run(capsys, "simulate", "ralink", "nedc", "--cold", "--ambient", "10", "--soc", "0.55")
    assert code == 0 and err == ""
    assert f"{fuel:.2f} L/100 km" in out and "SOC start/end" in out and "0.550 /" in out
    # --soc runs once from that SOC: the result says it is not charge-balanced, and echoes the cold start
    assert "not charge-balanced: SOC 0.550 ->" in out and "(charge-balanced)" not in out
    assert "cold, soaked at 10 degC" in out


def test_simulate_soc_out_of_window(capsys):
    code, _, err = run(capsys, "simulate", "ralink", "nedc", "--soc", "0.95")
    assert code == 2
    assert_one_line_error(err, "soc_init (--soc) = 0.95", "allowed")


def test_simulate_soc_without_battery(capsys):
    code, _, err = run(capsys, "simulate", "xingyue_l", "nedc", "--soc", "0.5")
    assert code == 2
    assert_one_line_error(err, "soc_init", "no battery")


# ---------------------------------------------------------------- procedures


def test_nedc_command(capsys):
    r = procedures.nedc(hs.load_vehicle("ralink"))
    code, out, err = run(capsys, "nedc", "ralink")
    assert code == 0 and err == ""
    fuel_line = next(ln for ln in out.splitlines() if ln.split()[:1] == ["fuel"])
    assert f"{r['fuel_l_per_100km']:.2f} L/100 km" in fuel_line
    assert "inertia class" in out and "1470 kg" in out
    assert "udc" in out and "eudc" in out  # the per-phase table


def test_wltp_command(capsys):
    code, out, _ = run(capsys, "wltp", "xingyue_l")
    assert code == 0
    assert "WLTC class" in out and "class3b" in out and "test mass" in out
    assert "extra_high" in out and "W/kg" in out


def test_epa_command(capsys):
    code, out, _ = run(capsys, "epa", "xingyue_l")
    assert code == 0
    assert "fuel city label" in out and "mpg" in out and "phase1_cold_transient" in out


def test_procedure_unknown_vehicle(capsys):
    code, out, err = run(capsys, "wltp", "nosuchcar")
    assert code == 2 and out == ""
    assert_one_line_error(err, "nosuchcar")


def test_perf_command(capsys):
    code, out, err = run(capsys, "perf", "xingyue_l")
    assert code == 0 and err == ""
    assert "accel 0 100" in out and " s" in out and "top speed" in out and "km/h" in out


# ---------------------------------------------------------------- verify


def test_verify_table_csv_and_plot(capsys, tmp_path):
    csv_path, png = tmp_path / "claims.csv", tmp_path / "claims.png"
    code, out, err = run(capsys, "verify", "ralink", "--out", str(csv_path), "--plot", str(png))
    assert code == 0 and err == ""
    assert "road (vs wltp)" in out and "4.1–4.4" in out
    assert f"wrote {csv_path}" in out and f"wrote {png}" in out
    header = csv_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == ("vehicle,claim,unit,claimed,claimed_value,claimed_min,claimed_max,simulated,difference_pct,"
                      "procedure,footnote,source")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_verify_vehicle_without_claims(capsys, tmp_path):
    text = (data_dir("vehicles") / "xingyue_l.toml").read_text(encoding="utf-8")
    path = tmp_path / "noclaims.toml"
    path.write_text(text[: text.index("[[claims]]")], encoding="utf-8")
    code, _, err = run(capsys, "verify", str(path))
    assert code == 2
    assert_one_line_error(err, "no [[claims]]")


# ---------------------------------------------------------------- procedure options, outputs, pipes


def test_procedure_options_are_passed_on(capsys, monkeypatch):
    seen = {}

    def fake(vehicle, **kw):
        seen.update(kw)
        return {"procedure": "fake", "vehicle": vehicle.id}

    monkeypatch.setitem(procedures.PROCEDURES, "wltp", fake)
    code, out, _ = run(capsys, "wltp", "ralink", "--hot", "--uf-table", "EU", "--v-max", "110",
                       "--max-laden-mass", "1900")
    assert code == 0 and "fake" in out
    assert seen == {"cold_start": False, "uf_table": "EU", "v_max_kmh": 110.0, "max_laden_mass_kg": 1900.0}
    monkeypatch.setitem(procedures.PROCEDURES, "nedc", fake)
    seen.clear()
    assert run(capsys, "nedc", "ralink")[0] == 0 and seen == {}  # no option: the regulation's defaults


def test_wltp_hot_and_laden_mass_for_real(capsys):
    r = procedures.wltp(hs.load_vehicle("ralink"), cold_start=False, max_laden_mass_kg=1900.0)
    code, out, _ = run(capsys, "wltp", "ralink", "--hot", "--max-laden-mass", "1900")
    assert code == 0
    fuel_line = next(ln for ln in out.splitlines() if ln.split()[:1] == ["fuel"])
    assert f"{r['fuel_l_per_100km']:.2f} L/100 km" in fuel_line and r["cold_start"] is False
    assert "argument" in out  # laden mass source


def test_epa_procedure_line_says_label(capsys):
    code, out, _ = run(capsys, "epa", "xingyue_l")
    line = next(ln for ln in out.splitlines() if ln.startswith("procedure"))
    assert code == 0 and "label" in line and "unadjusted" in line


@pytest.mark.parametrize("argv", [["verify", "ralink", "--plot", "/nonexistent_dir_hs/x.png"],
                                  ["verify", "ralink", "--out", "/nonexistent_dir_hs/x.csv"],
                                  ["simulate", "xingyue_l", "wltc", "--plot", "/nonexistent_dir_hs/x.png"]])
def test_missing_output_folder_fails_before_running(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""  # a bad argument: nothing was run or printed
    assert_one_line_error(err, "/nonexistent_dir_hs", "does not exist")


def test_simulate_plot_for_a_bev(capsys, tmp_path):
    path = tmp_path / "bev.png"
    code, out, err = run(capsys, "simulate", "taycan_turbo", "nedc", "--plot", str(path))
    assert code == 0 and err == "" and path.read_bytes()[:4] == b"\x89PNG"


def test_broken_pipe_is_quiet():
    # `hybridsim list cycles | head -1`: the reader closes the pipe; no traceback, no message, exit 0 or 141
    root = str(Path(hs.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "hybridsim.cli", "list", "cycles"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the first line
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) in (0, 141)
    assert err == ""


def test_simulate_bev_reports_battery_and_wall_energy(capsys):
    code, out, err = run(capsys, "simulate", "taycan_turbo", "nedc")
    assert code == 0
    dc = next(ln for ln in out.splitlines() if "battery terminals" in ln)
    wall = next(ln for ln in out.splitlines() if "at the wall" in ln)
    dc_v, wall_v = (float(ln.split()[-3]) for ln in (dc, wall))  # "... 17.15 kWh/100 km"
    assert 1.0 < wall_v / dc_v < 1.3  # charger and charging losses on top of the DC energy


def test_simulate_warns_when_the_car_falls_behind(capsys, tmp_path):
    csv = tmp_path / "sprint.csv"
    csv.write_text("time_s,speed_kmh\n0,0\n1,0\n2,150\n3,150\n4,0\n5,0\n")
    code, out, err = run(capsys, "simulate", "xingyue_l", str(csv))
    assert code == 0 and "fell behind the trace" in err
