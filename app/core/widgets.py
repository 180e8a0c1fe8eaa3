"""Form widgets every back-office form shares: the form layout that sets the English and Arabic fields
of a translated field side by side, and the media picker that replaces "file number in library".

The media library registers how a chosen file is described (`register_media_describer`), so that
`core` imports no feature module. A column is a media field when it is a foreign key to `media.id`
or says so in its info (`info={"media": True}`); `info` may also name the upload kind
(`"media_kind"`) and `"media_accept": "image"`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_appbuilder.widgets import FormWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import html_params

from app.core.richtext import RICH_TEXT_ATTRIBUTE, TRANSLATION_ATTRIBUTE

MEDIA_TABLE_KEY = "media.id"
DEFAULT_UPLOAD_KIND = "attachment"


# ---- the form layout --------------------------------------------------------------------------
@dataclass(frozen=True)
class FormRow:
    """One row of a form: a field, or the English and Arabic fields of one translated field."""

    name: str
    pair: tuple[str, str] | None = None


def _render_kw(form: Any, name: str) -> dict[str, Any]:
    try:
        field = form[name]
    except KeyError:
        return {}
    return dict(getattr(field, "render_kw", None) or {})


def form_rows(form: Any, columns: list[str]) -> list[FormRow]:
    """The columns in order, each translated field's English and Arabic halves as one row."""
    rows: list[FormRow] = []
    paired: set[str] = set()
    for name in columns:
        if name in paired or name not in form:
            continue
        base = _render_kw(form, name).get(TRANSLATION_ATTRIBUTE)
        partner = f"{base}_ar" if base and name == f"{base}_en" else None
        if partner and partner in columns and partner in form:
            rows.append(FormRow(name, (name, partner)))
            paired.add(partner)
        else:
            rows.append(FormRow(name))
    return rows


def needs_editor(form: Any) -> bool:
    """True when a field of the form is upgraded by the editor scripts (rich text, media picker)."""
    for field in form:
        if RICH_TEXT_ATTRIBUTE in (getattr(field, "render_kw", None) or {}):
            return True
        if isinstance(getattr(field, "widget", None), MediaPickerWidget):
            return True
    return False


class LmsFormWidget(FormWidget):
    """FAB's form, with translated fields side by side and the editor scripts when a field needs them."""

    template = "lms/widgets/form.html"

    def __call__(self, **kwargs: Any) -> Any:
        """Render with the rows of the form (and of each fieldset) worked out here."""
        args = {**self.template_args, **kwargs}
        form = args["form"]
        exclude = set(args.get("exclude_cols") or ())
        if args.get("fieldsets"):
            args["fieldset_rows"] = [
                (label, spec, form_rows(form, [c for c in spec.get("fields", []) if c not in exclude]))
                for label, spec in args["fieldsets"]
            ]
        else:
            args["rows"] = form_rows(form, [c for c in args.get("include_cols") or [] if c not in exclude])
        args["needs_editor"] = needs_editor(form)
        return super().__call__(**args)


# ---- the media picker -------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaSummary:
    """What a form shows of a chosen file: its name and a thumbnail address (None without one)."""

    name: str
    thumbnail: str | None


_describer: list[Callable[[int], MediaSummary | None]] = []


def register_media_describer(describe: Callable[[int], MediaSummary | None]) -> None:
    """Called once by the media library: a file id -> its summary, None when the user may not see it."""
    _describer[:] = [describe]


def describe_media(media_id: Any) -> MediaSummary | None:
    """The chosen file's summary (None for no file, an unknown one, or one the user may not see)."""
    if not media_id or not _describer or not str(media_id).isdigit():
        return None
    return _describer[0](int(media_id))


