"""Shared pieces of the assessment back office: row scoping, relation choices, object checks, labels.

Instructors see and change only the rows they manage (`services.scope.managed_clause`, registered with
`app.core.filters`, as the base filter `MANAGED`); every write is checked again on the object with
`services.scope.may_manage`, so a forged form naming another instructor's course, bank or rubric is
refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import flash, g, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import IntegerField, SelectField
from wtforms.validators import Optional

from app.assessments.services.scope import may_manage, require_manage
from app.core.errors import AppError
from app.core.filters import MANAGED
from app.core.html import sanitize_html
from app.core.targets import is_admin
from app.core.views import BaseModelView, guarded
from app.core.views import error_text as error_text  # (re-exported for the assessment screens)
from app.core.views import label_formatter as label_formatter
from app.courses.models import Enrollment
from app.courses.services.catalog import courses_taught_by

GRADING_METHOD_LABELS = {
    "highest": _l("Highest grade"),
    "last": _l("Last attempt"),
    "average": _l("Average of attempts"),
}
REVIEW_OPTION_LABELS = {
    "immediately": _l("Immediately after submitting"),
    "after_close": _l("After the quiz closes"),
    "never": _l("Never"),
}
LATE_POLICY_LABELS = {
    "penalty": _l("Accept with a penalty until the cut-off"),
    "refuse": _l("Refuse late work"),
}
ATTEMPT_STATE_LABELS = {
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "overdue": _l("Overdue"),
    "graded": _l("Graded"),
    "abandoned": _l("Abandoned"),
}
ITEM_TYPE_LABELS = {"quiz": _l("Quiz"), "assignment": _l("Assignment")}

COMMON_LABELS = {
    "id": _l("Id"),
    "title": _l("Title"),
    "description": _l("Description"),
    "course": _l("Course"),
    "course_id": _l("Course"),
    "lesson": _l("Lesson"),
    "position": _l("Position"),
    "owner": _l("Owner"),
    "user": _l("Student"),
    "weight": _l("Weight"),
    "is_required": _l("Required"),
    "is_published": _l("Published"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


def choice_field(label: Any, labels: dict[str, Any], default: str) -> SelectField:
    """A select of fixed codes shown with translated labels."""
    return SelectField(label, choices=list(labels.items()), default=default)


POSITION_FIELD = IntegerField(_l("Position"), validators=[Optional()], description=_l("Empty: at the end."))


# ---- filters ----------------------------------------------------------------------------------
class FilterEnrolledStudents(BaseFilter):
    """Users in dropdowns: admins every one; others the learners enrolled in courses they teach."""

    name = _l("Students of my courses")
    arg_name = "assessments_students"

    def apply(self, query: Any, value: Any) -> Any:
        """Restrict the user query to learners of taught courses unless the user is an admin."""
        user = g.get("user")
        if is_admin(user):
            return query
        taught = courses_taught_by(getattr(user, "id", None) or 0)
        return query.filter(
            self.model.id.in_(select(Enrollment.user_id).where(Enrollment.course_id.in_(taught)))
        )


STUDENTS = [["id", FilterEnrolledStudents, None]]
# Dropdown choices: courses and lessons the user teaches, their banks, rubrics, questions, quizzes...
RELATIONS = {
    name: MANAGED
    for name in ("course", "lesson", "bank", "rubric", "question", "quiz", "criterion", "assignment")
}
SEARCH_RELATIONS = {**RELATIONS, "user": STUDENTS, "student": STUDENTS}


# ---- times ------------------------------------------------------------------------------------
def user_zone(user: Any) -> ZoneInfo:
    """The user's timezone (UTC when unset or unknown)."""
    try:
        return ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_utc(value: datetime | None, user: Any) -> datetime | None:
    """A form's naive datetime, read in the user's timezone, as aware UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=user_zone(user)).astimezone(UTC)


def to_local(value: datetime | None, user: Any) -> datetime | None:
    """A stored datetime as the naive local time a form shows."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(user_zone(user)).replace(tzinfo=None)


def text_lines(value: Any) -> list[str]:
    """Non-blank lines of a textarea."""
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def comma_list(value: Any) -> list[str]:
    """Items of a comma-separated field."""
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


