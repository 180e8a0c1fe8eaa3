"""Choosing files from the library in forms and rich text editors: which files a user may pick, how a
chosen file is described, and publishing an image for rich text.

A user picks their own uploads; admins pick any file (the same rule as the media API's rows and as
`courses.services.media_links.check_media_choice`). Signed links expire after minutes, so an image
put into rich text is *published* instead: it becomes permanent and is served at a stable address
made from its random uuid (`/media/image/<uuid>`) to whoever reads the text, course pages included.
Only images are published, only by whoever may pick them, and only when they insert them.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from flask import g, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import Forbidden, Invalid, NotFound
from app.core.targets import is_admin
from app.core.widgets import MediaSummary
from app.extensions import db
from app.media import services
from app.media.models import Media
from app.media.validation import human_size

PAGE_SIZE = 24
THUMBNAIL = "128x128"
PUBLISHED = "published"  # key in Media.meta: the image may be served at its stable address


def may_pick(user: Any, media: Media) -> bool:
    """Admins pick any file; others their own uploads."""
    return is_admin(user) or (user is not None and media.uploader_id == getattr(user, "id", None))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def pickable(user: Any, *, q: str = "", images_only: bool = False) -> Any:
    """The query of the files a user may pick, newest first."""
    query = select(Media)
    if not is_admin(user):
        query = query.where(Media.uploader_id == getattr(user, "id", None))
    if images_only:
        query = query.where(Media.mime_type.like("image/%"))
    words = q.strip()[:100]
    if words:
        query = query.where(Media.original_filename.ilike(f"%{_escaped(words)}%", escape="\\"))
    return query


def thumbnail_url(media: Media, user: Any) -> str | None:
    """A short-lived address of an image's thumbnail (the image itself until the thumbnail is made)."""
    if not media.is_image:
        return None
    variant = THUMBNAIL if THUMBNAIL in (media.meta or {}).get("thumbnails", {}) else None
    return services.issue_link(media, user, inline=True, variant=variant)


def summary(media: Media, user: Any) -> dict[str, Any]:
    """What the picker shows of a file."""
    return {
        "id": media.id,
        "name": media.original_filename,
        "mime_type": media.mime_type,
        "is_image": media.is_image,
        "size": media.size,
        "size_label": human_size(media.size),
        "thumbnail": thumbnail_url(media, user),
    }


def pick_page(user: Any, *, q: str = "", page: int = 1, images_only: bool = False) -> dict[str, Any]:
    """One page of the files a user may pick, with the page count."""
    query = pickable(user, q=q, images_only=images_only)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        query.order_by(Media.created_at.desc(), Media.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return {
        "items": [summary(media, user) for media in rows],
        "page": page,
        "pages": pages,
        "total": total,
    }


def describe(media_id: int) -> MediaSummary | None:
    """A chosen file as a form shows it, for the signed-in user (None for a file they may not pick)."""
    user = g.get("user")
    media = db.session.get(Media, media_id)
    if media is None or not may_pick(user, media):
        return None
    return MediaSummary(media.original_filename, thumbnail_url(media, user))


def image_url(media: Media) -> str:
    """The stable address of a published image."""
    return url_for("media_files.image", key=media.uuid.hex)


def publish_image(media: Media, user: Any) -> str:
    """Make an image the user may pick permanent and readable at its stable address; returns it."""
    if not may_pick(user, media):
        raise Forbidden(_("You may only use files you uploaded."))
    if not media.is_image:
        raise Invalid(_("Only images can be shown in a text."), {"file": ["not_image"]})
    if not (media.meta or {}).get(PUBLISHED) or media.is_temporary:
        media.meta = {**(media.meta or {}), PUBLISHED: True}
        media.is_temporary, media.expires_at = False, None
        db.session.flush()
    return image_url(media)


def published_image(key: str) -> Media:
    """The published image of a stable address, or NotFound (unpublished, deleted or not an image)."""
    try:
        value = uuid.UUID(hex=key)
    except ValueError:
        raise NotFound() from None
    media = db.session.scalar(select(Media).where(Media.uuid == value))
    if media is None or not media.is_image or not (media.meta or {}).get(PUBLISHED):
        raise NotFound()
    return media


def uploaded(files: list[tuple[str, bytes]], kind: str, user: Any) -> Media:
    """One file uploaded from the picker, through the library's checks (kind, sniffing, size, rate)."""
    if len(files) != 1:
        raise Invalid(_("Send one file in the `file` field."), {"file": ["required"]})
    return services.upload_files(files, kind, user)[0]
