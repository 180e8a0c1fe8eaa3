"""The base every assessments REST API shares: row-scoped reads, object-checked writes, safe errors.

Reads are filtered with `scope.readable_clause` (a learner's own attempts, submissions and
certificates; the staff's courses, banks and rubrics). Writes name related rows by id (`course_id`,
`quiz_id`, `bank_id`...): each id is resolved (an unknown one is a 422), then the old and the new
state of the object go through `scope.require_manage`, so a forged id of another instructor's course,
quiz or bank is a 403.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _
from sqlalchemy import BigInteger, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from app.assessments.services.access import lesson_open
from app.assessments.services.scope import readable_clause, require_manage
from app.core.api import CRUD_ROUTES as CRUD_ROUTES  # (re-exported for the API files)
from app.core.api import MAX_BIGINT, ServiceApi, json_object
from app.core.api import READ_ONLY_ROUTES as READ_ONLY_ROUTES
from app.core.api import iso as iso
from app.core.errors import Invalid, TooLarge
from app.core.html import sanitize_html
from app.core.translations import LANGUAGES
from app.extensions import db

MAX_INT = 2**31 - 1
MAX_FILES = 20


class FilterReadable(BaseFilter):
    """Rows the API shows the user (`scope.readable_clause`; admins: all)."""

    name = "Readable rows"
    arg_name = "readable"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the query to the rows the user may read."""
        return query.filter(readable_clause(self.model, g.get("user")))


READABLE = [["id", FilterReadable, None]]


def text_or_none(value: Any, field: str) -> str | None:
    """A text field of a body: None, or a string (422 otherwise)."""
    if value is None or isinstance(value, str):
        return value
    raise Invalid(_("'%(field)s' must be text.", field=field), {field: [_("Must be text.")]})


