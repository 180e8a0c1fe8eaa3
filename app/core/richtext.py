"""Rich text in the back office: which `translations` fields hold HTML, their per-language textareas,
and the settings the browser editor reads (`static/js/richtext.js`, `static/js/media-picker.js`).

A model names its HTML fields in `__rich_text__` (a view may say otherwise with `rich_text_fields`);
every `BaseModelView` form then marks their textareas for the editor. Without scripts the textarea
stays as it is, and whatever the browser sends is sanitized by the server as before
(`app.core.html.sanitize_html`, applied by each module's own rules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from wtforms import TextAreaField
from wtforms.widgets import TextArea

# The attribute richtext.js looks for; its value is the editor's base direction.
RICH_TEXT_ATTRIBUTE = "data-richtext"
# The attribute the form template pairs the English and Arabic fields of one translated field by.
TRANSLATION_ATTRIBUTE = "data-translation-of"
LANGUAGE_ATTRIBUTES = {"en": {"lang": "en", "dir": "ltr"}, "ar": {"lang": "ar", "dir": "rtl"}}

_SETTINGS: dict[str, Callable[[], Any]] = {}


def rich_text_fields(model: type[Any], override: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The translated fields of a model that hold HTML: the view's override, else `__rich_text__`."""
    fields = override if override is not None else getattr(model, "__rich_text__", ())
    return tuple(fields)


class RichTextAreaWidget(TextArea):
    """The textarea richtext.js turns into the editor: taller than FAB's three rows, so that it stays
    usable without scripts, and without FAB's placeholder (the label says it already)."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        """The textarea with Bootstrap's class and ten rows."""
        kwargs["class"] = "form-control"
        kwargs.setdefault("rows", 10)
        return super().__call__(field, **kwargs)


def translation_field(label: Any, field: str, language: str, *, rich: bool) -> TextAreaField:
    """The textarea of one language of a translated field: its own lang and dir, paired by field."""
    render_kw: dict[str, Any] = {**LANGUAGE_ATTRIBUTES[language], TRANSLATION_ATTRIBUTE: field}
    if rich:
        render_kw[RICH_TEXT_ATTRIBUTE] = LANGUAGE_ATTRIBUTES[language]["dir"]
    widget = RichTextAreaWidget() if rich else BS3TextAreaFieldWidget()
    return TextAreaField(label, widget=widget, render_kw=render_kw)


def register_editor_setting(name: str, value: Callable[[], Any]) -> None:
    """A module adds a setting the editor scripts read (the media library: its picker's addresses)."""
    _SETTINGS[name] = value


def editor_labels() -> dict[str, str]:
    """Every word the editor and the media picker show, in the page's language."""
    return {
        "toolbar": _("Formatting"),
        "bold": _("Bold"),
        "italic": _("Italic"),
        "heading": _("Heading"),
        "subheading": _("Subheading"),
        "bulletList": _("Bulleted list"),
        "orderedList": _("Numbered list"),
        "link": _("Link"),
        "linkPrompt": _("Address of the link (https://...):"),
        "blockquote": _("Quote"),
        "code": _("Code"),
        "codeBlock": _("Code block"),
        "image": _("Image from the media library"),
        "altPrompt": _("Describe the image for people who cannot see it:"),
        "directionLtr": _("Left-to-right paragraph"),
        "directionRtl": _("Right-to-left paragraph"),
        "clean": _("Clear formatting"),
        "pickerTitle": _("Choose a file"),
        "pickerTitleImage": _("Choose an image"),
        "search": _("Search"),
        "searchLabel": _("Search by file name"),
        "previous": _("Previous page"),
        "next": _("Next page"),
        "page": _("Page %(page)s of %(pages)s", page="{page}", pages="{pages}"),
        "upload": _("Upload a new file"),
        "uploadButton": _("Upload"),
        "uploading": _("Uploading..."),
        "close": _("Close"),
        "empty": _("No files found."),
        "loading": _("Loading..."),
        "error": _("Something went wrong. Please try again."),
        "noFile": _("No file chosen"),
    }


def editor_config() -> dict[str, Any]:
    """What the editor scripts read from the page (labels, CSRF token, the modules' settings)."""
    settings = {name: value() for name, value in _SETTINGS.items()}
    return {"labels": editor_labels(), "csrf": generate_csrf(), **settings}
