"""The HTTP kit in core and the ways a module extends another: signals, registries, dotted task paths."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from sqlalchemy import select, text

from app.billing.services import subscriptions
from app.billing.signals import payment_completed
from app.core.api import ServiceApi
from app.core.errors import Conflict
from app.core.filters import FilterManagedRows, managed_clause
from app.core.portal import flashed, login_required
from app.core.references import lookup_id
from app.core.tasks import enqueue
from app.courses.api import CourseApi
from app.courses.models import Course, Enrollment
from app.courses.services import enrollment, progress
from app.courses.signals import course_completed, enrollment_created
from app.extensions import appbuilder, db
from app.lookups.models import Lookup
from app.lookups.services import lookup_id as lookups_lookup_id
from tests.course_factories import make_course
from tests.factories import make_lookup, make_user


def _api(cls: type) -> Any:
    return next(view for view in appbuilder.baseviews if isinstance(view, cls))


def _sort_order(lookup_row_id: int) -> int:
    return db.session.execute(
        text("SELECT sort_order FROM lookup WHERE id = :id"), {"id": lookup_row_id}
    ).scalar_one()


def test_service_api_run_commits_on_success_and_rolls_back_an_app_error(app: Flask, committed: Any) -> None:
    with app.app_context():
        value_id = make_lookup().id
        api = _api(CourseApi)
        assert isinstance(api, ServiceApi)

        def change(n: int) -> None:
            db.session.get(Lookup, value_id).sort_order = n

        def refused() -> Response:
            change(7)
            raise Conflict("no")

        def accepted() -> Response:
            change(3)
            return api.response(200, ok=True)

        with app.test_request_context():
            assert api.run(refused).status_code == 409
            assert api.run(accepted).status_code == 200
        db.session.remove()
    with app.app_context():
        assert _sort_order(value_id) == 3  # committed by `run`, with nothing of the refused call


def test_portal_flashed_rolls_back_a_refused_post_and_login_required_sends_visitors_to_sign_in(
    app: Flask, ctx: None
) -> None:
    value_id = make_lookup().id

    def refused() -> None:
        db.session.get(Lookup, value_id).sort_order = 9
        raise Conflict("taken")

    @login_required()
    def page() -> str:
        return "page"

    @login_required(json=True)
    def endpoint() -> str:
        return "data"

    with app.test_request_context("/my/learning"):
        assert flashed("/back", "done", refused).status_code == 302
        assert page().status_code == 302 and "login" in page().location
        assert endpoint().status_code == 401 and endpoint().json["message"]
    assert _sort_order(value_id) == 0


def test_lookup_codes_reach_core_through_the_registered_resolver(ctx: None) -> None:
    assert lookup_id("course_status", "published") == lookups_lookup_id("course_status", "published")


def test_managed_rows_registry_limits_non_admins_to_their_courses(app: Flask, ctx: None) -> None:
    teacher, outsider = make_user("Instructor"), make_user("Instructor")
    course = make_course(instructors=[teacher])
    assert db.session.scalar(select(Course.id).where(managed_clause(Course, teacher), Course.id == course.id))
    assert db.session.scalar(select(Course.id).where(managed_clause(Course, outsider))) is None
    assert FilterManagedRows.name  # one filter class serves courses and assessments


def test_enrollment_created_and_course_completed_are_signals(ctx: None) -> None:
    course, student = make_course(), make_user()
    created: list[tuple[Any, str]] = []
    completed: list[tuple[int, int]] = []

    def on_created(sender: Enrollment, *, source: str) -> None:
        created.append((sender.user_id, source))

    def on_completed(_sender: Any, *, user_id: int, course_id: int) -> None:
        completed.append((user_id, course_id))

    enrollment_created.connect(on_created)
    course_completed.connect(on_completed)
    try:
        enrollment.enroll_student(student, course)
        progress._after_completion(student.id, course.id)
    finally:
        enrollment_created.disconnect(on_created)
        course_completed.disconnect(on_completed)
    assert created == [(student.id, "self")]
    assert completed == [(student.id, course.id)]


def test_subscriptions_listen_to_payment_completed(app: Flask) -> None:
    assert any(receiver is subscriptions.apply_payment for receiver in payment_completed.receivers_for(None))


def test_enqueue_takes_a_dotted_task_path(app: Flask, ctx: None, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    value = make_lookup()
    assert enqueue("tests.sample_tasks.bump_sort_order", value.id) == 1
