"""Bare extension objects, bound to the app in create_app (FAB owns Flask-Babel and the limiter)."""

from flask_appbuilder import AppBuilder, Model
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_migrate import Migrate
from flask_socketio import SocketIO

# FAB's SQLA subclass over FAB's metadata, so Alembic sees every table (ours and ab_*).
db = get_sqla_class()(metadata=Model.metadata)
appbuilder = AppBuilder(update_perms=False)
migrate = Migrate(render_as_batch=True, compare_type=True)
socketio = SocketIO()
