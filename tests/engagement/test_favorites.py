"""Favorites: one per user and target (also under 20 concurrent requests), counters equal a recount,
invisible targets refused and not listed (back after a restore), search in both languages, private
collections, exports with formulas neutralised, the owner told, and the REST API."""

from __future__ import annotations

import csv
import io
import threading
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from app.core.errors import Invalid, NotFound
from app.core.softdelete import restore, soft_delete
from app.core.transactions import transaction
from app.engagement import services
from app.engagement.models import Favorite
from app.engagement.services import favorite_export
from app.extensions import db
from app.security.models import LmsUser
from tests.conftest import jwt_headers, login
from tests.course_factories import make_course, make_enrollment, make_lesson, make_section
from tests.factories import make_user
from tests.notification_helpers import only_row, rows_of, texts

API = "/api/v1/favorite"
COLLECTIONS = "/api/v1/favorite_collection"


@pytest.fixture(autouse=True)
def _inline_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # notification delivery runs inline


def _rows(target_type: str, target_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(Favorite.id)).where(
                Favorite.target_type == target_type, Favorite.target_id == target_id
            )
        )
        or 0
    )


# ---- one favorite per user and target ---------------------------------------------------------
def test_favoriting_twice_is_one_row_and_unfavorite_removes_it(app, ctx):
    student = make_user("Student")
    course = make_course(title="Python", title_ar="بايثون")
    first, created = services.favorite(student, "course", course.id)
    again, created_again = services.favorite(student, "course", course.id)
    db.session.commit()
    assert created and not created_again and first.id == again.id
    assert _rows("course", course.id) == 1 == services.favorite_count("course", course.id)
    assert services.is_favorited(student, "course", [course.id, course.id + 1000]) == {course.id}
    other = make_user("Student")
    ids = [course.id, course.id + 1000]
    counts = {course.id: 1, course.id + 1000: 0}
    assert services.favorite_summary(student, "course", ids) == (counts, {course.id})
    assert services.favorite_summary(other, "course", ids) == (counts, set())
    assert services.favorite_summary(None, "course", ids)[1] == set()
    assert services.unfavorite(student, "course", course.id) is True
    assert services.unfavorite(student, "course", course.id) is False
    db.session.commit()
    assert _rows("course", course.id) == 0 == services.favorite_count("course", course.id)


def test_twenty_concurrent_favorites_make_one_row_and_a_true_counter(app, committed):
    with app.app_context():
        student = make_user("Student")
        course = make_course()
        ids = (student.id, course.id)
        db.session.remove()
    barrier = threading.Barrier(20, timeout=30)
    created: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()  # all at once (before taking a pooled connection: the pool is smaller)
            with app.app_context():
                user = db.session.get(LmsUser, ids[0])
                with transaction():
                    _, new = services.favorite(user, "course", ids[1])
                created.append(new)
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(created) == [False] * 19 + [True]
    with app.app_context():
        assert _rows("course", ids[1]) == 1
        assert services.favorite_count("course", ids[1]) == 1
        db.session.remove()


def test_concurrent_favorites_and_unfavorites_of_many_users_keep_the_counter_true(app, committed):
    with app.app_context():
        users = [make_user("Student").id for _ in range(10)]
        course_id = make_course().id
        db.session.remove()
    errors: list[BaseException] = []

    def worker(user_id: int, toggle: bool) -> None:
        try:
            with app.app_context():
                user = db.session.get(LmsUser, user_id)
                for _ in range(3):
                    with transaction():
                        services.favorite(user, "course", course_id)
                    if toggle:
                        with transaction():
                            services.unfavorite(user, "course", course_id)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(u, n % 2 == 0)) for n, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        assert services.favorite_count("course", course_id) == _rows("course", course_id) == 5
        db.session.remove()


# ---- visibility -----------------------------------------------------------------------------
def test_invisible_targets_are_refused(app, ctx):
    student = make_user("Student")
    private = make_course(visibility="private")
    teacher = make_user("Instructor")
    course = make_course(instructors=[teacher])
    lesson = make_lesson(make_section(course))  # not enrolled: the lesson is closed to the student
    for code, target_id in (("course", private.id), ("lesson", lesson.id), ("course", 10**9)):
        with pytest.raises(NotFound):
            services.favorite(student, code, target_id)
    with pytest.raises(Invalid):
        services.favorite(student, "enrollment", course.id)  # not a kind one favorites
    comment = services.add_comment(teacher, "course", course.id, "<p>Welcome</p>")
    services.hide_comment(teacher, comment)
    with pytest.raises(NotFound):
        services.favorite(student, "comment", comment.id)
    assert db.session.scalar(select(func.count(Favorite.id)).where(Favorite.user_id == student.id)) == 0


