"""Lookups: every enumerated value, bilingual, seeded from seed/lookups/*.yaml."""

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def register(appbuilder: AppBuilder) -> None:
    """Tell the base classes how lookup codes become ids; add the lookup screens and APIs."""
    from app.core.references import register_lookup_resolver
    from app.lookups.services import lookup_choices, lookup_id, lookup_type_id

    register_lookup_resolver(lookup_type_id, lookup_id, lookup_choices)
    from app.lookups.api import LookupApi, LookupTypeApi
    from app.lookups.views import LookupModelView, LookupTypeModelView

    appbuilder.add_view(
        LookupTypeModelView,
        "Lookup Types",
        label=_l("Lookup Types"),
        icon="fa-list",
        category="Settings",
        category_label=_l("Settings"),
        category_icon="fa-sliders",
    )
    appbuilder.add_view(
        LookupModelView,
        "Lookups",
        label=_l("Lookups"),
        icon="fa-tags",
        category="Settings",
    )
    appbuilder.add_api(LookupTypeApi)
    appbuilder.add_api(LookupApi)
