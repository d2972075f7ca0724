"""Tests for hybridsim/plot.py: every plot returns its Axes/Figure with unit-labelled axes."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest

import hybridsim as hs
from hybridsim import plot

matplotlib.use("Agg")

UNIT = re.compile(r"[\[(][^\])]+[\])]")  # "[kW]" or "(kW)"


@pytest.fixture(scope="module")
def ds():
    return hs.simulate(hs.load_vehicle("xingyue_l"), hs.load_cycle("wltc"))


def has_unit(label: str) -> bool:
    return bool(label) and bool(UNIT.search(label))


@pytest.mark.parametrize("func", [plot.plot_speed, plot.plot_power, plot.plot_engine_speed])
def test_time_series_plots(ds, func):
    ax = func(ds)
    assert has_unit(ax.get_xlabel()) and has_unit(ax.get_ylabel())
    assert ax.get_legend() is not None  # every one of them has more than one line
    assert all(len(line.get_xdata()) == ds.sizes["time"] for line in ax.get_lines() if len(line.get_xdata()) > 2)


def test_engine_speed_twin_gear_axis(ds):
    ax = plot.plot_engine_speed(ds)
    twins = [a for a in ax.figure.axes if a is not ax]
    assert len(twins) == 1 and has_unit(twins[0].get_ylabel())


def test_speed_title_names_vehicle_and_cycle(ds):
    title = plot.plot_speed(ds).get_title()
    assert ds.attrs["vehicle_name"] in title and ds.attrs["cycle"] in title


def test_plot_on_given_axes(ds):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plot.plot_power(ds, ax) is ax


@pytest.mark.parametrize("from_ds", [True, False])
def test_energy_breakdown(ds, from_ds):
    summary = hs.summarize(ds)
    ax = plot.plot_energy_breakdown(ds if from_ds else summary)
    assert has_unit(ax.get_xlabel())  # the y axis is categorical: one bar per energy sink
    widths = [p.get_width() for p in ax.patches]
    sinks = {n: e for n, e in summary["energy_kwh"].items() if ds[n].attrs["energy_role"] in ("sink", "wheel")}
    assert sorted(widths) == pytest.approx(sorted(sinks.values()))
    # the bars add up to the source (fuel) energy
    assert sum(widths) == pytest.approx(summary["energy_kwh"]["fuel_power"], rel=1e-9)


def test_plot_run_saves_png(ds, tmp_path):
    path = tmp_path / "run.png"
    fig = plot.plot_run(ds, path)
    assert len([a for a in fig.axes if a.get_ylabel()]) >= 3
    for ax in fig.axes:
        assert has_unit(ax.get_ylabel())
    assert has_unit(fig.axes[2].get_xlabel())
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 10_000


@pytest.fixture(scope="module")
def runs():
    """One NEDC run of every shipped vehicle (every architecture), by id."""
    return {vid: hs.simulate(hs.load_vehicle(vid), hs.load_cycle("nedc")) for vid in hs.list_vehicles()}


@pytest.mark.parametrize("vid", hs.list_vehicles())
def test_plot_run_every_vehicle(runs, vid, tmp_path):
    ds = runs[vid]
    path = tmp_path / f"{vid}.png"
    fig = plot.plot_run(ds, path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    third = fig.axes[2]
    assert has_unit(third.get_ylabel()) and third.get_legend() is not None
    # engine speed where there is an engine, else the motors' speeds
    assert third.get_ylabel() == ("engine speed [rpm]" if "engine_speed" in ds else "motor speed [rpm]")
    labels = [t.get_text() for t in third.get_legend().get_texts()]
    if "engine_speed" not in ds:
        assert "front motor" in labels and "rear motor" in labels and "rear gear" in labels


def test_motor_speed_plot_values(runs):
    ds = runs["taycan_turbo"]
    ax = plot.plot_motor_speed(ds)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "rear motor")
    assert line.get_ydata() == pytest.approx(ds["rear_motor_speed"].values * 30 / np.pi)
    with pytest.raises(ValueError, match="no engine speed"):
        plot.plot_engine_speed(ds)


def test_engine_off_run_gets_a_readable_axis(runs):
    # a plug-in hybrid on its battery (the Tank 300 over the NEDC from full charge): the engine never turns;
    # made explicit here with a copy of a run whose engine speed is set to zero
    ds = runs["xingyue_l"].copy(deep=True)
    ds["engine_speed"].values[:] = 0.0
    ax = plot.plot_engine_speed(ds)
    assert ax.get_ylim() == (0.0, plot.ENGINE_OFF_AXIS_TOP_RPM)
    assert any("engine off" in t.get_text() for t in ax.texts)
    running = plot.plot_engine_speed(runs["xingyue_l"])
    assert running.get_ylim()[1] > 2000 and not any("engine off" in t.get_text() for t in running.texts)


def test_claims_plot_dot_only_for_satisfied_ranges():
    from hybridsim.verify import ClaimCheck

    def row(value=None, lo=None, hi=None, sim=4.0, diff=0.0):
        return ClaimCheck("v", "v", "fuel_l_per_100km", "L/100 km", "nedc", "nedc", value, lo, hi, sim, diff, "s")

    rows = [row(value=4.01, diff=-0.25),  # a near-miss of a single value: no dot
            row(lo=3.9, hi=4.1),  # inside a range: dot
            row(lo=3.0),  # above a lower bound: dot
            row(lo=4.5, hi=5.0, diff=-11.1)]  # outside: no dot
    ax = plot.plot_claims(rows)
    dots = next(ln for ln in ax.get_lines() if ln.get_label() == "inside the claimed range")
    y = np.arange(len(rows))[::-1]
    assert sorted(dots.get_ydata()) == sorted([y[1], y[2]])


# ---------------------------------------------------------------- hybrid views, engine map, claims


@pytest.fixture(scope="module")
def ths_ds():
    return hs.simulate(hs.load_vehicle("ralink"), hs.load_cycle("nedc"))


def test_soc_plot(ths_ds):
    ax = plot.plot_soc(ths_ds)
    assert has_unit(ax.get_xlabel()) and "[%]" in ax.get_ylabel() and ax.get_legend() is not None
    assert max(ax.get_lines()[0].get_ydata()) == pytest.approx(100 * float(ths_ds.soc.max()))


def test_soc_plot_needs_a_battery(ds):
    with pytest.raises(ValueError, match="no battery"):
        plot.plot_soc(ds)


def test_power_split_plot(ths_ds):
    ax = plot.plot_power_split(ths_ds)
    assert has_unit(ax.get_xlabel()) and "[rpm]" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["engine (carrier)", "MG1 (sun)"] and "MG2" in labels


def test_lever_points_are_on_one_line(ths_ds):
    ax = plot.plot_lever(ths_ds, 1000.0)
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "speed line (Willis)")
    x, y = (list(map(float, a)) for a in line.get_data())  # sun, carrier, ring
    # Willis: the carrier speed is the lever-weighted mean of the sun and ring speeds
    assert y[1] == pytest.approx(y[0] + (y[2] - y[0]) * x[1], rel=1e-6, abs=1e-6)
    assert "[rpm]" in ax.get_ylabel() and "t = 1000 s" in ax.get_title()


@pytest.mark.parametrize("vid", ["ralink", "xingyue_l"])
def test_engine_map_plot(vid, ths_ds, ds):
    run = ths_ds if vid == "ralink" else ds
    ax = plot.plot_engine_map(run)
    assert ax.get_xlabel() == "engine speed [rpm]" and ax.get_ylabel() == "engine torque [N·m]"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "full load (WOT)" and labels[1] == "optimal operating line"
    fuelled = int(((run.fuel_rate.values > 0) & (run.engine_speed.values > 0)).sum())
    assert len(ax.collections[-1].get_offsets()) == fuelled  # every fuelled step is a point


def test_claims_plot():
    from hybridsim.verify import verify

    rows = verify(["ralink"])
    ax = plot.plot_claims(rows)
    assert has_unit(ax.get_xlabel())
    bars = [p for p in ax.patches if p.get_height() == pytest.approx(0.6)]
    assert [b.get_width() for b in bars] == pytest.approx([r.difference_pct for r in rows])
    assert any("vs claim 4.2 L/100 km" in t.get_text() for t in ax.texts)