def test_a_deleted_or_hidden_target_leaves_the_list_and_comes_back(app, ctx):
    student = make_user("Student")
    course = make_course(title="Gone soon", title_ar="قريبا")
    services.favorite(student, "course", course.id)
    db.session.commit()
    assert [i.target.id for i in services.my_favorites(student).items] == [course.id]
    soft_delete(course)
    db.session.commit()
    assert services.my_favorites(student).items == []
    assert services.favorite_count("course", course.id) == 1 == _rows("course", course.id)
    restore(course)
    db.session.commit()
    assert [i.target.id for i in services.my_favorites(student).items] == [course.id]
    assert (
        services.recount_favorites("course", course.id) == 1 == services.favorite_count("course", course.id)
    )
    # Made private (unlisted, not enrolled): hidden from the list, row kept; listed again: back.
    course_visibility = course.visibility_id
    from app.lookups.services import lookup_id

    course.visibility_id = lookup_id("course_visibility", "private") or course_visibility
    db.session.commit()
    assert course.visibility_id != course_visibility
    assert services.my_favorites(student).items == []
    course.visibility_id = course_visibility
    db.session.commit()
    assert len(services.my_favorites(student).items) == 1


# ---- list, search, collections ------------------------------------------------------------------
def test_list_grouped_by_kind_newest_first_and_searched_in_both_languages(app, ctx):
    teacher = make_user("Instructor")
    student = make_user("Student")
    python = make_course(instructors=[teacher], title="Python basics", title_ar="أساسيات بايثون")
    data = make_course(instructors=[teacher], title="Data analysis", title_ar="تحليل البيانات")
    lesson = make_lesson(make_section(python), title="Loops")
    lesson.translations = {"en": {"title": "Loops"}, "ar": {"title": "الحلقات التكرارية"}}
    db.session.commit()
    make_enrollment(student, python)
    comment = services.add_comment(teacher, "course", data.id, "<p>Read chapter two</p>")
    for code, target_id in (("course", python.id), ("lesson", lesson.id), ("comment", comment.id)):
        services.favorite(student, code, target_id)
    services.favorite(student, "course", data.id)
    db.session.commit()
    page = services.my_favorites(student)
    assert [g.kind for g in page.groups] == ["course", "lesson", "comment"]
    assert [i.target.id for i in page.groups[0].items] == [data.id, python.id]  # newest first
    assert page.total == 4
    assert page.groups[0].items[0].titles == {"en": "Data analysis", "ar": "تحليل البيانات"}
    search = services.my_favorites
    assert [i.target.id for i in search(student, q="البيانات").items] == [data.id]
    assert [i.target.id for i in search(student, q="اساسيات").items] == [python.id]  # alef unified
    assert [i.target.id for i in search(student, q="LOOPS").items] == [lesson.id]
    assert [i.kind for i in search(student, q="chapter").items] == ["comment"]
    assert [i.kind for i in search(student, kind="lesson").items] == ["lesson"]
    assert search(student, q="nothing like it").items == []


def test_collections_are_private_and_hold_favorites(app, ctx):
    student, other = make_user("Student"), make_user("Student")
    course = make_course()
    mine = services.create_collection(student, "  To   read ", "green")
    theirs = services.create_collection(other, "Theirs", "red")
    db.session.commit()
    assert mine.name == "To read"
    with pytest.raises(Invalid):
        services.create_collection(student, "Bad colour", "#ff0000")
    with pytest.raises(Invalid):
        services.create_collection(student, "   ", "blue")
    with pytest.raises(NotFound):
        services.get_collection(student, theirs.id)
    with pytest.raises(NotFound):
        services.favorite(student, "course", course.id, collection=theirs)
    row, _ = services.favorite(student, "course", course.id, collection=mine)
    assert [i.favorite.id for i in services.my_favorites(student, collection=mine).items] == [row.id]
    with pytest.raises(NotFound):
        services.move_to_collection(student, row, theirs)
    with pytest.raises(NotFound):
        services.my_favorites(student, collection=theirs)
    services.delete_collection(student, mine)
    db.session.commit()
    assert row.collection_id is None and services.list_collections(student) == []


# ---- exports --------------------------------------------------------------------------------
def test_csv_and_xlsx_exports_neutralise_formulas(app, ctx):
    student = make_user("Student")
    course = make_course(title="=cmd()", title_ar="@عربي")
    services.favorite(student, "course", course.id)
    db.session.commit()
    with app.test_request_context():  # the links of the rows are URLs of this site
        data = favorite_export.favorites_csv(student)
        xlsx = favorite_export.favorites_xlsx(student)
    assert data.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))
    assert rows[1][1] == "'=cmd()" and rows[1][2] == "'@عربي"
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    sheet = book.active
    cells = [c.value for c in sheet[2]]
    assert "'=cmd()" in cells and "'@عربي" in cells
    assert rows[1][5].endswith(f"/courses/{course.slug}")
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# ---- notifications ----------------------------------------------------------------------------
def test_the_owner_is_told_in_both_languages_never_the_actor(app, ctx):
    teacher = make_user("Instructor", first_name="Tariq", last_name="Teacher")
    student = make_user("Student", first_name="Sara", last_name="Student", name_ar="سارة")
    course = make_course(instructors=[teacher], title="Python", title_ar="بايثون")
    services.favorite(student, "course", course.id)
    services.favorite(student, "course", course.id)  # again: nothing new to tell
    services.favorite(teacher, "course", course.id)  # one's own: not told
    db.session.commit()
    row = only_row(teacher, "favorite")
    english, arabic = texts(row)
    assert english == "Sara Student added Python to their favorites"
    assert arabic == "أضاف سارة بايثون إلى المفضلة"
    comment = services.add_comment(teacher, "course", course.id, "<p>Hello</p>")
    services.favorite(student, "comment", comment.id)
    db.session.commit()
    assert len(rows_of(teacher, "favorite")) == 2
    assert rows_of(student, "favorite") == []


