"""The course outline editor: one page with the course's sections, lessons, contents, quizzes and
assignments as a tree — add, rename, reorder (drag or the arrow buttons), publish, preview.

Every change is an ordinary form POST (so the page works without scripts and by keyboard); the
script sends the same forms with `Accept: application/json` and swaps in the re-rendered tree.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.core.errors import AppError, Invalid, wants_json
from app.core.targets import is_admin
from app.core.transactions import transaction
from app.core.views import error_text
from app.courses.models import Course
from app.courses.services.access import can_manage
from app.courses.services.catalog import awaiting_review
from app.courses.services.outline import (
    LESSON_TYPES,
    add_item,
    course_tree,
    move_item,
    outline_kinds,
    publish_course,
    remove_item,
    rename_item,
    shift_item,
    toggle_published,
)
from app.extensions import db
from app.lookups.services import lookup_id

EDIT_ENDPOINTS = {
    "section": "CourseSectionModelView.edit",
    "lesson": "LessonModelView.edit",
    "content": "LessonContentModelView.edit",
}
TYPE_LABELS = {
    "text": _l("Text"),
    "video": _l("Video"),
    "document": _l("Document"),
    "embed": _l("Embedded content"),
}
DONE = {
    "add": _l("Added."),
    "rename": _l("Renamed."),
    "move": _l("Moved."),
    "remove": _l("Moved to the trash."),
    "publish_item": _l("Visibility changed."),
}


def _titles() -> dict[str, str]:
    return {language: request.form.get(f"title_{language}", "") for language in ("en", "ar")}


class CourseOutlineView(BaseView):
    """The outline editor of one course, for its instructors and admins."""

    route_base = "/courseoutline"
    default_view = "outline"
    class_permission_name = "CourseOutline"
    method_permission_name = {"outline": "write", "change": "write", "publish": "write"}

    def _course(self, pk: int) -> Course:
        course = db.session.get(Course, pk)
        if course is None or course.is_deleted or not can_manage(g.user, course):
            abort(404)
        return course

    def _context(self, course: Course) -> dict[str, Any]:
        kinds = {kind.kind: kind for kind in outline_kinds()}
        endpoints = EDIT_ENDPOINTS | {k.kind: k.edit_endpoint for k in kinds.values() if k.edit_endpoint}

        def edit_url(node: Any) -> str | None:
            endpoint = endpoints.get(node.kind)
            return url_for(endpoint, pk=node.id) if endpoint else None

        return {
            "course": course,
            "tree": course_tree(course),
            "kinds": kinds,
            "lesson_choices": [
                (f"lesson:{code}", gettext("Lesson: %(type)s", type=TYPE_LABELS[code]))
                for code in LESSON_TYPES
            ],
            "child_choices": [
                (f"content:{code}", gettext("Content: %(type)s", type=TYPE_LABELS[code]))
                for code in LESSON_TYPES
            ]
            + [(f"{kind.kind}:", kind.label) for kind in kinds.values()],
            "is_admin": is_admin(g.user),
            "awaiting_review": awaiting_review(course),
            "edit_url": edit_url,
            "extra_links": lambda node: kinds[node.kind].links(node) if node.kind in kinds else [],
            "published": course.status_id == lookup_id("course_status", "published"),
        }

    @expose("/<int:pk>")
    @has_access
    def outline(self, pk: int) -> Any:
        """The editor page."""
        course = self._course(pk)
        return self.render_template("courses/outline.html", **self._context(course))

    @expose("/<int:pk>/<verb>", methods=["POST"])
    @has_access
    def change(self, pk: int, verb: str) -> Any:
        """Add, rename, move, remove or publish one item; JSON clients get the new tree back."""
        course = self._course(pk)
        form = request.form
        kind, item_id = form.get("kind", ""), form.get("item_id")
        kind, _sep, type_code = form.get("kind_type", kind).partition(":")
        actions = {
            "add": lambda: add_item(g.user, course, kind, form.get("parent_id"), _titles(), type=type_code),
            "rename": lambda: rename_item(g.user, course, kind, item_id, _titles()),
            "move": lambda: self._move(course, kind, item_id),
            "remove": lambda: remove_item(g.user, course, kind, item_id),
            "publish_item": lambda: toggle_published(g.user, course, kind, item_id),
        }
        if verb not in actions:
            abort(404)
        try:
            with transaction():
                actions[verb]()
        except AppError as exc:
            return self._answer(course, error_text(exc), "danger", exc.status_code, exc.errors)
        return self._answer(course, str(DONE[verb]), "success", 200)

    def _move(self, course: Course, kind: str, item_id: Any) -> Any:
        direction = request.form.get("direction")
        if direction:
            return shift_item(g.user, course, kind, item_id, direction)
        order = request.form.getlist("order")
        if not order:
            raise Invalid(gettext("Choose where to move the item."), {"order": []})
        return move_item(g.user, course, kind, item_id, request.form.get("parent_id"), order)

    @expose("/<int:pk>/publish", methods=["POST"])
    @has_access
    def publish(self, pk: int) -> Any:
        """Admins publish the course; instructors send it for review."""
        course = self._course(pk)
        try:
            with transaction():
                done = publish_course(g.user, course)
        except AppError as exc:
            flash(error_text(exc), "danger")
        else:
            if done == "published":
                flash(gettext("The course is published."), "success")
            else:
                flash(gettext("The course was sent for review; an admin will publish it."), "success")
        return redirect(url_for(".outline", pk=pk))

    def _answer(
        self, course: Course, message: str, category: str, status: int, errors: dict[str, Any] | None = None
    ) -> Response | Any:
        if not wants_json():
            flash(message, category)
            anchor = request.form.get("focus", "")
            return redirect(url_for(".outline", pk=course.id) + (f"#{anchor}" if anchor else ""))
        db.session.expire_all()  # the tree is read again after the change (or its rollback)
        tree = render_template(
            "courses/_outline_tree.html", **self._context(course), appbuilder=self.appbuilder
        )
        return jsonify(message=message, errors=errors or {}, tree=tree), status
