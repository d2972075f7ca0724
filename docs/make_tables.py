"""Write the documentation pages generated from the code: run ``python docs/make_tables.py`` after changing
hybridsim/procedures/checks.py or hybridsim/components/_schema.py (tests/test_docs.py fails while they differ).

* docs/regulation_checks.md — from :data:`hybridsim.procedures.checks.RULE_CHECKS`
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))


def pages() -> dict[Path, str]:
    """Generated file → its text."""
    from hybridsim.procedures.checks import markdown_table

    return {DOCS / "regulation_checks.md": markdown_table()}


def main() -> None:
    for path, text in pages().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
