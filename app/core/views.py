"""The back-office kit every module inherits (base view, formatters, service calls that flash their
errors, `guarded` checks), the admin index and the Trash."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Hashable, Iterator
from functools import cache, partial
from typing import Any, cast

from flask import Response, abort, flash, g, redirect, request
from flask_appbuilder import IndexView, ModelView, expose, has_access
from flask_appbuilder.actions import action as fab_action
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterEqualFunction
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_appbuilder.widgets import ListWidget
from flask_babel import LazyString, get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import inspect as sa_inspect
from wtforms import SelectField
from wtforms.validators import Optional

from app.core.bidi import mark_input_directions
from app.core.choices import setup_choice_fields
from app.core.dashboard import panels_for
from app.core.display import empty, register_entity
from app.core.errors import AppError
from app.core.formatters import (
    COMMON_LABELS,
    LANGUAGE_LABELS,
    default_formatters,
)
from app.core.models import SoftDeleteMixin, entity_type_of
from app.core.permissions import READ_WRITE_PERMISSIONS
from app.core.references import lookup_choices, lookup_type_id
from app.core.richtext import rich_text_fields, translation_field
from app.core.transactions import transaction
from app.core.translations import set_translation
from app.core.widgets import LmsFormWidget, setup_media_fields
from app.extensions import db

SYSTEM_COLUMNS = ["id", "uuid", "created_at", "updated_at", "is_deleted", "deleted_at"]
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_PREFIXES) else text


def _csv_text(formatter: Any, value: Any) -> Any:
    """The cell text: the screen's formatting, but never HTML (JSON stays JSON)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = formatter(value) if formatter is not None else value
    return value if isinstance(text, Markup) else text


def label_formatter(labels: dict[str, Any]) -> Callable[[Any], Any]:
    """A list/show formatter that shows a code by its translated label."""

    def formatter(value: Any) -> Any:
        return str(labels.get(value, value)) if value not in (None, "") else empty()

    return formatter


# ---- service calls from screens ---------------------------------------------------------------
def _messages(value: Any) -> Iterator[str]:
    """Every message of a field's problems, however nested (lists, or dicts of files or rows)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _messages(item)
    elif value is not None:
        yield str(value)


def error_text(exc: AppError) -> str:
    """The message and every field problem of an error, as one line for a flash."""
    return " ".join(dict.fromkeys([exc.message, *_messages(exc.errors)]))


def run_service(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Call a service in one transaction; on an AppError roll back, flash it and return (False, None)."""
    try:
        with transaction():
            return True, func(*args, **kwargs)
    except AppError as exc:
        flash(error_text(exc), "danger")
        return False, None


def each_item(items: Any, func: Callable[[Any], Any], label: Callable[[Any], str] = str) -> int:
    """Apply a service to every selected row, each in its own transaction: a refused row flashes its
    error (only its own work rolled back) and the others go on. Returns how many rows it changed."""
    rows = items if isinstance(items, list) else [items]
    count = 0
    for item in rows:
        try:
            with transaction():
                func(item)
            count += 1
        except AppError as exc:
            flash(f"{label(item)}: {error_text(exc)}", "danger")
    return count


def guarded(func: Callable[..., Any], *args: Any) -> None:
    """Run a check; on an AppError drop the half-applied form data before FAB flashes the message."""
    try:
        with db.session.no_autoflush:  # nothing half-filled reaches the database during checks
            func(*args)
    except AppError:
        db.session.rollback()
        raise


def _translation_label(label: Any, language: str) -> LazyString:
    return LazyString(
        lambda: gettext("%(field)s (%(language)s)", field=str(label), language=str(LANGUAGE_LABELS[language]))
    )


def lookup_relations(model: type[Any]) -> dict[str, str]:
    """Relationship name -> lookup type code, for every FK declared with `lookup_fk` (do not mutate)."""
    return _lookup_relations(cast(Hashable, model))


@cache  # models are fixed once mapped; list queries and filters ask on every request
def _lookup_relations(model: Any) -> dict[str, str]:
    relations: dict[str, str] = {}
    for rel in sa_inspect(model).relationships:
        for column in rel.local_columns:
            code = column.info.get("lookup_type")
            if code:
                relations[rel.key] = code
    return relations


