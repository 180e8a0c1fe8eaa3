"""A user's favorites as a spreadsheet: CSV (UTF-8 with a byte-order mark) or Excel (.xlsx).

Titles are written by others (a course's title, a comment): a cell starting with = + - or @ gets a
leading apostrophe, so that a spreadsheet shows it as text instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _

from app.engagement.services.favorites import FAVORITE_KINDS, MAX_FAVORITES_PAGE, FavoriteItem, my_favorites

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# An export holds every favorite (pages of the list are for screens).
MAX_EXPORT_PAGES = 1000


def guard(cell: Any) -> str:
    """A cell as text, neutralised when a spreadsheet would read it as a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.lstrip("'").startswith(_FORMULA_PREFIXES) else text


def _items(user: Any, **filters: Any) -> list[FavoriteItem]:
    items: list[FavoriteItem] = []
    for page in range(1, MAX_EXPORT_PAGES + 1):
        chunk = my_favorites(user, page=page, page_size=MAX_FAVORITES_PAGE, **filters)
        items.extend(chunk.items)
        if page * MAX_FAVORITES_PAGE >= chunk.total:
            break
    return items


def _table(user: Any, **filters: Any) -> list[list[str]]:
    header = [_("Kind"), _("Title (English)"), _("Title (Arabic)"), _("Collection"), _("Added"), _("Link")]
    rows = [
        [
            str(FAVORITE_KINDS[item.kind]),
            item.title("en"),
            item.title("ar"),
            item.favorite.collection.name if item.favorite.collection is not None else "",
            item.added_at.strftime("%Y-%m-%d %H:%M"),
            item.url or "",
        ]
        for item in _items(user, **filters)
    ]
    return [[guard(cell) for cell in row] for row in [header, *rows]]


def favorites_csv(user: Any, **filters: Any) -> str:
    """The user's favorites (with the list's filters) as CSV text starting with a byte-order mark."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(_table(user, **filters))
    return out.getvalue()


def favorites_xlsx(user: Any, **filters: Any) -> bytes:
    """The user's favorites (with the list's filters) as an Excel workbook."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Favorites")[:31]
    for row in _table(user, **filters):
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            cell.data_type = "s"  # text, never a formula (the apostrophe shows it, too)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
