"""FAB's data interface with soft delete and database errors that never leak SQL."""

from __future__ import annotations

from typing import Any, NoReturn

from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface as FabSQLAInterface
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.core.errors import Conflict
from app.core.models import SoftDeleteMixin
from app.core.softdelete import soft_delete


def _raise_safe_database_error() -> NoReturn:
    """Raise a DatabaseException whose message and cause (FAB shows both) are fit for a user."""
    message = _("The record could not be saved: it conflicts with existing data.")
    raise DatabaseException(message) from Conflict(message)


class SQLAInterface(FabSQLAInterface):
    """FAB's SQLAInterface where delete is a soft delete and errors are safe to show."""

    def add(self, item: Any, commit: bool = True) -> None:
        """Insert; a constraint violation becomes a safe DatabaseException."""
        try:
            super().add(item, commit)
        except SQLAlchemyError:
            _raise_safe_database_error()

    def edit(self, item: Any, commit: bool = True) -> None:
        """Update; a constraint violation becomes a safe DatabaseException."""
        try:
            super().edit(item, commit)
        except DatabaseException:
            _raise_safe_database_error()

    def delete(self, item: Any, commit: bool = True) -> None:
        """Soft delete a row of a soft-deletable model (nothing is physically deleted)."""
        if not isinstance(item, SoftDeleteMixin):
            raise DatabaseException(_("This record cannot be deleted."))
        try:
            soft_delete(item)
            if commit:
                self.session.commit()
        except SQLAlchemyError:
            self.session.rollback()
            _raise_safe_database_error()

    def delete_all(self, items: list[Any]) -> None:
        """Soft delete many rows; ids already gone arrive as None and are skipped."""
        for item in items:
            if item is not None:
                self.delete(item, commit=False)
        self.session.commit()
