"""Lists that stay fast as tables grow: statements per page, capped counts, bounded pagers,
lookup filters from the cache, the rison schema checked once, permissions in one query."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jsonschema
import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core.listing import page_window
from app.extensions import db
from app.lookups.services import lookup_id
from tests.course_factories import make_course

MAX_STATEMENTS = 8


@contextmanager
def captured() -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    seen: list[str] = []

    def _listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", _listen)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", _listen)


def statements(response: Any) -> int:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return int(response.headers["X-Query-Count"])


@pytest.fixture
def courses(app: Flask) -> Callable[[int], None]:
    def _make(n: int) -> None:
        with app.app_context():
            for i in range(n):
                make_course(title=f"Listed {i}", category="programming", level="beginner")
            db.session.remove()

    return _make


@pytest.fixture
def small_cap(app: Flask) -> Iterator[int]:
    """A count cap of 3 rows for this test."""
    before = app.config["LIST_COUNT_CAP"]
    app.config["LIST_COUNT_CAP"] = 3
    yield 3
    app.config["LIST_COUNT_CAP"] = before


# ---- statements per page ------------------------------------------------------------------------
def test_course_list_pages_take_at_most_8_statements_ui_and_api(app, login_as, api_as, client, courses):
    courses(30)
    admin, headers = login_as("Admin"), api_as("Admin")
    for url in ("/coursemodelview/list/", "/coursemodelview/list/?page_CourseModelView=1"):
        assert statements(admin.get(url)) <= MAX_STATEMENTS, url
    for url in ("/api/v1/course/", "/api/v1/course/?q=(page:1,page_size:10)"):
        assert statements(client.get(url, headers=headers)) <= MAX_STATEMENTS, url


def test_audit_list_pages_take_at_most_8_statements_ui_and_api(app, login_as, api_as, client, courses):
    courses(5)  # and their audit rows
    admin, headers = login_as("Admin"), api_as("Admin")
    assert statements(admin.get("/auditlogmodelview/list/")) <= MAX_STATEMENTS
    assert statements(admin.get("/auditlogmodelview/list/?_flt_0_entity_type=course")) <= MAX_STATEMENTS
    assert statements(client.get("/api/v1/audit_log/", headers=headers)) <= MAX_STATEMENTS


def test_the_count_reads_the_bare_filtered_table_without_the_lookup_joins(app, api_as, client, courses):
    courses(3)
    headers = api_as("Admin")
    with captured() as seen:
        assert client.get("/api/v1/course/", headers=headers).status_code == 200
    counts = [s for s in seen if s.startswith("SELECT count(")]
    assert len(counts) == 1
    assert " JOIN " not in counts[0] and "LIMIT" in counts[0] and "is_deleted IS false" in counts[0]


# ---- capped counts --------------------------------------------------------------------------------
def test_a_count_over_the_cap_shows_more_than_n_in_the_back_office(app, login_as, courses, small_cap):
    courses(5)
    html = login_as("Admin").get("/coursemodelview/list/?psize_CourseModelView=2").get_data(as_text=True)
    assert "more than 3" in html
    arabic = login_as("Admin")
    arabic.get("/lang/ar")
    html = arabic.get("/coursemodelview/list/?psize_CourseModelView=2").get_data(as_text=True)
    assert "أكثر من 3" in html


def test_a_count_under_the_cap_is_exact(app, login_as, api_as, client, courses):
    courses(2)
    body = client.get("/api/v1/course/", headers=api_as("Admin")).json
    assert body["count"] == 2 and body["count_capped"] is False
    html = login_as("Admin").get("/coursemodelview/list/").get_data(as_text=True)
    assert "more than" not in html


def test_the_api_returns_the_capped_count_and_a_flag(app, api_as, client, courses, small_cap):
    courses(7)
    headers = api_as("Admin")
    body = client.get("/api/v1/course/?q=(page_size:2)", headers=headers).json
    assert body["count"] == 3 and body["count_capped"] is True and len(body["result"]) == 2
    # Past the cap, the count still reaches one row past the page: the next page is known to exist.
    body = client.get("/api/v1/course/?q=(page:1,page_size:2)", headers=headers).json
    assert body["count_capped"] is True and body["count"] == 5


def test_the_portal_catalog_says_more_than_n_courses(app, client, courses, small_cap, monkeypatch):
    monkeypatch.setattr("app.portal.courses.PAGE_SIZE", 1)
    courses(5)
    html = client.get("/courses/").get_data(as_text=True)
    assert "more than 3 courses" in html
    client.get("/lang/ar")
    html = client.get("/courses/").get_data(as_text=True)
    assert "أكثر من 3" in html


# ---- pagers ---------------------------------------------------------------------------------------
def test_page_window_is_bounded_whatever_the_number_of_pages():
    assert page_window(0, 1) == [0]
    assert page_window(5, 10) == [0, None, 3, 4, 5, 6, 7, None, 9]
    assert page_window(3, 6667, first=1) == [1, 2, 3, 4, 5, None, 6667]
    assert page_window(50, 400, last_known=False) == [0, None, 48, 49, 50, 51, 52, None]
    assert max(len(page_window(p, 10**6)) for p in (0, 1, 500_000, 10**6 - 1)) <= 9


def test_the_portal_pager_links_only_pages_around_the_current_one(app, client, courses, monkeypatch):
    monkeypatch.setattr("app.portal.courses.PAGE_SIZE", 1)
    courses(40)
    html = client.get("/courses/?page=20").get_data(as_text=True)
    pager = html[html.index('class="pagination"') :]
    numbers = [int(n) for n in re.findall(r'href="[^"]*page=(\d+)[^"]*"', pager)]
    assert set(numbers) >= {1, 18, 19, 21, 22} and len(pager) < 3_000
    assert len(set(numbers)) <= 9 and 10 not in numbers and 30 not in numbers


def test_the_back_office_pager_links_only_pages_around_the_current_one(app, login_as, courses):
    courses(40)
    html = login_as("Admin").get("/coursemodelview/list/?psize_CourseModelView=1&page_CourseModelView=20")
    text = html.get_data(as_text=True)
    pages = {int(n) for n in re.findall(r"page_CourseModelView=(\d+)", text)}
    assert {0, 19, 21} <= pages and len(pages) <= 10 and 10 not in pages


# ---- lookup filters -------------------------------------------------------------------------------
def test_lookup_filters_render_choices_from_the_cache_without_statements(app, login_as, courses):
    courses(3)
    admin = login_as("Admin")
    admin.get("/coursemodelview/list/")  # warms the lookup cache
    with captured() as seen:
        html = admin.get("/coursemodelview/list/").get_data(as_text=True)
    assert not [s for s in seen if "FROM lookup" in s]
    with app.app_context():
        published = lookup_id("course_status", "published")
    assert f'value=\\"{published}\\"' in html or f'value="{published}"' in html  # the status filter's choice
    with captured() as seen:
        response = admin.get(f"/coursemodelview/list/?_flt_0_status={published}")
    assert response.status_code == 200 and "Listed 0" in response.get_data(as_text=True)
    assert not [s for s in seen if "FROM lookup" in s]


def test_lookup_filter_by_id_or_code_in_the_api(app, api_as, client, courses):
    courses(2)
    headers = api_as("Admin")
    with app.app_context():
        draft = lookup_id("course_status", "draft")
    by_code = client.get(
        "/api/v1/course/?q=(filters:!((col:status,opr:rel_o_m,value:published)))", headers=headers
    ).json
    by_id = client.get(
        f"/api/v1/course/?q=(filters:!((col:status,opr:rel_o_m,value:{draft})))", headers=headers
    )
    assert by_id.status_code == 200, by_id.get_data(as_text=True)[:300]
    assert by_code["count"] >= 2 and by_id.json["count"] == 0
    unknown = client.get(
        "/api/v1/course/?q=(filters:!((col:status,opr:rel_o_m,value:nope)))", headers=headers
    )
    assert unknown.status_code == 200 and unknown.json["count"] == 0


# ---- the rison schema and permissions -------------------------------------------------------------
def test_the_rison_schema_is_checked_once_not_per_request(app, api_as, client, monkeypatch):
    headers = api_as("Admin")
    client.get("/api/v1/course/?q=(page:0)", headers=headers)  # the schema is checked once here
    checks: list[Any] = []
    validator = jsonschema.validators.validator_for({})
    original = validator.check_schema
    monkeypatch.setattr(validator, "check_schema", lambda schema: checks.append(schema) or original(schema))
    for _ in range(3):
        assert client.get("/api/v1/course/?q=(page:0)", headers=headers).status_code == 200
    assert checks == []
    bad = client.get("/api/v1/course/?q=(page:abc)", headers=headers)
    assert bad.status_code == 400 and "Not a valid rison schema" in bad.json["message"]


def test_permission_checks_run_one_query_per_request(app, login_as, api_as, client):
    admin = login_as("Admin")
    with captured() as seen:
        assert admin.get("/coursemodelview/list/").status_code == 200  # a page makes dozens of checks
    assert len([s for s in seen if "ab_permission_view" in s]) == 1
    assert not [s for s in seen if s.startswith("SELECT ab_group")]  # no lazy loads of groups
    headers = api_as("Instructor")
    with captured() as seen:
        assert client.get("/api/v1/course/", headers=headers).status_code == 200
    # One for the user's roles and groups, one for the public role (FAB asks it first on an API).
    assert len([s for s in seen if "ab_permission_view" in s]) == 2


# ---- index-friendly text filters ------------------------------------------------------------------
def test_text_filters_are_ones_an_index_serves(app, login_as, courses):
    courses(2)
    admin = login_as("Admin")
    with captured() as seen:
        by_code = admin.get("/auditlogmodelview/list/?_flt_0_entity_type=course")
        by_actor = admin.get("/auditlogmodelview/list/?_flt_0_actor_label=SYS%25TEM_")
    assert by_code.status_code == 200 and by_actor.status_code == 200
    sql = " ".join(seen)
    assert "audit_log.entity_type = " in sql  # a code: equality first (ix_audit_log_entity)
    assert "lower(audit_log.actor_label) LIKE " in sql and "ILIKE" not in sql
    with app.app_context():
        definition = db.session.execute(
            db.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_audit_log_actor_label_prefix'")
        ).scalar_one()
    assert "lower((actor_label)::text) text_pattern_ops" in definition


def test_starts_with_matches_case_insensitively_and_wildcards_literally(app, login_as, courses):
    courses(1)
    admin = login_as("Admin")
    with app.app_context():
        label = (
            db.session.execute(db.text("SELECT actor_label FROM audit_log ORDER BY id DESC"))
            .scalars()
            .first()
        )
    found = admin.get(f"/auditlogmodelview/list/?_flt_0_actor_label={label[:4].upper()}")
    assert "No records found" not in found.get_data(as_text=True)
    literal = admin.get("/auditlogmodelview/list/?_flt_0_actor_label=%25").get_data(as_text=True)
    assert "No records found" in literal  # "%" in the value is not a wildcard
