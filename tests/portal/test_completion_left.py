"""My learning and the course page say what is left before completion and the certificate."""

from __future__ import annotations

from app.assessments.models import Submission
from app.core.models import utcnow
from app.extensions import db
from app.lookups.services import require_lookup_id
from tests.assessment_factories import make_assignment, make_quiz, set_completion
from tests.conftest import login
from tests.course_factories import make_course, make_enrollment, make_lesson, make_progress, make_section
from tests.factories import make_user


def _course_half_done(app) -> tuple[str, str]:
    with app.app_context():
        learner = make_user("Student")
        course = make_course(title="Python Basics")
        section = make_section(course)
        first = make_lesson(section, "One")
        make_lesson(section, "Two")
        make_lesson(section, "Three")
        make_enrollment(learner, course)
        make_progress(learner, first, completed=True)
        make_quiz(course, title="Final quiz", is_required=True)
        essay = make_assignment(course, title="Essay 1", is_required=True)
        make_assignment(course, title="Essay 2", is_required=True)
        db.session.add(
            Submission(
                assignment_id=essay.id,
                user_id=learner.id,
                course_id=course.id,
                status_id=require_lookup_id("assignment_status", "submitted"),
                submitted_at=utcnow(),
            )
        )
        db.session.commit()
        set_completion(
            course, require_assignments_graded=True, certificate_enabled=True, min_grade_percent=60
        )
        return learner.username, course.slug


def test_my_learning_and_the_course_page_list_what_is_left(app, client):
    username, slug = _course_half_done(app)
    login(client, username)
    for url in ("/my/learning", f"/courses/{slug}"):
        html = client.get(url).get_data(as_text=True)
        left = html.split("Left before completion:")[1]
        assert "Complete 2 lessons" in left
        assert "Pass the quiz: Final quiz" in left
        assert "Waiting for your instructor to grade: Essay 1" in left
        assert "Hand in the assignment: Essay 2" in left
        assert "Reach a course grade of 60%" in left
        assert "Your certificate is issued as soon as these are done." in left


def test_what_is_left_in_arabic(app, client):
    username, _slug = _course_half_done(app)
    login(client, username)
    client.get("/lang/ar")
    html = client.get("/my/learning").get_data(as_text=True)
    assert "المتبقي قبل الإتمام:" in html
    assert "أكمل درسين" in html
    assert "بانتظار تقييم المدرّس: واجب" in html  # the assignment's Arabic title
    assert "Left before completion:" not in html
