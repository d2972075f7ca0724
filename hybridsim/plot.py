"""Plots of a simulation result (the Dataset from :func:`hybridsim.simulate`).

Every ``plot_*(ds, ax=None)`` draws on ``ax`` and returns it; without ``ax`` it makes a new
:class:`matplotlib.figure.Figure` (no pyplot, so nothing depends on a display or on pyplot's global
state). matplotlib is imported inside the functions only, so ``import hybridsim`` does not need it.

The Dataset is in SI; values are converted for display from each variable's ``units`` attribute.
"""

from __future__ import annotations

import math

# (units in the Dataset, display unit) -> factor
_CONVERSIONS = {
    ("m s-1", "km/h"): 3.6,
    ("W", "kW"): 1e-3,
    ("rad s-1", "rpm"): 30.0 / math.pi,
    ("1", "-"): 1.0,
    ("s", "s"): 1.0,
}


def _values(ds, name: str, unit: str):
    """``ds[name]`` as a numpy array in the display ``unit``."""
    units = ds[name].attrs.get("units", "")
    try:
        factor = _CONVERSIONS[(units, unit)]
    except KeyError:
        raise ValueError(f"cannot show {name!r} in {unit!r}: its units are {units!r}") from None
    return ds[name].values * factor


def _new_axes(ax, figsize=(9.0, 3.5)):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="tight").add_subplot()


def _title(ds) -> str:
    vehicle = ds.attrs.get("vehicle_name") or ds.attrs.get("vehicle", "")
    cycle = ds.attrs.get("cycle", "")
    return f"{vehicle} on {cycle}" if vehicle and cycle else vehicle or cycle


def _time(ds):
    return _values(ds, "time", "s")


def plot_speed(ds, ax=None):
    """Cycle (demanded) and achieved vehicle speed in km/h against time in s; returns the Axes."""
    ax = _new_axes(ax)
    t = _time(ds)
    ax.plot(t, _values(ds, "speed_cycle", "km/h"), color="0.6", lw=2.2, label="cycle (demanded)")
    ax.plot(t, _values(ds, "speed", "km/h"), color="C0", lw=1.0, label="achieved")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("speed [km/h]")
    ax.set_title(_title(ds))
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return ax


def plot_power(ds, ax=None):
    """Fuel, wheel and friction-brake power (and battery power if present) in kW against time."""
    ax = _new_axes(ax)
    t = _time(ds)
    lines = [
        ("fuel_power", "fuel (chemical)", "C3"),
        ("wheel_power", "wheels", "C0"),
        ("brake_power", "friction brakes (absorbed)", "C1"),
        ("battery_power", "battery", "C2"),
    ]
    for name, label, color in lines:
        if name in ds:
            ax.plot(t, _values(ds, name, "kW"), color=color, lw=0.9, label=label)
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("power [kW]")
    ax.set_xlim(t[0], t[-1])
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", ncols=2)
    return ax


def plot_engine_speed(ds, ax=None):
    """Engine speed in rpm against time, with the engaged gear on a twin axis if ``gear`` is present."""
    ax = _new_axes(ax)
    t = _time(ds)
    handles = ax.plot(t, _values(ds, "engine_speed", "rpm"), color="C0", lw=0.9, label="engine speed")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("engine speed [rpm]")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if "gear" in ds:
        gear = _values(ds, "gear", "-")
        ax2 = ax.twinx()
        handles += ax2.step(t, gear, where="pre", color="C2", lw=0.7, alpha=0.6, label="gear")
        ax2.set_ylabel("gear [-]")
        top = int(max(gear.max(), 1))
        ax2.set_ylim(0, top + 0.5)
        ax2.set_yticks(range(0, top + 1))
        ax.set_zorder(ax2.get_zorder() + 1)  # engine speed drawn over the gear steps
        ax.patch.set_visible(False)
        ax.legend(handles=handles, loc="upper left")
    return ax


_ENERGY_LABELS = {
    "wheel_power": "wheel work (road load)",
    "brake_power": "friction brakes",
    "accessory_power": "accessories",
    "engine_inertia_power": "engine rotor inertia",
}


def _short_label(name: str) -> str:
    if name in _ENERGY_LABELS:
        return _ENERGY_LABELS[name]
    return name.removesuffix("_power").replace("_", " ")


def plot_energy_breakdown(summary_or_ds, ax=None):
    """Where the source energy went: horizontal bars of the sinks and the wheel work, in kWh.

    Takes the dict from :func:`hybridsim.summarize` or a result Dataset. The bars add up to the
    source energy (fuel + battery) to the precision of the energy balance; each is labelled with its
    kWh and its share of the source energy.
    """
    from .results import VARIABLES, summarize

    if isinstance(summary_or_ds, dict):
        summary, attrs = summary_or_ds, {}
    else:
        summary = summarize(summary_or_ds)
        attrs = {n: summary_or_ds[n].attrs for n in summary_or_ds.data_vars}

    def role(name: str) -> str:
        if name in attrs:
            return attrs[name].get("energy_role", "")
        return VARIABLES[name].role if name in VARIABLES else ""

    energy = summary["energy_kwh"]
    source = sum(e for n, e in energy.items() if role(n) == "source")
    bars = sorted((n for n in energy if role(n) in ("sink", "wheel")), key=lambda n: energy[n])
    ax = _new_axes(ax, figsize=(8.0, 0.45 * len(bars) + 1.5))
    colors = ["C0" if role(n) == "wheel" else "C3" for n in bars]
    rects = ax.barh([_short_label(n) for n in bars], [energy[n] for n in bars], color=colors)
    labels = [f"{energy[n]:.2f} kWh" + (f" ({100 * energy[n] / source:.1f} %)" if source else "") for n in bars]
    ax.bar_label(rects, labels=labels, padding=3, fontsize=8)
    ax.set_xlabel("energy [kWh]")
    ax.set_xlim(0, max([energy[n] for n in bars] + [0.0]) * 1.25 or 1.0)
    ax.grid(axis="x", alpha=0.3)
    title = f"{summary.get('vehicle', '')} on {summary.get('cycle', '')}".strip()
    ax.set_title(f"{title}: source energy {source:.2f} kWh" if source else title)
    return ax


def plot_run(ds, path=None):
    """Speed, power and engine speed in three rows sharing the time axis; saved to ``path`` (dpi 120).

    Returns the :class:`matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 9.0), layout="tight")
    axes = fig.subplots(3, 1, sharex=True)
    plot_speed(ds, axes[0])
    plot_power(ds, axes[1])
    plot_engine_speed(ds, axes[2])
    for ax in axes[:-1]:
        ax.set_xlabel("")
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
