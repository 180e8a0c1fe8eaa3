"""The anonymous visitor id and the bot test shared by views and referral attribution."""

from __future__ import annotations

from flask import Flask

from app.core.visitors import COOKIE, is_bot, visitor_id


def _visit(app: Flask, cookie: str | None = None) -> tuple[str, str]:
    """Ask the visitor id in a request (with the cookie given) and return it and the Set-Cookie header."""
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
    with app.test_request_context("/courses/", headers=headers):
        vid = visitor_id()
        assert visitor_id() == vid  # stable within the request
        response = app.process_response(app.response_class("ok"))
    return vid, response.headers.get("Set-Cookie", "")


def test_new_visitor_gets_a_random_id_in_a_cookie_and_keeps_it(app: Flask) -> None:
    vid, cookie = _visit(app)
    assert len(vid) == 22
    assert f"{COOKIE}={vid}" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    again, cookie_again = _visit(app, vid)
    assert again == vid
    assert COOKIE not in cookie_again  # not set again once known
    other, _ = _visit(app)
    assert other != vid


def test_a_forged_cookie_value_is_replaced(app: Flask) -> None:
    vid, cookie = _visit(app, "x-OR-1=1")
    assert vid != "x-OR-1=1" and len(vid) == 22 and f"{COOKIE}={vid}" in cookie


def test_pages_that_do_not_ask_set_no_cookie(app: Flask) -> None:
    response = app.test_client().get("/robots.txt")
    assert COOKIE not in response.headers.get("Set-Cookie", "")


def test_bots_by_user_agent() -> None:
    assert is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    assert is_bot("facebookexternalhit/1.1")
    assert is_bot("WhatsApp/2.23.20.0")
    assert is_bot("curl/8.4.0")
    assert is_bot("")
    assert not is_bot("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36")
    assert not is_bot("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15")
