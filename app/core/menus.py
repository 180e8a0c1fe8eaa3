"""Back-office menus: headed groups inside a dropdown, and categories shown after all others.

FAB's menu is a flat list per category. A module declares its category's groups once, in order
(`register_menu_groups`), and names each screen's group where it adds the screen
(`add_view(..., menu_group="quizzes")`); the navbar then shows the entries the user may open
under their group's heading, so no dropdown is a long flat list. Entries without a group follow
the groups, after a divider. FAB's own `menu_cond` (and a category item's `cond`) still hides an
entry or a whole category from whoever it returns false for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_appbuilder.menu import MenuItem

from app import extensions

SEPARATOR = "-"


@dataclass(frozen=True)
class MenuGroup:
    """One headed group of a category's dropdown."""

    key: str
    label: Any  # a lazy string: shown in the reader's language


@dataclass
class MenuSection:
    """The entries of one group the user may open, under its heading (None: no heading)."""

    id: str
    label: Any | None
    items: list[MenuItem] = field(default_factory=list)


_GROUPS: dict[str, list[MenuGroup]] = {}
_PLACES: dict[tuple[str, str], str] = {}
_LAST: list[str] = []


def register_menu_groups(category: str, *groups: tuple[str, Any]) -> None:
    """Declare a category's headed groups, as (key, label) in the order they are shown."""
    known = _GROUPS.setdefault(category, [])
    for key, label in groups:
        if all(group.key != key for group in known):
            known.append(MenuGroup(key, label))


def place_in_group(category: str, name: str, group: str) -> None:
    """Show the category's entry `name` (its FAB menu name) in the declared group `group`."""
    if all(known.key != group for known in _GROUPS.get(category, ())):
        raise KeyError(f"Menu group '{group}' is not declared for '{category}' (register_menu_groups)")
    _PLACES[(category, name)] = group


def add_view(appbuilder: Any, view: Any, name: str, *, menu_group: str | None = None, **kwargs: Any) -> Any:
    """FAB's `add_view`, plus the group the entry is shown in (needs `category=`)."""
    added = appbuilder.add_view(view, name, **kwargs)
    if menu_group:
        place_in_group(kwargs["category"], name, menu_group)
    return added


def add_views(appbuilder: Any, screens: Iterable[tuple[Any, ...]], **category: Any) -> None:
    """Add (view, menu name, label, icon[, menu group]) screens to one category, in order."""
    for view, name, label, icon, *group in screens:
        add_view(
            appbuilder, view, name, label=label, icon=icon, menu_group=next(iter(group), None), **category
        )


def add_link(appbuilder: Any, name: str, *, menu_group: str | None = None, **kwargs: Any) -> None:
    """FAB's `add_link`, plus the group the entry is shown in (needs `category=`)."""
    appbuilder.add_link(name, **kwargs)
    if menu_group:
        place_in_group(kwargs["category"], name, menu_group)


def show_category_last(category: str) -> None:
    """Show a category after every other one, whenever its module registers it."""
    if category not in _LAST:
        _LAST.append(category)


def menu_categories() -> list[MenuItem]:
    """The top-level menu entries in registration order, the ones asked to come last at the end."""
    items = extensions.appbuilder.menu.get_list()
    return sorted(items, key=lambda item: _LAST.index(item.name) + 1 if item.name in _LAST else 0)


def is_shown(item: MenuItem) -> bool:
    """The user may open the entry (FAB's menu_access) and its condition, if any, holds."""
    return item.should_render() and extensions.appbuilder.sm.has_access("menu_access", item.name)


def _dom_id(*parts: str) -> str:
    return "menu-" + "-".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in parts)


def menu_sections(category: MenuItem) -> list[MenuSection]:
    """The category's entries the user may open: its groups in order, then ungrouped entries
    (split where FAB put a separator); groups with nothing to show are left out."""
    groups = _GROUPS.get(category.name, [])
    sections = [MenuSection(_dom_id(category.name, group.key), group.label) for group in groups]
    by_key = {group.key: section for group, section in zip(groups, sections, strict=True)}
    loose: list[MenuSection] = [MenuSection(_dom_id(category.name, "more"), None)]
    for item in category.childs:
        if item.name == SEPARATOR:
            if item.should_render():
                loose.append(MenuSection(_dom_id(category.name, f"more-{len(loose)}"), None))
            continue
        if not is_shown(item):
            continue
        group = _PLACES.get((category.name, item.name))
        (by_key[group] if group else loose[-1]).items.append(item)
    return [section for section in sections + loose if section.items]
