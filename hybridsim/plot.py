"""Plots of a simulation result (the Dataset from :func:`hybridsim.simulate`).

Every ``plot_*(ds, ax=None)`` draws on ``ax`` and returns it; without ``ax`` it makes a new
:class:`matplotlib.figure.Figure` (no pyplot, so nothing depends on a display or on pyplot's global
state). matplotlib is imported inside the functions only, so ``import hybridsim`` does not need it.

The Dataset is in SI; values are converted for display from each variable's ``units`` attribute.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .units import KMH_PER_MPS, RPM_PER_RAD_S, W_PER_KW

# (units in the Dataset, display unit) -> factor
_CONVERSIONS = {
    ("m s-1", "km/h"): KMH_PER_MPS,
    ("W", "kW"): 1.0 / W_PER_KW,
    ("rad s-1", "rpm"): RPM_PER_RAD_S,
    ("1", "-"): 1.0,
    ("1", "%"): 100.0,
    ("s", "s"): 1.0,
    ("N m", "N·m"): 1.0,
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


def _phase_boundaries(ds, ax, *, names: bool = False) -> None:
    """Dotted vertical lines at the cycle's phase boundaries (the ``phase`` coordinate); with ``names``
    the phase names along the top of ``ax``."""
    if "phase" not in ds.coords:
        return
    t = _time(ds)
    labels = np.asarray(ds["phase"].values).astype(str)
    change = np.flatnonzero(labels[1:] != labels[:-1])  # last sample of each phase
    for k in change:
        ax.axvline(t[k], color="0.4", lw=0.7, ls=":", zorder=0)
    if names:
        starts = np.concatenate([[0], change + 1])
        ends = np.concatenate([change, [len(t) - 1]])
        for a, b in zip(starts, ends, strict=True):
            if labels[a]:
                ax.annotate(labels[a].replace("_", " "), (0.5 * (t[a] + t[b]), 1.0), xycoords=("data", "axes fraction"),
                            xytext=(0, 1), textcoords="offset points", ha="center", va="bottom", fontsize=7,
                            color="0.35", annotation_clip=False)


def plot_speed(ds, ax=None):
    """Cycle (demanded) and achieved vehicle speed in km/h against time in s; returns the Axes."""
    ax = _new_axes(ax)
    t = _time(ds)
    ax.plot(t, _values(ds, "speed_cycle", "km/h"), color="0.6", lw=2.2, label="cycle (demanded)")
    ax.plot(t, _values(ds, "speed", "km/h"), color="C0", lw=1.0, label="achieved")
    _phase_boundaries(ds, ax, names=True)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("speed [km/h]")
    ax.set_title(_title(ds), pad=12 if "phase" in ds.coords else None)
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return ax


def plot_power(ds, ax=None):
    """Fuel, wheel and friction-brake power (and battery power if present) in kW against time.

    Each value is the mean power over the interval ending at its sample, so the powers are drawn as steps
    over their intervals; a power that is zero throughout is not drawn (and not in the legend).
    """
    ax = _new_axes(ax)
    t = _time(ds)
    lines = [
        ("fuel_power", "fuel (chemical)", "C3"),
        ("wheel_power", "wheels", "C0"),
        ("brake_power", "friction brakes (absorbed)", "C1"),
        ("battery_power", "battery (> 0 discharge)", "C2"),
    ]
    for name, label, color in lines:
        if name in ds and np.any(ds[name].values != 0):
            ax.step(t, _values(ds, name, "kW"), where="pre", color=color, lw=0.9, label=label)
    _phase_boundaries(ds, ax)
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("power [kW]")
    ax.set_xlim(t[0], t[-1])
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", ncols=2)
    return ax


#: Below this peak engine speed a run counts as "engine off" (a P2 plug-in driven on its battery). [rpm]
ENGINE_OFF_RPM = 1.0
#: Speed axis top [rpm] when the engine never turned (instead of matplotlib's 0–0.05 for an all-zero line).
ENGINE_OFF_AXIS_TOP_RPM = 1000.0


def _gear_name(ds) -> str | None:
    """The engaged-gear variable of a run: ``gear`` (engine gearbox) or ``<axle>_gear`` (e.g. the BEV's rear
    two-speed unit), or None."""
    if "gear" in ds:
        return "gear"
    return next((n for n in ds.data_vars if n.endswith("_gear")), None)


def _gear_twin(ds, ax, handles, color="C2"):
    """The engaged gear as steps on a twin axis of ``ax`` (if the run has one); returns the legend handles."""
    name = _gear_name(ds)
    if name is None:
        return handles
    t = _time(ds)
    gear = _values(ds, name, "-")
    ax2 = ax.twinx()
    label = "gear" if name == "gear" else f"{name.removesuffix('_gear')} gear"
    handles = handles + ax2.step(t, gear, where="pre", color=color, lw=0.7, alpha=0.6, label=label)
    ax2.set_ylabel("gear [-]")
    top = int(max(np.nanmax(gear), 1))
    ax2.set_ylim(0, top + 0.5)
    ax2.set_yticks(range(0, top + 1))
    ax.set_zorder(ax2.get_zorder() + 1)  # speeds drawn over the gear steps
    ax.patch.set_visible(False)
    return handles


def plot_engine_speed(ds, ax=None):
    """Engine speed in rpm against time, with the engaged gear on a twin axis if the run has one.

    A run in which the engine never turns (a plug-in on its battery) gets a 0–1,000 rpm axis and the note
    "engine off for the whole run" instead of an axis spanning a fraction of an rpm.
    """
    if "engine_speed" not in ds:
        raise ValueError(f"{ds.attrs.get('vehicle', 'this run')}: no engine speed (no engine); see plot_motor_speed")
    ax = _new_axes(ax)
    t = _time(ds)
    w = _values(ds, "engine_speed", "rpm")
    handles = ax.plot(t, w, color="C0", lw=0.9, label="engine speed")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("engine speed [rpm]")
    ax.set_xlim(t[0], t[-1])
    if np.nanmax(np.abs(w)) < ENGINE_OFF_RPM:
        ax.set_ylim(0, ENGINE_OFF_AXIS_TOP_RPM)
        ax.text(0.5, 0.5, "engine off for the whole run", transform=ax.transAxes, ha="center", va="center",
                color="0.4")
    else:
        ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    handles = _gear_twin(ds, ax, handles)
    ax.legend(handles=handles, loc="upper left")
    return ax


def _motor_speeds(ds) -> dict[str, str]:
    """{speed variable: legend label} of the electric machines: the run's architecture's ``motor_speeds``
    (registry, :mod:`hybridsim.architectures`); for a run of an unknown architecture, those of every registered
    one that the Dataset holds."""
    from .architectures import ARCHITECTURES

    arch = ARCHITECTURES.get(ds.attrs.get("architecture"))
    entries = [arch] if arch is not None else list(ARCHITECTURES.values())
    return {n: label for a in entries for n, label in a.motor_speeds.items() if n in ds}


def _motor_speed_names(ds) -> list[str]:
    """Speed variables of the electric machines (:func:`_motor_speeds`)."""
    return list(_motor_speeds(ds))


def plot_motor_speed(ds, ax=None):
    """Speeds of the electric machines in rpm against time, with the engaged gear (if any) on a twin axis.

    For runs without an engine (battery-electric), the third panel of :func:`plot_run`.
    """
    labels = _motor_speeds(ds)
    names = list(labels)
    if not names:
        raise ValueError(f"{ds.attrs.get('vehicle', 'this run')}: no electric-machine speeds to plot")
    ax = _new_axes(ax)
    t = _time(ds)
    handles = []
    for k, name in enumerate(names):
        label = labels[name]
        # later machines dashed and drawn on top: equal speeds (same ratio) must not hide one another
        handles += ax.plot(t, _values(ds, name, "rpm"), color=f"C{(k * 3) % 10}", lw=0.9 + 0.5 * (k == 0),
                           ls="-" if k == 0 else (0, (4, 3)), label=label, zorder=2 + k)
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("motor speed [rpm]")
    ax.set_xlim(t[0], t[-1])
    ax.grid(alpha=0.3)
    handles = _gear_twin(ds, ax, handles, color="C2" if len(names) < 2 else "C4")
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


def _vehicle_of(ds, vehicle):
    """The vehicle of a run: the one given, else the shipped vehicle named in ``ds.attrs``."""
    if vehicle is not None:
        return vehicle
    from .vehicle import load_vehicle

    return load_vehicle(ds.attrs["vehicle"])


def plot_soc(ds, ax=None):
    """Battery state of charge in % against time in s (vehicles with a battery); returns the Axes."""
    ax = _new_axes(ax)
    t = _time(ds)
    if "soc" not in ds:
        raise ValueError(f"{ds.attrs.get('vehicle', 'this run')}: no battery, no SOC to plot")
    soc = _values(ds, "soc", "%")
    ax.plot(t, soc, color="C2", lw=1.0, label="SOC")
    _phase_boundaries(ds, ax)
    ax.axhline(soc[0], color="0.5", lw=0.8, ls="--", label=f"start ({soc[0]:.1f} %)")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("state of charge [%]")
    ax.set_xlim(t[0], t[-1])
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    ax.set_title(f"Battery state of charge\n{_title(ds)}", fontsize=10)
    return ax


def plot_engine_map(ds, ax=None, *, vehicle=None, color_by_time: bool = True):
    """Engine operating points over the brake-efficiency map, with the WOT curve and the optimal line.

    Contours: brake thermal efficiency [%] of ``vehicle.engine.data()`` (``vehicle`` defaults to the
    shipped vehicle named in ``ds.attrs``). Line: minimum-fuel operating line
    (:func:`hybridsim.components.engine_maps.optimal_operating_line` between idle and maximum speed, as
    the THS controller uses it). Points: every fuelled time step of the run, coloured by time.
    """
    from .components.engine import RPM
    from .components.engine_maps import optimal_operating_line

    v = _vehicle_of(ds, vehicle)
    if v.engine is None:
        raise ValueError(f"{v.id}: no engine, no engine map to plot")
    e = v.engine
    m = e.data()
    ax = _new_axes(ax, figsize=(8.5, 5.5))
    rpm = m.speed_rad_s / RPM
    eta = m.efficiency() * 100.0
    top = float(max(m.wot_nm.max(), 1.0)) * 1.08
    levels = [lv for lv in (10, 15, 20, 24, 27, 30, 32, 34, 35, 36, 37, 38, 39, 40, 41, 42)
              if lv < float(np.nanmax(eta))]
    ax.contourf(rpm, m.torque_nm, eta.T, levels=[0, *levels, 100], cmap="Greys", alpha=0.55)
    cl = ax.contour(rpm, m.torque_nm, eta.T, levels=levels, colors="0.35", linewidths=0.6)
    ax.clabel(cl, fmt="%g %%", fontsize=7)
    ax.plot(rpm, m.wot_nm, color="k", lw=1.8, label="full load (WOT)")
    ool = optimal_operating_line(m, e.idle_speed_rpm * RPM, e.max_speed_rpm * RPM)
    ax.plot(ool.speed_rad_s / RPM, ool.torque_nm, color="C3", lw=1.2, ls="--", label="optimal operating line",
            zorder=4)
    w = _values(ds, "engine_speed", "rpm")
    trq = ds["engine_torque"].values
    on = (ds["fuel_rate"].values > 0) & (w > 0)
    t = _time(ds)
    pts = ax.scatter(w[on], trq[on], c=t[on] if color_by_time else "C0", s=14, cmap="viridis", alpha=0.8,
                     lw=0, label=f"operating points ({int(on.sum())} fuelled steps)", zorder=3)
    if color_by_time and on.any():
        ax.figure.colorbar(pts, ax=ax, label="time [s]", pad=0.01)
    ax.set_xlim(0.8 * e.idle_speed_rpm, max(e.max_speed_rpm, float(w.max()) if w.size else 0) * 1.03)
    ax.set_ylim(0, top)
    ax.set_xlabel("engine speed [rpm]")
    ax.set_ylabel("engine torque [N·m]")
    ax.set_title(f"Engine operating points over the brake-efficiency map [%]\n{_title(ds)}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_power_split(ds, ax=None):
    """Power-split speeds: engine (carrier), MG1 (sun), ring and MG2 in rpm against time (THS runs)."""
    ax = _new_axes(ax)
    for name in ("engine_speed", "mg1_speed", "mg2_speed"):
        if name not in ds:
            raise ValueError(f"{ds.attrs.get('vehicle', 'this run')}: no {name} (not a power-split run)")
    t = _time(ds)
    lines = [("engine_speed", "engine (carrier)", "C3", 1.2), ("mg1_speed", "MG1 (sun)", "C0", 0.9),
             ("ring_speed", "ring (to the wheels)", "0.4", 0.9), ("mg2_speed", "MG2", "C2", 0.9)]
    for name, label, color, lw in lines:
        if name in ds:
            ax.plot(t, _values(ds, name, "rpm"), color=color, lw=lw, label=label)
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("speed [rpm]")
    ax.set_xlim(t[0], t[-1])
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", ncols=2, fontsize=8)
    ax.set_title(f"Power-split speeds\n{_title(ds)}", fontsize=10)
    return ax


def plot_lever(ds, time_s: float, ax=None, *, vehicle=None):
    """Lever diagram of the power-split planetary at the instant nearest ``time_s``.

    The three vertical axes are sun (MG1), carrier (engine) and ring, spaced in the ratio
    sun–carrier : carrier–ring = Zr : Zs, so the speeds lie on one straight line (Willis:
    ω_s·Zs + ω_r·Zr = ω_c·(Zs + Zr)). Speeds in rpm; torques of the run printed beside each node.
    """
    v = _vehicle_of(ds, vehicle)
    if v.planetary is None:
        raise ValueError(f"{v.id}: no planetary gear set, no lever diagram")
    zs, zr = v.planetary.sun_teeth, v.planetary.ring_teeth
    t = _time(ds)
    k = int(np.argmin(np.abs(t - time_s)))
    speeds = [_values(ds, n, "rpm")[k] for n in ("mg1_speed", "engine_speed", "ring_speed")]
    torques = [ds[n].values[k] for n in ("mg1_torque", "engine_torque")] + [math.nan]
    x = [0.0, zr / (zs + zr), 1.0]
    ax = _new_axes(ax, figsize=(6.5, 5.5))
    ax.axhline(0.0, color="k", lw=0.6)
    ax.plot(x, speeds, color="C3", lw=2.0, marker="o", ms=7, label="speed line (Willis)")
    names = ("sun\nMG1", "carrier\nengine", "ring\nwheels, MG2")
    for xi, s_, tq in zip(x, speeds, torques, strict=True):
        ax.axvline(xi, color="0.6", lw=1.0)
        txt = f"{s_:.0f} rpm" + (f"\n{tq:.0f} N·m" if math.isfinite(tq) else "")
        ax.annotate(txt, (xi, s_), textcoords="offset points", xytext=(7, 4), fontsize=8,
                    bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1})
    ax.set_xticks(x, names, fontsize=8)
    ax.set_xlim(-0.15, 1.25)
    ax.set_ylabel("speed [rpm]")
    v_kmh = _values(ds, "speed", "km/h")[k]
    ax.set_title(f"Lever diagram at t = {t[k]:.0f} s ({v_kmh:.0f} km/h)\n{_title(ds)}", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_claims(rows, ax=None):
    """Claimed vs simulated for the rows of :func:`hybridsim.verify.verify`: one bar per claim.

    Mixed quantities (L/100 km, km, s) are put on one axis as the difference from the claim in %
    (0 inside a claimed range); each bar is labelled with both figures and the unit. Bars within
    ±``CLOSE_PCT`` % green, within ±``GAP_PCT`` % orange, beyond red (``hybridsim.verify``); a bar whose gap
    the claim's note explains is hatched and numbered, the notes listed below the chart (as in the table);
    claims with no simulated figure are listed as "n/a".
    """
    from matplotlib.patches import Patch

    from .verify import CLOSE_PCT, GAP_PCT, footnoted

    n = len(rows)
    ax = _new_axes(ax, figsize=(10.0, 0.42 * n + 2.6))
    labels, diffs, colors, notes, hatches, footnotes = [], [], [], [], [], {}
    for r in rows:
        label = f"{r.vehicle} · {r.label} ({r.procedure_text.replace(' (vs ', ' vs ').rstrip(')')})"
        d = r.difference_pct
        ok = math.isfinite(d)
        diffs.append(d if ok else 0.0)
        colors.append("0.8" if not ok else "C2" if abs(d) <= CLOSE_PCT else "C1" if abs(d) <= GAP_PCT else "C3")
        hatches.append("//" if ok and footnoted(r) else "")
        if ok and footnoted(r):
            k = footnotes.setdefault(f"{r.vehicle}, {r.label}: {r.note}", len(footnotes) + 1)
            label += f" [{k}]"
        labels.append(label)
        sim = f"{r.simulated:.3g}" if ok else "n/a"
        claim = f"{r.claimed_text} {r.unit}"
        notes.append(f"sim {sim} vs claim {claim}" if ok else f"n/a (claim {claim})")
    y = np.arange(n)[::-1]
    ax.axvspan(-CLOSE_PCT, CLOSE_PCT, color="C2", alpha=0.08, lw=0)
    bars = ax.barh(y, diffs, color=colors, height=0.6)
    for bar, hatch in zip(bars, hatches, strict=True):
        if hatch:
            bar.set_hatch(hatch)
            bar.set_edgecolor("0.2")
    # the dot marks a range or bound claim that the simulation satisfies, never a near-miss of a single value
    inside = [yi for yi, r in zip(y, rows, strict=True)
              if r.value is None and math.isfinite(r.difference_pct) and r.difference_pct == 0.0]
    ax.plot([0.0] * len(inside), inside, "o", color="C2", ms=6, zorder=3, label="inside the claimed range")
    ax.axvline(0.0, color="k", lw=0.8)
    handles = [Patch(color="C2", label=f"within ±{CLOSE_PCT:g} % (dot: inside the claimed range)"),
               Patch(color="C1", label=f"within ±{GAP_PCT:g} %"), Patch(color="C3", label=f"beyond ±{GAP_PCT:g} %"),
               Patch(color="0.8", label="no simulated figure")]
    if footnotes:
        handles.append(Patch(facecolor="w", edgecolor="0.2", hatch="//", label="gap explained in a note [n]"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.7 / (0.42 * n + 1.8)),
              ncols=3 if footnotes else len(handles), fontsize=7, frameon=False)
    for yi, d, note in zip(y, diffs, notes, strict=True):  # text right of the bar end or of zero
        ax.annotate(note, (max(d, 0.0), yi), textcoords="offset points", xytext=(5, 0), va="center", ha="left",
                    fontsize=8)
    if footnotes:
        text = "\n".join(f"[{k}] {note}" for note, k in footnotes.items())
        ax.annotate(text, (0.0, 0.0), xycoords="figure fraction", xytext=(6, 4), textcoords="offset points",
                    fontsize=7, va="bottom", ha="left", wrap=True)
    ax.set_yticks(y, labels, fontsize=8)
    # the axis spans the most negative and the most positive bar (at least ±2 × the orange band), with room
    # right of the largest for its label
    lo = min([*diffs, -2 * GAP_PCT]) * 1.1
    hi = max([*diffs, 2 * GAP_PCT]) * 1.1
    ax.set_xlim(lo, hi + 0.6 * (hi - lo))
    ax.set_xlabel(f"simulated − claimed [% of the claim]  (0 inside a claimed range; shaded band ±{CLOSE_PCT:g} %)")
    ax.set_title("Claimed vs simulated")
    ax.grid(axis="x", alpha=0.3)
    return ax


def _headline(ds) -> str:
    """The run's headline figures and conditions, for a figure title."""
    from .results import summarize

    s = summarize(ds)
    parts = []
    if s.get("fuel_l_per_100km", 0) > 0:
        parts.append(f"fuel {s['fuel_l_per_100km']:.2f} L/100 km")
    if "soc" in ds and abs(s.get("electricity_kwh_per_100km", 0.0)) > 0 and not s.get("charge_balanced"):
        parts.append(f"battery {s['electricity_kwh_per_100km']:.1f} kWh/100 km (DC)")
    if s.get("trace_miss_max_kmh", 0) > 2.0:
        parts.append(f"behind the trace by up to {s['trace_miss_max_kmh']:.1f} km/h")
    conditions = []
    if "engine_speed" in ds:  # an engine: cold or hot start
        conditions.append(f"cold start at {s['ambient_temp_c']:g} °C" if s.get("cold_start") else "hot start")
    if "soc" in ds:
        conditions.append("charge-balanced" if s.get("charge_balanced") else
                          f"not charge-balanced, SOC {s['soc_start']:.2f} → {s['soc_end']:.2f}")
    return "; ".join(parts) + ("\n" if parts else "") + ", ".join(conditions)


