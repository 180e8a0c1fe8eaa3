"""The lesson player's statements: a fixed number whatever the course size; the enrolment read once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, update

from app.core.models import utcnow
from app.core.softdelete import soft_delete
from app.courses.models import Course, Enrollment, LessonProgress
from app.courses.services import access, progress
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.portal_helpers import course_with_lessons, enrol

# 20, the permissions that decide whether the menu offers the back office, the bell's count, and the
# lesson's and its comments' reactions, favorites and shares (one statement together)
MAX_STATEMENTS = 23
# Reads of the enrolment row itself (the notes query only filters on enrolments in a subquery).
ENROLLMENT_READ = re.compile(r"^\s*SELECT enrollment\.\w+", re.IGNORECASE)


@contextmanager
def captured(app) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block."""
    statements: list[str] = []

    def _listen(_conn, _cursor, statement, *_args):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            statements.append(statement)  # savepoints exist only in tests (see conftest)

    bind = db._app_engines[app][None]  # the test's connection (see conftest)
    event.listen(bind, "before_cursor_execute", _listen)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", _listen)


def _grow(app, course_id: int, sections: int, lessons: int) -> None:
    with app.app_context():
        course = db.session.get(Course, course_id)
        for s in range(sections):
            section = make_section(course, f"More {s}")
            for n in range(lessons):
                make_lesson(section, f"Extra {s}.{n}")
        db.session.remove()


def _open(app, browser, url: str) -> tuple[int, list[str]]:
    browser.get(url)  # the first visit records the opening; measure the usual one
    with captured(app) as statements:
        response = browser.get(url)
    assert response.status_code == 200
    # The header counts the test's savepoints too; the page's own statements are the others.
    assert int(response.headers["X-Query-Count"]) >= len(statements)
    return len(statements), statements


def test_player_runs_a_fixed_number_of_statements_and_reads_the_enrolment_once(app, login_as):
    data = course_with_lessons(app, title="Counted")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}/lessons/{data['second']}"
    small, statements = _open(app, student, url)
    _grow(app, data["id"], sections=4, lessons=5)
    large, _ = _open(app, student, url)
    assert small <= MAX_STATEMENTS, statements
    assert large == small, "statements grow with the number of sections and lessons"
    enrollment_reads = [s for s in statements if ENROLLMENT_READ.search(s)]
    assert len(enrollment_reads) == 1, enrollment_reads


def test_request_cache_follows_the_requests_own_writes(app):
    with app.app_context():
        user = make_user("Student")
        course = make_course(title="Fresh")
        lesson = make_lesson(make_section(course))
        with app.test_request_context("/"):
            assert access.enrollment_of(user.id, course.id) is None
            assert access.can_access(user, course) is False
            enrollment = make_enrollment(user, course)  # written in the same request
            assert access.enrollment_of(user.id, course.id) is enrollment
            assert access.can_access(user, course) is True
            assert progress.completed_lesson_ids(user.id, course.id) == set()
            done = LessonProgress(user_id=user.id, lesson_id=lesson.id, course_id=course.id)
            done.completed_at = utcnow()
            db.session.add(done)
            db.session.flush()
            assert progress.completed_lesson_ids(user.id, course.id) == {lesson.id}
            db.session.execute(
                update(Enrollment)
                .where(Enrollment.id == enrollment.id)
                .values(status_id=require_lookup_id("enrollment_status", "dropped"))
            )
            db.session.refresh(enrollment)
            assert access.can_access(user, course) is False, "a bulk update forgets the request's answers"
            soft_delete(enrollment)
            db.session.flush()
            assert access.enrollment_of(user.id, course.id) is None
        db.session.rollback()


# The course page's outline: its sections (with their lessons, loaded beside them).
SECTIONS_READ = re.compile(
    r"^\s*SELECT course_section\.\w+.*\bFROM course_section\b", re.IGNORECASE | re.DOTALL
)


def test_course_page_reads_its_outline_once(app, login_as):
    """The syllabus and the discussion block's links to the sections share one read of the outline."""
    data = course_with_lessons(app, title="Outlined")
    student = login_as("Student")
    enrol(app, student.user_id, data["id"])
    url = f"/courses/{data['slug']}"
    _count, statements = _open(app, student, url)
    reads = [s for s in statements if SECTIONS_READ.search(s)]
    assert len(reads) == 1, reads
    page = student.get(url).get_data(as_text=True)
    assert f"/courses/{data['slug']}/sections/" in page  # the learner has the sections' discussions
