"""Shared setup of the notification tests: inline tasks, users, a course target, worded types."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_babel import lazy_gettext as _l

from app.notifications.types import _MESSAGES, register_message
from app.security.models import LmsUser
from tests.conftest import login
from tests.course_factories import make_course
from tests.factories import make_user


@pytest.fixture
def inline(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks run in the process, after the commit (no worker)."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)


@pytest.fixture
def worded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wording for the types these tests send (the sending modules register their own)."""
    monkeypatch.setattr("app.notifications.types._MESSAGES", dict(_MESSAGES))
    register_message("grade", _l("%(actor)s graded your work in %(course)s"))
    register_message("like", _l("%(actor)s liked your note"))


@pytest.fixture
def people(app: Any, ctx: None) -> SimpleNamespace:
    """A teacher, two students (one reads Arabic), an admin; a listed course and a draft course."""
    w = SimpleNamespace()
    w.teacher = make_user("Instructor", first_name="Tariq", last_name="Teacher", name_ar="طارق المعلم")
    w.student = make_user("Student", first_name="Sara", last_name="Student")
    w.arabic = make_user("Student", first_name="Omar", last_name="Arabic", locale="ar")
    w.admin = make_user("Admin")
    w.course = make_course(instructors=[w.teacher], title="Python", title_ar="بايثون")
    w.draft = make_course(instructors=[w.teacher], status="draft", title="Draft", title_ar="مسودة")
    return w


class FreshClient(FlaskClient):
    """A browser for tests holding an app context (`ctx`): each request forgets what an earlier
    one cached in the shared `g` (the signed-in user, the locale, permissions), as a real one would."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            for key in ("_login_user", "_flask_babel", "_permissions_by_user", "_public_permissions"):
                g.pop(key, None)
        return super().open(*args, **kwargs)


def browser_of(app: Any, user: LmsUser | None = None) -> FreshClient:
    """A browser, signed in as `user` when given."""
    browser = FreshClient(app, app.response_class, use_cookies=True)
    if user is not None:
        assert login(browser, user.username).status_code == 302
    return browser
