"""Provenance: every source key cited in the package, the vehicle files, the map/cycle data and the docs is
listed in the bibliography (docs/sources.md) with a title, an author or publisher, a year and a URL or DOI,
and every citation of a reference note ("vehicles.md §3.4", "components.md §1.4", "DESIGN.md §3") resolves
to a heading of a file shipped in docs/."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOURCES = DOCS / "sources.md"

#: a source key: one or two capitals, a number, an optional letter ([P4], [Y20], [K9b], [T1])
KEY = r"[A-Z]{1,2}\d{1,2}[a-z]?"
#: a bracketed key or a bracketed list of keys: [P4], [P1, P4], [K1; K2]
CITATION = re.compile(rf"\[({KEY}(?:\s*[,;]\s*{KEY})*)\]")
#: a citation of a reference note by section
NOTE_REF = re.compile(r"\b(vehicles|components|DESIGN)\.md\s*§\s*(\d+(?:\.\d+)*)")
NOTE_FILES = {"vehicles": DOCS / "reference" / "vehicles.md", "components": DOCS / "reference" / "components.md",
              "DESIGN": DOCS / "reference" / "design.md"}
#: a bibliography entry: "- **[P4]** ..." on one line
ENTRY = re.compile(rf"^[-*] \*\*\[({KEY})\]\*\*\s+(.*)$", re.MULTILINE)


def cited_files() -> list[Path]:
    """Every file whose text may cite a source: code, vehicle files, data headers, docs (not the bibliography
    and not the shipped reference notes, whose own source lists are the bibliography's leads)."""
    files = [*ROOT.joinpath("hybridsim").rglob("*.py"), *ROOT.joinpath("vehicles").rglob("*.toml"),
             *ROOT.joinpath("vehicles").rglob("*.csv"), *ROOT.joinpath("vehicles").rglob("*.md"),
             *ROOT.joinpath("drive_cycles").rglob("*.md"), *ROOT.joinpath("examples").rglob("*.py"),
             ROOT / "README.md"]
    files += [p for p in DOCS.rglob("*.md") if p != SOURCES and "reference" not in p.relative_to(DOCS).parts
              and "_build" not in p.parts]
    files += [p for p in DOCS.rglob("*.rst") if "_build" not in p.parts and "generated" not in p.parts]
    return sorted(files)


def _text(path: Path) -> str:
    if path.suffix == ".csv":  # only the comment header carries sources
        lines = path.read_text(encoding="utf-8").splitlines()
        return "\n".join(line for line in lines if line.startswith("#"))
    return path.read_text(encoding="utf-8")


def cited_keys() -> dict[str, list[str]]:
    """Source key → the files citing it."""
    found: dict[str, list[str]] = {}
    for path in cited_files():
        for match in CITATION.finditer(_text(path)):
            for key in re.split(r"\s*[,;]\s*", match.group(1)):
                found.setdefault(key, []).append(str(path.relative_to(ROOT)))
    return found


def bibliography() -> dict[str, str]:
    return {m.group(1): m.group(2) for m in ENTRY.finditer(SOURCES.read_text(encoding="utf-8"))}


def test_the_scan_finds_citations():
    # the scan itself must work: the shipped vehicle files cite dozens of sources
    keys = cited_keys()
    assert {"P4", "Y20", "X6", "L1"} <= set(keys)


def test_every_cited_key_is_in_the_bibliography():
    listed = bibliography()
    missing = {key: sorted(set(files)) for key, files in cited_keys().items() if key not in listed}
    assert not missing, f"cited but not listed in docs/sources.md: {missing}"


@pytest.mark.parametrize("key", sorted(bibliography()))
def test_every_entry_has_title_author_year_and_url(key):
    entry = bibliography()[key]
    assert re.search(r"https?://\S+|doi:\S+|\b10\.\d{4,}/\S+", entry), f"[{key}] has no URL or DOI: {entry}"
    assert re.search(r"\b(19|20)\d\d\b", entry), f"[{key}] has no year: {entry}"
    # "Author or publisher. *Title*. ..." — a publisher before an emphasised title
    assert re.match(r"[^*]{2,}\.\s+\*[^*]{3,}\*", entry), f"[{key}] lacks 'Author/publisher. *Title*.': {entry}"


def test_reference_note_sections_resolve():
    """"vehicles.md §3.4" must name a section heading of the shipped note docs/reference/vehicles.md."""
    headings = {}
    for name, path in NOTE_FILES.items():
        text = path.read_text(encoding="utf-8")
        headings[name] = set(re.findall(r"^#+\s*(\d+(?:\.\d+)*)\.?\s", text, re.MULTILINE))
    unresolved = []
    for path in cited_files():
        for match in NOTE_REF.finditer(_text(path)):
            name, section = match.group(1), match.group(2).rstrip(".")
            if section not in headings[name]:
                unresolved.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not unresolved, unresolved


def test_seed_documents_are_summarised():
    """Vehicle files cite "seed" and the seed excerpt's file name: both must resolve to docs/reference/seeds.md."""
    seeds = (DOCS / "reference" / "seeds.md").read_text(encoding="utf-8")
    named = set()
    for path in cited_files():
        named |= set(re.findall(r"\bseeds?[/ ]+([a-z0-9_]+\.txt)\b", _text(path)))
    for name in named:
        assert name in seeds, f"seed file {name} is cited but not summarised in docs/reference/seeds.md"
    assert "ralink_twin_engine.txt" in named  # the scan works: ralink.toml cites this seed
    assert "sources.md" in seeds
