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


class TraceMissWarning(UserWarning):
    """The vehicle could not follow the drive cycle: the figures are those of the speed it could drive."""
