"""Back-office screens for lookup types and values, in both languages."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect
from flask_appbuilder.actions import action
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.core.errors import AppError
from app.core.interface import SQLAInterface
from app.core.views import BaseModelView, guarded
from app.lookups.models import Lookup, LookupType
from app.lookups.services import check_system_change, check_system_delete

LABELS = {
    "code": _l("Code"),
    "name_en": _l("Name (English)"),
    "name_ar": _l("Name (Arabic)"),
    "name": _l("Name"),
    "type": _l("Type"),
    "parent": _l("Parent"),
    "meta": _l("Metadata"),
    "sort_order": _l("Sort order"),
    "display_order": _l("Display order"),
    "is_active": _l("Active"),
    "is_system": _l("System value"),
    "timezone": _l("Timezone"),
    "description": _l("Description"),
    "values": _l("Values"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


class SystemLookupGuard(BaseModelView):
    """Refuses, with a flash, changing a system lookup's code, type or active state, or deleting it."""

    def pre_update(self, item: Any) -> None:
        """Translations as usual; a locked change is undone (nothing autoflushes it) and refused."""
        super().pre_update(item)
        guarded(check_system_change, item)

    def pre_delete(self, item: Any) -> None:
        """A system lookup is never deleted."""
        check_system_delete(item)

    @action(
        "soft_delete_selected",
        _l("Delete"),
        _l("Delete all the selected records? Admins can restore them from the Trash."),
        "fa-trash",
        single=False,
    )
    def soft_delete_selected(self, items: Any) -> Any:
        """Soft delete the selected rows; system lookups are skipped with a message."""
        items = items if isinstance(items, list) else [items]
        deleted = []
        for item in items:
            try:
                check_system_delete(item)
            except AppError as exc:
                flash(exc.message, "warning")
                continue
            deleted.append(item)
        self.datamodel.delete_all(deleted)
        flash(gettext("%(count)d record(s) deleted.", count=len(deleted)), "success")
        return redirect(self.get_redirect())


class LookupModelView(SystemLookupGuard):
    """Every lookup value; filter by type."""

    datamodel = SQLAInterface(Lookup)
    class_permission_name = "Lookup"
    list_title = _l("Lookups")
    show_title = add_title = edit_title = _l("Lookup")
    label_columns = LABELS
    list_columns = ["type", "code", "name_en", "name_ar", "sort_order", "is_active", "is_system"]
    search_columns = ["type", "code", "name_en", "name_ar", "is_active", "parent"]
    show_columns = [
        "type",
        "code",
        "name_en",
        "name_ar",
        "parent",
        "meta",
        "sort_order",
        "display_order",
        "is_active",
        "is_system",
        "timezone",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "type",
        "code",
        "name_en",
        "name_ar",
        "parent",
        "sort_order",
        "display_order",
        "is_active",
        "timezone",
    ]
    base_order = ("sort_order", "asc")


class LookupTypeModelView(SystemLookupGuard):
    """Lookup types with their values below."""

    datamodel = SQLAInterface(LookupType)
    class_permission_name = "LookupType"
    list_title = _l("Lookup Types")
    show_title = add_title = edit_title = _l("Lookup Type")
    label_columns = LABELS
    list_columns = ["code", "name_en", "name_ar", "parent", "is_active", "is_system"]
    search_columns = ["code", "name_en", "name_ar", "is_active"]
    show_columns = [
        "code",
        "name_en",
        "name_ar",
        "parent",
        "meta",
        "sort_order",
        "display_order",
        "is_active",
        "is_system",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = [
        "code",
        "name_en",
        "name_ar",
        "parent",
        "sort_order",
        "display_order",
        "is_active",
    ]
    related_views = [LookupModelView]
    base_order = ("code", "asc")
