"""SAE J2951 drive-quality metrics between the scheduled (target) and the achieved (driven) speed trace.

SAE J2951 (JAN2014, "Drive Quality Evaluation for Chassis Dynamometer Testing") rates how a test was
driven with energy-based metrics that compare the driven trace D with the target trace T (S for the
metric names and what each captures: SAE J2951 JAN2014 foreword and rationale, as shown on
mydoc123.com d-1027722; tnlab.org "A Guide to SAE J2951"; the six indices ER, DR, EER, ASCR, IWR,
RMSSE as used in WLTP-06-16e, JARI 2014, "Study on Applicability of Driving Index (defined in SAE J2951)
to WLTC", and in 汽车实用技术/新能源 2024(3), "基于 SAE J2951 的试验驾驶质量评价"). The formulas below are
J2951's as recalled (M: the SAE text was not readable offline); each is the plain reading of its name.

For samples k = 0..n−1 at times t_k with speed v_k (m/s) and road grade θ_k:

* acceleration ``a_k = (v_{k+1} − v_{k−1}) / (t_{k+1} − t_{k−1})`` (central difference; one-sided at
  the ends);
* distance of step k ``d_k = (v_k + v_{k−1})/2 · (t_k − t_{k−1})`` (trapezoid, k ≥ 1);
* road-load and inertial force ``F_k = f0·cosθ + f1·v + f2·v² + m·g·sinθ + m_eff·a_k`` with the mean
  speed of the step, and the inertial part ``F_I,k = m_eff·a_k``;
* cycle energy ``CE = Σ max(F_k, 0)·d_k`` (positive work only), inertial work ``IWT = Σ max(F_I,k, 0)·d_k``,
  distance ``D = Σ d_k``, absolute speed change ``ASC = Σ |a_k|·(t_k − t_{k−1})``.

The ratings, in %: ``ER = (CE_D − CE_T)/CE_T``, ``DR = (D_D − D_T)/D_T``, ``EER = 1 − (DR + 1)/(ER + 1)``
(energy per distance of the drive relative to the target), ``ASCR = (ASC_D − ASC_T)/ASC_T``,
``IWR = (IWT_D − IWT_T)/IWT_T``, and ``RMSSE = sqrt(mean((v_D − v_T)²))`` in km/h.

The sums run in one compiled, GIL-free call (``core/summary.j2951_sums``), like the rest of a summary.

Choices (E): the simulation runs at the cycle's own resolution (1 Hz for the shipped cycles; J2951 asks
for 10 Hz data, which matters for a measured trace, not for one computed at the schedule's own samples);
the mass is the simulated vehicle's effective mass including the wheels' rotational inertia (J2951 uses
the dynamometer inertia with a rotating-mass allowance, M): IWR does not depend on it (the mass cancels in
the ratio), ER only through the weight of inertia against road load; grade (zero on the dynamometer
cycles) is part of the road load so a graded trace is rated consistently.

Tolerances (:data:`TOLERANCES`): WLTP — IWR within −2.0 … +4.0 % and RMSSE below 0.8 km/h (S: WLTP-18-06e,
JARI for Japan at the 18th WLTP IWG, April 2017, "Study on Drive Trace Index — proposal of applicable
drive trace indexes and criteria": RMSSE < 0.8 km/h, IWR −2.0 … +4.0 %; the GTR 15 text as adopted was not
read offline, M). No other regulation here publishes limits for these indices; :func:`check` applies the
WLTP ones to any run unless told otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .units import KMH_PER_MPS

__all__ = ["METRICS", "TOLERANCES", "Tolerance", "check", "check_all", "j2951", "j2951_from_arrays"]

#: Summary keys of the six metrics (all in %, RMSSE in km/h).
METRICS = ("j2951_er_pct", "j2951_dr_pct", "j2951_eer_pct", "j2951_ascr_pct", "j2951_iwr_pct", "j2951_rmsse_kmh")


@dataclass(frozen=True)
class Tolerance:
    """Allowed band of a drive-quality metric (None: no limit on that side) and where it comes from."""

    metric: str
    low: float | None
    high: float | None
    source: str

    def violated(self, value: float) -> bool:
        """True if ``value`` is outside the band (NaN: not violated, nothing to rate)."""
        if not math.isfinite(value):
            return False
        return (self.low is not None and value < self.low) or (self.high is not None and value > self.high)


_WLTP_SRC = "WLTP-18-06e (JARI, 18th WLTP IWG, 2017): proposed drive-trace criteria"
#: Drive-quality tolerances by procedure.
TOLERANCES: dict[str, tuple[Tolerance, ...]] = {
    "wltp": (
        Tolerance("j2951_iwr_pct", -2.0, 4.0, _WLTP_SRC),
        Tolerance("j2951_rmsse_kmh", None, 0.8, _WLTP_SRC),
    ),
}


def _rel_pct(x: float, ref: float) -> float:
    return (x - ref) / ref * 100.0 if ref != 0 else (0.0 if x == ref else math.nan)


def j2951_from_arrays(time_s, speed_target_mps, speed_driven_mps, *, road_load_n: tuple[float, float, float],
                      mass_kg: float, mass_eff_kg: float | None = None, grade=None) -> dict[str, float]:
    """The six SAE J2951 metrics of a driven trace against its target (module docstring).

    Parameters
    ----------
    time_s : array_like
        Sample times, s (strictly increasing; both traces on this time base).
    speed_target_mps, speed_driven_mps : array_like
        Scheduled and achieved speed, m/s.
    road_load_n : (f0, f1, f2)
        Road-load coefficients in SI: N, N/(m/s), N/(m/s)².
    mass_kg : float
        Vehicle (test) mass for the grade force, kg.
    mass_eff_kg : float, optional
        Mass for the inertial force, kg (default ``mass_kg``).
    grade : array_like, optional
        Road slope as a fraction (default 0).

    Returns
    -------
    dict
        ``j2951_er_pct``, ``j2951_dr_pct``, ``j2951_eer_pct``, ``j2951_ascr_pct``, ``j2951_iwr_pct`` (%) and
        ``j2951_rmsse_kmh`` (km/h); a rating whose target reference is 0 (e.g. a standstill trace) is NaN.
    """
    t = np.asarray(time_s, dtype=float)
    vt = np.asarray(speed_target_mps, dtype=float)
    vd = np.asarray(speed_driven_mps, dtype=float)
    if not (t.ndim == 1 and t.shape == vt.shape == vd.shape and t.size >= 2):
        raise ValueError(f"time_s, speed_target_mps and speed_driven_mps must be 1-D arrays of one length ≥ 2, "
                         f"got shapes {t.shape}, {vt.shape}, {vd.shape}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("time_s must be strictly increasing")
    g = np.zeros_like(t) if grade is None else np.broadcast_to(np.asarray(grade, dtype=float), t.shape)
    m_eff = float(mass_kg if mass_eff_kg is None else mass_eff_kg)
    c0, c1, c2 = (float(x) for x in road_load_n)
    from .core.summary import j2951_sums  # here, not at import: importing hybridsim must not load the numba core

    sums = np.empty(9)

    def f64(a):
        """A writeable C-contiguous float64 copy, as the compiled batch passes its traces (``_ths_batch``; a
        read-only array would compile the sums a second time)."""
        return np.array(a, dtype=np.float64, order="C")

    j2951_sums(f64(t), f64(vt), f64(vd), f64(g), c0, c1, c2, float(mass_kg), m_eff, sums)
    return j2951_ratings(sums, t.size)


def j2951_of_run(time_s, speed_target_mps, speed_driven_mps, grade, ch) -> dict[str, float]:
    """:func:`j2951_from_arrays` of a run's own traces (float64 arrays of one length on an increasing time base,
    as a kernel's cycle and output are), with its kernel chassis ``ch``: the same sums and ratings, without the
    checks, and without copying the arrays that are C-contiguous and writeable already."""
    from .core.summary import j2951_sums

    def f64(a):  # a writeable C-contiguous float64 array: a read-only one would compile the sums a second time
        if type(a) is np.ndarray and a.dtype == np.float64 and a.flags.c_contiguous and a.flags.writeable:
            return a
        return np.require(a, np.float64, ["C", "W"])

    sums = np.empty(9)
    j2951_sums(f64(time_s), f64(speed_target_mps), f64(speed_driven_mps), f64(grade), float(ch.c0_n),
               float(ch.c1_n_per_mps), float(ch.c2_n_per_mps2), float(ch.mass_kg), float(ch.mass_eff_kg), sums)
    return j2951_ratings(sums, len(time_s))


def j2951_ratings(sums, n: int) -> dict[str, float]:
    """The six metrics from the nine sums of ``core.summary.j2951_sums`` over ``n`` samples (the compiled batch
    path computes the sums in its kernel and rates here, as :func:`j2951_from_arrays` does)."""
    ce_t, iw_t, d_t, asc_t, ce_d, iw_d, d_d, asc_d, sq = (float(x) for x in sums)
    er = _rel_pct(ce_d, ce_t)
    dr = _rel_pct(d_d, d_t)
    eer = (1.0 - (dr / 100 + 1.0) / (er / 100 + 1.0)) * 100.0 if math.isfinite(er) and er > -100 else math.nan
    return {
        "j2951_er_pct": er,
        "j2951_dr_pct": dr,
        "j2951_eer_pct": eer,
        "j2951_ascr_pct": _rel_pct(asc_d, asc_t),
        "j2951_iwr_pct": _rel_pct(iw_d, iw_t),
        "j2951_rmsse_kmh": math.sqrt(sq / n) * KMH_PER_MPS,
    }


def j2951(ds) -> dict[str, float]:
    """The SAE J2951 metrics of a simulated run (an ``xarray.Dataset`` of :func:`hybridsim.simulate`):
    ``speed`` (achieved) against ``speed_cycle`` (scheduled), with the run's road load and masses."""
    from .components.chassis import chassis_from_attrs

    ch = chassis_from_attrs(ds.attrs)  # the simulated chassis (run attributes simulated_*)
    return j2951_from_arrays(
        ds["time"].values, ds["speed_cycle"].values, ds["speed"].values,
        road_load_n=(ch.c0_n, ch.c1_n_per_mps, ch.c2_n_per_mps2), mass_kg=ch.mass_kg, mass_eff_kg=ch.mass_eff_kg,
        grade=ds["grade"].values)


