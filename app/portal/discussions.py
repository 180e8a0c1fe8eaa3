"""Discussions and notes wherever a course is learnt: the course page, its sections (a section page)
and lessons share one comments partial (portal/_comments.html: nested replies, reactions, mentions
linked to profiles) and one notes partial (portal/_notes.html); notes also on quizzes, assignments
and resources. Forms post without scripts; the services decide who may write."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import targets
from app.core.errors import AppError, NotFound
from app.core.html import sanitize_html
from app.core.portal import flashed, login_redirect, signed_in_user
from app.core.transactions import transaction
from app.courses.models import Course, CourseSection, Note
from app.courses.models.notes import NoteLike
from app.courses.services import access
from app.courses.services import notes as notes_service
from app.courses.services.catalog import outline
from app.extensions import db
from app.lookups.services import values_of
from app.portal.courses import _course_for
from app.portal.engagement_figures import engagement_data
from app.portal.views import portal
from app.security.services import safe_next

COMMENTS_PAGE_SIZE = 20
# What the portal's comment forms post on (the API takes any registered target).
COMMENT_TARGETS = ("course", "course_section", "lesson")
_TAG = re.compile(r"(<[^>]*>)")


def _back(default: str) -> str:
    """Where a post returns: the form's `next` when it is a path on this site, else the default."""
    return safe_next(request.form.get("next")) or default


def _page() -> int:
    value = request.args.get("comments_page", "1")
    return max(1, int(value)) if value.isascii() and value.isdigit() and len(value) < 7 else 1


# ---- data of the partials ----------------------------------------------------------------------
def discussion(
    user: Any, target_type: str, target_id: int, here: str, *, with_target: bool = False
) -> dict[str, Any] | None:
    """What portal/_comments.html shows for one target (None when its reader may not see them or the
    engagement module is absent). `here` is the page's address, for paging and coming back.
    `with_target` adds the target's own reaction, favorite and share figures under "target", read
    in the same statement as the comments' (see `engagement_figures.engagement_data`)."""
    try:
        from app.engagement import services as engagement
        from app.engagement.services.mentions import mentioned_names, mentioned_users
    except ImportError:  # the engagement module ships separately
        return None
    page = _page()
    try:
        listing = engagement.list_comments(
            user, target_type, target_id, page=page, page_size=COMMENTS_PAGE_SIZE
        )
    except AppError:
        return None
    shown = [c for thread in listing for c in (thread.comment, *thread.replies)]
    also = {target_type: [target_id]} if with_target else {}
    figures = engagement_data(user, comment=[c.id for c in shown], **also)  # one statement
    names = {name for c in shown for name in mentioned_names(c.body)}
    people = mentioned_users(names) if names else {}
    return {
        "listing": listing,
        "page": page,
        "page_size": COMMENTS_PAGE_SIZE,
        "count": engagement.comment_count(target_type, target_id),
        "favorites": figures["comment"]["favorites"],
        "reactions": figures["comment"]["reactions"],
        "target": figures.get(target_type),
        "post_url": url_for("portal.post_comment", target_type=target_type, target_id=target_id),
        "here": here,
        "profiles": {
            name: url_for("portal.public_profile", username=u.username) for name, u in people.items()
        },
    }


def learner_notes(
    user: Any, course: Course, target_type: str, target_id: int, here: str
) -> dict[str, Any] | None:
    """What portal/_notes.html shows: the notes on one target the user may read (None for visitors
    and for users who cannot open the course: they write no notes)."""
    if user is None or not access.can_access(user, course):
        return None
    notes = list(
        db.session.scalars(
            notes_service.visible_notes(user)
            .where(Note.target_type == target_type, Note.target_id == target_id)
            .order_by(Note.is_pinned.desc(), Note.created_at.desc())
            .options(selectinload(Note.user), selectinload(Note.revisions))
        )
    )
    liked = (
        set(
            db.session.scalars(
                select(NoteLike.note_id).where(
                    NoteLike.user_id == user.id, NoteLike.note_id.in_([n.id for n in notes])
                )
            )
        )
        if notes
        else set()
    )
    return {
        "active": [n for n in notes if not n.is_archived],
        "archived": [n for n in notes if n.is_archived and n.user_id == user.id],
        "liked": liked,
        "visibilities": values_of("note_visibility"),
        "colors": notes_service.COLORS,
        "post_url": url_for("portal.post_note", target_type=target_type, target_id=target_id),
        "action_slug": course.slug,
        "here": here,
    }


