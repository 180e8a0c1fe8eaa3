"""Emit SocketIO events from web processes and from RQ workers (through the Redis queue)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app
from flask_socketio import SocketIO

from app.extensions import socketio


def user_room(user_id: int) -> str:
    """The room every connection of one user joins."""
    return f"user:{user_id}"


@lru_cache(maxsize=4)
def _queue_emitter(message_queue: str) -> SocketIO:
    # A write-only SocketIO bound to the message queue: what a worker process uses.
    return SocketIO(message_queue=message_queue)


def emit_to_user(user_id: int, event: str, data: Any, namespace: str = "/notifications") -> None:
    """Send an event to every open connection of one user, from any process."""
    if getattr(socketio, "server", None) is not None:
        # Bound to this app: with a message queue the event goes through Redis to every process.
        socketio.emit(event, data, to=user_room(user_id), namespace=namespace)
        return
    queue = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if queue:
        _queue_emitter(queue).emit(event, data, to=user_room(user_id), namespace=namespace)
