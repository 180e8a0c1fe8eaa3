"""The /notifications namespace: authenticated connections join their user room."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_socketio import join_room

from app.core.realtime import user_room
from app.extensions import socketio


@socketio.on("connect", namespace="/notifications")
def _connect(_auth: Any = None) -> bool:
    """Refuse anonymous and blocked users; others join `user:<id>`."""
    if not current_user.is_authenticated or not current_user.is_active:
        return False
    join_room(user_room(current_user.id))
    return True
