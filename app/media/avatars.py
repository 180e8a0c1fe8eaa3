"""Avatars: a user's picture, kept in the media library (kind `avatar`, owned by the user) and cut
into centre-cropped squares (MEDIA_AVATAR_SIZES) by a task.

Avatars are served at one stable address per user and size, `/media/avatar/<user uuid>/<size>`,
to whoever may see the user's avatar (the profile's `avatar` privacy: public unless the user chose
otherwise); `?v=<media id>` changes with the picture, so browsers may keep each copy.
"""

from __future__ import annotations

import uuid
import zlib
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from app.core.errors import NotFound
from app.core.portal import signed_in_user
from app.core.softdelete import soft_delete
from app.core.tasks import enqueue
from app.core.translations import current_language
from app.extensions import db
from app.media import images, services
from app.media.models import Media
from app.security.models import LmsUser
from app.security.profiles import display_name, may_see

KIND = "avatar"
SIZES_KEY = "avatar_sizes"  # in Media.meta: {"64": {"path", "provider"}, ...}


def sizes() -> list[int]:
    """The square sizes made of every avatar, smallest first."""
    return sorted(int(side) for side in current_app.config["MEDIA_AVATAR_SIZES"])


def nearest_size(size: int) -> int:
    """The smallest made size at least `size` (the largest when none is)."""
    made = sizes()
    return next((side for side in made if side >= size), made[-1])


def _viewer() -> Any:
    return signed_in_user() if has_request_context() else None


def avatar_url(user: Any, size: int = 64) -> str | None:
    """The address of the user's avatar at (about) `size` pixels, or None when there is no picture
    the current viewer may see (then pages show the initials)."""
    if user is None or not getattr(user, "avatar_media_id", None) or not getattr(user, "uuid", None):
        return None
    if not may_see(_viewer(), user, "avatar"):
        return None
    return url_for(
        "media_files.avatar", key=user.uuid.hex, size=nearest_size(int(size)), v=user.avatar_media_id
    )


def avatar_name(user: Any) -> str:
    """The alt text of an avatar: the user's name when the viewer may see it, else the user name."""
    if user is None:
        return ""
    if may_see(_viewer(), user, "name"):
        return display_name(user, current_language())
    return str(user.username)


def avatar_initials(user: Any) -> str:
    """One or two letters for an avatar without a picture."""
    name = avatar_name(user)
    words = [word for word in name.replace("_", " ").split() if word]
    letters = "".join(word[0] for word in words[:2]) or (str(getattr(user, "username", "?"))[:1])
    return letters.upper()


def avatar_hue(user: Any) -> int:
    """A stable colour (a hue in degrees) per user, so the same person has the same circle."""
    return zlib.crc32(str(getattr(user, "username", "")).encode()) % 360


def set_avatar(user: LmsUser, files: list[tuple[str, bytes]]) -> Media:
    """Store one image as the user's avatar (the previous one is deleted); the sizes are made by a task."""
    media = services.upload_files(files[:1], KIND, user, "user", user.id)[0]
    _forget(user)
    user.avatar_media_id = media.id
    db.session.flush()
    enqueue("app.media.tasks.make_avatar_sizes", media.id)
    return media


def remove_avatar(user: LmsUser) -> None:
    """Delete the user's avatar (initials are shown again)."""
    _forget(user)
    user.avatar_media_id = None
    db.session.flush()


def _forget(user: LmsUser) -> None:
    if user.avatar_media_id:
        old = db.session.get(Media, user.avatar_media_id)
        if old is not None:
            soft_delete(old)


def make_sizes(media: Media) -> dict[str, Any]:
    """Write each configured square size once (idempotent); returns the size map."""
    made = dict((media.meta or {}).get(SIZES_KEY, {}))
    store = services.storage()
    data: bytes | None = None
    for side in sizes():
        if str(side) in made:
            continue
        data = data or store.read(media.provider.code, media.storage_path)
        path = f"avatars/{media.uuid.hex}_{side}.webp"
        provider = store.write(path, images.square(data, side))
        services._delete_on_rollback(provider.code, path)
        made[str(side)] = {"path": path, "provider": provider.code}
    media.meta = {**(media.meta or {}), SIZES_KEY: made}
    db.session.flush()
    return made


def served_avatar(key: str, size: int) -> tuple[Media, str, str, str, bool]:
    """(media, provider code, path, mime type, public) of a user's avatar at a size, for the viewer;
    NotFound for unknown or inactive users, no picture, or a viewer the user hides it from."""
    try:
        user_uuid = uuid.UUID(hex=key)
    except ValueError:
        raise NotFound() from None
    user = db.session.scalar(select(LmsUser).where(LmsUser.uuid == user_uuid))
    if user is None or not user.is_active or not user.avatar_media_id:
        raise NotFound()
    if not may_see(_viewer(), user, "avatar"):
        raise NotFound()
    media = db.session.get(Media, user.avatar_media_id)
    if media is None or media.kind != KIND:
        raise NotFound()
    public = may_see(None, user, "avatar")
    made = (media.meta or {}).get(SIZES_KEY, {}).get(str(nearest_size(size)))
    if made:
        return media, made["provider"], made["path"], "image/webp", public
    return media, media.provider.code, media.storage_path, media.mime_type, public  # until the task ran
