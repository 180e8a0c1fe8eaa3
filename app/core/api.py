"""The HTTP kit of every module's REST API: the base classes, JSON body helpers and the service runner.

`BaseModelRestApi`: FAB's ModelRestApi with shared read/write permissions, lookups by code, safe errors.
`ServiceApi`: plus row-scoped objects (`scoped`), `_info` form fields for writers only, and `run`, which
calls an action body in one `transaction()` and answers an AppError with its status and the one error
shape `{"message", "errors"}`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import jsonschema
import prison
from flask import Blueprint, Response, abort, request
from flask_appbuilder import api as fab_api
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.const import PERMISSION_PREFIX
from flask_appbuilder.exceptions import ApplyFilterException
from flask_babel import gettext
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DataError

from app.core.errors import AppError, Invalid, NotFound, http_message
from app.core.listing import ListCount
from app.core.openapi import mend_openapi_document
from app.core.permissions import READ_WRITE_PERMISSIONS
from app.core.references import lookup_id, lookup_type_id
from app.core.transactions import transaction
from app.core.views import SYSTEM_COLUMNS, lookup_choice_filters, lookup_relations
from app.extensions import db

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


class _PrecheckedJsonSchema:
    """Stands in for `jsonschema` inside flask_appbuilder.api: FAB 5.3.0 calls `jsonschema.validate`,
    which checks the schema itself (`check_schema`) on every request, about 15 % of a list call.
    Each schema is checked once and validated with a kept validator; errors are the same."""

    ValidationError = jsonschema.ValidationError

    def __init__(self) -> None:
        self.validators: dict[int, tuple[dict[str, Any], Any]] = {}

    def validate(self, instance: Any, schema: dict[str, Any]) -> None:
        """jsonschema.validate, without checking a schema it has already seen."""
        kept = self.validators.get(id(schema))
        if kept is None or kept[0] is not schema:  # the schema is kept, so its id is not reused
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            kept = self.validators[id(schema)] = (schema, cls(schema))
        error = jsonschema.exceptions.best_match(kept[1].iter_errors(instance))
        if error is not None:
            raise error


fab_api.jsonschema = _PrecheckedJsonSchema()


MAX_RELATED_IDS = 200  # rows one body may link at once (instructors, prerequisites...)
MAX_BIGINT = 2**63 - 1  # ids are BIGINT
# Columns every API shows first.
SYSTEM = ["id", "uuid", "created_at", "updated_at"]
READ_ONLY_ROUTES = {"get", "get_list", "info"}
CRUD_ROUTES = READ_ONLY_ROUTES | {"post", "put", "delete"}


# ---- JSON bodies and values --------------------------------------------------------------------
def json_body() -> dict[str, Any]:
    """The body as a JSON object, empty when there is none or it is not an object."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def json_object() -> dict[str, Any]:
    """The body as a JSON object: empty for no body, 400 for anything else than an object."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AppError(gettext("Send a JSON object."), {"body": [gettext("Send a JSON object.")]})
    return body


def ordered_ids(body: dict[str, Any], key: str) -> list[int]:
    """The list under `key` (the reorder services check its items); 422 when it is not a list."""
    value = body.get(key)
    if not isinstance(value, list):
        raise Invalid(gettext("Send the ids in order in '%(key)s'.", key=key), {key: [gettext("Required.")]})
    return value


def query_number(name: str, default: int) -> int:
    """A whole number from the query string (`?page=2`), the default when absent, 422 otherwise."""
    value = request.args.get(name, str(default))
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        raise Invalid(
            gettext("%(name)s must be a number.", name=name), {name: [gettext("Must be a number.")]}
        )
    return int(value)


def iso(moment: datetime | None) -> str | None:
    """A datetime as ISO 8601 (None stays None)."""
    return moment.isoformat() if moment is not None else None


def flag(body: dict[str, Any], field: str, default: bool | None = None) -> bool:
    """A boolean field of a body (the default when absent; 422 when missing without one or not a boolean)."""
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise Invalid(
            gettext("'%(field)s' must be true or false.", field=field), {field: [gettext("Not a boolean.")]}
        )
    return value


def text_field(body: dict[str, Any], field: str, *, default: str | None = None, limit: int = 128) -> str:
    """A non-blank text field of a body, at most `limit` characters (422 otherwise)."""
    value = body.get(field, default)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(
            gettext("'%(field)s' must be text.", field=field), {field: [gettext("This field is required.")]}
        )
    if len(value) > limit:
        raise Invalid(gettext("'%(field)s' is too long.", field=field), {field: [str(limit)]})
    return value.strip()


def url_id(pk: Any) -> int | None:
    """The id of a URL as a number in range, or None."""
    text = str(pk)
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_BIGINT else None


def _row_id_or_404(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A `pk` in the URL that cannot be a row id names no row: 404 before FAB's `int(pk)` fails."""
    pk = (values or {}).get("pk")
    if isinstance(pk, str) and pk.isascii() and pk.isdigit():
        pk = int(pk)
    if pk is None:
        return
    if not isinstance(pk, int) or not 0 <= pk <= MAX_BIGINT:
        abort(404)
    values["pk"] = pk  # type: ignore[index]


