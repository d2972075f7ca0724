"""China's light-duty energy procedures: GB/T 19233-2020, GB/T 19753-2021 and GB/T 18386.1-2021.

:func:`china` picks the standard by architecture. Status tags as in the other procedure modules: S sourced,
S* secondary source, M the standard's text as recalled (the GB/T texts are sold, not published: only their
tables of contents were read, components.md [R3]), E our choice.

Engine cars — GB/T 19233-2020 (fuel consumption of light-duty vehicles)
-----------------------------------------------------------------------
The Type I test of GB 18352.6-2016 (China 6), which is the WLTP of UN GTR 15 (M): the WLTC of the
vehicle's class with the GTR's downscaling (China 6 Annex C, M), one cold-start test after a soak at
23 °C (M), fuel from the four phases (low, medium, high, extra high). The test mass is China 6's
``TM = RM + 15 %·(LM − RM)`` with the reference mass ``RM = curb mass + 100 kg`` (M), which is GTR 15's
``MRO + 25 kg + 15 %·(LM − MRO − 25 kg)`` with ``MRO = curb + 75 kg``: the same number, so the WLTP set-up
(:func:`hybridsim.procedures.gtr15.wltp_setup`) is used as it stands. The road load is the one at the test
mass (China 6 Annex CC, as GTR 15 Annex 4; M).

Hybrids — GB/T 19753-2021 (energy consumption of light-duty hybrid electric vehicles)
-------------------------------------------------------------------------------------
Same cycle, test mass and soak (M). NOVC-HEV: the charge-sustaining Type I test with the REESS-energy
correction of Appendix A (the K-factor correction of GTR 15 Annex 8 Appendix 2, M): the WLTP NOVC
result. OVC-HEV: charge-depleting test (consecutive WLTCs from full charge until the REESS energy
change of a cycle is < 4 % of its cycle energy) and charge-sustaining test, as GTR 15 Annex 8 (M;
:func:`hybridsim.procedures.phev.wltp_ovc`), with the weighting

    FC_weighted = Σ_j UF_j·FC_CD,j + (1 − Σ_j UF_j)·FC_CS

and the pure-electric utility factors UF of **Appendix F** (S [R3]: the appendix exists, "OVC-HEV pure
electricity utilization factor (UF)"). **Appendix F's table or formula was not found**: not in the
stored web pages (chinesestandard.net shows only the table of contents), not in the code index, not in
papers quoting it (the WEVJ 2021, 12(4), 169 paper compares with a "standard UF" without its formula);
the Chinese UF must therefore be passed in (``uf_table=``, a
:class:`~hybridsim.procedures.phev.UtilityFactorTable` with its source). Without it the result reports the
weighted figure under the EU curve (EU 2017/1151, d_n = 800 km) and under SAE J2841's fleet curve
(:data:`SAE_J2841_FUF`), names both, and leaves ``fuel_weighted_l_per_100km`` out (``missing`` says why).
The table is never fitted to a claimed figure. The electric range reported is the all-electric range of
the CD test (distance until the engine first uses fuel; M: GB/T 19753-2021's 纯电续驶里程 on the WLTC).

Battery-electric cars — GB/T 18386.1-2021 (energy consumption and range, Part 1: light-duty vehicles)
-----------------------------------------------------------------------------------------------------
CLTC-P (GB/T 38146.1-2019) for M1 vehicles (M), consecutive cycles from full charge until the vehicle
can no longer follow the trace (the conventional method; the standard also allows a shortened method,
M), range and consumption at the wall after recharging (:func:`hybridsim.procedures.bev.consecutive_cycle_range`,
GTR 15's break-off rule, M). Test mass: curb mass + 100 kg (M: GB/T 18386.1-2021 for M1; the road load at
that mass). **The CLTC-P trace is not shipped** (drive_cycles/PROVENANCE.md, Gaps: no two public copies
agree, the one found has 1835 instead of 1801 samples); pass it as a file (``cycle=read_cycle(path)``) —
it is checked against the published statistics (1800 s, 14.48 km, 114 km/h) before it is used.
"""

from __future__ import annotations

import numpy as np

