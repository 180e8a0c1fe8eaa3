"""The back-office home: panels that modules register, each showing a user what needs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DashboardRow:
    """One line of a panel: what to show (text, or markup with its own links) and where it leads."""

    text: str
    url: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Panel:
    """A box of the dashboard: a title, a headline figure, the first rows and a link to them all."""

    title: str
    figure: str
    rows: list[DashboardRow] = field(default_factory=list)
    more_url: str | None = None
    empty: str = ""  # said instead of the rows when there are none


def person_name(user: Any) -> str:
    """A user as people call them: their full name, else their username."""
    return f"{user.first_name or ''} {user.last_name or ''}".strip() or user.username


PanelSource = Callable[[Any], Panel | None]  # None: the panel is not for this user
_sources: list[tuple[int, PanelSource]] = []


def register_panel(source: PanelSource, order: int = 100) -> None:
    """Add a panel to the back-office home (the owning module decides who sees it and what)."""
    if all(existing is not source for _, existing in _sources):
        _sources.append((order, source))
        _sources.sort(key=lambda item: item[0])


def panels_for(user: Any) -> list[Panel]:
    """The panels a signed-in user sees, in registration order."""
    return [panel for _, source in _sources if (panel := source(user)) is not None]
