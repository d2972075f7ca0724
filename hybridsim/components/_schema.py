"""Declarative parameter checks shared by every component dataclass.

Each component is a frozen dataclass whose fields are the keys of its table in the vehicle TOML file,
with the unit in the name (``peak_power_kw``). Fields are declared with :func:`param`, which records
the allowed range and a one-line description. :func:`check` validates an instance (it runs in every
component's ``__post_init__``, so ``dataclasses.replace`` in a sweep re-validates), and
:func:`from_table` builds an instance from a TOML table, rejecting unknown keys (typos).

Errors are ``ValueError`` messages of the form ``"engine.peak_power_kw = -5.0: must be > 0"``; the
vehicle loader prefixes the file name.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import types
import typing
from typing import Any

_MISSING = dataclasses.MISSING


def param(
    doc: str,
    *,
    default: Any = _MISSING,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    increasing: bool = False,
    nondecreasing: bool = False,
    choices: tuple[str, ...] | None = None,
):
    """A component parameter: description, allowed range, optional default.

    Parameters
    ----------
    doc : Description with its unit, e.g. ``"Peak power. [kW]"``.
    lo, hi : Inclusive bounds (``lo_open``/``hi_open`` make them strict). For sequences every element.
    increasing, nondecreasing : For sequences: the order the values must have.
    choices : For strings: the allowed values.
    """
    meta = dict(
        doc=doc, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open,
        increasing=increasing, nondecreasing=nondecreasing, choices=choices,
    )
    if default is _MISSING:
        return dataclasses.field(metadata=meta)
    if isinstance(default, list | dict):
        raise TypeError("mutable default")
    return dataclasses.field(default=default, metadata=meta)


def _range_text(m: dict) -> str:
    parts = []
    if m["lo"] is not None:
        parts.append(f"{'>' if m['lo_open'] else '>='} {m['lo']:g}")
    if m["hi"] is not None:
        parts.append(f"{'<' if m['hi_open'] else '<='} {m['hi']:g}")
    return " and ".join(parts) if parts else "any finite number"


def _bad(name: str, value: Any, rule: str) -> ValueError:
    return ValueError(f"{name} = {value!r}: {rule}")


def _check_number(name: str, x: Any, m: dict, shown: Any = None) -> None:
    shown = x if shown is None else shown
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise _bad(name, shown, f"must be a number (allowed {_range_text(m)})")
    if not math.isfinite(x):
        raise _bad(name, shown, f"must be a finite number (allowed {_range_text(m)})")
    lo, hi = m["lo"], m["hi"]
    if lo is not None and (x <= lo if m["lo_open"] else x < lo):
        raise _bad(name, shown, f"out of range, allowed {_range_text(m)}")
    if hi is not None and (x >= hi if m["hi_open"] else x > hi):
        raise _bad(name, shown, f"out of range, allowed {_range_text(m)}")


def _base_type(tp: Any) -> tuple[Any, bool]:
    """(type without Optional, optional?)"""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else tp), True
    return tp, False


@functools.cache
def _type_hints(cls: type) -> dict:
    """``typing.get_type_hints(cls)``, once per class (it evaluates every annotation string)."""
    return typing.get_type_hints(cls)


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any, bool, Any], ...]:
    """(name, type without Optional, optional?, metadata) of each declared field of a component class,
    resolved once per class (resolving string annotations compiles them)."""
    hints = _type_hints(cls)
    return tuple((f.name, *_base_type(hints[f.name]), f.metadata) for f in dataclasses.fields(cls)
                 if "doc" in f.metadata)


def check(obj: Any, section: str) -> None:
    """Validate every declared field of a component instance; raise ValueError on the first bad one."""
    for fname, tp, optional, m in _fields(type(obj)):
        value = getattr(obj, fname)
        name = f"{section}.{fname}"
        if value is None:
            if optional:
                continue
            raise _bad(name, value, "is required")
        if tp is float:
            _check_number(name, value, m)
        elif tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(name, value, f"must be an integer (allowed {_range_text(m)})")
            _check_number(name, value, m)
        elif tp is bool:
            if not isinstance(value, bool):
                raise _bad(name, value, "must be true or false")
        elif tp is str:
            if not isinstance(value, str):
                allowed = f" (allowed: {', '.join(m['choices'])})" if m["choices"] is not None else ""
                raise _bad(name, value, f"must be a string{allowed}")
            if m["choices"] is not None and value not in m["choices"]:
                raise _bad(name, value, f"must be one of {', '.join(m['choices'])}")
        elif typing.get_origin(tp) is tuple:
            if not isinstance(value, tuple) or len(value) == 0:
                raise _bad(name, value, f"must be a non-empty list of numbers (each {_range_text(m)})")
            for i, x in enumerate(value):
                _check_number(f"{name}[{i}]", x, m)
            d = [b - a for a, b in zip(value[:-1], value[1:], strict=True)]
            if m["increasing"] and any(x <= 0 for x in d):
                raise _bad(name, value, "must be strictly increasing")
            if m["nondecreasing"] and any(x < 0 for x in d):
                raise _bad(name, value, "must be non-decreasing")


def from_table(cls: type, table: dict, section: str, **extra: Any):
    """Build component ``cls`` from a TOML table; unknown keys and wrong types raise ValueError."""
    if not isinstance(table, dict):
        raise _bad(section, table, "must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls) if "doc" in f.metadata}
    hints = _type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _bad(f"{section}.{key}", value, f"unknown key{hint}; allowed keys: {', '.join(fields)}")
        tp, _ = _base_type(hints[key])
        if typing.get_origin(tp) is tuple:
            if not isinstance(value, list):
                raise _bad(f"{section}.{key}", value,
                           f"must be a list of numbers (each {_range_text(fields[key].metadata)})")
            value = tuple(float(x) if isinstance(x, int) and not isinstance(x, bool) else x for x in value)
        elif tp is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        kwargs[key] = value
    missing = [n for n, f in fields.items()
               if n not in kwargs and f.default is _MISSING and f.default_factory is _MISSING]
    if missing:
        meta = fields[missing[0]].metadata
        tp, _ = _base_type(hints[missing[0]])
        allowed = (f"one of {', '.join(meta['choices'])}" if meta["choices"] else "a string") if tp is str \
            else _range_text(meta)
        raise _bad(f"{section}.{missing[0]}", None, f"is required ({meta['doc']}; allowed {allowed})")
    return cls(**kwargs, **extra)


def describe(cls: type) -> list[tuple[str, str, str]]:
    """(key, description, allowed range) of every parameter of a component class, for docs and CLI."""
    return [(f.name, f.metadata["doc"], _range_text(f.metadata))
            for f in dataclasses.fields(cls) if "doc" in f.metadata]
