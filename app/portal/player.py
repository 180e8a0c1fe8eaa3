"""Portal lesson player: the player page, completion, heartbeat and note actions (notes and comments
are posted through the generic routes of app/portal/discussions.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.assessments.models import Assignment, Quiz
from app.core.errors import AppError, NotFound
from app.core.portal import json_error as _json_error
from app.core.transactions import transaction
from app.core.translations import translated
from app.courses.models import Course, CourseResource, Lesson, LessonContent
from app.courses.services import access, progress
from app.courses.services import notes as notes_service
from app.courses.services.catalog import outline, resolve_slug
from app.engagement.services.views import record_view
from app.extensions import db
from app.portal.courses import _course_for, _flashed, _login_redirect, _media_link, _safe_url, _user
from app.portal.discussions import discussion, learner_notes
from app.portal.engagement_figures import engagement_data
from app.portal.views import portal
from app.security.services import safe_next

NOTE_ACTIONS = ("pin", "unpin", "archive", "unarchive", "delete", "like", "unlike", "edit")


# ---- helpers ---------------------------------------------------------------------------------
def _https_url(url: str | None) -> str | None:
    safe = _safe_url(url)
    return safe if safe and safe.startswith("https://") else None


def _embeddable(url: str | None) -> bool:
    """True when the CSP lets the page frame the address (EMBED_FRAME_SOURCES); else only a link."""
    if not url:
        return False
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" in current_app.config.get("EMBED_FRAME_SOURCES", [])


def _lesson_of(course: Course, lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id, options=[joinedload(Lesson.content_type)])
    if lesson is None or lesson.course_id != course.id:
        abort(404)
    return lesson


def _forbidden_page(course: Course, message: str) -> tuple[str, int]:
    return render_template("portal/course_error.html", course=course, message=message, status=403), 403


# ---- lesson player ---------------------------------------------------------------------------
def _content_items(lesson: Lesson, user: Any) -> list[dict[str, Any]]:
    items = []
    contents = db.session.scalars(
        select(LessonContent)
        .where(LessonContent.lesson_id == lesson.id)
        .order_by(LessonContent.position, LessonContent.id)
        .options(joinedload(LessonContent.kind), selectinload(LessonContent.media))
    )
    for content in contents:
        kind = content.kind.code if content.kind else "text"
        item: dict[str, Any] = {
            "id": content.id,
            "kind": kind,
            "title": translated(content.translations, "title"),
            "body": translated(content.translations, "body"),
            "external_url": _https_url(content.external_url),
            "embeddable": _embeddable(_https_url(content.external_url)),
            "media": content.media,
            "src": None,
            "download": None,
        }
        if content.media is not None:
            item["src"] = _media_link(content.media, user, inline=True)
            item["download"] = _media_link(content.media, user, inline=False)
        items.append(item)
    return items


def _resources(course: Course, lesson: Lesson, user: Any) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(CourseResource)
        .where(
            CourseResource.course_id == course.id,
            or_(
                and_(CourseResource.section_id.is_(None), CourseResource.lesson_id.is_(None)),
                and_(CourseResource.section_id == lesson.section_id, CourseResource.lesson_id.is_(None)),
                CourseResource.lesson_id == lesson.id,
            ),
        )
        .order_by(CourseResource.position, CourseResource.id)
        .options(selectinload(CourseResource.media), selectinload(CourseResource.resource_type))
    )
    resources = []
    for resource in rows:
        href = _media_link(resource.media, user, inline=False) if resource.media else _safe_url(resource.url)
        if href:
            resources.append(
                {
                    "title": resource.title or (resource.media.original_filename if resource.media else href),
                    "description": translated(resource.translations, "description"),
                    "href": href,
                    "is_file": resource.media is not None,
                    "type": resource.resource_type.name if resource.resource_type else "",
                    "level": resource.level,
                }
            )
    return resources


def _lesson_notes(user: Any, course: Course, lesson: Lesson) -> dict[str, Any] | None:
    here = url_for("portal.lesson_player", slug=course.slug, lesson_id=lesson.id)
    notes = learner_notes(user, course, "lesson", lesson.id, here)
    if notes is not None:
        notes["empty"] = _("No notes on this lesson yet.")
    return notes


def _comments(user: Any, course: Course, lesson: Lesson) -> dict[str, Any] | None:
    """The comments panel, when the engagement module is installed."""
    here = url_for("portal.lesson_player", slug=course.slug, lesson_id=lesson.id)
    return discussion(user, "lesson", lesson.id, here, with_target=True)


def _lesson_figures(user: Any, lesson: Lesson, comments: dict[str, Any] | None) -> dict[str, Any]:
    """The lesson's favorite button and share dialog: their figures read with its comments', or alone
    when the comments are not shown (one statement either way)."""
    from app.portal.shares import share_state  # the same blueprint, imported after this module

    figures = comments.get("target") if comments is not None else None
    if not figures:
        figures = engagement_data(user, lesson=[lesson.id])["lesson"]
    return {
        "favorites": figures["favorites"],
        "shares": share_state(user, "lesson", lesson.id, lesson.title, figures["shares"][lesson.id]),
    }


def _lesson_assessments(lesson: Lesson) -> dict[str, list[Any]]:
    """The lesson's published quizzes and assignments, linked from the player."""
    return {
        "quizzes": list(
            db.session.scalars(
                select(Quiz).where(Quiz.lesson_id == lesson.id, Quiz.is_published.is_(True)).order_by(Quiz.id)
            )
        ),
        "assignments": list(
            db.session.scalars(
                select(Assignment)
                .where(Assignment.lesson_id == lesson.id, Assignment.is_published.is_(True))
                .order_by(Assignment.id)
            )
        ),
    }


