"""Engagement background tasks: applying the pending view counts in bulk."""

from __future__ import annotations

from app.engagement.services import views


def flush_view_counts() -> int:
    """Scheduled (every minute, VIEW_FLUSH_CRON): apply the views counted since the last run (safe
    to retry and to run twice: each batch is applied once)."""
    return views.flush_view_counts()
