"""The learner portal and public site at `/` (routes only; modules' services do the work)."""

from typing import Any

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Mount the portal blueprint."""
    from flask import current_app

    from app.portal.views import portal
    from app.security.roles import has_back_office_screens
    from app.security.services import set_learner_home, set_learner_profile

    current_app.register_blueprint(portal)
    set_learner_home("portal.my_learning")
    set_learner_profile("portal.my_profile")

    @current_app.context_processor
    def _staff_link() -> dict[str, Any]:
        """Templates ask whether the signed-in user has anything in the back office."""
        return {"has_back_office": has_back_office_screens}
