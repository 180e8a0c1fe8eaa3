"""Referral figures: visits, sign-ups, enrolments, purchases and revenue per sharer and per course,
credited to the first or the last touch, in a date range; a learner's own results; CSV.

Admins see everything; others only what is about targets they moderate (an instructor: their
courses). Sign-ups are about no target, so only admins see them in the figures.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.core import targets
from app.core.errors import Invalid, NotFound
from app.engagement.models import ReferralConversion, ReferralTouch, Share
from app.engagement.services.comments import moderated_targets
from app.engagement.services.favorite_export import guard
from app.extensions import db
from app.security.models import LmsUser

BY = ("sharer", "course")
MODELS = ("first", "last")
MAX_ROWS = 500


@dataclass
class FigureRow:
    """One line of a figures table (a sharer or a course)."""

    key: int
    label: str = ""
    shares: int = 0
    visits: int = 0
    signups: int = 0
    enrollments: int = 0
    purchases: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)

    @property
    def revenue_text(self) -> str:
        """Revenue per currency, e.g. `49.99 SAR`."""
        return "; ".join(f"{amount:.2f} {currency}" for currency, amount in sorted(self.revenue.items()))

    def add(self, kind: str, count: int, amount: Any, currency: str | None) -> None:
        """Count conversions of one kind (and their revenue)."""
        if kind == "signup":
            self.signups += count
        elif kind == "enrollment":
            self.enrollments += count
        elif kind == "purchase":
            self.purchases += count
            if currency and amount is not None:
                self.revenue[currency] = self.revenue.get(currency, Decimal("0")) + Decimal(amount)


def parse_day(value: Any, name: str) -> date | None:
    """A `YYYY-MM-DD` query value, None when empty, Invalid otherwise."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(_("Use a date like 2026-12-31."), {name: [_("Not a date.")]}) from None


def _range(column: Any, start: date | None, end: date | None) -> list[Any]:
    where = []
    if start is not None:
        where.append(column >= datetime.combine(start, time.min, UTC))
    if end is not None:
        where.append(column < datetime.combine(end + timedelta(days=1), time.min, UTC))
    return where


def _check(user: Any, by: Any, model: Any) -> None:
    if targets.signed_in_user_id(user) is None:
        raise NotFound(_("Not found."))
    if by not in BY:
        raise Invalid(_("Choose sharer or course."), {"by": [_("Choose sharer or course.")]})
    if model not in MODELS:
        raise Invalid(_("Choose first or last touch."), {"model": [_("Choose first or last touch.")]})


def figures(
    user: Any, by: str = "sharer", model: str = "last", start: date | None = None, end: date | None = None
) -> list[FigureRow]:
    """The figures table `by` sharer or course, credited to the `model` touch, within the dates."""
    _check(user, by, model)
    admin = targets.is_admin(user)
    touch_scope = (
        [] if admin else [moderated_targets(user, ReferralTouch.target_type, ReferralTouch.target_id)]
    )
    conv_scope = (
        []
        if admin
        else [moderated_targets(user, ReferralConversion.target_type, ReferralConversion.target_id)]
    )
    touch_where = [*touch_scope, *_range(ReferralTouch.touched_at, start, end)]
    conv_where = [*conv_scope, *_range(ReferralConversion.converted_at, start, end)]
    rows: dict[int, FigureRow] = {}
    if by == "sharer":
        sharer = ReferralConversion.first_sharer_id if model == "first" else ReferralConversion.last_sharer_id
        touch_key: Any = ReferralTouch.sharer_id
        conv_key: Any = sharer
    else:
        touch_where.append(ReferralTouch.target_type == "course")
        conv_where.append(ReferralConversion.target_type == "course")
        touch_key, conv_key = ReferralTouch.target_id, ReferralConversion.target_id
        share_where = [Share.target_type == "course", *_range(Share.created_at, start, end)]
        if not admin:
            share_where.append(moderated_targets(user, Share.target_type, Share.target_id))
        for key, count in db.session.execute(
            select(Share.target_id, func.count(Share.id)).where(*share_where).group_by(Share.target_id)
        ):
            rows.setdefault(key, FigureRow(key)).shares = int(count)
    for key, count in db.session.execute(
        select(touch_key, func.count(ReferralTouch.id)).where(*touch_where).group_by(touch_key)
    ):
        if key is not None:
            rows.setdefault(key, FigureRow(key)).visits = int(count)
    for key, kind, currency, count, amount in db.session.execute(
        select(
            conv_key,
            ReferralConversion.kind,
            ReferralConversion.currency,
            func.count(ReferralConversion.id),
            func.sum(ReferralConversion.amount),
        )
        .where(*conv_where)
        .group_by(conv_key, ReferralConversion.kind, ReferralConversion.currency)
    ):
        if key is not None:
            rows.setdefault(key, FigureRow(key)).add(kind, int(count), amount, currency)
    ordered = sorted(
        rows.values(), key=lambda r: (-r.purchases, -r.enrollments, -r.signups, -r.visits, -r.shares, r.key)
    )[:MAX_ROWS]
    _label(ordered, by)
    return ordered


