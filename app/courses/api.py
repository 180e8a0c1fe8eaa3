"""REST API of courses: /api/v1/course with its actions (enrol, review, reorder), and the base the
course APIs share (structure in `api_structure`, enrolments and notes in `api_learning`).

Reads are row-scoped by base filters (what the user may see); writes check the object's course with
the services (old and new course), so a forged id of another instructor's course gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, g
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from app.core.api import BaseModelRestApi, ServiceApi, json_body, ordered_ids
from app.core.errors import Invalid
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.courses.models import Course
from app.courses.services import enrollment
from app.courses.services.catalog import (
    approve_course,
    prepare_course,
    reject_course,
    reorder_sections,
    require_manager,
    submit_for_review,
)
from app.courses.services.media_links import check_media_choice, link_media
from app.courses.services.scope import readable_clause, visible_courses_clause
from app.courses.views_base import (
    COURSE_RELATIONS,
    MANAGED_RELATIONS,
    check_item,
    refuse_unreviewed_publishing,
    remember_status,
    sync_lookup_ids,
)
from app.extensions import db
from app.security.models import LmsUser


class FilterReadable(BaseFilter):
    """Admins: every row; others: what `scope` says they may read (courses or course structure)."""

    name = "Readable rows"
    arg_name = "readable"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query to readable rows unless the user is an admin."""
        user = g.get("user")
        if is_admin(user):
            return query
        user_id = getattr(user, "id", None)
        if self.model is Course:
            return query.filter(visible_courses_clause(user_id))
        return query.filter(readable_clause(self.model, user_id))


READABLE = [["id", FilterReadable, None]]


class CourseApiBase(ServiceApi):
    """Row-scoped reads, object-checked writes, AppError as its status with {message, errors}."""

    base_filters = READABLE
    # Relation choices in `_info`: only rows of the courses the user manages (admins: all).
    add_query_rel_fields = edit_query_rel_fields = MANAGED_RELATIONS

    def prepare(self, item: Any) -> None:
        """Derived fields before the object check."""

    def pre_add(self, item: Any) -> None:
        """Derive fields and check the user manages the object's course."""
        with db.session.no_autoflush:
            self.prepare(item)
            check_item(item, g.user)
            check_media_choice(item, g.user)

    def pre_update(self, item: Any) -> None:
        """Derive fields and check the user manages the old and new course."""
        with db.session.no_autoflush:
            self.prepare(item)
            check_item(item, g.user)
            check_media_choice(item, g.user)

    def post_add(self, item: Any) -> None:
        """Attach the row's file (cover, lesson media, resource) to the row."""
        link_media(item, g.user)

    def post_update(self, item: Any) -> None:
        """Attach a newly chosen file to the row."""
        link_media(item, g.user)

    def pre_delete(self, item: Any) -> None:
        """Only the course's staff delete."""
        check_item(item, g.user)

    def post_headless(self) -> Response:
        """FAB's create, with AppError from the checks mapped to its status."""
        return self.run(super().post_headless)

    def put_headless(self, pk: Any) -> Response:
        """FAB's update, with AppError from the checks mapped to its status."""
        return self.run(lambda: super(CourseApiBase, self).put_headless(pk))

    def delete_headless(self, pk: Any) -> Response:
        """FAB's (soft) delete, with AppError from the checks mapped to its status."""
        return self.run(lambda: super(CourseApiBase, self).delete_headless(pk))


COURSE_COLUMNS = [
    "id",
    "uuid",
    "slug",
    "title",
    "translations",
    "seo",
    "category_id",
    "level_id",
    "language_id",
    "tags",
    "duration_minutes",
    "cover_media_id",
    "price",
    "currency",
    "included_in_subscription",
    "is_premium",
    "sequential",
    "status.code",
    "visibility.code",
    "review_status.code",
    "review_reason",
    "submitted_at",
    "reviewed_at",
    "published_at",
    "view_count",
    "enrollment_count",
    "created_at",
    "updated_at",
]


