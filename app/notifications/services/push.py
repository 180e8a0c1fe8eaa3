"""Web push (RFC 8030, 8291, 8292): the site's VAPID keys, each user's browser subscriptions, sending."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlalchemy import func, select

from app.core.errors import Invalid, NotFound
from app.core.models import utcnow
from app.extensions import db
from app.notifications.models import Notification, PushSubscription
from app.notifications.services.delivery import language_of, public_context
from app.notifications.services.inbox import is_visible, targets_of, text_of

log = logging.getLogger(__name__)

MAX_ENDPOINT_LENGTH = 2048
P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16
# Push services take about 4 KB of encrypted payload: the text is cut well before that.
MAX_BODY_CHARS = 1000
EXPIRED = frozenset({404, 410})  # the subscription is gone for good (RFC 8030 section 7.3)
TIMEOUT_SECONDS = 10
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


# ---- keys -------------------------------------------------------------------------------------
def b64url_decode(value: str) -> bytes:
    """Bytes of a base64url text (padding optional); ValueError when it is not one."""
    if not isinstance(value, str) or not _BASE64URL.match(value):
        raise ValueError("not base64url")
    stripped = value.rstrip("=")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def b64url_encode(raw: bytes) -> str:
    """base64url without padding, as browsers give and take keys."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A VAPID private key from a raw base64url key or a PEM; ValueError when it is neither."""
    text = text.strip().replace("\\n", "\n")
    key: Any
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = b64url_decode(text)
        if len(raw) != 32:
            raise ValueError("a raw VAPID private key has 32 bytes")
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("a VAPID key is an EC P-256 key")
    return key


def public_key_of(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key browsers subscribe with (`applicationServerKey`), base64url."""
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(point)


def generate_keys() -> tuple[str, str]:
    """A new (private, public) VAPID key pair, both base64url (raw private key, uncompressed point)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url_encode(key.private_numbers().private_value.to_bytes(32, "big")), public_key_of(key)


def _private_key() -> ec.EllipticCurvePrivateKey | None:
    text = current_app.config.get("VAPID_PRIVATE_KEY")
    return load_private_key(text) if text else None


def public_key() -> str | None:
    """The site's public VAPID key, or None when push is off (no private key configured)."""
    key = _private_key()
    if key is None:
        return None
    derived = public_key_of(key)
    configured = (current_app.config.get("VAPID_PUBLIC_KEY") or "").strip().rstrip("=")
    if configured and configured != derived:
        raise RuntimeError("VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY")
    return derived


def check_keys() -> None:
    """Refuse to start with keys that cannot sign (better than failing at each push)."""
    try:
        public_key()
    except ValueError as exc:
        raise RuntimeError(f"VAPID_PRIVATE_KEY cannot be read: {exc}") from exc


def push_enabled() -> bool:
    """Whether the site sends web push (a VAPID private key is configured)."""
    return bool(current_app.config.get("VAPID_PRIVATE_KEY"))


# ---- subscriptions ----------------------------------------------------------------------------
def _host_allowed(host: str) -> bool:
    """Only the browsers' push services: the server posts to this address, so no internal host."""
    if current_app.config.get("PUSH_ALLOW_INSECURE_ENDPOINTS"):
        return True
    allowed = current_app.config.get("PUSH_ENDPOINT_HOSTS") or []
    return not allowed or any(host == suffix or host.endswith("." + suffix) for suffix in allowed)


def _clean_endpoint(value: Any) -> str:
    problem = _("Give the https address of a browser push service.")
    if not isinstance(value, str) or not value or len(value) > MAX_ENDPOINT_LENGTH:
        raise Invalid(problem, {"endpoint": [problem]})
    parts = urlsplit(value)
    schemes = ("https", "http") if current_app.config.get("PUSH_ALLOW_INSECURE_ENDPOINTS") else ("https",)
    host = (parts.hostname or "").lower()
    if parts.scheme not in schemes or not host or "@" in parts.netloc or not _host_allowed(host):
        raise Invalid(problem, {"endpoint": [problem]})
    return value


def _clean_keys(value: Any) -> tuple[str, str]:
    keys = value if isinstance(value, dict) else {}
    errors: dict[str, list[str]] = {}
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        raw = b64url_decode(p256dh)
        if len(raw) != P256DH_BYTES:
            raise ValueError("length")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # a point on the curve
    except ValueError:
        errors["keys.p256dh"] = [_("The browser's public key is not valid.")]
    try:
        if len(b64url_decode(auth)) != AUTH_BYTES:
            raise ValueError("length")
    except ValueError:
        errors["keys.auth"] = [_("The browser's authentication secret is not valid.")]
    if errors:
        raise Invalid(_("The browser's push subscription is not valid."), errors)
    return str(p256dh).rstrip("="), str(auth).rstrip("=")


def _require_enabled() -> None:
    if not push_enabled():
        raise NotFound(_("Browser notifications are off on this site."))


def _make_room(user_id: int) -> None:
    """Keep at most PUSH_MAX_SUBSCRIPTIONS - 1 so that one more fits: the longest unused go first."""
    limit = max(int(current_app.config.get("PUSH_MAX_SUBSCRIPTIONS", 10)), 1)
    rows = db.session.scalars(
        select(PushSubscription)
        .where(PushSubscription.user_id == user_id)
        .order_by(
            func.coalesce(PushSubscription.last_used_at, PushSubscription.created_at).desc(),
            PushSubscription.id.desc(),
        )
    ).all()
    for row in rows[limit - 1 :]:
        db.session.delete(row)


def subscribe(user: Any, data: Any, user_agent: str | None = None) -> PushSubscription:
    """Record (or refresh) the signed-in user's browser subscription `{endpoint, keys: {p256dh, auth}}`.

    A browser has one subscription: when another user of that browser had it, it is now this user's.
    """
    _require_enabled()
    if not isinstance(data, dict):
        raise Invalid(_("Send the browser's push subscription as a JSON object."))
    endpoint = _clean_endpoint(data.get("endpoint"))
    p256dh, auth = _clean_keys(data.get("keys"))
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if row is None or row.user_id != user.id:
        _make_room(user.id)
    if row is None:
        row = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        db.session.add(row)
    row.user_id, row.p256dh, row.auth = user.id, p256dh, auth
    row.user_agent = (user_agent or "")[:255] or None
    db.session.flush()
    return row


def unsubscribe(user: Any, data: Any) -> None:
    """Forget one of the user's browsers (`{endpoint}`); someone else's is not found."""
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    row = (
        db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
        if isinstance(endpoint, str)
        else None
    )
    if row is None or row.user_id != getattr(user, "id", None):
        raise NotFound(_("This browser does not get browser notifications."))
    db.session.delete(row)
    db.session.flush()


def subscription_count(user_id: int) -> int:
    """How many browsers of the user get push."""
    stmt = select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user_id)
    return int(db.session.scalar(stmt) or 0)


