"""Core: conventions (ids, timestamps, soft delete), base views and APIs, tasks, real time."""

from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def register(appbuilder: AppBuilder) -> None:
    """Add the Trash screen."""
    from app.core.trash import TrashView

    appbuilder.add_view(
        TrashView,
        "Trash Bin",  # a menu name must differ from the view's permission name "Trash"
        label=_l("Trash"),
        icon="fa-trash-restore",
        category="Settings",
        category_label=_l("Settings"),
    )
