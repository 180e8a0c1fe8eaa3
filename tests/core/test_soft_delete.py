"""Soft delete is global: deleted rows are hidden everywhere, restorable, never physically gone."""

from __future__ import annotations

from sqlalchemy import func, select, text

from app.core.softdelete import restore, soft_delete
from app.extensions import db
from app.lookups.models import Lookup, LookupType
from tests.factories import make_lookup, make_lookup_type


def _make_pair(app):
    with app.app_context():
        ltype = make_lookup_type()
        kept = make_lookup(ltype, code="kept")
        gone = make_lookup(ltype, code="gone")
        soft_delete(gone)
        db.session.commit()
        return ltype.id, kept.id, gone.id


def _raw_row(app, table, pk):
    with app.app_context():
        return db.session.execute(
            text(f"SELECT is_deleted, deleted_at FROM {table} WHERE id = :id"), {"id": pk}
        ).one_or_none()


def test_deleted_rows_are_hidden_from_every_orm_query(app):
    type_id, _kept_id, gone_id = _make_pair(app)
    with app.app_context():
        codes = db.session.scalars(select(Lookup.code).where(Lookup.type_id == type_id)).all()
        assert codes == ["kept"]
        count = db.session.scalar(select(func.count()).select_from(Lookup).where(Lookup.type_id == type_id))
        assert count == 1
        assert db.session.get(Lookup, gone_id, populate_existing=True) is None
    with app.app_context():
        # relationship loads (lazy and selectin) are filtered too
        ltype = db.session.get(LookupType, type_id)
        assert [v.code for v in ltype.values] == ["kept"]
        # ... unless the query asks for deleted rows
        everything = db.session.scalars(
            select(Lookup).where(Lookup.type_id == type_id).execution_options(include_deleted=True)
        ).all()
        assert sorted(v.code for v in everything) == ["gone", "kept"]


def test_deleted_rows_are_hidden_from_screens_and_api(app, login_as, api_as):
    type_id, _kept_id, gone_id = _make_pair(app)
    admin = login_as("Admin")
    listing = admin.get(f"/lookupmodelview/list/?_flt_0_type={type_id}").get_data(as_text=True)
    assert "kept" in listing and ">gone<" not in listing
    assert admin.get(f"/lookupmodelview/show/{gone_id}").status_code == 404
    assert admin.get(f"/lookupmodelview/edit/{gone_id}").status_code == 404
    headers = api_as("Admin")
    assert admin.get(f"/api/v1/lookup/{gone_id}", headers=headers).status_code == 404
    rison = f"(filters:!((col:type,opr:rel_o_m,value:{type_id})))"
    body = admin.get(f"/api/v1/lookup/?q={rison}", headers=headers).json
    assert body["count"] == 1
    assert [r["code"] for r in body["result"]] == ["kept"]


def test_ui_delete_is_a_soft_delete(app, login_as):
    _, kept_id, _ = _make_pair(app)
    admin = login_as("Admin")
    response = admin.post(f"/lookupmodelview/delete/{kept_id}")
    assert response.status_code == 302
    row = _raw_row(app, "lookup", kept_id)
    assert row is not None and row.is_deleted and row.deleted_at is not None


def test_api_delete_is_a_soft_delete(app, client, api_as):
    _, kept_id, _ = _make_pair(app)
    headers = api_as("Admin")
    assert client.delete(f"/api/v1/lookup/{kept_id}", headers=headers).status_code == 200
    row = _raw_row(app, "lookup", kept_id)
    assert row is not None and row.is_deleted
    assert client.get(f"/api/v1/lookup/{kept_id}", headers=headers).status_code == 404
    # deleting again: it is already invisible
    assert client.delete(f"/api/v1/lookup/{kept_id}", headers=headers).status_code == 404


