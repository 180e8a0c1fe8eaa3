"""Values as words on back-office screens: Yes/No, a labelled dash, translations per language, codes."""

from __future__ import annotations

from flask_babel import force_locale

from app.core.display import code_formatter, code_label, entity_label
from app.core.formatters import format_json, format_yes_no, translations_formatter


def test_booleans_empty_values_and_json_are_words_in_both_languages(app):
    with app.test_request_context():
        assert format_yes_no(True) == "Yes" and format_yes_no(False) == "No"
        assert str(format_yes_no(None)) == '<span aria-label="Empty" title="Empty">—</span>'
        blob = str(format_json({"title": "Intro", "is_free": True, "tags": ["a", "b"], "note": None}))
        assert '{"' not in blob and "<strong>Is free</strong>: Yes" in blob and "a, b" in blob
        with force_locale("ar"):
            assert format_yes_no(True) == "نعم" and format_yes_no(False) == "لا"
            assert 'aria-label="فارغ"' in str(format_yes_no(None))


def test_translations_are_shown_per_language_as_escaped_text(app):
    formatter = translations_formatter({"title": "Title"})
    value = {"en": {"title": "Python <b>for</b> Beginners"}, "ar": {"title": "بايثون & المبتدئين"}}
    with app.test_request_context():
        shown = str(formatter(value))
        assert '<div lang="en" dir="ltr"><strong>English:</strong> Title: Python for Beginners</div>' in shown
        arabic = '<div lang="ar" dir="rtl"><strong>Arabic:</strong> Title: بايثون &amp; المبتدئين</div>'
        assert arabic in shown
        with force_locale("ar"):
            assert "<strong>العربية:</strong>" in str(formatter(value))
            assert "—" in str(formatter({}))


def test_codes_registered_by_modules_are_words(app):
    with app.test_request_context():
        assert code_label("mime_type", "application/pdf") == "PDF document"
        assert code_label("extension", "jpg") == "JPEG image"
        assert code_label("gateway", "sandbox") == "Sandbox (test payments)"
        assert code_label("role", "Recruiter") == "Recruiter"
        assert code_label("task", "no_such_task") == "No such task"  # unregistered: humanized
        assert entity_label("course") == "Course"
        assert "—" in str(code_formatter("gateway")(None))
        with force_locale("ar"):
            assert code_label("mime_type", "application/pdf") == "مستند PDF"
            assert code_label("role", "Admin") == "المدير"
            assert code_label("role", "Instructor") == "المدرّس"
            assert entity_label("course") == "الدورة"


def test_roles_are_listed_in_the_readers_language(app, user_factory):
    from tests.conftest import login

    _, username = user_factory("Admin", first_name="Nour")
    admin = app.test_client()
    login(admin, username)
    admin.get("/lang/ar")
    page = admin.get("/users/list/").get_data(as_text=True)
    assert "المدير" in page and ">Admin<" not in page
