"""Files of courses (covers, lesson videos and documents, resources) kept in the media library.

A row names a media id; before it is saved the user must be allowed to use that file (their own
upload, or the file already belongs to this row), and once saved the file is attached to the row so
that it stops being temporary and its downloads follow the row's rule (see the course targets).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.core.errors import Forbidden
from app.core.targets import is_admin
from app.courses.models import Course, CourseResource, LessonContent
from app.media import services as media_services

MEDIA_FIELDS: dict[type, tuple[str, str]] = {
    Course: ("cover_media_id", "course"),
    CourseResource: ("media_id", "course_resource"),
    LessonContent: ("media_id", "lesson_content"),
}


def _media_of(obj: Any) -> tuple[Any, str] | None:
    field_code = MEDIA_FIELDS.get(type(obj))
    if field_code is None or not getattr(obj, field_code[0], None):
        return None
    return media_services.get_media(getattr(obj, field_code[0])), field_code[1]


def check_media_choice(obj: Any, user: Any) -> None:
    """Forbidden when the row names a file the user may not use (someone else's upload)."""
    found = _media_of(obj)
    if found is None:
        return
    media, code = found
    owned_here = media.mediable_type == code and obj.id is not None and media.mediable_id == obj.id
    if not (is_admin(user) or owned_here or media.uploader_id == getattr(user, "id", None)):
        raise Forbidden(_("You may only use files you uploaded."))


def link_media(obj: Any, user: Any) -> None:
    """Attach the row's file to the row (after it is saved and has an id)."""
    found = _media_of(obj)
    if found is None:
        return
    media, code = found
    if media.mediable_type == code and media.mediable_id == obj.id and not media.is_temporary:
        return
    media_services.attach(media, code, obj.id, user)
