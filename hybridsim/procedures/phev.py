"""Type-approval results of off-vehicle-charging hybrids (OVC-HEV, plug-in hybrids).

Status tags as in the reference files: S sourced (seen in the cited text), M from the regulation as
recalled (not re-verified offline here: confirm before relying on it), E our choice.

WLTP (UN GTR 15 Annex 8; EU 2017/1151 Annex XXI Sub-Annex 8) — :func:`wltp_ovc`
---------------------------------------------------------------------------------
* Charge-depleting (CD) test (GTR 15 Annex 8 §3.2.4, M): consecutive WLTCs from full charge. After each
  cycle i the relative electric energy change is ``REEC_i = |ΔE_REESS,i| / E_cycle`` (§3.2.4.5, M),
  ΔE_REESS,i the change of the battery's electric energy over the cycle (here: the DC energy at the
  battery terminals), E_cycle the cycle energy demand. The regulation's E_cycle (Annex 7 §5, M) is
  computed from the TARGET speed trace with the road-load coefficients and the test mass; here it is the
  simulated positive wheel work over the ACHIEVED trace (E: equal to it when the car follows the trace,
  as the Tank 300 does on the WLTC; the wheel-inertia share of the effective mass is included). The first
  cycle with REEC < 0.04 is the *confirmation cycle*; the one before it is the *transition cycle* n; the
  test ends after the confirmation cycle.
* Controller mode across the CD test (E): the first cycle starts charge-depleting from full charge; each
  following cycle starts in the mode the previous one ended in (the car is driven on, not restarted: a
  cycle that switched to CS half-way hands CS on, even if regeneration has lifted the SOC a little).
  The CS test (and its K-factor run) starts in CS whatever the SOC.
* R_CDC (§4.4.4, M): distance from the start of the CD test to the end of the transition cycle.
* AER (§4.4.1.1, M): distance from the start of the CD test until the combustion engine first uses fuel.
* Charge-sustaining (CS) test (§3.2.5, M): one WLTC in charge-sustaining operation; here it starts from
  the SOC at the end of the CD test (the car is then in its CS state: GTR sequence "CD + CS").
  RCB correction (Appendix 2, M; components.md §5.6 "corrected if the REESS is depleted beyond a
  threshold"): the CS result is corrected only when the battery was DEPLETED (ΔE_REESS,CS < 0) and
  ``c = |ΔE_REESS,CS| / E_fuel,CS`` exceeds 0.005 for a 4-phase WLTC (0.01 for 3 phases, 0.015 for 2; M);
  a net charge is reported uncorrected (conservative: the fuel that charged the battery stays counted).
  The correction is the K-factor method of Appendix 2 §2 (``FC_CS = FC_CS,nb − K_fuel·EC_DC,CS``, K from
  a straight line through CS runs at different initial SOC): here two runs (the second from the first's
  SOC + 0.02, i.e. more depletion), K from the line through them.
* Utility factors (EU 2017/1151 Sub-Annex 8 Appendix 5; S [R1] via components.md §5.6)::

      UF_j = 1 − exp(−Σ_{i=1..10} C_i·(d_j/d_n)^i) − Σ_{l<j} UF_l ,   d_n = 800 km,
      C1..C10 = 26.25, −38.94, −631.05, 5964.83, −25095, 60380.2, −87517, 75513.8, −35749, 7154.94

  d_j the distance driven from the start of the CD test to the end of phase j (simulated distance).
* Weighting (GTR 15 Annex 8 §4.1.3.1/§4.2.3, M)::

      FC_weighted = Σ_{j=1..k} UF_j·FC_CD,j + (1 − Σ_{j=1..k} UF_j)·FC_CS      (k phases up to the end of
                                                                               the transition cycle n)
      EC_weighted = Σ_{j=1..k} UF_j·EC_j ,   EC_j = ΔE_REESS,j/d_j · E_AC/Σ ΔE_REESS  (at the wall)

  E_AC, the energy recharged from the grid after the CD test, is not simulated (no charger model): E_AC =
  ΣΔE_REESS/``charger_efficiency`` (E), so the regulation's scaling E_AC/ΣΔE_REESS becomes the constant
  1/η_charger and EC_j = ΔE_REESS,j/(d_j·η_charger). The regulation's ΣΔE_REESS runs over all CD cycles
  including the confirmation cycle; with a constant η that choice drops out here.
* EAER (§4.4.4.1, M): ``EAER = (FC_CS − FC_CD,avg)/FC_CS · R_CDC`` with FC_CD,avg the distance-weighted
  fuel consumption of the CD cycles 1..n (the regulation writes it with CO2; fuel is proportional).

The UF table is a parameter: ``uf_table="EU"`` or a :class:`UtilityFactorTable` (China's GB/T 19753-2021
Annex F uses its own table — its coefficients were not found offline, components.md §5.6/§7; pass it as a
``UtilityFactorTable`` when available). The result names the table used.

NEDC (UN R101 Annex 8, OVC-HEV without operating-mode switch) — :func:`nedc_ovc`
-----------------------------------------------------------------------------------
``C = (D_e·C1 + D_av·C2)/(D_e + D_av)``, ``D_av = 25 km`` (M; components.md §5.6), C1 the consumption of
one cycle from full charge (condition A), C2 at minimum SOC (condition B), D_e the electric range
(R101 Annex 9, M: distance driven from full charge until the engine starts; repeated cycles);
electricity ``E = (D_e·E1 + D_av·E2)/(D_e + D_av)`` (E1, E2 at the wall, as above).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..cycles import Cycle
from ..results import summarize
from ..simulate import simulate
from ..units import G_PER_KG, J_PER_KWH, J_PER_M_PER_WH_PER_KM, M_PER_KM
from ..vehicle import Vehicle

REEC_THRESHOLD = 0.04  # GTR 15 Annex 8 §3.2.4.5 break-off criterion (M; components.md §5.6)
NEDC_DAV_KM = 25.0  # R101 Annex 8: assumed average distance between two battery recharges (M)
RCB_THRESHOLDS = {2: 0.015, 3: 0.01, 4: 0.005}  # GTR 15 Annex 8 App. 2, by number of WLTC phases (M)
CHARGER_EFFICIENCY = 0.90  # E: on-board AC charger + charging losses, wall → battery terminals
WLTP_SOAK_TEMP_C = 23.0  # GTR 15 Annex 6: soak and test at 23 °C (M)
NEDC_SOAK_TEMP_C = 25.0  # R83/R101: soak at 20–30 °C, the middle of the band (E; as procedures/nedc.py)


@dataclass(frozen=True)
class UtilityFactorTable:
    """A fractional utility-factor curve ``UF(d) = 1 − exp(−Σ C_i·(d/d_n)^i)`` (d ≤ d_n; 1 beyond).

    ``name`` is reported in the results; ``source`` says which text the coefficients come from.
    """

    name: str
    normalisation_distance_km: float
    coefficients: tuple[float, ...]
    source: str

    def cumulative(self, distance_km):
        """Cumulative UF at distance(s) from the start of the CD test. [-]"""
        d = np.clip(np.asarray(distance_km, dtype=float) / self.normalisation_distance_km, 0.0, 1.0)
        s = sum(c * d ** (i + 1) for i, c in enumerate(self.coefficients))
        return 1.0 - np.exp(-s)

    def fractional(self, cumulative_distances_km) -> np.ndarray:
        """UF_j of consecutive phases ending at the given cumulative distances (Sub-Annex 8 App. 5)."""
        u = self.cumulative(np.asarray(cumulative_distances_km, dtype=float))
        return np.diff(np.concatenate(([0.0], np.atleast_1d(u))))


UF_TABLES: dict[str, UtilityFactorTable] = {
    "EU": UtilityFactorTable(
        "EU", 800.0,
        (26.25, -38.94, -631.05, 5964.83, -25095.0, 60380.2, -87517.0, 75513.8, -35749.0, 7154.94),
        "Commission Regulation (EU) 2017/1151, Annex XXI Sub-Annex 8 Appendix 5 (d_n = 800 km, C1–C10); "
        "components.md §5.6 [R1]"),
    # SAE J2841 (SEP2010) fleet utility factor, Table 2, ND = 399.9 mi (S: coefficients as implemented in US
    # EPA's OMEGA model, USEPA/EPA_OMEGA_Model omega_model/policy/utility_factors.py ``FUF``, which uses
    # ND = 399 mi; the 399.9 mi of the SAE text is M). For comparison: no regulation here weights with it.
    "SAE_J2841_FUF": UtilityFactorTable(
        "SAE J2841 FUF", 399.9 * 1.609344, (10.52, -7.282, -26.37, 79.08, -77.36, 26.07),
        "SAE J2841 SEP2010 Table 2 fleet UF (ND = 399.9 mi = 643.6 km; coefficients as in US EPA OMEGA "
        "omega_model/policy/utility_factors.py)"),
    # SAE J2841 (SEP2010) multi-day individual utility factor (MDIUF) fit, ND = 400 mi (S*: coefficients and ND as
    # implemented in US EPA's OMEGA model, omega_model/policy/utility_factors.py ``labelUF``, "Table 2 (Multi-day
    # utility factor Fit)", the UF of the fuel economy label; the SAE text is M): the share of an individual
    # driver's distance driven charge-depleting over many days, next to the fleet's (FUF, over the whole fleet's
    # distance, which the high-mileage drivers dominate); for the same range it is higher (20 mi: 0.456 vs 0.397).
    "SAE_J2841_MDIUF": UtilityFactorTable(
        "SAE J2841 MDIUF", 400.0 * 1.609344, (13.1, -18.7, 5.22, 8.15, 3.53, -1.34, -4.01, -3.90, -1.15, 3.88),
        "SAE J2841 SEP2010 multi-day individual UF fit (ND = 400 mi = 643.7 km; coefficients as in US EPA OMEGA "
        "omega_model/policy/utility_factors.py labelUF)"),
}


def _uf_table(uf_table) -> UtilityFactorTable:
    if isinstance(uf_table, UtilityFactorTable):
        return uf_table
    if uf_table not in UF_TABLES:
        raise ValueError(f"uf_table = {uf_table!r}: unknown; allowed {', '.join(UF_TABLES)} or a UtilityFactorTable")
    return UF_TABLES[uf_table]


def relative_electric_energy_change(delta_e_reess_j: float, cycle_energy_j: float) -> float:
    """``REEC = |ΔE_REESS| / E_cycle`` (GTR 15 Annex 8 §3.2.4.5, M). [-]"""
    return abs(delta_e_reess_j) / cycle_energy_j


def cd_break_off(reec: list[float], threshold: float = REEC_THRESHOLD) -> tuple[int, int] | None:
    """(transition cycle n, confirmation cycle n+1), 1-based, of a CD test; None if not reached yet.

    The confirmation cycle is the first with REEC < threshold; the transition cycle the one before it
    (n = 0 if already the first cycle satisfies the criterion: no CD operation).
    """
    for i, r in enumerate(reec):
        if r < threshold:
            return i, i + 1
    return None


def _phase_figures(ds, cycle: Cycle) -> list[dict]:
    """Distance, fuel, battery terminal energy and positive wheel work per phase (or the whole cycle)."""
    t = ds["time"].values
    v = ds["speed"].values
    dt = np.diff(t)
    dist = 0.5 * (v[1:] + v[:-1]) * dt
    fuel = ds["fuel_rate"].values[1:] * dt
    batt = ds["battery_power"].values[1:] * dt
    wheel = np.maximum(ds["wheel_power"].values[1:], 0.0) * dt
    first_fuel = np.flatnonzero(fuel > 0)
    spans = [(p.name, p.start_s, p.end_s) for p in cycle.phases] or [(cycle.name, t[0], t[-1])]
    res = []
    for name, a, b in spans:
        m = (t[1:] > a + 1e-9) & (t[1:] <= b + 1e-9)
        res.append({"phase": name, "distance_m": float(dist[m].sum()), "fuel_kg": float(fuel[m].sum()),
                    "battery_j": float(batt[m].sum()), "wheel_positive_j": float(wheel[m].sum())})
    # distance before the engine first used fuel in this cycle (inf if it never did)
    res[0]["_ev_distance_m"] = float(dist[: first_fuel[0]].sum()) if first_fuel.size else math.inf
    return res


def _run(vehicle, cycle, soc, coolant_c=None, charge_sustaining=None):
    """One cycle from ``soc``; ``coolant_c`` = None runs hot, else the engine coolant starts at that temperature
    (a soaked engine, or one still warming from the previous cycle of a sequence).

    ``charge_sustaining`` is the controller's initial mode (True CS, False CD, None: the runner's default by
    SOC, see ``powertrains/p2.py``); the procedures set it explicitly. All three are the run's
    ``initial_state`` (:class:`hybridsim.InitialState`).
    """
    state = {"soc": soc, "coolant_c": coolant_c, "charge_sustaining": charge_sustaining}
    ds = simulate(vehicle, cycle, soc_balance=False, initial_state={k: v for k, v in state.items() if v is not None})
    return ds, float(ds["soc"].values[-1])


def _end_coolant(ds, coolant_c):
    """Coolant temperature at the end of a run (None = hot), to start the next cycle of a sequence."""
    if coolant_c is None or "coolant_temperature" not in ds:
        return None
    t = float(ds["coolant_temperature"].values[-1])
    return None if t >= _hot_c(ds) else t


def _hot_c(ds) -> float:
    """Thermostat temperature of the run (the coolant's cap); the maximum reached if not recorded."""
    return float(ds.attrs.get("engine_hot_coolant_c", np.inf))


def _cs_test(vehicle: Vehicle, cycle: Cycle, soc0: float, coolant_c: float | None = None) -> dict:
    """CS test with the GTR 15 Annex 8 Appendix 2 RCB criterion and K-factor correction (M).

    Both runs start with the controller in its charge-sustaining mode (whatever the SOC).
    The correction is applied only when the battery was depleted over the test (ΔE_REESS < 0) by more than
    the threshold share of the fuel energy (GTR 15 Annex 8 App. 2, M; components.md §5.6 "corrected if the
    REESS is depleted beyond a threshold"); a net charge is reported uncorrected (``rcb_corrected`` False).
    """
    dens = vehicle.engine.fuel_density_kg_per_l
    lhv = vehicle.engine.lhv_j_per_kg
    ds, _ = _run(vehicle, cycle, soc0, coolant_c, charge_sustaining=True)
    s = summarize(ds)
    dist_km = s["distance_km"]
    e_batt = s["electricity_kwh_per_100km"] * dist_km / 100 * J_PER_KWH  # terminal energy out of the battery [J]
    fuel_kg = s["fuel_kg"]
    crit = abs(e_batt) / max(fuel_kg * lhv, 1.0)
    thr = RCB_THRESHOLDS.get(len(cycle.phases), 0.005)
    fc_raw = fuel_kg / dens / dist_km * 100
    out = {"fuel_cs_raw_l_per_100km": fc_raw, "cs_soc_start": soc0, "cs_soc_end": s["soc_end"],
           "cs_delta_e_reess_kwh": -e_batt / J_PER_KWH, "rcb_criterion": crit, "rcb_threshold": thr,
           "rcb_corrected": False, "cs_distance_km": dist_km, "cs_trace_miss_max_kmh": s["trace_miss_max_kmh"],
           "cs_energy_balance_rel_error": s["energy_balance_rel_error"]}
    fc = fc_raw
    if crit > thr and e_batt > 0:  # depleted (energy out of the battery) beyond the threshold
        b = vehicle.battery
        soc1 = min(max(soc0 + 0.02, b.soc_min), b.soc_max)
        s1 = summarize(_run(vehicle, cycle, soc1, coolant_c, charge_sustaining=True)[0])
        e1 = s1["electricity_kwh_per_100km"] * s1["distance_km"] / 100 * J_PER_KWH
        ec = np.array([e_batt, e1]) / (dist_km * M_PER_KM)  # J/m out of the battery
        fcs = np.array([fc_raw, s1["fuel_kg"] / dens / s1["distance_km"] * 100])
        if abs(ec[1] - ec[0]) > 1e-12:
            k = (fcs[1] - fcs[0]) / (ec[1] - ec[0])  # (L/100 km) per (J/m) drawn
            fc = fc_raw - k * ec[0]
            out.update(rcb_corrected=True, rcb_k_l_per_100km_per_wh_per_km=k / J_PER_M_PER_WH_PER_KM, )
    out["fuel_cs_l_per_100km"] = fc
    return out


def wltp_ovc(test_vehicle: Vehicle, cycle: Cycle, uf_table="EU", *, cold_start: bool = True,
             soak_temp_c: float = WLTP_SOAK_TEMP_C, max_cycles: int = 30,
             charger_efficiency: float = CHARGER_EFFICIENCY) -> dict:
    """WLTP result of a plug-in hybrid (CD + CS tests, UF weighting, AER, EAER); see the module docstring.

    ``test_vehicle`` already carries the test mass and ``cycle`` is the class-selected WLTC (the caller,
    ``procedures.wltp``, does both). Both tests are Type 1 tests after a soak (GTR 15 Annex 6, M: 23 °C):
    with ``cold_start`` the engine coolant starts at ``soak_temp_c``; within the CD test each cycle starts
    with the coolant temperature the previous one ended with (the engine of a plug-in may first run in a
    late cycle, still cold). Returns a dict (distances km, fuel L/100 km, electricity kWh/100 km).
    """
    uft = _uf_table(uf_table)
    if test_vehicle.battery is None or test_vehicle.engine is None:
        raise ValueError(f"vehicle architecture = {test_vehicle.architecture!r}: wltp_ovc needs an engine and a "
                         "battery (a plug-in hybrid)")
    if not 0.5 <= charger_efficiency <= 1.0:
        raise ValueError(f"charger_efficiency = {charger_efficiency}: out of range, allowed 0.5 to 1")
    dens = test_vehicle.engine.fuel_density_kg_per_l
    soc = test_vehicle.battery.soc_max
    coolant = soak_temp_c if cold_start else None
    cycles, reec, phases = [], [], []
    aer_m = math.nan
    done_m = 0.0
    found = None
    mode_cs = False  # the CD test starts charge-depleting from full charge
    for _ in range(max_cycles):
        ds, soc_end = _run(test_vehicle, cycle, soc, coolant, mode_cs)
        mode_cs = bool(ds["charge_sustaining"].values[-1])  # the mode at the end of a cycle starts the next
        coolant = _end_coolant(ds, coolant)
        ph = _phase_figures(ds, cycle)
        ev = ph[0].pop("_ev_distance_m")
        if math.isnan(aer_m) and math.isfinite(ev):
            aer_m = done_m + ev
        d_e = sum(p["battery_j"] for p in ph)
        e_cyc = sum(p["wheel_positive_j"] for p in ph)
        reec.append(relative_electric_energy_change(d_e, e_cyc))
        cycles.append({"cycle": len(cycles) + 1, "distance_km": sum(p["distance_m"] for p in ph) / 1e3,
                       "fuel_kg": sum(p["fuel_kg"] for p in ph), "delta_e_reess_kwh": -d_e / J_PER_KWH,
                       "reec": reec[-1], "soc_start": soc, "soc_end": soc_end, "cs_at_end": mode_cs})
        for p in ph:
            p["cycle"] = len(cycles)
        phases.extend(ph)
        done_m += cycles[-1]["distance_km"] * M_PER_KM
        soc = soc_end
        found = cd_break_off(reec)
        if found is not None:
            break
    if found is None:
        raise ValueError(f"max_cycles = {max_cycles}: the CD test did not reach the break-off criterion "
                         f"(REEC < {REEC_THRESHOLD}); allowed: a larger value")
    n, _conf = found
    cd_phases = [p for p in phases if p["cycle"] <= n]
    d_cum_km = np.cumsum([p["distance_m"] for p in cd_phases]) / 1e3
    uf = uft.fractional(d_cum_km) if cd_phases else np.zeros(0)
    fc_j = np.array([p["fuel_kg"] / dens / (p["distance_m"] / (100 * M_PER_KM)) for p in cd_phases])  # L/100 km
    ec_dc_j = np.array([p["battery_j"] / J_PER_KWH / (p["distance_m"] / (100 * M_PER_KM))
                        for p in cd_phases])  # kWh/100 km
    cs = _cs_test(test_vehicle, cycle, soc, soak_temp_c if cold_start else None)
    fc_cs = cs["fuel_cs_l_per_100km"]
    sum_uf = float(uf.sum())
    fc_w = float(np.dot(uf, fc_j)) + (1.0 - sum_uf) * fc_cs
    ec_dc_w = float(np.dot(uf, ec_dc_j))
    r_cdc_km = float(d_cum_km[-1]) if cd_phases else 0.0
    cd_dist = sum(c["distance_km"] for c in cycles[:n])
    fc_cd_avg = sum(c["fuel_kg"] for c in cycles[:n]) / dens / cd_dist * 100 if n else fc_cs
    eaer = (fc_cs - fc_cd_avg) / fc_cs * r_cdc_km if fc_cs > 0 else r_cdc_km
    aer_km = (aer_m if math.isfinite(aer_m) else done_m) / M_PER_KM
    co2 = test_vehicle.engine.co2_per_fuel_mass * dens * G_PER_KG / 100  # g/km per L/100 km
    return {
        "procedure": "WLTP OVC-HEV (UN GTR 15 Annex 8; EU 2017/1151 Sub-Annex 8)",
        "vehicle": test_vehicle.id,
        "cycle": cycle.name,
        "uf_table": uft.name,
        "uf_table_source": uft.source,
        "cold_start": bool(cold_start),
        "soak_temp_c": soak_temp_c if cold_start else None,
        "fuel_weighted_l_per_100km": fc_w,
        "co2_weighted_g_per_km": fc_w * co2,
        "electricity_weighted_kwh_per_100km": ec_dc_w / charger_efficiency,
        "electricity_weighted_dc_kwh_per_100km": ec_dc_w,
        "charger_efficiency": charger_efficiency,
        "electric_range_km": aer_km,
        "equivalent_all_electric_range_km": eaer,
        "charge_depleting_cycle_range_km": r_cdc_km,
        "fuel_cs_l_per_100km": fc_cs,
        "fuel_cd_avg_l_per_100km": fc_cd_avg,
        "utility_factor_sum": sum_uf,
        "transition_cycle": n,
        "confirmation_cycle": n + 1,
        "cd_cycles": cycles,
        "cd_phases": [dict(p, uf=float(u), fuel_l_per_100km=float(f), electricity_dc_kwh_per_100km=float(e))
                      for p, u, f, e in zip(cd_phases, uf, fc_j, ec_dc_j, strict=True)],
        **cs,
    }


def nedc_ovc(test_vehicle: Vehicle, cycle: Cycle, *, cold_start: bool = True, soak_temp_c: float = NEDC_SOAK_TEMP_C,
             max_cycles: int = 30, charger_efficiency: float = CHARGER_EFFICIENCY) -> dict:
    """NEDC result of a plug-in hybrid by UN R101 Annex 8 (see the module docstring).

    Conditions A and B are each a cold-start test after a soak (``cold_start``, ``soak_temp_c``); the
    electric-range and depletion drives before condition B are not part of the measured results.
    """
    cold = soak_temp_c if cold_start else None
    if test_vehicle.battery is None or test_vehicle.engine is None:
        raise ValueError(f"vehicle architecture = {test_vehicle.architecture!r}: nedc_ovc needs an engine and a "
                         "battery (a plug-in hybrid)")
    dens = test_vehicle.engine.fuel_density_kg_per_l
    soc = test_vehicle.battery.soc_max
    # condition A: one cycle from full charge
    ds_a, _ = _run(test_vehicle, cycle, soc, cold, False)
    sa = summarize(ds_a)
    c1 = sa["fuel_l_per_100km"]
    e1 = sa["electricity_kwh_per_100km"] / charger_efficiency
    # electric range D_e (R101 Annex 9): repeated cycles from full charge until the engine first uses fuel
    done_m = 0.0
    de_m = math.nan
    ds = ds_a
    for k in range(max_cycles):
        if k:
            ds, _ = _run(test_vehicle, cycle, soc, None, bool(ds["charge_sustaining"].values[-1]))
        ev = _phase_figures(ds, cycle)[0]["_ev_distance_m"]
        if math.isfinite(ev):
            de_m = done_m + ev
            break
        done_m += summarize(ds)["distance_km"] * M_PER_KM
        soc = float(ds["soc"].values[-1])
    if math.isnan(de_m):
        raise ValueError(f"max_cycles = {max_cycles}: the engine never started; allowed: a larger value")
    # condition B: charge-sustaining at minimum SOC: drive on until a cycle changes the battery energy by
    # less than the WLTP break-off share (E: R101 only says "minimum state of charge"), then one more cycle
    soc_b = float(ds["soc"].values[-1])
    for _ in range(max_cycles):
        dsb, soc_next = _run(test_vehicle, cycle, soc_b, cold, True)
        ph = _phase_figures(dsb, cycle)
        if relative_electric_energy_change(sum(p["battery_j"] for p in ph),
                                           sum(p["wheel_positive_j"] for p in ph)) < REEC_THRESHOLD:
            break
        soc_b = soc_next
    sb = summarize(dsb)
    c2 = sb["fuel_l_per_100km"]
    e2 = sb["electricity_kwh_per_100km"] / charger_efficiency
    de_km = de_m / M_PER_KM
    w = de_km + NEDC_DAV_KM
    return {
        "procedure": "NEDC OVC-HEV (UN R101 Annex 8)",
        "vehicle": test_vehicle.id,
        "cycle": cycle.name,
        "fuel_l_per_100km": (de_km * c1 + NEDC_DAV_KM * c2) / w,
        "electricity_kwh_per_100km": (de_km * e1 + NEDC_DAV_KM * e2) / w,
        "electric_range_km": de_km,
        "fuel_condition_a_l_per_100km": c1,
        "fuel_condition_b_l_per_100km": c2,
        "electricity_condition_a_kwh_per_100km": e1,
        "electricity_condition_b_kwh_per_100km": e2,
        "dav_km": NEDC_DAV_KM,
        "cold_start": bool(cold_start),
        "charger_efficiency": charger_efficiency,
        "fuel_density_kg_per_l": dens,
    }
