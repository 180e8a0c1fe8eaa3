"""Web push: subscribing browsers, sending through a real HTTP push service on loopback that checks the
VAPID signature and decrypts the payload as a browser would, expired subscriptions, the service worker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.transactions import transaction
from app.extensions import db
from app.lookups.services import lookup_id
from app.notifications import types
from app.notifications.models import Notification, PushSubscription
from app.notifications.services import notify, save_preferences
from app.notifications.services.push import (
    generate_keys,
    load_private_key,
    public_key,
    public_key_of,
    push_one,
)
from tests.conftest import login
from tests.notifications.push_service import PushService

CHANNELS_PUSH_ONLY = {"in_app": True, "email": False, "push": True, "digest": False}


@pytest.fixture
def vapid(app: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Push on: a fresh key pair; tasks inline. Returns the public key."""
    private, public = generate_keys()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", "mailto:ops@example.test")
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    # The message a module that sends grades registers; this one has an Arabic translation.
    monkeypatch.setitem(types._MESSAGES, ("grade", ""), _l("Your grade: %(percent)s"))
    return public


@pytest.fixture
def push_service(vapid: str) -> Iterator[PushService]:
    service = PushService()
    service.vapid_public_key = vapid
    service.start()
    try:
        yield service
    finally:
        service.stop()


def _member(app: Any, user_factory: Any, **fields: Any) -> tuple[int, Any]:
    """A signed-in browser of a new learner who gets grades by push (and not by e-mail)."""
    user_id, username = user_factory("Student", **fields)
    client = app.test_client()
    assert login(client, username).status_code == 302
    with app.app_context():
        with transaction():
            save_preferences(user_id, {"grade": CHANNELS_PUSH_ONLY})
        db.session.remove()
    return user_id, client


def _subscribe(client: Any, subscription: dict[str, Any]) -> Any:
    return client.post("/notifications/push/subscribe", json=subscription)


def _notify(app: Any, user_ids: list[int], **params: Any) -> list[int]:
    """notify() in a committed transaction: delivery and push run inline after the commit."""
    with app.app_context():
        with transaction():
            ids = notify(user_ids, "grade", **params)
        db.session.remove()
    return ids


def _row(app: Any, notification_id: int) -> Notification:
    with app.app_context():
        row = db.session.get(Notification, notification_id)
        assert row is not None
        db.session.expunge(row)
        db.session.remove()
    return row


def _subscriptions(app: Any, user_id: int) -> list[PushSubscription]:
    with app.app_context():
        rows = list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)))
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def _push_due_row(app: Any, user_id: int, **fields: Any) -> int:
    """A notification waiting for its push, as notify() leaves it (without running the task)."""
    with app.app_context():
        row = Notification(
            recipient_id=user_id,
            type_id=lookup_id("notification_types", "grade"),
            params={"percent": "50%"},
            dedupe_key=f"test-{user_id}-{fields.get('read_at')}",
            push_due=True,
            **fields,
        )
        db.session.add(row)
        db.session.commit()
        row_id = row.id
        db.session.remove()
    return row_id


def _push_one(app: Any, notification_id: int) -> int:
    with app.app_context():
        with transaction():
            sent = push_one(notification_id)
        db.session.remove()
    return sent


# ---- sending ----------------------------------------------------------------------------------
def test_a_notification_reaches_each_browser_in_its_readers_language(app, user_factory, push_service):
    english_id, english = _member(app, user_factory)
    arabic_id, arabic = _member(app, user_factory, locale="ar")
    english_browser, arabic_browser = push_service.browser(), push_service.browser()
    assert _subscribe(english, push_service.subscription(english_browser)).status_code == 200
    assert _subscribe(arabic, push_service.subscription(arabic_browser)).status_code == 200

    ids = _notify(app, [english_id, arabic_id], percent="87%")

    assert push_service.refused == []
    assert len(ids) == 2
    [to_english] = push_service.for_browser(english_browser)
    [to_arabic] = push_service.for_browser(arabic_browser)
    assert to_english["body"] == "Your grade: 87%"
    assert (to_english["lang"], to_english["dir"]) == ("en", "ltr")
    assert to_arabic["body"] == "درجتك: 87%"
    assert (to_arabic["lang"], to_arabic["dir"]) == ("ar", "rtl")
    assert to_english["title"] == to_arabic["title"] == app.config["APP_NAME"]
    rows = {_row(app, i).recipient_id: _row(app, i) for i in ids}
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert to_english["url"] == f"{base}/notifications/{rows[english_id].id}/open"
    assert to_arabic["url"] == f"{base}/notifications/{rows[arabic_id].id}/open"
    assert push_service.received[0]["ttl"] == app.config["PUSH_TTL_SECONDS"]
    assert not any(row.push_due for row in rows.values())
    assert _subscriptions(app, english_id)[0].last_used_at is not None


def test_a_second_run_sends_nothing(app, user_factory, push_service):
    user_id, client = _member(app, user_factory)
    browser = push_service.browser()
    _subscribe(client, push_service.subscription(browser))
    [notification_id] = _notify(app, [user_id], percent="90%")
    assert len(push_service.for_browser(browser)) == 1

    assert _push_one(app, notification_id) == 0
    assert len(push_service.for_browser(browser)) == 1