# ---- errors -----------------------------------------------------------------------------------
def checked(func: Any, *args: Any) -> None:
    """`guarded`, with the field problems of a refused change in the message FAB flashes."""
    try:
        guarded(func, *args)
    except AppError as exc:
        if not exc.errors:
            raise
        error = type(exc)(error_text(exc), exc.errors)
        error.status_code = exc.status_code
        raise error from None


# ---- the base view ----------------------------------------------------------------------------
class AssessmentView(BaseModelView):
    """A back-office screen of assessment rows, scoped to what the user manages."""

    base_filters = MANAGED
    label_columns = COMMON_LABELS
    add_form_query_rel_fields = edit_form_query_rel_fields = RELATIONS
    search_form_query_rel_fields = SEARCH_RELATIONS
    # Translated fields holding rich text (sanitized before they are stored; edited in the editor).
    rich_fields: tuple[str, ...] = ()
    # Datetime columns typed in the user's timezone.
    local_datetime_fields: tuple[str, ...] = ()

    @property
    def rich_text_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        """The rich text editor for exactly the fields sanitized here."""
        return self.rich_fields

    def prepare(self, item: Any) -> None:
        """Derived fields before the object check (owner, position, parsed text fields...)."""

    def validate(self, item: Any) -> None:
        """The row's own rules (a `services.*.check_*` function), after the object check."""

    def show_context(self, pk: Any) -> dict[str, Any]:
        """Extra values for the show page's template."""
        return {}

    def list_context(self) -> dict[str, Any]:
        """Extra values for the list page's template."""
        return {}

    def render_template(self, template: str, **kwargs: Any) -> Any:
        """Add the view's extra values to its show and list pages."""
        if template == self.show_template and "pk" in kwargs:
            kwargs.update(self.show_context(kwargs["pk"]))
        elif template == self.list_template:
            kwargs.update(self.list_context())
        return super().render_template(template, **kwargs)

    def _sanitize(self, item: Any) -> None:
        if not self.rich_fields:
            return
        item.translations = {
            lang: {k: (sanitize_html(v) if k in self.rich_fields else v) for k, v in (texts or {}).items()}
            for lang, texts in (item.translations or {}).items()
        }

    def _times(self, item: Any) -> None:
        for name in self.local_datetime_fields:
            value = item.__dict__.get(name)
            if isinstance(value, datetime):
                setattr(item, name, to_utc(value, g.user))

    def _checked(self, item: Any) -> None:
        self._sanitize(item)
        self._times(item)
        checked(self.prepare, item)
        checked(require_manage, g.user, item)
        checked(self.validate, item)

    def pre_add(self, item: Any) -> None:
        """Merge translations, derive fields, then refuse rows the user does not manage."""
        super().pre_add(item)
        self._checked(item)

    def pre_update(self, item: Any) -> None:
        """The same checks as when adding, on the changed row."""
        super().pre_update(item)
        self._checked(item)

    def pre_delete(self, item: Any) -> None:
        """Only those who manage the row delete it."""
        checked(require_manage, g.user, item)

    def prefill_form(self, form: Any, pk: Any) -> None:
        """Translations, and datetimes in the user's timezone."""
        super().prefill_form(form, pk)
        if not self.local_datetime_fields:
            return
        item = self.datamodel.get(pk, self._base_filters)
        for name in self.local_datetime_fields:
            field = getattr(form, name, None)
            if field is not None and item is not None:
                field.data = to_local(getattr(item, name), g.user)

    @action(
        "soft_delete_selected",
        _l("Delete"),
        _l("Delete all the selected records? Admins can restore them from the Trash."),
        "fa-trash",
        single=False,
    )
    def soft_delete_selected(self, items: Any) -> Any:
        """Soft delete the selected rows the user manages; each row passes the delete check."""
        items = items if isinstance(items, list) else [items]
        deleted = 0
        for item in items:
            if not may_manage(g.user, item):
                continue
            try:
                self.pre_delete(item)
            except AppError as exc:
                flash(f"{item}: {exc.message}", "warning")
                continue
            self.datamodel.delete(item)
            deleted += 1
        flash(gettext("%(count)d record(s) deleted.", count=deleted), "success")
        return redirect(self.get_redirect())
