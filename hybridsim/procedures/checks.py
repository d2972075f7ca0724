"""Which regulation values were checked, and against what.

The procedures use values tagged **M** ("from the regulation as recalled, not re-verified offline"). Each is
listed here with the outcome of a later check against the regulation text or a reference implementation:

* ``"checked"`` — the same value was found in the regulation's text or in a reference implementation (named);
* ``"partial"`` — only part was found, or the reference applies it differently (the note says how);
* ``"unchecked"`` — no text or implementation was found: the value stays as recalled.

Every procedure result lists the ``"partial"`` and ``"unchecked"`` rules it relied on under the key
``unchecked_rules`` (see :func:`flag_unchecked`), so what was not verified stays visible in results.
``docs/regulation_checks.md`` is generated from :data:`RULE_CHECKS` (``python docs/make_tables.py``).
"""

from __future__ import annotations

import dataclasses

#: Reference implementations and texts the checks used (keys of docs/sources.md).
JRC_WLTP = "[J3] JRCSTU/wltp @ 18650f37 (wltp/cycles/class*.py, downscale.py, data-schema.yaml)"
FASTSIM = "[F1] NREL/fastsim @ bd9111bb (simdrivelabel.py, resources/longparams.json)"
ECFR_1066 = "[R11] 40 CFR 1066.805 Table 1 (eCFR text, copy in the public repository AlextheYounga/ecfr)"

# Which architectures a rule applies to, by what they are (the registry's flags), not by name: a rule's
# ``architectures`` holds one of these kinds; :func:`applies` reads the registry when asked.
WITH_ENGINE = ("with_engine",)
HYBRIDS = ("hybrid",)
PLUGINS = ("plugin",)
ELECTRIC = ("electric",)
_KINDS = {"with_engine": lambda a: a.has_engine, "hybrid": lambda a: a.hybrid, "plugin": lambda a: a.plugin,
          "electric": lambda a: a.electric}