def optional_text(body: dict[str, Any], key: str, default: str = "") -> str:
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
        """Every error carries `message` and `errors` (DESIGN "URLs and API conventions").

        A list says `count_capped: true` when more rows matched than `count` (`LIST_COUNT_CAP`).
        """
        if isinstance(kwargs.get("count"), ListCount):
            kwargs["count_capped"] = kwargs["count"].capped
        if code >= 400:
            message = kwargs.get("message", "")
            if isinstance(message, dict):
                kwargs["errors"] = message
                kwargs["message"] = gettext("The data is not valid.")
            elif isinstance(message, str) and message.startswith("Database exception occurred"):
                kwargs["message"] = message.split(": ", 1)[-1]
            kwargs.setdefault("errors", {})
        return super().response(code, **kwargs)


class ServiceApi(BaseModelRestApi):
    """Row-scoped objects for actions, `_info` fields for writers only, service calls through `run`."""

    add_query_rel_fields: dict[str, Any]
    edit_query_rel_fields: dict[str, Any]

    def __init__(self) -> None:
        super().__init__()
        lookups = {
            rel: lookup_choice_filters(code) for rel, code in lookup_relations(self.datamodel.obj).items()
        }
        self.add_query_rel_fields = {**lookups, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**lookups, **(self.edit_query_rel_fields or {})}

    def _may_write(self) -> bool:
        """True when this API has a create or update route and the user holds its write permission."""
        routes = self.include_route_methods
        if routes is not None and not {"post", "put"} & set(routes):
            return False
        permission = self.method_permission_name.get("post", "write")
        return bool(self.appbuilder.sm.has_access(PERMISSION_PREFIX + permission, self.class_permission_name))

    def _get_fields_info(self, cols: Any, model_schema: Any, filter_rel_fields: Any, **kwargs: Any) -> Any:
        """`_info`'s form fields (with relation choices) only for users who may write through this API."""
        if not self._may_write():
            return []
        return super()._get_fields_info(cols, model_schema, filter_rel_fields, **kwargs)

    def error(self, exc: AppError) -> Response:
        """The one error shape; the half-applied change is dropped."""
        db.session.rollback()
        return self.response(exc.status_code, message=exc.message, errors=exc.errors)

    def run(self, func: Callable[[], Response]) -> Response:
        """Call an action body in one transaction (committed once on success); AppError -> its response."""
        try:
            with transaction():
                return func()
        except AppError as exc:
            return self.error(exc)

    def scoped(self, pk: Any) -> Any:
        """The row if the user may see it, else NotFound (ids that are not numbers in range too)."""
        number = url_id(pk)
        item = None if number is None else self.datamodel.get(number, self._base_filters)
        if item is None:
            raise NotFound()
        return item

    _pk = staticmethod(url_id)

    def dump(self, item: Any) -> Response:
        """200 with the object's fields."""
        return self.response(200, id=item.id, result=self.show_model_schema.dump(item))

    def _refuse_non_object(self) -> Response | None:
        """400 for a JSON body that is not an object."""
        if request.is_json and not isinstance(request.get_json(silent=True), dict):
            return self.response(
                400, message=gettext("Send a JSON object."), errors={"body": [gettext("Not an object.")]}
            )
        return None
