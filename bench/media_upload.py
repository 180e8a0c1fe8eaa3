"""Upload and thumbnail throughput for 200 images, on local storage and on an S3 server.

Run: `.venv/bin/python -m bench.media_upload` (PostgreSQL on localhost; starts moto_server).
Prints images/s and MB/s for validate+store and for thumbnails, per provider, and each
provider's ratio against local storage measured in the same run.
"""

from __future__ import annotations

import io
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

from tests.database import recreate_database

DATABASE_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/lms_bench_media"
IMAGES = 200


def make_images(count: int) -> list[tuple[str, bytes]]:
    """Photos-like JPEGs of varied sizes (noise keeps them from compressing to nothing)."""
    rng = random.Random(7)
    images = []
    for index in range(count):
        width, height = rng.choice([(800, 600), (1024, 768), (1280, 720), (640, 640)])
        base = Image.effect_noise((width, height), 40).convert("RGB")
        buffer = io.BytesIO()
        base.save(buffer, "JPEG", quality=85)
        images.append((f"photo_{index:03d}.jpg", buffer.getvalue()))
    return images


def start_s3() -> tuple[subprocess.Popen, str]:
    """moto's S3 server on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    process = subprocess.Popen(  # noqa: S603 - our own bench server
        [server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


def build_app() -> tuple[Any, Any]:
    """A migrated, initialized app and an admin user id."""
    import flask_migrate

    from app import create_app
    from app.cli import initialize
    from app.extensions import db
    from tests.factories import make_user

    recreate_database(DATABASE_URL)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DATABASE_URL, RATELIMIT_ENABLED=False, REDIS_URL=None)
    with app.app_context():
        flask_migrate.upgrade()
        initialize(with_demo=False)
        admin_id = make_user("Admin").id
        db.session.remove()
    return app, admin_id


def run_provider(app: Any, admin_id: int, url: str, images: list[tuple[str, bytes]]) -> dict[str, float]:
    """Seconds to validate+store every image, then to make their thumbnails."""
    from app.extensions import db
    from app.media import services
    from app.media.models import Media
    from app.media.storage import forget_filesystems
    from app.security.models import LmsUser

    app.config.update(STORAGE_URL=url, STORAGE_FAILOVER_URLS=[])
    forget_filesystems()
    sizes = app.config["MEDIA_THUMBNAIL_SIZES"]
    with app.test_request_context("/bench"):
        user = db.session.get(LmsUser, admin_id)
        app.config["MEDIA_THUMBNAIL_SIZES"] = []  # store first, thumbnails measured apart
        started = time.perf_counter()
        ids = [services.upload_files([image], "post_media", user)[0].id for image in images]
        store_seconds = time.perf_counter() - started
        app.config["MEDIA_THUMBNAIL_SIZES"] = sizes
        started = time.perf_counter()
        for media_id in ids:
            services.make_thumbnails(db.session.get(Media, media_id))
        thumb_seconds = time.perf_counter() - started
        db.session.remove()
    return {"store": store_seconds, "thumbs": thumb_seconds}


def main() -> None:
    """Measure both providers and print the figures and ratios."""
    from tests.media_fixtures import s3_url

    images = make_images(IMAGES)
    megabytes = sum(len(data) for _, data in images) / 1_000_000
    app, admin_id = build_app()
    process, endpoint = start_s3()
    folder = tempfile.mkdtemp(prefix="lms-bench-media-")
    try:
        results = {
            "local": run_provider(app, admin_id, f"osfs://{folder}", images),
            "s3 (moto)": run_provider(app, admin_id, s3_url(endpoint, "bench"), images),
        }
    finally:
        process.terminate()
        shutil.rmtree(folder, ignore_errors=True)
    sizes = ", ".join(f"{w}x{h}" for w, h in app.config["MEDIA_THUMBNAIL_SIZES"])
    print(f"{IMAGES} JPEG images, {megabytes:.1f} MB in all; thumbnails: {sizes} (WebP)")
    print(f"{'provider':<12}{'store img/s':>13}{'store MB/s':>12}{'thumbs img/s':>14}")
    for name, result in results.items():
        print(
            f"{name:<12}{IMAGES / result['store']:>13.1f}{megabytes / result['store']:>12.2f}"
            f"{IMAGES / result['thumbs']:>14.1f}"
        )
    base = results["local"]
    for name, result in results.items():
        print(
            f"ratio {name} / local: store x {result['store'] / base['store']:.2f}, "
            f"thumbnails x {result['thumbs'] / base['thumbs']:.2f}"
        )


if __name__ == "__main__":
    main()
