"""Lookups: the PRD 3.14.1 seed, idempotent upsert, cached ids, type-restricted form fields."""

from __future__ import annotations

import re

from sqlalchemy import event, func, select

from app.audit.models import AuditLog
from app.extensions import db
from app.lookups.models import Lookup, LookupType
from app.lookups.services import clear_lookup_cache, lookup_id, seed_lookups, values_of

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
        banned = db.session.scalar(
            select(Lookup).join(Lookup.type).where(LookupType.code == "user_status", Lookup.code == "banned")
        )
        banned.is_active = False
        db.session.commit()
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
        draft_id = lookup_id("course_status", "draft")
        value = db.session.get(Lookup, draft_id)
        value.code = "draft_v2"
        db.session.commit()
        assert lookup_id("course_status", "draft") is None
        assert lookup_id("course_status", "draft_v2") == draft_id