def test_bulk_delete_action_is_a_soft_delete(app, login_as):
    with app.app_context():
        ltype = make_lookup_type()
        ids = [make_lookup(ltype).id for _ in range(3)]
    admin = login_as("Admin")
    response = admin.post(
        "/lookupmodelview/action_post",
        data={"action": "soft_delete_selected", "rowid": ids[:2]},
    )
    assert response.status_code == 302
    assert [_raw_row(app, "lookup", pk).is_deleted for pk in ids] == [True, True, False]


def test_trash_lists_and_restores_deleted_rows(app, login_as):
    _, _, gone_id = _make_pair(app)
    admin = login_as("Admin")
    index = admin.get("/admin/trash/").get_data(as_text=True)
    assert "lookup" in index
    page = admin.get("/admin/trash/lookup/").get_data(as_text=True)
    assert f'value="{gone_id}"' in page
    response = admin.post("/admin/trash/lookup/restore", data={"rowid": [str(gone_id)]})
    assert response.status_code == 302
    row = _raw_row(app, "lookup", gone_id)
    assert not row.is_deleted and row.deleted_at is None
    assert admin.get(f"/lookupmodelview/show/{gone_id}").status_code == 200
    assert f'value="{gone_id}"' not in admin.get("/admin/trash/lookup/").get_data(as_text=True)


def test_trash_is_for_admins_only(app, login_as):
    _, _, gone_id = _make_pair(app)
    student = login_as("Student")
    assert student.get("/admin/trash/").status_code == 403
    assert student.post("/admin/trash/lookup/restore", data={"rowid": [str(gone_id)]}).status_code == 403
    assert _raw_row(app, "lookup", gone_id).is_deleted


def test_nothing_is_ever_physically_deleted(app, login_as, api_as, client):
    with app.app_context():
        ltype = make_lookup_type()
        ids = [make_lookup(ltype).id for _ in range(3)]
    admin = login_as("Admin")
    admin.post(f"/lookupmodelview/delete/{ids[0]}")
    client.delete(f"/api/v1/lookup/{ids[1]}", headers=api_as("Admin"))
    admin.post("/lookupmodelview/action_post", data={"action": "soft_delete_selected", "rowid": [ids[2]]})
    with app.app_context():
        total = db.session.execute(
            text("SELECT count(*) FROM lookup WHERE type_id = :t AND is_deleted"), {"t": ltype.id}
        ).scalar()
    assert total == 3


def test_restore_service_round_trip(app):
    with app.app_context():
        value = make_lookup()
        soft_delete(value)
        db.session.commit()
        assert value.is_deleted and value.deleted_at is not None
        restore(value)
        db.session.commit()
        assert not value.is_deleted and value.deleted_at is None


def test_deleting_a_user_in_the_back_office_is_a_soft_delete(app, login_as, user_factory):
    user_id, _ = user_factory("Student")
    admin = login_as("Admin")
    assert admin.post(f"/users/delete/{user_id}").status_code == 302
    row = _raw_row(app, "ab_user", user_id)
    assert row is not None and row.is_deleted
    assert admin.get(f"/users/show/{user_id}").status_code == 404
    assert f'value="{user_id}"' in admin.get("/admin/trash/ab_user/").get_data(as_text=True)


def test_admins_cannot_delete_their_own_account(app, user_factory, client):
    from tests.conftest import jwt_headers, login

    admin_id, username = user_factory("Admin")
    browser = app.test_client()
    login(browser, username)
    browser.post(f"/users/delete/{admin_id}")
    assert not _raw_row(app, "ab_user", admin_id).is_deleted
    response = client.delete(f"/api/v1/security/users/{admin_id}", headers=jwt_headers(client, username))
    assert response.status_code == 409 and "message" in response.json
    assert not _raw_row(app, "ab_user", admin_id).is_deleted
    other_id, _ = user_factory("Student")
    response = client.delete(f"/api/v1/security/users/{other_id}", headers=jwt_headers(client, username))
    assert response.status_code == 200
    assert _raw_row(app, "ab_user", other_id).is_deleted