class CourseApi(CourseApiBase):
    """Courses: listed ones for everyone, plus those taught or enrolled in; staff write their own."""

    datamodel = SQLAInterface(Course)
    class_permission_name = "Course"
    optional_add_columns = ("slug", "status", "visibility", "price", "currency", "tags", "seo")
    include_route_methods = {
        "get",
        "get_list",
        "info",
        "post",
        "put",
        "delete",
        "enroll",
        "submit",
        "approve",
        "reject",
        "reorder",
    }
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "enroll": "enroll",
        "submit": "review",
        "approve": "moderate",
        "reject": "moderate",
        "reorder": "reorder",
    }
    list_columns = show_columns = COURSE_COLUMNS
    add_query_rel_fields = edit_query_rel_fields = COURSE_RELATIONS
    add_columns = edit_columns = [
        "slug",
        "translations",
        "seo",
        "category",
        "level",
        "language",
        "tags",
        "duration_minutes",
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
    search_columns = ["slug", "search_text", "status", "visibility", "category", "level", "price"]
    order_columns = ["published_at", "price", "enrollment_count", "created_at", "updated_at"]
    base_order = ("updated_at", "desc")

    def prepare(self, item: Course) -> None:
        """The catalog's defaults and the rule that only admins publish."""
        sync_lookup_ids(item)
        prepare_course(item, g.user)
        refuse_unreviewed_publishing(item, g.user)

    def put_headless(self, pk: Any) -> Response:
        """FAB's update, remembering the stored status first (see `refuse_unreviewed_publishing`)."""
        remember_status(self.datamodel.get(pk, self._base_filters))
        return super().put_headless(pk)

    def pre_update(self, item: Course) -> None:
        """Only the course's staff change it."""
        with db.session.no_autoflush:
            require_manager(g.user, item)
            self.prepare(item)
            check_media_choice(item, g.user)

    @expose("/<int:pk>/enroll", methods=["POST"])
    @protect()
    @safe
    @permission_name("enroll")
    def enroll(self, pk: int) -> Response:
        """Join the course; staff may pass {"user_id": n} to enrol someone else."""

        def act() -> Response:
            course = self.scoped(pk)
            user_id = json_body().get("user_id")
            if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int)):
                raise Invalid(
                    _("%(name)s must be a number.", name="user_id"), {"user_id": [_("Must be a number.")]}
                )
            if user_id is not None and user_id != g.user.id:
                student = db.session.get(LmsUser, user_id)
                if student is None:
                    raise Invalid(_("No such user."), {"user_id": [str(user_id)]})
                result = enrollment.enroll_by_instructor(course, student, g.user)
            else:
                result = enrollment.enroll_student(g.user, course)
            return self.response(
                200,
                id=course.id,
                enrollment_id=result.id,
                status=result.status.code,
                enrollment_type=result.enrollment_type.code,
            )

        return self.run(act)

    def _review(self, pk: int, func: Callable[..., Course], *args: Any) -> Response:
        return self.run(lambda: self.dump(func(self.scoped(pk), g.user, *args)))

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    def submit(self, pk: int) -> Response:
        """An instructor asks for review."""
        return self._review(pk, submit_for_review)

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    @permission_name("approve")
    def approve(self, pk: int) -> Response:
        """An admin publishes the course."""
        return self._review(pk, approve_course)

    @expose("/<int:pk>/reject", methods=["POST"])
    @protect()
    @safe
    @permission_name("reject")
    def reject(self, pk: int) -> Response:
        """An admin sends the course back with {"reason"}."""
        return self._review(pk, reject_course, str(json_body().get("reason") or ""))

    @expose("/<int:pk>/reorder", methods=["POST"])
    @protect()
    @safe
    @permission_name("reorder")
    def reorder(self, pk: int) -> Response:
        """Put the sections in the order of {"sections": [ids]}."""

        def act() -> Response:
            course = self.scoped(pk)
            sections = reorder_sections(course, ordered_ids(json_body(), "sections"), g.user)
            return self.response(200, id=course.id, sections=[s.id for s in sections])

        return self.run(act)
