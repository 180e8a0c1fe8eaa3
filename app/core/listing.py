"""Lists that stay fast as tables grow: capped counts and pagers that show only nearby pages."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Query

from app.extensions import db

DEFAULT_COUNT_CAP = 10_000
PAGER_RADIUS = 2  # pages shown on each side of the current one


class ListCount(int):
    """A row count that may be a lower bound: `capped` is True when more rows matched than counted."""

    capped: bool

    def __new__(cls, value: int, capped: bool = False) -> ListCount:
        count = super().__new__(cls, value)
        count.capped = capped
        return count


def count_cap() -> int:
    """How many rows a list counts exactly (`LIST_COUNT_CAP`); past it, "more than N"."""
    if not has_app_context():
        return DEFAULT_COUNT_CAP
    return int(current_app.config.get("LIST_COUNT_CAP", DEFAULT_COUNT_CAP))


def capped_count(query: Query[Any] | Select[Any], rows_needed: int = 0) -> ListCount:
    """Count the rows of `query`, reading at most max(cap, rows_needed) + 1 of them.

    An exact count reads every matching row (x2 from 1k to 100k rows); a LIMITed subquery stops
    early. `rows_needed` (the rows up to the end of the page asked for) keeps "is there a next
    page" exact on pages past the cap: one row more is read.
    """
    limit = max(count_cap(), rows_needed + 1 if rows_needed else 0)
    # Only the primary key per row (an index-only scan), never the columns of a join.
    # ORM attributes, not table columns: the soft-delete criteria only reach ORM-enabled subqueries.
    mapper: Any = sa_inspect(query.column_descriptions[0]["entity"])
    key = [mapper.get_property_by_column(column).class_attribute for column in mapper.primary_key]
    if isinstance(query, Query):
        inner = query.with_entities(*key).order_by(None).limit(limit + 1).subquery()
        session = query.session
    else:
        inner = query.with_only_columns(*key).order_by(None).limit(limit + 1).subquery()
        session = db.session
    counted = int(session.scalar(select(func.count()).select_from(inner)) or 0)
    if counted > limit:
        return ListCount(limit, capped=True)
    return ListCount(counted)


def count_label(count: int) -> str:
    """A list's count for people: "1,234", or "more than 10,000" when the count was capped."""
    language = getattr(get_locale(), "language", "en")
    number = f"{int(count):,}".replace(",", "\u066c" if language == "ar" else ",")
    if getattr(count, "capped", False):
        return _("more than %(count)s", count=number)
    return number


def page_window(
    page: int, pages: int, *, first: int = 0, last_known: bool = True, radius: int = PAGER_RADIUS
) -> list[int | None]:
    """Page numbers to link around `page` (pages numbered from `first`); None marks a gap.

    At most 2 * radius + 5 entries whatever the number of pages (looping over 6,667 page numbers
    made a 116 KB catalog page at 100k courses). When the count was capped the last page is not
    known, so it is not offered.
    """
    if pages <= 0:
        return []
    last = first + pages - 1
    start, end = max(first, page - radius), min(last, page + radius)
    window: list[int | None] = []
    if start > first:
        window += [first] + ([None] if start > first + 1 else [])
    window += list(range(start, end + 1))
    if end < last and not last_known:
        window.append(None)
    elif end < last:
        window += ([None] if end < last - 1 else []) + [last]
    return window