class MediaPickerWidget:
    """The chosen file (thumbnail and name), "Choose..." and "Remove"; media-picker.js opens the
    library's dialog. Without scripts the file's number stays editable in the input."""

    def __init__(self, kind: str = DEFAULT_UPLOAD_KIND, accept: str | None = None) -> None:
        self.kind = kind
        self.accept = accept

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        """The picker around the field's number input."""
        value = field.data if field.data not in (None, "") else (field.raw_data or [""])[0]
        summary = describe_media(value)
        name = Markup('<span class="lms-media-name" dir="auto">{}</span>')
        choice: Markup
        if summary is not None:
            thumb = (
                Markup('<img src="{}" alt="" width="48" height="48" loading="lazy"> ').format(
                    summary.thumbnail
                )
                if summary.thumbnail
                else Markup('<i class="fa fa-file" aria-hidden="true"></i> ')
            )
            choice = thumb + name.format(summary.name)
        else:
            choice = name.format(_("File %(id)s", id=value) if value else _("No file chosen"))
        attrs = {
            "class": "lms-media-picker",
            "data-media-picker": self.accept or "any",
            "data-kind": self.kind,
        }
        input_attrs = {
            "type": "number",
            "min": "1",
            "class": "form-control lms-media-value",
            "id": kwargs.get("id", field.id),
            "name": field.name,
            "value": value if value is not None else "",
            "data-media-value": "",
        }
        return Markup(
            "<div {attrs}><input {input}>"
            '<div class="lms-media-choice" data-media-choice aria-live="polite">{choice}</div>'
            '<button type="button" class="btn btn-default btn-sm" data-media-choose hidden>{choose}</button> '
            '<button type="button" class="btn btn-default btn-sm" data-media-remove hidden>{remove}</button>'
            "</div>"
        ).format(
            attrs=Markup(html_params(**attrs)),  # noqa: S704 - html_params escapes every value
            input=Markup(html_params(**input_attrs)),  # noqa: S704 - html_params escapes every value
            choice=choice,
            choose=_("Choose…"),
            remove=_("Remove"),
        )


@dataclass(frozen=True)
class MediaColumn:
    """A column holding a media id: its name, its relationship (if any), upload kind and accepted types."""

    key: str
    relationship: str | None
    kind: str
    accept: str | None


def media_columns(model: type[Any]) -> list[MediaColumn]:
    """The media fields of a model: foreign keys to media.id and columns marked `info={"media": ...}`."""
    mapper = sa_inspect(model)
    relations = {
        next(iter(rel.local_columns)).key: rel.key
        for rel in mapper.relationships
        if len(rel.local_columns) == 1 and rel.direction.name == "MANYTOONE"
    }
    found = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        to_media = any(fk.target_fullname == MEDIA_TABLE_KEY for fk in column.foreign_keys)
        if to_media or column.info.get("media"):
            found.append(
                MediaColumn(
                    key=prop.key,
                    relationship=relations.get(column.key),
                    kind=str(column.info.get("media_kind") or DEFAULT_UPLOAD_KIND),
                    accept=column.info.get("media_accept"),
                )
            )
    return found


def media_picker_field(label: Any, column: MediaColumn, description: Any) -> IntegerField:
    """The form field of a media column: a file id chosen with the picker."""
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=1)],
        widget=MediaPickerWidget(column.kind, column.accept),
        description=description,
    )


def setup_media_fields(view: Any, model: type[Any]) -> None:
    """Give every media column of a view's add and edit forms the picker (also instead of a select
    of its relationship, or of a number field the view declared itself)."""
    columns = media_columns(model)
    if not columns:
        return
    labels = view.label_columns or {}
    for fields_attr, columns_attr in (
        ("add_form_extra_fields", "add_columns"),
        ("edit_form_extra_fields", "edit_columns"),
    ):
        extra = dict(getattr(view, fields_attr, None) or {})
        included = getattr(view, columns_attr, None)
        for column in columns:
            declared = extra.get(column.key)
            label = declared.args[0] if declared is not None and declared.args else None
            label = label or labels.get(column.key) or labels.get(column.relationship or "", column.key)
            extra[column.key] = media_picker_field(label, column, _l("Choose a file from the media library."))
            if included is not None and column.relationship in included:
                # The relationship's select loads every file: the picker takes its place.
                included = [column.key if c == column.relationship else c for c in included]
                setattr(view, columns_attr, list(dict.fromkeys(included)))
        setattr(view, fields_attr, extra)
