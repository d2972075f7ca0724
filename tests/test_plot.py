"""Tests for hybridsim/plot.py: every plot returns its Axes/Figure with unit-labelled axes."""

from __future__ import annotations

import re

import matplotlib
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
