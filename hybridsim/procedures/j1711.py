"""US EPA fuel economy of plug-in hybrids: SAE J1711 charge-depleting and charge-sustaining tests, the SAE J2841
fleet utility factor and the label figures (:func:`epa_phev`, called by :func:`hybridsim.procedures.epa`).

Status tags: S sourced, M the standard or regulation as recalled (SAE J1711 JUN2010, SAE J2841 SEP2010, 40 CFR 600;
not re-verified offline), E our choice.

* Test vehicle: the file's ``[test_conditions.epa]`` (ETW and target coefficients) as they are, else the ETW rule of
  :mod:`~hybridsim.procedures.cfr600` (as every EPA run).
* Charge-depleting (CD) test (J1711 §3 and §4, M): consecutive cycles (UDDS for city, HWFET for highway) from full
  charge, each starting with the SOC, controller mode and coolant the previous one ended with (the first cold
  after the soak for the UDDS, hot for the HWFET). Soaks between the CD cycles (M, recalled, not re-verified
  offline: J1711 separates the UDDS cycles of the CD test by 10-minute key-off soaks, as the FTP's hot soak; the
  HWFET cycles follow one another): a key-off soak changes nothing this model holds (the key off: no accessory
  load; the battery's Rint model has no relaxation; the warm-up model, ``core/thermal.py``, has no coolant heat
  loss), so the cycles chain directly; the soak's cooling of the engine would need a heat-loss model. A cycle is
  charge-sustaining when its net battery energy change is within 1 % of its fuel energy (the J1711 end-of-test
  criterion, M) and it used fuel; the cycle before the first such one is the transition cycle, the test ends there.
  R_cdc (charge-depleting cycle range): distance to the end of the transition cycle. Actual all-electric range
  (AER): distance until the engine first used fuel.
* Charge-sustaining (CS) test (J1711 §3, M): the FTP-75 (cold start, 3 bags, bag-weighted as for every car, 40 CFR
  86.144), the hot UDDS (bags 3 + 4), the HWFET and the US06 with the controller in CS mode from its CS set point
  (``controller.soc_target``). Each is corrected to zero net battery energy along the line through two runs from
  different initial SOC (J1711's NEC correction by linear regression, M): ``FC = FC₁ − (FC₂ − FC₁)/(E₂ − E₁)·E₁``.
* Utility factor (J2841, S: the fleet UF curve ``UF_TABLES["SAE_J2841_FUF"]`` of ``procedures/phev.py``): per CD
  cycle j the fractional ``UF_j`` at the cumulative distance to its end; ``FC_UF = Σ UF_j·FC_CD,j + (1 − ΣUF_j)·FC_CS``
  and ``EC_UF = Σ UF_j·EC_CD,j`` (at the wall: DC energy / ``charger_efficiency``, E as ``procedures/phev.py``).
  Next to it the same weighting with J2841's multi-day individual UF (``UF_TABLES["SAE_J2841_MDIUF"]``, S*: the
  label's UF in US EPA's OMEGA; per cycle ``uf_individual``, results ``*_uf_individual_weighted_*``): one driver's
  share of distance in CD mode over many days, against the fleet's share of all distance.
* Label (40 CFR 600.116/600.210, M): gasoline-only (CS) city and highway by the derived 5-cycle equations of the
  FTP-75 and HWFET CS results, combined 55/45; charge-depleting electricity (wall) and the all-electric range
  55/45 of city and highway with the derived adjustment (range × 0.7, consumption ÷ 0.7, M: as
  ``cfr600.BEV_LABEL_FACTOR``), MPGe = 33.705 kWh per gallon equivalent.

The result's headline keys follow :func:`~hybridsim.procedures.cfr600.epa`: ``fuel_l_per_100km`` is the label
(gasoline only, CS) figure; ``fuel_ftp75_l_per_100km``, ``fuel_hot_udds_l_per_100km``, ``fuel_hwfet_l_per_100km``,
``fuel_us06_l_per_100km`` are the unadjusted CS lab results (what the EPA test car list reports for a plug-in's CS
tests); ``electric_range_km`` the label all-electric range.
"""

from __future__ import annotations

import math

from ..cycles import load_cycle
from ..results import summarize
from ..simulate import simulate
from ..units import J_PER_KWH, M_PER_KM
from ..vehicle import Vehicle
from ._common import copy_summary, phase_results
from .phev import CHARGER_EFFICIENCY, UF_TABLES, _phase_figures

