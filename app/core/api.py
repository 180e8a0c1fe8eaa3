"""Base REST API every module inherits: read/write permissions, soft delete, safe errors."""

from __future__ import annotations

import sys
from typing import Any

import prison
from flask import Blueprint, Response, abort, request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.exceptions import ApplyFilterException
from flask_babel import gettext
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DataError

from app.core.errors import AppError, Invalid, http_message
from app.core.openapi import mend_openapi_document
from app.core.permissions import READ_WRITE_PERMISSIONS
from app.core.views import SYSTEM_COLUMNS, lookup_relations
from app.extensions import db
from app.lookups.services import lookup_id, lookup_type_id

_prison_loads = prison.loads


def _safe_prison_loads(value: str) -> Any:
    """prison.loads that fails with its own ParserException (a 400) on every bad input."""
    try:
        return _prison_loads(value)
    except prison.decoder.ParserException:
        raise
    except Exception as exc:  # e.g. RecursionError on "(((": FAB would answer 500
        raise prison.decoder.ParserException(str(exc)[:200]) from None


# FAB's `rison` decorator reads `prison.loads` at call time and only catches ParserException.
prison.loads = _safe_prison_loads
mend_openapi_document()


MAX_RELATED_IDS = 200  # rows one body may link at once (instructors, prerequisites...)
MAX_ROW_ID = 2**63 - 1  # ids are BIGINT


def _row_id_or_404(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A `pk` in the URL that cannot be a row id names no row: 404 before FAB's `int(pk)` fails."""
    pk = (values or {}).get("pk")
    if isinstance(pk, str) and pk.isascii() and pk.isdigit():
        pk = int(pk)
    if pk is None:
        return
    if not isinstance(pk, int) or not 0 <= pk <= MAX_ROW_ID:
        abort(404)
    values["pk"] = pk  # type: ignore[index]


def text_field(body: dict[str, Any], key: str, default: str = "") -> str:
    """The text under `key` (`default` when absent or null); any other JSON type is a 422."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise Invalid(gettext("'%(key)s' must be text.", key=key), {key: [gettext("Send text.")]})
    return value


class BaseModelRestApi(ModelRestApi):
    """ModelRestApi at /api/v1/<table name>, sharing read/write permissions with its view."""

    method_permission_name = READ_WRITE_PERMISSIONS
    add_exclude_columns = SYSTEM_COLUMNS
    edit_exclude_columns = SYSTEM_COLUMNS
    page_size = 25
    # Columns a client may leave out when creating: the service fills them (defaults, slugs...).
    optional_add_columns: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        datamodel = cls.__dict__.get("datamodel")
        if datamodel is not None and "resource_name" not in cls.__dict__:
            cls.resource_name = datamodel.obj.__tablename__

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Blueprint:
        """FAB's blueprint, where an id that is not a row id is a 404 on every route."""
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.url_value_preprocessor(_row_id_or_404)
        return blueprint

    def _init_model_schemas(self) -> None:
        """FAB's schemas, with `optional_add_columns` no longer required on create."""
        super()._init_model_schemas()
        for name in self.optional_add_columns:
            field = self.add_model_schema.fields.get(name)
            if field is not None:
                field.required = False

    def _normalize_body(self) -> Response | None:
        """Lookups may be named by code ({"status": "published"} as well as {"status": 12}); related
        rows must be named by integer ids. A bad reference is a 422 here, not a database error later."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return None
        lookups = lookup_relations(self.datamodel.obj)
        errors: dict[str, list[str]] = {}
        writable = set(self.add_columns or ()) | set(self.edit_columns or ())
        for relation in sa_inspect(self.datamodel.obj).relationships:
            name = relation.key
            if name not in writable or body.get(name) is None:
                continue  # FAB refuses fields it does not write; nothing to look up for them
            value = body[name]
            if name in lookups and isinstance(value, str):
                found = lookup_id(lookups[name], value)
                if found is None:
                    errors[name] = [gettext("Unknown code '%(code)s'.", code=value[:50])]
                else:
                    body[name] = found
                continue
            values = value if relation.uselist and isinstance(value, list) else [value]
            if len(values) > MAX_RELATED_IDS:
                errors[name] = [gettext("At most %(n)d items.", n=MAX_RELATED_IDS)]
                continue
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                errors[name] = [gettext("Give the id of an existing row.")]
                continue
            for row_id in values:
                row = db.session.get(relation.mapper.class_, row_id)
                if row is None or (name in lookups and row.type_id != lookup_type_id(lookups[name])):
                    errors[name] = [gettext("No such row: %(id)s.", id=row_id)]
                    break
        if errors:
            return self.response(422, message=gettext("The data is not valid."), errors=errors)
        request._cached_json = (body, body)  # what FAB's `request.json` reads next
        return None

    def post_headless(self) -> Response:
        """FAB's create, after `_normalize_body`."""
        return self._normalize_body() or super().post_headless()

    def put_headless(self, pk: Any) -> Response:
        """FAB's update, after `_normalize_body`."""
        return self._normalize_body() or super().put_headless(pk)

    def get_list_headless(self, **kwargs: Any) -> Response:
        """FAB's list, where a filter value the column cannot take is a 400, not a 500."""
        try:
            return super().get_list_headless(**kwargs)
        except (ApplyFilterException, DataError):
            db.session.rollback()
            return self.response(400, message=gettext("A filter value does not fit its column."))

    def response_500(self, message: str | None = None) -> Response:
        """FAB's `@safe` answers 500 for any exception: an AppError it caught keeps its own status."""
        exc = sys.exc_info()[1]
        db.session.rollback()  # nothing half-done stays in the session
        if isinstance(exc, AppError):
            return self.response(exc.status_code, message=exc.message, errors=exc.errors)
        return super().response_500(message=http_message(500))

    def response(self, code: int, **kwargs: Any) -> Response:
        """Every error carries `message` and `errors` (DESIGN "URLs and API conventions")."""
        if code >= 400:
            message = kwargs.get("message", "")
            if isinstance(message, dict):
                kwargs["errors"] = message
                kwargs["message"] = gettext("The data is not valid.")
            elif isinstance(message, str) and message.startswith("Database exception occurred"):
                kwargs["message"] = message.split(": ", 1)[-1]
            kwargs.setdefault("errors", {})
        return super().response(code, **kwargs)