def architectures_of(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The registered architectures of the kinds ``kinds`` (``with_engine``, ``hybrid``, ``plugin``, ``electric``;
    empty: all)."""
    from ..architectures import names

    if not kinds:
        return names()
    return names(lambda a: any(_KINDS[k](a) for k in kinds))


@dataclasses.dataclass(frozen=True)
class RuleCheck:
    """One regulation value the procedures use, and the outcome of checking it."""

    name: str  #: short name used in results (``unchecked_rules``)
    procedures: tuple[str, ...]  #: procedure keys that use it: nedc, wltp, epa
    value: str  #: the value as the code uses it
    regulation: str  #: where the regulation has it (as cited in the code)
    code: str  #: where hybridsim defines it
    status: str  #: "checked", "partial" or "unchecked"
    against: str  #: what it was checked against, or why it could not be
    architectures: tuple[str, ...] = ()  #: kinds of architecture it applies to (:func:`architectures_of`; empty: all)


RULE_CHECKS: tuple[RuleCheck, ...] = (
    # ----------------------------------------------------------------------------------------- WLTP
    RuleCheck("wltc class PMR limits", ("wltp",), "class 1 ≤ 22 W/kg < class 2 ≤ 34 W/kg < class 3",
              "GTR 15 Annex 1 §2", "procedures.gtr15.PMR_CLASS1_MAX/PMR_CLASS2_MAX", "checked",
              JRC_WLTP + ": pmr_limits (0, 22], (22, 34], (34, inf)"),
    RuleCheck("class 3a/3b split", ("wltp",), "3a v_max < 120 km/h, 3b ≥ 120 km/h", "GTR 15 Annex 1 §2",
              "procedures.gtr15.wltc_class", "checked", JRC_WLTP + ": velocity_limits [0, 120), [120, inf)"),
    RuleCheck("downscaling threshold", ("wltp",), "f_dsc ≤ 0.01 → no downscaling", "GTR 15 Annex 1 §8.3",
              "procedures.gtr15.DOWNSCALE_THRESHOLD", "checked",
              JRC_WLTP + ": calc_f_dsc returns 0 if f_dsc <= f_dsc_threshold (0.01)"),
    RuleCheck("inertia factor 1.03", ("wltp",), "1.03 × test mass in the required-power formula",
              "GTR 15 Annex 1 §8.3", "procedures.gtr15.ROTATIONAL_MASS_FACTOR", "checked",
              JRC_WLTP + ": f_inertial default 1.03"),
    RuleCheck("test mass additions", ("wltp",), "MRO + 25 kg + M_opt + 15 % (M1) / 28 % (N1) of the load",
              "GTR 15 Annex 4 / §3.2", "procedures.gtr15.TEST_MASS_ADDITION_KG, PAYLOAD_SHARE", "unchecked",
              "not in JRC wltp (it takes the test mass as an input); GTR text not found"),
    RuleCheck("RCB thresholds", ("wltp",), "c ≤ 0.005 (4 phases), 0.01 (3), 0.015 (2)",
              "GTR 15 Annex 8 Appendix 2 Table A8.App2/1", "procedures.gtr15.RCB_THRESHOLDS, phev.RCB_THRESHOLDS",
              "unchecked", "CO2MPAS applies the RCB correction without these thresholds; GTR text not found",
              architectures=HYBRIDS),
    RuleCheck("REEC break-off 0.04", ("wltp",), "CD test ends after the cycle with REEC < 0.04",
              "GTR 15 Annex 8 §3.2.4.5", "procedures.phev.REEC_THRESHOLD", "unchecked", "GTR text not found",
              architectures=PLUGINS),
    RuleCheck("BEV break-off rule", ("wltp", "nedc"), "speed tolerance 2 km/h exceeded for ≥ 4 s",
              "GTR 15 Annex 8 §3.4.4.1.3", "procedures.bev.BREAK_OFF_SPEED_TOL_KMH/BREAK_OFF_TIME_S", "unchecked",
              "GTR text not found",
              architectures=ELECTRIC),
    RuleCheck("WLTP soak 23 °C", ("wltp",), "soak and test at 23 °C", "GTR 15 Annex 6 §1.2.2",
              "procedures.gtr15.WLTP_SOAK_TEMP_C", "unchecked", "GTR text not found",
              architectures=WITH_ENGINE),
    RuleCheck("driver mass 75 kg", ("wltp", "nedc"), "mass in running order includes a 75 kg driver",
              "EU 2017/1151 Art. 2; UN R83 §2.2", "procedures._common.DRIVER_MASS_KG", "unchecked",
              "regulation text not found"),
    # ----------------------------------------------------------------------------------------- NEDC
    RuleCheck("R83 inertia classes", ("nedc",), "reference-mass bands → equivalent inertia (455 … 2270 kg)",
              "UN R83 Annex 4a table", "procedures.r83.R83_INERTIA_CLASSES", "unchecked",
              "R83 text not found; the one table found (StVZO annex, regelwerke.vbg.de) is a different, finer "
              "table of another regulation"),
    RuleCheck("R83 reference mass", ("nedc",), "unladen mass + 100 kg", "UN R83 §2.2",
              "procedures.r83.nedc_reference_mass_kg", "unchecked", "R83 text not found"),
    RuleCheck("R101 battery correction", ("nedc",), "charge-balanced fuel (R101 Annex 8 §3.3)",
              "UN R101 Annex 8", "procedures.r83", "unchecked", "R101 text not found",
              architectures=HYBRIDS),
    RuleCheck("R101 OVC weighting", ("nedc",), "C = (D_e·C1 + D_av·C2)/(D_e + D_av), D_av = 25 km",
              "UN R101 Annex 8", "procedures.phev.NEDC_DAV_KM", "unchecked", "R101 text not found",
              architectures=PLUGINS),
    # ----------------------------------------------------------------------------------------- EPA
    RuleCheck("FTP bag weighting", ("epa",), "0.43 cold (bags 1+2), 0.57 hot (bags 3+2)", "40 CFR 86.144-94",
              "procedures.cfr600.FTP_COLD_WEIGHT/FTP_HOT_WEIGHT", "unchecked",
              "eCFR section not found in the stored copies; FASTSim does not bag-weight",
              architectures=WITH_ENGINE),
    RuleCheck("city/highway 55/45", ("epa",), "1/(0.55/MPG_c + 0.45/MPG_h)", "40 CFR 600 Appendix II",
              "procedures.cfr600.CITY_SHARE/HIGHWAY_SHARE, bev.EPA_CITY_WEIGHT", "checked",
              FASTSIM + ": labCombMpgge = 1/(0.55/udds + 0.45/hwy)"),
    RuleCheck("derived 5-cycle coefficients", ("epa",), "city 1/(0.003259 + 1.1805/mpg), "
              "highway 1/(0.001376 + 1.3466/mpg)", "40 CFR 600.210-08(a)(2)", "procedures.cfr600.LABEL_CITY/"
              "LABEL_HIGHWAY", "partial",
              FASTSIM + ": LD_FE_Adj_Coef '2008' has exactly these values; it also carries a '2017' set "
              "(0.004091/1.1601, 0.003191/1.2945), which EPA's later label rules use — not applied here",
              architectures=WITH_ENGINE),
    RuleCheck("BEV label factor 0.7", ("epa",), "adjusted = 2-cycle × 0.7 (range), ÷ 0.7 (consumption)",
              "EPA derived 5-cycle option for EVs", "procedures.cfr600.BEV_LABEL_FACTOR, bev.EPA_DERATING",
              "partial", FASTSIM + ": for BEVs the adjustment is max(5-cycle formula, 0.7 × raw) "
              "(max_epa_adj = 0.3): 0.7 is a bound there, a fixed factor here",
              architectures=ELECTRIC),
    RuleCheck("MPGe 33.705 kWh/gal", ("epa",), "33.705 kWh per gallon equivalent", "40 CFR 600.002",
              "procedures.cfr600", "partial", FASTSIM + ": kwh_per_gge = 33.7 (rounded)",
              architectures=ELECTRIC),
    RuleCheck("loaded vehicle weight", ("epa",), "LVW = curb + 300 lb", "40 CFR 86.1803-01",
              "procedures.cfr600.equivalent_test_weight_kg", "unchecked", "eCFR section not found"),
    RuleCheck("ETW inertia classes", ("epa",), "125 lb steps to 4,000 lb, 250 lb to 5,500 lb, 500 lb above",
              "40 CFR 1066.805 Table 1", "procedures.cfr600.equivalent_test_weight_kg", "partial",
              ECFR_1066 + ": rows up to 4,750 lb seen and equal; the rows above were not seen"),
)

#: Statuses that results flag.
NOT_VERIFIED = ("partial", "unchecked")


def _applies(rule: RuleCheck, architecture: str | None, plugin: bool | None) -> bool:
    """Whether ``rule`` applies to ``architecture`` (None: any); ``plugin`` is the vehicle's own plug-in flag (an
    architecture with ``plugin_optional`` may be either), None: the registry's."""
    if architecture is None:
        return True
    if plugin is None or not rule.architectures:
        return architecture in architectures_of(rule.architectures)
    from ..architectures import get

    a = get(architecture)
    kinds = {**_KINDS, "plugin": lambda a: plugin and a.hybrid}
    return any(kinds[k](a) for k in rule.architectures)


