"""Audit: one row per change in the same transaction, logins recorded, append-only, searchable."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, func, select, text, update
from sqlalchemy.exc import DBAPIError

from app.audit.context import Actor, system_actor
from app.audit.listeners import RowMaker
from app.audit.models import AuditLog
from app.audit.services import history, record
from app.core.softdelete import restore, soft_delete
from app.extensions import db
from app.lookups.models import Lookup
from tests.conftest import login
from tests.factories import make_lookup, make_lookup_type


def _rows(entity_type, entity_id):
    return [(row.action.code, row.old_values, row.new_values) for row in history(entity_type, entity_id)]


def test_insert_update_soft_delete_and_restore_are_each_audited(app):
    with app.app_context():
        value = make_lookup(name_en="Before")
        value.name_en = "After"
        db.session.commit()
        soft_delete(value)
        db.session.commit()
        restore(value)
        db.session.commit()
        rows = _rows("lookup", value.id)
    assert [r[0] for r in rows] == ["created", "updated", "deleted", "restored"]
    created, updated, deleted, restored = rows
    assert created[1] is None and created[2]["name_en"] == "Before"
    assert updated[1] == {"name_en": "Before"} and updated[2] == {"name_en": "After"}
    assert deleted[1]["is_deleted"] is False and deleted[2]["is_deleted"] is True
    assert restored[2]["is_deleted"] is False


def test_audit_row_is_in_the_same_transaction(app):
    with app.app_context():
        ltype = make_lookup_type()
        value = Lookup(type_id=ltype.id, code="rolled_back", name_en="x", name_ar="س")
        db.session.add(value)
        db.session.flush()
        pending_id = value.id
        inside = db.session.scalar(
            select(AuditLog.id).where(AuditLog.entity_type == "lookup", AuditLog.entity_id == pending_id)
        )
        assert inside is not None  # written by the flush, inside the transaction
        db.session.rollback()
        left = db.session.scalar(
            select(AuditLog.id).where(AuditLog.entity_type == "lookup", AuditLog.entity_id == pending_id)
        )
    assert left is None


def test_system_actor_and_explicit_records(app):
    with app.app_context():
        with system_actor("cleanup"):
            value = make_lookup()
            record("viewed", "lookup", value.id, description="opened", commit=True)
        rows = history("lookup", value.id, with_views=True)
    assert [(r.action.code, r.actor_label, r.actor_id) for r in rows] == [
        ("created", "system:cleanup", None),
        ("viewed", "system:cleanup", None),
    ]
    assert rows[1].description == "opened"


def test_bulk_update_statements_are_audited_per_row(app):
    with app.app_context():
        ltype = make_lookup_type()
        first, second = make_lookup(ltype), make_lookup(ltype)
        db.session.execute(update(Lookup).where(Lookup.type_id == ltype.id).values(sort_order=42))
        db.session.commit()
        for value in (first, second):
            last = history("lookup", value.id)[-1]
            assert last.action.code == "updated"
            assert last.old_values == {"sort_order": 0} and last.new_values == {"sort_order": 42}


def test_request_context_is_recorded_actor_ip_agent_request_id(app, user_factory):
    admin_id, username = user_factory("Admin")
    browser = app.test_client()
    login(browser, username)
    with app.app_context():
        value = make_lookup()
        type_id, value_id = value.type_id, value.id
    response = browser.post(
        f"/lookupmodelview/edit/{value_id}",
        data={
            "type": str(type_id),
            "code": "edited",
            "name_en": "Edited",
            "name_ar": "معدل",
            "sort_order": "5",
            "display_order": "0",
            "is_active": "y",
        },
        headers={
            "User-Agent": "AuditTest/1.0",
            "X-Request-ID": "req-12345",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        last = db.session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "lookup").order_by(AuditLog.id.desc())
        ).first()
        assert last.action.code == "updated"
        assert (last.actor_id, last.actor_label) == (admin_id, username)
        assert last.user_agent == "AuditTest/1.0"
        assert last.request_id == "req-12345"
        assert last.ip == "203.0.113.9"  # behind a proxy (PROXY_FIX_X_FOR=1 in tests)
        assert last.new_values["code"] == "edited"


def test_logins_logouts_and_failures_are_recorded(app, user_factory):
    user_id, username = user_factory("Student")
    browser = app.test_client()
    login(browser, username, "wrong-password-123")
    login(browser, username)
    browser.get("/logout/")
    browser.post(
        "/api/v1/security/login", json={"username": "nobody", "password": "x" * 12, "provider": "db"}
    )
    with app.app_context():
        actions = [
            (r.action.code, r.actor_id)
            for r in db.session.scalars(
                select(AuditLog).where(AuditLog.entity_type == "user").order_by(AuditLog.id)
            )
            if r.entity_id == user_id or r.description == "username=nobody"
        ]
    assert ("login_failed", None) in actions
    assert ("logged_in", user_id) in actions
    assert ("logged_out", user_id) in actions
    assert actions[-1] == ("login_failed", None)  # unknown user, still recorded


def test_passwords_never_reach_the_log(app):
    with app.app_context():
        from tests.factories import make_user

        user = make_user("Student")
        created = history("user", user.id)[0]
        assert created.new_values["password"] == "***"


def test_log_is_append_only_in_ui_api_and_database(app, login_as, api_as, client):
    with app.app_context():
        entry_id = history("lookup", make_lookup().id)[0].id
    admin = login_as("Admin")
    assert admin.get(f"/auditlogmodelview/edit/{entry_id}").status_code == 404
    assert admin.post(f"/auditlogmodelview/delete/{entry_id}").status_code in (404, 405)
    assert admin.get("/auditlogmodelview/add").status_code == 404
    headers = api_as("Admin")
    assert client.put(f"/api/v1/audit_log/{entry_id}", json={}, headers=headers).status_code == 405
    assert client.delete(f"/api/v1/audit_log/{entry_id}", headers=headers).status_code == 405
    assert client.post("/api/v1/audit_log/", json={}, headers=headers).status_code == 405
    with app.app_context(), pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE audit_log SET description = 'x' WHERE id = :id"), {"id": entry_id})


def test_admin_screen_searches_and_shows_history_diff(app, login_as):
    with app.app_context():
        value = make_lookup(name_en="Old name")
        value.name_en = "New name"
        db.session.commit()
        value_id = value.id
    admin = login_as("Admin")
    page = admin.get(f"/auditlogmodelview/list/?_flt_0_entity_type=lookup&_flt_0_entity_id={value_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<tr") >= 3  # header + created + updated
    diff = admin.get(f"/auditlogmodelview/history/lookup/{value_id}").get_data(as_text=True)
    assert "Old name" in diff and "New name" in diff and "Name (English)" in diff and "name_en" not in diff
    # a date range: both rows are after 2000 and none before
    in_range = admin.get(
        f"/auditlogmodelview/export/csv?_flt_0_entity_id={value_id}&_flt_1_created_at=2000-01-01+00:00:00"
    ).get_data(as_text=True)
    out_of_range = admin.get(
        f"/auditlogmodelview/export/csv?_flt_0_entity_id={value_id}&_flt_2_created_at=2000-01-01+00:00:00"
    ).get_data(as_text=True)
    assert len(in_range.strip().splitlines()) == 3 and len(out_of_range.strip().splitlines()) == 1
    csv = admin.get(f"/auditlogmodelview/export/csv?_flt_0_entity_id={value_id}").get_data(as_text=True)
    assert len(csv.strip().splitlines()) == 3  # header + 2 rows, only the filtered entity


def test_audit_api_filters_by_entity(app, client, api_as):
    with app.app_context():
        value_id = make_lookup().id
    headers = api_as("Admin")
    rison = f"(filters:!((col:entity_type,opr:eq,value:lookup),(col:entity_id,opr:eq,value:{value_id})))"
    body = client.get(f"/api/v1/audit_log/?q={rison}", headers=headers).json
    assert body["count"] == 1
    assert body["result"][0]["action"]["code"] == "created"


def test_each_user_sees_only_their_own_activity(app, user_factory):
    first_id, first = user_factory("Student")
    _, second = user_factory("Student")
    a, b = app.test_client(), app.test_client()
    login(a, first)
    login(b, second)
    page = a.get("/admin/my-activity/list/").get_data(as_text=True)
    assert first in page and second not in page
    from tests.conftest import jwt_headers

    body = a.get("/api/v1/my_activity/", headers=jwt_headers(app.test_client(), first)).json
    assert body["count"] >= 1
    assert {row["actor_id"] for row in body["result"]} == {first_id}
    assert b.get("/auditlogmodelview/list/").status_code == 403


def test_role_changes_are_audited(app, client, user_factory, api_as):
    student_id, _ = user_factory("Student")
    headers = api_as("Admin")
    with app.app_context():
        from app.extensions import appbuilder

        admin_role = appbuilder.sm.find_role("Admin").id
        student_role = appbuilder.sm.find_role("Student").id
    response = client.put(
        f"/api/v1/security/users/{student_id}", json={"roles": [admin_role]}, headers=headers
    )
    assert response.status_code == 200, response.json
    with app.app_context():
        last = history("user", student_id)[-1]
    assert last.action.code == "updated"
    assert last.old_values["roles"] == [student_role] and last.new_values["roles"] == [admin_role]
    assert last.actor_label != "anonymous"


def test_every_write_of_a_batch_is_audited_with_one_insert_per_flush(app):
    with app.app_context():
        ltype = make_lookup_type()
        values = [
            Lookup(type_id=ltype.id, code=f"batch_{n}", name_en=f"Value {n}", name_ar="قيمة")
            for n in range(25)
        ]
        db.session.add_all(values)
        statements: list[str] = []

        def _listen(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _listen)
        try:
            db.session.flush()
        finally:
            event.remove(db.engine, "before_cursor_execute", _listen)
        ids = [value.id for value in values]
        for n, value in enumerate(values):
            value.sort_order = 100 + n
        values[0].name_en = "Renamed"
        db.session.commit()
        created, updated = (
            db.session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .join(AuditLog.action)
                .where(AuditLog.entity_type == "lookup", AuditLog.entity_id.in_(ids), Lookup.code == action)
            )
            for action in ("created", "updated")
        )
        first = history("lookup", ids[0])[-1]
    assert (created, updated) == (25, 25)
    assert first.old_values == {"name_en": "Value 0", "sort_order": 0}
    assert first.new_values == {"name_en": "Renamed", "sort_order": 100}
    # The 25 audit rows of the flush go in one execution of the prepared INSERT.
    assert sum(s.startswith("EXECUTE lms_audit_log_insert(") for s in statements) == 1
    assert not any(s.lstrip().upper().startswith("INSERT INTO AUDIT_LOG") for s in statements)


def test_audit_rows_are_written_on_the_embedded_sqlite_database_too(tmp_path):
    # PostgreSQL gets a prepared statement; `make run`'s SQLite gets a plain insert of the same rows.
    engine = create_engine(f"sqlite:///{tmp_path / 'embedded.sqlite3'}")
    AuditLog.__table__.create(engine)
    with engine.begin() as connection:
        maker = RowMaker(connection, Actor(None, "system:test"))
        maker.action_ids["created"] = 7
        maker.insert([maker.row("created", "note", 1, None, {"body": "Bonjour"}, "Bonjour")])
    with engine.connect() as connection:
        row = connection.execute(select(AuditLog.__table__)).one()
    engine.dispose()
    assert (row.action_id, row.entity_type, row.entity_id, row.actor_label) == (7, "note", 1, "system:test")
    assert row.new_values == {"body": "Bonjour"} and row.uuid is not None


def test_the_prepared_audit_insert_outlives_a_rollback_and_orders_its_uuids_by_time(ctx):
    connection = db.engine  # this test's connection, inside its outer transaction
    connection.exec_driver_sql("DEALLOCATE ALL")  # as on a new connection
    connection.connection.info.pop("lms_audit_log_insert", None)
    maker = RowMaker(connection, Actor(None, "system:test"))
    maker.action_ids["created"] = 7
    first = connection.begin_nested()  # the statement is prepared in here, then rolled back with it
    maker.insert([maker.row("created", "note", -1)])
    first.rollback()
    for n in range(2, 5):
        maker.insert([maker.row("created", "note", -n)])
    rows = connection.execute(
        select(AuditLog.entity_id, AuditLog.uuid).where(
            AuditLog.entity_type == "note", AuditLog.entity_id < 0
        )
    ).all()
    assert sorted(entity_id for entity_id, _ in rows) == [-4, -3, -2]
    assert {row_uuid.version for _, row_uuid in rows} == {7}
    # The first 48 bits are the time in milliseconds: new rows land at the end of the uuid index.
    stamps = [row_uuid.int >> 80 for _, row_uuid in sorted(rows, key=lambda row: -row[0])]  # insert order
    assert stamps == sorted(stamps)
    assert abs(stamps[0] / 1000 - time.time()) < 300
