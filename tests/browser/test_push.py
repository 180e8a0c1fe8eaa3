"""Browser notifications in headless Chromium: the preferences page's button in Arabic on a phone,
reached by Tab and free of serious axe violations; the service worker registered at the root shows a
pushed notification (handed over by Chromium's own DevTools push, where the push service would) in
Arabic, right to left, linking to this site only."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from app.core.transactions import transaction
from app.extensions import db
from app.notifications import types
from app.notifications.models import Notification
from app.notifications.services import notify
from app.notifications.services.push import _payload, generate_keys
from tests.browser.test_accessibility import AXE, _violations
from tests.browser.test_back_office import _sign_in, browser, live_url  # noqa: F401  (shared fixtures)
from tests.browser.test_keyboard import _tab_to


@pytest.fixture
def push_on(app: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    from flask_babel import lazy_gettext as _l

    private, public = generate_keys()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(types._MESSAGES, ("grade", ""), _l("Your grade: %(percent)s"))
    return public


def _arabic_payload(app: Any, user_id: int) -> tuple[str, int]:
    """What push_one would send this user for a new grade (the task itself needs a push service)."""
    with app.app_context():
        with transaction():
            [notification_id] = notify(user_id, "grade", percent="91%", key="browser-push-test")
            db.session.get(Notification, notification_id).push_due = False
        row = db.session.get(Notification, notification_id)
        payload = _payload(row)
        db.session.remove()
    return payload, notification_id


def test_the_button_and_the_service_worker_in_arabic_on_a_phone(
    app,
    browser,  # noqa: F811
    live_url,  # noqa: F811
    user_factory,
    push_on,
):
    user_id, username = user_factory("Student", locale="ar")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(path=AXE)
    context.grant_permissions(["notifications"], origin=live_url)
    # The bell's Socket.IO long poll would hold the one-request-at-a-time test server for seconds.
    context.route("**/socket.io/**", lambda route: route.abort())
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    try:
        _sign_in(page, live_url, username, lands_on="/my/learning")
        page.goto(f"{live_url}/lang/ar")
        page.goto(f"{live_url}/notifications/preferences")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("#push-state")).to_have_text("إشعارات المتصفح متوقفة في هذا المتصفح.")
        expect(page.locator("#push-toggle")).to_have_text("تفعيل إشعارات المتصفح")
        _tab_to(page, "#push-toggle")
        assert _violations(page) == []
        assert page.evaluate("() => navigator.serviceWorker.ready.then(r => r.scope)") == f"{live_url}/"

        payload, notification_id = _arabic_payload(app, user_id)
        deadline = time.time() + 10
        while not any(r["scopeURL"] == f"{live_url}/" and not r["isDeleted"] for r in registrations):
            assert time.time() < deadline, registrations
            page.wait_for_timeout(100)
        registration = next(r for r in registrations if r["scopeURL"] == f"{live_url}/")
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_url, "registrationId": registration["registrationId"], "data": payload},
        )
        shown = page.wait_for_function(
            """() => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list => list.length
                 ? list.map(n => ({title: n.title, body: n.body, lang: n.lang, dir: n.dir, url: n.data.url}))
                 : null)"""
        ).json_value()
    finally:
        context.close()
    assert shown == [
        {
            "title": app.config["APP_NAME"],
            "body": "درجتك: 91%",
            "lang": "ar",
            "dir": "rtl",
            # PUBLIC_BASE_URL names another origin here: the worker keeps the path on its own site.
            "url": f"{live_url}/notifications/{notification_id}/open",
        }
    ]