def unchecked_rules(procedure: str, architecture: str | None = None, plugin: bool | None = None) -> tuple[str, ...]:
    """Names of the rules a procedure uses (for an architecture; ``plugin``: the vehicle's own plug-in flag) that were
    not (fully) verified."""
    return tuple(r.name for r in RULE_CHECKS if procedure in r.procedures and r.status in NOT_VERIFIED
                 and _applies(r, architecture, plugin))


def flag_unchecked(result: dict, procedure: str, architecture: str | None = None, plugin: bool | None = None) -> dict:
    """Add ``unchecked_rules`` (the names of :func:`unchecked_rules`) to a procedure result and return it."""
    result["unchecked_rules"] = unchecked_rules(procedure, architecture, plugin)
    return result


def markdown_table() -> str:
    """The checks as a Markdown document (docs/regulation_checks.md)."""
    lines = [
        "# Regulation values: checked or not",
        "",
        "<!-- generated by docs/make_tables.py from hybridsim/procedures/checks.py; do not edit -->",
        "",
        "The procedures use values from the regulations that were first written from memory (tag **M**). Each was",
        "then looked for in the regulation's text or a reference implementation ([sources.md](sources.md)).",
        "Results of `hybridsim.procedures.nedc/wltp/epa` list the rules marked *partial* or *unchecked* under",
        "`unchecked_rules`, and the command line prints them under the result.",
        "",
        "| rule | used by | value | regulation | status | checked against / why not |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULE_CHECKS:
        used = ", ".join(r.procedures) + (f" ({', '.join(architectures_of(r.architectures))})" if r.architectures
                                          else "")
        cells = (r.name, used, r.value, r.regulation, f"**{r.status}**", r.against)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    counts = {s: sum(r.status == s for r in RULE_CHECKS) for s in ("checked", "partial", "unchecked")}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items()) + f" of {len(RULE_CHECKS)} rules.", ""]
    return "\n".join(lines)