def _player_lesson(slug: str, lesson_id: int, user: Any) -> tuple[Course, Lesson] | Response:
    found = _course_for(slug, user, lambda s: url_for("portal.lesson_player", slug=s, lesson_id=lesson_id))
    if not isinstance(found, Course):
        return found
    return found, _lesson_of(found, lesson_id)


@portal.route("/courses/<slug>/lessons/<int:lesson_id>")
def lesson_player(slug: str, lesson_id: int) -> Any:
    """The player: content, outline, resources, notes, comments; opening records progress."""
    user = _user()
    # Opening commits progress half-way through the page: keep what was read (the user, course,
    # lesson, enrolment) instead of reading it all again; this request's own writes are in it.
    db.session().expire_on_commit = False
    found = _player_lesson(slug, lesson_id, user)
    if not isinstance(found, tuple):
        return found
    course, lesson = found
    try:
        progress.require_open_lesson(user, lesson)
    except AppError as error:
        if user is None:
            return _login_redirect()
        return _forbidden_page(course, error.message)
    has_access = bool(user) and access.can_access(user, course)
    if user is not None:
        with transaction():  # committed before the page is drawn; completion hooks run on commit
            progress.open_lesson(user, lesson)
    record_view("lesson", lesson.id, user, target=lesson)  # counted in Redis, no database write
    sections = outline(course)
    lessons = [item for _section, items in sections for item in items]
    completed = progress.completed_lesson_ids(user.id, course.id) if user else set()
    locked = progress.locked_lesson_ids(user, course, lessons) if user else set()
    position = next((i for i, item in enumerate(lessons) if item.id == lesson.id), None)
    if position is None:  # its section is in the trash: the lesson is out of the course for now
        abort(404)
    previous_lesson = lessons[position - 1] if position > 0 else None
    next_lesson = lessons[position + 1] if position + 1 < len(lessons) else None
    enrollment = access.enrollment_of(user.id, course.id) if user else None
    tracked = has_access and access.enrollment_grants_access(enrollment, course)
    comments = _comments(user, course, lesson)
    return render_template(
        "portal/lesson_player.html",
        course=course,
        lesson=lesson,
        summary=translated(lesson.translations, "summary"),
        contents=_content_items(lesson, user),
        resources=_resources(course, lesson, user) if has_access else [],
        sections=sections,
        completed=completed,
        locked=locked,
        previous_lesson=previous_lesson,
        next_lesson=next_lesson,
        has_access=has_access,
        tracked=tracked,
        can_open=lambda item: item.id not in locked and (has_access or item.is_free_preview),
        notes=_lesson_notes(user, course, lesson) if has_access else None,
        comments=comments,
        lesson_figures=_lesson_figures(user, lesson, comments),
        assessments=_lesson_assessments(lesson) if has_access else None,
        heartbeat_interval=int(current_app.config.get("HEARTBEAT_INTERVAL_SECONDS", 30)),
        completes_on_reading=tracked and progress.completes_on_reading(lesson),
    )