def plot_run(ds, path=None):
    """Speed, power and engine speed (motor speeds for a run without an engine) in rows sharing the time
    axis, the engaged gear on a twin axis of the third, and the battery's state of charge in a fourth row
    for every vehicle with a battery; the title gives the headline figures and the run conditions (cold or
    hot start, charge-balanced or not), dotted lines the cycle's phase boundaries. Saved to ``path``
    (dpi 120). Returns the :class:`matplotlib.figure.Figure`.
    """
    from matplotlib.figure import Figure

    rows = 4 if "soc" in ds else 3
    fig = Figure(figsize=(11.0, 9.0 if rows == 3 else 11.5), layout="tight")
    axes = fig.subplots(rows, 1, sharex=True)
    plot_speed(ds, axes[0])
    plot_power(ds, axes[1])
    if "engine_speed" in ds:
        plot_engine_speed(ds, axes[2])
    else:
        plot_motor_speed(ds, axes[2])
    _phase_boundaries(ds, axes[2])
    if rows == 4:
        plot_soc(ds, axes[3])
        axes[3].set_title("")
    axes[0].set_title(f"{_title(ds)}\n{_headline(ds)}", fontsize=10, pad=12)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def plot_machine_map_error(motor, map_file, column: str = "eff", ax=None, *, speed_min_rpm: float = 0.0):
    """Efficiency of a machine's loss model minus a measured efficiency map, at every measured cell inside
    the map's torque envelope (column ``within_envelope`` where the file has it), in percentage points.

    ``motor`` is a :class:`hybridsim.components.motor.Motor`; the map is read like ``loss_map_file``
    (speed, torque and an efficiency column, motoring quadrant). Returns the Axes.
    """
    from .components.engine import RPM
    from .components.engine_maps import _read_table
    from .core.electric import motor_loss_w

    tab = _read_table(str(map_file), ())
    sc = next(c for c in ("speed_rpm", "speed_rpm_abs") if c in tab)
    tc = next(c for c in ("torque_nm", "torque_nm_abs") if c in tab)
    sel = (tab[sc] > speed_min_rpm) & (tab[tc] > 0)
    if "within_envelope" in tab:
        sel &= tab["within_envelope"] == 1
    n, t, eta = tab[sc][sel], tab[tc][sel], tab[column][sel]
    k = motor.to_kernel()
    loss = np.array([motor_loss_w(k, ti, ni * RPM) for ti, ni in zip(t, n, strict=True)])
    p = t * n * RPM
    err = (p / (p + loss) - eta) * 100.0
    ax = _new_axes(ax, figsize=(6.5, 4.0))
    lim = max(2.0, float(np.abs(err).max()))
    sc_ = ax.scatter(n, t, c=err, cmap="RdBu_r", vmin=-lim, vmax=lim, s=40, edgecolors="k", linewidths=0.3)
    ax.figure.colorbar(sc_, ax=ax, label="model − map efficiency [points]")
    ax.axhline(0.1 * motor.peak_torque_nm, color="0.4", lw=0.8, ls="--", label="10 % of peak torque")
    rms = float(np.sqrt(np.mean(err**2)))
    ax.set_title(f"{Path(str(map_file)).name}: rms {rms:.2f}, max |Δη| {np.abs(err).max():.2f} points", fontsize=9)
    ax.set_xlabel("speed [rpm]")
    ax.set_ylabel("torque [N·m]")
    ax.legend(loc="upper right", fontsize=8)
    return ax
