"""The admin-only storage browser: Flask-Admin's FileAdmin over the local provider, behind FAB's RBAC."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, current_app, redirect, url_for
from flask_admin import Admin, AdminIndexView
from flask_admin.contrib.fileadmin import FileAdmin
from flask_admin.theme import Bootstrap4Theme
from flask_appbuilder import BaseView, expose, has_access

from app.extensions import appbuilder
from app.media.storage import configured_providers

PERMISSION = ("can_read", "StorageBrowser")


class GuardedFileAdmin(FileAdmin):
    """FileAdmin is open by default: only users holding FAB's StorageBrowser permission get in."""

    can_delete_dirs = False
    can_rename = False
    editable_extensions = ()
    # Flask-Admin's list without inline event handlers (the CSP blocks them).
    list_template = "lms/media/file_list.html"

    def is_accessible(self) -> bool:
        """FAB decides, as for every other screen."""
        return appbuilder.sm.has_access(*PERMISSION)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """The same answer as FAB's screens: 403."""
        abort(403)


class GuardedAdminIndex(AdminIndexView):
    """Flask-Admin's own home page, behind the same FAB permission."""

    def is_accessible(self) -> bool:
        """FAB decides."""
        return appbuilder.sm.has_access(*PERMISSION)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """403, as for FAB's screens."""
        abort(403)


class StorageBrowserView(BaseView):
    """The menu entry and permission of the storage browser."""

    route_base = "/admin/storage"
    default_view = "index"
    class_permission_name = "StorageBrowser"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self) -> Any:
        """Open the browser (mounted only when a local provider is configured)."""
        if "storage_files.index_view" not in current_app.view_functions:
            abort(404)
        return redirect(url_for("storage_files.index_view"))


def mount_storage_browser(app: Flask) -> None:
    """Mount FileAdmin at /admin/files over the local provider's folder, if there is one."""
    local = next((p for p in configured_providers(app.config) if p.url.startswith("osfs://")), None)
    if local is None:
        return
    path = local.url[len("osfs://") :].split("?", 1)[0]
    os.makedirs(path, exist_ok=True)
    index = GuardedAdminIndex(name="Storage", url="/admin/files", endpoint="storage_admin")
    admin = Admin(
        app,
        name="Storage",
        url="/admin/files",
        endpoint="storage_admin",
        index_view=index,
        theme=Bootstrap4Theme(base_template="lms/media/admin_base.html"),  # with the page's lang and dir
    )
    admin.add_view(GuardedFileAdmin(path, name="Files", endpoint="storage_files", url="/admin/files/local"))
