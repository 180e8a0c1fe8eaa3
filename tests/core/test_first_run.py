"""`make run`: the server says where it listens without the production warning, and `flask app init`
prints demo passwords only in the run that generated them."""

from __future__ import annotations

import logging

from werkzeug.serving import make_server

from app import devserver

SOCKETIO_WARNING = "Werkzeug appears to be used in a production deployment. Consider switching."


def _start_like_socketio(app, host, port, allow_unsafe_werkzeug):
    """What Flask-SocketIO's threading server logs on start (stdin not a terminal), then stop."""
    assert allow_unsafe_werkzeug
    server = make_server(host, port, app)
    try:
        logging.getLogger("werkzeug").warning(SOCKETIO_WARNING)
        server.log_startup()
    finally:
        server.server_close()


def test_make_run_says_where_it_listens_without_the_production_warning(app, monkeypatch, caplog):
    monkeypatch.setattr(devserver.socketio, "run", _start_like_socketio)
    werkzeug_logger = logging.getLogger("werkzeug")
    monkeypatch.setattr(werkzeug_logger, "filters", [])  # restored after the test
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        _start_like_socketio(app, "127.0.0.1", 0, allow_unsafe_werkzeug=True)
        assert "This is a development server" in caplog.text  # what werkzeug alone prints
        caplog.clear()
        devserver.serve(app, "127.0.0.1", 0)
    assert "Running on http://127.0.0.1:" in caplog.text
    assert "development server" not in caplog.text and "production" not in caplog.text


def test_init_prints_demo_passwords_only_in_the_run_that_generated_them(app, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    monkeypatch.setenv("ADMIN_PASSWORD", "a long enough admin passphrase")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["app", "init"])
    assert first.exit_code == 0, first.output
    assert "generated passwords (shown once" in first.output and "student / " in first.output
    second = runner.invoke(args=["app", "init"])
    assert second.exit_code == 0, second.output
    assert "Demo users" not in second.output and "student / " not in second.output


def test_demo_users_made_with_demo_password_are_named_without_it(app, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "the demo passphrase everyone knows")
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert "Demo users created with DEMO_PASSWORD: instructor, instructor2" in result.output
    assert "the demo passphrase everyone knows" not in result.output
