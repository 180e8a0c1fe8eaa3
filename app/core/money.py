"""Money as people read it: Babel's currency format for the viewer's locale (or a document's),
isolated from the direction of the text around it.

A price inside an Arabic sentence, or an Arabic price inside an English one, must not reorder its
neighbours ("49.00 US$" next to Arabic words came out as "US$ 49.00" or worse): HTML wraps it in
`<bdi>`, plain text (flashed messages, e-mails, composed phrases) in Unicode's first-strong
isolate and pop-directional isolate. Every shown amount goes through here.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from flask import has_app_context
from flask_babel import get_locale
from markupsafe import Markup

FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"
NO_BREAK_SPACE = "\u00a0"


def _locale(locale: str | Locale | None) -> Locale:
    if locale is not None:
        return Locale.parse(locale)
    current = get_locale() if has_app_context() else None
    return current or Locale.parse("en")


def _spaced(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: a symbol of letters ("SAR") is kept apart
    from the digits by a no-break space ("SAR 1,150.00"); signs such as "$" stay attached."""
    start = text.find(symbol)
    if start < 0 or not symbol:
        return text
    end = start + len(symbol)
    if end < len(text) and text[end].isdigit() and not unicodedata.category(symbol[-1]).startswith("S"):
        text = text[:end] + NO_BREAK_SPACE + text[end:]
    if start > 0 and text[start - 1].isdigit() and not unicodedata.category(symbol[0]).startswith("S"):
        text = text[:start] + NO_BREAK_SPACE + text[start:]
    return text


def money_format(amount: Any, currency: str, locale: str | Locale | None = None) -> str:
    """The amount in the locale's currency format ("$49.00", "‏49.00 US$"), not isolated: for a
    place that stands alone (a table cell of a PDF). Empty for None."""
    if amount is None:
        return ""
    where = _locale(locale)
    code = (currency or "").upper()
    return _spaced(format_currency(Decimal(amount), code, locale=where), get_currency_symbol(code, where))


def money_text(amount: Any, currency: str, locale: str | Locale | None = None) -> str:
    """The formatted amount between Unicode isolates, safe inside any plain-text sentence."""
    text = money_format(amount, currency, locale)
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}" if text else ""


def money_html(amount: Any, currency: str, locale: str | Locale | None = None) -> Markup:
    """The formatted amount in a `<bdi>` element (templates: `{{ money(amount, currency) }}`)."""
    text = money_format(amount, currency, locale)
    return Markup('<bdi class="money">{}</bdi>').format(text) if text else Markup("")


def amount_html(amount: Any, locale: str | Locale | None = None) -> Markup:
    """An amount without its currency (a list column beside a currency column), two decimals in
    the locale's digits and separators, in a `<bdi>` element; empty for None."""
    if amount is None:
        return Markup("")
    text = format_decimal(Decimal(amount), "#,##0.00", locale=_locale(locale))
    return Markup('<bdi class="money">{}</bdi>').format(text)
