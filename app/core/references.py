"""Lookups as the base classes see them, without importing the lookups module: it registers itself.

Bodies may name a lookup by its code and dropdowns offer a type's active values; `app.lookups` says how
codes become ids (`register_lookup_resolver` in its `register()`), so `core` stays at the bottom layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LookupResolver:
    """How a lookup type code and a value code become ids (None when unknown)."""

    type_id: Callable[[str], int | None]
    value_id: Callable[[str, str], int | None]
    choices: Callable[[str], list[tuple[int, str, str]]]


_resolver: list[LookupResolver] = []


def register_lookup_resolver(
    type_id: Callable[[str], int | None],
    value_id: Callable[[str, str], int | None],
    choices: Callable[[str], list[tuple[int, str, str]]],
) -> None:
    """Called once by the lookups module; a later call replaces the earlier one."""
    _resolver[:] = [LookupResolver(type_id, value_id, choices)]


def _current() -> LookupResolver:
    if not _resolver:
        raise RuntimeError("No lookup resolver: the app.lookups module was not registered")
    return _resolver[0]


def lookup_type_id(type_code: str) -> int | None:
    """The id of a lookup type."""
    return _current().type_id(type_code)


def lookup_id(type_code: str, code: str) -> int | None:
    """The id of a lookup value of a type."""
    return _current().value_id(type_code, code)


def lookup_choices(type_code: str) -> list[tuple[int, str, str]]:
    """(id, English name, Arabic name) of a type's active values in display order."""
    return _current().choices(type_code)
