"""Shared pieces of the settings rules (quizzes, overrides, draws, assignments, rubrics, completion).

The `check_*` functions live with their subject (`quizzes`, `assignments`, `completion`); they collect
problems per field with these helpers and raise one `Invalid` (422), or `Conflict` (409) for a second
live row where only one may exist. Views and APIs call them; they never repeat the rules.

The row may come from a form (its relationships are set, their ids not yet) or from the API (ids set,
relationships resolved): `related` reads the parent a row names either way.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from app.core.errors import Conflict, Invalid
from app.core.models import as_utc
from app.courses.services.catalog import next_position
from app.extensions import db

Errors = dict[str, list[str]]
MAX_POSITION = 100_000
MINUTES_PER_WEEK = 7 * 24 * 60
MAX_WEIGHT = 1000


def add_error(errors: Errors, field: str, message: str) -> None:
    """Record one problem of one field."""
    errors.setdefault(field, []).append(message)


def raise_errors(errors: Errors, message: str) -> None:
    """Invalid (422) with the problems by field, when there are any."""
    if errors:
        raise Invalid(message, errors)


def is_new(item: Any) -> bool:
    """True for a row not stored yet (its empty required columns take their defaults)."""
    return getattr(item, "id", None) is None


def in_range(errors: Errors, item: Any, field: str, low: Any, high: Any, message: str) -> None:
    """`message` unless between `low` and `high`; empty only on a new row (default) or a nullable column."""
    value = getattr(item, field)
    if value is None:
        column = sa_inspect(type(item)).columns.get(field)
        if column is not None and not column.nullable and not is_new(item):
            add_error(errors, field, message)
        return
    if not low <= value <= high:
        add_error(errors, field, message)


def check_dates(errors: Errors, item: Any, *fields: str) -> None:
    """Dates between the years 2000 and 9000 once in UTC (a year past 9999 breaks every later read)."""
    for field in fields:
        value = getattr(item, field, None)
        if value is None:
            continue
        try:
            year = as_utc(value).year
        except OverflowError:  # 9999-12-31 in a zone behind UTC is past the largest datetime
            year = 10_000
        if not 2000 <= year <= 9000:
            add_error(errors, field, _("Choose a date between the years 2000 and 9000."))


def check_order(
    errors: Errors, item: Any, first: str, second: str, message: str, *, allow_equal: bool = False
) -> None:
    """`second` comes after `first` when both are set (dates already refused are not compared)."""
    if first in errors or second in errors:
        return
    start, end = as_utc(getattr(item, first)), as_utc(getattr(item, second))
    if start is not None and end is not None and (end < start if allow_equal else end <= start):
        add_error(errors, second, message)


def check_weight(errors: Errors, item: Any) -> None:
    """A gradebook weight from 0 to MAX_WEIGHT."""
    in_range(errors, item, "weight", 0, MAX_WEIGHT, _("The weight is from 0 to %(max)d.", max=MAX_WEIGHT))


def one_of(errors: Errors, item: Any, field: str, choices: tuple[str, ...]) -> None:
    """A known code (empty on a new row: the default applies)."""
    value = getattr(item, field)
    if (value is None and not is_new(item)) or (value is not None and value not in choices):
        add_error(errors, field, _("Choose one of: %(choices)s.", choices=", ".join(choices)))


def related(item: Any, name: str) -> Any:
    """The parent the row names: the relationship when set or loaded, else the row of its id, or None."""
    state, key = sa_inspect(item), f"{name}_id"
    id_changed = key in state.attrs and state.attrs[key].history.has_changes()
    if name in state.dict and (state.attrs[name].history.has_changes() or not id_changed):
        return state.dict[name]
    parent_id = getattr(item, key, None)
    if parent_id is None:
        return None
    return db.session.get(state.mapper.relationships[name].mapper.class_, parent_id)


def related_id(item: Any, name: str) -> Any:
    """The id of the parent the row names (from the relationship when set, else the column)."""
    parent = related(item, name)
    return parent.id if parent is not None else getattr(item, f"{name}_id", None)


def check_lesson(errors: Errors, item: Any) -> None:
    """The row's lesson, when it names one, belongs to the row's course."""
    lesson = related(item, "lesson")
    if lesson is not None and lesson.course_id != related_id(item, "course"):
        add_error(errors, "lesson_id", _("The lesson must belong to the chosen course."))


def refuse_duplicate(item: Any, field: str, message: str, **values: Any) -> None:
    """Conflict (409) when another live row of the model has the same values."""
    model = type(item)
    if any(value is None for value in values.values()):
        return
    query = select(model.id).where(*(getattr(model, key) == value for key, value in values.items()))
    if not is_new(item):
        query = query.where(model.id != item.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Conflict(message, {field: [message]})


def check_position(errors: Errors, item: Any, parent: str) -> None:
    """A position from 0; an empty one puts the row after the last row of its parent."""
    if item.position is None:
        parent_id = related_id(item, parent)
        if parent_id is not None:
            item.position = next_position(type(item), **{f"{parent}_id": parent_id})
        return
    if not 0 <= item.position <= MAX_POSITION:
        add_error(errors, "position", _("The position is from 0 to %(max)d.", max=MAX_POSITION))
