from tests.test_portal_assessments import *  # noqa
def test_dbg(app, login_as):
    data = _setup(app)
    student = _student(app, login_as, data)
    _submit(student, _start(student, data), data, short="Lyon")
    student.post(f"/assignments/{data['assignment']}", data={"text": "My essay"})
    with app.app_context():
        work = db.session.get(Assignment, data["assignment"])
        submission = assignment_service.submission_of(work, student.user_id)
        instructor = db.session.get(LmsUser, data["instructor"])
        assignment_service.grade_submission(instructor, submission, points=80)
        db.session.remove()
    page = page_text(student.get("/my/grades"))
    import re
    print(re.sub(r"\s+", " ", page[page.index("<main"):]))
    assert 0
