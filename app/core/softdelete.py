"""Global soft delete: deleted rows are hidden from every ORM query unless it asks for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.attributes import set_committed_value

from app.core.models import SoftDeleteMixin, utcnow

INCLUDE_DELETED = "include_deleted"


@event.listens_for(Session, "do_orm_execute")
def _hide_soft_deleted(state: ORMExecuteState) -> None:
    """Add `is_deleted = false` to every SELECT, relationship loads included."""
    if (
        state.is_select
        and not state.is_column_load
        and not state.execution_options.get(INCLUDE_DELETED, False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(
                SoftDeleteMixin,
                lambda cls: cls.is_deleted.is_(False),
                include_aliases=True,
            )
        )


def soft_delete(item: SoftDeleteMixin) -> None:
    """Mark one row deleted (the caller commits); the audit listener records it."""
    if not item.is_deleted:
        item.is_deleted = True
        item.deleted_at = utcnow()


def restore(item: SoftDeleteMixin) -> None:
    """Bring a soft-deleted row back (the caller commits)."""
    if item.is_deleted:
        item.is_deleted = False
        item.deleted_at = None


def soft_deletable_models() -> list[type[Any]]:
    """Every mapped class with soft delete, sorted by table name."""
    from flask_appbuilder import Model

    return sorted(
        (
            mapper.class_
            for mapper in Model.registry.mappers
            if issubclass(mapper.class_, SoftDeleteMixin)
            # a subclass on the same table (LmsUser over FAB's User) counts once
            and not (mapper.inherits and issubclass(mapper.inherits.class_, SoftDeleteMixin))
        ),
        key=lambda cls: cls.__tablename__,
    )


def deleted_counts() -> list[tuple[type[Any], int]]:
    """(model, number of soft-deleted rows) for every soft-deletable model."""
    from app.extensions import db

    counts = []
    for model in soft_deletable_models():
        stmt = (
            select(func.count())
            .select_from(model)
            .where(model.is_deleted.is_(True))
            .execution_options(**{INCLUDE_DELETED: True})
        )
        counts.append((model, db.session.execute(stmt).scalar_one()))
    return counts


def deleted_rows(model: type[Any], page: int, page_size: int) -> list[Any]:
    """One page of a model's soft-deleted rows, newest deletion first."""
    from app.extensions import db

    stmt = (
        select(model)
        .where(model.is_deleted.is_(True))
        .order_by(model.deleted_at.desc(), model.id.desc())
        .limit(page_size)
        .offset(page * page_size)
        .execution_options(**{INCLUDE_DELETED: True})
    )
    return list(db.session.scalars(stmt))


_RESTORE_HOOKS: dict[type, list[Callable[[list[Any]], None]]] = {}


def on_restore(model: type[Any], hook: Callable[[list[Any]], None]) -> None:
    """Call `hook(rows)` after rows of the model come back from the Trash (to fix counters...)."""
    hooks = _RESTORE_HOOKS.setdefault(model, [])
    if hook not in hooks:  # register() runs once per app; tools may build several apps
        hooks.append(hook)


def restore_ids(model: type[Any], ids: list[int]) -> int:
    """Restore the given soft-deleted rows of a model (flushed: the caller commits); returns how many."""
    from app.extensions import db

    stmt = select(model).where(model.id.in_(ids)).execution_options(**{INCLUDE_DELETED: True})
    restored = []
    for item in db.session.scalars(stmt):
        if item.is_deleted:
            restore(item)
            restored.append(item)
    db.session.flush()
    for hook in _RESTORE_HOOKS.get(model, []):
        hook(restored)
    return len(restored)


def parent(item: Any, name: str) -> Any:
    """`item.<name>` (a many-to-one), even when that parent is in the trash.

    Relationship loads hide soft-deleted rows, so the child of a deleted parent sees None. The
    parent is then read by its id and kept on the child: `item.<name>` gives it from now on.
    """
    from app.extensions import db

    value = getattr(item, name)
    if value is not None:
        return value
    mapper = sa_inspect(type(item))
    relationship = mapper.relationships[name]
    (column,) = relationship.local_columns
    key = getattr(item, mapper.get_property_by_column(column).key)
    if key is None:
        return None
    options = {INCLUDE_DELETED: True}
    value = db.session.get(relationship.mapper.class_, key, execution_options=options)
    set_committed_value(item, name, value)
    return value


def with_parents(item: Any, *paths: str) -> Any:
    """Load each dotted chain of parents (`"quiz.course"`) with `parent`, trashed ones included;
    returns the item, whose parents then read as usual (`item.quiz.course`)."""
    for path in paths:
        current = item
        for name in path.split("."):
            if current is None:
                break
            current = parent(current, name)
    return item


def trashed_name(item: Any) -> str:
    """A row's name, followed by "(deleted)" when it is in the trash (as its children show it)."""
    from flask_babel import gettext

    if item is None:
        return ""
    return f"{item} {gettext('(deleted)')}" if getattr(item, "is_deleted", False) else str(item)