def test_every_browser_of_the_user_gets_it_and_an_expired_one_is_removed(app, user_factory, push_service):
    user_id, client = _member(app, user_factory)
    phone, laptop, gone = push_service.browser(), push_service.browser(), push_service.browser(answer=410)
    for browser in (phone, laptop, gone):
        assert _subscribe(client, push_service.subscription(browser)).status_code == 200

    _notify(app, [user_id], percent="75%")

    assert len(push_service.for_browser(phone)) == len(push_service.for_browser(laptop)) == 1
    endpoints = {row.endpoint for row in _subscriptions(app, user_id)}
    assert endpoints == {push_service.origin + phone.path, push_service.origin + laptop.path}


def test_a_failing_push_service_keeps_the_subscription(app, user_factory, push_service):
    user_id, client = _member(app, user_factory)
    browser = push_service.browser(answer=500)
    _subscribe(client, push_service.subscription(browser))
    [notification_id] = _notify(app, [user_id], percent="60%")
    assert push_service.received == []
    assert len(_subscriptions(app, user_id)) == 1
    assert _row(app, notification_id).push_due is False  # not retried forever


def test_push_turned_off_in_preferences_sends_nothing(app, user_factory, push_service):
    user_id, client = _member(app, user_factory)
    browser = push_service.browser()
    _subscribe(client, push_service.subscription(browser))
    response = client.post("/notifications/preferences", data={"grade:in_app": "on"})
    assert response.status_code == 302
    [notification_id] = _notify(app, [user_id], percent="70%")
    assert push_service.received == []
    assert _row(app, notification_id).push_due is False


def test_read_notifications_and_closed_accounts_are_not_pushed(app, user_factory, push_service):
    from app.core.models import utcnow

    user_id, client = _member(app, user_factory)
    browser = push_service.browser()
    _subscribe(client, push_service.subscription(browser))
    read = _push_due_row(app, user_id, read_at=utcnow())
    assert _push_one(app, read) == 0
    assert _row(app, read).push_due is False

    waiting = _push_due_row(app, user_id)
    with app.app_context():
        from app.security.models import LmsUser

        user = db.session.get(LmsUser, user_id)
        user.active = False
        db.session.commit()
        db.session.remove()
    assert _push_one(app, waiting) == 0
    assert push_service.received == []


def test_without_keys_push_is_off_and_only_clears_push_due(app, user_factory, push_service, monkeypatch):
    user_id, client = _member(app, user_factory)
    browser = push_service.browser()
    _subscribe(client, push_service.subscription(browser))
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", None)

    notification_id = _push_due_row(app, user_id)
    assert _push_one(app, notification_id) == 0
    assert _row(app, notification_id).push_due is False
    assert push_service.received == []
    assert client.get("/notifications/push/key").status_code == 404
    assert _subscribe(client, push_service.subscription(push_service.browser())).status_code == 404
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "push-settings" not in page and "push.js" not in page


# ---- subscribing ------------------------------------------------------------------------------
def _browser_json(push_service: PushService, **changes: Any) -> dict[str, Any]:
    data = push_service.subscription(push_service.browser())
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "endpoint",
    [
        "javascript:alert(1)",
        "ftp://127.0.0.1/push/x",
        "/push/relative",
        "https://user:pass@fcm.googleapis.com/fcm/send/x",
        "https://" + "a" * 2100 + ".example",
        "",
        42,
    ],
)
def test_subscribe_refuses_what_is_not_a_push_service_address(app, user_factory, push_service, endpoint):
    _, client = _member(app, user_factory)
    response = _subscribe(client, _browser_json(push_service, endpoint=endpoint))
    assert response.status_code == 422
    assert "endpoint" in response.json["errors"]


def test_production_takes_only_https_push_services(app, user_factory, push_service, monkeypatch):
    user_id, client = _member(app, user_factory)
    monkeypatch.setitem(app.config, "PUSH_ALLOW_INSECURE_ENDPOINTS", False)
    keys = push_service.subscription(push_service.browser())["keys"]
    for endpoint in (
        push_service.origin + "/push/plain-http",
        "https://127.0.0.1/push/internal",
        "https://intranet.example.test/push",
        "https://fcm.googleapis.com.evil.test/fcm/send/x",
    ):
        response = _subscribe(client, {"endpoint": endpoint, "keys": keys})
        assert response.status_code == 422, endpoint
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
    ):
        assert _subscribe(client, {"endpoint": endpoint, "keys": keys}).status_code == 200, endpoint
    assert len(_subscriptions(app, user_id)) == 4


