"""Media library: validated uploads, storage providers with failover, signed downloads."""

from flask import current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l

FILE_TYPE_LABELS = {
    "jpeg": _l("JPEG image"),
    "png": _l("PNG image"),
    "gif": _l("GIF image"),
    "webp": _l("WebP image"),
    "pdf": _l("PDF document"),
    "zip": _l("ZIP archive"),
    "docx": _l("Word document"),
    "doc": _l("Word document"),
    "xlsx": _l("Excel workbook"),
    "xls": _l("Excel workbook"),
    "pptx": _l("PowerPoint presentation"),
    "ppt": _l("PowerPoint presentation"),
    "mp4": _l("MP4 video"),
    "mp3": _l("MP3 audio"),
    "ogg": _l("Ogg audio"),
    "wav": _l("WAV audio"),
    "webm": _l("WebM video"),
    "text": _l("Text file"),
}
# Types the sniffer names besides MIME_TYPES (MP4 and Ogg containers).
MORE_MIME_TYPES = {
    "video/mp4": _l("MP4 video"),
    "audio/mp4": _l("MP4 audio"),
    "video/quicktime": _l("QuickTime video"),
    "audio/ogg": _l("Ogg audio"),
    "video/ogg": _l("Ogg video"),
}


def register(appbuilder: AppBuilder) -> None:
    """Add the media screens, API, download route and storage browser; name file types in words."""
    from app.core.display import register_labels
    from app.media.validation.common import EXTENSION_FAMILY
    from app.media.validation.sniffing import MIME_TYPES

    register_labels("mime_type", {mime: FILE_TYPE_LABELS[family] for family, mime in MIME_TYPES.items()})
    register_labels("mime_type", MORE_MIME_TYPES)
    register_labels("extension", {ext: FILE_TYPE_LABELS[family] for ext, family in EXTENSION_FAMILY.items()})
    register_labels(
        "task",
        {
            "make_thumbnails": _l("make thumbnails"),
            "make_avatar_sizes": _l("make the sizes of an avatar"),
            "remove_expired_temporary_media": _l("remove expired temporary files"),
        },
    )
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
    _register_picker(appbuilder)
    mount_storage_browser(current_app)
    _register_avatars()


def _register_avatars() -> None:
    """`avatar_url(user, size)` and the avatar macro's helpers, for the templates of every layer."""
    from app.media import avatars

    current_app.jinja_env.globals.update(
        avatar_url=avatars.avatar_url,
        avatar_name=avatars.avatar_name,
        avatar_initials=avatars.avatar_initials,
        avatar_hue=avatars.avatar_hue,
    )


def _register_picker(appbuilder: AppBuilder) -> None:
    """The picker dialog's endpoints, and the hooks that let core's forms and editors use it."""
    from app.core.richtext import register_editor_setting
    from app.core.widgets import register_media_describer
    from app.media.choosing import describe
    from app.media.picker import MediaPickerView, picker_settings

    appbuilder.add_view_no_menu(MediaPickerView)
    register_media_describer(describe)
    register_editor_setting("mediaPicker", picker_settings)


def initialize() -> None:
    """`flask app init`: record each configured provider's role and (credential-free) URL."""
    from app.media.services import sync_provider_lookups

    sync_provider_lookups()
