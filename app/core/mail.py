"""Outgoing e-mail with the standard library (smtplib + email.message), configured by MAIL_*.

MAIL_SERVER, MAIL_PORT, MAIL_USE_SSL (implicit TLS, usually port 465), MAIL_USE_TLS (STARTTLS,
usually 587), MAIL_USERNAME / MAIL_PASSWORD (login when a username is set), MAIL_DEFAULT_SENDER and
MAIL_TIMEOUT (seconds, default 10). Subjects, bodies and attachment names may be in any language
(UTF-8, encoded as the e-mail standards say). Failures raise MailError; callers decide what to do.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

DEFAULT_TIMEOUT = 10.0

Attachment = tuple[str, bytes, str]  # (filename, content, MIME type such as "application/pdf")


class MailError(RuntimeError):
    """The message could not be built or delivered to the SMTP server."""


def _recipients(to: str | Sequence[str]) -> list[str]:
    addresses = [to] if isinstance(to, str) else list(to)
    addresses = [address.strip() for address in addresses if address and address.strip()]
    if not addresses:
        raise MailError("No recipient address was given.")
    return addresses


def _mime_parts(mime_type: str | None) -> tuple[str, str, dict[str, str]]:
    """("text", "csv", {"charset": "utf-8"}) from "text/csv; charset=utf-8"; text is UTF-8 unless told."""
    kind, *rest = (mime_type or "application/octet-stream").split(";")
    maintype, _, subtype = kind.strip().lower().partition("/")
    params = {}
    for item in rest:
        key, _, value = item.partition("=")
        if key.strip() and value.strip():
            params[key.strip().lower()] = value.strip().strip('"')
    if maintype == "text":
        params.setdefault("charset", "utf-8")
    return maintype or "application", subtype or "octet-stream", params


def build_message(
    to: str | Sequence[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    attachments: Iterable[Attachment] = (),
    sender: str | None = None,
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The message as it will be sent (a text body, an optional HTML alternative, attachments)."""
    sender = sender or current_app.config.get("MAIL_DEFAULT_SENDER") or "no-reply@localhost"
    message = EmailMessage()
    try:
        # The header policy refuses line breaks in values: no header injection through a subject.
        message["From"] = sender
        message["To"] = ", ".join(_recipients(to))
        message["Subject"] = subject
        if reply_to:
            message["Reply-To"] = reply_to
        for name, value in (headers or {}).items():
            message[name] = value
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        for filename, content, mime_type in attachments:
            maintype, subtype, params = _mime_parts(mime_type)
            message.add_attachment(
                content, maintype=maintype, subtype=subtype, filename=filename, params=params
            )
    except (ValueError, TypeError) as exc:
        raise MailError(f"The message could not be built: {exc}") from exc
    return message


def _connect(config: dict) -> smtplib.SMTP:
    host, port = config.get("MAIL_SERVER") or "localhost", int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)
    if config.get("MAIL_USE_SSL"):
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    connection = smtplib.SMTP(host, port, timeout=timeout)
    if config.get("MAIL_USE_TLS"):
        connection.starttls(context=ssl.create_default_context())
    return connection


def send_mail(
    to: str | Sequence[str],
    subject: str,
    text: str,
    *,
    html: str | None = None,
    attachments: Iterable[Attachment] = (),
    sender: str | None = None,
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send one message through the configured SMTP server, or raise MailError."""
    message = build_message(
        to,
        subject,
        text,
        html=html,
        attachments=attachments,
        sender=sender,
        reply_to=reply_to,
        headers=headers,
    )
    config = current_app.config
    server = f"{config.get('MAIL_SERVER')}:{config.get('MAIL_PORT')}"
    try:
        with _connect(config) as connection:
            if config.get("MAIL_USERNAME"):
                connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            refused = connection.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"Mail to {message['To']} through {server} failed: {exc}") from exc
    if refused:  # some recipients were accepted, these were not
        raise MailError(f"The mail server {server} refused {', '.join(sorted(refused))}.")