CS_CRITERION = 0.01  # J1711: |net battery energy| ≤ 1 % of the cycle's fuel energy counts as charge-sustaining (M)
CS_SOC_STEP = 0.03  # E: initial-SOC offset of the second CS run of the NEC correction
MI_KM = 1.609344
KWH_PER_GALLON_EQUIVALENT = 33.705  # 40 CFR 600.002 (M)


def _run(test: Vehicle, cycle, soc, coolant_c, cs):
    state = {"soc": soc, "charge_sustaining": cs}
    if coolant_c is not None:
        state["coolant_c"] = coolant_c
    return simulate(test, cycle, soc_balance=False, initial_state=state)


def cd_test(test: Vehicle, cycle, *, cold_c: float | None, max_cycles: int = 30,
            charger_efficiency: float = CHARGER_EFFICIENCY) -> dict:
    """Consecutive ``cycle`` runs from full charge until charge-sustaining operation (module docstring): the CD
    cycles with distance, fuel, DC battery energy and the J2841 fractional UF, R_cdc and the AER."""
    dens = test.engine.fuel_density_kg_per_l
    lhv = test.engine.lhv_j_per_kg
    soc = test.battery.soc_max
    coolant = cold_c
    cs = False
    cycles = []
    aer_m = math.nan
    done_m = 0.0
    for _ in range(max_cycles):
        ds = _run(test, cycle, soc, coolant, cs)
        cs = bool(ds["charge_sustaining"].values[-1])
        t_end = float(ds["coolant_temperature"].values[-1])
        coolant = None if coolant is None or t_end >= float(ds.attrs.get("engine_hot_coolant_c", math.inf)) else t_end
        ph = _phase_figures(ds, cycle)
        ev = ph[0].pop("_ev_distance_m")
        if math.isnan(aer_m) and math.isfinite(ev):
            aer_m = done_m + ev
        dist = sum(p["distance_m"] for p in ph)
        fuel = sum(p["fuel_kg"] for p in ph)
        e_b = sum(p["battery_j"] for p in ph)
        sustaining = fuel > 0 and abs(e_b) <= CS_CRITERION * fuel * lhv
        cycles.append({"cycle": len(cycles) + 1, "distance_km": dist / M_PER_KM, "fuel_kg": fuel,
                       "fuel_l_per_100km": fuel / dens / (dist / (100 * M_PER_KM)),
                       "electricity_dc_kwh_per_100km": e_b / J_PER_KWH / (dist / (100 * M_PER_KM)),
                       "soc_start": soc, "soc_end": float(ds["soc"].values[-1]), "charge_sustaining": sustaining})
        done_m += dist
        soc = float(ds["soc"].values[-1])
        if sustaining:
            break
    else:
        raise ValueError(f"max_cycles = {max_cycles}: the charge-depleting test did not reach charge-sustaining "
                         "operation; allowed: a larger value")
    cd = cycles[:-1]  # up to the transition cycle
    d_cum = [sum(c["distance_km"] for c in cd[: j + 1]) for j in range(len(cd))]
    uf = UF_TABLES["SAE_J2841_FUF"].fractional(d_cum) if cd else []
    uf_ind = UF_TABLES["SAE_J2841_MDIUF"].fractional(d_cum) if cd else []
    for c, u, ui in zip(cd, uf, uf_ind, strict=True):
        c["uf"] = float(u)
        c["uf_individual"] = float(ui)
    e_cd_kwh = sum(c["electricity_dc_kwh_per_100km"] * c["distance_km"] / 100 for c in cd)
    return {"cycles": cycles, "transition_cycle": len(cd), "uf_sum": float(sum(uf)) if cd else 0.0,
            "uf_individual_sum": float(sum(uf_ind)) if cd else 0.0,
            "charge_depleting_range_km": d_cum[-1] if cd else 0.0,
            "all_electric_range_km": (aer_m if math.isfinite(aer_m) else done_m) / M_PER_KM,
            "cd_electricity_dc_kwh": e_cd_kwh,
            "cd_electricity_kwh_per_100km": (e_cd_kwh / charger_efficiency / (d_cum[-1] / 100)) if cd else 0.0}


