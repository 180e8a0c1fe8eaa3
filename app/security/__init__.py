"""Users, roles and the permission matrix (FAB registers the user screens itself)."""

from flask_appbuilder import AppBuilder


def register(appbuilder: AppBuilder) -> None:
    """Nothing to add: FAB's security manager registers our user views and API."""
