"""REST API for lookup types and values (/api/v1/lookup_type, /api/v1/lookup)."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.core.api import BaseModelRestApi
from app.core.errors import AppError
from app.core.interface import SQLAInterface
from app.extensions import db
from app.lookups.models import Lookup, LookupType
from app.lookups.services import check_system_change, check_system_delete

COMMON = ["id", "uuid", "code", "name_en", "name_ar", "sort_order", "display_order", "is_active", "is_system"]


class SystemLookupApi(BaseModelRestApi):
    """A system lookup's code, type, active state and existence are locked: 409 with the error shape."""

    def _refused(self, exc: AppError) -> Response:
        db.session.rollback()  # the loaded change must not reach the database
        return self.response(exc.status_code, message=exc.message, errors=exc.errors)

    def put_headless(self, pk: Any) -> Response:
        """FAB's update; a locked change is a 409 (FAB's `safe` would turn it into a 500)."""
        try:
            return super().put_headless(pk)
        except AppError as exc:
            return self._refused(exc)

    def delete_headless(self, pk: Any) -> Response:
        """FAB's (soft) delete; a system lookup is a 409."""
        try:
            return super().delete_headless(pk)
        except AppError as exc:
            return self._refused(exc)

    def pre_update(self, item: Any) -> None:
        """Refuse a locked change."""
        check_system_change(item)

    def pre_delete(self, item: Any) -> None:
        """Refuse deleting a system lookup."""
        check_system_delete(item)


class LookupTypeApi(SystemLookupApi):
    """Lookup types."""

    datamodel = SQLAInterface(LookupType)
    class_permission_name = "LookupType"
    list_columns = [*COMMON, "parent_id", "meta", "translations"]
    show_columns = list_columns
    search_columns = ["code", "name_en", "name_ar", "is_active", "parent"]
    add_columns = edit_columns = [
        "code",
        "name_en",
        "name_ar",
        "parent",
        "meta",
        "translations",
        "sort_order",
        "display_order",
        "is_active",
    ]
    order_columns = ["code", "sort_order", "name_en", "name_ar"]


class LookupApi(SystemLookupApi):
    """Lookup values; filter with `?q=(filters:!((col:type,opr:rel_o_m,value:ID)))`."""

    datamodel = SQLAInterface(Lookup)
    class_permission_name = "Lookup"
    list_columns = [
        *COMMON,
        "type_id",
        "type.code",
        "parent_id",
        "meta",
        "timezone",
        "translations",
    ]
    show_columns = list_columns
    search_columns = ["type", "code", "name_en", "name_ar", "is_active", "parent"]
    add_columns = edit_columns = [
        "type",
        "code",
        "name_en",
        "name_ar",
        "parent",
        "meta",
        "translations",
        "sort_order",
        "display_order",
        "is_active",
        "timezone",
    ]
    order_columns = ["code", "sort_order", "name_en", "name_ar"]
