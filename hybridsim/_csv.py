"""The one CSV reader of the package: drive cycles (:func:`hybridsim.read_cycle`), engine maps and battery
tables (``components/engine_maps.py``) all read their files here.

The standard library's :mod:`csv` module does the parsing (quoting, a byte-order mark); this wrapper adds
what every caller needs and ``numpy.loadtxt`` does not give: comment (``#``) and blank lines skipped, the file
line number of every row kept for error messages, one error naming the file and line for a row with the
wrong number of fields, and a clear message for a file separated by something other than commas.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

#: Separators recognised only to say that the file is not comma-separated.
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


@dataclass(frozen=True)
class Table:
    """A CSV file's header, its data rows (stripped strings) and the file line number of each row."""

    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def column(self, index: int) -> list[str]:
        return [r[index] for r in self.rows]


def read_table(path: str | Path) -> Table:
    """Read a comma-separated file with a header row; ``#`` comment lines and blank lines are skipped.

    Raises ValueError naming the file (and line) for: no header, a row whose field count differs from the
    header's, or a file separated by semicolons, tabs or bars.
    """
    where = str(path)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    from .errors import read_text  # a missing file, a folder or undecodable bytes: one error naming the file

    text_lines = read_text(path, "CSV file", encoding="utf-8-sig").splitlines(keepends=True)
    for lineno, raw in enumerate(text_lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader([raw]))]
        if header is None:
            header = fields
            if len(header) == 1:
                for sep, name in _OTHER_DELIMITERS.items():
                    if sep in text:
                        raise ValueError(
                            f"{where}: line {lineno}: the header {text!r} is separated by {name}; hybridsim "
                            "reads comma-separated files (save the file as CSV with commas, and '.' as the "
                            "decimal mark)")
            continue
        if len(fields) != len(header):
            raise ValueError(
                f"{where}: line {lineno} has {len(fields)} fields, expected {len(header)} "
                f"like the header {header!r}"
            )
        rows.append(fields)
        lines.append(lineno)
    if header is None:
        raise ValueError(f"{where}: no header row found (the file is empty or all comments; required: a row of "
                         "column names, then data rows)")
    return Table(where, header, rows, lines)
