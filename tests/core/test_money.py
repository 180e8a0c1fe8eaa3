"""Money as shown: Babel's currency format for the viewer's locale, isolated from the text direction
(`<bdi>` in HTML, U+2068 ... U+2069 in plain text) on every page that shows a price."""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_currency
from flask_babel import force_locale

from app.core.money import amount_html, money_format, money_html, money_text
from tests.conftest import login
from tests.portal_helpers import course_with_lessons, page_text

ARABIC_49_USD = format_currency(Decimal("49"), "USD", locale="ar")  # Babel's own Arabic format


def test_english_prices_are_babels_format_in_a_bdi(app, ctx):
    with force_locale("en"):
        assert money_html(Decimal("49"), "USD") == '<bdi class="money">$49.00</bdi>'
        assert money_text(Decimal("1150.5"), "USD") == "\u2068$1,150.50\u2069"
        # CLDR's currency spacing: a code of letters stays apart from the digits.
        assert money_format(Decimal("49"), "SAR") == "SAR\u00a049.00"
        assert money_html(None, "USD") == ""


def test_arabic_prices_are_babels_arabic_format_in_a_bdi(app, ctx):
    assert "US$" in ARABIC_49_USD and "$US" not in ARABIC_49_USD
    with force_locale("ar"):
        assert money_html(Decimal("49"), "USD") == f'<bdi class="money">{ARABIC_49_USD}</bdi>'
        assert money_text(Decimal("49"), "usd") == f"\u2068{ARABIC_49_USD}\u2069"
        assert money_format(Decimal("49"), "SAR") == format_currency(Decimal("49"), "SAR", locale="ar")
        assert amount_html(Decimal("1150")) == '<bdi class="money">1,150.00</bdi>'


def test_the_viewers_language_picks_the_format(app):
    with app.test_request_context("/?_l_=ar"):
        assert ARABIC_49_USD in money_html(49, "USD")
    with app.test_request_context("/?_l_=en"):
        assert money_html(49, "USD") == '<bdi class="money">$49.00</bdi>'


def test_a_course_page_shows_its_price_isolated_in_both_languages(app, client):
    course = course_with_lessons(app, price=Decimal("49.00"), currency="USD")
    arabic = page_text(client.get(f"/courses/{course['slug']}?_l_=ar"))
    english = page_text(client.get(f"/courses/{course['slug']}?_l_=en"))
    isolated_ar = f'<bdi class="money">{ARABIC_49_USD}</bdi>'
    assert f'<span class="price">{isolated_ar}</span>' in arabic
    assert '<span class="price"><bdi class="money">$49.00</bdi></span>' in english
    for page in (arabic, english):
        assert "$US" not in page and "49.00 USD" not in page
    catalog = page_text(client.get("/courses/?_l_=ar"))
    assert isolated_ar in catalog


def test_the_buy_button_isolates_the_price_inside_its_arabic_sentence(app, client, user_factory):
    course = course_with_lessons(app, price=Decimal("49.00"), currency="USD")
    _, username = user_factory("Student", locale="ar")
    login(client, username)
    page = page_text(client.get(f"/courses/{course['slug']}"))
    button = re.search(r'<button[^>]*id="buy-button"[^>]*>(.*?)</button>', page, re.S)
    assert button is not None and f'<bdi class="money">{ARABIC_49_USD}</bdi>' in button.group(1)


def test_back_office_money_columns_are_isolated_amounts(app, login_as):
    course = course_with_lessons(app, price=Decimal("1250.00"), currency="USD")
    admin = login_as("Admin")
    admin.get("/lang/ar")
    listing = page_text(admin.get(f"/coursemodelview/show/{course['id']}"))
    assert '<bdi class="money">1,250.00</bdi>' in listing
