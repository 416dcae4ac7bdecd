"""A report's input as plain JSON and back: the input manifest a report is built from.

A report builder takes a frozen dataclass of plain data (names, dates, amounts, counts, the
fairness audit's result). :func:`to_manifest` turns that input into JSON-compatible data with one
textual form per value, and :func:`from_manifest` rebuilds an equal input from it, guided by the
dataclass's type hints. So a report stored with its manifest is rebuilt from the manifest alone,
byte for byte, whatever has happened to the database since.

Values and their JSON forms: ``date`` and ``datetime`` as ISO 8601 text (datetimes keep their
offset), ``Decimal`` as text (no binary rounding), enums by value, tuples and other sequences as
lists, floats as JSON numbers (Python writes the shortest text that reads back as the same
float; non-finite floats are refused, as canonical JSON refuses them).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


class ManifestError(ValueError):
    """The manifest does not describe an input of the expected type."""


def to_manifest(value: Any) -> Any:
    """``value`` (a report input, or any part of one) as JSON-compatible data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_manifest(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return to_manifest(value.value)
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ManifestError(f"a manifest cannot hold the non-finite number {value}")
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_manifest(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [to_manifest(item) for item in value]
    # numpy scalars and the like: their Python value
    item = getattr(value, "item", None)
    if callable(item):
        return to_manifest(item())
    raise ManifestError(f"a manifest cannot hold a {type(value).__name__}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_manifest(cls: type[T], data: Any) -> T:
    """The input of type ``cls`` that ``data`` (from :func:`to_manifest`) describes."""
    return typing.cast(T, _decode(cls, data, cls.__name__))


def _decode(hint: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return data
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _decode(option, data, where)
            except (ManifestError, ValueError, TypeError) as exc:
                errors.append(str(exc))
        raise ManifestError(f"{where}: {data!r} matches none of {hint}: {'; '.join(errors)}")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(data, Mapping):
            raise ManifestError(f"{where}: expected an object for {hint.__name__}")
        hints = _hints(hint)
        known = {f.name for f in dataclasses.fields(hint)}
        unknown = set(data) - known
        if unknown:
            raise ManifestError(f"{where}: unknown fields {sorted(unknown)}")
        return hint(**{name: _decode(hints[name], value, f"{where}.{name}")
                       for name, value in data.items()})
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        if not isinstance(data, Mapping):
            raise ManifestError(f"{where}: expected an object")
        args = typing.get_args(hint)
        value_hint = args[1] if len(args) == 2 else Any
        return {k: _decode(value_hint, v, f"{where}.{k}") for k, v in data.items()}
    if origin is not None and isinstance(origin, type) and issubclass(origin, Sequence):
        if not isinstance(data, list):
            raise ManifestError(f"{where}: expected a list")
        args = typing.get_args(hint)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return tuple(_decode(a, v, f"{where}[{i}]")
                         for i, (a, v) in enumerate(zip(args, data, strict=True)))
        item_hint = args[0] if args else Any
        items = [_decode(item_hint, v, f"{where}[{i}]") for i, v in enumerate(data)]
        return tuple(items) if origin is tuple else items
    if hint is datetime:
        return datetime.fromisoformat(_text(data, where))
    if hint is date:
        return date.fromisoformat(_text(data, where))
    if hint is Decimal:
        return Decimal(_text(data, where))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(data)
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ManifestError(f"{where}: expected a number, not {data!r}")
        return float(data)
    if hint in (str, int, bool):
        if type(data) is not hint:
            raise ManifestError(f"{where}: expected {hint.__name__}, not {data!r}")
        return data
    raise ManifestError(f"{where}: cannot read a {hint}")


def _text(data: Any, where: str) -> str:
    if not isinstance(data, str):
        raise ManifestError(f"{where}: expected text, not {data!r}")
    return data