def _wants_json() -> bool:
    """The player's script asks for JSON; a form post (no script) gets a page."""
    return request.is_json or request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _posted_lesson(slug: str, lesson_id: int, user: Any) -> tuple[Course, Lesson] | None:
    """The course and lesson a post names; None when the user sees no such lesson (a 404)."""
    course, _new_slug = resolve_slug(slug)
    if course is None or not access.can_see_course(user, course):
        return None
    lesson = db.session.get(Lesson, lesson_id)
    return (course, lesson) if lesson is not None and lesson.course_id == course.id else None


@portal.route("/courses/<slug>/lessons/<int:lesson_id>/complete", methods=["POST"])
def complete(slug: str, lesson_id: int) -> Any:
    """Mark the lesson done: the button (a form post, back to the lesson's completion box) or the
    player's script when the learner reached the end of the text (JSON). Refused (4xx) for anyone
    who may not track this lesson."""
    user = _user()
    json = _wants_json()
    if user is None:
        return _json_error(401, _("Please sign in.")) if json else _login_redirect()
    found = _posted_lesson(slug, lesson_id, user)
    if found is None:
        return _json_error(404, _("Not found.")) if json else abort(404)
    course, lesson = found
    try:
        with transaction():
            progress.complete_lesson(user, lesson)
    except AppError as error:
        if json:
            return _json_error(error.status_code, error.message, error.errors)
        page = render_template(
            "portal/course_error.html", course=course, message=error.message, status=error.status_code
        )
        return page, error.status_code
    if json:
        enrollment = access.enrollment_of(user.id, course.id)
        return jsonify(
            {
                "completed": True,
                "message": _("You completed this lesson."),
                "progress_percent": enrollment.progress_percent if enrollment else None,
            }
        )
    # One confirmation, where the learner pressed the button: the completion box says it (no flash).
    return redirect(
        url_for("portal.lesson_player", slug=course.slug, lesson_id=lesson.id) + "#lesson-completion"
    )


@portal.route("/courses/<slug>/lessons/<int:lesson_id>/heartbeat", methods=["POST"])
def lesson_heartbeat(slug: str, lesson_id: int) -> Response:
    """The player's heartbeat (JSON in, JSON out): bounded time tracking and video completion."""
    user = _user()
    if user is None:
        return _json_error(401, _("Please sign in."))
    found = _posted_lesson(slug, lesson_id, user)
    if found is None:
        return _json_error(404, _("Not found."))
    _course, lesson = found
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(400, _("Send a JSON object."))
    try:
        with transaction():
            result = progress.report_heartbeat(user, lesson, data)
    except AppError as error:
        return _json_error(error.status_code, error.message, error.errors)
    return jsonify(
        {
            "credited_seconds": result.credited_seconds,
            "lesson_seconds": result.lesson_seconds,
            "course_seconds": result.course_seconds,
            "completed": result.completed,
        }
    )


# ---- notes (written through portal.post_note) -------------------------------------------------
@portal.route("/courses/<slug>/notes/<int:note_id>", methods=["POST"])
def note_action(slug: str, note_id: int) -> Any:
    """Pin, archive, edit, delete one's notes; like or unlike public ones."""
    user = _user()
    if user is None:
        return _login_redirect()
    found = _course_for(slug, user)
    if not isinstance(found, Course):
        return found
    action = request.form.get("action", "")
    back = (safe_next(request.form.get("next")) or url_for("portal.course_page", slug=found.slug)) + "#notes"
    if action not in NOTE_ACTIONS:
        flash(_("Unknown action."), "danger")
        return redirect(back)

    def act() -> None:
        note = notes_service.get_note(user, note_id)
        if note.course_id != found.id:
            raise NotFound(_("No such note."))
        if action == "delete":
            notes_service.delete_note(user, note)
        elif action == "like":
            notes_service.like_note(user, note)
        elif action == "unlike":
            notes_service.unlike_note(user, note)
        elif action == "edit":
            notes_service.update_note(
                user,
                note,
                body=request.form.get("body", ""),
                visibility=request.form.get("visibility") or None,
                color=request.form.get("color") or None,
            )
        else:
            flag = "is_pinned" if action in ("pin", "unpin") else "is_archived"
            notes_service.update_note(user, note, **{flag: action in ("pin", "archive")})

    return _flashed(back, _("Note updated.") if action != "delete" else _("Note deleted."), act)
