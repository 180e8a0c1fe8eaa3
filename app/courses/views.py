"""Course back office: courses with their review workflow and outline ordering, and course analytics.

The scoping, relation choices and uploads every course screen shares live in `views_base`.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import Optional

from app.core.errors import AppError
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.core.transactions import transaction
from app.core.views import BaseModelView
from app.courses.models import Course
from app.courses.services.access import can_manage
from app.courses.services.analytics import course_figures
from app.courses.services.catalog import (
    approve_course,
    awaiting_review,
    prepare_course,
    reject_course,
    submit_for_review,
)
from app.courses.services.scope import (
    taught_clause,
)
from app.courses.views_base import (
    COMMON_LABELS,
    COURSE_RELATIONS,
    CourseScopedView,
    refuse_unreviewed_publishing,
    remember_status,
    sync_lookup_ids,
    upload_field,
)
from app.extensions import db


def _tags_text(item: Course) -> str:
    return ", ".join(item.tags or [])


class CourseModelView(CourseScopedView):
    """Courses: catalog facts, instructors, prerequisites, price, review workflow, outline order."""

    datamodel = SQLAInterface(Course)
    class_permission_name = "CourseAdmin"
    method_permission_name = {
        **BaseModelView.method_permission_name,
        "reorder": "reorder",
        "reject_form": "moderate",
        "submit_review": "review",
        "approve": "moderate",
        "reject": "moderate",
    }
    show_template = "courses/course_show.html"
    list_title = _l("Courses")
    show_title = _l("Course")
    add_title = _l("Add course")
    edit_title = _l("Edit course")
    label_columns = {
        **COMMON_LABELS,
        "slug": _l("Address"),
        "category": _l("Category"),
        "level": _l("Level"),
        "language": _l("Language"),
        "tags": _l("Tags"),
        "tags_text": _l("Tags"),
        "address": _l("Address"),
        "duration_minutes": _l("Duration (minutes)"),
        "cover_media_id": _l("Cover image from the library"),
        "cover": _l("Cover image"),
        "cover_upload": _l("Cover image"),
        "price": _l("Price"),
        "currency": _l("Currency"),
        "included_in_subscription": _l("Included in subscriptions"),
        "is_premium": _l("Premium"),
        "sequential": _l("Sequential lessons"),
        "status": _l("Status"),
        "visibility": _l("Visibility"),
        "review_status": _l("Review"),
        "review_reason": _l("Review comment"),
        "submitted_at": _l("Submitted"),
        "reviewed_at": _l("Reviewed"),
        "reviewed_by": _l("Reviewed by"),
        "published_at": _l("Published"),
        "view_count": _l("Views"),
        "enrollment_count": _l("Enrolments"),
        "instructors": _l("Instructors"),
        "prerequisites": _l("Prerequisites"),
        "seo": _l("SEO"),
    }
    list_columns = [
        "title",
        "category",
        "level",
        "price",
        "status",
        "visibility",
        "review_status",
        "enrollment_count",
        "updated_at",
    ]
    show_columns = [
        "title",
        "slug",
        "translations",
        "category",
        "level",
        "language",
        "tags",
        "duration_minutes",
        "cover",
        "price",
        "currency",
        "included_in_subscription",
        "is_premium",
        "sequential",
        "status",
        "visibility",
        "review_status",
        "review_reason",
        "submitted_at",
        "reviewed_at",
        "reviewed_by",
        "published_at",
        "instructors",
        "prerequisites",
        "view_count",
        "enrollment_count",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "address",
        "category",
        "level",
        "language",
        "tags_text",
        "duration_minutes",
        "cover_upload",
        "cover_media_id",
        "price",
        "currency",
        "included_in_subscription",
        "is_premium",
        "sequential",
        "status",
        "visibility",
        "instructors",
        "prerequisites",
    ]
    add_form_extra_fields = edit_form_extra_fields = {
        "tags_text": StringField(
            _l("Tags"), validators=[Optional()], description=_l("Separate tags with commas.")
        ),
        "cover_upload": upload_field(_l("Cover image"), images_only=True),
        # Not the `slug` column itself: FAB would write an empty value before the checks run.
        "address": StringField(
            _l("Address"), validators=[Optional()], description=_l("Empty: made from the title.")
        ),
        "included_in_subscription": BooleanField(_l("Included in subscriptions"), default=True),
        "is_premium": BooleanField(_l("Premium")),
        "sequential": BooleanField(_l("Sequential lessons")),
    }
    search_columns = ["slug", "search_text", "status", "review_status", "category", "level", "visibility"]
    order_columns = ["price", "enrollment_count", "updated_at", "published_at"]
    base_order = ("updated_at", "desc")
    formatters_columns = {"tags": lambda tags: ", ".join(tags or [])}
    add_form_query_rel_fields = edit_form_query_rel_fields = COURSE_RELATIONS
    upload_field_name = "cover_upload"
    upload_images_only = True
    row_actions = {
        "submit_review": lambda course: not awaiting_review(course),
        "approve": awaiting_review,
        "reject": awaiting_review,
    }

    def prepare(self, item: Course) -> None:
        """Tags from the comma-separated field, then the catalog's defaults and publishing rule."""
        address = (item.__dict__.pop("address", None) or "").strip()
        if address:
            item.slug = address
        sync_lookup_ids(item)
        text = item.__dict__.pop("tags_text", None)
        if text is not None:
            item.tags = [t.strip() for t in str(text).split(",") if t.strip()]
        prepare_course(item, g.user)
        refuse_unreviewed_publishing(item, g.user)

    def _edit(self, pk: Any) -> Any:
        remember_status(self.datamodel.get(pk, self._base_filters))
        return super()._edit(pk)

    def prefill_form(self, form: Any, pk: Any) -> None:
        """Show the tags as comma-separated text."""
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            form.tags_text.data = _tags_text(item)
            form.address.data = item.slug

    # ---- review workflow ------------------------------------------------------------------
    def _each(self, items: Any, func: Any, done: str) -> Any:
        items = items if isinstance(items, list) else [items]
        count = 0
        for item in items:
            try:
                with transaction():  # each course on its own: one refused leaves the others done
                    func(item, g.user)
                count += 1
            except AppError as exc:
                flash(f"{item}: {exc.message}", "danger")
        if count:
            flash(gettext(done, count=count), "success")
        return redirect(self.get_redirect())

    @action(
        "submit_review",
        _l("Submit for review"),
        _l("Submit the selected courses for review?"),
        "fa-paper-plane",
    )
    def submit_review(self, items: Any) -> Any:
        """An instructor asks an admin to publish the course."""
        return self._each(items, submit_for_review, "%(count)d course(s) submitted for review.")

    @action("approve", _l("Approve and publish"), _l("Publish the selected courses?"), "fa-check")
    def approve(self, items: Any) -> Any:
        """An admin publishes courses waiting for review."""
        return self._each(items, approve_course, "%(count)d course(s) published.")

    @action("reject", _l("Reject"), None, "fa-times", multiple=False)
    def reject(self, item: Any) -> Any:
        """Open the form that asks for the reason."""
        return redirect(url_for(".reject_form", pk=item.id))

    @expose("/reject/<int:pk>", methods=["GET", "POST"])
    @has_access
    def reject_form(self, pk: int) -> Any:
        """An admin sends the course back with a reason."""
        course = self._get_scoped(pk)
        if course is None:
            abort(404)
        if request.method == "POST":
            try:
                reject_course(course, g.user, request.form.get("reason", ""))
            except AppError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            else:
                flash(gettext("The course was sent back to its instructors."), "success")
                return redirect(url_for(".show", pk=pk))
        return self.render_template("courses/reject.html", course=course)

    @expose("/reorder/<int:pk>")
    @has_access
    def reorder(self, pk: int) -> Any:
        """The old ordering page: the outline editor took its place."""
        if self._get_scoped(pk) is None:
            abort(404)
        return redirect(url_for("CourseOutlineView.outline", pk=pk))


class CourseAnalyticsView(BaseView):
    """Enrolment, completion, progress and time figures of one course, for its instructors."""

    route_base = "/courseanalytics"
    default_view = "index"
    class_permission_name = "CourseAnalytics"
    method_permission_name = {"index": "read", "course": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        """The courses the user manages, each linking to its figures."""
        query = db.select(Course).order_by(Course.updated_at.desc()).limit(500)
        if not is_admin(g.user):
            query = query.where(taught_clause(Course, g.user.id))
        courses = list(db.session.scalars(query))
        return self.render_template("courses/analytics_index.html", courses=courses)

    @expose("/<int:pk>")
    @has_access
    def course(self, pk: int) -> Any:
        """One course's figures; other instructors' courses do not exist here."""
        item = db.session.get(Course, pk)
        if item is None or not can_manage(g.user, item):
            abort(404)
        figures = course_figures(item, g.user)
        return self.render_template("courses/analytics.html", course=item, figures=figures)
