"""REST API of courses and their structure: /api/v1/course, course_section, lesson, lesson_content,
course_resource, with the business actions (enrol, review, reorder, complete, heartbeat).

Reads are row-scoped by base filters (what the user may see); writes check the object's course with
the services (old and new course), so a forged id of another instructor's course gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, g, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from app.core.api import BaseModelRestApi
from app.core.errors import AppError, Invalid, NotFound
from app.core.interface import SQLAInterface
from app.core.targets import is_admin
from app.core.views import lookup_choice_filters, lookup_relations
from app.courses.models import Course, CourseResource, CourseSection, Lesson, LessonContent
from app.courses.services import enrollment, progress
from app.courses.services.catalog import (
    approve_course,
    next_position,
    prepare_course,
    reject_course,
    reorder_lessons,
    reorder_sections,
    require_manager,
    submit_for_review,
)
from app.courses.services.media_links import check_media_choice, link_media
from app.courses.services.scope import readable_clause, visible_courses_clause
from app.courses.views import (
    COURSE_RELATIONS,
    MANAGED_RELATIONS,
    check_item,
    refuse_unreviewed_publishing,
    remember_status,
    sync_lookup_ids,
)
from app.extensions import db
from app.lookups.services import require_lookup_id
from app.security.models import LmsUser

SYSTEM = ["id", "uuid", "created_at", "updated_at"]


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


class CourseApiBase(BaseModelRestApi):
    """Row-scoped reads, object-checked writes, AppError as its status with {message, errors}."""

    base_filters = READABLE
    # Relation choices in `_info`: only rows of the courses the user manages (admins: all).
    add_query_rel_fields = edit_query_rel_fields = MANAGED_RELATIONS

    def __init__(self) -> None:
        super().__init__()
        lookups = {
            rel: lookup_choice_filters(code) for rel, code in lookup_relations(self.datamodel.obj).items()
        }
        self.add_query_rel_fields = {**lookups, **self.add_query_rel_fields}
        self.edit_query_rel_fields = {**lookups, **self.edit_query_rel_fields}

    def _may_write(self) -> bool:
        """True when this API has a create or update route and the user holds its write permission."""
        routes = self.include_route_methods
        if routes is not None and not {"post", "put"} & set(routes):
            return False
        permission = self.method_permission_name.get("post", "write")
        return bool(self.appbuilder.sm.has_access(PERMISSION_PREFIX + permission, self.class_permission_name))

    def _get_fields_info(self, cols: Any, model_schema: Any, filter_rel_fields: Any, **kwargs: Any) -> Any:
        """`_info`'s form fields (with relation choices) only for users who may write through this API."""
        if not self._may_write():
            return []
        return super()._get_fields_info(cols, model_schema, filter_rel_fields, **kwargs)

    def error(self, exc: AppError) -> Response:
        """The one error shape; the half-applied change is dropped."""
        db.session.rollback()
        return self.response(exc.status_code, message=exc.message, errors=exc.errors)

    def run(self, func: Callable[[], Response]) -> Response:
        """Call an action body, mapping AppError to its response."""
        try:
            return func()
        except AppError as exc:
            return self.error(exc)

    def scoped(self, pk: int) -> Any:
        """The row if the user may see it, else NotFound."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            raise NotFound()
        return item

    def dump(self, item: Any) -> Response:
        """200 with the object's fields."""
        return self.response(200, id=item.id, result=self.show_model_schema.dump(item))

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


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _json_object() -> dict[str, Any]:
    """The body as a JSON object: empty for no body, 400 for anything else than an object."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AppError(_("Send a JSON object."), {"body": [_("Send a JSON object.")]})
    return body


def _ids(body: dict[str, Any], key: str) -> list[int]:
    value = body.get(key)
    if not isinstance(value, list):
        raise Invalid(_("Send the ids in order in '%(key)s'.", key=key), {key: [_("Required.")]})
    return value


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
            user_id = _json().get("user_id")
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
        return self._review(pk, reject_course, str(_json().get("reason") or ""))

    @expose("/<int:pk>/reorder", methods=["POST"])
    @protect()
    @safe
    @permission_name("reorder")
    def reorder(self, pk: int) -> Response:
        """Put the sections in the order of {"sections": [ids]}."""

        def act() -> Response:
            course = self.scoped(pk)
            sections = reorder_sections(course, _ids(_json(), "sections"), g.user)
            return self.response(200, id=course.id, sections=[s.id for s in sections])

        return self.run(act)


class CourseSectionApi(CourseApiBase):
    """Sections of courses the user may open; staff write and reorder their own."""

    datamodel = SQLAInterface(CourseSection)
    class_permission_name = "CourseSection"
    optional_add_columns = ("position",)
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete", "reorder"}
    method_permission_name = {**BaseModelRestApi.method_permission_name, "reorder": "reorder"}
    list_columns = show_columns = [*SYSTEM, "course_id", "title", "translations", "position"]
    add_columns = edit_columns = ["course", "translations", "position"]
    search_columns = ["course"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: CourseSection) -> None:
        """New sections go last unless a position is given."""
        if not item.position and item.course is not None:
            item.position = next_position(CourseSection, course_id=item.course.id)

    @expose("/<int:pk>/reorder", methods=["POST"])
    @protect()
    @safe
    @permission_name("reorder")
    def reorder(self, pk: int) -> Response:
        """Put the section's lessons in the order of {"lessons": [ids]}."""

        def act() -> Response:
            section = self.scoped(pk)
            lessons = reorder_lessons(section, _ids(_json(), "lessons"), g.user)
            return self.response(200, id=section.id, lessons=[lesson.id for lesson in lessons])

        return self.run(act)