def check(summary: dict, procedure: str = "wltp") -> list[str]:
    """The drive-quality tolerances of ``procedure`` that a run's summary (:func:`hybridsim.summarize`, or
    any dict holding the ``j2951_*`` keys) violates, one sentence each; empty if it is within them."""
    if procedure not in TOLERANCES:
        raise ValueError(f"procedure = {procedure!r}: no drive-quality tolerances; allowed {', '.join(TOLERANCES)}")
    out = []
    for tol in TOLERANCES[procedure]:
        x = summary.get(tol.metric, math.nan)
        if x is not None and tol.violated(float(x)):
            lo = "-inf" if tol.low is None else f"{tol.low:g}"
            hi = "+inf" if tol.high is None else f"{tol.high:g}"
            name = tol.metric.removeprefix("j2951_").rsplit("_", 1)[0].upper()
            unit = "km/h" if tol.metric.endswith("_kmh") else "%"
            out.append(f"{name} = {float(x):.2f} {unit} outside [{lo}, {hi}] {unit} "
                       f"({procedure.upper()}; {tol.source})")
    return out


def check_all(result: dict, procedure: str = "wltp") -> list[str]:
    """:func:`check` of a procedure result and of every run nested in it (e.g. EPA's ``ftp`` and ``hwfet``),
    each message prefixed with the nested key; only dicts that hold J2951 metrics are rated."""
    out = check(result, procedure) if any(k in result for k in METRICS) else []
    for key, sub in result.items():
        if isinstance(sub, dict) and any(k in sub for k in METRICS):
            out += [f"{key}: {m}" for m in check(sub, procedure)]
    return out
