"""Helpers of the account e-mail tests: tasks inline, mail parts, the link a mail carries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from app.extensions import db
from app.security.models import LmsUser


@pytest.fixture
def mailbox(
    app: Any, smtp_server: list[EmailMessage], monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[EmailMessage]]:
    """Tasks run inline (no worker) and their mail reaches the real loopback SMTP server."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    yield smtp_server


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a received message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "the mail needs a plain-text and an HTML part"
    return text.get_content(), html.get_content()


def link_path(message: EmailMessage, kind: str) -> str:
    """The path of the `/<kind>/<token>` link in a mail (the same in both parts)."""
    text, html = parts(message)
    found = re.findall(rf"https?://[^/\s\"]+(/{kind}/[A-Za-z0-9_.\-]+)", text)
    assert found, f"no /{kind}/ link in {text!r}"
    assert found[0] in html
    return found[0]


def to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    """The messages sent to one address."""
    return [m for m in messages if m["To"] == address]


def user(app: Any, user_id: int) -> dict[str, Any]:
    """A fresh read of an account's e-mail columns."""
    with app.app_context():
        row = db.session.get(LmsUser, user_id)
        values = {
            "email": row.email,
            "pending_email": row.pending_email,
            "verified": row.email_verified_at is not None,
            "password": row.password,
            "must_change_password": row.must_change_password,
        }
        db.session.remove()
    return values
