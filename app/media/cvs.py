"""A learner's CVs: media rows of kind `cv` owned by the user (owner type `user`), a display name
each (Media.meta["title"]) and one default (LmsUser.default_cv_media_id).

Only the user (and admins) see or download them (`cv` is one of services.PRIVATE_KINDS). Other
modules (careers: job applications) read them with `user_cvs(user)` and `default_cv(user)`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import Invalid, NotFound
from app.core.softdelete import soft_delete
from app.extensions import db
from app.media import services
from app.media.models import Media
from app.security.models import LmsUser

KIND = "cv"
TITLE = "title"  # key in Media.meta: the name the user gave the CV
MAX_TITLE = 120


def _mine(user: Any) -> Any:
    return select(Media).where(
        Media.kind == KIND,
        Media.mediable_type == "user",
        Media.mediable_id == user.id,
        Media.uploader_id == user.id,
    )


def user_cvs(user: Any) -> list[Media]:
    """The user's CVs, oldest first."""
    return list(db.session.scalars(_mine(user).order_by(Media.created_at, Media.id)))


def default_cv(user: Any) -> Media | None:
    """The CV the user chose as default (None when they have none)."""
    if not user.default_cv_media_id:
        return None
    return db.session.scalar(_mine(user).where(Media.id == user.default_cv_media_id))


def title_of(media: Media) -> str:
    """A CV's display name: the one the user gave it, else its file name."""
    return str((media.meta or {}).get(TITLE) or media.original_filename)


def max_cvs() -> int:
    """How many CVs a user may keep (PROFILE_MAX_CVS)."""
    return int(current_app.config.get("PROFILE_MAX_CVS", 10))


def own_cv(user: Any, media_id: int) -> Media:
    """One of the user's CVs, or NotFound (another user's file is never named as such)."""
    media = db.session.scalar(_mine(user).where(Media.id == media_id))
    if media is None:
        raise NotFound(_("No such CV."))
    return media


def _checked_title(title: str | None) -> str | None:
    text = " ".join((title or "").split())
    if len(text) > MAX_TITLE:
        raise Invalid(
            _("A CV's name has at most %(count)d characters.", count=MAX_TITLE), {"title": ["too_long"]}
        )
    return text or None


def upload_cv(user: LmsUser, files: list[tuple[str, bytes]], title: str | None = None) -> Media:
    """Keep one more CV (pdf, doc, docx); the first one becomes the default."""
    name = _checked_title(title)
    if len(user_cvs(user)) >= max_cvs():
        raise Invalid(
            _("You can keep at most %(count)d CVs. Delete one first.", count=max_cvs()),
            {"file": ["too_many"]},
        )
    if len(files) > 1:
        raise Invalid(_("Send one file in the `file` field."), {"file": ["one_file"]})
    media = services.upload_files(files, KIND, user, "user", user.id)[0]
    if name:
        media.meta = {**(media.meta or {}), TITLE: name}
    if default_cv(user) is None:
        user.default_cv_media_id = media.id
    db.session.flush()
    return media


def rename_cv(user: LmsUser, media_id: int, title: str) -> Media:
    """Give one of the user's CVs a display name (empty: its file name again)."""
    media = own_cv(user, media_id)
    name = _checked_title(title)
    meta = {key: value for key, value in (media.meta or {}).items() if key != TITLE}
    media.meta = {**meta, TITLE: name} if name else meta
    db.session.flush()
    return media


def set_default_cv(user: LmsUser, media_id: int) -> Media:
    """Make one of the user's CVs the default."""
    media = own_cv(user, media_id)
    user.default_cv_media_id = media.id
    db.session.flush()
    return media


def delete_cv(user: LmsUser, media_id: int) -> None:
    """Soft delete one of the user's CVs; the newest remaining one becomes the default if it was."""
    media = own_cv(user, media_id)
    soft_delete(media)
    db.session.flush()
    if user.default_cv_media_id == media.id:
        remaining = user_cvs(user)
        user.default_cv_media_id = remaining[-1].id if remaining else None
        db.session.flush()


def cv_link(user: Any, media_id: int) -> str:
    """A signed, expiring download address of one of the user's CVs."""
    return services.issue_link(own_cv(user, media_id), user)
