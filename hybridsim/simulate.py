"""``simulate(vehicle, cycle)``: the one entry point from data to a result Dataset.

Vehicle and cycle are checked here, at the boundary; the numba kernel of the vehicle's architecture
runs on plain arrays and NamedTuples (``to_kernel``), and its outputs become an ``xarray.Dataset``
with units on every variable (``results.py``).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import xarray as xr

from .cycles import Cycle
from .errors import TraceMissWarning
from .powertrains import RUNNERS, STRATEGIES
from .results import describe_run, summary_dataset, to_dataset
from .vehicle import Vehicle


def simulate(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool = False, ambient_temp_c: float = 23.0,
             soc_init: float | None = None, soc_balance: bool = True, record: bool = True,
             strategy: str | None = None) -> xr.Dataset:
    """Simulate ``vehicle`` over ``cycle``; return the time series (or, ``record=False``, the summary) as a Dataset.

    Parameters
    ----------
    vehicle : from :func:`hybridsim.load_vehicle` / :func:`hybridsim.read_vehicle`.
    cycle : from :func:`hybridsim.load_cycle` / :func:`hybridsim.read_cycle`.
    cold_start : start with the engine at ``ambient_temp_c`` (type-approval tests: WLTP 23 °C, NEDC
        20–30 °C); every architecture with an engine (warm-up model of ``core/thermal.py``), not ``bev``.
    ambient_temp_c : soak temperature for a cold start. [°C]
    soc_init : initial state of charge (hybrids); default the controller's target.
    soc_balance : report a charge-balanced result (hybrids): the initial SOC is iterated until the net
        battery energy is within 0.1 % of the fuel energy, else fuel is interpolated to zero net battery
        energy; raw and corrected figures are both in :func:`summarize`.
    record : keep the time series (default). ``record=False`` returns the summary-level Dataset: scalar
        variables with units holding the numbers of :func:`summarize` (distance, fuel, L/100 km,
        electricity, SOC start/end, energy-balance error, trace miss, ``energy_<flow>`` in kWh), no
        ``time`` dimension (for sweeps: see :mod:`hybridsim.batch`).
    strategy : energy management, ``"rule_based"``, ``"ecms"`` or ``"dp"`` (:func:`hybridsim.optimal`: the
        minimum-fuel decisions over the whole cycle, final SOC = initial SOC; ``soc_balance`` does not apply);
        default the vehicle's ``[controller] strategy``. Which an architecture offers:
        ``hybridsim.powertrains.STRATEGIES``.

    Returns
    -------
    Dataset on ``time`` with every variable's ``units`` and ``long_name``; :func:`summarize` turns it
    into headline figures. A vehicle that cannot follow the trace falls behind (``trace_miss``). A cycle
    whose steps are not all 1 s is run (and reported) on a uniform ~1 s grid: see :func:`kernel_cycle`;
    the summary's ``time_base`` says which grid was used. An empty battery is a limit: the SOC never leaves
    its window; the accessory load it can no longer feed is cut (``accessory_cut_s`` in the summary).
    """
    out, attrs = _run_case(vehicle, cycle, cold_start=cold_start, ambient_temp_c=ambient_temp_c,
                           soc_init=soc_init, soc_balance=soc_balance, strategy=strategy)
    kc = kernel_cycle(cycle, vehicle.architecture)[0]
    _warn_trace_miss(vehicle, kc, out)
    ds = summary_dataset(kc, out, attrs) if not record else to_dataset(kc, out, attrs)
    ds.attrs["history"] = _history(vehicle, cycle, cold_start=cold_start, ambient_temp_c=ambient_temp_c,
                                   soc_init=soc_init, soc_balance=soc_balance, record=record,
                                   strategy=attrs["energy_management"])
    return ds


#: A shortfall beyond this is warned about (:class:`hybridsim.errors.TraceMissWarning`). [km/h]
TRACE_MISS_WARN_KMH = 2.0


def _warn_trace_miss(vehicle: Vehicle, cycle: Cycle, out) -> None:
    """Warn when the vehicle fell behind the trace by more than :data:`TRACE_MISS_WARN_KMH`."""
    import warnings

    import numpy as np

    from .units import KMH_PER_MPS

    miss_kmh = float(np.max(out.trace_miss_mps, initial=0.0)) * KMH_PER_MPS
    if miss_kmh > TRACE_MISS_WARN_KMH:
        steps = int(np.count_nonzero(np.asarray(out.trace_miss_mps) * KMH_PER_MPS > TRACE_MISS_WARN_KMH))
        warnings.warn(f"{vehicle.id} on {cycle.name}: the vehicle fell behind the trace by up to {miss_kmh:.1f} km/h "
                      f"({steps} samples beyond {TRACE_MISS_WARN_KMH:g} km/h); the figures are those of the speed it "
                      "could drive, not of the cycle (summarize(ds)['trace_miss_max_kmh'])",
                      TraceMissWarning, stacklevel=3)


def _history(vehicle: Vehicle, cycle: Cycle, **kwargs) -> str:
    """CF ``history``: when and by which call the result was made."""
    import datetime

    from . import __version__

    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"{stamp} hybridsim {__version__}: simulate({vehicle.id!r}, {cycle.name!r}, {args})"


#: Kernel time step. [s] Every kernel runs on a uniform grid of steps as close to this as the duration allows.
KERNEL_STEP_S = 1.0


@functools.lru_cache(maxsize=64)
def kernel_cycle(cycle: Cycle, architecture: str) -> tuple[Cycle, str]:
    """The cycle on the time base the kernels run on, and a note for the summary (``time_base``).

    The kernels step a rule-based controller once per time step: engine speeds set afresh on the operating
    line (THS-II: rotor inertia torques J·Δω/Δt and the MG1 reaction that follow), gear and engine on/off
    timers and hysteresis, engine start and shift energies spread over steps, trace-miss searches per
    step. Those make the answer depend on the step size (WLTC at 10 Hz gave a THS-II 807 L/100 km, an
    uneven P2 run started its engine where the 1 Hz run did not). So a cycle whose steps are not all
    1 s is interpolated (piecewise linear, as the trace is read; phases kept) onto a uniform grid of
    ``ceil(duration / 1 s)`` equal steps: a 10 Hz, a 1 Hz and an uneven sampling of the same trace give the
    same answer, and a coarse input (steps > 1 s) is run in steps of 1 s, so a trace miss inside a long
    step shows. The result is reported on that grid. ``architecture`` is part of the cache key only.
    """
    t = cycle.time_s
    dt = np.diff(t)
    if np.all(np.abs(dt - KERNEL_STEP_S) <= 1e-9):
        return cycle, "as given"
    n = max(1, math.ceil((t[-1] - t[0]) / KERNEL_STEP_S * (1 - 1e-12)))
    grid = np.linspace(t[0], t[-1], n + 1)
    kind = "interpolated" if dt.max() > KERNEL_STEP_S else "resampled"
    note = (f"{kind} to a uniform {(t[-1] - t[0]) / n:.6g} s grid (input steps {dt.min():.6g} to "
            f"{dt.max():.6g} s)")
    kc = Cycle(name=cycle.name, time_s=grid, speed_mps=np.interp(grid, t, cycle.speed_mps),
               grade=np.interp(grid, t, cycle.grade), phases=cycle.phases, source=cycle.source)
    return kc, note


def _run_case(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool = False, ambient_temp_c: float = 23.0,
              soc_init: float | None = None, soc_balance: bool = True, strategy: str | None = None,
              dp_options: dict | None = None):
    """Check the arguments and run the architecture's kernel: (kernel output NamedTuple, attrs).
    Shared by :func:`simulate` and :mod:`hybridsim.batch` (so a batch case is the same computation)."""
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")
    if not isinstance(cycle, Cycle):
        raise TypeError(f"cycle must be a hybridsim Cycle, got {type(cycle).__name__}")
    if vehicle.battery is not None:
        b = vehicle.battery
        if soc_init is not None and not (b.soc_min <= soc_init <= b.soc_max):
            raise ValueError(f"soc_init (--soc) = {soc_init}: out of range for vehicle {vehicle.id!r}, allowed "
                             f"{b.soc_min} to {b.soc_max} (its battery's SOC window)")
    elif soc_init is not None:
        raise ValueError(f"soc_init = {soc_init}: architecture {vehicle.architecture!r} has no battery "
                         "(allowed: None)")
    if not (isinstance(ambient_temp_c, int | float) and -40.0 <= ambient_temp_c <= 60.0):
        raise ValueError(f"ambient_temp_c = {ambient_temp_c!r}: out of range, allowed -40 to 60")
    if soc_init is not None and not (isinstance(soc_init, int | float) and math.isfinite(soc_init)):
        raise ValueError(f"soc_init = {soc_init!r}: must be a finite number in the battery's SOC window")
    allowed = STRATEGIES[vehicle.architecture]
    if strategy is None:
        strategy = getattr(vehicle.controller, "strategy", "rule_based")
    if strategy not in allowed:
        raise ValueError(f"strategy = {strategy!r}: not available for architecture {vehicle.architecture!r} "
                         f"(vehicle {vehicle.id!r}), allowed: {', '.join(allowed)}")
    if strategy == "dp" and cold_start:
        raise ValueError("strategy = 'dp' with cold_start=True: the dynamic-programming optimum is for a warm "
                         "engine (its state is the SOC only), allowed: cold_start=False")
    kw = {} if len(allowed) == 1 else {"strategy": strategy}
    if dp_options is not None:
        kw["dp_options"] = dp_options
    kc, note = kernel_cycle(cycle, vehicle.architecture)
    out, attrs = RUNNERS[vehicle.architecture](vehicle, kc, cold_start=bool(cold_start),
                                               ambient_temp_c=float(ambient_temp_c), soc_init=soc_init,
                                               soc_balance=bool(soc_balance), **kw)
    describe_run(vehicle, kc, out, attrs, cold_start=bool(cold_start), ambient_temp_c=float(ambient_temp_c),
                 soc_init=soc_init)
    attrs["time_base"] = note
    attrs["energy_management"] = strategy
    return out, attrs


def optimal(vehicle: Vehicle, cycle: Cycle, *, soc_grid=None, power_points: int = 12, soc_init: float | None = None,
            record: bool = True) -> xr.Dataset:
    """The least fuel any controller of ``vehicle`` could burn over ``cycle``: dynamic programming (``core/ths_dp.py``).

    Backward induction over a uniform SOC grid × the previous engine mode, on the same plant step as
    :func:`simulate`, with the final SOC held at the initial one; then a forward pass on the exact plant that
    returns the same Dataset as :func:`simulate` (``strategy="dp"`` there is the same computation with the
    defaults). Charge-sustaining hybrids (``hybridsim.powertrains.STRATEGIES``), warm engine.

    Parameters
    ----------
    soc_grid : number of evenly spaced SOC points over the battery's SOC window (default 201), or the grid itself
        (evenly spaced, within the window). The fuel converges as the grid is refined. P2: over the
        charge-sustaining band, ``battery.soc_min`` to ``soc_cs_enter + cd_resume_band`` (``core/p2_dp.py``).
    power_points : engine powers per step on the optimal operating line (besides engine off and spun); P2: engine
        torque levels j/N·WOT per gear (besides engine off and fuel cut).
    soc_init : initial (= final) SOC; default the controller's target.

    Returns
    -------
    Dataset as :func:`simulate`; attrs ``dp_fuel_kg`` (forward pass), ``dp_cost_to_go_kg`` (the backward
    pass's value at the start), ``soc_balance_fuel_kg`` (fuel corrected to zero net battery energy with the
    DP's own marginal value of SOC), ``dp_fallback_steps`` (steps where no decision was feasible: trace miss).
    """
    out, attrs = _run_case(vehicle, cycle, soc_init=soc_init, strategy="dp",
                           dp_options={"soc_grid": soc_grid, "power_points": power_points})
    kc = kernel_cycle(cycle, vehicle.architecture)[0]
    if not record:
        return summary_dataset(kc, out, attrs)
    return to_dataset(kc, out, attrs)
