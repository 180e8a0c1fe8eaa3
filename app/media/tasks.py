"""Media background tasks: thumbnails after upload, cleanup of expired temporary uploads."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.media import services
from app.media.models import Media


def make_thumbnails(media_id: int) -> dict[str, Any]:
    """Make the configured thumbnails of one image (safe to run twice)."""
    media = db.session.get(Media, media_id)
    if media is None:
        return {}
    return services.make_thumbnails(media)


def remove_expired_temporary_media() -> int:
    """Scheduled: remove expired temporary uploads (files deleted, rows soft deleted)."""
    return services.remove_expired_temporary()


def make_avatar_sizes(media_id: int) -> dict[str, Any]:
    """Make the square sizes of an avatar (safe to run twice)."""
    from app.media import avatars

    media = db.session.get(Media, media_id)
    if media is None or media.kind != avatars.KIND:
        return {}
    return avatars.make_sizes(media)