def _label(rows: list[FigureRow], by: str) -> None:
    """Name each row: a sharer's name, a course's title (in the reader's language)."""
    if not rows:
        return
    if by == "sharer":
        people = {
            u.id: u for u in db.session.scalars(select(LmsUser).where(LmsUser.id.in_([r.key for r in rows])))
        }
        for row in rows:
            person = people.get(row.key)
            row.label = f"{person.get_full_name()} ({person.username})" if person else f"#{row.key}"
        return
    from app.core.translations import current_language

    language = current_language()
    model: Any
    try:
        model = targets.get_target("course").model
    except NotFound:
        model = None
    # All the courses in one statement (soft-deleted ones are not returned: they keep their number).
    courses = (
        {c.id: c for c in db.session.scalars(select(model).where(model.id.in_([r.key for r in rows])))}
        if model is not None
        else {}
    )
    for row in rows:
        course = courses.get(row.key)
        row.label = targets.target_title("course", course, language) if course is not None else f"#{row.key}"


def headers(by: str) -> list[str]:
    """The column titles of a figures table."""
    first = _("Sharer") if by == "sharer" else _("Course")
    middle = [_("Visits"), _("Sign-ups")] if by == "sharer" else [_("Shares"), _("Visits")]
    return [first, *middle, _("Enrolments"), _("Purchases"), _("Revenue")]


def cells(row: FigureRow, by: str) -> list[Any]:
    """A figures row as its table cells."""
    middle = [row.visits, row.signups] if by == "sharer" else [row.shares, row.visits]
    return [row.label, *middle, row.enrollments, row.purchases, row.revenue_text]


def figures_csv(rows: list[FigureRow], by: str) -> str:
    """A figures table as CSV (byte-order mark; cells that a spreadsheet would run are neutralised)."""
    out = io.StringIO()
    out.write("\ufeff")
    table = [headers(by), *(cells(row, by) for row in rows)]
    csv.writer(out).writerows([[guard(cell) for cell in line] for line in table])
    return out.getvalue()


@dataclass
class MyResults:
    """What a sharer's links brought: visits, and people who signed up, enrolled, bought."""

    visits: int = 0
    signups: int = 0
    enrollments: int = 0
    purchases: int = 0


def my_results(user: Any) -> MyResults:
    """The signed-in user's referral results (a conversion counts when they were its first or last touch)."""
    user_id = targets.signed_in_user_id(user)
    if user_id is None:
        raise NotFound(_("Not found."))
    results = MyResults(
        visits=int(
            db.session.scalar(select(func.count(ReferralTouch.id)).where(ReferralTouch.sharer_id == user_id))
            or 0
        )
    )
    for kind, count in db.session.execute(
        select(ReferralConversion.kind, func.count(ReferralConversion.id))
        .where(
            or_(ReferralConversion.first_sharer_id == user_id, ReferralConversion.last_sharer_id == user_id)
        )
        .group_by(ReferralConversion.kind)
    ):
        if kind == "signup":
            results.signups = int(count)
        elif kind == "enrollment":
            results.enrollments = int(count)
        elif kind == "purchase":
            results.purchases = int(count)
    return results