def row_id(value: Any, field: str, limit: int = MAX_BIGINT) -> int:
    """A positive integer id from a body (422 for anything else, booleans and huge numbers included)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= limit:
        raise Invalid(_("'%(field)s' must be the id of an existing row.", field=field), {field: [str(value)]})
    return value


def fetch(model: type, value: Any, field: str, limit: int = MAX_BIGINT) -> Any:
    """The (not deleted) row of `model` with that id, or 422."""
    found = db.session.scalar(select(model).where(model.id == row_id(value, field, limit)))
    if found is None:
        raise Invalid(_("No such row: %(id)s.", id=value), {field: [_("No such row.")]})
    return found


def body_object() -> dict[str, Any]:
    """A form (multipart) or a JSON object; 400 for a body that is neither."""
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return request.form.to_dict()
    return json_object()


def uploaded_files(field: str = "file") -> list[tuple[str, bytes]]:
    """The files of a multipart field as (name, bytes); 413 when the request is too large."""
    try:
        uploads: list[FileStorage] = request.files.getlist(field)
        if len(uploads) > MAX_FILES:
            raise Invalid(_("At most %(n)d files at once.", n=MAX_FILES), {field: [str(len(uploads))]})
        return [(upload.filename or "file", upload.read()) for upload in uploads if upload.filename]
    except RequestEntityTooLarge:
        raise TooLarge() from None


def sanitize_translations(item: Any, fields: tuple[str, ...]) -> None:
    """Rich-text fields of `translations` cleaned with nh3 (titles stay plain text, escaped on output)."""
    data = item.translations or {}
    cleaned = {
        lang: {k: (sanitize_html(v) if k in fields and isinstance(v, str) else v) for k, v in texts.items()}
        for lang, texts in data.items()
        if isinstance(texts, dict)
    }
    if cleaned != data:
        item.translations = cleaned


def require_title(item: Any) -> None:
    """A title in English or Arabic (422 otherwise)."""
    data = item.translations or {}
    if not any(str((data.get(lang) or {}).get("title") or "").strip() for lang in LANGUAGES):
        raise Invalid(_("Give a title in English or Arabic."), {"translations": [_("A title is required.")]})


def link_relations(item: Any, columns: set[str]) -> None:
    """Point each many-to-one relationship at the row its written id names (422 for unknown ids), so
    that the object checks see the new parents; nothing is flushed or added to a collection."""
    for rel in sa_inspect(type(item)).relationships:
        if rel.direction is not MANYTOONE or len(rel.local_columns) != 1:
            continue
        column = next(iter(rel.local_columns))
        if column.key not in columns:
            continue
        value = getattr(item, column.key)
        if value is None:
            if column.nullable:
                set_committed_value(item, rel.key, None)
                continue
            raise Invalid(_("'%(field)s' is required.", field=column.key), {column.key: [_("Required.")]})
        limit = MAX_BIGINT if isinstance(column.type, BigInteger) else MAX_INT
        set_committed_value(item, rel.key, fetch(rel.mapper.class_, value, column.key, limit))


class AssessmentApiBase(ServiceApi):
    """Row-scoped reads, writes checked with `require_manage` on the old and new state."""

    base_filters = READABLE
    add_query_rel_fields: dict[str, Any] = {}
    edit_query_rel_fields: dict[str, Any] = {}
    # Fields of `translations` holding rich text (sanitized); a title is required when True.
    rich_text_fields: tuple[str, ...] = ()
    needs_title = False
    # Read-only columns a learner must not see unless `revealed` says so (see `pre_get_list`).
    secret_columns: tuple[str, ...] = ()

    def _written_columns(self) -> set[str]:
        """The columns a body may write (for creating or updating)."""
        return set(self.add_columns or ()) | set(self.edit_columns or ())

    # ---- writes ------------------------------------------------------------------------------
    def prepare(self, item: Any) -> None:
        """Resolve written ids, clean rich text, require a title where the model has one."""
        link_relations(item, self._written_columns())
        if self.rich_text_fields:
            sanitize_translations(item, self.rich_text_fields)
        if self.needs_title:
            require_title(item)

    def check(self, item: Any) -> None:
        """Rules of the object beyond who may write it (dates in order, parents that match...)."""

    def _checked(self, item: Any) -> None:
        """Prepare, check the user manages the object, then its own rules (nothing flushed)."""
        with db.session.no_autoflush:
            self.prepare(item)
            require_manage(g.user, item)
            self.check(item)

    def pre_add(self, item: Any) -> None:
        """The new object: ids resolved, the user manages it, its rules hold."""
        self._checked(item)

    def pre_update(self, item: Any) -> None:
        """The changed object: ids resolved, the user manages it, its rules hold."""
        self._checked(item)

    def post_add(self, item: Any) -> None:
        """Nothing to attach."""

    def post_update(self, item: Any) -> None:
        """Nothing to attach."""

    def pre_delete(self, item: Any) -> None:
        """Only those who manage the row delete it."""
        require_manage(g.user, item)

    def post_headless(self) -> Response:
        """FAB's create for a JSON object body, with the checks of `pre_add`."""
        return self._refuse_non_object() or self.run(super().post_headless)

    def put_headless(self, pk: Any) -> Response:
        """FAB's update for a JSON object body: the stored object is checked first, then the new one."""
        refused = self._refuse_non_object()
        if refused is not None:
            return refused

        def act() -> Response:
            if self._pk(pk) is None:
                return self.response_404()
            old = self._stored(pk)
            if old is not None:
                with db.session.no_autoflush:
                    require_manage(g.user, old)
            return super(AssessmentApiBase, self).put_headless(pk)

        return self.run(act)

    def delete_headless(self, pk: Any) -> Response:
        """FAB's (soft) delete; an id that is not a number is simply not found."""
        if self._pk(pk) is None:
            return self.response_404()
        return self.run(lambda: super(AssessmentApiBase, self).delete_headless(pk))

    def get_headless(self, pk: Any, **kwargs: Any) -> Response:
        """FAB's show; an id that is not a number is simply not found."""
        if self._pk(pk) is None:
            return self.response_404()
        return super().get_headless(pk, **kwargs)

    def _stored(self, pk: Any) -> Any:
        """The stored row if the user may read it, else None."""
        number = self._pk(pk)
        return None if number is None else self.datamodel.get(number, self._base_filters)

    # ---- reads -------------------------------------------------------------------------------
    def revealed(self, ids: list[int]) -> set[int]:
        """Ids of rows whose `secret_columns` the user may see (all by default)."""
        return set(ids)

    def _redact(self, pairs: list[tuple[Any, dict[str, Any]]]) -> None:
        """Drop `secret_columns` from the rows the user may not see them in."""
        if not self.secret_columns or not pairs:
            return
        shown = self.revealed([int(pk) for pk, _row in pairs])
        for pk, row in pairs:
            if int(pk) not in shown:
                for column in self.secret_columns:
                    row.pop(column, None)

    def pre_get(self, data: dict[str, Any]) -> None:
        """Drop the secret columns the user may not see yet."""
        self._redact([(data["id"], data["result"])])

    def pre_get_list(self, data: dict[str, Any]) -> None:
        """Drop the secret columns the user may not see yet, row by row."""
        self._redact(list(zip(data.get("ids", []), data.get("result", []), strict=False)))


class LessonContentApi(AssessmentApiBase):
    """Quizzes and assignments: their texts stay hidden while their lesson is closed to the learner."""

    secret_columns = ("translations",)

    def revealed(self, ids: list[int]) -> set[int]:
        """Rows whose lesson the user may open (staff: all)."""
        model = self.datamodel.obj
        rows = db.session.scalars(select(model).where(model.id.in_(ids)))
        return {row.id for row in rows if lesson_open(g.user, row)}