# ---- sending ----------------------------------------------------------------------------------
def _payload(row: Notification) -> str:
    """What the service worker shows, in the recipient's language; the link is this site's."""
    language = language_of(row.recipient)
    with public_context(), force_locale(language):
        body = text_of(row, language)
        url = url_for("NotificationsView.open", notification_id=row.id, _external=True)
    if len(body) > MAX_BODY_CHARS:
        body = body[: MAX_BODY_CHARS - 1] + "…"
    return json.dumps(
        {
            "title": current_app.config["APP_NAME"],
            "body": body,
            "url": url,
            "lang": language,
            "dir": "rtl" if language == "ar" else "ltr",
            "tag": f"notification-{row.id}",
        },
        ensure_ascii=False,
    )


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def _post(subscription: PushSubscription, payload: str, vapid: Vapid) -> int | None:
    """The push service's status code, or None when it could not be reached."""
    try:
        response: Any = webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload,
            vapid_private_key=vapid,
            vapid_claims={"sub": current_app.config["VAPID_SUBJECT"], "aud": _origin(subscription.endpoint)},
            ttl=int(current_app.config.get("PUSH_TTL_SECONDS", 86400)),
            timeout=TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status not in EXPIRED:  # the address is a secret: log the row, not the endpoint
            log.warning("Push to subscription %s failed (%s); it is kept", subscription.id, status or exc)
        return status
    except requests.RequestException as exc:
        log.warning("Push service of subscription %s unreachable: %s", subscription.id, type(exc).__name__)
        return None
    return int(response.status_code)


def _should_push(row: Notification) -> bool:
    user = row.recipient
    if not push_enabled() or row.read_at is not None or not user.is_active:
        return False
    return is_visible(user, row, targets_of([row]))


def push_one(notification_id: int) -> int:
    """Send one notification to the recipient's browsers, once; how many accepted it.

    Expired subscriptions (404, 410) are removed; other failures are logged and the subscription
    kept. A second run finds push_due cleared and sends nothing.
    """
    row = db.session.scalar(
        select(Notification)
        .where(Notification.id == notification_id)
        .with_for_update(skip_locked=True, of=Notification)
    )
    if row is None or not row.push_due:
        return 0
    row.push_due = False
    sent = 0
    subscriptions = (
        db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == row.recipient_id)).all()
        if _should_push(row)
        else []
    )
    if subscriptions:
        payload = _payload(row)
        vapid = Vapid(_private_key())
        for subscription in subscriptions:
            status = _post(subscription, payload, vapid)
            if status in EXPIRED:
                db.session.delete(subscription)
            elif status is not None and status < 300:
                subscription.last_used_at = utcnow()
                sent += 1
    db.session.flush()
    return sent