from ..cycles import Cycle
from ..vehicle import Vehicle
from ._common import (
    check_published_stats,
    is_electric,
    is_plugin,
    road_load_info,
    standard_cycle,
    with_test_mass,
)
from .phev import UF_TABLES, UtilityFactorTable, _uf_table

CHINA_SOAK_TEMP_C = 23.0  # GB 18352.6-2016 Type I soak (23 ± 3 °C as GTR 15; M)
#: China 6 reference mass = curb mass + 100 kg (GB 18352.6-2016 §3, M); GB/T 18386.1-2021's BEV test mass
#: for M1 is the same sum (M).
REFERENCE_MASS_ADDITION_KG = 100.0

#: SAE J2841 (SEP2010) fleet utility factor (:data:`hybridsim.procedures.phev.UF_TABLES` ``"SAE_J2841_FUF"``).
SAE_J2841_FUF = UF_TABLES["SAE_J2841_FUF"]

#: CLTC-P published statistics (GB/T 38146.1-2019 as quoted by evkx.github.io; drive_cycles/PROVENANCE.md):
#: a user's trace must match these before the BEV procedure uses it.
CLTC_P_STATS = {"duration_s": 1800.0, "distance_km": 14.48, "max_speed_kmh": 114.0}

_UF_MISSING = ("GB/T 19753-2021 Appendix F (the China utility-factor table) was not found in any public source "
               "searched; pass it as uf_table=UtilityFactorTable(...) with its source")


def weighted_fuel_l_per_100km(result: dict, uf_table) -> tuple[float, float]:
    """(UF-weighted fuel [L/100 km], Σ UF) of an OVC-HEV CD + CS result of
    :func:`~hybridsim.procedures.phev.wltp_ovc` under another utility-factor curve: the same phases of the
    charge-depleting test (up to the transition cycle) and the same CS fuel, weighted with ``uf_table``."""
    uft = _uf_table(uf_table)
    phases = result["cd_phases"]
    fc_cs = float(result["fuel_cs_l_per_100km"])
    if not phases:
        return fc_cs, 0.0
    d_cum = np.cumsum([p["distance_m"] for p in phases]) / 1e3
    uf = uft.fractional(d_cum)
    fc = np.array([p["fuel_l_per_100km"] for p in phases])
    return float(np.dot(uf, fc) + (1.0 - uf.sum()) * fc_cs), float(uf.sum())


def china_bev_test_mass_kg(vehicle: Vehicle) -> float:
    """GB/T 18386.1-2021 test mass of an M1 BEV: curb mass + 100 kg (M). [kg]"""
    return vehicle.chassis.mass_kg + REFERENCE_MASS_ADDITION_KG


def check_cltc_p(cycle: Cycle) -> None:
    """Raise ValueError unless ``cycle`` has CLTC-P's published duration, distance and top speed (±0.5 %)."""
    check_published_stats(cycle, CLTC_P_STATS, "CLTC-P")