def lookup_choice_filters(type_code: str) -> list[list[Any]]:
    """FAB filters offering only the active values of one lookup type."""
    return [
        ["type_id", FilterEqualFunction, partial(lookup_type_id, type_code)],
        ["is_active", FilterEqual, True],
    ]


def lookup_search_choices(type_code: str) -> list[tuple[str, str]]:
    """A search form's choices for one lookup type, from the lookup cache (no query per render)."""
    arabic = getattr(get_locale(), "language", "en") == "ar"
    return [("", "")] + [(str(pk), (ar if arabic and ar else en)) for pk, en, ar in lookup_choices(type_code)]


class CappedListWidget(ListWidget):
    """FAB's list, with a pager around the current page and "more than N" for a capped count."""

    template = "lms/widgets/list.html"


def _get_scoped(view: ModelView, pk: Any) -> Any:
    return view.datamodel.get(view._deserialize_pk_if_composite(pk), view._base_filters)


def _may_run_action(view: ModelView, name: str) -> bool:
    if name not in view.actions:
        return False
    permission = view.get_action_permission_name(name)
    if not permission.startswith(PERMISSION_PREFIX):
        permission = PERMISSION_PREFIX + permission
    return permission in view.base_permissions and view.appbuilder.sm.has_access(
        permission, view.class_permission_name
    )


@expose("/action/<string:name>/<pk>", methods=["POST"])
def _scoped_action(self: ModelView, name: str, pk: Any) -> Any:
    """Run an action on one row, loaded through the view's base filters."""
    if not _may_run_action(self, name):
        abort(403)
    if not self.actions[name].single:
        abort(400)
    item = self._get_scoped(pk)
    if item is None:
        abort(404)
    return self.actions[name].func(item)


@expose("/action_post", methods=["POST"])
def _scoped_action_post(self: ModelView) -> Any:
    """Run an action on the selected rows; rows outside the base filters are ignored."""
    name = request.form.get("action", "")
    if not _may_run_action(self, name):
        abort(403)
    if not self.actions[name].multiple:
        abort(400)
    items = [self._get_scoped(pk) for pk in request.form.getlist("rowid")]
    return self.actions[name].func([item for item in items if item is not None])


# FAB's own action/action_post ignore base_filters (a user could act on rows they cannot see)
# and fail with a 500 on an unknown action name. Every ModelView, FAB's security screens
# included, gets these row-scoped versions instead.
ModelView._get_scoped = _get_scoped
ModelView.action = _scoped_action
ModelView.action_post = _scoped_action_post
# FAB's legacy /download/<filename> serves UPLOAD_FOLDER and fails with a 500 on names it did not
# generate; files are served by the media library's signed URLs instead.
ModelView.exclude_route_methods = frozenset({"download"})