def cs_test(test: Vehicle, cycle, *, cold_c: float | None) -> dict:
    """One CS run from the CS set point and one from ``CS_SOC_STEP`` above it; the fuel corrected to zero net
    battery energy along their line (module docstring). Per-phase results scaled by the corrected/raw ratio."""
    soc0 = test.controller.soc_target
    b = test.battery
    soc1 = min(soc0 + CS_SOC_STEP, b.soc_max)
    runs = []
    for s in (soc0, soc1):
        ds = _run(test, cycle, s, cold_c, True)
        sm = summarize(ds)
        e_b = sm["electricity_kwh_per_100km"] * sm["distance_km"] / 100  # kWh out of the battery
        runs.append((ds, sm, e_b))
    (ds, s, e0), (_, s1, e1) = runs
    fc0, fc1 = s["fuel_l_per_100km"], s1["fuel_l_per_100km"]
    fc = fc0 if abs(e1 - e0) < 1e-9 else fc0 - (fc1 - fc0) / (e1 - e0) * e0
    phases = phase_results(ds, cycle)
    scale = fc / fc0 if fc0 > 0 else 1.0
    for p in phases.values():
        p["fuel_l_per_100km"] *= scale
    return {"fuel_l_per_100km": fc, "fuel_raw_l_per_100km": fc0, "net_battery_kwh": e0, "phases": phases,
            "summary": copy_summary(s), "trace_miss_max_kmh": max(s["trace_miss_max_kmh"], s1["trace_miss_max_kmh"]),
            "energy_balance_rel_error": max(s["energy_balance_rel_error"], s1["energy_balance_rel_error"])}


