"""Who is looking: an anonymous visitor's random id (a long-lived cookie) and whether a client is a bot.

Views and referral attribution count visitors who are not signed in; both ask `visitor_id()`, and the
cookie is only set on a response whose request asked for it (no cookie for pages that do not count).
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, current_app, g, request

COOKIE = "lms_vid"
COOKIE_DAYS = 365
_VALID = re.compile(r"^[A-Za-z0-9_-]{22}$")
# Crawlers, link previewers, monitors and scripted clients: their requests are not people looking.
_BOTS = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|whatsapp|telegram|embedly|quora link|"
    r"pinterest|bitlybot|vkshare|w3c_validator|lighthouse|pingdom|uptime|monitor|headlesschrome|"
    r"phantomjs|curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|java/|okhttp|"
    r"libwww|scrapy|feedfetcher|mediapartners|google-inspectiontool|apis-google",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None = None) -> bool:
    """Whether the client (this request's by default) is a bot by its user agent; none given is one."""
    agent = request.headers.get("User-Agent", "") if user_agent is None else user_agent
    return not agent.strip() or bool(_BOTS.search(agent))


def visitor_id() -> str:
    """This browser's visitor id: the cookie's, or a new one set on the response."""
    known = g.get("_visitor_id")
    if known:
        return str(known)
    value = request.cookies.get(COOKIE, "")
    if not _VALID.match(value):
        value = secrets.token_urlsafe(16)  # 22 characters, 128 random bits: not guessable
        g._visitor_new = True
    g._visitor_id = value
    return value


def _set_cookie(response: Response) -> Response:
    if g.get("_visitor_new"):
        response.set_cookie(
            COOKIE,
            g._visitor_id,
            max_age=COOKIE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


def init_visitors(app: Flask) -> None:
    """Set the visitor cookie on responses whose request made a new id."""
    app.after_request(_set_cookie)
