"""``simulate(vehicle, cycle)``: the one entry point from data to a result Dataset.

Vehicle and cycle are checked here, at the boundary; the numba kernel of the vehicle's architecture
runs on plain arrays and NamedTuples (``to_kernel``), and its outputs become an ``xarray.Dataset``
with units on every variable (``results.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping

import numpy as np
import xarray as xr

from .architectures import STATE_FIELDS
from .architectures import get as _architecture
from .cycles import Cycle
from .errors import TraceMissWarning
from .results import describe_run, summary_dataset, to_dataset
from .vehicle import Vehicle


@dataclasses.dataclass(frozen=True)
class InitialState:
    """The state a run starts from; every field optional (None: the architecture's default).

    Which fields an architecture takes is its registry entry's ``initial_state``
    (:mod:`hybridsim.architectures`): ``soc`` every architecture with a battery, ``coolant_c`` every one with an
    engine, ``charge_sustaining`` the plug-in hybrids. A test procedure that chains cycles hands the end of one
    run to the next this way (the SOC, a coolant still warming up, the plug-in controller's mode).

    Attributes
    ----------
    soc : battery state of charge. [-] Default: the controller's target (charge-sustaining hybrids), full
        charge ``battery.soc_max`` (plug-ins, BEVs). The same as ``simulate(soc_init=…)``.
    coolant_c : engine coolant temperature at the start; the warm-up model runs from it (the engine is hot
        once the coolant reaches ``engine.hot_coolant_c``). [°C] Default: a hot engine, or with
        ``cold_start=True`` the soak temperature ``ambient_temp_c``. Allowed −40 °C to ``engine.hot_coolant_c``.
    charge_sustaining : the plug-in controller's mode at the start: True charge-sustaining, False
        charge-depleting; default by the SOC (``powertrains/p2.py``).
    """

    soc: float | None = None
    coolant_c: float | None = None
    charge_sustaining: bool | None = None

    @classmethod
    def of(cls, state) -> InitialState:
        """``state`` as an InitialState (from None, an InitialState or a mapping of its fields)."""
        if state is None:
            return cls()
        if isinstance(state, cls):
            return state
        if isinstance(state, Mapping):
            bad = [k for k in state if k not in STATE_FIELDS]
            if bad:
                raise ValueError(f"initial_state = {dict(state)!r}: unknown field(s) {', '.join(map(str, bad))}; "
                                 f"allowed {', '.join(STATE_FIELDS)}")
            return cls(**state)
        raise TypeError(f"initial_state must be an InitialState, a mapping or None, got {type(state).__name__}")

    def given(self) -> dict:
        """The fields that are set (not None)."""
        return {f: getattr(self, f) for f in STATE_FIELDS if getattr(self, f) is not None}


def simulate(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool = False, ambient_temp_c: float = 23.0,
             soc_init: float | None = None, soc_balance: bool | str = True, record: bool = True,
             strategy: str | None = None, initial_state: InitialState | Mapping | None = None) -> xr.Dataset:
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
        energy; raw and corrected figures are both in :func:`summarize`. ``"exact"`` is the same as True;
        ``"linear"`` (THS-II, P2 and series-parallel full hybrids, rules or ECMS) runs once and corrects the fuel
        to zero net battery energy along the vehicle's fuel-vs-battery-energy line (the WLTP RCB / SAE J1711
        linear correction; the line measured once per vehicle and cycle, and once per sweep on its base
        vehicle): the result's ``soc_balance_method`` says which was used, ``soc_balance_linear_error`` that
        correction's error against the exact balance on the vehicle the line was measured on.
    record : keep the time series (default). ``record=False`` returns the summary-level Dataset: scalar
        variables with units holding the numbers of :func:`summarize` (distance, fuel, L/100 km,
        electricity, SOC start/end, energy-balance error, trace miss, ``energy_<flow>`` in kWh), no
        ``time`` dimension (for sweeps: see :mod:`hybridsim.batch`).
    strategy : energy management, ``"rule_based"``, ``"ecms"`` or ``"dp"`` (:func:`hybridsim.optimal`: the
        minimum-fuel decisions over the whole cycle, final SOC = initial SOC; ``soc_balance`` does not apply);
        default the vehicle's ``[controller] strategy``. Which an architecture offers:
        ``hybridsim.powertrains.STRATEGIES``.
    initial_state : the state the run starts from, an :class:`InitialState` or a mapping of its fields
        (``{"soc": 0.3, "coolant_c": 61.0, "charge_sustaining": True}``); only the fields the vehicle's
        architecture takes. ``soc`` is ``soc_init`` (give one of them); ``coolant_c`` starts the warm-up model
        at that coolant temperature (give it or ``cold_start``, not both).

    Returns
    -------
    Dataset on ``time`` with every variable's ``units`` and ``long_name``; :func:`summarize` turns it
    into headline figures. A vehicle that cannot follow the trace falls behind (``trace_miss``). A cycle
    whose steps are not all 1 s is run (and reported) on a uniform ~1 s grid: see :func:`kernel_cycle`;
    the summary's ``time_base`` says which grid was used. An empty battery is a limit: the SOC never leaves
    its window; the accessory load it can no longer feed is cut (``accessory_cut_s`` in the summary).
    """
    out, attrs = _run_case(vehicle, cycle, cold_start=cold_start, ambient_temp_c=ambient_temp_c,
                           soc_init=soc_init, soc_balance=soc_balance, strategy=strategy, initial_state=initial_state)
    kc = kernel_cycle(cycle, vehicle.architecture)[0]
    _warn_trace_miss(vehicle, kc, out.trace_miss_mps)
    ds = summary_dataset(kc, out, attrs) if not record else to_dataset(kc, out, attrs)
    ds.attrs["history"] = _history(vehicle, cycle, cold_start=cold_start, ambient_temp_c=ambient_temp_c,
                                   soc_init=soc_init, soc_balance=soc_balance, record=record,
                                   strategy=attrs["energy_management"],
                                   **({"initial_state": InitialState.of(initial_state)} if initial_state else {}))
    return ds


#: A shortfall beyond this is warned about (:class:`hybridsim.errors.TraceMissWarning`). [km/h]
TRACE_MISS_WARN_KMH = 2.0


def _warn_trace_miss(vehicle: Vehicle, cycle: Cycle, trace_miss_mps) -> None:
    """Warn when the vehicle fell behind the trace (``trace_miss_mps``, per sample) by more than
    :data:`TRACE_MISS_WARN_KMH`."""
    import warnings

    import numpy as np

    from .units import KMH_PER_MPS

    miss_kmh = float(np.max(trace_miss_mps, initial=0.0)) * KMH_PER_MPS
    if miss_kmh > TRACE_MISS_WARN_KMH:
        steps = int(np.count_nonzero(np.asarray(trace_miss_mps) * KMH_PER_MPS > TRACE_MISS_WARN_KMH))
        warnings.warn(f"{vehicle.id} on {cycle.name}: the vehicle fell behind the trace by up to {miss_kmh:.1f} km/h "
                      f"({steps} samples beyond {TRACE_MISS_WARN_KMH:g} km/h); the figures are those of the speed it "
                      "could drive, not of the cycle (summarize(ds)['trace_miss_max_kmh'])",
                      TraceMissWarning, stacklevel=3)


def _history(vehicle: Vehicle, cycle: Cycle, **kwargs) -> str:
    """CF ``history``: when and by which call the result was made."""
    import datetime

    from ._version import __version__

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


def _initial_state(vehicle: Vehicle, state, soc_init, cold_start: bool) -> tuple[dict, float | None, float | None]:
    """Check ``state`` against the vehicle's architecture: (runner keywords beyond the common ones, soc_init,
    initial coolant temperature or None)."""
    arch = _architecture(vehicle.architecture)
    given = InitialState.of(state).given()
    bad = [f for f in given if f not in arch.initial_state]
    if bad:
        raise ValueError(f"initial_state.{bad[0]} = {given[bad[0]]!r}: architecture {arch.name!r} (vehicle "
                         f"{vehicle.id!r}) does not take it, allowed: {', '.join(arch.initial_state) or 'none'}")
    kw = {}
    if "soc" in given:
        if soc_init is not None and soc_init != given["soc"]:
            raise ValueError(f"initial_state.soc = {given['soc']!r} and soc_init = {soc_init!r}: give one of them")
        soc_init = given["soc"]
    coolant = given.get("coolant_c")
    if coolant is not None:
        if cold_start:
            raise ValueError(f"initial_state.coolant_c = {coolant!r} with cold_start=True: give one of them (a cold "
                             "start soaks the coolant at ambient_temp_c)")
        hot = vehicle.engine.hot_coolant_c
        if not (isinstance(coolant, int | float) and -40.0 <= coolant <= hot):
            raise ValueError(f"initial_state.coolant_c = {coolant!r}: out of range, allowed -40 to {hot:g} degC "
                             f"(engine.hot_coolant_c of vehicle {vehicle.id!r})")
        coolant = float(coolant)
    if "charge_sustaining" in given:
        cs = given["charge_sustaining"]
        if not isinstance(cs, bool | np.bool_):
            raise ValueError(f"initial_state.charge_sustaining = {cs!r}: allowed True, False or None")
        kw["charge_sustaining"] = bool(cs)
    return kw, soc_init, coolant


def _run_case(vehicle: Vehicle, cycle: Cycle, *, cold_start: bool = False, ambient_temp_c: float = 23.0,
              soc_init: float | None = None, soc_balance: bool | str = True, strategy: str | None = None,
              dp_options: dict | None = None, initial_state=None, balance_ref=None):
    """Check the arguments and run the architecture's kernel: (kernel output NamedTuple, attrs).
    Shared by :func:`simulate` and :mod:`hybridsim.batch` (so a batch case is the same computation)."""
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")
    if not isinstance(cycle, Cycle):
        raise TypeError(f"cycle must be a hybridsim Cycle, got {type(cycle).__name__}")
    arch = _architecture(vehicle.architecture)
    state_kw, soc_init, coolant_c = _initial_state(vehicle, initial_state, soc_init, cold_start)
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
    allowed = arch.strategies
    if strategy is None:
        strategy = getattr(vehicle.controller, "strategy", "rule_based")
    if strategy not in allowed:
        raise ValueError(f"strategy = {strategy!r}: not available for architecture {vehicle.architecture!r} "
                         f"(vehicle {vehicle.id!r}), allowed: {', '.join(allowed)}")
    if strategy == "dp" and (cold_start or coolant_c is not None):
        raise ValueError("strategy = 'dp' with cold_start=True: the dynamic-programming optimum is for a warm "
                         "engine (its state is the SOC only), allowed: cold_start=False")
    kw = {} if len(allowed) == 1 else {"strategy": strategy}
    if dp_options is not None:
        kw["dp_options"] = dp_options
    if soc_balance not in (True, False, "exact", "linear") or isinstance(soc_balance, int | float) and not \
            isinstance(soc_balance, bool):
        raise ValueError(f"soc_balance = {soc_balance!r}: allowed True, False, 'exact' or 'linear'")
    if soc_balance == "linear":
        if _architecture(vehicle.architecture).balance_reference is None or strategy == "dp" \
                or getattr(vehicle, "plugin", False):
            raise ValueError(f"soc_balance = 'linear': only for charge-sustaining hybrids with a balance line "
                             f"(THS-II, P2 and series-parallel full hybrids, strategies rule_based, ecms), not "
                             f"vehicle {vehicle.id!r} (architecture {vehicle.architecture!r}"
                             f"{', a plug-in' if getattr(vehicle, 'plugin', False) else ''}) with strategy "
                             f"{strategy!r}; allowed here: True/'exact' or False")
        kw["balance_method"] = "linear"
        if balance_ref is not None:
            kw["balance_ref"] = balance_ref
    kw.update(state_kw)
    kc, note = kernel_cycle(cycle, vehicle.architecture)
    # the warm-up model starts its coolant at the runner's ``ambient_temp_c`` when ``cold_start`` is set
    # (core/thermal.py: ThermalK.initial_c); an initial coolant temperature is that start
    warm = coolant_c is not None
    out, attrs = arch.run(vehicle, kc, cold_start=bool(cold_start) or warm,
                          ambient_temp_c=coolant_c if warm else float(ambient_temp_c), soc_init=soc_init,
                          soc_balance=bool(soc_balance), **kw)
    describe_run(vehicle, kc, out, attrs, cold_start=bool(cold_start) or warm, ambient_temp_c=float(ambient_temp_c),
                 soc_init=soc_init, coolant_init_c=coolant_c)
    attrs["time_base"] = note
    attrs["energy_management"] = strategy
    return out, attrs


def optimal(vehicle: Vehicle, cycle: Cycle, *, soc_grid=None, power_points: int | None = None,
            soc_init: float | None = None, record: bool = True) -> xr.Dataset:
    """The least fuel any controller of ``vehicle`` could burn over ``cycle``: dynamic programming (``core/ths_dp.py``,
    ``core/p2_dp.py``, ``core/series_parallel_dp.py``, ``core/ths_plugin_dp.py``).

    Backward induction over a uniform SOC grid × the previous engine mode, on the same plant step as
    :func:`simulate`, with the final SOC held at the initial one; then a forward pass on the exact plant that
    returns the same Dataset as :func:`simulate` (``strategy="dp"`` there is the same computation with the
    defaults). Charge-sustaining hybrids (``hybridsim.powertrains.STRATEGIES``), warm engine.

    Parameters
    ----------
    soc_grid : number of evenly spaced SOC points over the battery's SOC window (default 201), or the grid itself
        (evenly spaced, within the window). The fuel converges as the grid is refined. P2: over the
        charge-sustaining band, ``battery.soc_min`` to ``soc_cs_enter + cd_resume_band`` (``core/p2_dp.py``); the
        THS-II plug-in likewise (``core/ths_plugin_dp.py``, charge-sustaining operation).
    power_points : engine powers per step on the optimal operating line (besides engine off and spun; default 12);
        P2: engine torque levels j/N·WOT per gear (besides engine off and fuel cut; default 12); series-parallel:
        series powers on the operating line and engine-drive torque levels j/N·WOT (besides EV; default 10,
        ``core/series_parallel_dp.py``); THS-II plug-in: as THS-II, each engine power with three rear-axle forces
        when it has a rear motor (E-Four).
    soc_init : initial (= final) SOC; default the controller's target.

    Returns
    -------
    Dataset as :func:`simulate`; attrs ``dp_fuel_kg`` (forward pass), ``dp_cost_to_go_kg`` (the backward
    pass's value at the start), ``soc_balance_fuel_kg`` (fuel corrected to zero net battery energy with the
    DP's own marginal value of SOC), ``dp_fallback_steps`` (steps where no decision was feasible: trace miss).
    """
    opts = {"soc_grid": soc_grid} if power_points is None else {"soc_grid": soc_grid, "power_points": power_points}
    out, attrs = _run_case(vehicle, cycle, soc_init=soc_init, strategy="dp", dp_options=opts)
    kc = kernel_cycle(cycle, vehicle.architecture)[0]
    if not record:
        return summary_dataset(kc, out, attrs)
    return to_dataset(kc, out, attrs)


def recharge(vehicle: Vehicle, soc_from: float, soc_to: float | None = None, *,
             dt_s: float = 60.0) -> tuple[float, float]:
    """(battery terminal energy, wall energy) to recharge ``vehicle`` from ``soc_from`` to ``soc_to`` (default its
    ``battery.soc_max``) at its on-board charger (``drive.ac_charging_power_kw``, ``drive.charger_efficiency``):
    constant terminal power, the battery by its Rint step (``powertrains/_common.recharge_energy_j``). [J]"""
    if not isinstance(vehicle, Vehicle):
        raise TypeError(f"vehicle must be a hybridsim Vehicle, got {type(vehicle).__name__}")
    if vehicle.battery is None or vehicle.drive is None:
        raise ValueError(f"vehicle {vehicle.id!r} (architecture {vehicle.architecture!r}): no traction battery with an "
                         "on-board charger ([drive] ac_charging_power_kw), allowed: a battery-electric vehicle")
    b = vehicle.battery
    for name, x in (("soc_from", soc_from), ("soc_to", soc_to)):
        if x is not None and not (isinstance(x, int | float) and b.soc_min <= x <= b.soc_max):
            raise ValueError(f"{name} = {x!r}: out of range for vehicle {vehicle.id!r}, allowed {b.soc_min} to "
                             f"{b.soc_max} (its battery's SOC window)")
    from .powertrains._common import recharge_energy_j

    return recharge_energy_j(vehicle, soc_from, soc_to, dt_s=dt_s)