@portal.app_template_filter("comment_html")
def comment_html(body: str | None, profiles: dict[str, str] | None = None) -> Markup:
    """A comment's stored rich text, sanitized again, with `@username` linked to the profile of each
    user mentioned who exists (`profiles`: lower-case username -> address)."""
    from app.engagement.services.mentions import MENTION

    clean = sanitize_html(body)
    if not profiles or "@" not in clean:
        return Markup(clean)  # noqa: S704 - nh3 output: only allowed tags and schemes
    parts, in_link = [], False
    for part in _TAG.split(clean):
        if part.startswith("<"):
            lowered = part.lower()
            opens_link = lowered.startswith(("<a ", "<a>"))
            in_link = (in_link or opens_link) and not lowered.startswith("</a")
            parts.append(part)
        elif in_link:
            parts.append(part)
        else:

            def link(match: re.Match[str]) -> str:
                name = match.group(1).rstrip(".-")
                href = profiles.get(name.lower())
                if href is None:
                    return match.group(0)
                rest = match.group(1)[len(name) :]
                return f'<a class="mention" href="{escape(href)}">@{name}</a>{rest}'

            parts.append(MENTION.sub(link, part))  # text of sanitized HTML: already escaped
    return Markup("".join(parts))  # noqa: S704 - sanitized text with links built from our own routes


def course_discussion(
    user: Any, course: Course, has_access: bool, sections: list[tuple[CourseSection, list[Any]]]
) -> dict[str, Any]:
    """The course page's discussion block: its comments, the learner's notes on the course, and a link
    to each section's discussion for those who can open them (`sections`: the page's `outline`, read
    once for the syllabus and this block)."""
    here = url_for("portal.course_page", slug=course.slug)
    return {
        "comments": discussion(user, "course", course.id, here, with_target=True),
        "notes": learner_notes(user, course, "course", course.id, here),
        "sections": [section for section, _lessons in sections] if has_access else [],
    }


# ---- section page ------------------------------------------------------------------------------
@portal.route("/courses/<slug>/sections/<int:section_id>")
def section_page(slug: str, section_id: int) -> Any:
    """A section of a course: its lessons, its discussion and the learner's notes on it."""
    user = signed_in_user()
    found = _course_for(slug, user, lambda s: url_for("portal.section_page", slug=s, section_id=section_id))
    if not isinstance(found, Course):
        return found
    course = found
    section = db.session.get(CourseSection, section_id)
    if section is None or section.course_id != course.id:
        abort(404)
    lessons = next((items for s, items in outline(course) if s.id == section.id), [])
    here = url_for("portal.section_page", slug=course.slug, section_id=section.id)
    has_access = bool(user) and access.can_access(user, course)
    return render_template(
        "portal/section_page.html",
        course=course,
        section=section,
        lessons=lessons,
        has_access=has_access,
        comments=discussion(user, "course_section", section.id, here),
        notes=learner_notes(user, course, "course_section", section.id, here),
    )


# ---- posts -------------------------------------------------------------------------------------
def _target_or_404(user: Any, target_type: str, target_id: int) -> Any:
    """A target the user may see, else 404 (nothing is told about one they may not)."""
    try:
        target = targets.load_target(target_type, target_id)
    except (NotFound, KeyError):
        abort(404)
    if not targets.can_view(user, target_type, target):
        abort(404)
    return target


@portal.route("/comments/<target_type>/<int:target_id>", methods=["POST"])
def post_comment(target_type: str, target_id: int) -> Any:
    """Comment on a course, a section or a lesson, or reply to a comment there (`parent_id`)."""
    user = signed_in_user()
    if user is None:
        return login_redirect()
    if target_type not in COMMENT_TARGETS:
        abort(404)
    target = _target_or_404(user, target_type, target_id)
    back = _back(targets.target_url(user, target_type, target) or url_for("portal.home")) + "#comments"
    try:
        from app.engagement import services as engagement
    except ImportError:
        abort(404)
    parent = request.form.get("parent_id", "")
    if parent and not (parent.isascii() and parent.isdigit() and len(parent) < 19):
        flash(_("The data is not valid."), "danger")
        return redirect(back)
    try:
        with transaction():  # committed before its notifications are delivered (queued on commit)
            engagement.add_comment(
                user,
                target_type,
                target_id,
                request.form.get("body", ""),
                parent_id=int(parent) if parent else None,
            )
    except AppError as error:
        flash(error.message, "danger")
        return redirect(back)
    flash(_("Comment posted."), "success")
    return redirect(back)


@portal.route("/notes/<target_type>/<int:target_id>", methods=["POST"])
def post_note(target_type: str, target_id: int) -> Any:
    """Write a note on a learning target (a course, a section, a lesson, a resource, a quiz...)."""
    user = signed_in_user()
    if user is None:
        return login_redirect()
    if target_type not in notes_service.note_target_codes():
        abort(404)
    target = _target_or_404(user, target_type, target_id)
    back = _back(targets.target_url(user, target_type, target) or url_for("portal.home")) + "#notes"
    form = request.form
    return flashed(
        back,
        _("Note saved."),
        lambda: notes_service.create_note(
            user,
            target_type,
            target_id,
            form.get("body", ""),
            visibility=form.get("visibility") or "private",
            color=form.get("color") or "yellow",
            is_pinned=form.get("is_pinned") == "1",
        ),
    )
