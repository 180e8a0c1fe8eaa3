"""User HTML: one sanitizer (nh3) for every rich-text field, applied before anything is stored."""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from flask_babel import gettext as _

from app.core.errors import Invalid

RICH_TEXT_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "blockquote", "code", "pre", "ul", "ol", "li",
    "h2", "h3", "h4", "a", "span", "hr", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
# Every block keeps its direction (the editor sets it per paragraph, heading, quote or list item).
DIRECTION_ATTRIBUTES = {"dir", "lang"}
RICH_TEXT_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "span": DIRECTION_ATTRIBUTES,
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    **{tag: DIRECTION_ATTRIBUTES for tag in ("p", "h2", "h3", "h4", "blockquote", "pre", "ul", "ol", "li")},
}


def sanitize_html(html: str | None) -> str:
    """Rich text with only safe tags, attributes and URL schemes; links get rel=noopener."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=RICH_TEXT_TAGS,
        attributes=RICH_TEXT_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_text(html: str | None) -> str:
    """The text of some HTML, without any tag."""
    return nh3.clean(html or "", tags=set()).strip()


def checked_url(value: str | None, field: str, *, https_only: bool = False) -> str | None:
    """An absolute http(s) address (https only when asked), None for blank; Invalid otherwise."""
    if value is None or not str(value).strip():
        return None
    url = str(value).strip()
    parts = urlsplit(url)
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes or not parts.netloc or len(url) > 1000:
        message = _("Use an absolute https address.") if https_only else _("Use an absolute http(s) address.")
        raise Invalid(message, {field: [url[:200]]})
    return url
