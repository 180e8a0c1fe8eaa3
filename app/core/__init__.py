"""Core: conventions (ids, timestamps, soft delete), base views and APIs, tasks, real time."""

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def register(appbuilder: AppBuilder) -> None:
    """Add the Trash screen; give templates the editor's settings."""
    from app.core.richtext import editor_config
    from app.core.trash import TrashView

    current_app.jinja_env.globals["editor_config"] = editor_config

    appbuilder.add_view(
        TrashView,
        "Trash Bin",  # a menu name must differ from the view's permission name "Trash"
        label=_l("Trash"),
        icon="fa-trash-restore",
        category="Settings",
        category_label=_l("Settings"),
    )
