"""Entry point: `python run.py` serves with SocketIO; `flask --app run` for the CLI; gunicorn `run:app`."""

from app import create_app

app = create_app()

if __name__ == "__main__":
    import os

    from app.devserver import serve

    serve(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