def china(vehicle: Vehicle, *, uf_table: str | UtilityFactorTable | None = None, cycle: Cycle | None = None,
          cold_start: bool | None = None, max_laden_mass_kg: float | None = None,
          v_max_kmh: float | None = None, soak_temp_c: float = CHINA_SOAK_TEMP_C) -> dict:
    """China's label procedure for ``vehicle`` (module docstring): GB/T 19233-2020 (engine cars),
    GB/T 19753-2021 (hybrids, plug-ins with the UF weighting) or GB/T 18386.1-2021 (BEV, CLTC-P).

    ``uf_table``: the China utility-factor curve for plug-ins (None: not available, see the module
    docstring; a name of :data:`hybridsim.procedures.phev.UF_TABLES` or a ``UtilityFactorTable`` is
    used as the China table and named in the result). ``cycle``: the CLTC-P trace for BEVs (not shipped).
    ``cold_start=False`` runs hot (not the standard; for comparison). Returns a dict.
    """
    if is_electric(vehicle):
        cyc = standard_cycle(cycle, "cltc_p", "CLTC-P", CLTC_P_STATS, "GB/T 18386.1-2021")
        from . import bev

        tm = china_bev_test_mass_kg(vehicle)
        test = with_test_mass(vehicle, tm)
        out = {"procedure": "GB/T 18386.1-2021 (BEV, CLTC-P)", "vehicle": vehicle.id, "test_mass_kg": tm,
               **road_load_info(test, tm)}
        r = bev._range_result(test, cyc, "GB/T 18386.1-2021 (BEV, CLTC-P)",
                              "consecutive CLTC-P cycles to break-off (conventional method, M; break-off as GTR 15)")
        out.update({k: v for k, v in r.items() if k not in ("procedure", "vehicle")})
        return out
    if cycle is not None:
        raise ValueError("cycle: only battery-electric vehicles take a cycle (CLTC-P); engine cars and hybrids "
                         "run the WLTC of their class (GB/T 19233-2020, GB/T 19753-2021)")
    from .gtr15 import wltp, wltp_setup

    if not is_plugin(vehicle):
        res = wltp(vehicle, v_max_kmh=v_max_kmh, max_laden_mass_kg=max_laden_mass_kg, cold_start=cold_start,
                   soak_temp_c=soak_temp_c)
        hybrid = vehicle.battery is not None
        res["procedure"] = ("GB/T 19753-2021 NOVC-HEV (China WLTC, charge-sustaining, Appendix A correction)"
                            if hybrid else "GB/T 19233-2020 (China WLTC, GB 18352.6 Type I)")
        res["reference_mass_kg"] = vehicle.chassis.mass_kg + REFERENCE_MASS_ADDITION_KG
        return res
    from . import phev

    test, cyc, info = wltp_setup(vehicle, v_max_kmh=v_max_kmh, max_laden_mass_kg=max_laden_mass_kg)
    kw = {} if cold_start is None else {"cold_start": bool(cold_start)}
    r = phev.wltp_ovc(test, cyc, uf_table="EU", soak_temp_c=soak_temp_c, **kw)
    out = {"procedure": "GB/T 19753-2021 OVC-HEV (China WLTC, CD + CS, Appendix F UF weighting)",
           "vehicle": vehicle.id, **info, "reference_mass_kg": vehicle.chassis.mass_kg + REFERENCE_MASS_ADDITION_KG}
    for k in ("uf_table", "uf_table_source", "fuel_weighted_l_per_100km", "co2_weighted_g_per_km",
              "electricity_weighted_kwh_per_100km", "electricity_weighted_dc_kwh_per_100km", "utility_factor_sum",
              "procedure", "vehicle"):
        r.pop(k, None)
    eu, eu_sum = weighted_fuel_l_per_100km(r, UF_TABLES["EU"])
    sae, sae_sum = weighted_fuel_l_per_100km(r, SAE_J2841_FUF)
    out.update(r)
    out.update({
        "fuel_weighted_eu_uf_l_per_100km": eu,
        "utility_factor_sum_eu": eu_sum,
        "fuel_weighted_sae_j2841_uf_l_per_100km": sae,
        "utility_factor_sum_sae_j2841": sae_sum,
    })
    if uf_table is None:
        out["uf_table"] = "China GB/T 19753-2021 Appendix F: not available"
        out["missing"] = {"fuel_weighted_l_per_100km": (
            f"{_UF_MISSING}. With the EU UF (EU 2017/1151) the weighted figure is {eu:.2f} L/100 km "
            f"(Σ UF {eu_sum:.3f}); with SAE J2841's fleet UF {sae:.2f} L/100 km (Σ UF {sae_sum:.3f})")}
    else:
        uft = _uf_table(uf_table)
        fc, s = weighted_fuel_l_per_100km(r, uft)
        uf = uft.fractional(np.cumsum([p["distance_m"] for p in r["cd_phases"]]) / 1e3)
        ec_dc = float(np.dot(uf, [p["electricity_dc_kwh_per_100km"] for p in r["cd_phases"]]))
        out.update({"uf_table": uft.name, "uf_table_source": uft.source, "fuel_weighted_l_per_100km": fc,
                    "utility_factor_sum": s, "electricity_weighted_dc_kwh_per_100km": ec_dc,
                    "electricity_weighted_kwh_per_100km": ec_dc / r["charger_efficiency"]})
    return out
