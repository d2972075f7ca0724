"""Project metadata and generated documentation pages stay in step with the code."""

import re
import sys
import tomllib
from pathlib import Path

import yaml

import hybridsim as hs
from hybridsim.procedures import checks

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_generated_pages_are_up_to_date():
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import make_tables
    finally:
        sys.path.pop(0)
    for path, text in make_tables.pages().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python docs/make_tables.py"


def test_citation_and_version_match_pyproject():
    version = _pyproject()["project"]["version"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert str(cff["version"]) == version
    assert hs.__version__ in (version, "0+unknown")
    assert f"## [{version}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert (ROOT / "hybridsim" / "py.typed").exists()


def test_python_classifiers_cover_requires_python():
    project = _pyproject()["project"]
    low = int(re.search(r">=\s*3\.(\d+)", project["requires-python"]).group(1))
    listed = {int(m) for c in project["classifiers"] for m in re.findall(r"Python :: 3\.(\d+)$", c)}
    assert low in listed and min(listed) == low


def test_rule_checks_are_well_formed():
    names = [r.name for r in checks.RULE_CHECKS]
    assert len(names) == len(set(names))
    for r in checks.RULE_CHECKS:
        assert r.status in ("checked", "partial", "unchecked"), r
        assert r.against and r.regulation and r.procedures
        assert set(r.procedures) <= set(hs.procedures.PROCEDURES)


def test_procedure_results_flag_unverified_rules():
    r = hs.procedures.nedc(hs.load_vehicle("ralink"))
    assert "R83 inertia classes" in r["unchecked_rules"]  # the table could not be checked
    assert "R101 battery correction" in r["unchecked_rules"]  # a hybrid: the battery correction applies
    assert "wltc class PMR limits" not in r["unchecked_rules"]  # checked (and a WLTP rule)
    assert checks.unchecked_rules("epa", "conventional") == tuple(
        c.name for c in checks.RULE_CHECKS if "epa" in c.procedures and c.status != "checked"
        and "conventional" in checks.architectures_of(c.architectures))
    assert "BEV label factor 0.7" not in checks.unchecked_rules("epa", "conventional")
