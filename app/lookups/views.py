"""Back-office screens for lookup types and values, in both languages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.interface import SQLAInterface
from app.core.views import BaseModelView
from app.lookups.models import Lookup, LookupType

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
    "timezone": _l("Timezone"),
    "description": _l("Description"),
    "values": _l("Values"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


class LookupModelView(BaseModelView):
    """Every lookup value; filter by type."""

    datamodel = SQLAInterface(Lookup)
    class_permission_name = "Lookup"
    list_title = _l("Lookups")
    show_title = add_title = edit_title = _l("Lookup")
    label_columns = LABELS
    list_columns = ["type", "code", "name_en", "name_ar", "sort_order", "is_active"]
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


class LookupTypeModelView(BaseModelView):
    """Lookup types with their values below."""

    datamodel = SQLAInterface(LookupType)
    class_permission_name = "LookupType"
    list_title = _l("Lookup Types")
    show_title = add_title = edit_title = _l("Lookup Type")
    label_columns = LABELS
    list_columns = ["code", "name_en", "name_ar", "parent", "is_active"]
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
