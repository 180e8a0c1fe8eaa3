"""Notes: private, public (everyone enrolled) or instructors-only, enforced in every query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_, select, update

from app.core import targets
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.html import plain_text, sanitize_html
from app.core.models import utcnow
from app.core.targets import is_admin
from app.core.transactions import unique_insert
from app.courses import notices
from app.courses.models import Course, CourseResource, CourseSection, Lesson, Note, NoteLike, NoteRevision
from app.courses.services.access import accessible_course_ids, can_access, can_manage, can_see_course
from app.courses.services.catalog import courses_taught_by
from app.courses.services.progress import require_open_lesson
from app.extensions import db
from app.lookups.services import lookup_id, require_lookup_id
from app.security.services import require_verified_email

COLORS = ("yellow", "green", "blue", "pink", "purple", "orange", "gray")
MAX_NOTE_LENGTH = 20_000


def _visibility(code: str) -> int:
    return require_lookup_id("note_visibility", code)


@dataclass(frozen=True)
class NoteTarget:
    """A kind of learning target notes can be written on: its model and the course it belongs to."""

    code: str
    model: type
    course_of: Callable[[Any], Course]


# code -> NoteTarget. Courses hold courses, sections, lessons and resources; higher modules add
# theirs from their register() (assessments: quizzes and assignments), courses never imports them.
_NOTE_TARGETS: dict[str, NoteTarget] = {}


def register_note_target(code: str, model: type, *, course_of: Callable[[Any], Course]) -> None:
    """Let learners write notes on targets of one type (`code` is also its `app.core.targets` code:
    a learner notes only what the target registry lets them see, in a course they can open)."""
    _NOTE_TARGETS[code] = NoteTarget(code, model, course_of)


def note_target_codes() -> list[str]:
    """The target types notes can be written on."""
    return list(_NOTE_TARGETS)


register_note_target("course", Course, course_of=lambda course: course)
for _code, _model in (
    ("course_section", CourseSection),
    ("lesson", Lesson),
    ("course_resource", CourseResource),
):
    register_note_target(_code, _model, course_of=lambda item: item.course)


def _load_target(target_type: Any, target_id: Any) -> tuple[NoteTarget, Any]:
    kind = _NOTE_TARGETS.get(target_type) if isinstance(target_type, str) else None
    valid_id = isinstance(target_id, int) and not isinstance(target_id, bool)
    target = db.session.get(kind.model, target_id) if kind is not None and valid_id else None
    if kind is None or target is None:
        raise NotFound(_("Notes cannot be written on this."))
    return kind, target


def note_course(target_type: str, target_id: int) -> Course:
    """The course a note target belongs to, or NotFound."""
    kind, target = _load_target(target_type, target_id)
    return kind.course_of(target)


def note_place(note: Note) -> Any:
    """What a note is written on (None when it is gone)."""
    kind = _NOTE_TARGETS.get(note.target_type)
    return db.session.get(kind.model, note.target_id) if kind is not None else None


def visible_notes(user: Any) -> Select[Any]:
    """Notes the user may read: own; public ones of courses they can open; instructors-only ones of
    courses they teach. Admins read every note except other people's private ones."""
    user_id = getattr(user, "id", None)
    own = Note.user_id == user_id
    public_id, staff_id = (
        lookup_id("note_visibility", "public"),
        lookup_id("note_visibility", "instructors_only"),
    )
    if is_admin(user):
        return select(Note).where(or_(own, Note.visibility_id.in_([public_id, staff_id])))
    taught = courses_taught_by(user_id)
    # The same entitlement as `can_access`: an open enrolment of a subscriber whose subscription ended
    # (not yet expired by the task), or of a course left out of the plan, opens nothing.
    enrolled = accessible_course_ids(user_id)
    return select(Note).where(
        or_(
            own,
            and_(
                Note.visibility_id == public_id, or_(Note.course_id.in_(enrolled), Note.course_id.in_(taught))
            ),
            and_(Note.visibility_id == staff_id, Note.course_id.in_(taught)),
        )
    )


def can_read_note(user: Any, note: Note) -> bool:
    """The visibility rule for one note (the same rule as `visible_notes`, plus live entitlement)."""
    if note.user_id == getattr(user, "id", None):
        return True
    code = note.visibility.code
    if code == "public":
        return is_admin(user) or can_access(user, note.course)
    if code == "instructors_only":
        return can_manage(user, note.course)
    return False


def get_note(user: Any, note_id: int) -> Note:
    """A note the user may read, or NotFound (other people's private notes do not exist for them)."""
    note = db.session.get(Note, note_id)
    if note is None or not can_read_note(user, note):
        raise NotFound(_("No such note."))
    return note


