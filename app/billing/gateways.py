"""Payment gateways: one interface, a registry, and two gateways.

- `manual`: bank transfer or cash. No checkout page; a payment stays pending until an admin marks it
  paid (`payments.mark_paid`); off-session charges leave it pending; refunds are only recorded.
- `sandbox`: a simulated card provider that behaves like a real one. Its hosted checkout page is
  `/billing/sandbox/checkout/<signed token>`; "Pay" and "Decline" make it send a signed webhook
  (`payment.succeeded` / `payment.failed`) to our webhook handler. Off-session charges succeed, except
  for users whose e-mail contains "+decline" (for example `ali+decline@example.com`): a deterministic
  switch for tests and demos. Charges and refunds also send their webhook, after the caller's own
  commit (`deliver_pending`), as a provider's webhook arrives after its API answered.

Sandbox webhooks are JSON `{"id": "evt_...", "type": ..., "created": ..., "data": {"payment": <our
payment uuid>, "transaction": "txn_...", ...}}`, signed with HMAC-SHA256 over `f"{timestamp}.{body}"`
with BILLING_SANDBOX_SECRET, in the header `Sandbox-Signature: t=<timestamp>,v1=<hex>`. A signature
that does not match is refused (403); a malformed one, or a timestamp more than five minutes away
from now, is refused as a bad request (400). Delivery is in-process (the app does not call itself
over HTTP): the sandbox calls `payment_webhooks.handle_webhook` directly, as the HTTP endpoint does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.core.errors import AppError, Forbidden, NotFound
from app.core.models import utcnow

if TYPE_CHECKING:
    from app.billing.models import Payment, WebhookEvent

SIGNATURE_HEADER = "Sandbox-Signature"
TOLERANCE_SECONDS = 300
DECLINE_MARKER = "+decline"
CHECKOUT_SALT = "billing.sandbox.checkout"
CHECKOUT_MAX_AGE = 3600  # seconds a hosted checkout link stays valid (BILLING_SANDBOX_CHECKOUT_SECONDS)
SENT_KEPT = 500  # signed deliveries kept in memory for resending


class WebhookRejected(AppError):
    """A webhook that cannot be read or is too old (400)."""

    status_code = 400
    default_message = _l("The webhook could not be verified.")


@dataclass(frozen=True)
class ChargeResult:
    """The answer to an off-session charge: paid (with the provider's transaction), declined
    (with a reason), or still pending (nothing charged yet)."""

    ok: bool
    transaction_id: str | None = None
    reason: str | None = None
    pending: bool = False


@dataclass(frozen=True)
class Delivery:
    """A signed webhook as a provider sends it: the event's id and type, headers and exact body."""

    event_id: str
    event_type: str
    payment_uuid: str
    headers: dict[str, str]
    body: bytes


class Gateway(ABC):
    """What every payment provider does for us (each provider implements the abstract methods)."""

    code = ""

    @abstractmethod
    def checkout_url(self, payment: Payment) -> str | None:
        """Where the buyer pays (a hosted page), or None when the provider has none."""

    @abstractmethod
    def charge(self, payment: Payment) -> ChargeResult:
        """Charge the buyer's saved method now, without them (renewals, upgrades)."""

    @abstractmethod
    def refund(self, payment: Payment, amount: Decimal) -> str:
        """Give back `amount` of a completed payment; the provider's refund reference."""

    def verify(self, headers: Any, body: bytes, now: datetime | None = None) -> dict[str, Any]:
        """Authenticate and parse a webhook delivery into an event with `id`, `type` and `data`."""
        raise NotFound(_("This payment provider sends no webhooks."))

    def deliver_pending(self) -> list[WebhookEvent]:
        """Send the webhooks the last calls produced (after the caller committed); none by default."""
        return []


class ManualGateway(Gateway):
    """Bank transfers and cash: an admin confirms the money arrived."""

    code = "manual"

    def checkout_url(self, payment: Payment) -> str | None:
        """No hosted page: the buyer is told how to pay and an admin marks the payment paid."""
        return None

    def charge(self, payment: Payment) -> ChargeResult:
        """Nothing can be charged automatically: the payment waits for an admin."""
        return ChargeResult(ok=False, pending=True)

    def refund(self, payment: Payment, amount: Decimal) -> str:
        """The money goes back by hand; the refund is only recorded."""
        return f"manual_re_{secrets.token_hex(8)}"


def _signed_payload(timestamp: int, body: bytes) -> bytes:
    return f"{timestamp}.".encode() + body


class SandboxGateway(Gateway):
    """A simulated card provider with hosted checkout, off-session charges and signed webhooks."""

    code = "sandbox"

    def __init__(self) -> None:
        self._local = threading.local()
        self._sent: OrderedDict[str, Delivery] = OrderedDict()
        self._sent_lock = threading.Lock()

    # ---- signing -------------------------------------------------------------------------------
    @staticmethod
    def _secret() -> bytes:
        secret = current_app.config.get("BILLING_SANDBOX_SECRET")
        if not secret:
            raise Forbidden(_("Sandbox webhooks are not configured."))
        return str(secret).encode()

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The headers of a delivery of `body` signed at `timestamp` (now by default)."""
        ts = int(utcnow().timestamp()) if timestamp is None else int(timestamp)
        digest = hmac.new(self._secret(), _signed_payload(ts, body), hashlib.sha256).hexdigest()
        return {SIGNATURE_HEADER: f"t={ts},v1={digest}", "Content-Type": "application/json"}

    def verify(self, headers: Any, body: bytes, now: datetime | None = None) -> dict[str, Any]:
        """Check the signature (403 when wrong) and the timestamp (400 when stale), then parse."""
        lowered = {str(name).lower(): str(value) for name, value in dict(headers).items()}
        header = lowered.get(SIGNATURE_HEADER.lower())
        if not header:
            raise WebhookRejected(_("The webhook signature is missing."))
        pairs = [item.strip().partition("=") for item in header.split(",")]
        timestamps = [value for name, _sep, value in pairs if name == "t"]
        signatures = [value for name, _sep, value in pairs if name == "v1"]  # several while keys rotate
        try:
            timestamp = int(timestamps[0])
        except (IndexError, ValueError):
            raise WebhookRejected(_("The webhook signature is malformed.")) from None
        if not signatures:
            raise WebhookRejected(_("The webhook signature is malformed."))
        expected = hmac.new(self._secret(), _signed_payload(timestamp, body), hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            raise Forbidden(_("The webhook signature does not match."))
        # Checked after the signature, so that the timestamp itself is authentic: replays of an old,
        # captured delivery are refused.
        if abs((now or utcnow()).timestamp() - timestamp) > TOLERANCE_SECONDS:
            raise WebhookRejected(_("The webhook timestamp is too old."))
        return parse_event(body)

    # ---- events --------------------------------------------------------------------------------
    def event(
        self, event_type: str, payment: Payment, *, timestamp: int | None = None, **data: Any
    ) -> Delivery:
        """A signed delivery of a new event about `payment` (not sent)."""
        event_id = f"evt_{secrets.token_hex(12)}"
        ts = int(utcnow().timestamp()) if timestamp is None else int(timestamp)
        payload = {
            "id": event_id,
            "type": event_type,
            "created": ts,
            "data": {
                "payment": str(payment.uuid),
                "amount": str(payment.amount),
                "currency": payment.currency,
                **{key: value for key, value in data.items() if value is not None},
            },
        }
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return Delivery(event_id, event_type, str(payment.uuid), self.sign(body, ts), body)

    def deliver(self, delivery: Delivery) -> WebhookEvent:
        """POST the delivery to our webhook handler (in-process) and keep it for resending."""
        from app.billing.services.payment_webhooks import handle_webhook  # it uses the gateways

        with self._sent_lock:
            self._sent[delivery.event_id] = delivery
            while len(self._sent) > SENT_KEPT:
                self._sent.popitem(last=False)
        return handle_webhook(self.code, delivery.headers, delivery.body)

    def sent(self, payment_uuid: Any = None, event_type: str | None = None) -> list[Delivery]:
        """Deliveries sent by this process, oldest first (for resending, tests and demos)."""
        with self._sent_lock:
            deliveries = list(self._sent.values())
        return [
            d
            for d in deliveries
            if (payment_uuid is None or d.payment_uuid == str(payment_uuid))
            and (event_type is None or d.event_type == event_type)
        ]

    def resend(self, event_id: str) -> WebhookEvent:
        """Deliver a sent event again, signed anew now (a provider's retry)."""
        with self._sent_lock:
            delivery = self._sent.get(event_id)
        if delivery is None:
            raise NotFound(_("No such sandbox event."))
        resent = Delivery(
            delivery.event_id,
            delivery.event_type,
            delivery.payment_uuid,
            self.sign(delivery.body),
            delivery.body,
        )
        return self.deliver(resent)

    def _outbox(self) -> list[Delivery]:
        if not hasattr(self._local, "outbox"):
            self._local.outbox = []
        return self._local.outbox

    def deliver_pending(self) -> list[WebhookEvent]:
        """Send the webhooks of this thread's last charges and refunds."""
        outbox = self._outbox()
        events = []
        while outbox:
            events.append(self.deliver(outbox.pop(0)))
        return events

    # ---- hosted checkout -----------------------------------------------------------------------
    @staticmethod
    def _serializer() -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CHECKOUT_SALT)

    def checkout_url(self, payment: Payment) -> str:
        """The hosted checkout page, behind a signed token that expires."""
        token = self._serializer().dumps(str(payment.uuid))
        if has_request_context():
            return url_for("billing_hooks.sandbox_checkout", token=token)
        # Tasks and e-mails have no request to build a URL from: an absolute one on the public site.
        with current_app.test_request_context(base_url=current_app.config.get("PUBLIC_BASE_URL") or None):
            return url_for("billing_hooks.sandbox_checkout", token=token, _external=True)

    def payment_uuid(self, token: str) -> str:
        """The payment a checkout token names; NotFound when forged or expired."""
        max_age = int(current_app.config.get("BILLING_SANDBOX_CHECKOUT_SECONDS", CHECKOUT_MAX_AGE))
        try:
            return str(self._serializer().loads(token, max_age=max_age))
        except BadSignature:  # SignatureExpired is a BadSignature
            raise NotFound(_("This checkout link is invalid or has expired.")) from None

    def pay(self, payment: Payment) -> WebhookEvent:
        """The buyer pressed "Pay": the provider takes the money and says so by webhook."""
        return self.deliver(
            self.event(
                "payment.succeeded", payment, transaction=f"txn_{secrets.token_hex(12)}", method="card"
            )
        )

    def decline(self, payment: Payment, reason: str = "card_declined") -> WebhookEvent:
        """The buyer pressed "Decline" (or the card was refused): a `payment.failed` webhook."""
        return self.deliver(self.event("payment.failed", payment, reason=reason))

    # ---- API calls -----------------------------------------------------------------------------
    def charge(self, payment: Payment) -> ChargeResult:
        """Succeeds unless the buyer's e-mail contains "+decline"; the webhook follows."""
        email = (getattr(payment.user, "email", None) or "").lower()
        if DECLINE_MARKER in email:
            self._outbox().append(self.event("payment.failed", payment, reason="card_declined"))
            return ChargeResult(ok=False, reason="card_declined")
        transaction = f"txn_{secrets.token_hex(12)}"
        self._outbox().append(
            self.event("payment.succeeded", payment, transaction=transaction, method="card")
        )
        return ChargeResult(ok=True, transaction_id=transaction)

    def refund(self, payment: Payment, amount: Decimal) -> str:
        """A refund reference; the `payment.refunded` webhook follows."""
        reference = f"re_{secrets.token_hex(12)}"
        self._outbox().append(
            self.event("payment.refunded", payment, refund=reference, refund_amount=str(amount))
        )
        return reference


def parse_event(body: bytes) -> dict[str, Any]:
    """A webhook body as an event dict with a string `id` and `type` and a `data` object."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(_("The webhook body is not valid JSON.")) from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= 128
        and isinstance(event.get("type"), str)
        and 0 < len(event["type"]) <= 64
        and isinstance(event.get("data", {}), dict)
    ):
        raise WebhookRejected(_("The webhook event is malformed."))
    event.setdefault("data", {})
    return event


_GATEWAYS: dict[str, Gateway] = {g.code: g for g in (ManualGateway(), SandboxGateway())}


def gateway(code: str) -> Gateway:
    """The gateway of a provider code; NotFound for an unknown (or switched-off) provider.

    The sandbox can be switched off with BILLING_SANDBOX_ENABLED = False (production).
    """
    found = _GATEWAYS.get(code or "")
    if found is None or (code == "sandbox" and not current_app.config.get("BILLING_SANDBOX_ENABLED", True)):
        raise NotFound(_("Unknown payment provider."))
    return found


def sandbox() -> SandboxGateway:
    """The sandbox gateway (checkout pages, tests and demos)."""
    found = gateway("sandbox")
    assert isinstance(found, SandboxGateway)
    return found