def epa_phev(test: Vehicle, info: dict, epa, *, cold_start: bool, soak_temp_c: float,
             charger_efficiency: float = CHARGER_EFFICIENCY) -> dict:
    """SAE J1711 CD + CS tests with the J2841 fleet UF and the label figures (module docstring).

    ``epa`` is the module :mod:`hybridsim.procedures.cfr600`, whose EPA pieces (FTP bag weighting, hot UDDS, the
    derived 5-cycle label equations, 55/45 combination) are used here: it calls this function and passes itself,
    so that the two modules do not import each other."""
    combined, ftp_weighted, hot_udds_cycle = epa.combined, epa.ftp_weighted, epa.hot_udds_cycle
    hot_udds_weighted, l_per_100km, mpg = epa.hot_udds_weighted, epa.l_per_100km, epa.mpg
    label_city_mpg, label_highway_mpg = epa.label_city_mpg, epa.label_highway_mpg

    cold = soak_temp_c if cold_start else None
    udds, hwfet = load_cycle("udds"), load_cycle("hwfet")
    cd_city = cd_test(test, udds, cold_c=cold, charger_efficiency=charger_efficiency)
    cd_hwy = cd_test(test, hwfet, cold_c=None, charger_efficiency=charger_efficiency)
    ftp = cs_test(test, load_cycle("ftp75"), cold_c=cold)
    city = ftp_weighted(ftp["phases"])
    hu_cycle = hot_udds_cycle()
    hu = cs_test(test, hu_cycle, cold_c=None)
    hot_udds = hot_udds_weighted(hu["phases"])
    hw = cs_test(test, hwfet, cold_c=None)
    highway = hw["fuel_l_per_100km"]
    us06 = cs_test(test, load_cycle("us06"), cold_c=None)
    city_label = l_per_100km(label_city_mpg(mpg(city)))
    highway_label = l_per_100km(label_highway_mpg(mpg(highway)))

    def weighted(cd, fc_cs, key="uf"):
        cyc = [c for c in cd["cycles"] if key in c]
        return sum(c[key] * c["fuel_l_per_100km"] for c in cyc) + (1 - cd[key + "_sum"]) * fc_cs

    def weighted_ec(cd, key="uf"):
        return sum(c[key] * c["electricity_dc_kwh_per_100km"] for c in cd["cycles"] if key in c)

    fuel_uf_city = weighted(cd_city, ftp["fuel_l_per_100km"])
    fuel_uf_hwy = weighted(cd_hwy, highway)
    ec_uf_city, ec_uf_hwy = weighted_ec(cd_city), weighted_ec(cd_hwy)
    # the same with the multi-day individual UF (J2841 MDIUF, the label's)
    fuel_ind_city = weighted(cd_city, ftp["fuel_l_per_100km"], "uf_individual")
    fuel_ind_hwy = weighted(cd_hwy, highway, "uf_individual")
    ec_ind = combined(weighted_ec(cd_city, "uf_individual"), weighted_ec(cd_hwy, "uf_individual"))
    LABEL = epa.BEV_LABEL_FACTOR  # noqa: N806  (the derived adjustment of EV range and consumption)
    ec_cd = combined(cd_city["cd_electricity_kwh_per_100km"], cd_hwy["cd_electricity_kwh_per_100km"])
    aer = combined(cd_city["all_electric_range_km"], cd_hwy["all_electric_range_km"])
    ec_label = ec_cd / LABEL
    runs = (ftp, hu, hw, us06)
    return {
        "procedure": ("EPA plug-in hybrid: SAE J1711 charge-depleting (UDDS, HWFET) and charge-sustaining (FTP-75, "
                      "hot UDDS, HWFET, US06) tests, SAE J2841 fleet UF; headline = label (gasoline only, derived "
                      "5-cycle), raw = *_unadjusted"),
        **info,
        "cold_start": bool(cold_start),
        "soak_temp_c": soak_temp_c if cold_start else None,
        "uf_table": UF_TABLES["SAE_J2841_FUF"].name,
        "fuel_l_per_100km": combined(city_label, highway_label),
        "fuel_unadjusted_l_per_100km": combined(city, highway),
        "fuel_city_l_per_100km": city,
        "fuel_highway_l_per_100km": highway,
        "fuel_ftp75_l_per_100km": city,
        "fuel_hot_udds_l_per_100km": hot_udds,
        "fuel_hwfet_l_per_100km": highway,
        "fuel_us06_l_per_100km": us06["fuel_l_per_100km"],
        "mpg_ftp75": mpg(city),
        "mpg_hot_udds": mpg(hot_udds),
        "mpg_hwfet": mpg(highway),
        "mpg_us06": mpg(us06["fuel_l_per_100km"]),
        "fuel_city_label_l_per_100km": city_label,
        "fuel_highway_label_l_per_100km": highway_label,
        "mpg_city_label": mpg(city_label),
        "mpg_highway_label": mpg(highway_label),
        "mpg_combined_label": mpg(combined(city_label, highway_label)),
        "electric_range_km": aer * LABEL,
        "electric_range_unadjusted_km": aer,
        "electric_range_label_mi": aer * LABEL / MI_KM,
        "charge_depleting_range_city_km": cd_city["charge_depleting_range_km"],
        "charge_depleting_range_highway_km": cd_hwy["charge_depleting_range_km"],
        "all_electric_range_city_km": cd_city["all_electric_range_km"],
        "all_electric_range_highway_km": cd_hwy["all_electric_range_km"],
        "electricity_cd_kwh_per_100km": ec_label,
        "electricity_cd_unadjusted_kwh_per_100km": ec_cd,
        "electricity_cd_kwh_per_100mi": ec_label * MI_KM,
        "mpge_cd_combined_label": KWH_PER_GALLON_EQUIVALENT / (ec_label / 100.0) / MI_KM if ec_label > 0 else math.inf,
        "fuel_uf_weighted_l_per_100km": combined(fuel_uf_city, fuel_uf_hwy),
        "fuel_uf_weighted_city_l_per_100km": fuel_uf_city,
        "fuel_uf_weighted_highway_l_per_100km": fuel_uf_hwy,
        "electricity_uf_weighted_kwh_per_100km": combined(ec_uf_city, ec_uf_hwy) / charger_efficiency,
        "uf_individual_table": UF_TABLES["SAE_J2841_MDIUF"].name,
        "fuel_uf_individual_weighted_l_per_100km": combined(fuel_ind_city, fuel_ind_hwy),
        "fuel_uf_individual_weighted_city_l_per_100km": fuel_ind_city,
        "fuel_uf_individual_weighted_highway_l_per_100km": fuel_ind_hwy,
        "electricity_uf_individual_weighted_kwh_per_100km": ec_ind / charger_efficiency,
        "charger_efficiency": charger_efficiency,
        "cd_city": cd_city,
        "cd_highway": cd_hwy,
        "bags": ftp["phases"],
        "hot_udds_bags": hu["phases"],
        "ftp": ftp["summary"],
        "hwfet": hw["summary"],
        "us06": us06["summary"],
        "trace_miss_max_kmh": max(r["trace_miss_max_kmh"] for r in runs),
        "energy_balance_rel_error": max(r["energy_balance_rel_error"] for r in runs),
    }
