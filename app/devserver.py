"""`make run`'s server: Flask-SocketIO on werkzeug, without the warning meant for production."""

from __future__ import annotations

import logging

from flask import Flask

from app.extensions import socketio

# werkzeug's startup message opens with the first line, Flask-SocketIO adds the second when stdin is
# not a terminal. `make run` is one person's server on their own machine, where they only alarm;
# production runs gunicorn (README), which never prints them.
PRODUCTION_WARNINGS = (
    "WARNING: This is a development server.",
    "Werkzeug appears to be used in a production deployment.",
)


class WithoutProductionWarning(logging.Filter):
    """Drops those lines from the `werkzeug` logger's messages and keeps the rest ("Running on")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str) or not any(w in record.msg for w in PRODUCTION_WARNINGS):
            return True
        kept = [line for line in record.msg.splitlines() if not any(w in line for w in PRODUCTION_WARNINGS)]
        record.msg = "\n".join(kept)
        return any(line.strip() for line in kept)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve the app with WebSockets in this process until interrupted."""
    logging.getLogger("werkzeug").addFilter(WithoutProductionWarning())
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
