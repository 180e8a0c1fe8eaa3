"""REST API for lookup types and values (/api/v1/lookup_type, /api/v1/lookup)."""

from __future__ import annotations

from app.core.api import BaseModelRestApi
from app.core.interface import SQLAInterface
from app.lookups.models import Lookup, LookupType

COMMON = ["id", "uuid", "code", "name_en", "name_ar", "sort_order", "display_order", "is_active"]


class LookupTypeApi(BaseModelRestApi):
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


class LookupApi(BaseModelRestApi):
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
