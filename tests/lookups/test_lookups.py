"""Lookups: the PRD 3.14.1 seed, idempotent upsert, cached ids, type-restricted form fields."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select, update

from app.audit.models import AuditLog
from app.core.errors import Conflict
from app.core.softdelete import restore_ids, soft_delete
from app.extensions import db
from app.lookups.models import Lookup, LookupType
from app.lookups.services import clear_lookup_cache, lookup_id, lookup_type_id, seed_lookups, values_of
from tests.factories import make_lookup, make_lookup_type

PRD_TYPES = {
    "user_roles": {"admin", "instructor", "user", "recruiter"},
    "user_status": {"active", "inactive", "suspended", "banned"},
    "course_status": {"draft", "published", "archived"},
    "enrollment_type": {"purchase", "subscription"},
    "enrollment_status": {"active", "completed", "expired", "dropped"},
    "post_types": {"text", "image", "video", "link"},
    "group_roles": {"owner", "moderator", "member"},
    "group_privacy": {"public", "private", "secret"},
    "page_roles": {"owner", "admin", "editor", "viewer"},
    "event_types": {"online", "in_person", "hybrid"},
    "event_status": {"upcoming", "ongoing", "completed", "cancelled"},
    "event_attendance_status": {"going", "interested", "maybe", "not_going"},
    "job_types": {"full_time", "part_time", "contract", "freelance", "internship"},
    "experience_levels": {"entry", "mid", "senior", "executive"},
    "job_status": {"open", "closed", "filled", "on_hold"},
    "job_application_status": {
        "applied",
        "under_review",
        "shortlisted",
        "interview_scheduled",
        "rejected",
        "accepted",
        "withdrawn",
    },
    "ticket_categories": {"technical", "billing", "general", "content", "job_related"},
    "ticket_status": {"open", "in_progress", "waiting", "resolved", "closed"},
    "ticket_priority": {"low", "medium", "high", "urgent"},
    "report_types": {"spam", "harassment", "inappropriate", "copyright", "fake_job", "other"},
    "report_status": {"pending", "under_review", "resolved", "dismissed"},
    "languages": {"ar", "en"},
    "timezones": {"utc", "cairo", "dubai", "riyadh"},
    "quiz_question_types": {"multiple_choice", "true_false", "short_answer", "essay"},
    "assignment_status": {"not_submitted", "submitted", "graded"},
    "friend_request_status": {"pending", "accepted", "declined", "blocked"},
    "subscription_status": {"active", "expired", "cancelled", "suspended", "trial"},
    "billing_cycles": {"monthly", "quarterly", "annual"},
    "plan_features": {
        "course_access",
        "chat_access",
        "downloads",
        "certificates",
        "priority_support",
        "job_postings",
    },
    "chat_types": {"public", "private", "group"},
    "message_types": {"text", "image", "file", "voice"},
    "message_status": {"sent", "delivered", "read"},
    "reaction_types": {"like", "love", "celebrate", "insightful", "curious"},
    "content_types": {"video", "document", "quiz", "assignment", "text"},
    "resource_types": {"pdf", "video", "document", "link", "file", "archive"},
    "notification_types": {
        "enrollment",
        "message",
        "comment",
        "like",
        "share",
        "friend_request",
        "job_application",
        "event_reminder",
    },
    "payment_status": {"pending", "completed", "failed", "refunded"},
    "audit_actions": {"created", "updated", "deleted", "viewed", "downloaded", "logged_in", "logged_out"},
    "storage_providers": {"local", "s3", "minio", "r2", "b2", "custom"},
    "note_visibility": {"private", "public", "instructors_only"},
}
ARABIC = re.compile(r"[\u0600-\u06FF]")


def test_every_prd_type_and_value_is_seeded_with_arabic_names(app):
    with app.app_context():
        for type_code, codes in PRD_TYPES.items():
            ltype = db.session.scalar(select(LookupType).where(LookupType.code == type_code))
            assert ltype is not None, type_code
            assert ARABIC.search(ltype.name_ar), type_code
            values = {v.code: v for v in values_of(type_code, active_only=False)}
            assert codes <= set(values), (type_code, codes - set(values))
            for value in values.values():
                assert value.name_en and ARABIC.search(value.name_ar), (type_code, value.code)
        cairo = db.session.scalar(select(Lookup).join(Lookup.type).where(Lookup.code == "cairo"))
        assert cairo.timezone == "Africa/Cairo"


def test_seeding_twice_changes_nothing(app):
    with app.app_context():
        before = (
            db.session.scalar(select(func.count()).select_from(Lookup)),
            db.session.scalar(select(func.count()).select_from(LookupType)),
            db.session.scalar(select(func.count()).select_from(AuditLog)),
        )
        counts = seed_lookups()
        after = (
            db.session.scalar(select(func.count()).select_from(Lookup)),
            db.session.scalar(select(func.count()).select_from(LookupType)),
            db.session.scalar(select(func.count()).select_from(AuditLog)),
        )
    assert counts == {"types_created": 0, "values_created": 0, "updated": 0}
    assert before == after  # same rows, and no "updated" audit noise either


def test_seed_upserts_by_code(app, tmp_path):
    (tmp_path / "extra.yaml").write_text(
        "- code: user_status\n  name_en: User Status\n  name_ar: حالة المستخدم\n  values:\n"
        "    - code: active\n      name_en: Enabled\n      name_ar: مفعل\n      sort_order: 10\n"
        "    - code: probation\n      name_en: Probation\n"
        "      name_ar: تحت الاختبار\n      sort_order: 50\n",
        encoding="utf-8",
    )
    with app.app_context():
        active_id = lookup_id("user_status", "active")
        counts = seed_lookups(tmp_path)
        assert counts["values_created"] == 1 and counts["updated"] == 1
        assert lookup_id("user_status", "active") == active_id  # same row, updated in place
        assert db.session.get(Lookup, active_id).name_en == "Enabled"
        assert lookup_id("user_status", "probation") is not None


def test_lookup_id_is_cached(app):
    with app.app_context():
        clear_lookup_cache()
        statements = []
        connection = db.session.connection()
        event.listen(connection, "before_cursor_execute", lambda *a: statements.append(a[2]))
        first = lookup_id("course_status", "published")
        count_after_first = len(statements)
        assert lookup_id("course_status", "published") == first
        assert len(statements) == count_after_first == 1
        assert lookup_id("course_status", "no_such_value") is None


def test_forms_offer_only_active_values_of_the_field_type(app, login_as, user_factory):
    user_id, _ = user_factory("Student")
    with app.app_context():
        status_type = db.session.get(LookupType, lookup_type_id("user_status"))
        banned = make_lookup(status_type, code="retired", is_active=False)  # an inactive value
        status_ids = {v.id for v in values_of("user_status")}
        other_id = lookup_id("course_status", "draft")
        banned_id = banned.id
    admin = login_as("Admin")
    html = admin.get(f"/users/edit/{user_id}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="status".*?</select>', html, re.S).group(0)
    offered = {int(v) for v in re.findall(r'<option[^>]*value="(\d+)"', select_html)}
    assert offered == status_ids
    assert other_id not in offered and banned_id not in offered


def test_lookup_labels_follow_the_language(app, login_as):
    admin = login_as("Admin")
    admin.get("/lang/ar")
    html = admin.get("/lookupmodelview/list/?_flt_0_code=suspended").get_data(as_text=True)
    assert 'dir="rtl"' in html
    assert "حالة المستخدم" in html  # the type column shows the Arabic type name


def test_lookup_api_lists_and_creates(app, client, api_as):
    headers = api_as("Admin")
    rison = "(filters:!((col:code,opr:eq,value:user_status)))"
    body = client.get(f"/api/v1/lookup_type/?q={rison}", headers=headers).json
    assert body["count"] == 1
    type_id = body["result"][0]["id"]
    created = client.post(
        "/api/v1/lookup/",
        json={"type": type_id, "code": "on_leave", "name_en": "On leave", "name_ar": "في إجازة"},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    duplicate = client.post(
        "/api/v1/lookup/",
        json={"type": type_id, "code": "on_leave", "name_en": "Again", "name_ar": "مرة أخرى"},
        headers=headers,
    )
    assert duplicate.status_code == 422
    assert "psycopg2" not in duplicate.get_data(as_text=True)
    assert set(duplicate.json) >= {"message", "errors"}
    student = api_as("Student")
    assert client.get("/api/v1/lookup/", headers=student).status_code == 403


def test_changing_a_lookup_refreshes_the_cache(app):
    with app.app_context():
        status_type = db.session.get(LookupType, lookup_type_id("course_status"))
        draft_id = make_lookup(status_type, code="draft_v1").id  # system values keep their code
        assert lookup_id("course_status", "draft_v1") == draft_id
        value = db.session.get(Lookup, draft_id)
        value.code = "draft_v2"
        db.session.commit()
        assert lookup_id("course_status", "draft_v1") is None
        assert lookup_id("course_status", "draft_v2") == draft_id


# ---- system lookups (issue 11 item 6): code, type, active state and existence are locked ------------
def _system_value(type_code: str = "user_status", code: str = "suspended") -> tuple[int, int]:
    value = db.session.get(Lookup, lookup_id(type_code, code))
    return value.id, value.type_id


def _flashed(browser) -> str:
    """The messages flashed to this browser so far (and not yet shown), as one text."""
    with browser.session_transaction() as session:
        return " ".join(message for _category, message in session.pop("_flashes", []))


def _edit_form(value_id: int, type_id: int, **overrides: str) -> dict[str, str]:
    value = db.session.get(Lookup, value_id)
    form = {
        "type": str(type_id),
        "code": value.code,
        "name_en": value.name_en,
        "name_ar": value.name_ar,
        "sort_order": str(value.sort_order),
        "display_order": str(value.display_order),
        "is_active": "y",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_seeded_lookups_are_system_and_admin_additions_are_not(app):
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Lookup).where(Lookup.is_system.is_(False)))
            == 0
        )
        assert db.session.scalar(select(LookupType.is_system).where(LookupType.code == "audit_actions"))
        ltype = make_lookup_type()
        assert not ltype.is_system and not make_lookup(ltype).is_system


def test_back_office_refuses_a_system_code_or_type_change_and_keeps_names_editable(app, login_as):
    with app.app_context():
        value_id, type_id = _system_value()
        other_type = lookup_type_id("course_status")
        renamed = _edit_form(value_id, type_id, code="renamed")
        moved = _edit_form(value_id, other_type)
        names = _edit_form(value_id, type_id, name_en="On hold", name_ar="معلّق", sort_order="99")
    admin = login_as("Admin")
    for form in (renamed, moved):  # (the form cannot untick Active: FAB requires it; the API can)
        assert admin.post(f"/lookupmodelview/edit/{value_id}", data=form).status_code == 302
        assert "is a system value the platform relies on" in _flashed(admin)
    admin.get("/lang/ar")
    admin.post(f"/lookupmodelview/edit/{value_id}", data=renamed)
    assert "قيمة نظام تعتمد عليها المنصة" in _flashed(admin)  # the same message in Arabic
    with app.app_context():
        value = db.session.get(Lookup, value_id)
        assert (value.code, value.type_id, value.is_active) == ("suspended", type_id, True)
    assert admin.post(f"/lookupmodelview/edit/{value_id}", data=names).status_code == 302
    with app.app_context():
        value = db.session.get(Lookup, value_id)
        assert (value.name_en, value.name_ar, value.sort_order, value.code) == (
            "On hold",
            "معلّق",
            99,
            "suspended",
        )
        assert lookup_id("user_status", "suspended") == value_id


def test_back_office_refuses_deleting_system_lookups_single_and_bulk(app, login_as):
    with app.app_context():
        value_id, type_id = _system_value()
        own_id = make_lookup(db.session.get(LookupType, type_id), code="on_leave").id
    admin = login_as("Admin")
    assert admin.post(f"/lookupmodelview/delete/{value_id}").status_code == 302
    assert "is a system value the platform relies on" in _flashed(admin)
    admin.post(
        "/lookupmodelview/action_post",
        data={"action": "soft_delete_selected", "rowid": [str(value_id), str(own_id)]},
    )
    flashed = _flashed(admin)
    assert "is a system value the platform relies on" in flashed and "1 record(s) deleted." in flashed
    admin.post(
        "/lookuptypemodelview/action_post", data={"action": "soft_delete_selected", "rowid": [str(type_id)]}
    )
    assert "is a system value the platform relies on" in _flashed(admin)
    with app.app_context():
        assert lookup_id("user_status", "suspended") == value_id
        assert db.session.get(LookupType, type_id) is not None
        assert db.session.get(Lookup, own_id) is None  # the admin's own value is deleted (soft)


def test_api_refuses_locked_changes_to_system_lookups_with_409(app, client, api_as):
    headers = api_as("Admin")
    with app.app_context():
        value_id, type_id = _system_value("audit_actions", "created")
        other_type = lookup_type_id("course_status")
    for body in ({"code": "made"}, {"type": other_type}, {"is_active": False}):
        response = client.put(f"/api/v1/lookup/{value_id}", json=body, headers=headers)
        assert response.status_code == 409, response.json
        assert set(response.json) == {"message", "errors"} and response.json["errors"]
    response = client.put(f"/api/v1/lookup_type/{type_id}", json={"code": "actions"}, headers=headers)
    assert response.status_code == 409 and "code" in response.json["errors"]
    for url in (f"/api/v1/lookup/{value_id}", f"/api/v1/lookup_type/{type_id}"):
        response = client.delete(url, headers=headers)
        assert response.status_code == 409 and set(response.json) == {"message", "errors"}
    renamed = client.put(
        f"/api/v1/lookup/{value_id}",
        json={"name_en": "Added", "name_ar": "أضيف", "sort_order": 5, "meta": {"icon": "plus"}},
        headers=headers,
    )
    assert renamed.status_code == 200, renamed.json
    with app.app_context():
        value = db.session.get(Lookup, value_id)
        assert (value.code, value.type_id, value.is_active, value.name_en) == (
            "created",
            type_id,
            True,
            "Added",
        )
        assert value.meta == {"icon": "plus"}


def test_a_non_system_lookup_stays_fully_editable(app, client, api_as):
    headers = api_as("Admin")
    with app.app_context():
        own = make_lookup(db.session.get(LookupType, lookup_type_id("user_status")), code="on_leave")
        own_id, other_type = own.id, lookup_type_id("course_status")
    for body in ({"code": "away"}, {"type": other_type}, {"is_active": False}):
        response = client.put(f"/api/v1/lookup/{own_id}", json=body, headers=headers)
        assert response.status_code == 200, response.json
    assert client.delete(f"/api/v1/lookup/{own_id}", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get(Lookup, own_id) is None


def test_services_cannot_rename_or_delete_a_system_lookup(app):
    with app.app_context():
        value = db.session.get(Lookup, lookup_id("user_status", "banned"))
        value.code = "gone"
        with pytest.raises(Conflict):
            db.session.flush()
        db.session.rollback()
        soft_delete(value)
        with pytest.raises(Conflict):
            db.session.flush()
        db.session.rollback()


def test_a_system_lookup_deleted_before_the_lock_can_be_restored(app):
    with app.app_context():
        value_id = lookup_id("user_status", "banned")
        db.session.execute(
            update(Lookup).where(Lookup.id == value_id).values(is_deleted=True, is_active=False)
        )
        clear_lookup_cache()
        assert restore_ids(Lookup, [value_id]) == 1
        value = db.session.get(Lookup, value_id)
        value.is_active = True
        db.session.commit()
        assert lookup_id("user_status", "banned") == value_id