class LessonApi(CourseApiBase):
    """Lessons the user may open (and free previews of listed courses); complete and heartbeat."""

    datamodel = SQLAInterface(Lesson)
    class_permission_name = "Lesson"
    optional_add_columns = ("content_type", "position", "is_free_preview", "is_required")
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete", "complete", "heartbeat"}
    method_permission_name = {
        **BaseModelRestApi.method_permission_name,
        "complete": "complete",
        "heartbeat": "heartbeat",
    }
    list_columns = show_columns = [
        *SYSTEM,
        "course_id",
        "section_id",
        "title",
        "translations",
        "content_type.code",
        "position",
        "is_free_preview",
        "is_required",
        "duration_minutes",
    ]
    add_columns = edit_columns = [
        "section",
        "translations",
        "content_type",
        "position",
        "is_free_preview",
        "is_required",
        "duration_minutes",
    ]
    search_columns = ["course", "section", "is_free_preview"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: Lesson) -> None:
        """The lesson's course is its section's; new lessons go last and are text unless told."""
        if item.content_type_id is None and item.content_type is None:
            item.content_type_id = require_lookup_id("content_types", "text")
        if item.section is not None:
            item.course = item.section.course
            if not item.position:
                item.position = next_position(Lesson, section_id=item.section.id)

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    @permission_name("complete")
    def complete(self, pk: int) -> Response:
        """Mark the lesson done."""

        def act() -> Response:
            lesson = self.scoped(pk)
            row = progress.complete_lesson(g.user, lesson)
            enrolment = catalog_enrollment(g.user.id, lesson.course_id)
            return self.response(
                200,
                id=lesson.id,
                completed_at=row.completed_at.isoformat() if row.completed_at else None,
                progress_percent=enrolment.progress_percent if enrolment else None,
            )

        return self.run(act)

    @expose("/<int:pk>/heartbeat", methods=["POST"])
    @protect()
    @safe
    @permission_name("heartbeat")
    def heartbeat(self, pk: int) -> Response:
        """Credit watching time: {"active", "position", "duration", "ended"}."""

        def act() -> Response:
            lesson = self.scoped(pk)
            result = progress.report_heartbeat(g.user, lesson, _json_object())
            return self.response(200, id=lesson.id, **result.__dict__)

        return self.run(act)


def catalog_enrollment(user_id: int, course_id: int) -> Any:
    """The user's enrolment in the course (for responses)."""
    from app.courses.services.access import enrollment_of

    return enrollment_of(user_id, course_id)


class LessonContentApi(CourseApiBase):
    """Content items of lessons the user may open."""

    datamodel = SQLAInterface(LessonContent)
    class_permission_name = "LessonContent"
    optional_add_columns = ("kind", "position")
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete"}
    list_columns = show_columns = [
        *SYSTEM,
        "lesson_id",
        "kind.code",
        "translations",
        "media_id",
        "external_url",
        "position",
    ]
    add_columns = edit_columns = ["lesson", "kind", "translations", "media_id", "external_url", "position"]
    search_columns = ["lesson"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: LessonContent) -> None:
        """New items go last in their lesson and are rich text unless told."""
        if item.kind_id is None and item.kind is None:
            item.kind_id = require_lookup_id("content_types", "text")
        if not item.position and item.lesson is not None:
            item.position = next_position(LessonContent, lesson_id=item.lesson.id)


class CourseResourceApi(CourseApiBase):
    """Resources of courses the user may open."""

    datamodel = SQLAInterface(CourseResource)
    class_permission_name = "CourseResource"
    optional_add_columns = ("position",)
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete"}
    list_columns = show_columns = [
        *SYSTEM,
        "course_id",
        "section_id",
        "lesson_id",
        "title",
        "translations",
        "resource_type.code",
        "media_id",
        "url",
        "position",
    ]
    add_columns = edit_columns = [
        "course",
        "section",
        "lesson",
        "resource_type",
        "translations",
        "media_id",
        "url",
        "position",
    ]
    search_columns = ["course", "section", "lesson"]
    order_columns = ["position", "id"]
    base_order = ("position", "asc")

    def prepare(self, item: CourseResource) -> None:
        """A section or lesson must belong to the resource's course; a file or a link is required."""
        for part in (item.section, item.lesson):
            if part is not None and item.course is not None and part.course_id != item.course.id:
                raise Invalid(_("The section and lesson must belong to the chosen course."))
        if not item.media_id and not item.url:
            raise Invalid(_("Give a media file id or a link."), {"url": [_("Required.")]})
