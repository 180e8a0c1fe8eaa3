"""The learner portal and public site at `/` (routes only; modules' services do the work)."""

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Mount the portal blueprint."""
    from flask import current_app

    from app.portal.views import portal
    from app.security.services import set_learner_home

    current_app.register_blueprint(portal)
    set_learner_home("portal.my_learning")
