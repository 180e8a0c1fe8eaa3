"""Dashboard panel of the audit log, for admins: the latest events as sentences."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext

from app.audit.models import AuditLog
from app.audit.readable import sentence
from app.audit.scopes import viewed_clause
from app.core.dashboard import DashboardRow, Panel
from app.core.formatters import format_user_datetime
from app.core.targets import is_admin
from app.extensions import db

ROWS = 8


def recent_audit_events(user: Any) -> Panel | None:
    """The newest audit rows but page views: who did what to which record (linked), and when."""
    if not is_admin(user):
        return None
    newest = (
        db.select(AuditLog)
        .where(~viewed_clause())
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(ROWS)
    )
    rows = [
        DashboardRow(sentence(event, with_changes=False), None, format_user_datetime(event.created_at))
        for event in db.session.scalars(newest)
    ]
    return Panel(gettext("Recent activity"), "", rows, url_for("AuditLogModelView.list"))