class BaseModelView(ModelView):
    """A ModelView with soft delete, row-safe bulk actions, CSV export, translations, lookups."""

    list_template = "lms/model/list.html"
    list_widget = CappedListWidget
    add_widget = edit_widget = LmsFormWidget
    show_template = "lms/model/show.html"
    method_permission_name = READ_WRITE_PERMISSIONS
    page_size = 25
    add_exclude_columns = SYSTEM_COLUMNS
    edit_exclude_columns = SYSTEM_COLUMNS
    csv_max_rows = 100_000

    # FAB's attributes this class reads and extends (FAB itself has no type information).
    label_columns: dict[str, Any]
    extra_args: dict[str, Any]
    base_permissions: list[str]
    add_form_extra_fields: dict[str, Any]
    edit_form_extra_fields: dict[str, Any]
    formatters_columns: dict[str, Any]
    # Translated fields holding HTML (the rich text editor); None: the model's `__rich_text__`.
    rich_text_fields: tuple[str, ...] | None = None

    def __init__(self, **kwargs: Any) -> None:
        model = self.datamodel.obj
        self.translatable_fields: tuple[str, ...] = getattr(model, "__translatable__", ())
        # Shared columns get translated labels unless the view names them itself.
        self.label_columns = {**COMMON_LABELS, **(self.label_columns or {})}
        self._setup_translation_fields()
        self._setup_lookup_fields(model)
        setup_media_fields(self, model)
        setup_choice_fields(self, model)
        self._setup_formatters(model)
        register_entity(
            entity_type_of(model),
            type(self).show_title or model_label(model),
            type(self).__name__,
            model=model,
            field_labels=self.label_columns,
            replace=False,
        )
        super().__init__(**kwargs)
        for form in (self.add_form, self.edit_form):
            mark_input_directions(form)  # e-mails, URLs, codes...: dir=auto on Arabic pages too
        self._setup_lookup_search_fields(model)
        self.extra_args = {**(self.extra_args or {}), "audit_entity_type": entity_type_of(model)}
        routed = self._route_permissions()
        if not issubclass(model, SoftDeleteMixin) or "can_write" not in routed:
            # A read-only screen must not gain a write permission through the delete action.
            self.actions.pop("soft_delete_selected", None)
            kept = routed | {self.get_action_permission_name(name) for name in self.actions}
            self.base_permissions = [p for p in self.base_permissions if p in kept]

    def _route_permissions(self) -> set[str]:
        """Permissions required by the routes this view actually registers."""
        found = set()
        for name in dir(self):
            if self.include_route_methods is not None and name not in self.include_route_methods:
                continue
            if name in self.exclude_route_methods:
                continue
            method: Any = getattr(self, name, None)
            if hasattr(method, "_permission_name") and hasattr(method, "_urls"):
                found.add(PERMISSION_PREFIX + self.method_permission_name.get(name, method._permission_name))
        return found

    # Action name -> whether it applies to a row: the show page offers only those (bulk actions on the
    # list still let the service refuse each row that does not apply).
    row_actions: dict[str, Callable[[Any], bool]] = {}

    def show_summary(self, item: Any) -> Markup | None:
        """A sentence shown above a row's fields (none by default)."""
        return None

    def _get_show_widget(
        self, pk: Any, item: Any, widgets: Any = None, actions: Any = None, show_fieldsets: Any = None
    ) -> dict[str, Any]:
        """FAB's show widget with only the actions that apply to this row, and the row's summary."""
        applicable = {
            name: act
            for name, act in (actions or self.actions).items()
            if self.row_actions.get(name, lambda _item: True)(item)
        }
        widgets = widgets or {}
        widgets["show"] = self.show_widget(
            pk=pk,
            label_columns=self.label_columns,
            include_columns=self.show_columns,
            value_columns=self.datamodel.get_values_item(item, self.show_columns),
            formatters_columns=self.formatters_columns,
            actions=applicable,  # FAB's own method puts every action back when none applies
            fieldsets=show_fieldsets or self.show_fieldsets,
            modelview_name=self.__class__.__name__,
        )
        widgets["summary"] = self.show_summary(item)
        widgets["row_actions"] = set(applicable)  # for a template's own buttons (e.g. "Reject with a reason")
        return dict(widgets)

    # ---- set-up -------------------------------------------------------------------------
    def _setup_translation_fields(self) -> None:
        extra = dict(self.add_form_extra_fields or {})
        edit_extra = dict(self.edit_form_extra_fields or {})
        labels = dict(self.label_columns or {})
        rich = rich_text_fields(self.datamodel.obj, self.rich_text_fields)
        names: list[str] = []
        for field in self.translatable_fields:
            for language in ("en", "ar"):
                name = f"{field}_{language}"
                names.append(name)
                label = _translation_label(labels.get(field, field.replace("_", " ").title()), language)
                extra[name] = edit_extra[name] = translation_field(label, field, language, rich=field in rich)
        self.add_form_extra_fields = extra
        self.edit_form_extra_fields = edit_extra
        for attr in ("add_columns", "edit_columns"):
            columns = getattr(self, attr, None)
            if columns is not None:
                setattr(self, attr, list(columns) + [n for n in names if n not in columns])

    def _setup_lookup_fields(self, model: type[Any]) -> None:
        relations = lookup_relations(model)
        if not relations:
            return
        for attr in ("add_form_query_rel_fields", "edit_form_query_rel_fields"):
            current = dict(getattr(self, attr, None) or {})
            for rel, code in relations.items():
                current.setdefault(rel, lookup_choice_filters(code))
            setattr(self, attr, current)

    def _setup_lookup_search_fields(self, model: type[Any]) -> None:
        """Lookup filters of the search form as plain choices (FAB ran a count and a select per field)."""
        searched = set(self.search_columns or ())
        for rel, code in lookup_relations(model).items():
            if rel in searched:
                field = SelectField(
                    self.label_columns.get(rel, rel),
                    choices=partial(lookup_search_choices, code),
                    validators=[Optional()],
                    widget=Select2Widget(),
                )
                setattr(self.search_form, rel, field)

    def _setup_formatters(self, model: type[Any]) -> None:
        self.formatters_columns = default_formatters(model, self.label_columns, self.formatters_columns)

    # ---- translations -------------------------------------------------------------------
    def _apply_translations(self, item: Any) -> None:
        if not self.translatable_fields:
            return
        data = item.translations or {}
        for field in self.translatable_fields:
            for language in ("en", "ar"):
                name = f"{field}_{language}"
                if name in item.__dict__:
                    data = set_translation(data, field, language, item.__dict__.pop(name))
        item.translations = data

    def pre_add(self, item: Any) -> None:
        """Merge the per-language form fields into `translations`."""
        self._apply_translations(item)

    def pre_update(self, item: Any) -> None:
        """Merge the per-language form fields into `translations`."""
        self._apply_translations(item)

    def prefill_form(self, form: Any, pk: Any) -> None:
        """Show the stored translations in the per-language fields."""
        if not self.translatable_fields:
            return
        item = self.datamodel.get(pk, self._base_filters)
        data = (item.translations if item is not None else None) or {}
        for field in self.translatable_fields:
            for language in ("en", "ar"):
                form_field = getattr(form, f"{field}_{language}", None)
                if form_field is not None:
                    form_field.data = (data.get(language) or {}).get(field, "")

    @fab_action(
        "soft_delete_selected",
        _l("Delete"),
        _l("Delete all the selected records? Admins can restore them from the Trash."),
        "fa-trash",
        single=False,
    )
    def soft_delete_selected(self, items: Any) -> Any:
        """Soft delete the selected rows."""
        items = items if isinstance(items, list) else [items]
        self.datamodel.delete_all(items)
        flash(gettext("%(count)d record(s) deleted.", count=len(items)), "success")
        return redirect(self.get_redirect())

    # ---- CSV export of the current filtered list ---------------------------------------
    @expose("/export/csv")
    @has_access
    def export_csv(self) -> Response:
        """Stream the current filtered, ordered list as CSV (formula cells neutralised)."""
        get_filter_args(self._filters)
        order_column, order_direction = get_order_args().get(
            self.__class__.__name__, self.base_order or ("", "")
        )
        joined = self._filters.get_joined_filters(self._base_filters)
        _count, items = self.datamodel.query(
            joined, order_column, order_direction, page=0, page_size=self.csv_max_rows
        )
        columns = list(self.list_columns)
        header = [str(self.label_columns.get(c, c)) for c in columns]
        formatters = self.formatters_columns
        # Values are read now, while the session is open; only the CSV text is streamed.
        rows = [
            [csv_safe(_csv_text(formatters.get(c), row[c])) for c in columns]
            for row in self.datamodel.get_values(items, columns)
        ]

        def generate() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in [header, *rows]:
                writer.writerow(row)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate(0)

        filename = f"{self.datamodel.obj.__tablename__}.csv"
        return Response(
            generate(),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


class AdminIndexView(IndexView):
    """The back office home, moved to /admin/ so that / belongs to the portal: the user's dashboard."""

    route_base = "/admin"
    index_template = "lms/admin_index.html"

    @expose("/")
    def index(self) -> Any:
        """What needs the signed-in user, panel by panel (modules register them)."""
        user = g.user if g.user is not None and g.user.is_authenticated else None
        panels = panels_for(user) if user is not None else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, panels=panels)


def model_label(model: type[Any]) -> str:
    """A model's translated name (`__label__`), else its table name."""
    return str(getattr(model, "__label__", None) or model.__tablename__)
