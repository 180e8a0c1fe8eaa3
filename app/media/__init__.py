"""Media library: validated uploads, storage providers with failover, signed downloads."""

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l


def register(appbuilder: AppBuilder) -> None:
    """Add the media screens, API, download route and storage browser."""
    from app.media.api import MediaApi
    from app.media.browser import StorageBrowserView, mount_storage_browser
    from app.media.views import MediaModelView, media_files

    appbuilder.add_view(
        MediaModelView,
        "Media Library",
        label=_l("Media Library"),
        icon="fa-photo-film",
        category="Content",
        category_label=_l("Content"),
        category_icon="fa-folder-open",
    )
    appbuilder.add_link(
        "Upload files",
        label=_l("Upload files"),
        href="/mediamodelview/upload",
        icon="fa-upload",
        category="Content",
    )
    appbuilder.add_view(
        StorageBrowserView,
        "Storage Browser",
        label=_l("Storage Browser"),
        icon="fa-hard-drive",
        category="Settings",
    )
    appbuilder.add_api(MediaApi)
    current_app.register_blueprint(media_files)
    mount_storage_browser(current_app)


def initialize() -> None:
    """`flask app init`: record each configured provider's role and (credential-free) URL."""
    from app.media.services import sync_provider_lookups

    sync_provider_lookups()