# ---- REST API ------------------------------------------------------------------------------------
@pytest.fixture
def people(app, user_factory):
    with app.app_context():
        course_id = make_course().id
        private_id = make_course(visibility="private").id
        db.session.remove()
    student_id, student = user_factory("Student")
    _, other = user_factory("Student")
    return {"course": course_id, "private": private_id, "student": student, "other": other, "sid": student_id}


def test_api_favorite_list_move_and_remove(app, client, people):
    headers = jwt_headers(client, people["student"])
    other = jwt_headers(client, people["other"])
    body = {"target_type": "course", "target_id": people["course"]}
    first = client.post(f"{API}/", json=body, headers=headers)
    assert first.status_code == 201, first.json
    again = client.post(f"{API}/", json=body, headers=headers)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    hidden = client.post(
        f"{API}/", json={"target_type": "course", "target_id": people["private"]}, headers=headers
    )
    assert hidden.status_code == 404
    bad = client.post(f"{API}/", json={"target_type": "course", "target_id": "x"}, headers=headers)
    assert bad.status_code == 422
    listed = client.get(f"{API}/", headers=headers)
    assert [r["target_id"] for r in listed.json["result"]] == [people["course"]]
    assert client.get(f"{API}/", headers=other).json["result"] == []
    assert client.get(f"{API}/{first.json['id']}", headers=other).status_code == 404
    # Collections: own only; another user's collection id is a 404.
    mine = client.post(f"{COLLECTIONS}/", json={"name": "Later", "colour": "teal"}, headers=headers)
    theirs = client.post(f"{COLLECTIONS}/", json={"name": "Theirs"}, headers=other)
    assert mine.status_code == 201 and theirs.status_code == 201
    assert (
        client.post(f"{COLLECTIONS}/", json={"name": "X", "colour": "neon"}, headers=headers).status_code
        == 422
    )
    assert client.get(f"{COLLECTIONS}/{theirs.json['id']}", headers=headers).status_code == 404
    assert (
        client.put(f"{COLLECTIONS}/{theirs.json['id']}", json={"name": "Mine"}, headers=headers).status_code
        == 404
    )
    moved = client.put(
        f"{API}/{first.json['id']}", json={"collection_id": theirs.json["id"]}, headers=headers
    )
    assert moved.status_code == 404
    moved = client.put(f"{API}/{first.json['id']}", json={"collection_id": mine.json["id"]}, headers=headers)
    assert moved.status_code == 200 and moved.json["result"]["collection_id"] == mine.json["id"]
    assert [r["name"] for r in client.get(f"{COLLECTIONS}/", headers=headers).json["result"]] == ["Later"]
    gone = client.delete(f"{API}/for/course/{people['course']}", headers=headers)
    assert gone.status_code == 200 and gone.json["removed"] is True
    assert client.get(f"{API}/", headers=headers).json["result"] == []
    assert client.delete(f"{COLLECTIONS}/{theirs.json['id']}", headers=headers).status_code == 404
    assert client.delete(f"{COLLECTIONS}/{mine.json['id']}", headers=headers).status_code == 200


def test_api_refuses_visitors(client, people):
    assert client.get(f"{API}/").status_code == 401
    assert (
        client.post(f"{API}/", json={"target_type": "course", "target_id": people["course"]}).status_code
        == 401
    )


def test_the_back_office_list_is_read_only_for_admins_and_course_staff(app, client, user_factory):
    teacher_id, teacher = user_factory("Instructor")
    _, admin = user_factory("Admin")
    _, learner = user_factory("Student")
    with app.app_context():
        fan = make_user("Student", username="farida_fan", first_name="Farida", last_name="Fan")
        mine = make_course(instructors=[teacher_id])
        other = make_course()
        services.favorite(fan, "course", mine.id)
        other_fan = make_user("Student", username="omar_other", first_name="Omar", last_name="Other")
        services.favorite(other_fan, "course", other.id)
        db.session.commit()
        db.session.remove()
    login(client, teacher)
    page = client.get("/favoritemodelview/list/").get_data(as_text=True)
    assert "farida_fan" in page and "omar_other" not in page  # only favorites of what they moderate
    assert client.get("/favoritemodelview/add").status_code in (302, 403, 404, 405)
    client.get("/logout/")
    login(client, admin)
    page = client.get("/favoritemodelview/list/").get_data(as_text=True)
    assert "farida_fan" in page and "omar_other" in page
    client.get("/logout/")
    login(client, learner)
    assert client.get("/favoritemodelview/list/").status_code in (302, 403)