def _clean_fields(body: str | None, color: str | None, visibility: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if body is not None:
        clean = sanitize_html(body)
        if not plain_text(clean) and "<img" not in clean:  # nothing left once sanitized
            raise Invalid(_("A note cannot be empty."), {"body": [_("Required.")]})
        if len(body) > MAX_NOTE_LENGTH:
            raise Invalid(
                _("A note is limited to %(n)d characters.", n=MAX_NOTE_LENGTH), {"body": ["too long"]}
            )
        fields["body"] = clean  # as stored, so that an unchanged text adds no revision
    if color is not None:
        if color not in COLORS:
            raise Invalid(_("Unknown colour."), {"color": list(COLORS)})
        fields["color"] = color
    if visibility is not None:
        if lookup_id("note_visibility", visibility) is None:
            raise Invalid(_("Unknown visibility."), {"visibility": ["private", "public", "instructors_only"]})
        fields["visibility_id"] = _visibility(visibility)
    return fields


def create_note(
    user: Any,
    target_type: str,
    target_id: int,
    body: str,
    *,
    visibility: str = "private",
    color: str = "yellow",
    is_pinned: bool = False,
) -> Note:
    """Write a note on something of a course the user can open.

    A target the user may not see is missing for them (NotFound, like one that does not exist: an
    unpublished quiz, a resource of a course they cannot open). Forbidden only for what they see but
    may not write on: a listed course they have not joined, or a lesson of it they see in its
    outline but may not open (not enrolled, premium, locked by sequencing)."""
    require_verified_email(user)
    kind, target = _load_target(target_type, target_id)
    course = kind.course_of(target)
    if target_type == "lesson" and can_see_course(user, course):
        require_open_lesson(user, target)  # its refusal (enrol, premium, locked) is what the page says
    elif not targets.can_view(user, target_type, target):
        raise NotFound(_("Notes cannot be written on this."))
    if not can_access(user, course):
        raise Forbidden(_("Enrol in this course to write notes."))
    fields = _clean_fields(body or "", color, visibility)  # a missing body is an empty one
    note = Note(
        user_id=user.id,
        course_id=course.id,
        target_type=target_type,
        target_id=target_id,
        is_pinned=bool(is_pinned),
        **fields,
    )
    db.session.add(note)
    db.session.flush()
    return note


def update_note(user: Any, note: Note, **changes: Any) -> Note:
    """The author edits a note; the previous text is kept in its history."""
    if note.user_id != getattr(user, "id", None):
        raise Forbidden(_("Only the author can change a note."))
    fields = _clean_fields(changes.get("body"), changes.get("color"), changes.get("visibility"))
    for flag in ("is_pinned", "is_archived"):
        if changes.get(flag) is not None:
            fields[flag] = bool(changes[flag])
    if any(k in fields and fields[k] != getattr(note, k) for k in ("body", "visibility_id", "color")):
        db.session.add(
            NoteRevision(
                note_id=note.id,
                body=note.body,
                visibility_id=note.visibility_id,
                color=note.color,
                edited_at=utcnow(),
            )
        )
    for key, value in fields.items():
        setattr(note, key, value)
    db.session.flush()
    db.session.expire(note, ["visibility"])  # its id may have changed (a commit used to expire it)
    return note


def delete_note(user: Any, note: Note) -> None:
    """The author (or the course's staff, for moderation) deletes a note: a soft delete."""
    if note.user_id != getattr(user, "id", None) and not (
        note.visibility.code != "private" and can_manage(user, note.course)
    ):
        raise Forbidden(_("Only the author can delete a note."))
    note.is_deleted, note.deleted_at = True, utcnow()
    db.session.flush()


def note_history(user: Any, note: Note) -> list[NoteRevision]:
    """Earlier versions of a note, newest first: for its author only."""
    if note.user_id != getattr(user, "id", None):
        raise Forbidden(_("Only the author sees a note's history."))
    return list(note.revisions)


def _like_of(user: Any, note: Note) -> NoteLike | None:
    return db.session.scalar(
        select(NoteLike)
        .where(NoteLike.note_id == note.id, NoteLike.user_id == user.id)
        .execution_options(include_deleted=True)
    )


def like_note(user: Any, note: Note) -> Note:
    """Like a public note once (the author cannot like their own)."""
    if note.visibility.code != "public" or not can_read_note(user, note):
        raise Forbidden(_("Only public notes can be liked."))
    if note.user_id == user.id:
        raise Invalid(_("You cannot like your own note."))
    like = _like_of(user, note)
    if like is not None and not like.is_deleted:
        raise Conflict(_("You already like this note."))
    if like is None:
        with unique_insert(_("You already like this note.")):
            db.session.add(NoteLike(note_id=note.id, user_id=user.id))
    else:
        like.is_deleted, like.deleted_at = False, None
    db.session.execute(update(Note).where(Note.id == note.id).values(like_count=Note.like_count + 1))
    db.session.flush()
    db.session.refresh(note)
    place = note_place(note)
    if place is not None:
        notices.note_liked(note, user, (note.target_type, place))
    return note


def unlike_note(user: Any, note: Note) -> Note:
    """Take a like back."""
    if not can_read_note(user, note):
        raise NotFound(_("No such note."))
    like = _like_of(user, note)
    if like is None or like.is_deleted:
        raise Conflict(_("You do not like this note."))
    like.is_deleted, like.deleted_at = True, utcnow()
    db.session.execute(update(Note).where(Note.id == note.id).values(like_count=Note.like_count - 1))
    db.session.flush()
    db.session.refresh(note)
    return note
