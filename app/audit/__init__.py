"""Audit: automatic, append-only trail of every change, login and recorded view or download."""

from flask_appbuilder import AppBuilder
from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l

from app.audit import listeners

# Role and permission changes matter as much as user changes.
listeners.audit_model(Role, "role")


def register(appbuilder: AppBuilder) -> None:
    """Attribute task writes to `system:<task>`; add the audit screens and APIs."""
    from app.audit.context import system_actor
    from app.audit.dashboard import recent_audit_events
    from app.core.dashboard import register_panel
    from app.core.tasks import register_task_context

    register_task_context(system_actor)
    register_panel(recent_audit_events, 90)
    from app.audit.api import AuditLogApi, MyActivityApi
    from app.audit.views import AuditLogModelView, AuditViewsView, MyActivityView

    appbuilder.add_view(
        AuditLogModelView,
        "Audit Log",
        label=_l("Audit Log"),
        icon="fa-history",
        category="Security",
        category_label=_l("Security"),
    )
    appbuilder.add_view(
        AuditViewsView,
        "Page Views",
        label=_l("Page views"),
        icon="fa-eye",
        category="Security",
        category_label=_l("Security"),
    )
    appbuilder.add_view(
        MyActivityView,
        "My Activity",
        label=_l("My Activity"),
        icon="fa-user-clock",
        category="Account",
        category_label=_l("Account"),
        category_icon="fa-user",
    )
    appbuilder.add_api(AuditLogApi)
    appbuilder.add_api(MyActivityApi)
