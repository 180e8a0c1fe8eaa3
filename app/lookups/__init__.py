"""Lookups: every enumerated value, bilingual, seeded from seed/lookups/*.yaml."""

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def register(appbuilder: AppBuilder) -> None:
    """Add the lookup screens and APIs."""
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
