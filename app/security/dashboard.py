"""Dashboard panel of accounts, for admins: who signed up this week."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import url_for
from flask_babel import format_number, gettext
from sqlalchemy import func, select

from app.core.dashboard import DashboardRow, Panel, person_name
from app.core.models import utcnow
from app.core.targets import is_admin
from app.extensions import db
from app.security.models import LmsUser

ROWS = 5


def new_sign_ups(user: Any) -> Panel | None:
    """Accounts created in the last seven days, newest first."""
    if not is_admin(user):
        return None
    recent = LmsUser.created_on >= utcnow() - timedelta(days=7)
    count = db.session.scalar(select(func.count(LmsUser.id)).where(recent)) or 0
    users = db.session.scalars(select(LmsUser).where(recent).order_by(LmsUser.created_on.desc()).limit(ROWS))
    return Panel(
        gettext("New sign-ups this week"),
        format_number(count),
        [
            DashboardRow(person_name(person), url_for("LmsUserDBModelView.show", pk=person.id))
            for person in users
        ],
        url_for("LmsUserDBModelView.list"),
        gettext("No one signed up this week."),
    )
