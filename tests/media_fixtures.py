"""Fixtures for the media tests: local folders, a real S3-speaking server (moto) on loopback."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from PIL import Image

from app.media.storage import forget_filesystems

S3_KEY, S3_SECRET = "testing-key", "testing-secret"


def png_bytes(size: tuple[int, int] = (640, 480), color: str = "teal") -> bytes:
    """A real PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server, started for the session on a free loopback port."""
    port = _free_port()
    server = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    process = subprocess.Popen(  # noqa: S603 - our own test server
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def s3_url(endpoint: str, bucket: str, provider: str = "minio") -> str:
    """An fs-s3fs URL for a bucket on the test server (created if missing)."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    return f"s3://{S3_KEY}:{S3_SECRET}@{bucket}?endpoint_url={endpoint}&provider={provider}"


@pytest.fixture
def media_config(app, tmp_path, monkeypatch) -> Iterator[Path]:
    """Local storage in a temporary folder, tasks inline, no failover."""
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "STORAGE_URL", f"osfs://{root}")
    monkeypatch.setitem(app.config, "STORAGE_FAILOVER_URLS", [])
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    forget_filesystems()
    yield root
    forget_filesystems()