@pytest.mark.parametrize(
    ("keys", "field"),
    [
        ({"p256dh": "BAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "keys.p256dh"),  # too short
        ({"p256dh": "B" + "A" * 86, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "keys.p256dh"),  # not on the curve
        ({"p256dh": "not base64!", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "keys.p256dh"),
        ({"auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "keys.p256dh"),
        ({"p256dh": None, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}, "keys.p256dh"),
        ("keys", "keys.p256dh"),
    ],
)
def test_subscribe_refuses_bad_keys(app, user_factory, push_service, keys, field):
    _, client = _member(app, user_factory)
    response = _subscribe(client, _browser_json(push_service, keys=keys))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_subscribe_refuses_a_bad_auth_secret(app, user_factory, push_service):
    _, client = _member(app, user_factory)
    data = _browser_json(push_service)
    for auth in ("AAAA", "A" * 40, "", "**"):
        data["keys"] = {**data["keys"], "auth": auth}
        response = _subscribe(client, data)
        assert response.status_code == 422
        assert "keys.auth" in response.json["errors"]


def test_subscribe_needs_a_signed_in_user_and_a_json_object(app, user_factory, push_service):
    anonymous = app.test_client()
    assert _subscribe(anonymous, _browser_json(push_service)).status_code == 401
    _, client = _member(app, user_factory)
    assert (
        client.post("/notifications/push/subscribe", data="x", content_type="text/plain").status_code == 422
    )
    assert _subscribe(client, [1, 2]).status_code == 422


def test_subscribing_again_refreshes_and_a_shared_browser_moves_to_its_new_user(
    app, user_factory, push_service
):
    first_id, first = _member(app, user_factory)
    second_id, second = _member(app, user_factory)
    data = _browser_json(push_service)
    assert _subscribe(first, data).json == {"subscribed": True, "browsers": 1}
    assert _subscribe(first, data).json == {"subscribed": True, "browsers": 1}
    assert _subscribe(second, data).status_code == 200
    assert _subscriptions(app, first_id) == []
    assert [row.endpoint for row in _subscriptions(app, second_id)] == [data["endpoint"]]


def test_a_user_keeps_at_most_the_configured_number_of_browsers(app, user_factory, push_service, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MAX_SUBSCRIPTIONS", 2)
    user_id, client = _member(app, user_factory)
    endpoints = []
    for _ in range(3):
        data = _browser_json(push_service)
        endpoints.append(data["endpoint"])
        assert _subscribe(client, data).status_code == 200
    # The one unused for the longest time made room for the newest.
    assert {row.endpoint for row in _subscriptions(app, user_id)} == set(endpoints[1:])


def test_unsubscribe_only_ones_own_browser(app, user_factory, push_service):
    owner_id, owner = _member(app, user_factory)
    _, stranger = _member(app, user_factory)
    data = _browser_json(push_service)
    _subscribe(owner, data)

    response = stranger.post("/notifications/push/unsubscribe", json={"endpoint": data["endpoint"]})
    assert response.status_code == 404
    assert len(_subscriptions(app, owner_id)) == 1
    assert owner.post("/notifications/push/unsubscribe", json={}).status_code == 404
    assert app.test_client().post("/notifications/push/unsubscribe", json=data).status_code == 401

    response = owner.post("/notifications/push/unsubscribe", json={"endpoint": data["endpoint"]})
    assert response.json == {"subscribed": False, "browsers": 0}
    assert _subscriptions(app, owner_id) == []


def test_the_json_endpoints_need_the_csrf_token_of_the_page(app, user_factory, push_service, monkeypatch):
    user_id, client = _member(app, user_factory)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    data = _browser_json(push_service)
    assert _subscribe(client, data).status_code == 400
    page = client.get("/notifications/preferences").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    response = client.post("/notifications/push/subscribe", json=data, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert len(_subscriptions(app, user_id)) == 1


# ---- the page, the key, the service worker ---------------------------------------------------
def test_the_preferences_page_offers_browser_notifications_in_both_languages(app, user_factory, vapid):
    _, client = _member(app, user_factory)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'id="push-settings"' in page
    assert f'data-key="{vapid}"' in page
    assert 'data-worker="/service-worker.js"' in page
    assert "Turn on browser notifications" in page
    assert "js/push.js" in page
    _, arabic = _member(app, user_factory, locale="ar")
    arabic.get("/lang/ar")
    page = arabic.get("/notifications/preferences").get_data(as_text=True)
    assert "Turn on browser notifications" not in page
    assert 'id="push-toggle"' in page
    assert client.get("/notifications/push/key").json == {"public_key": vapid}


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "showNotification" in body and "notificationclick" in body
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]


# ---- keys -------------------------------------------------------------------------------------
def test_vapid_keys_command_prints_a_working_pair(app):
    result = app.test_cli_runner().invoke(args=["app", "vapid-keys"])
    assert result.exit_code == 0, result.output
    values = dict(line.split("=", 1) for line in result.output.split())
    key = load_private_key(values["VAPID_PRIVATE_KEY"])
    assert public_key_of(key) == values["VAPID_PUBLIC_KEY"]


def test_a_pem_private_key_works_and_a_mismatched_public_key_is_refused(app, monkeypatch):
    private, public = generate_keys()
    pem = (
        load_private_key(private)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", pem.replace("\n", "\\n"))  # one line, as in a .env
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", None)
    with app.app_context():
        assert public_key() == public
        monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", generate_keys()[1])
        with pytest.raises(RuntimeError):
            public_key()
