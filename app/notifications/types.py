"""Notification types, their channels and default choices, and how each is worded.

The module that sends a type words it (`register_message`), so that this module knows none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

CHANNELS = ("in_app", "email", "push", "digest")
CHANNEL_LABELS = {
    "in_app": _l("In the app"),
    "email": _l("E-mail"),
    "push": _l("Browser push"),
    "digest": _l("Daily digest"),
}


@dataclass(frozen=True)
class TypeDefaults:
    """The channels a type uses when neither the user nor an admin chose otherwise."""

    in_app: bool = True
    email: bool = True
    push: bool = False
    digest: bool = False
    # Channels a type cannot use (invoices are e-mailed with their PDF by billing itself).
    unavailable: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, bool]:
        """{channel: on} with unavailable channels off."""
        return {c: bool(getattr(self, c)) and c not in self.unavailable for c in CHANNELS}


_QUIET = TypeDefaults(email=False, digest=True)  # frequent and minor: a daily digest by default
_URGENT = TypeDefaults(push=True)

# Every type of the `notification_types` lookup (seed/lookups/system.yaml), in its order.
TYPE_DEFAULTS: dict[str, TypeDefaults] = {
    "enrollment": TypeDefaults(email=False),
    "message": TypeDefaults(email=False, push=True),
    "comment": _QUIET,
    "reply": TypeDefaults(push=True),
    "mention": TypeDefaults(push=True),
    "like": _QUIET,
    "share": _QUIET,
    "friend_request": _URGENT,
    "job_application": TypeDefaults(),
    "event_reminder": _URGENT,
    "grade": _URGENT,
    "grading": TypeDefaults(email=False, digest=True),
    "certificate": TypeDefaults(),
    "invoice": TypeDefaults(email=False, unavailable=frozenset({"email", "digest"})),
    "payment_failed": _URGENT,
    "subscription_reminder": TypeDefaults(),
    "course_review": TypeDefaults(),
    "quiz_override": TypeDefaults(),
    "ticket": TypeDefaults(),
    "report": TypeDefaults(email=False),
    "favorite": TypeDefaults(email=False),  # in the app only: frequent, and nothing to act on
}


def defaults_for(type_code: str) -> TypeDefaults:
    """The built-in defaults of a type (types added by admins behave like a plain one)."""
    return TYPE_DEFAULTS.get(type_code, TypeDefaults())


# (type, event) -> lazy message with %(name)s placeholders; event "" is the type's plain message.
_MESSAGES: dict[tuple[str, str], Any] = {}


def register_message(type_code: str, message: Any, event: str = "") -> None:
    """Word a type (or one event of it, `params["event"]`): `_l("%(actor)s enrolled in %(course)s")`.

    Placeholders are the notification's params; `actor` is the actor's name. A param given as
    `{"en": ..., "ar": ...}` is read in the reader's language. A sentence that depends on a count
    is a function `(params, values) -> str` calling `ngettext(..., **values)`, run in the reader's locale.
    """
    _MESSAGES[(type_code, event)] = message


def message_for(type_code: str, params: Mapping[str, Any]) -> Any:
    """The registered message of a notification, or None."""
    event = str(params.get("event") or "")
    return _MESSAGES.get((type_code, event)) or _MESSAGES.get((type_code, ""))
