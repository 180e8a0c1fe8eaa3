"""Audit rows read as sentences in the reader's language, with actors and entities as names and links."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from app.audit.context import system_actor
from app.audit.models import AuditLog
from app.audit.services import record
from app.extensions import db
from tests.conftest import login
from tests.factories import make_lookup, make_user


def _page(browser, url: str) -> str:
    response = browser.get(url)
    assert response.status_code == 200
    return " ".join(unescape(response.get_data(as_text=True)).split())


def test_an_update_reads_as_a_sentence_in_english_and_arabic(app, user_factory):
    with app.app_context():
        sara = make_user("Student", first_name="Sara", last_name="Mansour")
        value = make_lookup(name_en="Python for Beginners", sort_order=0)
        record(
            "updated", "lookup", value.id, old_values={"sort_order": 0, "is_active": True},
            new_values={"sort_order": 10, "is_active": False}, user=sara,
        )  # fmt: skip
        db.session.commit()
        entry_id = db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
        sara_id, value_id = sara.id, value.id
    _, admin_name = user_factory("Admin")
    admin = app.test_client()
    login(admin, admin_name)

    english = _page(admin, f"/auditlogmodelview/show/{entry_id}")
    assert "Sara Mansour updated Lookup <em>Python for Beginners</em>" in english.replace("</a>", "").replace(
        f'<a href="/lookupmodelview/show/{value_id}">', ""
    )
    assert f'<a href="/users/show/{sara_id}">Sara Mansour</a>' in english
    assert "Active Yes → No; Sort order 0 → 10" in english

    admin.get("/lang/ar")
    arabic = _page(admin, f"/auditlogmodelview/show/{entry_id}")
    assert "عدّل" in arabic and "Sara Mansour" in arabic and "نعم → لا" in arabic
    history = _page(admin, f"/auditlogmodelview/history/lookup/{value_id}")
    assert "عدّل" in history and "Sara Mansour" in history and "{" not in history.split("<body")[1]


def test_system_and_user_id_actors_are_words(app, user_factory):
    with app.app_context():
        user = make_user("Instructor", first_name="Layla", last_name="Haddad")
        with system_actor("issue_certificate"):
            make_lookup(name_en="Issued")
        db.session.commit()
        system_label = db.session.scalar(select(AuditLog.actor_label).order_by(AuditLog.id.desc()).limit(1))
        user_id = user.id
    assert system_label == "system:issue_certificate"
    _, admin_name = user_factory("Admin")
    admin = app.test_client()
    login(admin, admin_name)
    with app.test_request_context():
        from app.audit.readable import actor_text

        assert str(actor_text("system:issue_certificate")) == "System: issue certificate"
        assert str(actor_text(f"user:{user_id}")) == f'<a href="/users/show/{user_id}">Layla Haddad</a>'
    admin.get("/lang/ar")
    listing = _page(admin, "/auditlogmodelview/list/")
    assert "النظام: إصدار الشهادة" in listing and "system:" not in listing.split("<body")[1]
