"""Exceptions raised at the package boundary (loaders, arguments)."""

from __future__ import annotations

import difflib


class UnknownNameError(ValueError):
    """A vehicle or cycle name that is not shipped; carries the close matches."""

    def __init__(self, kind: str, name: str, available: list[str]):
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        self.suggestions = difflib.get_close_matches(name, self.available, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(
            f"unknown {kind} {name!r}{hint} (available: {', '.join(self.available)})"
        )


def read_text(path, what: str, encoding: str = "utf-8") -> str:
    """The text of a user's file; a missing file, a folder, undecodable bytes or an OS error is one
    ValueError naming the file (and the line and bytes that are not UTF-8)."""
    try:
        with open(path, "rb") as fh:
            return fh.read().decode(encoding)
    except FileNotFoundError:
        raise ValueError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, allowed: a {what}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: {utf8_problem(exc)}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror}; allowed: a readable {what})") from None


def utf8_problem(exc: UnicodeDecodeError) -> str:
    """'line 3 = b'\\xff': not UTF-8 text (allowed: a UTF-8 text file)' for a file that failed to decode."""
    data = exc.object if isinstance(exc.object, bytes | bytearray) else b""
    line = data[:exc.start].count(b"\n") + 1
    bad = bytes(data[exc.start:exc.end])
    return f"line {line} = {bad!r}: not UTF-8 text ({exc.reason}; allowed: a UTF-8 text file)"


class TraceMissWarning(UserWarning):
    """The vehicle could not follow the drive cycle: the figures are those of the speed it could drive."""
